/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench-util.h: what the LM benchmarks share. */
#pragma once

#include <glib.h>

#include "assay-backend.h"

/* Monotonic seconds. */
double        bench_now (void);
/* Peak resident memory of this program: VmHWM, which starts afresh at exec (ru_maxrss keeps the
 * parent's peak when the parent was larger); -1 when unknown. */
long          bench_peak_rss_bytes (void);
/* The backend a --backend option names ("cuda", else the CPU with threads), or NULL after
 * printing why. */
AssayBackend *bench_backend (const char *name, int threads);
/* Best of a few sgemm runs of m x n x k on the backend, in GFLOP/s: the machine's ceiling. */
double        bench_sgemm_gflops (AssayBackend *b, int m, int n, int k);
