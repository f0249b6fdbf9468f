/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench-util.c: see bench-util.h. */
#include "bench-util.h"

#include <string.h>

double
bench_now (void)
{
  return g_get_monotonic_time () / 1e6;
}

long
bench_peak_rss_bytes (void)
{
  g_autofree char *status = NULL;
  const char      *p;

  if (g_file_get_contents ("/proc/self/status", &status, NULL, NULL)
      && (p = strstr (status, "VmHWM:")) != NULL)
    return (long) g_ascii_strtoll (p + 6, NULL, 10) * 1024;
  return -1;
}

AssayBackend *
bench_backend (const char *name, int threads)
{
  char          err[256];
  AssayBackend *b = name != NULL && g_str_equal (name, "cuda") ? assay_backend_cuda_new (0, err, sizeof err)
                                                              : assay_backend_cpu_new (threads, err, sizeof err);

  if (b == NULL)
    g_printerr ("%s\n", err);
  return b;
}

/* Best of a few sgemm runs of m x n x k, in GFLOP/s. */
double
bench_sgemm_gflops (AssayBackend *b, int m, int n, int k)
{
  float *A = assay_backend_alloc (b, (gsize) m * k * 4), *B = assay_backend_alloc (b, (gsize) n * k * 4);
  float *C = assay_backend_alloc (b, (gsize) m * n * 4);
  float *h = g_new (float, (gsize) MAX (m, n) * k);
  double best = 0;

  for (gsize i = 0; i < (gsize) MAX (m, n) * k; i++)
    h[i] = (float) ((i * 2654435761u) % 1000) / 1000.0f - 0.5f;
  assay_backend_upload (b, A, h, (gsize) m * k * 4);
  assay_backend_upload (b, B, h, (gsize) n * k * 4);
  for (int r = 0; r < 4; r++)
    {
      double t0 = bench_now (), t;
      assay_backend_sgemm (b, ASSAY_TRANS_N, ASSAY_TRANS_T, m, n, k, 1.0f, A, k, B, k, 0.0f, C, n);
      assay_backend_synchronize (b);
      t = bench_now () - t0;
      if (r > 0)
        best = MAX (best, 2.0 * m * n * k / t / 1e9);
    }
  assay_backend_release (b, A);
  assay_backend_release (b, B);
  assay_backend_release (b, C);
  g_free (h);
  return best;
}

