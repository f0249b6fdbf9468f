/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "assay-videos-page.h"

#include <glib/gi18n.h>
#include <math.h>

#include "assay-filmstrip.h"
#include "assay-gen-query.h"
#include "assay-gen-record.h"
#include "assay-import-dialog.h"
#include "assay-video-import.h"
#include "assay-video-pairs.h"
#include "assay-video-row.h"
#include "assay-video-view.h"
#include "assay-wrap-box.h"

#define PAIR_SEED 0

struct _AssayVideosPage
{
  AssayPage       parent_instance;

  GtkLabel       *summary_label;
  GtkSearchEntry *search_entry;
  GtkListView    *list_view;
  GtkLabel       *title_label;
  GtkPicture     *picture;
  AssayFilmstrip *filmstrip;
  GtkLabel       *frame_label;
  GtkLabel       *caption_label;
  GtkBox         *questions_box;

  GListStore         *rows;
  GtkSingleSelection *selection;
  gboolean            can_export;
  AssayVideoView     *view;
  gint64              shown;
  gint64              want;
  GCancellable       *list_cancellable;
  GCancellable       *view_cancellable;
  gboolean            updating;
};

G_DEFINE_FINAL_TYPE (AssayVideosPage, assay_videos_page, ASSAY_TYPE_PAGE)

static void load_view (AssayVideosPage *self, gint64 video);
static void show_view (AssayVideosPage *self);

/* ---- the list ------------------------------------------------------------------------------------ */

/* data: the search words (NULL: every video), matched against the video's name and, through the
 * generation full-text index, its captions, questions and responses */
static gpointer
list_load (AssayStore *store, gpointer data, GCancellable *cancellable, GError **error)
{
  g_autofree char *fts = assay_gen_fts_query (data);
  g_autofree char *like = NULL;
  sqlite3_stmt    *stmt = assay_store_prepare (store,
                                            fts == NULL
                                              ? "SELECT v.id, v.name, v.frames, v.duration, v.width, v.height, v.error, "
                                                "(SELECT count(*) FROM gen_records g WHERE g.source = v.name AND g.kind = 'response') "
                                                "FROM videos v WHERE " ASSAY_DATASET_VISIBLE ("v.dataset_id")
                                                " ORDER BY v.name, v.id"
                                              : "SELECT v.id, v.name, v.frames, v.duration, v.width, v.height, v.error, "
                                                "(SELECT count(*) FROM gen_records g WHERE g.source = v.name AND g.kind = 'response') "
                                                "FROM videos v WHERE " ASSAY_DATASET_VISIBLE ("v.dataset_id")
                                                " AND (v.name LIKE ?2 ESCAPE '\\' OR EXISTS (SELECT 1 FROM gen_records g "
                                                "WHERE g.source = v.name AND g.id IN (SELECT rowid FROM gen_fts "
                                                "WHERE gen_fts MATCH ?1))) ORDER BY v.name, v.id",
                                            error);
  GPtrArray *rows;

  if (stmt == NULL)
    return NULL;
  if (fts != NULL)
    {
      GString *l = g_string_new ("%");
      for (const char *p = g_strstrip ((char *) data); *p; p++)
        {
          if (*p == '%' || *p == '_' || *p == '\\')
            g_string_append_c (l, '\\');
          g_string_append_c (l, *p);
        }
      g_string_append_c (l, '%');
      like = g_string_free (l, FALSE);
      sqlite3_bind_text (stmt, 1, fts, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 2, like, -1, SQLITE_TRANSIENT);
    }
  rows = g_ptr_array_new_with_free_func (g_object_unref);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      const char      *err = (const char *) sqlite3_column_text (stmt, 6);
      g_autofree char *sub = err != NULL
                               ? g_strdup (err)
                               : g_strdup_printf (_("%lld frames · %.1f s · %d×%d · %lld responses"),
                                                  (long long) sqlite3_column_int64 (stmt, 2), sqlite3_column_double (stmt, 3),
                                                  sqlite3_column_int (stmt, 4), sqlite3_column_int (stmt, 5),
                                                  (long long) sqlite3_column_int64 (stmt, 7));
      g_ptr_array_add (rows, assay_video_row_new (sqlite3_column_int64 (stmt, 0),
                                                  (const char *) sqlite3_column_text (stmt, 1), sub, err != NULL));
    }
  sqlite3_reset (stmt);
  return rows;
}

/* Export Pairs only when there is a pair to export (it wrote an empty file) */
static void
update_export (AssayVideosPage *self)
{
  AssayStore *store = assay_page_get_store (ASSAY_PAGE (self));
  g_autoptr (GPtrArray) pairs = store != NULL ? assay_video_pairs (store, 0, PAIR_SEED, NULL) : NULL;

  self->can_export = pairs != NULL && pairs->len > 0;
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "videos.export", self->can_export);
}

static void
list_done (AssayPage *page, gpointer result, const GError *error, gpointer data)
{
  AssayVideosPage *self = ASSAY_VIDEOS_PAGE (page);
  GPtrArray       *rows = result;
  guint            select = 0;

  if (rows == NULL)
    {
      assay_page_toast (page, error->message);
      return;
    }
  self->updating = TRUE;
  g_list_store_splice (self->rows, 0, g_list_model_get_n_items (G_LIST_MODEL (self->rows)), rows->pdata, rows->len);
  self->updating = FALSE;
  for (guint i = 0; i < rows->len; i++)
    if (assay_video_row_get_id (rows->pdata[i]) == self->want)
      select = i;
  {
    g_autofree char *summary = data != NULL && rows->len == 0
                                 ? g_strdup (_("No video matches the search"))
                                 : g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                                 data != NULL ? "%u video matches" : "%u video",
                                                                 data != NULL ? "%u videos match" : "%u videos",
                                                                 rows->len),
                                                    rows->len);
    gtk_label_set_text (self->summary_label, summary);
  }
  /* the empty state is for a workspace without videos, not for a search that finds none */
  if (data == NULL)
    assay_page_set_empty (page, rows->len == 0);
  if (rows->len == 0)
    {
      g_clear_pointer (&self->view, assay_video_view_free);
      self->shown = 0;
      show_view (self);
    }
  update_export (self);
  if (rows->len > 0)
    {
      gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);
      gtk_single_selection_set_selected (self->selection, select);
    }
  g_ptr_array_unref (rows);
}

static void
load_list (AssayVideosPage *self)
{
  const char *search = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));

  assay_page_load (ASSAY_PAGE (self), &self->list_cancellable, "videos-list", list_load, list_done,
                   search != NULL && *search ? g_strdup (search) : NULL, g_free,
                   (GDestroyNotify) g_ptr_array_unref);
}

static void
search_changed_cb (GtkSearchEntry *entry, AssayVideosPage *self)
{
  self->want = self->view != NULL ? self->view->id : 0;
  load_list (self);
}

static void
setup_row (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer data)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 10);
  GtkWidget *picture = gtk_picture_new ();
  GtkWidget *text = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *name = gtk_label_new (NULL), *sub = gtk_label_new (NULL);

  gtk_widget_set_size_request (picture, 96, 54);
  gtk_picture_set_content_fit (GTK_PICTURE (picture), GTK_CONTENT_FIT_CONTAIN);
  gtk_label_set_xalign (GTK_LABEL (name), 0);
  gtk_label_set_xalign (GTK_LABEL (sub), 0);
  gtk_label_set_ellipsize (GTK_LABEL (name), PANGO_ELLIPSIZE_END);
  gtk_label_set_ellipsize (GTK_LABEL (sub), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (sub, "caption");
  gtk_widget_add_css_class (sub, "dim-label");
  gtk_widget_set_valign (text, GTK_ALIGN_CENTER);
  gtk_box_append (GTK_BOX (text), name);
  gtk_box_append (GTK_BOX (text), sub);
  gtk_box_append (GTK_BOX (box), picture);
  gtk_box_append (GTK_BOX (box), text);
  gtk_list_item_set_child (item, box);
}

static void
bind_row (GtkSignalListItemFactory *factory, GtkListItem *item, AssayVideosPage *self)
{
  AssayVideoRow *row = gtk_list_item_get_item (item);
  GtkWidget     *box = gtk_list_item_get_child (item);
  GtkWidget     *picture = gtk_widget_get_first_child (box);
  GtkWidget     *text = gtk_widget_get_next_sibling (picture);
  GtkWidget     *name = gtk_widget_get_first_child (text), *sub = gtk_widget_get_next_sibling (name);

  gtk_picture_set_paintable (GTK_PICTURE (picture),
                             GDK_PAINTABLE (assay_video_row_get_thumbnail (row, assay_page_get_store (ASSAY_PAGE (self)))));
  gtk_label_set_text (GTK_LABEL (name), assay_video_row_get_name (row));
  gtk_label_set_text (GTK_LABEL (sub), assay_video_row_get_subtitle (row));
  if (assay_video_row_get_failed (row))
    gtk_widget_add_css_class (sub, "error");
  else
    gtk_widget_remove_css_class (sub, "error");
}

/* ---- the selected video -------------------------------------------------------------------------- */

static gpointer
view_load (AssayStore *store, gpointer data, GCancellable *cancellable, GError **error)
{
  return assay_video_view_load (store, *(gint64 *) data, PAIR_SEED, error);
}

static void
show_frame (AssayVideosPage *self, int i)
{
  AssayVideoView *v = self->view;
  g_autoptr (GdkTexture) texture = NULL;
  g_autofree char *label = NULL;

  if (v == NULL || i < 0 || i >= (int) v->images->len)
    {
      gtk_picture_set_paintable (self->picture, NULL);
      gtk_label_set_text (self->frame_label, "");
      return;
    }
  texture = gdk_texture_new_from_bytes (v->images->pdata[i], NULL);
  gtk_picture_set_paintable (self->picture, GDK_PAINTABLE (texture));
  label = g_strdup_printf (_("Frame %lld of %lld at %.2f s (%d of %u sampled) · ←/→ step through"),
                           (long long) g_array_index (v->frame_index, gint64, i), (long long) v->n_frames,
                           g_array_index (v->frame_seconds, double, i), i + 1, v->images->len);
  gtk_label_set_text (self->frame_label, label);
}

static void
filmstrip_selected_cb (AssayFilmstrip *strip, int index, AssayVideosPage *self)
{
  show_frame (self, index);
}

static char *
score_text (AssayVideoResponse *r)
{
  if (r->rating > 0)
    return g_strdup_printf ("%d ✎", r->rating);
  if (!isnan (r->model_score))
    return g_strdup_printf ("%g", r->model_score);
  return g_strdup ("—");
}

typedef struct
{
  AssayVideosPage *page;
  char            *question;
} QuestionRef;

static void
question_ref_free (QuestionRef *q)
{
  g_free (q->question);
  g_free (q);
}

static AssayVideoQuestion *
find_question (AssayVideosPage *self, const char *text)
{
  for (guint i = 0; self->view != NULL && i < self->view->questions->len; i++)
    {
      AssayVideoQuestion *q = self->view->questions->pdata[i];
      if (g_strcmp0 (q->question, text) == 0)
        return q;
    }
  return NULL;
}

/* Makes the response the chosen (role 1) or rejected (-1) side, the other side kept. */
static void
pick (AssayVideosPage *self, const char *question, gint64 record, int role)
{
  AssayVideoQuestion *q = find_question (self, question);
  gint64              chosen = 0, rejected = 0;
  g_autoptr (GError) error = NULL;

  if (q == NULL)
    return;
  for (guint i = 0; i < q->responses->len; i++)
    {
      AssayVideoResponse *r = q->responses->pdata[i];
      if (r->role == 1)
        chosen = r->record;
      if (r->role == -1)
        rejected = r->record;
    }
  if (role > 0)
    chosen = record;
  else
    rejected = record;
  if (chosen == rejected)
    {
      assay_page_toast (ASSAY_PAGE (self), _("A pair needs two different responses"));
      return;
    }
  if (chosen == 0 || rejected == 0)
    {
      assay_page_toast (ASSAY_PAGE (self), _("Pick the other side of the pair too"));
      /* remembered as half a pair: nothing stored until both sides are known */
      return;
    }
  if (!assay_video_choose (assay_page_get_store (ASSAY_PAGE (self)), self->view->name, question, chosen, rejected, &error))
    assay_page_toast (ASSAY_PAGE (self), error->message);
}

static void
pick_clicked_cb (GtkButton *button, QuestionRef *ref)
{
  gint64 record = (gint64) GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (button), "record"));
  int    role = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (button), "role"));

  pick (ref->page, ref->question, record, role);
}

gboolean
assay_videos_page_rate (AssayVideosPage *self, gint64 record, int score)
{
  g_autoptr (GError) error = NULL;

  if (!assay_gen_set_rating (assay_page_get_store (ASSAY_PAGE (self)), record, score, &error))
    {
      assay_page_toast (ASSAY_PAGE (self), error->message);
      return FALSE;
    }
  return TRUE;
}

static gboolean
responses_key_cb (GtkEventControllerKey *controller, guint keyval, guint keycode,
                  GdkModifierType state, AssayVideosPage *self)
{
  GtkListBox    *list = GTK_LIST_BOX (gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (controller)));
  GtkListBoxRow *row = gtk_list_box_get_selected_row (list);
  int            score = 0;

  if (keyval >= GDK_KEY_1 && keyval <= GDK_KEY_5)
    score = (int) (keyval - GDK_KEY_0);
  else if (keyval >= GDK_KEY_KP_1 && keyval <= GDK_KEY_KP_5)
    score = (int) (keyval - GDK_KEY_KP_0);
  if (score == 0 || row == NULL)
    return FALSE;
  assay_videos_page_rate (self, (gint64) GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (row), "record")), score);
  return TRUE;
}

static GtkWidget *
response_row (AssayVideosPage *self, AssayVideoResponse *r, QuestionRef *ref)
{
  GtkWidget       *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  g_autofree char *score = score_text (r);
  GtkWidget       *badge = gtk_label_new (score);
  GtkWidget       *text = gtk_label_new (r->text);
  GtkWidget       *role = gtk_label_new (r->role > 0 ? _("chosen") : r->role < 0 ? _("rejected") : "");
  GtkWidget       *menu_box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 2);
  GtkWidget       *row = gtk_list_box_row_new ();

  gtk_widget_set_size_request (badge, 36, -1);
  gtk_widget_add_css_class (badge, "heading");
  gtk_widget_set_tooltip_text (badge, r->rating > 0 ? _("Your score (the model's is replaced)") : _("The model's score; 1–5 set yours"));
  gtk_label_set_wrap (GTK_LABEL (text), TRUE);
  gtk_label_set_xalign (GTK_LABEL (text), 0);
  gtk_widget_set_hexpand (text, TRUE);
  if (r->role > 0)
    gtk_widget_add_css_class (role, "success");
  else if (r->role < 0)
    gtk_widget_add_css_class (role, "error");
  for (int k = 0; k < 2; k++)
    {
      GtkWidget *b = gtk_button_new_from_icon_name (k == 0 ? "object-select-symbolic" : "window-close-symbolic");
      gtk_widget_set_tooltip_text (b, k == 0 ? _("Make this the chosen answer") : _("Make this the rejected answer"));
      gtk_widget_add_css_class (b, "flat");
      g_object_set_data (G_OBJECT (b), "record", GSIZE_TO_POINTER ((gsize) r->record));
      g_object_set_data (G_OBJECT (b), "role", GINT_TO_POINTER (k == 0 ? 1 : -1));
      g_signal_connect (b, "clicked", G_CALLBACK (pick_clicked_cb), ref);
      gtk_box_append (GTK_BOX (menu_box), b);
    }
  gtk_box_append (GTK_BOX (box), badge);
  gtk_box_append (GTK_BOX (box), text);
  gtk_box_append (GTK_BOX (box), role);
  gtk_box_append (GTK_BOX (box), menu_box);
  gtk_widget_set_margin_top (box, 4);
  gtk_widget_set_margin_bottom (box, 4);
  gtk_widget_set_margin_start (box, 6);
  gtk_widget_set_margin_end (box, 6);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  g_object_set_data (G_OBJECT (row), "record", GSIZE_TO_POINTER ((gsize) r->record));
  return row;
}

static void
show_view (AssayVideosPage *self)
{
  AssayVideoView *v = self->view;
  GtkWidget      *child;
  g_autoptr (GPtrArray) textures = g_ptr_array_new_with_free_func (g_object_unref);
  int             keep = assay_filmstrip_get_selected (self->filmstrip);
  gboolean        same = v != NULL && v->id == self->shown;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->questions_box))) != NULL)
    gtk_box_remove (self->questions_box, child);
  if (v == NULL)
    {
      gtk_label_set_text (self->title_label, "");
      gtk_label_set_text (self->caption_label, "");
      assay_filmstrip_set_frames (self->filmstrip, NULL);
      show_frame (self, -1);
      return;
    }
  {
    g_autofree char *title = v->error != NULL
                               ? g_strdup_printf (_("%s — cannot be read: %s"), v->name, v->error)
                               : g_strdup_printf (_("%s — %s %d×%d, %.2f fps, %.1f s"), v->name, v->codec ? v->codec : "?",
                                                  v->width, v->height, v->fps, v->duration);
    gtk_label_set_text (self->title_label, title);
  }
  if (!same)
    {
      for (guint i = 0; i < v->thumbs->len; i++)
        {
          GdkTexture *t = gdk_texture_new_from_bytes (v->thumbs->pdata[i], NULL);
          if (t != NULL)
            g_ptr_array_add (textures, t);
        }
      assay_filmstrip_set_frames (self->filmstrip, textures);
      /* a video that could not be read has no frames: nothing of the one shown before stays */
      if (textures->len == 0)
        {
          show_frame (self, -1);
          gtk_label_set_text (self->frame_label, v->error != NULL ? _("No frames: the video could not be read")
                                                                  : _("No frames"));
        }
    }
  else
    show_frame (self, keep);
  self->shown = v->id;
  {
    GString *caption = g_string_new (NULL);
    for (guint i = 0; i < v->captions->len; i++)
      g_string_append_printf (caption, "%s%s", i ? "\n\n" : "", (const char *) v->captions->pdata[i]);
    gtk_label_set_text (self->caption_label, caption->len > 0 ? caption->str : _("No caption"));
    g_string_free (caption, TRUE);
  }
  for (guint i = 0; i < v->questions->len; i++)
    {
      AssayVideoQuestion *q = v->questions->pdata[i];
      GtkWidget          *title = gtk_label_new (q->question);
      QuestionRef        *ref = g_new0 (QuestionRef, 1);
      GtkWidget          *list;
      GtkEventController *keys;

      ref->page = self;
      ref->question = g_strdup (q->question);
      gtk_label_set_wrap (GTK_LABEL (title), TRUE);
      gtk_label_set_xalign (GTK_LABEL (title), 0);
      gtk_widget_add_css_class (title, "heading");
      gtk_box_append (self->questions_box, title);
      g_object_set_data_full (G_OBJECT (title), "ref", ref, (GDestroyNotify) question_ref_free);
      if (q->reference != NULL)
        {
          g_autofree char *text = g_strdup_printf (_("Reference: %s"), q->reference);
          GtkWidget       *reference = gtk_label_new (text);
          gtk_label_set_wrap (GTK_LABEL (reference), TRUE);
          gtk_label_set_xalign (GTK_LABEL (reference), 0);
          gtk_widget_add_css_class (reference, "dim-label");
          gtk_box_append (self->questions_box, reference);
        }
      if (q->responses->len == 0)
        continue;
      list = gtk_list_box_new ();
      gtk_widget_add_css_class (list, "boxed-list");
      keys = gtk_event_controller_key_new ();
      g_signal_connect (keys, "key-pressed", G_CALLBACK (responses_key_cb), self);
      gtk_widget_add_controller (list, keys);
      for (guint k = 0; k < q->responses->len; k++)
        gtk_list_box_append (GTK_LIST_BOX (list), response_row (self, q->responses->pdata[k], ref));
      gtk_box_append (self->questions_box, list);
      if (q->manual)
        {
          GtkWidget *note = gtk_label_new (_("Your own pair (Ctrl+Z undoes it)"));
          gtk_label_set_xalign (GTK_LABEL (note), 0);
          gtk_widget_add_css_class (note, "caption");
          gtk_box_append (self->questions_box, note);
        }
    }
}

static void
view_done (AssayPage *page, gpointer result, const GError *error, gpointer data)
{
  AssayVideosPage *self = ASSAY_VIDEOS_PAGE (page);

  if (result == NULL)
    {
      assay_page_toast (page, error->message);
      return;
    }
  g_clear_pointer (&self->view, assay_video_view_free);
  self->view = result;
  show_view (self);
}

static void
load_view (AssayVideosPage *self, gint64 video)
{
  gint64 *id = g_new (gint64, 1);

  *id = video;
  if (video != self->shown)
    self->shown = 0;
  assay_page_load (ASSAY_PAGE (self), &self->view_cancellable, "videos-view", view_load, view_done, id,
                   g_free, (GDestroyNotify) assay_video_view_free);
}

static void
selection_changed_cb (GtkSingleSelection *selection, GParamSpec *pspec, AssayVideosPage *self)
{
  AssayVideoRow *row = gtk_single_selection_get_selected_item (selection);

  if (self->updating || row == NULL)
    return;
  load_view (self, assay_video_row_get_id (row));
}

/* ---- actions ------------------------------------------------------------------------------------- */

static void
import_dialog_cb (AssayImportDialog *dialog, gpointer data)
{
  g_autoptr (AssayJob) job = assay_video_import_job_new (assay_import_dialog_get_files (dialog),
                                                         (int) assay_import_dialog_get_number (dialog, "count"),
                                                         assay_import_dialog_get_name (dialog));
  assay_page_submit (ASSAY_PAGE (data), job);
}

AssayImportDialog *
assay_videos_page_import_with_options (AssayVideosPage *self, const char *const *paths)
{
  AssayImportDialog *dialog = assay_import_dialog_new (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                                                       _("Import Videos"), paths, import_dialog_cb, self);

  assay_import_dialog_add_number (dialog, "count", _("Frames per video"),
                                  _("Sampled uniformly over each video, first and last frame included"), 1, 256, 10);
  gtk_window_present (GTK_WINDOW (dialog));
  return dialog;
}

static void
import_chosen (AssayPage *page, GListModel *files, gpointer data)
{
  g_autoptr (GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < g_list_model_get_n_items (files); i++)
    {
      g_autoptr (GFile) file = g_list_model_get_item (files, i);
      char *path = g_file_get_path (file);
      if (path != NULL)
        g_ptr_array_add (paths, path);
    }
  g_ptr_array_add (paths, NULL);
  if (paths->len > 1)
    assay_videos_page_import_with_options (ASSAY_VIDEOS_PAGE (page), (const char *const *) paths->pdata);
}

static void
import_action (GtkWidget *widget, const char *name, GVariant *param)
{
  GtkFileFilter *filter = gtk_file_filter_new ();

  gtk_file_filter_set_name (filter, _("Videos and LLaVA-Hound JSONL"));
  gtk_file_filter_add_mime_type (filter, "video/*");
  gtk_file_filter_add_pattern (filter, "*.jsonl");
  gtk_file_filter_add_pattern (filter, "*.json");
  assay_page_choose (ASSAY_PAGE (widget), GTK_FILE_CHOOSER_ACTION_OPEN, _("Import Videos"), _("_Import"),
                     filter, NULL, TRUE, import_chosen, NULL);
}

static void
export_chosen (AssayPage *page, GListModel *files, gpointer data)
{
  g_autoptr (GFile) file = g_list_model_get_item (files, 0);
  g_autofree char *path = g_file_get_path (file);
  g_autoptr (GError) error = NULL;
  guint n = 0;

  if (path == NULL)
    return;
  if (!assay_video_pairs_export (assay_page_get_store (page), 0, PAIR_SEED, path, FALSE, &n, &error))
    assay_page_toast (page, error->message);
  else
    {
      g_autofree char *msg = g_strdup_printf (_("%u pairs written to %s"), n, path);
      assay_page_toast (page, msg);
    }
}

static void
export_action (GtkWidget *widget, const char *name, GVariant *param)
{
  assay_page_choose (ASSAY_PAGE (widget), GTK_FILE_CHOOSER_ACTION_SAVE, _("Export Pairs"), _("_Export"),
                     NULL, "video-dpo.jsonl", FALSE, export_chosen, NULL);
}

/* ---- page ---------------------------------------------------------------------------------------- */

static void
delete_response_cb (AdwMessageDialog *dialog, const char *response, AssayVideosPage *self)
{
  gint64 video = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (dialog), "video"));
  g_autoptr (GError) error = NULL;
  guint  records = 0;

  if (g_strcmp0 (response, "delete") != 0 || assay_page_get_store (ASSAY_PAGE (self)) == NULL)
    return;
  /* the list follows through store_changed ("videos") */
  if (!assay_video_delete (assay_page_get_store (ASSAY_PAGE (self)), video, &records, &error))
    {
      assay_page_toast (ASSAY_PAGE (self), error->message);
      return;
    }
  {
    g_autofree char *msg = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Video deleted, with %u record",
                                                         "Video deleted, with %u records", records),
                                            records);
    assay_page_toast (ASSAY_PAGE (self), msg);
  }
}

/* Delete (the key or the button): asks first, naming what goes with the video */
static void
delete_action (GtkWidget *widget, const char *name, GVariant *param)
{
  AssayVideosPage *self = ASSAY_VIDEOS_PAGE (widget);
  AssayStore      *store = assay_page_get_store (ASSAY_PAGE (self));
  g_autofree char *heading = NULL, *body = NULL;
  gint64           records;
  AdwMessageDialog *dialog;

  if (store == NULL || self->view == NULL)
    return;
  {
    g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM gen_records g JOIN videos v ON v.id = %lld "
                                            "WHERE g.dataset_id = v.dataset_id AND g.source = v.name",
                                            (long long) self->view->id);
    records = assay_store_query_int (store, sql, 0);
  }
  heading = g_strdup_printf (_("Delete “%s”?"), self->view->name);
  {
    guint            frames = self->view->images != NULL ? self->view->images->len : 0;
    g_autofree char *f = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "its %u sampled frame", "its %u sampled frames", frames), frames);
    g_autofree char *r = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "the %lld caption, question or response imported with it",
                                                       "the %lld captions, questions and responses imported with it", (gulong) records),
                                          (long long) records);
    const char      *end = _("This cannot be undone; the video file stays.");
    if (frames > 0 && records > 0)
      body = g_strdup_printf (_("The video goes with %s and %s. %s"), f, r, end);
    else if (frames > 0 || records > 0)
      body = g_strdup_printf (_("The video goes with %s. %s"), frames > 0 ? f : r, end);
    else
      body = g_strdup_printf (_("The video has no frames or records here. %s"), end);
  }
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (widget)), heading, body));
  adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"), "delete", _("_Delete"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "delete", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_object_set_data (G_OBJECT (dialog), "video", GSIZE_TO_POINTER (self->view->id));
  g_signal_connect_object (dialog, "response", G_CALLBACK (delete_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
assay_videos_page_workspace_changed (AssayPage *page, AssayStore *store)
{
  AssayVideosPage *self = ASSAY_VIDEOS_PAGE (page);

  g_clear_pointer (&self->view, assay_video_view_free);
  self->shown = self->want = 0;
  self->updating = TRUE;
  g_list_store_remove_all (self->rows);
  self->updating = FALSE;
  show_view (self);
  assay_page_set_empty (page, TRUE);
  if (store != NULL)
    load_list (self);
}

static void
assay_videos_page_job_finished (AssayPage *page, AssayJob *job)
{
  AssayVideosPage *self = ASSAY_VIDEOS_PAGE (page);

  if (assay_job_get_state (job) == ASSAY_JOB_SUCCEEDED && g_str_equal (assay_job_get_kind (job), "video-import"))
    {
      self->want = self->view != NULL ? self->view->id : 0;
      load_list (self);
    }
}

static void
assay_videos_page_store_changed (AssayPage *page, const char *table)
{
  AssayVideosPage *self = ASSAY_VIDEOS_PAGE (page);

  /* videos came or went (a delete here or in another process): the list again, on the same
   * video while it is there (else on the first) */
  if (g_strcmp0 (table, "videos") == 0)
    {
      self->want = self->view != NULL ? self->view->id : 0;
      load_list (self);
      return;
    }
  /* a score, a pick, or their undo: read the shown video again */
  if (g_strcmp0 (table, "gen_records") == 0 || g_strcmp0 (table, "video_choices") == 0)
    {
      if (self->view != NULL)
        load_view (self, self->view->id);
      update_export (self);
    }
}

static void
assay_videos_page_focus_content (AssayPage *page)
{
  /* the video list: arrows move from video to video; Tab goes on to the frames and responses */
  AssayVideosPage *self = ASSAY_VIDEOS_PAGE (page);
  gtk_widget_grab_focus (GTK_WIDGET (self->list_view));
}

static void
assay_videos_page_dispose (GObject *object)
{
  AssayVideosPage *self = ASSAY_VIDEOS_PAGE (object);

  if (self->list_cancellable != NULL)
    g_cancellable_cancel (self->list_cancellable);
  if (self->view_cancellable != NULL)
    g_cancellable_cancel (self->view_cancellable);
  g_clear_object (&self->list_cancellable);
  g_clear_object (&self->view_cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), ASSAY_TYPE_VIDEOS_PAGE);
  G_OBJECT_CLASS (assay_videos_page_parent_class)->dispose (object);
}

static void
assay_videos_page_finalize (GObject *object)
{
  AssayVideosPage *self = ASSAY_VIDEOS_PAGE (object);

  g_clear_pointer (&self->view, assay_video_view_free);
  g_clear_object (&self->selection);
  g_clear_object (&self->rows);
  G_OBJECT_CLASS (assay_videos_page_parent_class)->finalize (object);
}

static void
assay_videos_page_class_init (AssayVideosPageClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  AssayPageClass *page_class = ASSAY_PAGE_CLASS (klass);

  object_class->dispose = assay_videos_page_dispose;
  object_class->finalize = assay_videos_page_finalize;
  page_class->workspace_changed = assay_videos_page_workspace_changed;
  page_class->focus_content = assay_videos_page_focus_content;
  page_class->job_finished = assay_videos_page_job_finished;
  page_class->store_changed = assay_videos_page_store_changed;

  g_type_ensure (ASSAY_TYPE_FILMSTRIP);
  g_type_ensure (ASSAY_TYPE_WRAP_BOX);
  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PREFIX "/ui/assay-videos-page.ui");
#define CHILD(name) gtk_widget_class_bind_template_child (widget_class, AssayVideosPage, name)
  CHILD (summary_label);
  CHILD (search_entry);
  CHILD (list_view);
  CHILD (title_label);
  CHILD (picture);
  CHILD (filmstrip);
  CHILD (frame_label);
  CHILD (caption_label);
  CHILD (questions_box);
#undef CHILD
  gtk_widget_class_install_action (widget_class, "videos.import", NULL, import_action);
  gtk_widget_class_install_action (widget_class, "videos.export", NULL, export_action);
  gtk_widget_class_install_action (widget_class, "videos.delete", NULL, delete_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Delete, 0, "videos.delete", NULL);
}

static void
assay_videos_page_init (AssayVideosPage *self)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();

  gtk_widget_init_template (GTK_WIDGET (self));
  self->rows = g_list_store_new (ASSAY_TYPE_VIDEO_ROW);
  self->selection = gtk_single_selection_new (G_LIST_MODEL (g_object_ref (self->rows)));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  g_signal_connect (factory, "setup", G_CALLBACK (setup_row), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row), self);
  gtk_list_view_set_factory (self->list_view, factory);
  g_object_unref (factory);
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (g_object_ref (self->selection)));
  g_signal_connect (self->selection, "notify::selected", G_CALLBACK (selection_changed_cb), self);
  g_signal_connect (self->filmstrip, "selected", G_CALLBACK (filmstrip_selected_cb), self);
  g_signal_connect (self->search_entry, "search-changed", G_CALLBACK (search_changed_cb), self);
}

AssayPage *
assay_videos_page_new (void)
{
  return g_object_new (ASSAY_TYPE_VIDEOS_PAGE, "name", "videos", "title", _("Videos"), "icon-name",
                       "assay-videos-symbolic", "empty-title", _("No Videos"), "empty-description",
                       _("Uniformly sampled frames beside captions, QA pairs, scored responses and "
                         "the preference pairs derived from the scores.\n\nImport videos with "
                         "LLaVA-Hound JSONL."),
                       NULL);
}

guint
assay_videos_page_get_n_videos (AssayVideosPage *self)
{
  return g_list_model_get_n_items (G_LIST_MODEL (self->rows));
}

gboolean
assay_videos_page_select_video (AssayVideosPage *self, gint64 video)
{
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->rows)); i++)
    {
      g_autoptr (AssayVideoRow) row = g_list_model_get_item (G_LIST_MODEL (self->rows), i);
      if (assay_video_row_get_id (row) == video)
        {
          gtk_single_selection_set_selected (self->selection, i);
          return TRUE;
        }
    }
  return FALSE;
}

gint64
assay_videos_page_get_video (AssayVideosPage *self)
{
  return self->view != NULL ? self->view->id : 0;
}

GtkWidget *
assay_videos_page_get_filmstrip (AssayVideosPage *self)
{
  return GTK_WIDGET (self->filmstrip);
}

GtkWidget *
assay_videos_page_get_picture (AssayVideosPage *self)
{
  return GTK_WIDGET (self->picture);
}

const char *
assay_videos_page_get_frame_text (AssayVideosPage *self)
{
  return gtk_label_get_text (self->frame_label);
}

gboolean
assay_videos_page_can_export (AssayVideosPage *self)
{
  return self->can_export;
}

GtkWidget *
assay_videos_page_get_search_entry (AssayVideosPage *self)
{
  return GTK_WIDGET (self->search_entry);
}

GtkWidget *
assay_videos_page_get_responses (AssayVideosPage *self)
{
  return GTK_WIDGET (self->questions_box);
}
