/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-finetune-window.h: a fine-tuning run as it goes: its settings, progress, the loss (and for
 * DPO the reward accuracy and margin) per step as the steps come, Stop; when it has finished, the
 * folder it wrote and "Compute Credit with This Policy" (the trained model as the policy, the one
 * it started from as the reference). */
#pragma once

#include <adwaita.h>

#include "assay-finetune-dialog.h"
#include "assay-finetune.h"
#include "assay-job.h"
#include "assay-page.h"

G_BEGIN_DECLS

#define ASSAY_TYPE_FINETUNE_WINDOW (assay_finetune_window_get_type ())
G_DECLARE_FINAL_TYPE (AssayFinetuneWindow, assay_finetune_window, ASSAY, FINETUNE_WINDOW, AdwWindow)

/* The user asked for credit with policy against reference. */
typedef void (*AssayFinetuneCreditFunc) (const char *policy, const char *reference, gpointer data);

AssayFinetuneWindow *assay_finetune_window_new (GtkWindow                  *parent,
                                                AssayJob                   *job,
                                                const AssayFinetuneOptions *options,
                                                AssayFinetuneCreditFunc     credit,
                                                gpointer                    data);
/* Submits the fine-tuning job options describe on page's worker and presents its window. */
AssayFinetuneWindow *assay_finetune_window_run (AssayPage                  *page,
                                                const AssayFinetuneOptions *options,
                                                AssayFinetuneCreditFunc     credit,
                                                gpointer                    data);
/* Fine-Tune… from page: the dialog for dataset (0 with dataset_ids {0, id}: the only one; else a
 * toast asks to choose one, and NULL); on Train the job and its window, whose credit goes to the
 * window's win.credit-with. The page remembers the model folder last used. */
AssayFinetuneDialog *assay_finetune_window_ask (AssayPage    *page,
                                                gint64        dataset,
                                                const GArray *dataset_ids);
/* For tests */
guint    assay_finetune_window_get_n_steps (AssayFinetuneWindow *self);
gboolean assay_finetune_window_can_credit (AssayFinetuneWindow *self);
void     assay_finetune_window_credit (AssayFinetuneWindow *self);

G_END_DECLS
