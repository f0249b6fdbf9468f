/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-finetune-dialog.h: Fine-Tune… on the Generations page: the objective (SFT on the kept
 * texts, DPO or IPO on the kept pairs), the model folder to start from and the folder to write,
 * full fine-tuning or LoRA, and the optimiser's settings (TRL's defaults until changed). */
#pragma once

#include <adwaita.h>

#include "assay-finetune.h"
#include "assay-store.h"

G_BEGIN_DECLS

#define ASSAY_TYPE_FINETUNE_DIALOG (assay_finetune_dialog_get_type ())
G_DECLARE_FINAL_TYPE (AssayFinetuneDialog, assay_finetune_dialog, ASSAY, FINETUNE_DIALOG, AdwWindow)

/* Train was pressed with these options (dataset and status filled); the dialog closes after. */
typedef void (*AssayFinetuneDialogFunc) (const AssayFinetuneOptions *options, gpointer data);

/* dataset: the records' dataset (its name for the subtitle); kept, pairs: how many records with
 * the status and how many of them are pairs; model: the folder last used (may be NULL); workspace:
 * the workspace file (the output folder goes beside it by default). */
AssayFinetuneDialog *assay_finetune_dialog_new (GtkWindow              *parent,
                                                gint64                  dataset,
                                                const char             *dataset_name,
                                                guint                   kept,
                                                guint                   pairs,
                                                const char             *model,
                                                const char             *workspace,
                                                AssayFinetuneDialogFunc func,
                                                gpointer                data);
/* The same for a dataset of store: its name and its accepted records and pairs counted. */
AssayFinetuneDialog *assay_finetune_dialog_new_for (GtkWindow              *parent,
                                                    AssayStore             *store,
                                                    gint64                  dataset,
                                                    const char             *model,
                                                    AssayFinetuneDialogFunc func,
                                                    gpointer                data);
/* For tests */
void     assay_finetune_dialog_set_model     (AssayFinetuneDialog *self, const char *dir);
void     assay_finetune_dialog_set_objective (AssayFinetuneDialog *self, AssayFinetuneObjective objective);
void     assay_finetune_dialog_set_lora      (AssayFinetuneDialog *self, int rank);
void     assay_finetune_dialog_set_schedule  (AssayFinetuneDialog *self, int epochs, int batch_tokens);
gboolean assay_finetune_dialog_can_train     (AssayFinetuneDialog *self);
const char *assay_finetune_dialog_get_out    (AssayFinetuneDialog *self);
void     assay_finetune_dialog_train         (AssayFinetuneDialog *self);

G_END_DECLS
