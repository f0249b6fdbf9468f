/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Ten-frame sampling in process against the decode-chain limit, in one run per clip:
 *
 *   chain:  the time to decode only the frames the ten targets depend on: from the key frame
 *           before a target (seeking only when it lies beyond what was decoded) to the target,
 *           frames before the target that nothing refers to skipped; no conversion, no output.
 *           Written here with plain libavcodec calls, apart from Assay's sampler.
 *   assay:  what `assay-cli video frames` does in process: probe, decode the ten frames to RGBA,
 *           encode them as PNG (assay_video_sample_png: the encoding beside the decoding).
 *
 * Prints the medians of 5 runs and assay / chain (the goal: within 1.10).
 *   bench-video VIDEO...
 */
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>

#include "assay-video.h"

static double
now_ms (void)
{
  return g_get_monotonic_time () / 1000.0;
}

static int
compare_doubles (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static double
median (double *v, int n)
{
  qsort (v, n, sizeof *v, (int (*) (const void *, const void *)) compare_doubles);
  return v[n / 2];
}

/* The decode-chain limit for the targets (pts, ascending); returns frames decoded, -1 on error */
static int
decode_chain (const AssayVideoInfo *info, const gint64 *targets, int n)
{
  AVFormatContext *fmt = NULL;
  AVCodecContext  *dec;
  const AVCodec   *codec;
  AVPacket        *pkt = av_packet_alloc ();
  AVFrame         *frame = av_frame_alloc ();
  AVStream        *st;
  gint64           upto = G_MININT64;
  int              decoded = 0, t = 0;
  gboolean         eof = FALSE;

  if (avformat_open_input (&fmt, info->path, NULL, NULL) < 0 || avformat_find_stream_info (fmt, NULL) < 0)
    return -1;
  st = fmt->streams[info->stream];
  for (unsigned i = 0; i < fmt->nb_streams; i++)
    fmt->streams[i]->discard = (int) i == info->stream ? AVDISCARD_DEFAULT : AVDISCARD_ALL;
  codec = avcodec_find_decoder (st->codecpar->codec_id);
  dec = avcodec_alloc_context3 (codec);
  avcodec_parameters_to_context (dec, st->codecpar);
  dec->thread_count = 0;
  dec->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
  dec->pkt_timebase = st->time_base;
  if (avcodec_open2 (dec, codec, NULL) < 0)
    return -1;
  while (t < n)
    {
      gint64 key = g_array_index (info->key_pts, gint64, 0);

      for (guint k = 0; k < info->key_pts->len && g_array_index (info->key_pts, gint64, k) <= targets[t]; k++)
        key = g_array_index (info->key_pts, gint64, k);
      if (key > upto && (upto != G_MININT64 || key > g_array_index (info->pts, gint64, 0)))
        {
          av_seek_frame (fmt, info->stream, key, AVSEEK_FLAG_BACKWARD);
          avcodec_flush_buffers (dec);
          eof = FALSE;
        }
      for (;;)
        {
          int err = avcodec_receive_frame (dec, frame);
          if (err == AVERROR (EAGAIN) && !eof)
            {
              if (av_read_frame (fmt, pkt) < 0)
                {
                  eof = TRUE;
                  avcodec_send_packet (dec, NULL);
                  continue;
                }
              if (pkt->stream_index == info->stream)
                {
                  dec->skip_frame = pkt->pts != AV_NOPTS_VALUE && pkt->pts < targets[t] ? AVDISCARD_NONREF : AVDISCARD_DEFAULT;
                  avcodec_send_packet (dec, pkt);
                }
              av_packet_unref (pkt);
              continue;
            }
          if (err < 0)
            {
              t = n;
              break;
            }
          decoded++;
          upto = frame->best_effort_timestamp != AV_NOPTS_VALUE ? frame->best_effort_timestamp : frame->pts;
          av_frame_unref (frame);
          if (upto >= targets[t])
            {
              t++;
              break;
            }
        }
    }
  av_frame_free (&frame);
  av_packet_free (&pkt);
  avcodec_free_context (&dec);
  avformat_close_input (&fmt);
  return decoded;
}

static gboolean
sample (const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (AssayVideoInfo) info = assay_video_probe (path, -1, &error);
  g_autoptr (GArray) indices = NULL;
  g_autoptr (GPtrArray) frames = NULL;

  if (info == NULL)
    return FALSE;
  indices = assay_video_sample_indices (info->frames, 10);
  frames = assay_video_sample_png (info, (const gint64 *) indices->data, (int) indices->len, 0, NULL, &error);
  return frames != NULL && frames->len == indices->len;
}

int
main (int argc, char **argv)
{
  for (int a = 1; a < argc; a++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (AssayVideoInfo) info = assay_video_probe (argv[a], -1, &error);
      g_autoptr (GArray) indices = NULL;
      g_autofree char *base = g_path_get_basename (argv[a]);
      gint64 targets[10];
      double chain[5], ours[5];
      int    n, decoded = 0;

      if (info == NULL)
        {
          g_printerr ("%s: %s\n", argv[a], error->message);
          return 1;
        }
      indices = assay_video_sample_indices (info->frames, 10);
      n = (int) indices->len;
      for (int i = 0; i < n; i++)
        targets[i] = g_array_index (info->pts, gint64, g_array_index (indices, gint64, i));
      for (int r = 0; r < 5; r++)
        {
          double t0 = now_ms ();
          decoded = decode_chain (info, targets, n);
          chain[r] = now_ms () - t0;
          t0 = now_ms ();
          if (!sample (argv[a]))
            {
              g_printerr ("%s: sampling failed\n", argv[a]);
              return 1;
            }
          ours[r] = now_ms () - t0;
        }
      g_print ("%s (%dx%d, %" G_GINT64_FORMAT " frames, %u key frames): chain %.1f ms (%d frames "
               "decoded) | assay %.1f ms | assay / chain %.2f\n",
               base, info->width, info->height, info->frames,
               info->key_pts->len, median (chain, 5), decoded, median (ours, 5),
               median (ours, 5) / median (chain, 5));
    }
  return 0;
}
