#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Generation-record benchmarks through assay-cli: import time and peak memory (max RSS of the
process) for 10^5 and 10^6 TRL preference rows (about 330 bytes each), then search, export and
listing times on the imported workspace.

    tests/peers/gen_bench.py --cli build/app/cli/assay-cli [--sizes 100000 1000000]
"""
import argparse
import json
import os
import random
import resource
import subprocess
import tempfile
import time

WORDS = ("the model answer step value chart shows total price sum ratio because first then "
         "compute result number correct wrong year reads peak average train speed distance").split()


def write_rows(path, n, seed=5):
    rnd = random.Random(seed)
    with open(path, "w") as f:
        for i in range(n):
            p = " ".join(rnd.choice(WORDS) for _ in range(14)) + "?"
            c = " ".join(rnd.choice(WORDS) for _ in range(24)) + f". ### Answer: {i % 97}"
            r = " ".join(rnd.choice(WORDS) for _ in range(24)) + f". ### Answer: {i % 89}"
            f.write(json.dumps({"id": f"r{i}", "prompt": p, "chosen": c, "rejected": r}) + "\n")


def run(cli, *args):
    """(seconds, max RSS MiB of the child, stdout)"""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t = time.perf_counter()
    out = subprocess.run([cli, *args], check=True, capture_output=True, text=True).stdout
    dt = time.perf_counter() - t
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return dt, max(rss, before) / 1024.0, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", default="build/app/cli/assay-cli")
    ap.add_argument("--sizes", type=int, nargs="+", default=[100000, 1000000])
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        print(f"{'records':>9} {'file MiB':>9} {'import s':>9} {'rec/s':>9} {'peak MiB':>9} "
              f"{'search s':>9} {'export s':>9} {'list s':>7}")
        for n in args.sizes:
            src = os.path.join(tmp, f"rows{n}.jsonl")
            ws = os.path.join(tmp, f"ws{n}.assay")
            write_rows(src, n)
            # each measurement in a fresh process, so max RSS is that process's own
            dt, _, out = run(args.cli, "gen", "import", "-w", ws, src, "--json")
            assert json.loads(out)["imported"] == n
            # peak memory: a second import into a fresh workspace, measured alone with /usr/bin/time
            t = subprocess.run(["/usr/bin/time", "-f", "%M", args.cli, "gen", "import", "-w",
                                ws + "2", src, "--json"], capture_output=True, text=True, check=True)
            peak = int(t.stderr.strip().splitlines()[-1]) / 1024.0
            ds, _, out = run(args.cli, "gen", "list", "-w", ws, "--search", "peak chart", "--limit",
                             "0", "--json")
            de, _, out2 = run(args.cli, "gen", "export", "-w", ws, "--format", "trl-dpo",
                              os.path.join(tmp, "out.jsonl"), "--json")
            assert json.loads(out2)["exported"] == n
            dl, _, _ = run(args.cli, "gen", "list", "-w", ws, "--offset", str(n // 2), "--limit",
                           "50", "--json")
            print(f"{n:>9} {os.path.getsize(src) / 2**20:>9.1f} {dt:>9.2f} {n / dt:>9.0f} "
                  f"{peak:>9.1f} {ds:>9.2f} {de:>9.2f} {dl:>7.2f}", flush=True)


if __name__ == "__main__":
    main()
