/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-gen-import-dialog.h"

#include <glib/gi18n.h>

#include "assay-import-dialog.h"
#include "assay-json.h"

#define PREVIEW_ROWS 12
#define PREVIEW_COLS 8

/* The choices of the Format row, in order: AssayGenMapping values, "automatic" first */
static const AssayGenMapping formats[] = { ASSAY_GEN_MAP_AUTO,         ASSAY_GEN_MAP_TRL,
                                           ASSAY_GEN_MAP_LLAVA_REASONER, ASSAY_GEN_MAP_PROCESSBENCH,
                                           ASSAY_GEN_MAP_LLMINER,      ASSAY_GEN_MAP_GENCO,
                                           ASSAY_GEN_MAP_CUSTOM };

/* The record fields offered in the field map (the rest stay for --map), with their words */
static const struct
{
  const char *field;
  const char *title;
  const char *subtitle;
} fields[] = {
  { "prompt", N_("Prompt"), N_("What the model was asked") },
  { "text", N_("Text"), N_("The generation (required)") },
  { "rejected", N_("Rejected"), N_("The other side of a preference pair") },
  { "model", N_("Model"), NULL },
  { "ext_id", N_("Identifier"), N_("The row's own id") },
  { "condition", N_("Label"), N_("The label a rewrite was conditioned on") },
  { "source", N_("Source"), N_("The document, image or video it is about") },
  { "answer", N_("Reference answer"), NULL },
  { "rating", N_("Rating"), N_("1–5") },
};

struct _AssayGenImportDialog
{
  AdwWindow             parent_instance;

  char                 *path;
  AssayGenPreview      *preview;
  AssayGenMapping       detected; /* what auto would take (AUTO: none fits) */
  AssayGenImportChosen  chosen;
  gpointer              data;

  AdwComboRow          *format_row;
  AdwEntryRow          *name_row;
  GtkWidget            *fields_group;
  AdwComboRow          *field_rows[G_N_ELEMENTS (fields)];
  GtkLabel             *problem;
  GtkWidget            *import_button;
};

G_DEFINE_FINAL_TYPE (AssayGenImportDialog, assay_gen_import_dialog, ADW_TYPE_WINDOW)

static void
assay_gen_import_dialog_finalize (GObject *object)
{
  AssayGenImportDialog *self = ASSAY_GEN_IMPORT_DIALOG (object);

  g_free (self->path);
  assay_gen_preview_free (self->preview);
  G_OBJECT_CLASS (assay_gen_import_dialog_parent_class)->finalize (object);
}

static void
assay_gen_import_dialog_class_init (AssayGenImportDialogClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = assay_gen_import_dialog_finalize;
}

static void
assay_gen_import_dialog_init (AssayGenImportDialog *self)
{
}

static const char *
format_title (AssayGenMapping m)
{
  switch (m)
    {
    case ASSAY_GEN_MAP_TRL: return _("TRL preference pairs (prompt, chosen, rejected)");
    case ASSAY_GEN_MAP_LLAVA_REASONER: return _("LLaVA-Reasoner pairs (question, chosen, rejected, image)");
    case ASSAY_GEN_MAP_PROCESSBENCH: return _("ProcessBench traces (problem, steps, label)");
    case ASSAY_GEN_MAP_LLMINER: return _("LLMiner QA (passage, question, answer)");
    case ASSAY_GEN_MAP_GENCO: return _("GenCo rewrites (document, label, text)");
    case ASSAY_GEN_MAP_CUSTOM: return _("Fields chosen below");
    case ASSAY_GEN_MAP_AUTO:
    default: return _("Automatic");
    }
}

static guint
format_index (AssayGenMapping m)
{
  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    if (formats[i] == m)
      return i;
  return 0;
}

/* The key chosen for field i, or NULL */
static const char *
field_key (AssayGenImportDialog *self, guint i)
{
  guint sel = adw_combo_row_get_selected (self->field_rows[i]);

  return sel >= 1 && sel <= self->preview->keys->len ? self->preview->keys->pdata[sel - 1] : NULL;
}

static gboolean
custom (AssayGenImportDialog *self)
{
  return formats[adw_combo_row_get_selected (self->format_row)] == ASSAY_GEN_MAP_CUSTOM;
}

static void
update (AssayGenImportDialog *self)
{
  gboolean    is_custom = custom (self);
  const char *problem = NULL;

  gtk_widget_set_visible (self->fields_group, is_custom);
  if (is_custom && field_key (self, 1) == NULL)
    problem = _("Choose the field that holds the text of each record.");
  else if (!is_custom && formats[adw_combo_row_get_selected (self->format_row)] == ASSAY_GEN_MAP_AUTO
           && self->detected == ASSAY_GEN_MAP_AUTO)
    problem = _("No built-in format fits these fields: choose “Fields chosen below”.");
  gtk_label_set_text (self->problem, problem != NULL ? problem : "");
  gtk_widget_set_visible (GTK_WIDGET (self->problem), problem != NULL);
  gtk_widget_set_sensitive (self->import_button, problem == NULL);
}

static void
changed_cb (GObject *object, GParamSpec *pspec, AssayGenImportDialog *self)
{
  update (self);
}

static void
import_clicked_cb (GtkButton *button, AssayGenImportDialog *self)
{
  AssayGenImportOptions o;
  g_autoptr (JsonObject) map = NULL;
  g_autofree char *name = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->name_row))));

  if (!gtk_widget_get_sensitive (self->import_button))
    return;
  assay_gen_import_options_init (&o);
  o.mapping = formats[adw_combo_row_get_selected (self->format_row)];
  if (o.mapping == ASSAY_GEN_MAP_CUSTOM)
    {
      map = json_object_new ();
      for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
        if (field_key (self, i) != NULL)
          json_object_set_string_member (map, fields[i].field, field_key (self, i));
      o.fields = map;
    }
  o.name = *name != '\0' ? name : NULL;
  if (self->chosen != NULL)
    self->chosen (self->path, &o, self->data);
  gtk_window_destroy (GTK_WINDOW (self));
}

static char *
cell_text (JsonNode *node)
{
  g_autofree char *text = NULL;

  if (node == NULL)
    return g_strdup ("");
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    text = g_strdup (json_node_get_string (node));
  else
    text = assay_json_node_to_string (node, FALSE);
  /* one line of a table cell */
  return g_strdelimit (g_utf8_make_valid (text, -1), "\n\r\t", ' ');
}

static GtkWidget *
preview_table (AssayGenImportDialog *self)
{
  GtkWidget *grid = gtk_grid_new ();
  guint      cols = MIN (self->preview->keys->len, PREVIEW_COLS);

  gtk_grid_set_column_spacing (GTK_GRID (grid), 12);
  gtk_grid_set_row_spacing (GTK_GRID (grid), 4);
  g_object_set (grid, "margin-start", 12, "margin-end", 12, "margin-top", 8, "margin-bottom", 8, NULL);
  for (guint c = 0; c < cols; c++)
    {
      GtkWidget *h = gtk_label_new (self->preview->keys->pdata[c]);
      gtk_label_set_xalign (GTK_LABEL (h), 0);
      gtk_widget_add_css_class (h, "heading");
      gtk_grid_attach (GTK_GRID (grid), h, (int) c, 0, 1, 1);
    }
  for (guint r = 0; r < self->preview->rows->len && r < PREVIEW_ROWS; r++)
    for (guint c = 0; c < cols; c++)
      {
        JsonObject      *row = self->preview->rows->pdata[r];
        const char      *key = self->preview->keys->pdata[c];
        g_autofree char *text = cell_text (json_object_get_member (row, key));
        GtkWidget       *l = gtk_label_new (text);
        gtk_label_set_xalign (GTK_LABEL (l), 0);
        gtk_label_set_ellipsize (GTK_LABEL (l), PANGO_ELLIPSIZE_END);
        gtk_label_set_max_width_chars (GTK_LABEL (l), 28);
        gtk_label_set_width_chars (GTK_LABEL (l), 6);
        gtk_widget_set_tooltip_text (l, text);
        gtk_grid_attach (GTK_GRID (grid), l, (int) c, (int) r + 1, 1, 1);
      }
  return grid;
}

AssayGenImportDialog *
assay_gen_import_dialog_new (GtkWindow *parent, AssayStore *store, const char *path,
                             AssayGenImportChosen chosen, gpointer data, GError **error)
{
  AssayGenPreview      *preview = assay_gen_preview (path, PREVIEW_ROWS, error);
  AssayGenImportDialog *self;
  g_autoptr (JsonObject) guessed = NULL;
  g_autoptr (GtkStringList) format_names = gtk_string_list_new (NULL);
  g_autoptr (GtkStringList) key_names = gtk_string_list_new (NULL);
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *title = NULL;
  GtkWidget *content, *group, *row, *table_scroller;
  GString   *keys_text = g_string_new (NULL);

  if (preview == NULL)
    {
      g_string_free (keys_text, TRUE);
      return NULL;
    }
  self = g_object_new (ASSAY_TYPE_GEN_IMPORT_DIALOG, "modal", TRUE, "transient-for", parent,
                       "default-width", 760, "default-height", 560, NULL);
  self->path = g_strdup (path);
  self->preview = preview;
  self->chosen = chosen;
  self->data = data;
  self->detected = assay_gen_guess (store, preview->rows->pdata[0], &guessed);
  title = g_strdup_printf (_("Import “%s”"), base);
  gtk_window_set_title (GTK_WINDOW (self), title);

  content = assay_import_dialog_frame (ADW_WINDOW (self), _("Import Generations"), base, &self->import_button);
  g_signal_connect (self->import_button, "clicked", G_CALLBACK (import_clicked_cb), self);

  /* the file and its dataset */
  for (guint i = 0; i < preview->keys->len; i++)
    g_string_append_printf (keys_text, "%s%s", i ? ", " : "", (char *) preview->keys->pdata[i]);
  group = adw_preferences_group_new ();
  {
    g_autofree char *sub = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s · %u row shown · fields: %s",
                                                         "%s · %u rows shown · fields: %s", preview->rows->len),
                                            preview->array ? _("JSON array") : _("JSONL"), preview->rows->len,
                                            keys_text->str);
    row = adw_action_row_new ();
    adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), base);
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), sub);
    adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), row);
  }
  self->name_row = ADW_ENTRY_ROW (adw_entry_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->name_row), _("Dataset name"));
  gtk_editable_set_text (GTK_EDITABLE (self->name_row), base);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), GTK_WIDGET (self->name_row));
  gtk_box_append (GTK_BOX (content), group);
  g_string_free (keys_text, TRUE);

  /* the mapping */
  group = adw_preferences_group_new ();
  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (group), _("Format"));
  adw_preferences_group_set_description (
    ADW_PREFERENCES_GROUP (group),
    self->detected == ASSAY_GEN_MAP_CUSTOM ? _("These fields were mapped before: the same map is chosen.")
    : self->detected == ASSAY_GEN_MAP_AUTO  ? _("No built-in format fits these fields; a map is guessed below.")
                                            : _("Detected from the fields of the first row."));
  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_autofree char *t = i == 0 && self->detected != ASSAY_GEN_MAP_AUTO && self->detected != ASSAY_GEN_MAP_CUSTOM
                             ? g_strdup_printf (_("Automatic: %s"), format_title (self->detected))
                             : g_strdup (format_title (formats[i]));
      gtk_string_list_append (format_names, t);
    }
  self->format_row = ADW_COMBO_ROW (adw_combo_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->format_row), _("Records from"));
  adw_combo_row_set_model (self->format_row, G_LIST_MODEL (format_names));
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), GTK_WIDGET (self->format_row));
  self->problem = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->problem, TRUE);
  gtk_label_set_xalign (self->problem, 0);
  gtk_widget_add_css_class (GTK_WIDGET (self->problem), "error");
  gtk_widget_set_margin_top (GTK_WIDGET (self->problem), 6);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), GTK_WIDGET (self->problem));
  gtk_box_append (GTK_BOX (content), group);

  /* the field map */
  gtk_string_list_append (key_names, _("—"));
  for (guint i = 0; i < preview->keys->len; i++)
    gtk_string_list_append (key_names, preview->keys->pdata[i]);
  self->fields_group = adw_preferences_group_new ();
  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (self->fields_group), _("Fields"));
  adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (self->fields_group),
                                         _("Where each part of a record comes from; the fields left out are kept "
                                           "with the record. The map is remembered for files with these fields."));
  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      const char *key = guessed != NULL && json_object_has_member (guessed, fields[i].field)
                          ? json_object_get_string_member (guessed, fields[i].field) : NULL;
      self->field_rows[i] = ADW_COMBO_ROW (adw_combo_row_new ());
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->field_rows[i]), _(fields[i].title));
      if (fields[i].subtitle != NULL)
        adw_action_row_set_subtitle (ADW_ACTION_ROW (self->field_rows[i]), _(fields[i].subtitle));
      adw_combo_row_set_model (self->field_rows[i], G_LIST_MODEL (key_names));
      for (guint k = 0; key != NULL && k < preview->keys->len; k++)
        if (g_str_equal (preview->keys->pdata[k], key))
          adw_combo_row_set_selected (self->field_rows[i], k + 1);
      g_signal_connect (self->field_rows[i], "notify::selected", G_CALLBACK (changed_cb), self);
      adw_preferences_group_add (ADW_PREFERENCES_GROUP (self->fields_group), GTK_WIDGET (self->field_rows[i]));
    }
  gtk_box_append (GTK_BOX (content), self->fields_group);

  /* the first rows */
  group = adw_preferences_group_new ();
  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (group), _("First rows"));
  table_scroller = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (table_scroller), GTK_POLICY_AUTOMATIC, GTK_POLICY_NEVER);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (table_scroller), preview_table (self));
  gtk_widget_add_css_class (table_scroller, "card");
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), table_scroller);
  gtk_box_append (GTK_BOX (content), group);

  /* remembered or guessed fields: the field map is shown, filled in */
  adw_combo_row_set_selected (self->format_row,
                              format_index (self->detected == ASSAY_GEN_MAP_AUTO || self->detected == ASSAY_GEN_MAP_CUSTOM
                                              ? ASSAY_GEN_MAP_CUSTOM : ASSAY_GEN_MAP_AUTO));
  g_signal_connect (self->format_row, "notify::selected", G_CALLBACK (changed_cb), self);
  update (self);
  return self;
}

AssayGenMapping
assay_gen_import_dialog_get_mapping (AssayGenImportDialog *self)
{
  return formats[adw_combo_row_get_selected (self->format_row)];
}

void
assay_gen_import_dialog_set_mapping (AssayGenImportDialog *self, AssayGenMapping mapping)
{
  adw_combo_row_set_selected (self->format_row, format_index (mapping));
}

const char *
assay_gen_import_dialog_get_field (AssayGenImportDialog *self, const char *field)
{
  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    if (g_str_equal (fields[i].field, field))
      return field_key (self, i);
  return NULL;
}

void
assay_gen_import_dialog_set_field (AssayGenImportDialog *self, const char *field, const char *key)
{
  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    if (g_str_equal (fields[i].field, field))
      {
        guint sel = 0;
        for (guint k = 0; key != NULL && k < self->preview->keys->len; k++)
          if (g_str_equal (self->preview->keys->pdata[k], key))
            sel = k + 1;
        adw_combo_row_set_selected (self->field_rows[i], sel);
      }
}

gboolean
assay_gen_import_dialog_can_import (AssayGenImportDialog *self)
{
  return gtk_widget_get_sensitive (self->import_button);
}

void
assay_gen_import_dialog_import (AssayGenImportDialog *self)
{
  import_clicked_cb (GTK_BUTTON (self->import_button), self);
}
