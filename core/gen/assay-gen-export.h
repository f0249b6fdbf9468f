/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-gen-export.h: the records a filter selects, as JSONL a trainer reads directly (the
 * reviewer's edit replaces the generation wherever one exists):
 *   trl-dpo       {"prompt", "chosen", "rejected"} per pair
 *   trl-dpo-chat  the same as message lists (user prompt; assistant chosen / rejected)
 *   kto           {"prompt", "completion", "label"}: both sides of a pair (true / false), and
 *                 single records reviewed accepted or edited (true) or rejected (false)
 *   prm           {"prompt", "completions", "labels"} per trace with a known first error: the
 *                 steps up to and including it (true ... false), or all steps (all true)
 *   sft           {"prompt", "completion"} per record (a pair gives its chosen side)
 * The file is written beside and renamed into place, so a failed export leaves nothing half
 * written. */
#pragma once

#include "assay-gen-query.h"

G_BEGIN_DECLS

typedef enum
{
  ASSAY_GEN_EXPORT_TRL_DPO,
  ASSAY_GEN_EXPORT_TRL_DPO_CHAT,
  ASSAY_GEN_EXPORT_KTO,
  ASSAY_GEN_EXPORT_PRM,
  ASSAY_GEN_EXPORT_SFT,
} AssayGenExportFormat;

gboolean    assay_gen_parse_export_format (const char *name, AssayGenExportFormat *format);
const char *assay_gen_export_format_name (AssayGenExportFormat format);
gboolean    assay_gen_export (AssayStore           *store,
                              const AssayGenFilter *filter,
                              AssayGenExportFormat  format,
                              const char           *path,
                              guint                *exported,
                              GError              **error);

G_END_DECLS
