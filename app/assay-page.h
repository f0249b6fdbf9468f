/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-page.h: the base of the five views. A page shows an empty state (what it will hold and
 * how to import data for it) until it has content, and is told when the workspace changes. */
#pragma once

#include <adwaita.h>

#include "assay-store.h"
#include "assay-worker.h"

G_BEGIN_DECLS

#define ASSAY_TYPE_PAGE (assay_page_get_type ())
G_DECLARE_DERIVABLE_TYPE (AssayPage, assay_page, ASSAY, PAGE, AdwBin)

struct _AssayPageClass
{
  AdwBinClass parent_class;

  /* The workspace was opened, closed or replaced: reload everything. store may be NULL. */
  void (*workspace_changed) (AssayPage *self, AssayStore *store);
  /* A job for this page's workspace ended (any job: the page picks what concerns it). */
  void (*job_finished) (AssayPage *self, AssayJob *job);
  /* Rows of a table of the workspace changed (an edit, undo or redo; see AssayStore::changed). */
  void (*store_changed) (AssayPage *self, const char *table);
  /* Datasets came or went outside this page (another process, another page's job): refresh
   * the dataset choices, keeping the user's place. Without it an empty page reads anew and a
   * page with content stays as it is. */
  void (*datasets_changed) (AssayPage *self);
  /* The page was chosen in the sidebar: put the keyboard focus where its keys work (default:
   * the first focusable widget of the content). */
  void (*focus_content) (AssayPage *self);
  /* An undo or redo changed row_id of table (assay_store_get_replayed): a page that shows that
   * table goes to the row and returns TRUE (the window then shows the page). */
  gboolean (*reveal) (AssayPage *self, const char *table, gint64 row_id);

  gpointer padding[4];
};

AssayPage   *assay_page_new (const char *name,
                             const char *title,
                             const char *icon_name,
                             const char *empty_title,
                             const char *empty_description);

const char  *assay_page_get_name (AssayPage *self);
const char  *assay_page_get_title (AssayPage *self);
const char  *assay_page_get_icon_name (AssayPage *self);
AssayStore  *assay_page_get_store (AssayPage *self);
void         assay_page_set_store (AssayPage *self, AssayStore *store);
AssayWorker *assay_page_get_worker (AssayPage *self);
void         assay_page_set_worker (AssayPage *self, AssayWorker *worker);

/* The page's real view; shown instead of the empty state once set_empty (FALSE). */
void         assay_page_set_content (AssayPage *self, GtkWidget *content);
void         assay_page_set_empty (AssayPage *self, gboolean empty);
gboolean     assay_page_get_empty (AssayPage *self);
/* Extra widget under the empty state's text (e.g. an Import button). */
void         assay_page_set_empty_child (AssayPage *self, GtkWidget *child);

/* Queues a job for the page's workspace on the worker. */
void         assay_page_submit (AssayPage *self, AssayJob *job);
/* The running jobs the page started, shown over its lower right corner (AssayJobRow each) */
GtkWidget   *assay_page_get_jobs_box (AssayPage *self);
/* Called by the window for every job that ends; forwards those of the page's workspace. */
void         assay_page_job_finished (AssayPage *self, AssayJob *job);
void         assay_page_focus_content (AssayPage *self);
gboolean     assay_page_reveal (AssayPage *self, const char *table, gint64 row_id);
/* Reading for a view, on a thread with its own connection to the page's workspace: returns the
 * result, or NULL with error. */
typedef gpointer (*AssayPageLoadFunc) (AssayStore   *store,
                                       gpointer      data,
                                       GCancellable *cancellable,
                                       GError      **error);
/* Back on the main thread, unless the load was cancelled: the result (owned by the callee) or
 * the error. */
typedef void (*AssayPageLoadDone) (AssayPage    *self,
                                   gpointer      result,
                                   const GError *error,
                                   gpointer      data);
/* Runs func in a thread, then done. *slot holds the load's cancellable: a load already there is
 * cancelled first (one load per slot at a time). data is freed with data_free after done;
 * result_free frees a result nobody took (a cancelled load). Nothing runs without a store. */
void         assay_page_load (AssayPage        *self,
                              GCancellable    **slot,
                              const char       *name,
                              AssayPageLoadFunc func,
                              AssayPageLoadDone done,
                              gpointer          data,
                              GDestroyNotify    data_free,
                              GDestroyNotify    result_free);
/* A file chooser (one per page at a time, modal on the page's window); done is called with the
 * chosen files (GFile items; one unless multiple) when the user accepts. filter (taken) and
 * suggested_name may be NULL. */
typedef void (*AssayPageChosen) (AssayPage *self, GListModel *files, gpointer data);
void         assay_page_choose (AssayPage           *self,
                                GtkFileChooserAction action,
                                const char          *title,
                                const char          *accept,
                                GtkFileFilter       *filter,
                                const char          *suggested_name,
                                gboolean             multiple,
                                AssayPageChosen      done,
                                gpointer             data);
/* Shows a short message in the window (emits "toast"). */
void         assay_page_toast (AssayPage *self, const char *message);

/* Calls func with the text encoder's folder: the one remembered (the encoder-model setting)
 * unless choose is TRUE or it is gone, else one the user chooses (then remembered); never when
 * the user cancels. */
typedef void (*AssayPageEncoderFunc) (AssayPage *self, const char *model, gpointer data);
void         assay_page_with_encoder (AssayPage           *self,
                                      gboolean             choose,
                                      AssayPageEncoderFunc func,
                                      gpointer             data);
/* Asks for the text encoder's folder (remembered), then says which it is. */
void         assay_page_choose_encoder (AssayPage *self);
/* The remembered encoder folder, or NULL (g_free). */
char        *assay_page_dup_encoder (AssayPage *self);

G_END_DECLS
