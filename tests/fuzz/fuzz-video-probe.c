/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Fuzz target: probe a file of arbitrary bytes and sample three frames from it. */
#include <glib/gstdio.h>
#include <stdint.h>
#include <unistd.h>

#include "assay-video.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *path = NULL;
  GError          *error = NULL;
  AssayVideoInfo  *info;
  int              fd = g_file_open_tmp ("assay-fuzz-XXXXXX.video", &path, NULL);

  if (fd < 0)
    return 0;
  if (write (fd, data, size) != (ssize_t) size)
    {
      close (fd);
      g_unlink (path);
      return 0;
    }
  close (fd);
  info = assay_video_probe (path, -1, &error);
  if (info != NULL)
    {
      GArray    *idx = assay_video_sample_indices (info->frames, 3);
      GPtrArray *frames = assay_video_decode_frames (info, (const gint64 *) idx->data, (int) idx->len, NULL, &error);
      if (frames != NULL)
        {
          for (guint i = 0; i < frames->len; i++)
            {
              const AssayVideoFrame *f = frames->pdata[i];
              if (f->width <= 0 || f->height <= 0 || f->stride < 4 * f->width)
                __builtin_trap ();
            }
          g_ptr_array_unref (frames);
        }
      g_array_unref (idx);
      assay_video_info_free (info);
    }
  g_clear_error (&error);
  g_unlink (path);
  return 0;
}
