/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "assay-label-errors-window.h"

#include <glib/gi18n.h>

#include "assay-dismissals.h"
#include "assay-gen-errors.h"
#include "assay-gen-record.h"
#include "assay-xmtc-errors.h"
#include "assay-xmtc-model.h"

#define MAX_ROWS 2000

struct _AssayLabelErrorsWindow
{
  AdwWindow   parent_instance;

  AssayStore *store;
  gint64      dataset;
  JsonObject *result;
  GPtrArray  *rows;        /* JsonObject * (borrowed from result), as listed */
  GtkListBox *list;
  GtkLabel   *doc_title;
  GtkLabel   *verdict;
  GtkLabel   *labels;
  GtkLabel   *evidence;
  AssayXmtcModel *model;   /* the dataset's latest SVM run, for keyword evidence (or NULL) */
  GtkLabel   *text;
  GtkLabel   *status;
  GtkWidget  *apply_button;
  GtkWidget  *dismiss_button;
};

G_DEFINE_FINAL_TYPE (AssayLabelErrorsWindow, assay_label_errors_window, ADW_TYPE_WINDOW)

/* The document's id as imported, or a generated record's id */
static char *
item_of (JsonObject *e)
{
  if (json_object_has_member (e, "document"))
    return g_strdup (json_object_get_string_member (e, "document"));
  return g_strdup_printf ("%lld", (long long) json_object_get_int_member (e, "record"));
}

static gboolean
given_of (JsonObject *e)
{
  return !json_object_has_member (e, "given") || json_object_get_boolean_member (e, "given");
}

static JsonObject *
selected (AssayLabelErrorsWindow *self, int *index)
{
  GtkListBoxRow *row = gtk_list_box_get_selected_row (self->list);
  int            i = row != NULL ? gtk_list_box_row_get_index (row) : -1;

  if (index != NULL)
    *index = i;
  return i >= 0 && (guint) i < self->rows->len ? g_ptr_array_index (self->rows, i) : NULL;
}

static char *
verdict_text (JsonObject *e)
{
  const char *label = json_object_get_string_member (e, "label");
  const char *suggested = json_object_get_string_member_with_default (e, "suggested", NULL);
  double      score = json_object_get_double_member (e, "score");

  if (!given_of (e))
    return g_strdup_printf (_("Probably missing label “%s” (its probability as given, absent: %.3f)"), label, score);
  if (suggested != NULL)
    return g_strdup_printf (_("Given “%s”, probably “%s” (probability of the given label: %.3f)"), label, suggested, score);
  return g_strdup_printf (_("Given “%s” probably in error (probability of the given label: %.3f)"), label, score);
}

/* "keywords of “given” here: … · keywords of “suggested” here: …" from a generated record's
 * error, or NULL without them */
static char *
keywords_text (JsonObject *e)
{
  JsonObject *k = json_object_has_member (e, "keywords") ? json_object_get_object_member (e, "keywords") : NULL;
  const char *which[2] = { "given", "suggested" };
  const char *label[2] = { json_object_get_string_member (e, "label"),
                           json_object_get_string_member_with_default (e, "suggested", NULL) };
  GString    *s;

  if (k == NULL)
    return NULL;
  s = g_string_new (NULL);
  for (int w = 0; w < 2; w++)
    {
      JsonArray *a = json_object_has_member (k, which[w]) ? json_object_get_array_member (k, which[w]) : NULL;
      GString   *list = g_string_new (NULL);
      if (a == NULL || label[w] == NULL)
        {
          g_string_free (list, TRUE);
          continue;
        }
      for (guint i = 0; i < json_array_get_length (a); i++)
        g_string_append_printf (list, "%s%s", i > 0 ? ", " : "", json_array_get_string_element (a, i));
      if (s->len > 0)
        g_string_append (s, " · ");
      g_string_append_printf (s, _("keywords of “%s” here: %s"), label[w], list->len > 0 ? list->str : _("none"));
      g_string_free (list, TRUE);
    }
  return g_string_free (s, FALSE);
}

/* "Nearest: D (labels, similarity) · …" from the error's neighbours, or NULL without them */
static char *
neighbours_text (JsonObject *e)
{
  JsonArray *near = json_object_has_member (e, "neighbours") ? json_object_get_array_member (e, "neighbours") : NULL;
  GString   *s;

  if (near == NULL)
    return NULL;
  if (json_array_get_length (near) == 0)
    return g_strdup (_("Nearest: no other item shares a word with this one"));
  s = g_string_new (_("Nearest: "));
  for (guint i = 0; i < json_array_get_length (near); i++)
    {
      JsonObject      *m = json_array_get_object_element (near, i);
      g_autofree char *labels = NULL;
      if (json_object_has_member (m, "labels"))
        {
          JsonArray *a = json_object_get_array_member (m, "labels");
          GString   *l = g_string_new (NULL);
          for (guint k = 0; k < json_array_get_length (a); k++)
            g_string_append_printf (l, "%s%s", k > 0 ? ", " : "", json_array_get_string_element (a, k));
          labels = g_string_free (l, FALSE);
        }
      else
        labels = g_strdup (json_object_get_string_member_with_default (m, "label", ""));
      if (i > 0)
        g_string_append (s, " · ");
      if (json_object_has_member (m, "document"))
        g_string_append_printf (s, "%s", json_object_get_string_member (m, "document"));
      else
        g_string_append_printf (s, "#%lld", (long long) json_object_get_int_member (m, "record"));
      g_string_append_printf (s, _(" (%s; %.2f)"), *labels != '\0' ? labels : _("no label"),
                              json_object_get_double_member (m, "similarity"));
    }
  return g_string_free (s, FALSE);
}

static void
show_selected (AssayLabelErrorsWindow *self)
{
  JsonObject      *e = selected (self, NULL);
  g_autofree char *title = NULL, *text = NULL, *verdict = NULL, *joined = NULL, *heading = NULL;
  g_auto (GStrv)   labels = NULL;
  g_autoptr (GError) error = NULL;

  gtk_widget_set_sensitive (self->apply_button, e != NULL);
  gtk_widget_set_sensitive (self->dismiss_button, e != NULL);
  if (e == NULL)
    {
      gtk_label_set_text (self->doc_title, _("No error selected"));
      gtk_label_set_text (self->verdict, "");
      gtk_label_set_text (self->labels, "");
      gtk_label_set_text (self->evidence, "");
      gtk_label_set_text (self->text, "");
      return;
    }
  verdict = verdict_text (e);
  {
    g_autofree char *item = item_of (e);
    heading = json_object_has_member (e, "document") ? g_strdup_printf (_("Document %s"), item)
                                                     : g_strdup_printf (_("Record #%s"), item);
  }
  gtk_label_set_text (self->doc_title, heading);
  gtk_label_set_text (self->verdict, verdict);
  if (!json_object_has_member (e, "document"))
    {
      /* a generated record: its text, its prompt, its label */
      g_autoptr (AssayGenRecord) r = assay_gen_record_load (self->store, json_object_get_int_member (e, "record"), &error);
      if (r == NULL)
        {
          gtk_label_set_text (self->labels, "");
          gtk_label_set_text (self->evidence, "");
          gtk_label_set_text (self->text, error->message);
          return;
        }
      {
        g_autofree char *l = g_strdup_printf (_("Label now: %s"), r->condition != NULL ? r->condition : _("none"));
        g_autofree char *body = r->prompt != NULL ? g_strdup_printf ("%s\n\n%s", assay_gen_record_final_text (r), r->prompt)
                                                  : g_strdup (assay_gen_record_final_text (r));
        g_autofree char *near = neighbours_text (e);
        g_autofree char *words = keywords_text (e);
        g_autofree char *ev = g_strjoin ("\n", words != NULL ? words : "", near != NULL ? near : "",
                                         r->prompt != NULL ? _("The text, then the prompt it was written for") : "", NULL);
        gtk_label_set_text (self->labels, l);
        gtk_label_set_text (self->text, body);
        gtk_label_set_text (self->evidence, g_strstrip (ev));
      }
      return;
    }
  if (!assay_xmtc_document_get (self->store, self->dataset, json_object_get_string_member (e, "document"), &title, &text,
                                &labels, &error))
    {
      gtk_label_set_text (self->labels, "");
      gtk_label_set_text (self->text, error->message);
      return;
    }
  joined = g_strjoinv (", ", labels);
  {
    g_autofree char *l = g_strdup_printf (_("Labels now: %s"), *joined != '\0' ? joined : _("none"));
    gtk_label_set_text (self->labels, l);
  }
  {
    g_autofree char *body = title != NULL && *title != '\0' ? g_strdup_printf ("%s\n\n%s", title, text != NULL ? text : "")
                                                            : g_strdup (text != NULL ? text : "");
    GString *ev = g_string_new (NULL);
    const char *label = json_object_get_string_member (e, "label");
    const char *suggested = json_object_get_string_member_with_default (e, "suggested", NULL);
    gtk_label_set_text (self->text, body);
    /* the evidence: each label's SVM keywords found in this text */
    if (self->model == NULL)
      g_string_append (ev, _("Train the label model (SVM) for keyword evidence"));
    else
      {
        const char *which[2] = { label, suggested };
        for (int k = 0; k < 2; k++)
          {
            g_auto (GStrv) words = which[k] != NULL ? assay_xmtc_model_evidence (self->model, which[k], body, 50, 8) : NULL;
            g_autofree char *list = words != NULL && words[0] != NULL ? g_strjoinv (", ", words) : NULL;
            if (which[k] == NULL)
              continue;
            if (ev->len > 0)
              g_string_append (ev, " · ");
            g_string_append_printf (ev, _("keywords of “%s” here: %s"), which[k], list != NULL ? list : _("none"));
          }
      }
    {
      g_autofree char *near = neighbours_text (e);
      if (near != NULL)
        g_string_append_printf (ev, "\n%s", near);
    }
    gtk_label_set_text (self->evidence, ev->str);
    g_string_free (ev, TRUE);
  }
}

static void
update_status (AssayLabelErrorsWindow *self, const char *message)
{
  g_autofree char *s = g_strdup_printf (_("%u listed of %lld found%s%s"), self->rows->len,
                                        (long long) json_object_get_int_member (self->result, "found"),
                                        message != NULL ? " · " : "", message != NULL ? message : "");
  gtk_label_set_text (self->status, s);
}

static GtkWidget *
row_new (JsonObject *e)
{
  GtkWidget       *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget       *top, *bottom;
  const char      *suggested = json_object_get_string_member_with_default (e, "suggested", NULL);
  gboolean         given = given_of (e);
  g_autofree char *item = item_of (e);
  g_autofree char *line1 = g_strdup_printf ("%s%s · %s %s", json_object_has_member (e, "document") ? "" : "#", item,
                                            given ? _("given") : _("missing"), json_object_get_string_member (e, "label"));
  g_autofree char *line2 = suggested != NULL
                             ? g_strdup_printf (_("suggested %s · %.3f"), suggested, json_object_get_double_member (e, "score"))
                             : g_strdup_printf ("%.3f", json_object_get_double_member (e, "score"));

  top = gtk_label_new (line1);
  bottom = gtk_label_new (line2);
  gtk_label_set_xalign (GTK_LABEL (top), 0);
  gtk_label_set_xalign (GTK_LABEL (bottom), 0);
  gtk_label_set_ellipsize (GTK_LABEL (top), PANGO_ELLIPSIZE_END);
  gtk_label_set_ellipsize (GTK_LABEL (bottom), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (bottom, "dim-label");
  gtk_widget_add_css_class (bottom, "caption");
  gtk_widget_set_margin_start (box, 8);
  gtk_widget_set_margin_end (box, 8);
  gtk_widget_set_margin_top (box, 4);
  gtk_widget_set_margin_bottom (box, 4);
  gtk_box_append (GTK_BOX (box), top);
  gtk_box_append (GTK_BOX (box), bottom);
  return box;
}

static void
remove_selected (AssayLabelErrorsWindow *self)
{
  int            i;
  GtkListBoxRow *row;

  if (selected (self, &i) == NULL)
    return;
  row = gtk_list_box_get_row_at_index (self->list, i);
  g_ptr_array_remove_index (self->rows, i);
  gtk_list_box_remove (self->list, GTK_WIDGET (row));
  row = gtk_list_box_get_row_at_index (self->list, MIN (i, (int) self->rows->len - 1));
  gtk_list_box_select_row (self->list, row);
  if (row != NULL)
    gtk_widget_grab_focus (GTK_WIDGET (row));
  show_selected (self);
}

gboolean
assay_label_errors_window_apply (AssayLabelErrorsWindow *self)
{
  JsonObject *e = selected (self, NULL);
  g_autoptr (GError) error = NULL;

  g_return_val_if_fail (ASSAY_IS_LABEL_ERRORS_WINDOW (self), FALSE);
  if (e == NULL)
    return FALSE;
  if (json_object_has_member (e, "document") ? !assay_xmtc_correct_label (self->store, self->dataset, e, &error)
                                             : !assay_gen_correct_label (self->store, e, &error))
    {
      update_status (self, error->message);
      return FALSE;
    }
  update_status (self, _("corrected (Ctrl+Z in the main window undoes it)"));
  remove_selected (self);
  return TRUE;
}

void
assay_label_errors_window_dismiss (AssayLabelErrorsWindow *self)
{
  JsonObject *e = selected (self, NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *item = NULL;

  g_return_if_fail (ASSAY_IS_LABEL_ERRORS_WINDOW (self));
  if (e == NULL)
    return;
  /* kept: later searches leave it out */
  item = item_of (e);
  if (!assay_dismissal_add (self->store, self->dataset, item, json_object_get_string_member (e, "label"), given_of (e),
                            &error))
    {
      update_status (self, error->message);
      return;
    }
  remove_selected (self);
  update_status (self, _("dismissed: later searches leave it out (Ctrl+Z in the main window undoes it)"));
}

static void
apply_clicked_cb (GtkButton *button, AssayLabelErrorsWindow *self)
{
  assay_label_errors_window_apply (self);
}

static void
dismiss_clicked_cb (GtkButton *button, AssayLabelErrorsWindow *self)
{
  assay_label_errors_window_dismiss (self);
}

static void
row_selected_cb (GtkListBox *box, GtkListBoxRow *row, AssayLabelErrorsWindow *self)
{
  show_selected (self);
}

static gboolean
key_pressed_cb (GtkEventControllerKey *controller, guint keyval, guint keycode, GdkModifierType state,
                AssayLabelErrorsWindow *self)
{
  if (state & (GDK_CONTROL_MASK | GDK_ALT_MASK))
    return FALSE;
  if (keyval == GDK_KEY_a || keyval == GDK_KEY_A)
    {
      assay_label_errors_window_apply (self);
      return TRUE;
    }
  if (keyval == GDK_KEY_d || keyval == GDK_KEY_D)
    {
      assay_label_errors_window_dismiss (self);
      return TRUE;
    }
  return FALSE;
}

static void
assay_label_errors_window_dispose (GObject *object)
{
  AssayLabelErrorsWindow *self = ASSAY_LABEL_ERRORS_WINDOW (object);

  g_clear_object (&self->store);
  g_clear_pointer (&self->rows, g_ptr_array_unref);
  g_clear_pointer (&self->result, json_object_unref);
  g_clear_pointer (&self->model, assay_xmtc_model_free);
  G_OBJECT_CLASS (assay_label_errors_window_parent_class)->dispose (object);
}

static void
assay_label_errors_window_class_init (AssayLabelErrorsWindowClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = assay_label_errors_window_dispose;
  gtk_widget_class_add_binding_action (GTK_WIDGET_CLASS (klass), GDK_KEY_Escape, 0, "window.close", NULL);
}

static GtkWidget *
wrapped_label (GtkLabel **out, const char *css)
{
  GtkWidget *l = gtk_label_new ("");

  gtk_label_set_xalign (GTK_LABEL (l), 0);
  gtk_label_set_wrap (GTK_LABEL (l), TRUE);
  gtk_label_set_selectable (GTK_LABEL (l), TRUE);
  if (css != NULL)
    gtk_widget_add_css_class (l, css);
  *out = GTK_LABEL (l);
  return l;
}

static void
assay_label_errors_window_init (AssayLabelErrorsWindow *self)
{
  GtkWidget          *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget          *header = adw_header_bar_new ();
  GtkWidget          *paned = gtk_paned_new (GTK_ORIENTATION_HORIZONTAL);
  GtkWidget          *scroll = gtk_scrolled_window_new (), *text_scroll = gtk_scrolled_window_new ();
  GtkWidget          *side = gtk_box_new (GTK_ORIENTATION_VERTICAL, 8);
  GtkWidget          *buttons = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  GtkEventController *keys = gtk_event_controller_key_new ();

  self->rows = g_ptr_array_new ();
  adw_window_set_content (ADW_WINDOW (self), box);
  gtk_box_append (GTK_BOX (box), header);
  self->list = GTK_LIST_BOX (gtk_list_box_new ());
  gtk_list_box_set_selection_mode (self->list, GTK_SELECTION_BROWSE);
  gtk_widget_add_css_class (GTK_WIDGET (self->list), "navigation-sidebar");
  g_signal_connect (self->list, "row-selected", G_CALLBACK (row_selected_cb), self);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroll), GTK_WIDGET (self->list));
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroll), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_widget_set_size_request (scroll, 260, -1);
  gtk_paned_set_start_child (GTK_PANED (paned), scroll);
  gtk_paned_set_shrink_start_child (GTK_PANED (paned), FALSE);
  gtk_paned_set_position (GTK_PANED (paned), 320);

  gtk_widget_set_margin_start (side, 12);
  gtk_widget_set_margin_end (side, 12);
  gtk_widget_set_margin_top (side, 12);
  gtk_widget_set_margin_bottom (side, 12);
  gtk_box_append (GTK_BOX (side), wrapped_label (&self->doc_title, "title-4"));
  gtk_box_append (GTK_BOX (side), wrapped_label (&self->verdict, "heading"));
  gtk_box_append (GTK_BOX (side), wrapped_label (&self->labels, "dim-label"));
  gtk_box_append (GTK_BOX (side), wrapped_label (&self->evidence, "caption"));
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (text_scroll), wrapped_label (&self->text, NULL));
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (text_scroll), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_widget_set_vexpand (text_scroll, TRUE);
  gtk_widget_add_css_class (text_scroll, "card");
  gtk_label_set_wrap_mode (self->text, PANGO_WRAP_WORD_CHAR);
  gtk_widget_set_margin_start (GTK_WIDGET (self->text), 10);
  gtk_widget_set_margin_end (GTK_WIDGET (self->text), 10);
  gtk_widget_set_margin_top (GTK_WIDGET (self->text), 8);
  gtk_widget_set_margin_bottom (GTK_WIDGET (self->text), 8);
  gtk_label_set_yalign (self->text, 0);
  gtk_box_append (GTK_BOX (side), text_scroll);
  self->dismiss_button = gtk_button_new_with_mnemonic (_("_Dismiss (D)"));
  self->apply_button = gtk_button_new_with_mnemonic (_("_Apply Correction (A)"));
  gtk_widget_add_css_class (self->apply_button, "suggested-action");
  g_signal_connect (self->dismiss_button, "clicked", G_CALLBACK (dismiss_clicked_cb), self);
  g_signal_connect (self->apply_button, "clicked", G_CALLBACK (apply_clicked_cb), self);
  gtk_widget_set_halign (buttons, GTK_ALIGN_END);
  gtk_box_append (GTK_BOX (buttons), self->dismiss_button);
  gtk_box_append (GTK_BOX (buttons), self->apply_button);
  gtk_box_append (GTK_BOX (side), buttons);
  gtk_box_append (GTK_BOX (side), wrapped_label (&self->status, "caption"));
  gtk_paned_set_end_child (GTK_PANED (paned), side);
  gtk_paned_set_shrink_end_child (GTK_PANED (paned), FALSE);
  gtk_widget_set_vexpand (paned, TRUE);
  gtk_box_append (GTK_BOX (box), paned);
  g_signal_connect (keys, "key-pressed", G_CALLBACK (key_pressed_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), keys);
}

GtkWidget *
assay_label_errors_window_new (GtkWindow *parent, AssayStore *store, gint64 dataset, const char *dataset_name,
                               JsonObject *result)
{
  AssayLabelErrorsWindow *self = g_object_new (ASSAY_TYPE_LABEL_ERRORS_WINDOW, "transient-for", parent,
                                               "default-width", 900, "default-height", 640,
                                               "title", _("Likely Label Errors"), NULL);
  JsonArray              *errors = json_object_get_array_member (result, "errors");
  GtkWidget              *title = adw_window_title_new (_("Likely Label Errors"), NULL);
  const char             *model = json_object_get_string_member_with_default (result, "model", "svm");
  g_autofree char        *method = g_strdup_printf (_("confident learning over %lld folds of %s · %lld checked labels"),
                                                    (long long) json_object_get_int_member (result, "folds"),
                                                    g_str_equal (model, "mean") ? _("SVM and embeddings")
                                                    : g_str_equal (model, "embeddings") ? _("embeddings") : _("SVM"),
                                                    (long long) (json_object_has_member (result, "checked_labels")
                                                                   ? json_object_get_int_member (result, "checked_labels")
                                                                   : json_object_get_int_member (result, "labels")));
  g_autofree char        *subtitle = dataset_name != NULL && *dataset_name != '\0'
                                       ? g_strdup_printf ("%s · %s", dataset_name, method)
                                       : g_strdup (method);

  self->store = g_object_ref (store);
  self->dataset = dataset;
  self->result = json_object_ref (result);
  {
    gint64 run = assay_xmtc_latest_svm_run (store, dataset);
    self->model = run > 0 ? assay_xmtc_model_load (store, run, NULL) : NULL;
  }
  adw_window_title_set_subtitle (ADW_WINDOW_TITLE (title), subtitle);
  adw_header_bar_set_title_widget (ADW_HEADER_BAR (gtk_widget_get_first_child (
                                     adw_window_get_content (ADW_WINDOW (self)))), title);
  for (guint i = 0; errors != NULL && i < MIN (json_array_get_length (errors), MAX_ROWS); i++)
    {
      JsonObject *e = json_array_get_object_element (errors, i);
      g_ptr_array_add (self->rows, e);
      gtk_list_box_append (self->list, row_new (e));
    }
  if (self->rows->len > 0)
    gtk_list_box_select_row (self->list, gtk_list_box_get_row_at_index (self->list, 0));
  show_selected (self);
  update_status (self, self->rows->len == 0 ? _("nothing to review") : NULL);
  return GTK_WIDGET (self);
}

guint
assay_label_errors_window_get_n_rows (AssayLabelErrorsWindow *self)
{
  return self->rows->len;
}

void
assay_label_errors_window_select (AssayLabelErrorsWindow *self, guint row)
{
  gtk_list_box_select_row (self->list, gtk_list_box_get_row_at_index (self->list, (int) row));
}

void
assay_label_errors_window_present_job (GtkWindow *parent, AssayStore *store, AssayJob *job)
{
  JsonNode        *result = assay_job_get_result (job);
  g_autofree char *name = NULL;
  gint64           dataset;

  if (assay_job_get_state (job) != ASSAY_JOB_SUCCEEDED || result == NULL || !JSON_NODE_HOLDS_OBJECT (result))
    return;
  dataset = json_object_get_int_member (json_node_get_object (result), "dataset");
  assay_store_get_dataset (store, dataset, NULL, &name, NULL);
  gtk_window_present (GTK_WINDOW (assay_label_errors_window_new (parent, store, dataset, name,
                                                                  json_node_get_object (result))));
}
