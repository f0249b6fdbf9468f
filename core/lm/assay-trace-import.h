/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-trace-import.h: reasoning traces into the workspace, as generation records (one dataset
 * per file, one transaction). Formats:
 *   processbench    a JSON array (or JSONL) of {id, generator, problem, steps[], label,
 *                   final_answer_correct}: labelled steps and correctness
 *   trl             preference rows {prompt, chosen, rejected}: pairs
 *   llava-reasoner  {question, chosen, rejected, image}: pairs
 *   jsonl           one candidate per line: the question (question | prompt | problem), the
 *                   response (response | completion | output | candidate), the short ground
 *                   truth (answer | ground_truth | gt_answer | reference), optional id, model,
 *                   steps[], label; correctness = the answer extracted after "### Answer:"
 *                   against the ground truth (normalised)
 *   auto            from the first row's fields. */
#pragma once

#include "assay-gen-import.h"
#include "assay-job.h"

G_BEGIN_DECLS

typedef enum
{
  ASSAY_TRACE_FORMAT_AUTO,
  ASSAY_TRACE_FORMAT_PROCESSBENCH,
  ASSAY_TRACE_FORMAT_JSONL,
  ASSAY_TRACE_FORMAT_TRL,
  ASSAY_TRACE_FORMAT_LLAVA_REASONER,
} AssayTraceFormat;

typedef struct
{
  gint64 dataset;
  guint  traces;    /* records */
  guint  questions; /* distinct prompts */
  guint  correct;   /* records known correct */
  guint  judged;    /* records whose correctness is known */
} AssayTraceImportResult;

gboolean    assay_trace_parse_format (const char *name, AssayTraceFormat *format);
gboolean    assay_trace_import (AssayStore             *store,
                                const char             *path,
                                AssayTraceFormat        format,
                                const char             *name,
                                AssayTraceImportResult *result,
                                GCancellable           *cancellable,
                                GError                **error);

/* On the I/O pool. Result: {"dataset", "traces", "questions", "correct", "judged"} */
AssayJob   *assay_trace_import_job_new (const char *path, AssayTraceFormat format, const char *name);

G_END_DECLS
