/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-xmtc-import-dialog.h"

#include <glib/gi18n.h>
#include <string.h>

#include "assay-error.h"
#include "assay-import-dialog.h"

#define PREVIEW_ROWS 10
#define PREVIEW_COLS 8

static const char delimiters[] = { ',', '\t', ';', '|' };

struct _AssayXmtcImportDialog
{
  AdwWindow              parent_instance;

  char                  *path;
  AssayXmtcFormat        format;
  AssayXmtcImportChosen  chosen;
  gpointer               data;
  GPtrArray             *rows;    /* GStrv, as read under the delimiter chosen */
  GPtrArray             *columns; /* char *: the header's names, or "Column N" */
  gboolean               updating;

  AdwEntryRow           *name_row;
  AdwComboRow           *delimiter_row;
  GtkSwitch             *header_switch;
  AdwComboRow           *text_row;
  AdwComboRow           *label_row;
  AdwComboRow           *split_row;
  AdwEntryRow           *separator_row;
  GtkSwitch             *topics_switch;
  GtkWidget             *preview_box;
  GtkLabel              *problem;
  GtkWidget             *import_button;
};

G_DEFINE_FINAL_TYPE (AssayXmtcImportDialog, assay_xmtc_import_dialog, ADW_TYPE_WINDOW)

static void
assay_xmtc_import_dialog_finalize (GObject *object)
{
  AssayXmtcImportDialog *self = ASSAY_XMTC_IMPORT_DIALOG (object);

  g_free (self->path);
  g_clear_pointer (&self->rows, g_ptr_array_unref);
  g_clear_pointer (&self->columns, g_ptr_array_unref);
  G_OBJECT_CLASS (assay_xmtc_import_dialog_parent_class)->finalize (object);
}

static void
assay_xmtc_import_dialog_class_init (AssayXmtcImportDialogClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = assay_xmtc_import_dialog_finalize;
}

static void
assay_xmtc_import_dialog_init (AssayXmtcImportDialog *self)
{
}

static gboolean
has_header (AssayXmtcImportDialog *self)
{
  return gtk_switch_get_active (self->header_switch);
}

static char
delimiter (AssayXmtcImportDialog *self)
{
  return delimiters[MIN (adw_combo_row_get_selected (self->delimiter_row), G_N_ELEMENTS (delimiters) - 1)];
}

/* The column a row names: index into columns, or -1 (offset: rows that start with "—") */
static int
chosen_column (AdwComboRow *row, gboolean optional)
{
  int sel = (int) adw_combo_row_get_selected (row);

  if (optional)
    return sel >= 1 ? sel - 1 : -1;
  return sel;
}

/* The first column whose name is one of names (any case), or -1 */
static int
named (AssayXmtcImportDialog *self, const char *const *names, int skip)
{
  if (!has_header (self))
    return -1;
  for (const char *const *n = names; *n != NULL; n++)
    for (guint c = 0; c < self->columns->len; c++)
      if ((int) c != skip && g_ascii_strcasecmp (self->columns->pdata[c], *n) == 0)
        return (int) c;
  return -1;
}

/* Mean length of a column's values over the preview (the header aside) */
static double
mean_length (AssayXmtcImportDialog *self, guint c)
{
  double sum = 0;
  guint  n = 0;

  for (guint r = has_header (self) ? 1 : 0; r < self->rows->len; r++)
    {
      char **row = self->rows->pdata[r];
      if (c < g_strv_length (row))
        sum += strlen (row[c]);
      n++;
    }
  return n > 0 ? sum / n : 0;
}

static void
fill_combo (AdwComboRow *row, GPtrArray *names, gboolean optional, int select)
{
  g_autoptr (GtkStringList) list = gtk_string_list_new (NULL);

  if (optional)
    gtk_string_list_append (list, _("—"));
  for (guint i = 0; i < names->len; i++)
    gtk_string_list_append (list, names->pdata[i]);
  adw_combo_row_set_model (row, G_LIST_MODEL (list));
  adw_combo_row_set_selected (row, select < 0 ? 0 : (guint) select + (optional ? 1 : 0));
}

static void
update (AssayXmtcImportDialog *self)
{
  const char *problem = NULL;

  if (self->format == ASSAY_XMTC_FORMAT_CSV)
    {
      if (self->rows == NULL || self->rows->len < (has_header (self) ? 2u : 1u))
        problem = _("No rows under this delimiter.");
      else if (chosen_column (self->text_row, FALSE) == chosen_column (self->label_row, FALSE))
        problem = _("The text and the labels must come from two different columns.");
    }
  gtk_label_set_text (self->problem, problem != NULL ? problem : "");
  gtk_widget_set_visible (GTK_WIDGET (self->problem), problem != NULL);
  gtk_widget_set_sensitive (self->import_button, problem == NULL);
}

static void
rebuild_preview (AssayXmtcImportDialog *self)
{
  GtkWidget *grid = gtk_grid_new (), *child;
  guint      cols = MIN (self->columns->len, PREVIEW_COLS);

  while ((child = gtk_widget_get_first_child (self->preview_box)) != NULL)
    gtk_box_remove (GTK_BOX (self->preview_box), child);
  gtk_grid_set_column_spacing (GTK_GRID (grid), 12);
  gtk_grid_set_row_spacing (GTK_GRID (grid), 4);
  g_object_set (grid, "margin-start", 12, "margin-end", 12, "margin-top", 8, "margin-bottom", 8, NULL);
  for (guint c = 0; c < cols; c++)
    {
      GtkWidget *h = gtk_label_new (self->columns->pdata[c]);
      gtk_label_set_xalign (GTK_LABEL (h), 0);
      gtk_widget_add_css_class (h, "heading");
      gtk_grid_attach (GTK_GRID (grid), h, (int) c, 0, 1, 1);
    }
  for (guint r = has_header (self) ? 1 : 0, y = 1; r < self->rows->len; r++, y++)
    {
      char **row = self->rows->pdata[r];
      for (guint c = 0; c < cols && c < g_strv_length (row); c++)
        {
          g_autofree char *text = g_strdelimit (g_utf8_make_valid (row[c], -1), "\n\r\t", ' ');
          GtkWidget       *l = gtk_label_new (text);
          gtk_label_set_xalign (GTK_LABEL (l), 0);
          gtk_label_set_ellipsize (GTK_LABEL (l), PANGO_ELLIPSIZE_END);
          gtk_label_set_max_width_chars (GTK_LABEL (l), 30);
          gtk_label_set_width_chars (GTK_LABEL (l), 5);
          gtk_widget_set_tooltip_text (l, text);
          gtk_grid_attach (GTK_GRID (grid), l, (int) c, (int) y, 1, 1);
        }
    }
  gtk_box_append (GTK_BOX (self->preview_box), grid);
}

/* Reads the preview anew under the delimiter and header chosen, and guesses the columns */
static void
reread (AssayXmtcImportDialog *self)
{
  static const char *const text_names[] = { "text", "body", "content", "document", "abstract", "review",
                                            "sentence", "title", NULL };
  static const char *const label_names[] = { "labels", "label", "tags", "tag", "categories", "category",
                                             "topics", "topic", "classes", "class", "y", "target", NULL };
  static const char *const split_names[] = { "split", "set", "fold", "partition", NULL };
  g_autoptr (GError) error = NULL;
  guint width = 0;
  int   text, label, split;

  g_clear_pointer (&self->rows, g_ptr_array_unref);
  g_clear_pointer (&self->columns, g_ptr_array_unref);
  self->rows = assay_xmtc_csv_preview (self->path, delimiter (self), PREVIEW_ROWS + 1, &error);
  if (self->rows == NULL)
    self->rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  self->columns = g_ptr_array_new_with_free_func (g_free);
  for (guint r = 0; r < self->rows->len; r++)
    width = MAX (width, g_strv_length (self->rows->pdata[r]));
  for (guint c = 0; c < width; c++)
    {
      char **first = self->rows->len > 0 ? self->rows->pdata[0] : NULL;
      if (has_header (self) && first != NULL && c < g_strv_length (first) && *first[c] != '\0')
        g_ptr_array_add (self->columns, g_utf8_make_valid (first[c], -1)); /* a name as shown */
      else
        g_ptr_array_add (self->columns, g_strdup_printf (_("Column %u"), c + 1));
    }
  /* by name, else the longest values are the text and the shortest the labels */
  text = named (self, text_names, -1);
  if (text < 0 && width > 0)
    {
      text = 0;
      for (guint c = 1; c < width; c++)
        if (mean_length (self, c) > mean_length (self, (guint) text))
          text = (int) c;
    }
  label = named (self, label_names, text);
  if (label < 0 && width > 1)
    for (guint c = 0; c < width; c++)
      if ((int) c != text && (label < 0 || mean_length (self, c) < mean_length (self, (guint) label)))
        label = (int) c;
  split = named (self, split_names, -1);
  self->updating = TRUE;
  fill_combo (self->text_row, self->columns, FALSE, text);
  fill_combo (self->label_row, self->columns, FALSE, label);
  fill_combo (self->split_row, self->columns, TRUE, split);
  self->updating = FALSE;
  rebuild_preview (self);
  update (self);
}

static void
reread_cb (GObject *object, GParamSpec *pspec, AssayXmtcImportDialog *self)
{
  if (!self->updating)
    reread (self);
}

static void
changed_cb (GObject *object, GParamSpec *pspec, AssayXmtcImportDialog *self)
{
  if (!self->updating)
    update (self);
}

/* A column as the importer takes it: its 1-based number (a name may hold a comma, or bytes the
 * dialog shows made valid) */
static char *
column_spec (AssayXmtcImportDialog *self, int c)
{
  return c >= 0 ? g_strdup_printf ("%d", c + 1) : NULL;
}

static void
import_clicked_cb (GtkButton *button, AssayXmtcImportDialog *self)
{
  AssayXmtcImportOptions o;
  g_autofree char *name = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->name_row))));
  g_autofree char *text = NULL, *label = NULL, *split = NULL, *separator = NULL;

  if (!gtk_widget_get_sensitive (self->import_button))
    return;
  assay_xmtc_import_options_init (&o);
  o.format = self->format;
  o.name = *name != '\0' ? name : NULL;
  if (self->format == ASSAY_XMTC_FORMAT_CSV)
    {
      o.delimiter = delimiter (self);
      o.no_header = !has_header (self);
      o.text_columns = text = column_spec (self, chosen_column (self->text_row, FALSE));
      o.label_column = label = column_spec (self, chosen_column (self->label_row, FALSE));
      o.split_column = split = column_spec (self, chosen_column (self->split_row, TRUE));
      separator = g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->separator_row)));
      if (*separator != '\0')
        o.label_separator = separator;
    }
  if (self->format == ASSAY_XMTC_FORMAT_REUTERS)
    o.reuters_all_topics = gtk_switch_get_active (self->topics_switch);
  if (self->chosen != NULL)
    self->chosen (self->path, &o, self->data);
  gtk_window_destroy (GTK_WINDOW (self));
}

static GtkWidget *
switch_row (const char *title, const char *subtitle, GtkSwitch **out, gboolean active)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *sw = gtk_switch_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  if (subtitle != NULL)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_switch_set_active (GTK_SWITCH (sw), active);
  gtk_widget_set_valign (sw, GTK_ALIGN_CENTER);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), sw);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), sw);
  *out = GTK_SWITCH (sw);
  return row;
}

static AdwComboRow *
combo_row (GtkWidget *group, const char *title, const char *subtitle)
{
  AdwComboRow *row = ADW_COMBO_ROW (adw_combo_row_new ());

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  if (subtitle != NULL)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), GTK_WIDGET (row));
  return row;
}

AssayXmtcImportDialog *
assay_xmtc_import_dialog_new (GtkWindow *parent, const char *path, AssayXmtcImportChosen chosen,
                              gpointer data, GError **error)
{
  static const char *const format_names[] = { N_("Automatic"), N_("Extreme Classification (XC) sparse format"),
                                              N_("Reuters-21578 SGML"), N_("JSONL"), N_("CSV") };
  AssayXmtcImportDialog *self;
  g_autofree char *base = g_path_get_basename (path);
  GtkWidget *content, *group, *row, *scroller;
  AssayXmtcFormat format = assay_xmtc_guess_format (path);

  if (format == ASSAY_XMTC_FORMAT_CSV && !g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT, _("%s: no such file"), path);
      return NULL;
    }
  self = g_object_new (ASSAY_TYPE_XMTC_IMPORT_DIALOG, "modal", TRUE, "transient-for", parent,
                       "default-width", 720, "default-height", format == ASSAY_XMTC_FORMAT_CSV ? 560 : 360,
                       "title", _("Import Labelled Corpus"), NULL);
  self->path = g_strdup (path);
  self->format = format;
  self->chosen = chosen;
  self->data = data;

  content = assay_import_dialog_frame (ADW_WINDOW (self), _("Import Labelled Corpus"), base, &self->import_button);
  g_signal_connect (self->import_button, "clicked", G_CALLBACK (import_clicked_cb), self);

  group = adw_preferences_group_new ();
  row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), base);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), _(format_names[format]));
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), row);
  self->name_row = ADW_ENTRY_ROW (adw_entry_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->name_row), _("Dataset name"));
  gtk_editable_set_text (GTK_EDITABLE (self->name_row), base);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), GTK_WIDGET (self->name_row));
  if (format == ASSAY_XMTC_FORMAT_REUTERS)
    adw_preferences_group_add (ADW_PREFERENCES_GROUP (group),
                               switch_row (_("All topics"),
                                           _("Every TOPICS category, not only the 90 with both training and test "
                                             "documents (ModApte)"),
                                           &self->topics_switch, FALSE));
  if (format == ASSAY_XMTC_FORMAT_XC)
    adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (group),
                                           _("A test split, feature names and label names in files of their own: "
                                             "assay-cli xmtc import --test, --vocabulary, --label-names."));
  gtk_box_append (GTK_BOX (content), group);

  self->problem = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->problem, TRUE);
  gtk_label_set_xalign (self->problem, 0);
  gtk_widget_add_css_class (GTK_WIDGET (self->problem), "error");
  gtk_widget_set_visible (GTK_WIDGET (self->problem), FALSE);

  if (format == ASSAY_XMTC_FORMAT_CSV)
    {
      g_autoptr (GtkStringList) delims = gtk_string_list_new ((const char *[]) { _("Comma"), _("Tab"), _("Semicolon"),
                                                                                 _("Vertical bar"), NULL });
      char guess = assay_xmtc_guess_delimiter (path);

      group = adw_preferences_group_new ();
      adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (group), _("Columns"));
      self->delimiter_row = combo_row (group, _("Delimiter"), NULL);
      adw_combo_row_set_model (self->delimiter_row, G_LIST_MODEL (delims));
      for (guint i = 0; i < G_N_ELEMENTS (delimiters); i++)
        if (delimiters[i] == guess)
          adw_combo_row_set_selected (self->delimiter_row, i);
      adw_preferences_group_add (ADW_PREFERENCES_GROUP (group),
                                 switch_row (_("First line names the columns"), NULL, &self->header_switch, TRUE));
      self->text_row = combo_row (group, _("Text"), _("The document's text"));
      self->label_row = combo_row (group, _("Labels"), _("The document's labels, split by the separator"));
      self->separator_row = ADW_ENTRY_ROW (adw_entry_row_new ());
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->separator_row), _("Label separator"));
      gtk_editable_set_text (GTK_EDITABLE (self->separator_row), "|");
      adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), GTK_WIDGET (self->separator_row));
      self->split_row = combo_row (group, _("Split"), _("train or test, per row (optional)"));
      adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), GTK_WIDGET (self->problem));
      gtk_box_append (GTK_BOX (content), group);

      group = adw_preferences_group_new ();
      adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (group), _("First rows"));
      scroller = gtk_scrolled_window_new ();
      gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_AUTOMATIC, GTK_POLICY_NEVER);
      self->preview_box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
      gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), self->preview_box);
      gtk_widget_add_css_class (scroller, "card");
      adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), scroller);
      gtk_box_append (GTK_BOX (content), group);

      reread (self);
      if (self->rows->len == 0)
        {
          g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT, _("%s: no rows to import"), path);
          gtk_window_destroy (GTK_WINDOW (self));
          return NULL;
        }
      g_signal_connect (self->delimiter_row, "notify::selected", G_CALLBACK (reread_cb), self);
      g_signal_connect (self->header_switch, "notify::active", G_CALLBACK (reread_cb), self);
      g_signal_connect (self->text_row, "notify::selected", G_CALLBACK (changed_cb), self);
      g_signal_connect (self->label_row, "notify::selected", G_CALLBACK (changed_cb), self);
    }
  else
    gtk_box_append (GTK_BOX (content), GTK_WIDGET (self->problem));

  update (self);
  return self;
}

AssayXmtcFormat
assay_xmtc_import_dialog_get_format (AssayXmtcImportDialog *self)
{
  return self->format;
}

static AdwComboRow *
column_row (AssayXmtcImportDialog *self, const char *which, gboolean *optional)
{
  *optional = g_str_equal (which, "split");
  return g_str_equal (which, "text") ? self->text_row : g_str_equal (which, "label") ? self->label_row : self->split_row;
}

const char *
assay_xmtc_import_dialog_get_column (AssayXmtcImportDialog *self, const char *which)
{
  gboolean     optional = FALSE;
  AdwComboRow *row = column_row (self, which, &optional);
  int          c = chosen_column (row, optional);

  return c >= 0 && (guint) c < self->columns->len ? self->columns->pdata[c] : NULL;
}

void
assay_xmtc_import_dialog_set_column (AssayXmtcImportDialog *self, const char *which, const char *name)
{
  gboolean     optional;
  AdwComboRow *row = column_row (self, which, &optional);

  for (guint c = 0; c < self->columns->len; c++)
    if (g_strcmp0 (self->columns->pdata[c], name) == 0)
      adw_combo_row_set_selected (row, c + (optional ? 1 : 0));
  if (name == NULL && optional)
    adw_combo_row_set_selected (row, 0);
}

char
assay_xmtc_import_dialog_get_delimiter (AssayXmtcImportDialog *self)
{
  return delimiter (self);
}

void
assay_xmtc_import_dialog_set_delimiter (AssayXmtcImportDialog *self, char d)
{
  for (guint i = 0; i < G_N_ELEMENTS (delimiters); i++)
    if (delimiters[i] == d)
      adw_combo_row_set_selected (self->delimiter_row, i);
}

guint
assay_xmtc_import_dialog_get_n_columns (AssayXmtcImportDialog *self)
{
  return self->columns != NULL ? self->columns->len : 0;
}

gboolean
assay_xmtc_import_dialog_can_import (AssayXmtcImportDialog *self)
{
  return gtk_widget_get_sensitive (self->import_button);
}

void
assay_xmtc_import_dialog_import (AssayXmtcImportDialog *self)
{
  import_clicked_cb (GTK_BUTTON (self->import_button), self);
}

void
assay_xmtc_import_dialog_set_header (AssayXmtcImportDialog *self, gboolean header)
{
  gtk_switch_set_active (self->header_switch, header);
}
