/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-page.h"

#include "assay-application.h"

#include "assay-job-row.h"

#include <glib/gi18n.h>

typedef struct
{
  char          *name;
  char          *title;
  char          *icon_name;
  AssayStore    *store;
  AssayWorker   *worker;
  GtkStack      *stack;
  AdwStatusPage *status;
  GtkWidget     *content;
  gulong         changed_handler;
  GtkNativeDialog *chooser;
  GtkWidget     *jobs_box; /* the running jobs this page started, over its lower right corner */
} AssayPagePrivate;

enum
{
  PROP_0,
  PROP_NAME,
  PROP_TITLE,
  PROP_ICON_NAME,
  PROP_EMPTY_TITLE,
  PROP_EMPTY_DESCRIPTION,
  PROP_EMPTY,
  PROP_STORE,
  PROP_WORKER,
  PROP_CONTENT,
  PROP_EMPTY_CHILD,
  N_PROPS
};

enum
{
  TOAST,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint       signals[N_SIGNALS];

G_DEFINE_TYPE_WITH_PRIVATE (AssayPage, assay_page, ADW_TYPE_BIN)

static void
assay_page_dispose (GObject *object)
{
  AssayPage        *self = ASSAY_PAGE (object);
  AssayPagePrivate *priv = assay_page_get_instance_private (self);

  if (priv->store != NULL)
    g_clear_signal_handler (&priv->changed_handler, priv->store);
  g_clear_object (&priv->store);
  g_clear_object (&priv->worker);
  if (priv->chooser != NULL)
    gtk_native_dialog_destroy (priv->chooser);
  g_clear_object (&priv->chooser);
  G_OBJECT_CLASS (assay_page_parent_class)->dispose (object);
}

static void
assay_page_finalize (GObject *object)
{
  AssayPagePrivate *priv = assay_page_get_instance_private (ASSAY_PAGE (object));

  g_free (priv->name);
  g_free (priv->title);
  g_free (priv->icon_name);
  G_OBJECT_CLASS (assay_page_parent_class)->finalize (object);
}

static void
assay_page_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  AssayPage        *self = ASSAY_PAGE (object);
  AssayPagePrivate *priv = assay_page_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_NAME:
      g_value_set_string (value, priv->name);
      break;
    case PROP_TITLE:
      g_value_set_string (value, priv->title);
      break;
    case PROP_ICON_NAME:
      g_value_set_string (value, priv->icon_name);
      break;
    case PROP_EMPTY_TITLE:
      g_value_set_string (value, adw_status_page_get_title (priv->status));
      break;
    case PROP_EMPTY_DESCRIPTION:
      g_value_set_string (value, adw_status_page_get_description (priv->status));
      break;
    case PROP_EMPTY:
      g_value_set_boolean (value, assay_page_get_empty (self));
      break;
    case PROP_STORE:
      g_value_set_object (value, priv->store);
      break;
    case PROP_WORKER:
      g_value_set_object (value, priv->worker);
      break;
    case PROP_CONTENT:
      g_value_set_object (value, priv->content);
      break;
    case PROP_EMPTY_CHILD:
      g_value_set_object (value, adw_status_page_get_child (priv->status));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
assay_page_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  AssayPage        *self = ASSAY_PAGE (object);
  AssayPagePrivate *priv = assay_page_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_NAME:
      g_free (priv->name);
      priv->name = g_value_dup_string (value);
      break;
    case PROP_TITLE:
      g_free (priv->title);
      priv->title = g_value_dup_string (value);
      break;
    case PROP_ICON_NAME:
      g_free (priv->icon_name);
      priv->icon_name = g_value_dup_string (value);
      adw_status_page_set_icon_name (priv->status, priv->icon_name);
      break;
    case PROP_EMPTY_TITLE:
      adw_status_page_set_title (priv->status, g_value_get_string (value));
      break;
    case PROP_EMPTY_DESCRIPTION:
      adw_status_page_set_description (priv->status, g_value_get_string (value));
      break;
    case PROP_EMPTY:
      assay_page_set_empty (self, g_value_get_boolean (value));
      break;
    case PROP_STORE:
      assay_page_set_store (self, g_value_get_object (value));
      break;
    case PROP_WORKER:
      assay_page_set_worker (self, g_value_get_object (value));
      break;
    case PROP_CONTENT:
      assay_page_set_content (self, g_value_get_object (value));
      break;
    case PROP_EMPTY_CHILD:
      assay_page_set_empty_child (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
assay_page_class_init (AssayPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = assay_page_dispose;
  object_class->finalize = assay_page_finalize;
  object_class->get_property = assay_page_get_property;
  object_class->set_property = assay_page_set_property;

  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL,
                                               G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY
                                                 | G_PARAM_STATIC_STRINGS);
  properties[PROP_TITLE] = g_param_spec_string ("title", NULL, NULL, NULL,
                                                G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_ICON_NAME] = g_param_spec_string ("icon-name", NULL, NULL, NULL,
                                                    G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_EMPTY_TITLE] = g_param_spec_string ("empty-title", NULL, NULL, NULL,
                                                      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_EMPTY_DESCRIPTION] = g_param_spec_string (
    "empty-description", NULL, NULL, NULL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_EMPTY] = g_param_spec_boolean ("empty", NULL, NULL, TRUE,
                                                 G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY
                                                   | G_PARAM_STATIC_STRINGS);
  properties[PROP_STORE] = g_param_spec_object ("store", NULL, NULL, ASSAY_TYPE_STORE,
                                                G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY
                                                  | G_PARAM_STATIC_STRINGS);
  properties[PROP_WORKER] = g_param_spec_object ("worker", NULL, NULL, ASSAY_TYPE_WORKER,
                                                 G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_CONTENT] = g_param_spec_object ("content", NULL, NULL, GTK_TYPE_WIDGET,
                                                  G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_EMPTY_CHILD] = g_param_spec_object ("empty-child", NULL, NULL, GTK_TYPE_WIDGET,
                                                      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[TOAST] = g_signal_new ("toast", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                 NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_css_name (GTK_WIDGET_CLASS (klass), "assaypage");
}

static void
assay_page_init (AssayPage *self)
{
  AssayPagePrivate *priv = assay_page_get_instance_private (self);

  priv->stack = GTK_STACK (gtk_stack_new ());
  gtk_stack_set_transition_type (priv->stack, GTK_STACK_TRANSITION_TYPE_CROSSFADE);
  priv->status = ADW_STATUS_PAGE (adw_status_page_new ());
  gtk_widget_set_vexpand (GTK_WIDGET (priv->status), TRUE);
  gtk_stack_add_named (priv->stack, GTK_WIDGET (priv->status), "empty");
  {
    GtkWidget *overlay = gtk_overlay_new ();
    gtk_overlay_set_child (GTK_OVERLAY (overlay), GTK_WIDGET (priv->stack));
    priv->jobs_box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
    g_object_set (priv->jobs_box, "halign", GTK_ALIGN_END, "valign", GTK_ALIGN_END, "margin-end", 12,
                  "margin-bottom", 12, "margin-start", 12, "visible", FALSE, NULL);
    gtk_widget_add_css_class (priv->jobs_box, "card");
    gtk_widget_add_css_class (priv->jobs_box, "assay-page-jobs");
    gtk_overlay_add_overlay (GTK_OVERLAY (overlay), priv->jobs_box);
    adw_bin_set_child (ADW_BIN (self), overlay);
  }
}

AssayPage *
assay_page_new (const char *name, const char *title, const char *icon_name,
                const char *empty_title, const char *empty_description)
{
  return g_object_new (ASSAY_TYPE_PAGE, "name", name, "title", title, "icon-name", icon_name,
                       "empty-title", empty_title, "empty-description", empty_description, NULL);
}

const char *
assay_page_get_name (AssayPage *self)
{
  AssayPagePrivate *priv = assay_page_get_instance_private (self);
  return priv->name;
}

const char *
assay_page_get_title (AssayPage *self)
{
  AssayPagePrivate *priv = assay_page_get_instance_private (self);
  return priv->title;
}

const char *
assay_page_get_icon_name (AssayPage *self)
{
  AssayPagePrivate *priv = assay_page_get_instance_private (self);
  return priv->icon_name;
}

AssayStore *
assay_page_get_store (AssayPage *self)
{
  AssayPagePrivate *priv = assay_page_get_instance_private (self);
  return priv->store;
}

static void
store_changed_cb (AssayPage *self, const char *table)
{
  AssayPagePrivate *priv = assay_page_get_instance_private (self);

  if (g_str_equal (table, "datasets"))
    {
      if (ASSAY_PAGE_GET_CLASS (self)->datasets_changed != NULL)
        ASSAY_PAGE_GET_CLASS (self)->datasets_changed (self);
      else if (assay_page_get_empty (self) && ASSAY_PAGE_GET_CLASS (self)->workspace_changed != NULL)
        ASSAY_PAGE_GET_CLASS (self)->workspace_changed (self, priv->store);
      return;
    }
  if (ASSAY_PAGE_GET_CLASS (self)->store_changed != NULL)
    ASSAY_PAGE_GET_CLASS (self)->store_changed (self, table);
}

void
assay_page_set_store (AssayPage *self, AssayStore *store)
{
  AssayPagePrivate *priv = assay_page_get_instance_private (self);

  g_return_if_fail (ASSAY_IS_PAGE (self));
  if (priv->store == store)
    return;
  if (priv->store != NULL)
    g_clear_signal_handler (&priv->changed_handler, priv->store);
  g_set_object (&priv->store, store);
  if (store != NULL)
    priv->changed_handler = g_signal_connect_swapped (store, "changed",
                                                      G_CALLBACK (store_changed_cb), self);
  if (ASSAY_PAGE_GET_CLASS (self)->workspace_changed != NULL)
    ASSAY_PAGE_GET_CLASS (self)->workspace_changed (self, store);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STORE]);
}

AssayWorker *
assay_page_get_worker (AssayPage *self)
{
  AssayPagePrivate *priv = assay_page_get_instance_private (self);
  return priv->worker;
}

void
assay_page_set_worker (AssayPage *self, AssayWorker *worker)
{
  AssayPagePrivate *priv = assay_page_get_instance_private (self);

  g_set_object (&priv->worker, worker);
}

void
assay_page_set_content (AssayPage *self, GtkWidget *content)
{
  AssayPagePrivate *priv = assay_page_get_instance_private (self);

  g_return_if_fail (ASSAY_IS_PAGE (self));
  if (priv->content != NULL)
    gtk_stack_remove (priv->stack, priv->content);
  priv->content = content;
  if (content != NULL)
    gtk_stack_add_named (priv->stack, content, "content");
}

void
assay_page_set_empty (AssayPage *self, gboolean empty)
{
  AssayPagePrivate *priv = assay_page_get_instance_private (self);

  g_return_if_fail (ASSAY_IS_PAGE (self));
  if (!empty && priv->content == NULL)
    return;
  if (empty == assay_page_get_empty (self))
    return;
  gtk_stack_set_visible_child_name (priv->stack, empty ? "empty" : "content");
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EMPTY]);
}

gboolean
assay_page_get_empty (AssayPage *self)
{
  AssayPagePrivate *priv = assay_page_get_instance_private (self);

  return gtk_stack_get_visible_child (priv->stack) == GTK_WIDGET (priv->status);
}

void
assay_page_set_empty_child (AssayPage *self, GtkWidget *child)
{
  AssayPagePrivate *priv = assay_page_get_instance_private (self);

  adw_status_page_set_child (priv->status, child);
}

static void
page_job_state_cb (AssayJob *job, GParamSpec *pspec, AssayPage *self)
{
  AssayPagePrivate *priv = assay_page_get_instance_private (self);

  if (!assay_job_is_finished (job))
    return;
  for (GtkWidget *row = gtk_widget_get_first_child (priv->jobs_box); row != NULL;
       row = gtk_widget_get_next_sibling (row))
    if (assay_job_row_get_job (ASSAY_JOB_ROW (row)) == job)
      {
        gtk_box_remove (GTK_BOX (priv->jobs_box), row);
        break;
      }
  gtk_widget_set_visible (priv->jobs_box, gtk_widget_get_first_child (priv->jobs_box) != NULL);
}

/* The rows of the running jobs this page shows (AssayJobRow), for tests */
GtkWidget *
assay_page_get_jobs_box (AssayPage *self)
{
  AssayPagePrivate *priv = assay_page_get_instance_private (self);

  return priv->jobs_box;
}

void
assay_page_submit (AssayPage *self, AssayJob *job)
{
  AssayPagePrivate *priv = assay_page_get_instance_private (self);

  g_return_if_fail (ASSAY_IS_PAGE (self));
  g_return_if_fail (priv->worker != NULL);
  assay_job_set_workspace (job, priv->store != NULL ? assay_store_get_path (priv->store) : NULL);
  assay_worker_submit (priv->worker, job);
  /* its progress where it was started (the jobs popover lists it too) */
  if (!assay_job_is_finished (job))
    {
      gtk_box_append (GTK_BOX (priv->jobs_box), assay_job_row_new (job, priv->worker));
      gtk_widget_set_visible (priv->jobs_box, TRUE);
      g_signal_connect_object (job, "notify::state", G_CALLBACK (page_job_state_cb), self, 0);
    }
}

void
assay_page_job_finished (AssayPage *self, AssayJob *job)
{
  AssayPagePrivate *priv = assay_page_get_instance_private (self);

  g_return_if_fail (ASSAY_IS_PAGE (self));
  if (priv->store == NULL || ASSAY_PAGE_GET_CLASS (self)->job_finished == NULL
      || g_strcmp0 (assay_job_get_workspace (job), assay_store_get_path (priv->store)) != 0)
    return;
  ASSAY_PAGE_GET_CLASS (self)->job_finished (self, job);
}

void
assay_page_toast (AssayPage *self, const char *message)
{
  g_signal_emit (self, signals[TOAST], 0, message);
}

typedef struct
{
  char             *path;
  AssayPageLoadFunc func;
  AssayPageLoadDone done;
  gpointer          data;
  GDestroyNotify    data_free;
  GDestroyNotify    result_free;
} Load;

static void
load_free (Load *load)
{
  if (load->data_free != NULL)
    load->data_free (load->data);
  g_free (load->path);
  g_free (load);
}

static void
load_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  Load    *load = task_data;
  GError  *error = NULL;
  gpointer result = NULL;
  g_autoptr (AssayStore) store = assay_store_open_secondary (load->path, &error);

  if (store != NULL)
    result = load->func (store, load->data, cancellable, &error);
  if (result == NULL)
    g_task_return_error (task, error != NULL ? error
                                             : g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED,
                                                                    _("Nothing was read")));
  else
    g_task_return_pointer (task, result, load->result_free);
}

static void
load_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
  AssayPage *self = user_data;
  Load      *load = g_task_get_task_data (G_TASK (res));
  g_autoptr (GError) error = NULL;
  gpointer   result = g_task_propagate_pointer (G_TASK (res), &error);

  if (g_cancellable_is_cancelled (g_task_get_cancellable (G_TASK (res)))
      || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      if (result != NULL && load->result_free != NULL)
        load->result_free (result);
    }
  else
    load->done (self, result, error, load->data);
  g_object_unref (self);
}

void
assay_page_load (AssayPage *self, GCancellable **slot, const char *name, AssayPageLoadFunc func,
                 AssayPageLoadDone done, gpointer data, GDestroyNotify data_free,
                 GDestroyNotify result_free)
{
  AssayPagePrivate *priv = assay_page_get_instance_private (self);
  g_autoptr (GTask) task = NULL;
  Load             *load;

  if (*slot != NULL)
    g_cancellable_cancel (*slot);
  g_clear_object (slot);
  if (priv->store == NULL)
    {
      if (data_free != NULL)
        data_free (data);
      return;
    }
  *slot = g_cancellable_new ();
  load = g_new0 (Load, 1);
  load->path = g_strdup (assay_store_get_path (priv->store));
  load->func = func;
  load->done = done;
  load->data = data;
  load->data_free = data_free;
  load->result_free = result_free;
  task = g_task_new (NULL, *slot, load_done, g_object_ref (self));
  g_task_set_task_data (task, load, (GDestroyNotify) load_free);
  g_task_set_name (task, name);
  g_task_run_in_thread (task, load_thread);
}

typedef struct
{
  AssayPage      *page;
  AssayPageChosen done;
  gpointer        data;
} Choice;

static void
chosen_cb (GtkNativeDialog *dialog, int response, Choice *choice)
{
  AssayPagePrivate *priv = assay_page_get_instance_private (choice->page);

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GListModel) files = gtk_file_chooser_get_files (GTK_FILE_CHOOSER (dialog));
      if (g_list_model_get_n_items (files) > 0)
        choice->done (choice->page, files, choice->data);
    }
  g_signal_handlers_disconnect_by_data (dialog, choice);
  if (priv->chooser == dialog)
    g_clear_object (&priv->chooser);
}

void
assay_page_choose (AssayPage *self, GtkFileChooserAction action, const char *title,
                   const char *accept, GtkFileFilter *filter, const char *suggested_name,
                   gboolean multiple, AssayPageChosen done, gpointer data)
{
  AssayPagePrivate     *priv = assay_page_get_instance_private (self);
  GtkFileChooserNative *native = gtk_file_chooser_native_new (
    title, GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))), action, accept, _("_Cancel"));
  Choice               *choice = g_new0 (Choice, 1);

  choice->page = self;
  choice->done = done;
  choice->data = data;
  if (filter != NULL)
    {
      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (native), filter);
      g_object_unref (filter);
    }
  if (suggested_name != NULL)
    gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (native), suggested_name);
  gtk_file_chooser_set_select_multiple (GTK_FILE_CHOOSER (native), multiple);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (native), TRUE);
  g_signal_connect_data (native, "response", G_CALLBACK (chosen_cb), choice, (GClosureNotify) g_free, 0);
  if (priv->chooser != NULL)
    {
      gtk_native_dialog_destroy (priv->chooser);
      g_clear_object (&priv->chooser);
    }
  priv->chooser = GTK_NATIVE_DIALOG (native);
  gtk_native_dialog_show (priv->chooser);
}

gboolean
assay_page_reveal (AssayPage *self, const char *table, gint64 row_id)
{
  AssayPagePrivate *priv = assay_page_get_instance_private (self);

  g_return_val_if_fail (ASSAY_IS_PAGE (self), FALSE);
  return ASSAY_PAGE_GET_CLASS (self)->reveal != NULL && priv->store != NULL && table != NULL
         && ASSAY_PAGE_GET_CLASS (self)->reveal (self, table, row_id);
}

void
assay_page_focus_content (AssayPage *self)
{
  AssayPagePrivate *priv = assay_page_get_instance_private (self);

  g_return_if_fail (ASSAY_IS_PAGE (self));
  if (ASSAY_PAGE_GET_CLASS (self)->focus_content != NULL && priv->store != NULL
      && !assay_page_get_empty (self))
    ASSAY_PAGE_GET_CLASS (self)->focus_content (self);
  else
    gtk_widget_child_focus (GTK_WIDGET (self), GTK_DIR_TAB_FORWARD);
}

/* ---- the text encoder ---- */

typedef struct
{
  AssayPageEncoderFunc func;
  gpointer             data;
} EncoderCall;

static GSettings *
app_settings (void)
{
  GApplication *app = g_application_get_default ();
  return app != NULL && ASSAY_IS_APPLICATION (app) ? assay_application_get_settings (ASSAY_APPLICATION (app)) : NULL;
}

char *
assay_page_dup_encoder (AssayPage *self)
{
  GSettings       *s = app_settings ();
  g_autofree char *model = s != NULL ? g_settings_get_string (s, "encoder-model") : NULL;
  g_autofree char *config = model != NULL && *model ? g_build_filename (model, "config.json", NULL) : NULL;

  return config != NULL && g_file_test (config, G_FILE_TEST_IS_REGULAR) ? g_steal_pointer (&model) : NULL;
}

static void
encoder_chosen (AssayPage *self, GListModel *files, gpointer data)
{
  EncoderCall     *call = data;
  g_autoptr (GFile) file = g_list_model_get_item (files, 0);
  g_autofree char *path = g_file_get_path (file);
  GSettings       *s = app_settings ();

  if (path != NULL && s != NULL)
    g_settings_set_string (s, "encoder-model", path);
  if (path != NULL)
    call->func (self, path, call->data);
}

void
assay_page_with_encoder (AssayPage *self, gboolean choose, AssayPageEncoderFunc func, gpointer data)
{
  g_autofree char *model = choose ? NULL : assay_page_dup_encoder (self);
  EncoderCall     *call;

  if (model != NULL)
    {
      func (self, model, data);
      return;
    }
  call = g_new0 (EncoderCall, 1);
  call->func = func;
  call->data = data;
  /* the page keeps the pending call (a cancelled chooser never answers) */
  g_object_set_data_full (G_OBJECT (self), "assay-encoder-call", call, g_free);
  assay_page_choose (self, GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER, _("Text Encoder Folder"), _("_Select"), NULL,
                     NULL, FALSE, encoder_chosen, call);
}

static void
encoder_chosen_toast (AssayPage *page, const char *model, gpointer data)
{
  g_autofree char *msg = g_strdup_printf (_("Texts are embedded with %s"), model);
  assay_page_toast (page, msg);
}

void
assay_page_choose_encoder (AssayPage *self)
{
  assay_page_with_encoder (self, TRUE, encoder_chosen_toast, NULL);
}
