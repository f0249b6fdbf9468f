/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-gen-demo.h: the demo workspace's generation records: GenCo elaborations and
 * label-conditioned rewrites, sampled response pairs, LLMiner QA, reasoning traces with their
 * first errors, and chart-question pairs, with a review already under way. */
#pragma once

#include "assay-store.h"

G_BEGIN_DECLS

gboolean assay_gen_demo_import (AssayStore *store, GError **error);

G_END_DECLS
