/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-cli-common.h: what every assay-cli verb shares: option parsing, exit statuses,
 * workspace and worker set-up, JSON output. */
#pragma once

#include <json-glib/json-glib.h>

#include "assay-embed-set.h"
#include "assay-lm-sampler.h"
#include "assay-shard.h"
#include "assay-store.h"
#include "assay-worker.h"
#include "assay-xmtc-errors.h"

G_BEGIN_DECLS

enum
{
  ASSAY_CLI_OK = 0,
  ASSAY_CLI_FAILED = 1,
  ASSAY_CLI_USAGE = 2,
};

typedef struct
{
  char    *workspace;
  gboolean json;
  char    *backend;
  int      threads;
  char    *session;
} AssayCliCommon;

typedef int (*AssayCliVerbFunc) (AssayCliCommon *common, int argc, char **argv);

typedef struct
{
  const char      *name;
  AssayCliVerbFunc func;
  const char      *summary;
} AssayCliVerb;

/* Parses argv with the verb's entries plus -w/--workspace, --json, --backend, --threads.
 * Returns ASSAY_CLI_OK or ASSAY_CLI_USAGE (message printed). */
int          assay_cli_parse (AssayCliCommon     *common,
                              const char         *command,
                              const char         *parameter,
                              const GOptionEntry *entries,
                              int                *argc,
                              char             ***argv);
int          assay_cli_dispatch (const char         *area,
                                 const AssayCliVerb *verbs,
                                 int                 argc,
                                 char              **argv);
int          assay_cli_fail (GError *error);
int          assay_cli_usage (const char *format, ...) G_GNUC_PRINTF (1, 2);

/* Opens -w (created when missing); a usage error if no workspace was given. */
AssayStore  *assay_cli_open_workspace (AssayCliCommon *common, GError **error);
AssayWorker *assay_cli_worker (AssayCliCommon *common);
/* Runs a job to its end, showing progress on stderr when it is a terminal. */
gboolean     assay_cli_run_job (AssayWorker *worker, AssayJob *job, GError **error);
/* Runs a job on a worker of its own; *result gets a reference to its result. */
int          assay_cli_finish_job (AssayCliCommon *common, AssayJob *job, JsonNode **result);
/* Prints one JSON value on stdout (compact, one line). Takes the node. */
void         assay_cli_print_json (JsonNode *node);
/* The same for an object (taken). */
void         assay_cli_print_json_object (JsonObject *object);
/* The scalar members of an object, one "name value" line each */
void         assay_cli_print_object_text (JsonObject *object);
/* One array member of b: an object per row of sql, its columns named by keys (NULL-terminated;
 * integers, reals, text or null as SQLite gives them). Without --json each row is also printed
 * as one line of "key value" pairs. */
gboolean     assay_cli_add_rows (AssayCliCommon    *common,
                                 AssayStore        *store,
                                 JsonBuilder       *b,
                                 const char        *member,
                                 const char        *sql,
                                 const char *const *keys,
                                 GError           **error);
/* An object node as JSON with --json, else as text lines. Takes the node. */
int          assay_cli_output (AssayCliCommon *common, JsonNode *node);

/* The options every generating verb takes (lm generate, gen generate, traces sample); the verb
 * sets its defaults in the struct before parsing and says them in its line of the area's help. */
typedef struct
{
  AssaySampling sampling;
  int           max_tokens;
  gint64        seed;
  gboolean      chat;
  int           max_batch;
} AssayCliSampling;

#define ASSAY_CLI_SAMPLING_ENTRIES(s)                                                              \
  { "temperature", 0, 0, G_OPTION_ARG_DOUBLE, &(s).sampling.temperature,                           \
    N_("Sampling temperature; 0 is greedy"), N_("T") },                                            \
  { "top-p", 0, 0, G_OPTION_ARG_DOUBLE, &(s).sampling.top_p,                                       \
    N_("Nucleus: the most likely tokens holding P (1: all)"), N_("P") },                            \
  { "top-k", 0, 0, G_OPTION_ARG_INT, &(s).sampling.top_k,                                          \
    N_("Only the K most likely tokens (0: all)"), N_("K") },                                       \
  { "min-p", 0, 0, G_OPTION_ARG_DOUBLE, &(s).sampling.min_p,                                       \
    N_("Drop tokens below P times the most likely one (0: none)"), N_("P") },                      \
  { "repetition-penalty", 0, 0, G_OPTION_ARG_DOUBLE, &(s).sampling.repetition_penalty,             \
    N_("Penalty on tokens already present (1: none)"), N_("X") },                                  \
  { "max-tokens", 0, 0, G_OPTION_ARG_INT, &(s).max_tokens, N_("New tokens per answer at most"),   \
    N_("M") },                                                                                     \
  { "seed", 0, 0, G_OPTION_ARG_INT64, &(s).seed, N_("Random seed (0 unless given)"), N_("S") },   \
  { "chat", 0, 0, G_OPTION_ARG_NONE, &(s).chat, N_("Ask through the model's chat template"),      \
    NULL },                                                                                        \
  { "max-batch", 0, 0, G_OPTION_ARG_INT, &(s).max_batch,                                           \
    N_("Answers decoded at once (64 unless given)"), N_("N") }

/* The options of every verb that can run as one shard of N (a task of a cluster job array). */
typedef struct
{
  char      *shard;     /* "K/N" */
  char      *shard_out; /* the shard file */
  AssayShard parsed;    /* n = 0 unless --shard was given */
} AssayCliShard;

#define ASSAY_CLI_SHARD_ENTRIES(s)                                                                 \
  { "shard", 0, 0, G_OPTION_ARG_STRING, &(s).shard,                                                \
    N_("Do only shard K (0-based) of N of the work, into --shard-out"), N_("K/N") },              \
  { "shard-out", 0, 0, G_OPTION_ARG_FILENAME, &(s).shard_out,                                      \
    N_("The shard's result file, for assay-cli merge"), N_("FILE") }

/* Parses --shard and checks that it comes with --shard-out (and the reverse): ASSAY_CLI_OK or a
 * usage error (printed). */
int          assay_cli_shard_check (AssayCliShard *shard);
void         assay_cli_shard_clear (AssayCliShard *shard);
/* The workspace a verb reads: opened as usual, or, for a shard, only read (never written, so
 * that many tasks may read it at once). */
AssayStore  *assay_cli_open_input (AssayCliCommon *common, const AssayCliShard *shard, GError **error);

/* The options of every verb that embeds texts (embed, gen search, gen dedup --model, gen
 * zeroshot). */
typedef struct
{
  char    *model;
  char    *field;
  char    *prefix;
  char    *pooling;
  gboolean normalize, no_normalize, f16;
  int      max_tokens;
} AssayCliEmbed;

#define ASSAY_CLI_EMBED_ENTRIES(e)                                                                 \
  { "model", 0, 0, G_OPTION_ARG_FILENAME, &(e).model,                                              \
    N_("Encoder folder: BertModel, RobertaModel, XLMRobertaModel, or a causal LM"), N_("DIR") },  \
  { "prefix", 0, 0, G_OPTION_ARG_STRING, &(e).prefix,                                              \
    N_("Put before every text (E5: \"passage: \")"), N_("TEXT") },                                \
  { "pooling", 0, 0, G_OPTION_ARG_STRING, &(e).pooling,                                            \
    N_("cls, mean or last (default: as the model folder says)"), N_("MODE") },                     \
  { "normalize", 0, 0, G_OPTION_ARG_NONE, &(e).normalize,                                          \
    N_("L2-normalise (default: as the model folder says)"), NULL },                                \
  { "no-normalize", 0, 0, G_OPTION_ARG_NONE, &(e).no_normalize, N_("Do not L2-normalise"), NULL }, \
  { "max-tokens", 0, 0, G_OPTION_ARG_INT, &(e).max_tokens,                                         \
    N_("Cut texts to N tokens (default: the model's limit)"), N_("N") }

/* Stored embeddings also take --field and --f16. */
#define ASSAY_CLI_EMBED_SET_ENTRIES(e)                                                             \
  ASSAY_CLI_EMBED_ENTRIES (e),                                                                     \
  { "field", 0, 0, G_OPTION_ARG_STRING, &(e).field,                                                \
    N_("text (default: the reviewed text, a document's title and text) or prompt; test: the test documents only"), N_("FIELD") },                              \
  { "f16", 0, 0, G_OPTION_ARG_NONE, &(e).f16, N_("Store float16 vectors (half the space)"), NULL }

/* Checks the options (a usage error printed unless ASSAY_CLI_OK) and, given out, moves them
 * there with the dataset. */
int          assay_cli_embed_check (AssayCliEmbed *e, const char *verb, gint64 dataset,
                                    AssayEmbedSetOptions *out);
void         assay_cli_embed_clear (AssayCliEmbed *e);

/* The options of label-error finding (xmtc errors, gen errors) */
typedef struct
{
  int      folds, top;
  char    *filter, *rank;
  double   C;
  gint64   seed;
  gboolean baseline, include_dismissed;
  int      neighbours;
  char    *embeddings, *probabilities;
} AssayCliLabelErrors;

/* (G_MININT and -G_MAXDOUBLE: not given) */
#define ASSAY_CLI_LABEL_ERRORS_INIT { G_MININT, G_MININT, NULL, NULL, -G_MAXDOUBLE, 1, FALSE, FALSE, G_MININT, NULL, NULL }
#define ASSAY_CLI_LABEL_ERRORS_ENTRIES(e)                                                          \
  { "baseline", 0, 0, G_OPTION_ARG_NONE, &(e).baseline,                                            \
    N_("Also as many assignments with the lowest probability as given (a naive baseline)"), NULL },\
  { "folds", 0, 0, G_OPTION_ARG_INT, &(e).folds, N_("Folds of the out-of-fold probabilities (default 5)"), N_("K") }, \
  { "filter", 0, 0, G_OPTION_ARG_STRING, &(e).filter, N_("prune-by-noise-rate (default) or confident-joint"), N_("NAME") }, \
  { "rank", 0, 0, G_OPTION_ARG_STRING, &(e).rank, N_("self-confidence (default) or normalized-margin"), N_("NAME") }, \
  { "C", 0, 0, G_OPTION_ARG_DOUBLE, &(e).C, N_("SVM cost (default 1)"), N_("C") },                \
  { "seed", 0, 0, G_OPTION_ARG_INT64, &(e).seed, N_("Random seed of the folds (default 1)"), N_("S") }, \
  { "top", 0, 0, G_OPTION_ARG_INT, &(e).top, N_("Print only the N likeliest errors"), N_("N") }, \
  { "include-dismissed", 0, 0, G_OPTION_ARG_NONE, &(e).include_dismissed,                          \
    N_("Also the errors dismissed before (signals dismiss, the Dismiss button)"), NULL },            \
  { "neighbours", 0, 0, G_OPTION_ARG_INT, &(e).neighbours,                                         \
    N_("Nearest items by tf-idf cosine kept with each of the first 500 errors (default 3; 0: none)"), N_("N") }, \
  { "embeddings", 0, 0, G_OPTION_ARG_STRING, &(e).embeddings,                                      \
    N_("Also logistic regression on this embedding set of the dataset (an id, or latest)"), N_("SET") }, \
  { "probabilities", 0, 0, G_OPTION_ARG_STRING, &(e).probabilities,                                \
    N_("svm, embeddings or mean (default: mean with --embeddings, else svm)"), N_("MODEL") }

/* Checks the options (a usage error printed unless ASSAY_CLI_OK) and sets out from them */
int          assay_cli_label_errors_check (const AssayCliLabelErrors *e, int threads, AssayXmtcErrorOptions *out);
void         assay_cli_label_errors_clear (AssayCliLabelErrors *e);
/* After the workspace is open: --embeddings latest becomes the dataset's latest set of its texts
 * (an error printed when there is none). */
int          assay_cli_label_errors_resolve (const AssayCliLabelErrors *e, AssayStore *store, gint64 dataset,
                                             AssayXmtcErrorOptions *out);
/* Keeps the first top entries of result's "errors" (top < 0: all); without --json prints them
 * one per line (document or record, given or missing label, score, suggestion) and returns
 * ASSAY_CLI_OK, else outputs the object. Takes result. */
int          assay_cli_label_errors_output (AssayCliCommon *common, const AssayCliLabelErrors *e, JsonNode *result);

/* ASSAY_CLI_OK, or a usage error (printed) naming the option out of range. */
int          assay_cli_sampling_check (const AssayCliSampling *sampling);
void         assay_cli_common_clear (AssayCliCommon *common);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (AssayCliShard, assay_cli_shard_clear)
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (AssayCliEmbed, assay_cli_embed_clear)
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (AssayCliLabelErrors, assay_cli_label_errors_clear)

G_END_DECLS
