/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-backend-cpu.c: the CPU backend: OpenBLAS sgemm and OpenMP-threaded row loops. */
#include "assay-backend-cpu-grad.h"
#include "assay-backend-cpu-ops.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define HUGE_ALIGN ((size_t) 2 << 20)

typedef struct
{
  AssayBackend parent;
  int          blas_threads; /* what OpenBLAS was last told */
} AssayBackendCpu;

void
assay_cpu_blas_threads (AssayBackend *self, int n)
{
  AssayBackendCpu *cpu = (AssayBackendCpu *) self;

  if (cpu->blas_threads != n)
    {
      openblas_set_num_threads (n);
      cpu->blas_threads = n;
    }
}

static void
cpu_destroy (AssayBackend *self)
{
  free (self);
}

void *
assay_cpu_alloc (AssayBackend *self, size_t bytes)
{
  void  *ptr = NULL;
  size_t align = bytes >= HUGE_ALIGN ? HUGE_ALIGN : 64;

  if (bytes == 0)
    bytes = 1;
  if (posix_memalign (&ptr, align, bytes) != 0)
    {
      assay_backend_fail (self, ASSAY_BACKEND_E_OOM, "out of host memory allocating %zu bytes",
                          bytes);
      return NULL;
    }
#ifdef MADV_HUGEPAGE
  /* First touch of 4 KiB pages is slow on these machines; transparent huge pages help. */
  if (align == HUGE_ALIGN)
    madvise (ptr, bytes, MADV_HUGEPAGE);
#endif
  return ptr;
}

void
assay_cpu_release (AssayBackend *self, void *ptr)
{
  free (ptr);
}

static int
cpu_copy (AssayBackend *self, void *dst, const void *src, size_t bytes)
{
  if (bytes > 0)
    memcpy (dst, src, bytes);
  return ASSAY_BACKEND_OK;
}

static int
cpu_synchronize (AssayBackend *self)
{
  return ASSAY_BACKEND_OK;
}

static int
cpu_sgemm (AssayBackend *self, AssayTranspose ta, AssayTranspose tb, int m, int n, int k,
           float alpha, const float *a, int lda, const float *b, int ldb, float beta, float *c,
           int ldc)
{
  if (k == 0)
    {
      /* BLAS leaves C * beta; do it here so beta = 0 also clears NaNs like BLAS does. */
      for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++)
          c[(size_t) i * ldc + j] = beta == 0.0f ? 0.0f : beta * c[(size_t) i * ldc + j];
      return ASSAY_BACKEND_OK;
    }
  assay_cpu_blas_threads (self, self->threads);
  cblas_sgemm (CblasRowMajor, ta == ASSAY_TRANS_T ? CblasTrans : CblasNoTrans,
               tb == ASSAY_TRANS_T ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda, b, ldb,
               beta, c, ldc);
  return ASSAY_BACKEND_OK;
}

static int
cpu_softmax_rows (AssayBackend *self, float *x, int rows, int cols, int ld)
{
#pragma omp parallel for schedule(static) if (rows > 1 && (long) rows * cols > 16384)
  for (int r = 0; r < rows; r++)
    {
      float *row = x + (size_t) r * ld;
      float  mx = -INFINITY;
      double sum = 0.0;
      float  inv;

      for (int j = 0; j < cols; j++)
        mx = fmaxf (mx, row[j]);
      for (int j = 0; j < cols; j++)
        {
          row[j] = expf (row[j] - mx);
          sum += row[j];
        }
      inv = (float) (1.0 / sum);
      for (int j = 0; j < cols; j++)
        row[j] *= inv;
    }
  return ASSAY_BACKEND_OK;
}

static int
cpu_logsumexp_rows (AssayBackend *self, const float *x, int rows, int cols, int ld, float *out)
{
#pragma omp parallel for schedule(static) if (rows > 1 && (long) rows * cols > 16384)
  for (int r = 0; r < rows; r++)
    {
      const float *row = x + (size_t) r * ld;
      float        mx = -INFINITY;
      double       sum = 0.0;
      int          has_nan = 0;

      for (int j = 0; j < cols; j++)
        {
          has_nan |= isnan (row[j]);
          mx = fmaxf (mx, row[j]);
        }
      if (has_nan)
        out[r] = NAN;
      else if (isinf (mx))
        out[r] = mx;
      else
        {
          for (int j = 0; j < cols; j++)
            sum += expf (row[j] - mx);
          out[r] = mx + (float) log (sum);
        }
    }
  return ASSAY_BACKEND_OK;
}

static const AssayBackendVTable cpu_vtable = {
  .destroy = cpu_destroy,
  .alloc = assay_cpu_alloc,
  .release = assay_cpu_release,
  .upload = cpu_copy,
  .download = cpu_copy,
  .synchronize = cpu_synchronize,
  .sgemm = cpu_sgemm,
  .softmax_rows = cpu_softmax_rows,
  .logsumexp_rows = cpu_logsumexp_rows,
  .weight_init = assay_cpu_weight_init,
  .weight_clear = assay_cpu_weight_clear,
  .linear = assay_cpu_linear,
  .embed = assay_cpu_embed,
  .rmsnorm = assay_cpu_rmsnorm,
  .layernorm = assay_cpu_layernorm,
  .rope = assay_cpu_rope,
  .swiglu = assay_cpu_swiglu,
  .gelu = assay_cpu_gelu,
  .attention_scratch = assay_cpu_attention_scratch,
  .attention = assay_cpu_attention,
  .target_logprobs = assay_cpu_target_logprobs,
  .scatter_rows = assay_cpu_scatter_rows,
  .attention_cached_scratch = assay_cpu_attention_cached_scratch,
  .attention_cached = assay_cpu_attention_cached,
  .embed_backward = assay_cpu_embed_backward,
  .rmsnorm_backward = assay_cpu_rmsnorm_backward,
  .layernorm_backward = assay_cpu_layernorm_backward,
  .rope_backward = assay_cpu_rope_backward,
  .swiglu_backward = assay_cpu_swiglu_backward,
  .gelu_backward = assay_cpu_gelu_backward,
  .attention_backward_scratch = assay_cpu_attention_backward_scratch,
  .attention_backward = assay_cpu_attention_backward,
  .xent_rows = assay_cpu_xent_rows,
};

static void
openblas_version (char *buf, size_t len)
{
  const char *config = openblas_get_config ();
  const char *p;

  /* "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Haswell MAX_THREADS=64" */
  if (config != NULL && strncmp (config, "OpenBLAS ", 9) == 0)
    {
      p = config + 9;
      snprintf (buf, len, "%.*s", (int) strcspn (p, " "), p);
    }
  else
    snprintf (buf, len, "?");
}

AssayBackend *
assay_backend_cpu_new (int n_threads, char *err, size_t err_len)
{
  AssayBackendCpu *self = calloc (1, sizeof *self);
  char             version[32];
  long             pages = sysconf (_SC_PHYS_PAGES);
  long             page_size = sysconf (_SC_PAGESIZE);

  if (self == NULL)
    {
      assay_backend_write_error (err, err_len, "out of memory");
      return NULL;
    }
  if (n_threads <= 0)
    n_threads = omp_get_max_threads ();
  if (n_threads <= 0)
    n_threads = 1;
  if (n_threads > ASSAY_BACKEND_MAX_THREADS)
    n_threads = ASSAY_BACKEND_MAX_THREADS;
  openblas_set_num_threads (n_threads);
  self->blas_threads = n_threads;
  omp_set_num_threads (n_threads);

  self->parent.vt = &cpu_vtable;
  self->parent.kind = ASSAY_BACKEND_CPU;
  self->parent.threads = n_threads;
  self->parent.memory_bytes = pages > 0 && page_size > 0 ? (uint64_t) pages * page_size : 0;
  openblas_version (version, sizeof version);
  snprintf (self->parent.device_name, sizeof self->parent.device_name, "%s",
            openblas_get_corename ());
  snprintf (self->parent.description, sizeof self->parent.description,
            "CPU: OpenBLAS %s (%s), %d thread%s", version, openblas_get_corename (), n_threads,
            n_threads == 1 ? "" : "s");
  return &self->parent;
}
