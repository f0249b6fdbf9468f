/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-video.h: probing a video file and sampling frames from it with FFmpeg, in process. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct
{
  char   *path;
  char   *container;  /* FFmpeg's demuxer name, e.g. "mov,mp4,m4a,3gp,3g2,mj2" */
  char   *codec;      /* e.g. "h264" */
  int     stream;     /* index of the video stream in the file */
  int     width;
  int     height;
  gint64  frames;     /* frames of the video stream (its packets, counted) */
  double  duration;   /* seconds of the video stream, not the container */
  double  fps;
  int     tb_num, tb_den;  /* the stream's time base */
  GArray *pts;        /* gint64 per frame, presentation order */
  GArray *key_pts;    /* gint64 pts of the key frames, ascending */
  GArray *key_pos;    /* gint64 byte position of each of those key frames' packets (-1: unknown) */
} AssayVideoInfo;

typedef struct
{
  gint64  index;   /* frame number in presentation order */
  double  seconds; /* its presentation time */
  int     width;
  int     height;
  int     stride;  /* bytes per row, a multiple of 64 */
  guint8 *rgba;    /* stride * height bytes, RGBA */
} AssayVideoFrame;

/* Opens the file and reads every packet of its video stream (stream < 0: FFmpeg's best) without
 * decoding. A clear error for unreadable, truncated-to-nothing, audio-only or undecodable files. */
AssayVideoInfo  *assay_video_probe (const char *path, int stream, GError **error);
void             assay_video_info_free (AssayVideoInfo *info);

/* round(linspace(0, n - 1, count)) with the halves rounded to even like NumPy; fewer when n is
 * smaller than count (each frame once). */
GArray          *assay_video_sample_indices (gint64 n_frames, int count);

/* Decodes the frames at indices (ascending) in one pass: targets are visited in order and the
 * demuxer seeks back to a key frame only when the key frame before the next target lies beyond
 * what was already decoded. Frame threads; RGBA at the stream's size. */
GPtrArray       *assay_video_decode_frames (const AssayVideoInfo *info,
                                            const gint64         *indices,
                                            int                   n,
                                            GCancellable         *cancellable,
                                            GError              **error);
void             assay_video_frame_free (AssayVideoFrame *frame);

/* The same, handing each frame (to own) to func as soon as it is decoded; func returning FALSE
 * (with an error) stops. */
typedef gboolean (*AssayVideoFrameFunc) (AssayVideoFrame *frame, gpointer data, GError **error);
gboolean         assay_video_decode_each (const AssayVideoInfo *info,
                                          const gint64         *indices,
                                          int                   n,
                                          AssayVideoFrameFunc   func,
                                          gpointer              data,
                                          GCancellable         *cancellable,
                                          GError              **error);

/* A sampled frame as PNG, and its thumbnail (NULL unless asked for) */
typedef struct
{
  gint64  index;
  double  seconds;
  int     width;
  int     height;
  GBytes *png;
  GBytes *thumb;
} AssayVideoPng;

void             assay_video_png_free (AssayVideoPng *png);
/* Decodes the frames at indices and encodes each as PNG (and a thumbnail thumb_width wide when
 * thumb_width > 0) on a second thread while the next ones decode: the decode chain's time plus
 * little, and never more than one frame held beyond the decoder's. AssayVideoPng per index. */
GPtrArray       *assay_video_sample_png (const AssayVideoInfo *info,
                                         const gint64         *indices,
                                         int                   n,
                                         int                   thumb_width,
                                         GCancellable         *cancellable,
                                         GError              **error);
/* The frame scaled to width (height in proportion; area averaging), e.g. a thumbnail. */
AssayVideoFrame *assay_video_frame_scale (const AssayVideoFrame *frame, int width);
/* PNG (FFmpeg's encoder) of a frame; encoded bytes, for files or the workspace. */
GBytes          *assay_video_frame_encode_png (const AssayVideoFrame *frame, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AssayVideoInfo, assay_video_info_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AssayVideoFrame, assay_video_frame_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AssayVideoPng, assay_video_png_free)

G_END_DECLS
