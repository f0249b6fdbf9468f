/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-video-view.c: see assay-video-view.h. */
#include "assay-video-view.h"

#include <glib/gi18n.h>
#include <math.h>

#include "assay-error.h"
#include "assay-json.h"
#include "assay-video-pairs.h"

static void
response_free (AssayVideoResponse *r)
{
  g_free (r->text);
  g_free (r);
}

static void
question_free (AssayVideoQuestion *q)
{
  g_free (q->question);
  g_free (q->reference);
  g_ptr_array_unref (q->responses);
  g_free (q);
}

void
assay_video_view_free (AssayVideoView *v)
{
  if (v == NULL)
    return;
  g_free (v->name);
  g_free (v->path);
  g_free (v->codec);
  g_free (v->error);
  g_array_unref (v->frame_index);
  g_array_unref (v->frame_seconds);
  g_ptr_array_unref (v->images);
  g_ptr_array_unref (v->thumbs);
  g_ptr_array_unref (v->captions);
  g_ptr_array_unref (v->questions);
  g_free (v);
}

static AssayVideoQuestion *
question_for (AssayVideoView *v, GHashTable *by_text, const char *text)
{
  AssayVideoQuestion *q = g_hash_table_lookup (by_text, text);

  if (q == NULL)
    {
      q = g_new0 (AssayVideoQuestion, 1);
      q->question = g_strdup (text);
      q->responses = g_ptr_array_new_with_free_func ((GDestroyNotify) response_free);
      g_ptr_array_add (v->questions, q);
      g_hash_table_insert (by_text, q->question, q);
    }
  return q;
}

AssayVideoView *
assay_video_view_load (AssayStore *store, gint64 video, guint64 seed, GError **error)
{
  sqlite3_stmt *stmt = assay_store_prepare (store, "SELECT name, path, codec, width, height, frames, duration, fps, error "
                                                   "FROM videos WHERE id = ?", error);
  g_autoptr (AssayVideoView) v = NULL;
  g_autoptr (GHashTable) by_text = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GPtrArray) pairs = NULL;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, video);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      sqlite3_reset (stmt);
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_NOT_FOUND, _("Video %lld is not in the workspace"), (long long) video);
      return NULL;
    }
  v = g_new0 (AssayVideoView, 1);
  v->id = video;
  v->name = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  v->path = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
  v->codec = g_strdup ((const char *) sqlite3_column_text (stmt, 2));
  v->width = sqlite3_column_int (stmt, 3);
  v->height = sqlite3_column_int (stmt, 4);
  v->n_frames = sqlite3_column_int64 (stmt, 5);
  v->duration = sqlite3_column_double (stmt, 6);
  v->fps = sqlite3_column_double (stmt, 7);
  v->error = g_strdup ((const char *) sqlite3_column_text (stmt, 8));
  sqlite3_reset (stmt);
  v->frame_index = g_array_new (FALSE, FALSE, sizeof (gint64));
  v->frame_seconds = g_array_new (FALSE, FALSE, sizeof (double));
  v->images = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  v->thumbs = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  v->captions = g_ptr_array_new_with_free_func (g_free);
  v->questions = g_ptr_array_new_with_free_func ((GDestroyNotify) question_free);

  if ((stmt = assay_store_prepare (store, "SELECT frame, seconds, image, thumb FROM video_frames "
                                          "WHERE video_id = ? ORDER BY position", error)) == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, video);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      gint64 index = sqlite3_column_int64 (stmt, 0);
      double seconds = sqlite3_column_double (stmt, 1);
      g_array_append_val (v->frame_index, index);
      g_array_append_val (v->frame_seconds, seconds);
      g_ptr_array_add (v->images, g_bytes_new (sqlite3_column_blob (stmt, 2), sqlite3_column_bytes (stmt, 2)));
      g_ptr_array_add (v->thumbs, g_bytes_new (sqlite3_column_blob (stmt, 3), sqlite3_column_bytes (stmt, 3)));
    }
  sqlite3_reset (stmt);

  if ((stmt = assay_store_prepare (store, "SELECT id, kind, coalesce (prompt, ''), text, answer, rating, scores "
                                          "FROM gen_records WHERE source = ? AND kind IN ('caption', 'qa', 'response') "
                                          "AND " ASSAY_DATASET_VISIBLE ("dataset_id") " ORDER BY id", error)) == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, v->name, -1, SQLITE_TRANSIENT);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      const char *kind = (const char *) sqlite3_column_text (stmt, 1);
      const char *prompt = (const char *) sqlite3_column_text (stmt, 2);
      const char *text = (const char *) sqlite3_column_text (stmt, 3);
      const char *answer = (const char *) sqlite3_column_text (stmt, 4);
      if (g_str_equal (kind, "caption"))
        g_ptr_array_add (v->captions, g_strdup (text));
      else if (g_str_equal (kind, "qa"))
        {
          AssayVideoQuestion *q = question_for (v, by_text, prompt);
          if (q->reference == NULL)
            q->reference = g_strdup (text);
        }
      else
        {
          AssayVideoQuestion *q = question_for (v, by_text, prompt);
          AssayVideoResponse *r = g_new0 (AssayVideoResponse, 1);
          const char         *scores = (const char *) sqlite3_column_text (stmt, 6);
          r->record = sqlite3_column_int64 (stmt, 0);
          r->text = g_strdup (text);
          r->rating = sqlite3_column_int (stmt, 5);
          r->model_score = NAN;
          r->model_score = assay_video_model_score (scores);
          if (q->reference == NULL && answer != NULL)
            q->reference = g_strdup (answer);
          g_ptr_array_add (q->responses, r);
        }
    }
  sqlite3_reset (stmt);

  /* the pairs of this video's questions */
  if ((pairs = assay_video_pairs_of (store, 0, v->name, seed, error)) == NULL)
    return NULL;
  for (guint i = 0; i < pairs->len; i++)
    {
      AssayVideoPair     *p = pairs->pdata[i];
      AssayVideoQuestion *q;
      if (g_strcmp0 (p->video, v->name) != 0 || (q = g_hash_table_lookup (by_text, p->question)) == NULL)
        continue;
      q->manual = p->manual;
      for (guint k = 0; k < q->responses->len; k++)
        {
          AssayVideoResponse *r = q->responses->pdata[k];
          r->role = r->record == p->chosen ? 1 : r->record == p->rejected ? -1 : 0;
        }
    }
  return g_steal_pointer (&v);
}
