/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-video.c: see assay-video.h. */
#include "assay-video.h"

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libdeflate.h>
#include <libswscale/swscale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "assay-error.h"

/* The largest frame decoded: 8K DCI (8192 x 4320) and a little more; 142 MB as RGBA. */
#define MAX_PIXELS (8192 * 4352)

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
  if (info->key_pos)
    g_array_unref (info->key_pos);
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

/* Opens a file; analyse: read the streams' parameters with avformat_find_stream_info (which
 * decodes frames of every stream). Without, only when the header leaves stream `want` without a
 * codec or a frame size (as raw or transport streams do): sampling opens a file probed before,
 * and the analysis was a fifth of the time of ten frames from a short small clip. */
static AVFormatContext *
open_input (const char *path, gboolean analyse, int want, GError **error)
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
  if (!analyse && want >= 0 && want < (int) fmt->nb_streams
      && fmt->streams[want]->codecpar->codec_id != AV_CODEC_ID_NONE
      && fmt->streams[want]->codecpar->width > 0 && fmt->streams[want]->codecpar->height > 0)
    return fmt;
  /* A corrupt or hostile header can declare frames of up to 16383 x 16383 (VP8), 1 GiB as RGBA
   * from a file of 2 KB: decoders refuse frames past MAX_PIXELS, here and in decode_each. */
  {
    AVDictionary **opts = g_new0 (AVDictionary *, fmt->nb_streams + 1);
    for (unsigned i = 0; i < fmt->nb_streams; i++)
      av_dict_set_int (&opts[i], "max_pixels", MAX_PIXELS, 0);
    err = avformat_find_stream_info (fmt, opts);
    for (unsigned i = 0; i < fmt->nb_streams; i++)
      av_dict_free (&opts[i]);
    g_free (opts);
  }
  if (err < 0)
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
  AVFormatContext *fmt = open_input (path, TRUE, -1, error);
  g_autoptr (AssayVideoInfo) info = NULL;
  const AVCodec *codec = NULL;
  AVStream      *st;
  AVPacket      *pkt;
  gint64         last_end = AV_NOPTS_VALUE, file_size;
  AVRational     rate;
  g_autoptr (GArray) keys = g_array_new (FALSE, FALSE, 2 * sizeof (gint64)); /* pts, pos */
  gint64         last_pos = -1, max_t = AV_NOPTS_VALUE, step = 0;
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
  if ((gint64) st->codecpar->width * st->codecpar->height > MAX_PIXELS)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_UNSUPPORTED,
                   "%s: frames of %d\u00d7%d are larger than Assay decodes (at most %.1f megapixels, 8K)",
                   path, st->codecpar->width, st->codecpar->height, MAX_PIXELS / 1e6);
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
  info->key_pos = g_array_new (FALSE, FALSE, sizeof (gint64));
  pkt = av_packet_alloc ();
  file_size = fmt->pb != NULL ? avio_size (fmt->pb) : -1;
  while ((err = av_read_frame (fmt, pkt)) >= 0)
    {
      /* a packet cut off by the end of a truncated file is not a frame */
      gboolean whole = pkt->pos < 0 || file_size <= 0 || pkt->pos + pkt->size <= file_size;
      gint64   here = pkt->pos;
      if (pkt->stream_index == stream && whole && !(pkt->flags & AV_PKT_FLAG_CORRUPT))
        {
          gint64 t = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
          /* a packet without a pts (a program stream's last, say) shows after every frame seen so
           * far when its dts says nothing later: one frame on from the latest */
          if (pkt->pts == AV_NOPTS_VALUE && t != AV_NOPTS_VALUE && max_t != AV_NOPTS_VALUE && t <= max_t)
            t = max_t + (pkt->duration > 0 ? pkt->duration : step > 0 ? step : 1);
          if (t != AV_NOPTS_VALUE)
            {
              if (max_t != AV_NOPTS_VALUE && t > max_t && pkt->pts != AV_NOPTS_VALUE)
                step = t - max_t;
              if (max_t == AV_NOPTS_VALUE || t > max_t)
                max_t = t;
              g_array_append_val (info->pts, t);
              if (pkt->flags & AV_PKT_FLAG_KEY)
                {
                  /* a packet of a program stream may not know where it starts: the last place
                   * known before it (decoding from there reaches the key frame) */
                  gint64 pair[2] = { t, pkt->pos >= 0 ? pkt->pos : last_pos };
                  g_array_append_vals (keys, pair, 1);
                }
              if (last_end == AV_NOPTS_VALUE || t + pkt->duration > last_end)
                last_end = t + pkt->duration;
            }
        }
      if (here >= 0)
        last_pos = here;
      av_packet_unref (pkt);
    }
  av_packet_free (&pkt);
  avformat_close_input (&fmt);
  if (err != AVERROR_EOF && info->pts->len == 0)
    {
      set_av_error (error, ASSAY_ERROR_INVALID_INPUT, path, "cannot read packets", err);
      return NULL;
    }
  if (info->pts->len == 0 || keys->len == 0 || info->width <= 0 || info->height <= 0)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   "%s: the video stream has no decodable frames (truncated?)", path);
      return NULL;
    }
  g_array_sort (info->pts, cmp_i64);
  /* key frames by pts, each with its position */
  g_array_sort (keys, cmp_i64);
  for (guint k = 0; k < keys->len; k++)
    {
      const gint64 *pair = &g_array_index (keys, gint64, 2 * k);
      g_array_append_val (info->key_pts, pair[0]);
      g_array_append_val (info->key_pos, pair[1]);
    }
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

gboolean
assay_video_decode_each (const AssayVideoInfo *info, const gint64 *indices, int n,
                         AssayVideoFrameFunc func, gpointer data, GCancellable *cancellable,
                         GError **error)
{
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
  gint64             step = 0; /* a frame's time in the stream's time base */

  for (int i = 0; i < n; i++)
    if (indices[i] < 0 || indices[i] >= info->frames || (i > 0 && indices[i] <= indices[i - 1]))
      {
        g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                     "%s: frame indices must ascend within 0..%" G_GINT64_FORMAT, info->path, info->frames - 1);
        return FALSE;
      }
  if ((fmt = open_input (info->path, FALSE, info->stream, error)) == NULL)
    return FALSE;
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
  dec->max_pixels = MAX_PIXELS;
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
  /* a frame's time: the least gap between frames */
  for (guint i = 1; i < info->pts->len; i++)
    {
      gint64 d = g_array_index (info->pts, gint64, i) - g_array_index (info->pts, gint64, i - 1);
      if (d > 0 && (step == 0 || d < step))
        step = d;
    }

  while (t < n)
    {
      gint64 target = g_array_index (info->pts, gint64, indices[t]);
      gint64 key = g_array_index (info->key_pts, gint64, 0);
      gint64 key_pos = info->key_pos != NULL && info->key_pos->len > 0 ? g_array_index (info->key_pos, gint64, 0) : -1;

      for (guint k = 0; k < info->key_pts->len && g_array_index (info->key_pts, gint64, k) <= target; k++)
        {
          key = g_array_index (info->key_pts, gint64, k);
          key_pos = info->key_pos != NULL && k < info->key_pos->len ? g_array_index (info->key_pos, gint64, k) : -1;
        }
      /* seek only when the key frame before the target lies beyond what was decoded */
      if (!started || key > decoded_upto)
        {
          if (started || key > g_array_index (info->pts, gint64, 0))
            {
              /* MPEG transport and program streams seek by time with a search over their
               * timestamps that lands past the last key frames: go to the key frame's bytes */
              if ((fmt->iformat->flags & AVFMT_TS_DISCONT) && key_pos >= 0)
                err = av_seek_frame (fmt, info->stream, key_pos, AVSEEK_FLAG_BYTE);
              else
                err = av_seek_frame (fmt, info->stream, key, AVSEEK_FLAG_BACKWARD);
              if (err < 0)
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
          /* a frame without a timestamp follows the one before by a frame's time (as the probe
           * counted its packet) */
          if (pts == AV_NOPTS_VALUE)
            pts = decoded_upto != G_MININT64 ? decoded_upto + step : g_array_index (info->pts, gint64, 0);
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
              t++;
              if (!func (f, data, error))
                goto out;
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
  return ok;
}

static gboolean
collect_frame (AssayVideoFrame *frame, gpointer data, GError **error)
{
  g_ptr_array_add (data, frame);
  return TRUE;
}

GPtrArray *
assay_video_decode_frames (const AssayVideoInfo *info, const gint64 *indices, int n,
                           GCancellable *cancellable, GError **error)
{
  g_autoptr (GPtrArray) frames = g_ptr_array_new_with_free_func ((GDestroyNotify) assay_video_frame_free);

  if (!assay_video_decode_each (info, indices, n, collect_frame, frames, cancellable, error))
    return NULL;
  return g_steal_pointer (&frames);
}

/* ---- sampling to PNG, encoding beside decoding ------------------------------------------------ */

void
assay_video_png_free (AssayVideoPng *png)
{
  if (png == NULL)
    return;
  g_clear_pointer (&png->png, g_bytes_unref);
  g_clear_pointer (&png->thumb, g_bytes_unref);
  g_free (png);
}

typedef struct
{
  GThreadPool *pool;
  GPtrArray   *out;   /* AssayVideoPng per target, filled by the encoders */
  int          thumb_width;
  GMutex       lock;
  GError      *error; /* the first encoder failure */
  guint        next;  /* position of the next decoded frame */
} Sampling;

typedef struct
{
  AssayVideoFrame *frame;
  AssayVideoPng   *slot;
} EncodeTask;

static void
encode_task (gpointer data, gpointer user_data)
{
  EncodeTask      *task = data;
  Sampling        *s = user_data;
  g_autoptr (GError) local = NULL;
  AssayVideoFrame *f = task->frame;

  task->slot->png = assay_video_frame_encode_png (f, &local);
  if (task->slot->png != NULL && s->thumb_width > 0)
    {
      g_autoptr (AssayVideoFrame) thumb = assay_video_frame_scale (f, MIN (s->thumb_width, f->width));
      task->slot->thumb = thumb != NULL ? assay_video_frame_encode_png (thumb, &local) : NULL;
      if (thumb == NULL && local == NULL)
        g_set_error (&local, ASSAY_ERROR, ASSAY_ERROR_FAILED, "cannot scale frame %" G_GINT64_FORMAT,
                     f->index);
    }
  if (local != NULL)
    {
      g_mutex_lock (&s->lock);
      if (s->error == NULL)
        s->error = g_steal_pointer (&local);
      g_mutex_unlock (&s->lock);
    }
  assay_video_frame_free (f);
  g_free (task);
}

static gboolean
push_frame (AssayVideoFrame *frame, gpointer data, GError **error)
{
  Sampling      *s = data;
  AssayVideoPng *slot = g_new0 (AssayVideoPng, 1);
  EncodeTask    *task = g_new (EncodeTask, 1);

  slot->index = frame->index;
  slot->seconds = frame->seconds;
  slot->width = frame->width;
  slot->height = frame->height;
  g_ptr_array_add (s->out, slot);
  task->frame = frame;
  task->slot = slot;
  return g_thread_pool_push (s->pool, task, error);
}

GPtrArray *
assay_video_sample_png (const AssayVideoInfo *info, const gint64 *indices, int n, int thumb_width,
                        GCancellable *cancellable, GError **error)
{
  Sampling s = { 0 };
  gboolean ok;

  s.out = g_ptr_array_new_with_free_func ((GDestroyNotify) assay_video_png_free);
  s.thumb_width = thumb_width;
  g_mutex_init (&s.lock);
  /* one encoder beside the decoder: the frame threads of a small or key-frame-bound video leave
   * a core idle much of the time, and a frame is freed as soon as it is encoded */
  s.pool = g_thread_pool_new (encode_task, &s, 1, FALSE, NULL);
  ok = assay_video_decode_each (info, indices, n, push_frame, &s, cancellable, error);
  g_thread_pool_free (s.pool, FALSE, TRUE); /* waits for the encoder */
  if (ok && s.error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&s.error));
      ok = FALSE;
    }
  g_clear_error (&s.error);
  g_mutex_clear (&s.lock);
  if (!ok)
    {
      g_ptr_array_unref (s.out);
      return NULL;
    }
  return s.out;
}

static void
put_be32 (guint8 *p, guint32 v)
{
  p[0] = (guint8) (v >> 24);
  p[1] = (guint8) (v >> 16);
  p[2] = (guint8) (v >> 8);
  p[3] = (guint8) v;
}

/* Appends a PNG chunk: length, type, data, CRC of type and data. */
static void
append_chunk (GByteArray *png, const char *type, const guint8 *data, gsize len)
{
  guint8  head[8], tail[4];
  guint32 crc;

  put_be32 (head, (guint32) len);
  memcpy (head + 4, type, 4);
  g_byte_array_append (png, head, 8);
  if (len > 0)
    g_byte_array_append (png, data, (guint) len);
  crc = libdeflate_crc32 (0, head + 4, 4);
  if (len > 0) /* (a NULL buffer asks libdeflate for the initial value, whatever crc holds) */
    crc = libdeflate_crc32 (crc, data, len);
  put_be32 (tail, crc);
  g_byte_array_append (png, tail, 4);
}

/* PNG written here with libdeflate at level 1 (three times zlib's speed at its fastest level):
 * RGB when every pixel is opaque (decoded video always is), else RGBA; rows filtered with "Sub",
 * which costs little and keeps files near zlib's size. */
GBytes *
assay_video_frame_encode_png (const AssayVideoFrame *f, GError **error)
{
  static const guint8 signature[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
  struct libdeflate_compressor *z;
  gboolean   opaque = TRUE;
  int        bpp, row;
  gsize      raw_len, bound, zlen;
  guint8    *raw, *zdata, ihdr[13];
  GByteArray *png;

  if (f->width <= 0 || f->height <= 0)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_FAILED, "png: an empty frame");
      return NULL;
    }
  /* opaque? (decoded video always is) */
  for (int y = 0; y < f->height && opaque; y++)
    {
      const guint8 *p = f->rgba + (gsize) y * f->stride;
      guint8        all = 255;
      for (int x = 0; x < f->width; x++)
        all &= p[4 * x + 3];
      opaque = all == 255;
    }
  bpp = opaque ? 3 : 4;
  row = 1 + f->width * bpp;
  raw_len = (gsize) row * f->height;
  raw = g_malloc (raw_len);
  /* one pass: the Sub filter (each byte minus the same channel of the pixel to its left)
   * straight from the RGBA rows */
  for (int y = 0; y < f->height; y++)
    {
      const guint8 *src = f->rgba + (gsize) y * f->stride;
      guint8       *dst = raw + (gsize) y * row;

      *dst++ = 1;
      if (opaque)
        {
          guint8 r = 0, g = 0, b = 0;
          for (int x = 0; x < f->width; x++, src += 4, dst += 3)
            {
              dst[0] = (guint8) (src[0] - r);
              dst[1] = (guint8) (src[1] - g);
              dst[2] = (guint8) (src[2] - b);
              r = src[0];
              g = src[1];
              b = src[2];
            }
        }
      else
        {
          guint8 prev[4] = { 0, 0, 0, 0 };
          for (int x = 0; x < f->width; x++, src += 4, dst += 4)
            for (int c = 0; c < 4; c++)
              {
                dst[c] = (guint8) (src[c] - prev[c]);
                prev[c] = src[c];
              }
        }
    }
  z = libdeflate_alloc_compressor (1);
  if (z == NULL)
    {
      g_free (raw);
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_OUT_OF_MEMORY, "png: no memory for the compressor");
      return NULL;
    }
  bound = libdeflate_zlib_compress_bound (z, raw_len);
  zdata = g_malloc (bound);
  zlen = libdeflate_zlib_compress (z, raw, raw_len, zdata, bound);
  libdeflate_free_compressor (z);
  g_free (raw);
  if (zlen == 0)
    {
      g_free (zdata);
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_FAILED, "png: compression failed");
      return NULL;
    }
  png = g_byte_array_sized_new ((guint) (zlen + 64));
  g_byte_array_append (png, signature, 8);
  put_be32 (ihdr, (guint32) f->width);
  put_be32 (ihdr + 4, (guint32) f->height);
  ihdr[8] = 8;                  /* bits per channel */
  ihdr[9] = opaque ? 2 : 6;     /* RGB or RGBA */
  ihdr[10] = ihdr[11] = ihdr[12] = 0;
  append_chunk (png, "IHDR", ihdr, sizeof ihdr);
  append_chunk (png, "IDAT", zdata, zlen);
  append_chunk (png, "IEND", NULL, 0);
  g_free (zdata);
  return g_byte_array_free_to_bytes (png);
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
