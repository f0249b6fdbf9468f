/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-atomic-file.h: a file written whole or not at all. The bytes go to a new temporary
 * file beside the target, created with O_CREAT|O_EXCL (so never through a link planted at that
 * name); commit flushes it to disk and renames it onto the target, which replaces a link at the
 * target rather than writing through it. Until then the target keeps what it had. A target that
 * is a character device, a pipe or a socket (/dev/stdout, /dev/null, a FIFO) is written in
 * place as a stream; other special files are refused. */
#pragma once

#include <stdio.h>

#include <glib.h>

G_BEGIN_DECLS

typedef struct _AssayAtomicFile AssayAtomicFile;

/* NULL with an error naming path when the folder cannot take a new file. */
AssayAtomicFile *assay_atomic_file_new (const char *path, GError **error);
/* The stream to write to (owned by the file). */
FILE            *assay_atomic_file_get_stream (AssayAtomicFile *self);
/* NULL when the target is written in place */
const char      *assay_atomic_file_get_temp_path (AssayAtomicFile *self);
/* Flushes, syncs, closes and renames onto the target; on failure the temporary file is removed
 * and the target is as it was. Either way the stream is closed. */
gboolean         assay_atomic_file_commit (AssayAtomicFile *self, GError **error);
/* Removes the temporary file unless committed, and frees. */
void             assay_atomic_file_free (AssayAtomicFile *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AssayAtomicFile, assay_atomic_file_free)

G_END_DECLS
