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
