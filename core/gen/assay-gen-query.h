/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-gen-query.h: which records a view or an export covers: filters over kind, status,
 * model, condition label and rating, and full-text search (SQLite FTS5 over prompt, text,
 * rejected side, source and edit). The status "accepted" also matches edited records (an edit
 * is an acceptance with changes). */
#pragma once

#include "assay-gen-record.h"

G_BEGIN_DECLS

/* The order of a view: as imported (by id), or in order of doubt under the dataset's label
 * model over its signals (gen_signals, assay-signals.h): lowest P(good) first, or P(good)
 * nearest 1/2 first. Records the model has not seen come last, by id. */
typedef enum
{
  ASSAY_GEN_ORDER_IMPORT,
  ASSAY_GEN_ORDER_LIKELY_WRONG,
  ASSAY_GEN_ORDER_UNCERTAIN,
} AssayGenOrder;

typedef struct
{
  gint64      dataset;    /* 0: every dataset */
  int         status;     /* AssayGenStatus, or -1 any */
  const char *kind;       /* NULL: any */
  const char *model;
  const char *condition;
  int         min_rating; /* 0: any */
  int         max_rating;
  const char *search;     /* words; the last one matches as a prefix */
  gboolean    traces;     /* only reasoning traces and trace pairs (kinds trace, pair) */
  gboolean    wrong;      /* only traces judged wrong or with a labelled first error */
  const char *ranked;     /* a JSON list of record ids, best first (a search by meaning): only
                           * these, in this order (before `order`) */
  AssayGenOrder order;
} AssayGenFilter;

void    assay_gen_filter_init (AssayGenFilter *filter);
/* A copy that owns its strings (for another thread), freed with assay_gen_filter_free */
AssayGenFilter *assay_gen_filter_dup (const AssayGenFilter *filter);
void    assay_gen_filter_free (AssayGenFilter *filter);
/* The first record after `after` (by id) that the filter keeps, wrapping round to the first;
 * 0 when it keeps none. One indexed query: for "next pending" as the reviewer goes. In order
 * of doubt: the first record in that order other than `after`. */
gint64  assay_gen_query_next (AssayStore *store, const AssayGenFilter *filter, gint64 after,
                              GError **error);
/* Record ids in the filter's order (gint64) */
GArray *assay_gen_query_ids (AssayStore *store, const AssayGenFilter *filter, GError **error);
/* Counts per status over the filter without its status: out[AssayGenStatus] */
gboolean assay_gen_count_status (AssayStore *store, const AssayGenFilter *filter, guint out[4],
                                 GError **error);
/* The statistics view: counts per status and per rating (rating[0]: unrated, 1..5) of the records
 * the filter keeps (its status aside), for all of them (kind NULL, first) and per kind. */
typedef struct
{
  char  *kind;
  guint  total;
  guint  status[4];
  guint  rating[6];
} AssayGenStats;

void       assay_gen_stats_free (AssayGenStats *stats);
GPtrArray *assay_gen_stats (AssayStore *store, const AssayGenFilter *filter, GError **error);
/* Distinct values of a column (kind, model, condition) over a dataset (0: all) */
GPtrArray *assay_gen_distinct (AssayStore *store, gint64 dataset, const char *column);
/* The FTS5 query for user words (each quoted; the last a prefix), or NULL when empty */
char    *assay_gen_fts_query (const char *words);

G_END_DECLS
