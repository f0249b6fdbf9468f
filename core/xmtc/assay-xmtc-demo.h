/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-xmtc-demo.h: the demo's long-tailed labelled corpus. */
#pragma once

#include "assay-store.h"

G_BEGIN_DECLS

/* The corpus as JSONL lines (id, split, title, text, labels). */
char   *assay_xmtc_demo_corpus_jsonl (guint n_docs, guint32 seed);
/* Imports it as a dataset; returns its id, 0 on failure. */
gint64  assay_xmtc_demo_import (AssayStore *store, GError **error);

G_END_DECLS
