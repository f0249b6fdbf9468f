/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-video-demo.c: see assay-video-demo.h. Frames are drawn in RGB, converted to YUV 4:2:0
 * with swscale and encoded with the mpeg4 encoder, which every FFmpeg build has. */
#include "assay-video-demo.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>
#include <math.h>
#include <string.h>

#include "assay-atomic-file.h"
#include "assay-error.h"

static void
fill (guint8 *rgb, int w, int h, int x0, int y0, int x1, int y1, guint8 r, guint8 g, guint8 b)
{
  for (int y = MAX (0, y0); y < MIN (h, y1); y++)
    for (int x = MAX (0, x0); x < MIN (w, x1); x++)
      {
        guint8 *p = rgb + 3 * ((gsize) y * w + x);
        p[0] = r;
        p[1] = g;
        p[2] = b;
      }
}

static void
disc (guint8 *rgb, int w, int h, double cx, double cy, double radius, guint8 r, guint8 g, guint8 b)
{
  for (int y = MAX (0, (int) (cy - radius)); y < MIN (h, (int) (cy + radius) + 1); y++)
    for (int x = MAX (0, (int) (cx - radius)); x < MIN (w, (int) (cx + radius) + 1); x++)
      if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= radius * radius)
        {
          guint8 *p = rgb + 3 * ((gsize) y * w + x);
          p[0] = r;
          p[1] = g;
          p[2] = b;
        }
}

static void
draw (guint8 *rgb, int w, int h, int kind, double t)
{
  switch (kind)
    {
    case 0: /* a red ball rolls left to right over grass under a blue sky */
      fill (rgb, w, h, 0, 0, w, h * 2 / 3, 90, 150, 230);
      fill (rgb, w, h, 0, h * 2 / 3, w, h, 60, 160, 60);
      disc (rgb, w, h, h / 8.0 + t * (w - h / 4.0), h * 2 / 3.0 - h / 8.0, h / 8.0, 220, 30, 30);
      break;
    case 1: /* a traffic light: red, then yellow, then green */
      {
        int    phase = t < 1.0 / 3 ? 0 : t < 2.0 / 3 ? 1 : 2;
        double cx = w / 2.0, r = h / 9.0;
        fill (rgb, w, h, 0, 0, w, h, 200, 200, 200);
        fill (rgb, w, h, (int) (cx - 1.6 * r), (int) (h * 0.08), (int) (cx + 1.6 * r), (int) (h * 0.92), 30, 30, 30);
        disc (rgb, w, h, cx, h * 0.24, r, phase == 0 ? 240 : 70, phase == 0 ? 20 : 20, 20);
        disc (rgb, w, h, cx, h * 0.50, r, phase == 1 ? 250 : 80, phase == 1 ? 200 : 70, 20);
        disc (rgb, w, h, cx, h * 0.76, r, 20, phase == 2 ? 220 : 70, phase == 2 ? 60 : 30);
        break;
      }
    default: /* three bars grow to heights 1, 3 and 2 */
      {
        static const double heights[3] = { 1, 3, 2 };
        fill (rgb, w, h, 0, 0, w, h, 250, 250, 245);
        fill (rgb, w, h, w / 10, h - h / 10, w - w / 10, h - h / 10 + 2, 40, 40, 40);
        for (int k = 0; k < 3; k++)
          {
            int top = (int) (h - h / 10 - MIN (1.0, t * 1.5) * heights[k] * (h * 0.75 / 3));
            fill (rgb, w, h, w / 5 + k * w / 4, top, w / 5 + k * w / 4 + w / 6, h - h / 10, 40, 90 + 60 * k, 200 - 50 * k);
          }
        break;
      }
    }
}

static gboolean
av_fail (GError **error, const char *path, const char *what, int err)
{
  char buf[AV_ERROR_MAX_STRING_SIZE] = { 0 };

  av_strerror (err, buf, sizeof buf);
  g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_FAILED, "%s: %s: %s", path, what, buf);
  return FALSE;
}

static int
drain (AVCodecContext *enc, AVFormatContext *fmt, AVStream *st, AVPacket *pkt)
{
  int err;

  while ((err = avcodec_receive_packet (enc, pkt)) >= 0)
    {
      av_packet_rescale_ts (pkt, enc->time_base, st->time_base);
      pkt->stream_index = st->index;
      if ((err = av_interleaved_write_frame (fmt, pkt)) < 0)
        return err;
    }
  return err == AVERROR (EAGAIN) || err == AVERROR_EOF ? 0 : err;
}

/* FFmpeg writes through our own stream: the clip goes to a new temporary file beside the
 * target (never through a link planted there) and is renamed into place when complete. */
static int
write_packet (void *opaque, uint8_t *buf, int size)
{
  FILE *f = assay_atomic_file_get_stream (opaque);
  return fwrite (buf, 1, (size_t) size, f) == (size_t) size ? size : AVERROR (EIO);
}

static int64_t
seek_stream (void *opaque, int64_t offset, int whence)
{
  FILE *f = assay_atomic_file_get_stream (opaque);

  if (whence & AVSEEK_SIZE)
    {
      off_t here = ftello (f), size;
      if (fseeko (f, 0, SEEK_END) != 0)
        return AVERROR (EIO);
      size = ftello (f);
      fseeko (f, here, SEEK_SET);
      return size;
    }
  if (fseeko (f, offset, whence & ~AVSEEK_FORCE) != 0)
    return AVERROR (EIO);
  return ftello (f);
}

gboolean
assay_video_demo_clip (const char *path, int kind, int width, int height, int fps, double seconds,
                       GError **error)
{
  g_autoptr (AssayAtomicFile) out = NULL;
  const AVCodec     *codec = avcodec_find_encoder (AV_CODEC_ID_MPEG4);
  AVFormatContext   *fmt = NULL;
  AVCodecContext    *enc = NULL;
  AVStream          *st;
  AVFrame           *frame = NULL;
  AVPacket          *pkt = NULL;
  struct SwsContext *sws = NULL;
  g_autofree guint8 *rgb = g_malloc ((gsize) width * height * 3);
  int                n = (int) lround (seconds * fps), err;
  gboolean           ok = FALSE;

  if (codec == NULL)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_FAILED, _("%s: this FFmpeg has no MPEG-4 encoder"), path);
      return FALSE;
    }
  if ((err = avformat_alloc_output_context2 (&fmt, NULL, "mp4", path)) < 0)
    return av_fail (error, path, "mp4", err);
  st = avformat_new_stream (fmt, NULL);
  enc = avcodec_alloc_context3 (codec);
  enc->width = width;
  enc->height = height;
  enc->pix_fmt = AV_PIX_FMT_YUV420P;
  enc->time_base = (AVRational) { 1, fps };
  enc->framerate = (AVRational) { fps, 1 };
  enc->gop_size = fps; /* a key frame a second */
  enc->bit_rate = 600000;
  if (fmt->oformat->flags & AVFMT_GLOBALHEADER)
    enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  if ((err = avcodec_open2 (enc, codec, NULL)) < 0 || (err = avcodec_parameters_from_context (st->codecpar, enc)) < 0)
    {
      av_fail (error, path, "mpeg4", err);
      goto done;
    }
  st->time_base = enc->time_base;
  if ((out = assay_atomic_file_new (path, error)) == NULL)
    goto done;
  {
    guint8 *buffer = av_malloc (65536);
    fmt->pb = buffer != NULL ? avio_alloc_context (buffer, 65536, 1, out, NULL, write_packet, seek_stream) : NULL;
    if (fmt->pb == NULL)
      {
        av_free (buffer);
        err = AVERROR (ENOMEM);
      }
    else
      err = avformat_write_header (fmt, NULL);
  }
  if (err < 0)
    {
      av_fail (error, path, _("cannot write"), err);
      goto done;
    }
  frame = av_frame_alloc ();
  frame->format = AV_PIX_FMT_YUV420P;
  frame->width = width;
  frame->height = height;
  pkt = av_packet_alloc ();
  sws = sws_getContext (width, height, AV_PIX_FMT_RGB24, width, height, AV_PIX_FMT_YUV420P, SWS_BILINEAR, NULL, NULL, NULL);
  if ((err = av_frame_get_buffer (frame, 0)) < 0 || sws == NULL)
    {
      av_fail (error, path, "frame", err);
      goto done;
    }
  for (int i = 0; i < n; i++)
    {
      const guint8 *src[4] = { rgb, NULL, NULL, NULL };
      int           lines[4] = { 3 * width, 0, 0, 0 };
      draw (rgb, width, height, kind, n > 1 ? (double) i / (n - 1) : 0.0);
      if ((err = av_frame_make_writable (frame)) < 0)
        break;
      sws_scale (sws, src, lines, 0, height, frame->data, frame->linesize);
      frame->pts = i;
      if ((err = avcodec_send_frame (enc, frame)) < 0 || (err = drain (enc, fmt, st, pkt)) < 0)
        break;
    }
  if (err >= 0 && (err = avcodec_send_frame (enc, NULL)) >= 0 && (err = drain (enc, fmt, st, pkt)) >= 0)
    err = av_write_trailer (fmt);
  if (err >= 0)
    avio_flush (fmt->pb);
  if (err < 0)
    av_fail (error, path, _("cannot encode"), err);
  else
    ok = assay_atomic_file_commit (out, error);

done:
  sws_freeContext (sws);
  av_packet_free (&pkt);
  av_frame_free (&frame);
  avcodec_free_context (&enc);
  if (fmt != NULL && fmt->pb != NULL)
    {
      av_freep (&fmt->pb->buffer);
      avio_context_free (&fmt->pb);
    }
  avformat_free_context (fmt);
  return ok;
}

static const char rows[] =
  "{\"id\": \"red-ball\", \"video\": \"red-ball.mp4\", \"conversations\": [{\"from\": \"human\", \"value\": \"<video>\\nDescribe the video in detail.\"}, {\"from\": \"gpt\", \"value\": \"A red ball rolls from the left edge to the right edge of the frame over green grass, under a clear blue sky. Nothing else moves.\"}]}\n"
  "{\"id\": \"red-ball\", \"video\": \"red-ball.mp4\", \"conversations\": [{\"from\": \"human\", \"value\": \"Which way does the ball move?\"}, {\"from\": \"gpt\", \"value\": \"From left to right.\"}]}\n"
  "{\"id\": \"red-ball-1\", \"video\": \"red-ball\", \"prompt\": \"Which way does the ball move?\", \"answer\": \"From left to right.\", \"chosen\": \"It rolls from the left side to the right side.\", \"rejected\": \"It rolls from right to left.\", \"chosen_score\": 5, \"rejected_score\": 1}\n"
  "{\"id\": \"red-ball-2\", \"video\": \"red-ball\", \"prompt\": \"Which way does the ball move?\", \"response\": \"The ball bounces up and down in place.\", \"score\": 1}\n"
  "{\"id\": \"red-ball-3\", \"video\": \"red-ball\", \"prompt\": \"Which way does the ball move?\", \"response\": \"Towards the right, across the grass.\", \"score\": 4}\n"
  "{\"id\": \"red-ball-4\", \"video\": \"red-ball\", \"prompt\": \"What colour is the ball?\", \"response\": \"Red.\", \"score\": 5}\n"
  "{\"id\": \"red-ball-5\", \"video\": \"red-ball\", \"prompt\": \"What colour is the ball?\", \"response\": \"It is a blue ball.\", \"score\": 1}\n"
  "{\"id\": \"traffic-light\", \"video\": \"traffic-light.mp4\", \"conversations\": [{\"from\": \"human\", \"value\": \"<video>\\nDescribe the video in detail.\"}, {\"from\": \"gpt\", \"value\": \"A traffic light on a grey background shows red first, then yellow, and ends on green. A car drives past.\"}]}\n"
  "{\"id\": \"traffic-light\", \"video\": \"traffic-light.mp4\", \"conversations\": [{\"from\": \"human\", \"value\": \"Which light is on at the end?\"}, {\"from\": \"gpt\", \"value\": \"Green.\"}]}\n"
  "{\"id\": \"traffic-light-1\", \"video\": \"traffic-light\", \"prompt\": \"Which light is on at the end?\", \"answer\": \"Green.\", \"chosen\": \"The green light.\", \"rejected\": \"The red light stays on.\", \"chosen_score\": 5, \"rejected_score\": 1}\n"
  "{\"id\": \"traffic-light-2\", \"video\": \"traffic-light\", \"prompt\": \"Which light is on at the end?\", \"response\": \"Yellow, then green.\", \"score\": 3}\n"
  "{\"id\": \"traffic-light-3\", \"video\": \"traffic-light\", \"prompt\": \"In what order do the lights come on?\", \"response\": \"Red, yellow, green.\", \"score\": 5}\n"
  "{\"id\": \"traffic-light-4\", \"video\": \"traffic-light\", \"prompt\": \"In what order do the lights come on?\", \"response\": \"Green, yellow, red.\", \"score\": 2}\n"
  "{\"id\": \"bars\", \"video\": \"bars.mp4\", \"conversations\": [{\"from\": \"human\", \"value\": \"<video>\\nDescribe the video in detail.\"}, {\"from\": \"gpt\", \"value\": \"Three bars of a chart grow from the baseline; the middle one ends tallest and the left one shortest.\"}]}\n"
  "{\"id\": \"bars\", \"video\": \"bars.mp4\", \"conversations\": [{\"from\": \"human\", \"value\": \"Which bar ends tallest?\"}, {\"from\": \"gpt\", \"value\": \"The middle bar.\"}]}\n"
  "{\"id\": \"bars-1\", \"video\": \"bars\", \"prompt\": \"Which bar ends tallest?\", \"answer\": \"The middle bar.\", \"chosen\": \"The middle one, about three times the left bar.\", \"rejected\": \"The right bar is the tallest.\", \"chosen_score\": 5, \"rejected_score\": 2}\n"
  "{\"id\": \"bars-2\", \"video\": \"bars\", \"prompt\": \"Which bar ends tallest?\", \"response\": \"All three end at the same height.\", \"score\": 1}\n";

GStrv
assay_video_demo_write (const char *dir, GError **error)
{
  static const struct
  {
    const char *file;
    int         kind;
    double      seconds;
  } clips[] = { { "red-ball.mp4", 0, 4.0 }, { "traffic-light.mp4", 1, 3.0 }, { "bars.mp4", 2, 3.0 } };
  g_autoptr (GStrvBuilder) b = g_strv_builder_new ();
  g_autofree char *jsonl = g_build_filename (dir, "llava-hound.jsonl", NULL);

  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_FAILED, "%s: %s", dir, g_strerror (errno));
      return NULL;
    }
  for (guint i = 0; i < G_N_ELEMENTS (clips); i++)
    {
      g_autofree char *path = g_build_filename (dir, clips[i].file, NULL);
      if (!assay_video_demo_clip (path, clips[i].kind, 320, 180, 24, clips[i].seconds, error))
        return NULL;
      g_strv_builder_add (b, path);
    }
  if (!g_file_set_contents (jsonl, rows, -1, error))
    return NULL;
  g_strv_builder_add (b, jsonl);
  return g_strv_builder_end (b);
}
