/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "assay-finetune-dialog.h"

#include <glib/gi18n.h>
#include <math.h>

#include "assay-gen-record.h"
#include "assay-import-dialog.h"

struct _AssayFinetuneDialog
{
  AdwWindow               parent_instance;

  AssayFinetuneDialogFunc func;
  gpointer                data;
  gint64                  dataset;
  guint                   kept, pairs;
  char                   *workspace;
  char                   *model, *out;
  gboolean                out_chosen; /* by the user: not renamed with the objective */
  AdwComboRow            *objective_row;
  AdwActionRow           *model_row, *out_row;
  AdwEntryRow            *lr_row;
  GtkSwitch              *lora_switch, *chat_switch;
  GtkSpinButton          *rank, *epochs, *batch_tokens, *beta, *warmup, *seed;
  GtkWidget              *beta_row, *rank_row;
  GtkLabel               *why;
  GtkWidget              *train;
};

G_DEFINE_FINAL_TYPE (AssayFinetuneDialog, assay_finetune_dialog, ADW_TYPE_WINDOW)

static const struct
{
  AssayFinetuneObjective objective;
  const char            *title, *subtitle;
} objectives[] = {
  { ASSAY_FINETUNE_SFT, N_("SFT"), N_("Learn the kept texts (their tokens only, as TRL's SFTTrainer)") },
  { ASSAY_FINETUNE_DPO, N_("DPO"), N_("Prefer the chosen side of each kept pair; the model before training is the reference") },
  { ASSAY_FINETUNE_IPO, N_("IPO"), N_("DPO with a squared loss on per-token log-probs") },
};

static void
assay_finetune_dialog_finalize (GObject *object)
{
  AssayFinetuneDialog *self = ASSAY_FINETUNE_DIALOG (object);

  g_free (self->workspace);
  g_free (self->model);
  g_free (self->out);
  G_OBJECT_CLASS (assay_finetune_dialog_parent_class)->finalize (object);
}

static void
assay_finetune_dialog_class_init (AssayFinetuneDialogClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = assay_finetune_dialog_finalize;
}

static void
assay_finetune_dialog_init (AssayFinetuneDialog *self)
{
}

static AssayFinetuneObjective
objective (AssayFinetuneDialog *self)
{
  guint i = adw_combo_row_get_selected (self->objective_row);
  return objectives[MIN (i, G_N_ELEMENTS (objectives) - 1)].objective;
}

static double
learning_rate (AssayFinetuneDialog *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->lr_row));
  char       *end = NULL;
  double      v = g_ascii_strtod (text, &end);

  return end != text && end != NULL && *end == '\0' && isfinite (v) && v > 0 && v < 1 ? v : 0;
}

/* Why Train is off, or NULL. */
static const char *
why_not (AssayFinetuneDialog *self)
{
  g_autofree char *config = self->model != NULL ? g_build_filename (self->model, "config.json", NULL) : NULL;

  if (config == NULL)
    return _("Choose the model folder to start from.");
  if (!g_file_test (config, G_FILE_TEST_IS_REGULAR))
    return _("The model folder has no config.json.");
  if (self->out == NULL)
    return _("Choose the folder to write the trained model to.");
  if (g_strcmp0 (self->out, self->model) == 0)
    return _("The trained model cannot replace the one it starts from.");
  if (learning_rate (self) == 0)
    return _("The learning rate is a number between 0 and 1, such as 2e-5.");
  if (objective (self) == ASSAY_FINETUNE_SFT ? self->kept == 0 : self->pairs == 0)
    return objective (self) == ASSAY_FINETUNE_SFT ? _("No record has the status to learn from.")
                                                   : _("No kept record is a pair (chosen and rejected).");
  return NULL;
}

gboolean
assay_finetune_dialog_can_train (AssayFinetuneDialog *self)
{
  return why_not (self) == NULL;
}

static void
update (AssayFinetuneDialog *self)
{
  g_autofree char *base = self->model != NULL ? g_path_get_basename (self->model) : NULL;
  g_autofree char *out_base = self->out != NULL ? g_path_get_basename (self->out) : NULL;
  const char      *why = why_not (self);
  g_autofree char *from = self->model != NULL ? g_strdup_printf (_("Starts from %s"), self->model) : NULL;
  g_autofree char *to = self->out != NULL ? g_strdup_printf (_("Writes to %s"), self->out) : NULL;

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->model_row), base != NULL ? base : _("No model chosen"));
  adw_action_row_set_subtitle (self->model_row, from != NULL ? from
                                                             : _("The model to start from: Llama, Qwen2 or Mistral"));
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->out_row), out_base != NULL ? out_base : _("No folder chosen"));
  adw_action_row_set_subtitle (self->out_row, to != NULL ? to : _("Where the trained model is written"));
  gtk_widget_set_sensitive (self->beta_row, objective (self) != ASSAY_FINETUNE_SFT);
  gtk_widget_set_sensitive (self->rank_row, gtk_switch_get_active (self->lora_switch));
  gtk_label_set_text (self->why, why != NULL ? why : "");
  gtk_widget_set_visible (GTK_WIDGET (self->why), why != NULL);
  gtk_widget_set_sensitive (self->train, why == NULL);
}

/* The default output folder: beside the workspace, named after the model and the objective. */
static void
default_out (AssayFinetuneDialog *self)
{
  g_autofree char *dir = NULL, *base = NULL, *name = NULL;

  if (self->out_chosen || self->model == NULL)
    return;
  dir = self->workspace != NULL ? g_path_get_dirname (self->workspace) : g_get_current_dir ();
  base = g_path_get_basename (self->model);
  name = g_strdup_printf ("%s-%s%s", base, assay_finetune_objective_name (objective (self)),
                          gtk_switch_get_active (self->lora_switch) ? "-lora" : "");
  g_free (self->out);
  self->out = g_build_filename (dir, name, NULL);
}

void
assay_finetune_dialog_set_model (AssayFinetuneDialog *self, const char *dir)
{
  g_free (self->model);
  self->model = g_strdup (dir);
  default_out (self);
  update (self);
}

const char *
assay_finetune_dialog_get_out (AssayFinetuneDialog *self)
{
  return self->out;
}

static void
objective_changed_cb (AssayFinetuneDialog *self)
{
  AssayFinetuneObjective o = objective (self);
  guint                  i = adw_combo_row_get_selected (self->objective_row);

  adw_action_row_set_subtitle (ADW_ACTION_ROW (self->objective_row), _(objectives[MIN (i, G_N_ELEMENTS (objectives) - 1)].subtitle));
  /* TRL's defaults */
  gtk_editable_set_text (GTK_EDITABLE (self->lr_row), o == ASSAY_FINETUNE_SFT ? "2e-5" : "1e-6");
  gtk_spin_button_set_value (self->epochs, o == ASSAY_FINETUNE_SFT ? 3 : 1);
  default_out (self);
  update (self);
}

void
assay_finetune_dialog_set_objective (AssayFinetuneDialog *self, AssayFinetuneObjective o)
{
  for (guint i = 0; i < G_N_ELEMENTS (objectives); i++)
    if (objectives[i].objective == o)
      adw_combo_row_set_selected (self->objective_row, i);
}

void
assay_finetune_dialog_set_schedule (AssayFinetuneDialog *self, int epochs, int batch_tokens)
{
  gtk_spin_button_set_value (self->epochs, epochs);
  gtk_spin_button_set_value (self->batch_tokens, batch_tokens);
}

void
assay_finetune_dialog_set_lora (AssayFinetuneDialog *self, int rank)
{
  gtk_switch_set_active (self->lora_switch, rank > 0);
  if (rank > 0)
    gtk_spin_button_set_value (self->rank, rank);
}

static void
lora_changed_cb (AssayFinetuneDialog *self)
{
  default_out (self);
  update (self);
}

typedef struct
{
  AssayFinetuneDialog *self;
  gboolean             out;
} Choice;

static void
folder_chosen_cb (GtkNativeDialog *native, int response, Choice *c)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (native));
      g_autofree char *path = file != NULL ? g_file_get_path (file) : NULL;
      if (path != NULL && c->out)
        {
          g_free (c->self->out);
          c->self->out = g_steal_pointer (&path);
          c->self->out_chosen = TRUE;
          update (c->self);
        }
      else if (path != NULL)
        assay_finetune_dialog_set_model (c->self, path);
    }
  gtk_native_dialog_destroy (native);
  g_object_unref (native);
  g_object_unref (c->self);
  g_free (c);
}

static void
choose (AssayFinetuneDialog *self, gboolean out)
{
  GtkFileChooserNative *native = gtk_file_chooser_native_new (out ? _("Folder for the Trained Model") : _("Model Folder"),
                                                              GTK_WINDOW (self), GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                                                              _("_Select"), _("_Cancel"));
  Choice               *c = g_new0 (Choice, 1);
  const char           *current = out ? self->out : self->model;

  c->self = g_object_ref (self);
  c->out = out;
  if (current != NULL && g_file_test (current, G_FILE_TEST_IS_DIR))
    {
      g_autoptr (GFile) file = g_file_new_for_path (current);
      gtk_file_chooser_set_file (GTK_FILE_CHOOSER (native), file, NULL);
    }
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (native), TRUE);
  g_signal_connect (native, "response", G_CALLBACK (folder_chosen_cb), c);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (native));
}

static void
choose_model_cb (AssayFinetuneDialog *self)
{
  choose (self, FALSE);
}

static void
choose_out_cb (AssayFinetuneDialog *self)
{
  choose (self, TRUE);
}

static AdwActionRow *
folder_row (GtkWidget *group, GCallback clicked, AssayFinetuneDialog *self)
{
  AdwActionRow *row = ADW_ACTION_ROW (adw_action_row_new ());
  GtkWidget    *button = gtk_button_new_with_mnemonic (_("_Choose…"));

  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  g_signal_connect_swapped (button, "clicked", clicked, self);
  adw_action_row_add_prefix (row, gtk_image_new_from_icon_name ("folder-symbolic"));
  adw_action_row_add_suffix (row, button);
  adw_action_row_set_activatable_widget (row, button);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), GTK_WIDGET (row));
  return row;
}

static GtkSwitch *
add_switch (GtkWidget *group, const char *title, const char *subtitle)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *sw = gtk_switch_new ();

  gtk_widget_set_valign (sw, GTK_ALIGN_CENTER);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), sw);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), sw);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), row);
  return GTK_SWITCH (sw);
}

void
assay_finetune_dialog_train (AssayFinetuneDialog *self)
{
  AssayFinetuneOptions o;

  if (!assay_finetune_dialog_can_train (self))
    return;
  assay_finetune_options_init (&o, objective (self));
  o.model = self->model;
  o.out = self->out;
  o.dataset = self->dataset;
  o.lr = learning_rate (self);
  o.epochs = gtk_spin_button_get_value_as_int (self->epochs);
  o.batch_tokens = gtk_spin_button_get_value_as_int (self->batch_tokens);
  o.beta = gtk_spin_button_get_value (self->beta);
  o.warmup = gtk_spin_button_get_value (self->warmup);
  o.seed = (guint) gtk_spin_button_get_value_as_int (self->seed);
  o.chat = gtk_switch_get_active (self->chat_switch);
  o.lora_rank = gtk_switch_get_active (self->lora_switch) ? gtk_spin_button_get_value_as_int (self->rank) : 0;
  g_object_ref (self);
  if (self->func != NULL)
    self->func (&o, self->data);
  gtk_window_destroy (GTK_WINDOW (self));
  g_object_unref (self);
}

AssayFinetuneDialog *
assay_finetune_dialog_new (GtkWindow *parent, gint64 dataset, const char *dataset_name, guint kept, guint pairs,
                           const char *model, const char *workspace, AssayFinetuneDialogFunc func, gpointer data)
{
  AssayFinetuneDialog *self = g_object_new (ASSAY_TYPE_FINETUNE_DIALOG, "modal", TRUE, "transient-for", parent,
                                            "default-width", 580, "default-height", 560, "title", _("Fine-Tune"), NULL);
  g_autofree char *subtitle = g_strdup_printf (_("On %s: %u accepted records, %u of them pairs"), dataset_name, kept, pairs);
  g_autoptr (GtkStringList) names = gtk_string_list_new (NULL);
  GtkWidget *content, *what, *method, *opt;

  self->func = func;
  self->data = data;
  self->dataset = dataset;
  self->kept = kept;
  self->pairs = pairs;
  self->workspace = g_strdup (workspace);
  content = assay_import_dialog_frame (ADW_WINDOW (self), _("Fine-Tune a Model"), subtitle, &self->train);
  gtk_button_set_label (GTK_BUTTON (self->train), _("_Train"));

  what = adw_preferences_group_new ();
  self->objective_row = ADW_COMBO_ROW (adw_combo_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->objective_row), _("Objective"));
  for (guint i = 0; i < G_N_ELEMENTS (objectives); i++)
    gtk_string_list_append (names, _(objectives[i].title));
  adw_combo_row_set_model (self->objective_row, G_LIST_MODEL (names));
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (what), GTK_WIDGET (self->objective_row));
  self->model_row = folder_row (what, G_CALLBACK (choose_model_cb), self);
  self->out_row = folder_row (what, G_CALLBACK (choose_out_cb), self);
  gtk_box_append (GTK_BOX (content), what);

  method = adw_preferences_group_new ();
  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (method), _("Method"));
  self->lora_switch = add_switch (method, _("LoRA adapters"),
                                  _("Train low-rank adapters on every linear layer instead of every weight; "
                                    "written in PEFT's format and merged"));
  self->rank = assay_import_dialog_spin_row (method, _("Rank"), _("Alpha is twice the rank"), 1, 256, 1, 0, 16, &self->rank_row);
  self->chat_switch = add_switch (method, _("Chat template"), _("Prompts as a user turn through the model's chat template"));
  gtk_box_append (GTK_BOX (content), method);

  opt = adw_preferences_group_new ();
  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (opt), _("Optimisation"));
  self->lr_row = ADW_ENTRY_ROW (adw_entry_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->lr_row), _("Peak learning rate"));
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (opt), GTK_WIDGET (self->lr_row));
  self->epochs = assay_import_dialog_spin_row (opt, _("Epochs"), NULL, 1, 100, 1, 0, 3, NULL);
  self->batch_tokens = assay_import_dialog_spin_row (opt, _("Tokens per batch"), _("Records are packed, each attending to itself"), 64,
                                 1 << 20, 256, 0, 4096, NULL);
  self->beta = assay_import_dialog_spin_row (opt, _("Beta"), _("How far DPO lets the policy move from the reference"), 0.01, 10, 0.01, 2,
                         0.1, &self->beta_row);
  self->warmup = assay_import_dialog_spin_row (opt, _("Warm-up"), _("Share of the steps; then a cosine decay"), 0, 0.5, 0.01, 2, 0, NULL);
  self->seed = assay_import_dialog_spin_row (opt, _("Seed"), _("Of the shuffles and the adapters' initial values"), 0, 2147483647, 1, 0, 42,
                         NULL);
  gtk_box_append (GTK_BOX (content), opt);

  self->why = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->why, TRUE);
  gtk_label_set_xalign (self->why, 0);
  gtk_widget_add_css_class (GTK_WIDGET (self->why), "dim-label");
  gtk_box_append (GTK_BOX (content), GTK_WIDGET (self->why));

  g_signal_connect_swapped (self->objective_row, "notify::selected", G_CALLBACK (objective_changed_cb), self);
  g_signal_connect_swapped (self->lora_switch, "notify::active", G_CALLBACK (lora_changed_cb), self);
  g_signal_connect_swapped (self->lr_row, "changed", G_CALLBACK (update), self);
  g_signal_connect_swapped (self->train, "clicked", G_CALLBACK (assay_finetune_dialog_train), self);
  adw_combo_row_set_selected (self->objective_row, pairs > 0 && kept == pairs ? 1 : 0);
  objective_changed_cb (self);
  assay_finetune_dialog_set_model (self, model);
  return self;
}

AssayFinetuneDialog *
assay_finetune_dialog_new_for (GtkWindow *parent, AssayStore *store, gint64 dataset, const char *model,
                               AssayFinetuneDialogFunc func, gpointer data)
{
  g_autofree char *sql = NULL, *name = NULL;
  gint64           kept, pairs;
  g_autoptr (GPtrArray) list = assay_store_list_datasets (store, NULL);

  sql = g_strdup_printf ("SELECT count(*) FROM gen_records WHERE dataset_id = %" G_GINT64_FORMAT
                         " AND status = 'accepted'", dataset);
  kept = assay_store_query_int (store, sql, 0);
  g_free (sql);
  sql = g_strdup_printf ("SELECT count(*) FROM gen_records WHERE dataset_id = %" G_GINT64_FORMAT
                         " AND status = 'accepted' AND rejected IS NOT NULL AND rejected != ''", dataset);
  pairs = assay_store_query_int (store, sql, 0);
  for (guint i = 0; list != NULL && i < list->len; i++)
    if (((AssayDatasetInfo *) list->pdata[i])->id == dataset)
      name = g_strdup (((AssayDatasetInfo *) list->pdata[i])->name);
  return assay_finetune_dialog_new (parent, dataset, name != NULL ? name : "?", (guint) kept, (guint) pairs, model,
                                    assay_store_get_path (store), func, data);
}
