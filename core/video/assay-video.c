/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-video.c: see assay-video.h. */
#include "assay-video.h"

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>
#include <math.h>
#include <stdlib.h>

#include "assay-error.h"

static void
set_av_error (GError **error, int code, const char *path, const char *what, int averr)
{
  char buf[AV_ERROR_MAX_STRING_SIZE] = { 0 };

  av_strerror (averr, buf, sizeof buf);
  g_set_error (error, ASSAY_ERROR, code, "%s: %s: %s", path, what, buf);
}

void
assay_video_info_free (AssayVideoInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->path);
  g_free (info->container);
  g_free (info->codec);
  if (info->pts)
    g_array_unref (info->pts);
  if (info->key_pts)
    g_array_unref (info->key_pts);
  g_free (info);
}

void
assay_video_frame_free (AssayVideoFrame *frame)
{
  if (frame == NULL)
    return;
  g_free (frame->rgba);
  g_free (frame);
}

static int
cmp_i64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;
  return x < y ? -1 : x > y;
}

static AVFormatContext *
open_input (const char *path, GError **error)
{
  static gsize     quiet = 0;
  AVFormatContext *fmt = NULL;
  int              err;

  /* failures come back as errors naming the file; FFmpeg's own log would only repeat them */
  if (g_once_init_enter (&quiet))
    {
      av_log_set_level (AV_LOG_FATAL);
      g_once_init_leave (&quiet, 1);
    }

  if ((err = avformat_open_input (&fmt, path, NULL, NULL)) < 0)
    {
      set_av_error (error, err == AVERROR (ENOENT) ? ASSAY_ERROR_NOT_FOUND : ASSAY_ERROR_INVALID_INPUT,
                    path, "cannot open as a video", err);
      return NULL;
    }
  if ((err = avformat_find_stream_info (fmt, NULL)) < 0)
    {
      set_av_error (error, ASSAY_ERROR_INVALID_INPUT, path, "no stream information", err);
      avformat_close_input (&fmt);
      return NULL;
    }
  return fmt;
}

AssayVideoInfo *
assay_video_probe (const char *path, int stream, GError **error)
{
  AVFormatContext *fmt = open_input (path, error);
  g_autoptr (AssayVideoInfo) info = NULL;
  const AVCodec *codec = NULL;
  AVStream      *st;
  AVPacket      *pkt;
  gint64         last_end = AV_NOPTS_VALUE, file_size;
  AVRational     rate;
  int            err;

  if (fmt == NULL)
    return NULL;
  if (stream < 0)
    stream = av_find_best_stream (fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
  else if (stream >= (int) fmt->nb_streams || fmt->streams[stream]->codecpar->codec_type != AVMEDIA_TYPE_VIDEO)
    stream = AVERROR_STREAM_NOT_FOUND;
  if (stream < 0)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "%s: %s", path,
                   stream == AVERROR_DECODER_NOT_FOUND ? "no decoder for its video stream"
                                                      : "no video stream (audio only?)");
      avformat_close_input (&fmt);
      return NULL;
    }
  st = fmt->streams[stream];
  if (avcodec_find_decoder (st->codecpar->codec_id) == NULL)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_UNSUPPORTED, "%s: no decoder for codec %s", path,
                   avcodec_get_name (st->codecpar->codec_id));
      avformat_close_input (&fmt);
      return NULL;
    }
  info = g_new0 (AssayVideoInfo, 1);
  info->path = g_strdup (path);
  info->container = g_strdup (fmt->iformat->name);
  info->codec = g_strdup (avcodec_get_name (st->codecpar->codec_id));
  info->stream = stream;
  info->width = st->codecpar->width;
  info->height = st->codecpar->height;
  info->tb_num = st->time_base.num;
  info->tb_den = st->time_base.den;
  rate = st->avg_frame_rate; /* st goes with the format context below */
  info->pts = g_array_new (FALSE, FALSE, sizeof (gint64));
  info->key_pts = g_array_new (FALSE, FALSE, sizeof (gint64));
  pkt = av_packet_alloc ();
  file_size = fmt->pb != NULL ? avio_size (fmt->pb) : -1;
  while ((err = av_read_frame (fmt, pkt)) >= 0)
    {
      /* a packet cut off by the end of a truncated file is not a frame */
      gboolean whole = pkt->pos < 0 || file_size <= 0 || pkt->pos + pkt->size <= file_size;
      if (pkt->stream_index == stream && whole && !(pkt->flags & AV_PKT_FLAG_CORRUPT))
        {
          gint64 t = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
          if (t != AV_NOPTS_VALUE)
            {
              g_array_append_val (info->pts, t);
              if (pkt->flags & AV_PKT_FLAG_KEY)
                g_array_append_val (info->key_pts, t);
              if (last_end == AV_NOPTS_VALUE || t + pkt->duration > last_end)
                last_end = t + pkt->duration;
            }
        }
      av_packet_unref (pkt);
    }
  av_packet_free (&pkt);
  avformat_close_input (&fmt);
  if (err != AVERROR_EOF && info->pts->len == 0)
    {
      set_av_error (error, ASSAY_ERROR_INVALID_INPUT, path, "cannot read packets", err);
      return NULL;
    }
  if (info->pts->len == 0 || info->key_pts->len == 0 || info->width <= 0 || info->height <= 0)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   "%s: the video stream has no decodable frames (truncated?)", path);
      return NULL;
    }
  g_array_sort (info->pts, cmp_i64);
  g_array_sort (info->key_pts, cmp_i64);
  info->frames = info->pts->len;
  info->duration = (double) (last_end - g_array_index (info->pts, gint64, 0)) * info->tb_num / info->tb_den;
  if (rate.num > 0 && rate.den > 0)
    info->fps = av_q2d (rate);
  else
    info->fps = info->duration > 0 ? info->frames / info->duration : 0;
  return g_steal_pointer (&info);
}

GArray *
assay_video_sample_indices (gint64 n, int count)
{
  GArray *out = g_array_new (FALSE, FALSE, sizeof (gint64));

  if (n <= 0 || count <= 0)
    return out;
  for (int i = 0; i < count; i++)
    {
      double  x = count == 1 ? 0.0 : (double) i * (double) (n - 1) / (double) (count - 1);
      gint64  v = (gint64) nearbyint (x); /* round half to even, as numpy.round */
      if (out->len == 0 || v != g_array_index (out, gint64, out->len - 1))
        g_array_append_val (out, v);
    }
  return out;
}

static AssayVideoFrame *
convert (struct SwsContext **sws, const AVFrame *f, gint64 index, double seconds)
{
  AssayVideoFrame *out = g_new0 (AssayVideoFrame, 1);
  guint8          *dst[4] = { NULL };
  int              lines[4] = { 0 };

  out->index = index;
  out->seconds = seconds;
  out->width = f->width;
  out->height = f->height;
  out->stride = FFALIGN (f->width * 4, 64);
  out->rgba = g_malloc ((gsize) out->stride * f->height);
  *sws = sws_getCachedContext (*sws, f->width, f->height, f->format, f->width, f->height,
                               AV_PIX_FMT_RGBA, SWS_BICUBIC, NULL, NULL, NULL);
  dst[0] = out->rgba;
  lines[0] = out->stride;
  if (*sws == NULL || sws_scale (*sws, (const guint8 *const *) f->data, f->linesize, 0, f->height, dst, lines) <= 0)
    {
      assay_video_frame_free (out);
      return NULL;
    }
  return out;
}

GPtrArray *
assay_video_decode_frames (const AssayVideoInfo *info, const gint64 *indices, int n,
                           GCancellable *cancellable, GError **error)
{
  g_autoptr (GPtrArray) frames = g_ptr_array_new_with_free_func ((GDestroyNotify) assay_video_frame_free);
  AVFormatContext   *fmt = NULL;
  AVCodecContext    *dec = NULL;
  AVPacket          *pkt = NULL;
  AVFrame           *frame = NULL;
  struct SwsContext *sws = NULL;
  AVStream          *st;
  const AVCodec     *codec;
  gint64             decoded_upto = G_MININT64; /* pts of the last frame out of the decoder */
  gboolean           started = FALSE, eof = FALSE, ok = FALSE;
  int                t = 0, err;

  for (int i = 0; i < n; i++)
    if (indices[i] < 0 || indices[i] >= info->frames || (i > 0 && indices[i] <= indices[i - 1]))
      {
        g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                     "%s: frame indices must ascend within 0..%" G_GINT64_FORMAT, info->path, info->frames - 1);
        return NULL;
      }
  if ((fmt = open_input (info->path, error)) == NULL)
    return NULL;
  if (info->stream >= (int) fmt->nb_streams)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, "%s: the file changed since it was probed", info->path);
      goto out;
    }
  st = fmt->streams[info->stream];
  for (unsigned i = 0; i < fmt->nb_streams; i++)
    fmt->streams[i]->discard = (int) i == info->stream ? AVDISCARD_DEFAULT : AVDISCARD_ALL;
  codec = avcodec_find_decoder (st->codecpar->codec_id);
  dec = avcodec_alloc_context3 (codec);
  if (dec == NULL || avcodec_parameters_to_context (dec, st->codecpar) < 0)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_FAILED, "%s: cannot set up the decoder", info->path);
      goto out;
    }
  dec->thread_count = 0;
  dec->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
  dec->pkt_timebase = st->time_base;
  if ((err = avcodec_open2 (dec, codec, NULL)) < 0)
    {
      set_av_error (error, ASSAY_ERROR_UNSUPPORTED, info->path, "cannot open the decoder", err);
      goto out;
    }
  pkt = av_packet_alloc ();
  frame = av_frame_alloc ();

  while (t < n)
    {
      gint64 target = g_array_index (info->pts, gint64, indices[t]);
      gint64 key = g_array_index (info->key_pts, gint64, 0);

      for (guint k = 0; k < info->key_pts->len && g_array_index (info->key_pts, gint64, k) <= target; k++)
        key = g_array_index (info->key_pts, gint64, k);
      /* seek only when the key frame before the target lies beyond what was decoded */
      if (!started || key > decoded_upto)
        {
          if (started || key > g_array_index (info->pts, gint64, 0))
            {
              if ((err = av_seek_frame (fmt, info->stream, key, AVSEEK_FLAG_BACKWARD)) < 0)
                {
                  set_av_error (error, ASSAY_ERROR_INVALID_INPUT, info->path, "cannot seek", err);
                  goto out;
                }
              avcodec_flush_buffers (dec);
              eof = FALSE;
            }
          started = TRUE;
          decoded_upto = G_MININT64;
        }
      /* decode until the target comes out */
      {
      int before = t;
      for (;;)
        {
          gint64 pts;
          err = avcodec_receive_frame (dec, frame);
          if (err == AVERROR (EAGAIN))
            {
              if (g_cancellable_set_error_if_cancelled (cancellable, error))
                goto out;
              if (eof)
                break;
              if ((err = av_read_frame (fmt, pkt)) < 0)
                {
                  eof = TRUE;
                  avcodec_send_packet (dec, NULL);
                  continue;
                }
              if (pkt->stream_index == info->stream)
                {
                  /* frames that come before the target and that no other frame refers to need
                   * not be decoded at all (B-frames, mostly) */
                  dec->skip_frame = pkt->pts != AV_NOPTS_VALUE && pkt->pts < target ? AVDISCARD_NONREF
                                                                                   : AVDISCARD_DEFAULT;
                  avcodec_send_packet (dec, pkt); /* a damaged packet is skipped */
                }
              av_packet_unref (pkt);
              continue;
            }
          if (err < 0)
            break; /* end of stream (or a decoder failure): the remaining targets are missing */
          pts = frame->best_effort_timestamp != AV_NOPTS_VALUE ? frame->best_effort_timestamp : frame->pts;
          decoded_upto = pts;
          if (pts >= target)
            {
              AssayVideoFrame *f = convert (&sws, frame, indices[t],
                                            (double) (target - g_array_index (info->pts, gint64, 0)) * info->tb_num / info->tb_den);
              av_frame_unref (frame);
              if (f == NULL)
                {
                  g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_FAILED, "%s: cannot convert frame %" G_GINT64_FORMAT,
                               info->path, indices[t]);
                  goto out;
                }
              g_ptr_array_add (frames, f);
              t++;
              /* the next target may be this same decoded stretch: go on from here */
              break;
            }
          av_frame_unref (frame);
        }
      if (t == before)
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                       "%s: frame %" G_GINT64_FORMAT " could not be decoded (file truncated or damaged?)",
                       info->path, indices[t]);
          goto out;
        }
      }
    }
  ok = TRUE;
out:
  sws_freeContext (sws);
  av_frame_free (&frame);
  av_packet_free (&pkt);
  avcodec_free_context (&dec);
  avformat_close_input (&fmt);
  return ok ? g_steal_pointer (&frames) : NULL;
}

GBytes *
assay_video_frame_encode_png (const AssayVideoFrame *f, GError **error)
{
  const AVCodec  *codec = avcodec_find_encoder (AV_CODEC_ID_PNG);
  AVCodecContext *enc = codec ? avcodec_alloc_context3 (codec) : NULL;
  AVFrame        *frame = av_frame_alloc ();
  AVPacket       *pkt = av_packet_alloc ();
  GBytes         *out = NULL;
  int             err = AVERROR (ENOMEM);

  if (enc != NULL)
    {
      enc->width = f->width;
      enc->height = f->height;
      enc->pix_fmt = AV_PIX_FMT_RGBA;
      enc->time_base = (AVRational) { 1, 25 };
      /* zlib level 1: thumbnails and frames are written often and read rarely */
      enc->compression_level = 1;
      frame->format = AV_PIX_FMT_RGBA;
      frame->width = f->width;
      frame->height = f->height;
      frame->data[0] = f->rgba;
      frame->linesize[0] = f->stride;
      if ((err = avcodec_open2 (enc, codec, NULL)) >= 0 && (err = avcodec_send_frame (enc, frame)) >= 0
          && (err = avcodec_receive_packet (enc, pkt)) >= 0)
        out = g_bytes_new (pkt->data, pkt->size);
    }
  if (out == NULL)
    set_av_error (error, ASSAY_ERROR_FAILED, "png", "cannot encode", err);
  av_packet_free (&pkt);
  av_frame_free (&frame);
  avcodec_free_context (&enc);
  return out;
}

AssayVideoFrame *
assay_video_frame_scale (const AssayVideoFrame *f, int width)
{
  AssayVideoFrame   *out;
  struct SwsContext *sws;
  int                height;

  g_return_val_if_fail (f != NULL && width > 0, NULL);
  height = MAX (1, (int) lround ((double) f->height * width / MAX (f->width, 1)));
  sws = sws_getContext (f->width, f->height, AV_PIX_FMT_RGBA, width, height, AV_PIX_FMT_RGBA,
                        SWS_AREA, NULL, NULL, NULL);
  if (sws == NULL)
    return NULL;
  out = g_new0 (AssayVideoFrame, 1);
  out->index = f->index;
  out->seconds = f->seconds;
  out->width = width;
  out->height = height;
  out->stride = FFALIGN (width * 4, 64);
  out->rgba = g_malloc ((gsize) out->stride * height);
  {
    const guint8 *src[4] = { f->rgba, NULL, NULL, NULL };
    int           src_lines[4] = { f->stride, 0, 0, 0 };
    guint8       *dst[4] = { out->rgba, NULL, NULL, NULL };
    int           dst_lines[4] = { out->stride, 0, 0, 0 };
    sws_scale (sws, src, src_lines, 0, f->height, dst, dst_lines);
  }
  sws_freeContext (sws);
  return out;
}
