/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-backend.h: the compute backend interface shared by the CPU and CUDA implementations.
 *
 * Plain C, no GLib. All matrices are row-major float32. Pointers passed to the operations live in
 * the backend's memory space: host memory for the CPU backend, device memory for the CUDA backend;
 * use assay_backend_alloc() / upload() / download() to move data. Every operation returns 0 on
 * success or an AssayBackendStatus; the message of the last failure is assay_backend_last_error().
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct AssayBackend AssayBackend;

typedef enum
{
  ASSAY_BACKEND_CPU = 0,
  ASSAY_BACKEND_CUDA = 1,
} AssayBackendKind;

typedef enum
{
  ASSAY_TRANS_N = 0,
  ASSAY_TRANS_T = 1,
} AssayTranspose;

typedef enum
{
  ASSAY_BACKEND_OK = 0,
  ASSAY_BACKEND_E_UNAVAILABLE = 1, /* no such backend / device */
  ASSAY_BACKEND_E_OOM = 2,         /* allocation failed */
  ASSAY_BACKEND_E_INVALID = 3,     /* bad arguments */
  ASSAY_BACKEND_E_DEVICE = 4,      /* a device-side failure (CUDA/cuBLAS error) */
} AssayBackendStatus;

/* Construction. On failure they return NULL and write a message into err (if given). */
AssayBackend *assay_backend_cpu_new (int n_threads, char *err, size_t err_len);
AssayBackend *assay_backend_cuda_new (int device, char *err, size_t err_len);
bool          assay_backend_cuda_compiled (void);
void          assay_backend_free (AssayBackend *self);

AssayBackendKind assay_backend_kind (const AssayBackend *self);
/* e.g. "CPU: OpenBLAS 0.3.21, 2 threads" or "CUDA: NVIDIA H100 80GB HBM3, 79.1 GiB" */
const char      *assay_backend_describe (const AssayBackend *self);
const char      *assay_backend_device_name (const AssayBackend *self);
int              assay_backend_threads (const AssayBackend *self);
uint64_t         assay_backend_memory_bytes (const AssayBackend *self);
const char      *assay_backend_last_error (const AssayBackend *self);

/* Memory in the backend's space. alloc returns NULL on failure (last_error says why). */
void *assay_backend_alloc (AssayBackend *self, size_t bytes);
void  assay_backend_release (AssayBackend *self, void *ptr);
int   assay_backend_upload (AssayBackend *self, void *dst, const void *host_src, size_t bytes);
int   assay_backend_download (AssayBackend *self, void *host_dst, const void *src, size_t bytes);
int   assay_backend_synchronize (AssayBackend *self);

/* C (m x n) = alpha * op(A) * op(B) + beta * C, row-major; op(A) is m x k, op(B) is k x n.
 * lda/ldb/ldc are row strides in elements of the matrices as stored. */
int assay_backend_sgemm (AssayBackend  *self,
                         AssayTranspose trans_a,
                         AssayTranspose trans_b,
                         int            m,
                         int            n,
                         int            k,
                         float          alpha,
                         const float   *a,
                         int            lda,
                         const float   *b,
                         int            ldb,
                         float          beta,
                         float         *c,
                         int            ldc);

/* In place: each of `rows` rows of `cols` values (row stride ld) becomes its softmax. */
int assay_backend_softmax_rows (AssayBackend *self, float *x, int rows, int cols, int ld);

/* out[r] = log(sum_j exp(x[r][j])) for each row; out has `rows` floats in backend memory. */
int assay_backend_logsumexp_rows (AssayBackend *self,
                                  const float  *x,
                                  int           rows,
                                  int           cols,
                                  int           ld,
                                  float        *out);

#ifdef __cplusplus
}
#endif
