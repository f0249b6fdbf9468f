/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-backend-private.h: what an implementation fills in. */
#pragma once

#include "assay-backend.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct
{
  void (*destroy) (AssayBackend *self);
  void *(*alloc) (AssayBackend *self, size_t bytes);
  void (*release) (AssayBackend *self, void *ptr);
  int (*upload) (AssayBackend *self, void *dst, const void *src, size_t bytes);
  int (*download) (AssayBackend *self, void *dst, const void *src, size_t bytes);
  int (*synchronize) (AssayBackend *self);
  int (*sgemm) (AssayBackend *self, AssayTranspose ta, AssayTranspose tb, int m, int n, int k,
                float alpha, const float *a, int lda, const float *b, int ldb, float beta,
                float *c, int ldc);
  int (*softmax_rows) (AssayBackend *self, float *x, int rows, int cols, int ld);
  int (*logsumexp_rows) (AssayBackend *self, const float *x, int rows, int cols, int ld,
                         float *out);
} AssayBackendVTable;

struct AssayBackend
{
  const AssayBackendVTable *vt;
  AssayBackendKind          kind;
  int                       threads;
  uint64_t                  memory_bytes;
  char                      device_name[128];
  char                      description[256];
  char                      error[512];
};

/* Records a message as the last error and returns status. printf-style. */
int assay_backend_fail (AssayBackend *self, int status, const char *fmt, ...)
#ifdef __GNUC__
  __attribute__ ((format (printf, 3, 4)))
#endif
  ;

void assay_backend_write_error (char *err, size_t err_len, const char *fmt, ...)
#ifdef __GNUC__
  __attribute__ ((format (printf, 3, 4)))
#endif
  ;

/* Checks the shape arguments of sgemm; shared so both implementations reject the same calls. */
int assay_backend_check_gemm (AssayBackend *self, AssayTranspose ta, AssayTranspose tb, int m,
                              int n, int k, const void *a, int lda, const void *b, int ldb,
                              const void *c, int ldc);

#ifdef __cplusplus
}
#endif
