/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "assay-gen-generate-dialog.h"

#include <glib/gi18n.h>

#include "assay-gen-prompts.h"
#include "assay-import-dialog.h"
#include "assay-llminer.h"

struct _AssayGenGenerateDialog
{
  AdwWindow                  parent_instance;

  AssayGenGenerateDialogFunc func;
  gpointer                   data;
  GStrv                      templates; /* the combo's names, in order */
  AdwComboRow               *template_row;
  AdwActionRow              *model_row;
  char                      *model;
  GHashTable                *spins;     /* key -> GtkSpinButton (borrowed) */
  GtkSwitch                 *chat_switch;
  GtkWidget                 *generate;
};

G_DEFINE_FINAL_TYPE (AssayGenGenerateDialog, assay_gen_generate_dialog, ADW_TYPE_WINDOW)

/* What each choice does, in words, and the settings the thesis uses with it. */
static const struct
{
  const char *name;
  const char *title;
  const char *subtitle;
  double      n, temperature, top_p, max_tokens;
} presets[] = {
  { "genco-elaboration", N_("GenCo: elaborations"), N_("K elaborations of each text (Table 3.3)"), 5, 0.8, 0.95, 128 },
  { "genco-conditional", N_("GenCo: conditional elaborations"), N_("Each text discussed under its pseudo label"), 1, 0.8, 0.95, 128 },
  { ASSAY_LLMINER_CHAIN, N_("LLMiner: mine question-answer pairs"), N_("Analysis per sentence with a Yes/No gate, then question and answer"), 1, 0.7, 0.95, 256 },
  { "llminer-single", N_("LLMiner: one prompt"), N_("Analysis, question and answer in one generation"), 1, 0.7, 0.95, 384 },
  { "judge", N_("Judge"), N_("A 1–5 rating of each response against the reference"), 1, 0, 1, 64 },
  { "judge-video", N_("Judge video responses"), N_("LLaVA-Hound-DPO's judge, reading the video's caption"), 1, 0, 1, 96 },
  { "llminer-analysis", N_("LLMiner step: analysis"), NULL, 1, 0.7, 0.95, 256 },
  { "llminer-question", N_("LLMiner step: question"), NULL, 1, 0.7, 0.95, 64 },
  { "llminer-answer", N_("LLMiner step: answer"), NULL, 1, 0.7, 0.95, 192 },
};

static void
assay_gen_generate_dialog_finalize (GObject *object)
{
  AssayGenGenerateDialog *self = ASSAY_GEN_GENERATE_DIALOG (object);

  g_strfreev (self->templates);
  g_free (self->model);
  g_hash_table_unref (self->spins);
  G_OBJECT_CLASS (assay_gen_generate_dialog_parent_class)->finalize (object);
}

static void
assay_gen_generate_dialog_class_init (AssayGenGenerateDialogClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = assay_gen_generate_dialog_finalize;
}

static void
assay_gen_generate_dialog_init (AssayGenGenerateDialog *self)
{
  self->spins = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

gboolean
assay_gen_generate_dialog_can_generate (AssayGenGenerateDialog *self)
{
  g_autofree char *config = self->model != NULL ? g_build_filename (self->model, "config.json", NULL) : NULL;

  return config != NULL && g_file_test (config, G_FILE_TEST_IS_REGULAR);
}

static void
update_model (AssayGenGenerateDialog *self)
{
  g_autofree char *base = self->model != NULL ? g_path_get_basename (self->model) : NULL;
  gboolean         ok = assay_gen_generate_dialog_can_generate (self);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->model_row),
                                 base != NULL ? base : _("No model chosen"));
  adw_action_row_set_subtitle (self->model_row,
                               self->model == NULL ? _("A folder with config.json, safetensors weights and tokenizer.json")
                               : ok ? self->model
                                    : _("This folder has no config.json: not a model folder"));
  gtk_widget_set_sensitive (self->generate, ok);
}

void
assay_gen_generate_dialog_set_model (AssayGenGenerateDialog *self, const char *dir)
{
  g_free (self->model);
  self->model = g_strdup (dir);
  update_model (self);
}

static void
folder_chosen_cb (GtkNativeDialog *native, int response, AssayGenGenerateDialog *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (native));
      g_autofree char *path = file != NULL ? g_file_get_path (file) : NULL;
      if (path != NULL)
        assay_gen_generate_dialog_set_model (self, path);
    }
  gtk_native_dialog_destroy (native);
  g_object_unref (native);
  g_object_unref (self);
}

static void
choose_clicked_cb (GtkButton *button, AssayGenGenerateDialog *self)
{
  GtkFileChooserNative *native = gtk_file_chooser_native_new (_("Model Folder"), GTK_WINDOW (self),
                                                              GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                                                              _("_Select"), _("_Cancel"));

  if (self->model != NULL)
    {
      g_autoptr (GFile) current = g_file_new_for_path (self->model);
      gtk_file_chooser_set_file (GTK_FILE_CHOOSER (native), current, NULL);
    }
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (native), TRUE);
  g_signal_connect (native, "response", G_CALLBACK (folder_chosen_cb), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (native));
}

static GtkSpinButton *
spin (AssayGenGenerateDialog *self, const char *key)
{
  return g_hash_table_lookup (self->spins, key);
}

double
assay_gen_generate_dialog_get_number (AssayGenGenerateDialog *self, const char *key)
{
  return gtk_spin_button_get_value (spin (self, key));
}

void
assay_gen_generate_dialog_set_number (AssayGenGenerateDialog *self, const char *key, double value)
{
  gtk_spin_button_set_value (spin (self, key), value);
}

static void
template_changed_cb (AdwComboRow *row, GParamSpec *pspec, AssayGenGenerateDialog *self)
{
  guint i = adw_combo_row_get_selected (row);

  if (i >= G_N_ELEMENTS (presets))
    return;
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), presets[i].subtitle != NULL ? _(presets[i].subtitle) : "");
  assay_gen_generate_dialog_set_number (self, "n", presets[i].n);
  assay_gen_generate_dialog_set_number (self, "temperature", presets[i].temperature);
  assay_gen_generate_dialog_set_number (self, "top-p", presets[i].top_p);
  assay_gen_generate_dialog_set_number (self, "max-tokens", presets[i].max_tokens);
  /* the judge rates once; a chain asks once per sentence */
  gtk_widget_set_sensitive (GTK_WIDGET (spin (self, "n")),
                            !assay_gen_template_is_judge (presets[i].name)
                              && g_strcmp0 (presets[i].name, ASSAY_LLMINER_CHAIN) != 0);
}

void
assay_gen_generate_dialog_set_template (AssayGenGenerateDialog *self, const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (presets); i++)
    if (g_str_equal (presets[i].name, name))
      adw_combo_row_set_selected (self->template_row, i);
}

static GtkWidget *
add_spin (AssayGenGenerateDialog *self, GtkWidget *group, const char *key, const char *title,
          const char *subtitle, double lower, double upper, double step, guint digits)
{
  GtkSpinButton *button = assay_import_dialog_spin_row (group, title, subtitle, lower, upper, step, digits, lower, NULL);

  g_hash_table_insert (self->spins, g_strdup (key), button);
  return GTK_WIDGET (button);
}

void
assay_gen_generate_dialog_generate (AssayGenGenerateDialog *self)
{
  AssayGenGenerateOptions o = { 0 };
  guint                   i = adw_combo_row_get_selected (self->template_row);

  if (!assay_gen_generate_dialog_can_generate (self) || i >= G_N_ELEMENTS (presets))
    return;
  o.model = self->model;
  o.template_name = (char *) presets[i].name;
  o.n = (int) assay_gen_generate_dialog_get_number (self, "n");
  o.sampling = ASSAY_SAMPLING_DEFAULT;
  o.sampling.temperature = assay_gen_generate_dialog_get_number (self, "temperature");
  o.sampling.top_p = assay_gen_generate_dialog_get_number (self, "top-p");
  o.sampling.top_k = (int) assay_gen_generate_dialog_get_number (self, "top-k");
  o.max_tokens = (int) assay_gen_generate_dialog_get_number (self, "max-tokens");
  o.seed = (guint64) assay_gen_generate_dialog_get_number (self, "seed");
  o.chat = gtk_switch_get_active (self->chat_switch);
  g_object_ref (self);
  if (self->func != NULL)
    self->func (&o, self->data);
  gtk_window_destroy (GTK_WINDOW (self));
  g_object_unref (self);
}

AssayGenGenerateDialog *
assay_gen_generate_dialog_new (GtkWindow *parent, guint records, const char *model,
                               AssayGenGenerateDialogFunc func, gpointer data)
{
  AssayGenGenerateDialog *self = g_object_new (ASSAY_TYPE_GEN_GENERATE_DIALOG, "modal", TRUE,
                                               "transient-for", parent, "default-width", 560,
                                               "default-height", 560, "title", _("Generate"), NULL);
  g_autofree char *subtitle = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "For the %u record the filter shows",
                                                            "For the %u records the filter shows", records),
                                               records);
  g_autoptr (GtkStringList) names = gtk_string_list_new (NULL);
  GtkWidget *content, *what, *sampling, *choose, *row;

  self->func = func;
  self->data = data;
  content = assay_import_dialog_frame (ADW_WINDOW (self), _("Generate with a Local Model"), subtitle, &self->generate);
  gtk_button_set_label (GTK_BUTTON (self->generate), _("_Generate"));

  what = adw_preferences_group_new ();
  self->template_row = ADW_COMBO_ROW (adw_combo_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->template_row), _("Template"));
  for (guint i = 0; i < G_N_ELEMENTS (presets); i++)
    gtk_string_list_append (names, _(presets[i].title));
  adw_combo_row_set_model (self->template_row, G_LIST_MODEL (names));
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (what), GTK_WIDGET (self->template_row));

  self->model_row = ADW_ACTION_ROW (adw_action_row_new ());
  choose = gtk_button_new_with_mnemonic (_("_Choose…"));
  gtk_widget_set_valign (choose, GTK_ALIGN_CENTER);
  g_signal_connect (choose, "clicked", G_CALLBACK (choose_clicked_cb), self);
  adw_action_row_add_prefix (self->model_row, gtk_image_new_from_icon_name ("folder-symbolic"));
  adw_action_row_add_suffix (self->model_row, choose);
  adw_action_row_set_activatable_widget (self->model_row, choose);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (what), GTK_WIDGET (self->model_row));

  row = adw_action_row_new ();
  self->chat_switch = GTK_SWITCH (gtk_switch_new ());
  gtk_widget_set_valign (GTK_WIDGET (self->chat_switch), GTK_ALIGN_CENTER);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("Chat template"));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), _("Ask as a user turn through the model's chat template"));
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), GTK_WIDGET (self->chat_switch));
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), GTK_WIDGET (self->chat_switch));
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (what), row);
  gtk_box_append (GTK_BOX (content), what);

  sampling = adw_preferences_group_new ();
  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (sampling), _("Sampling"));
  add_spin (self, sampling, "n", _("Answers per record"), NULL, 1, 64, 1, 0);
  add_spin (self, sampling, "temperature", _("Temperature"), _("0 is greedy"), 0, 2, 0.05, 2);
  add_spin (self, sampling, "top-p", _("Top-p"), _("The most likely tokens holding this share"), 0.05, 1, 0.05, 2);
  add_spin (self, sampling, "top-k", _("Top-k"), _("0: every token"), 0, 1000, 1, 0);
  add_spin (self, sampling, "max-tokens", _("New tokens at most"), NULL, 1, 4096, 16, 0);
  add_spin (self, sampling, "seed", _("Seed"), _("The same seed and settings give the same answers"), 0, 2147483647, 1, 0);
  gtk_box_append (GTK_BOX (content), sampling);

  g_signal_connect (self->template_row, "notify::selected", G_CALLBACK (template_changed_cb), self);
  g_signal_connect_swapped (self->generate, "clicked", G_CALLBACK (assay_gen_generate_dialog_generate), self);
  template_changed_cb (self->template_row, NULL, self);
  assay_gen_generate_dialog_set_model (self, model);
  return self;
}
