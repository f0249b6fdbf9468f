/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-atomic-file.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "assay-error.h"

struct _AssayAtomicFile
{
  char    *path;
  char    *temp;     /* NULL when written in place */
  FILE    *stream;
  gboolean done;     /* committed, or the temporary file already removed */
};

/* A target that is a character device, a pipe or a socket (/dev/stdout, /dev/null, a FIFO),
 * itself or through a link: written in place, as a stream (a rename would replace the device
 * node). */
static AssayAtomicFile *
open_in_place (const char *path, GError **error)
{
  AssayAtomicFile *self;
  int              fd = g_open (path, O_WRONLY | O_CLOEXEC | O_NOCTTY, 0);
  FILE            *stream;

  if (fd < 0 || (stream = fdopen (fd, "w")) == NULL)
    {
      int saved = errno;
      if (fd >= 0)
        close (fd);
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_FAILED, "%s: %s", path, g_strerror (saved));
      return NULL;
    }
  self = g_new0 (AssayAtomicFile, 1);
  self->path = g_strdup (path);
  self->stream = stream;
  return self;
}

AssayAtomicFile *
assay_atomic_file_new (const char *path, GError **error)
{
  g_autofree char *base = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *temp = NULL;
  AssayAtomicFile *self;
  int              fd;
  FILE            *stream;

  GStatBuf         st;

  g_return_val_if_fail (path != NULL, NULL);
  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_FAILED, "%s: is a folder", path);
      return NULL;
    }
  if (g_stat (path, &st) == 0 && !S_ISREG (st.st_mode))
    {
      if (S_ISCHR (st.st_mode) || S_ISFIFO (st.st_mode) || S_ISSOCK (st.st_mode))
        return open_in_place (path, error);
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_FAILED,
                   "%s: not a regular file (a device or another special file)", path);
      return NULL;
    }
  base = g_path_get_basename (path);
  dir = g_path_get_dirname (path);
  /* a hidden name beside the target: the rename stays inside one file system */
  temp = g_strdup_printf ("%s%s.%s.XXXXXX", dir, G_DIR_SEPARATOR_S, base);
  if ((fd = g_mkstemp_full (temp, O_RDWR | O_CLOEXEC, 0666)) < 0)
    {
      int saved = errno;
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_FAILED, "%s: cannot create a file in %s: %s", path,
                   dir, g_strerror (saved));
      return NULL;
    }
  if ((stream = fdopen (fd, "w")) == NULL)
    {
      int saved = errno;
      close (fd);
      g_unlink (temp);
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_FAILED, "%s: %s", path, g_strerror (saved));
      return NULL;
    }
  self = g_new0 (AssayAtomicFile, 1);
  self->path = g_strdup (path);
  self->temp = g_steal_pointer (&temp);
  self->stream = stream;
  return self;
}

FILE *
assay_atomic_file_get_stream (AssayAtomicFile *self)
{
  return self->stream;
}

const char *
assay_atomic_file_get_temp_path (AssayAtomicFile *self)
{
  return self->temp;
}

gboolean
assay_atomic_file_commit (AssayAtomicFile *self, GError **error)
{
  int saved = 0;

  g_return_val_if_fail (self != NULL && !self->done, FALSE);
  errno = 0;
  if (fflush (self->stream) != 0 || ferror (self->stream))
    saved = errno != 0 ? errno : EIO;
  else if (self->temp != NULL && fsync (fileno (self->stream)) != 0 && errno != EINVAL)
    saved = errno;
  if (fclose (self->stream) != 0 && saved == 0)
    saved = errno;
  self->stream = NULL;
  if (saved == 0 && self->temp != NULL && g_rename (self->temp, self->path) != 0)
    saved = errno;
  if (saved != 0)
    {
      if (self->temp != NULL)
        g_unlink (self->temp);
      self->done = TRUE;
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_FAILED, "%s: %s", self->path, g_strerror (saved));
      return FALSE;
    }
  self->done = TRUE;
  return TRUE;
}

void
assay_atomic_file_free (AssayAtomicFile *self)
{
  if (self == NULL)
    return;
  if (self->stream != NULL)
    fclose (self->stream);
  if (!self->done && self->temp != NULL)
    g_unlink (self->temp);
  g_free (self->path);
  g_free (self->temp);
  g_free (self);
}
