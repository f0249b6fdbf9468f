/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-backend.c: dispatch from the public interface to the implementation's table. */
#include "assay-backend-private.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int
assay_backend_fail (AssayBackend *self, int status, const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  vsnprintf (self->error, sizeof self->error, fmt, ap);
  va_end (ap);
  return status;
}

void
assay_backend_write_error (char *err, size_t err_len, const char *fmt, ...)
{
  va_list ap;

  if (err == NULL || err_len == 0)
    return;
  va_start (ap, fmt);
  vsnprintf (err, err_len, fmt, ap);
  va_end (ap);
}

int
assay_backend_check_gemm (AssayBackend *self, AssayTranspose ta, AssayTranspose tb, int m, int n,
                          int k, const void *a, int lda, const void *b, int ldb, const void *c,
                          int ldc)
{
  int a_cols = ta == ASSAY_TRANS_N ? k : m;
  int b_cols = tb == ASSAY_TRANS_N ? n : k;

  if (m < 0 || n < 0 || k < 0)
    return assay_backend_fail (self, ASSAY_BACKEND_E_INVALID,
                               "sgemm: negative size (m=%d n=%d k=%d)", m, n, k);
  if ((ta != ASSAY_TRANS_N && ta != ASSAY_TRANS_T) || (tb != ASSAY_TRANS_N && tb != ASSAY_TRANS_T))
    return assay_backend_fail (self, ASSAY_BACKEND_E_INVALID, "sgemm: bad transpose flag");
  if (lda < (a_cols > 1 ? a_cols : 1))
    return assay_backend_fail (self, ASSAY_BACKEND_E_INVALID, "sgemm: lda=%d < %d", lda, a_cols);
  if (ldb < (b_cols > 1 ? b_cols : 1))
    return assay_backend_fail (self, ASSAY_BACKEND_E_INVALID, "sgemm: ldb=%d < %d", ldb, b_cols);
  if (ldc < (n > 1 ? n : 1))
    return assay_backend_fail (self, ASSAY_BACKEND_E_INVALID, "sgemm: ldc=%d < %d", ldc, n);
  if ((m > 0 && n > 0 && c == NULL) || (m > 0 && n > 0 && k > 0 && (a == NULL || b == NULL)))
    return assay_backend_fail (self, ASSAY_BACKEND_E_INVALID, "sgemm: NULL matrix");
  return ASSAY_BACKEND_OK;
}

void
assay_backend_free (AssayBackend *self)
{
  if (self != NULL)
    self->vt->destroy (self);
}

AssayBackendKind
assay_backend_kind (const AssayBackend *self)
{
  return self->kind;
}

const char *
assay_backend_describe (const AssayBackend *self)
{
  return self->description;
}

const char *
assay_backend_device_name (const AssayBackend *self)
{
  return self->device_name;
}

int
assay_backend_threads (const AssayBackend *self)
{
  return self->threads;
}

uint64_t
assay_backend_memory_bytes (const AssayBackend *self)
{
  return self->memory_bytes;
}

const char *
assay_backend_last_error (const AssayBackend *self)
{
  return self->error;
}

void *
assay_backend_alloc (AssayBackend *self, size_t bytes)
{
  return self->vt->alloc (self, bytes);
}

void
assay_backend_release (AssayBackend *self, void *ptr)
{
  if (ptr != NULL)
    self->vt->release (self, ptr);
}

int
assay_backend_upload (AssayBackend *self, void *dst, const void *src, size_t bytes)
{
  return self->vt->upload (self, dst, src, bytes);
}

int
assay_backend_download (AssayBackend *self, void *dst, const void *src, size_t bytes)
{
  return self->vt->download (self, dst, src, bytes);
}

int
assay_backend_synchronize (AssayBackend *self)
{
  return self->vt->synchronize (self);
}

int
assay_backend_sgemm (AssayBackend *self, AssayTranspose ta, AssayTranspose tb, int m, int n, int k,
                     float alpha, const float *a, int lda, const float *b, int ldb, float beta,
                     float *c, int ldc)
{
  int status = assay_backend_check_gemm (self, ta, tb, m, n, k, a, lda, b, ldb, c, ldc);

  if (status != ASSAY_BACKEND_OK)
    return status;
  if (m == 0 || n == 0)
    return ASSAY_BACKEND_OK;
  return self->vt->sgemm (self, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

int
assay_backend_softmax_rows (AssayBackend *self, float *x, int rows, int cols, int ld)
{
  if (rows < 0 || cols < 0 || ld < cols || (rows > 0 && cols > 0 && x == NULL))
    return assay_backend_fail (self, ASSAY_BACKEND_E_INVALID,
                               "softmax: bad shape (rows=%d cols=%d ld=%d)", rows, cols, ld);
  if (rows == 0 || cols == 0)
    return ASSAY_BACKEND_OK;
  return self->vt->softmax_rows (self, x, rows, cols, ld);
}

int
assay_backend_logsumexp_rows (AssayBackend *self, const float *x, int rows, int cols, int ld,
                              float *out)
{
  if (rows < 0 || cols <= 0 || ld < cols || (rows > 0 && (x == NULL || out == NULL)))
    return assay_backend_fail (self, ASSAY_BACKEND_E_INVALID,
                               "logsumexp: bad shape (rows=%d cols=%d ld=%d)", rows, cols, ld);
  if (rows == 0)
    return ASSAY_BACKEND_OK;
  return self->vt->logsumexp_rows (self, x, rows, cols, ld, out);
}
