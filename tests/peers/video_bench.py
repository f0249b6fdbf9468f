#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Ten-frame sampling: `assay-cli video frames` against the two ways of doing it with the ffmpeg
command line, side by side in one run (median of 3 runs each, every run a fresh process that
writes ten PNG files):

  seek:   ten `ffmpeg -ss T -i FILE -frames:v 1 out.png` calls, T the sampled frames' times
  select: one `ffmpeg -i FILE -vf select='eq(n,I1)+...' -vsync 0 out%d.png` pass

and, in process (tests/bench-video), Assay's sampling against the decode-chain limit: the time
to decode only the frames the targets depend on. Goals: best ffmpeg / assay >= 1 on every clip,
assay / chain <= 1.10. Clips: the shared samples and ones made here with ffmpeg (Matroska at an
odd size, 720p, a long GOP, 1080p).

  video_bench.py BUILD [VIDEO...]   (default: the shared sample videos and a generated 1080p one)
"""
import json, os, shutil, statistics, subprocess, sys, tempfile, time


def timed(cmd):
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def median(f, runs=3):
    return statistics.median(f() for _ in range(runs))


def main():
    build = sys.argv[1]
    cli = os.path.join(build, 'app', 'cli', 'assay-cli')
    ffmpeg = shutil.which('ffmpeg')
    if ffmpeg is None:
        print('SKIP: ffmpeg is not installed')
        return 77
    tmp = tempfile.mkdtemp()
    videos = sys.argv[2:]
    if not videos:
        data = os.environ.get('ASSAY_SHARED_DATA', os.path.join(os.path.dirname(__file__), '..', '..', '..', 'shared', 'data'))
        videos = [os.path.join(data, 'video', v) for v in ('big_buck_bunny.mp4', 'nasa_13013.mp4')]
        for name, size, seconds, gop in (('odd-426x240-10s.mkv', '426x240', 10, 250),
                                         ('720p-20s.mkv', '1280x720', 20, 250),
                                         ('720p-longgop-30s.mp4', '1280x720', 30, 600),
                                         ('1080p-60s.mp4', '1920x1080', 60, 250)):
            path = os.path.join(tmp, name)
            subprocess.run([ffmpeg, '-v', 'error', '-f', 'lavfi', '-i', f'testsrc2=size={size}:rate=30',
                            '-t', str(seconds), '-c:v', 'libx264', '-preset', 'veryfast', '-g', str(gop),
                            '-pix_fmt', 'yuv420p', path], check=True)
            videos.append(path)
    for v in videos:
        info = json.loads(subprocess.run([cli, 'video', 'probe', v, '--json'], check=True, capture_output=True).stdout)
        out = os.path.join(tmp, 'ours')
        r = json.loads(subprocess.run([cli, 'video', 'frames', v, '--out', out, '--json'], check=True,
                                      capture_output=True).stdout)
        idx = r['indices']
        times = [i / info['fps'] for i in idx]
        ours = median(lambda: timed([cli, 'video', 'frames', v, '--out', out, '--json']))

        def seek():
            t0 = time.perf_counter()
            for k, t in enumerate(times):
                subprocess.run([ffmpeg, '-v', 'error', '-y', '-ss', f'{t:.6f}', '-i', v, '-map', f'0:{info["stream"]}',
                                '-frames:v', '1', os.path.join(tmp, f'seek-{k}.png')], check=True)
            return time.perf_counter() - t0

        sel = 'select=' + '+'.join(f'eq(n\\,{i})' for i in idx)
        select = median(lambda: timed([ffmpeg, '-v', 'error', '-y', '-i', v, '-map', f'0:{info["stream"]}', '-vf', sel,
                                       '-vsync', '0', os.path.join(tmp, 'select-%d.png')]))
        seek_s = median(seek)
        best = min(seek_s, select)
        print(f'{os.path.basename(v)} ({info["width"]}x{info["height"]}, {info["frames"]} frames): '
              f'assay {ours:.3f} s ({len(idx) / ours:.1f} frames/s) | ffmpeg seek x10 {seek_s:.3f} s | '
              f'ffmpeg select {select:.3f} s | best ffmpeg / assay {best / ours:.2f}', flush=True)
        bench = os.path.join(build, 'tests', 'bench-video')
        if os.path.exists(bench):
            subprocess.run([bench, v], check=True)
    shutil.rmtree(tmp)
    return 0


if __name__ == '__main__':
    sys.exit(main())
