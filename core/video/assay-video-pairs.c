/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-video-pairs.c: see assay-video-pairs.h. */
#include "assay-video-pairs.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "assay-atomic-file.h"
#include "assay-error.h"
#include "assay-json.h"

void
assay_video_pair_free (AssayVideoPair *p)
{
  if (p == NULL)
    return;
  g_free (p->video);
  g_free (p->path);
  g_free (p->question);
  g_free (p->chosen_text);
  g_free (p->rejected_text);
  g_free (p);
}

typedef struct
{
  gint64 id;
  double score;
  char  *text;
} Response;

static void
response_clear (Response *r)
{
  g_free (r->text);
}

double
assay_video_model_score (const char *scores)
{
  g_autoptr (JsonObject) o = scores != NULL ? assay_json_object_from_string (scores, NULL) : NULL;

  if (o == NULL)
    return NAN;
  if (json_object_has_member (o, "judge"))
    return assay_json_get_double (o, "judge", NAN);
  if (json_object_has_member (o, "score"))
    return assay_json_get_double (o, "score", NAN);
  return NAN;
}

static double
record_score (sqlite3_stmt *stmt, int rating_col, int scores_col)
{
  const char *scores = (const char *) sqlite3_column_text (stmt, scores_col);
  int         rating = sqlite3_column_int (stmt, rating_col);

  if (rating > 0)
    return rating;
  return assay_video_model_score (scores);
}

/* The group's pair: manual when the reviewer picked one, else drawn with the seed. */
static AssayVideoPair *
group_pair (AssayStore *store, const char *video, const char *question, GArray *responses,
            guint64 seed)
{
  g_autoptr (GArray) good = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr (GArray) bad = g_array_new (FALSE, FALSE, sizeof (guint));
  sqlite3_stmt   *stmt = assay_store_prepare (store, "SELECT chosen, rejected FROM video_choices "
                                                     "WHERE video = ? AND question = ?", NULL);
  gint64          manual[2] = { 0, 0 };
  AssayVideoPair *p;
  Response       *w = NULL, *l = NULL;

  if (stmt != NULL)
    {
      sqlite3_bind_text (stmt, 1, video, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, question, -1, SQLITE_STATIC);
      if (sqlite3_step (stmt) == SQLITE_ROW)
        {
          manual[0] = sqlite3_column_int64 (stmt, 0);
          manual[1] = sqlite3_column_int64 (stmt, 1);
        }
      sqlite3_reset (stmt);
    }
  for (guint i = 0; i < responses->len; i++)
    {
      Response *r = &g_array_index (responses, Response, i);
      if (r->id == manual[0])
        w = r;
      if (r->id == manual[1])
        l = r;
      if (!isnan (r->score))
        g_array_append_val (r->score >= 3 ? good : bad, i);
    }
  if (w == NULL || l == NULL)
    {
      g_autofree char *name = g_strconcat (video, "\n", question, NULL);
      g_autoptr (GRand) rand = NULL;
      if (good->len == 0 || bad->len == 0)
        return NULL;
      rand = g_rand_new_with_seed ((guint32) (seed * 2654435761u) ^ g_str_hash (name));
      w = &g_array_index (responses, Response, g_array_index (good, guint, g_rand_int_range (rand, 0, good->len)));
      l = &g_array_index (responses, Response, g_array_index (bad, guint, g_rand_int_range (rand, 0, bad->len)));
      manual[0] = 0;
    }
  p = g_new0 (AssayVideoPair, 1);
  p->video = g_strdup (video);
  p->question = g_strdup (question);
  p->chosen = w->id;
  p->rejected = l->id;
  p->chosen_score = w->score;
  p->rejected_score = l->score;
  p->chosen_text = g_strdup (w->text);
  p->rejected_text = g_strdup (l->text);
  p->manual = manual[0] != 0;
  return p;
}

GPtrArray *
assay_video_pairs (AssayStore *store, gint64 dataset, guint64 seed, GError **error)
{
  return assay_video_pairs_of (store, dataset, NULL, seed, error);
}

GPtrArray *
assay_video_pairs_of (AssayStore *store, gint64 dataset, const char *only, guint64 seed,
                      GError **error)
{
  sqlite3_stmt *stmt = assay_store_prepare (store,
                                            "SELECT g.id, g.source, coalesce (g.prompt, ''), g.text, g.rating, g.scores, "
                                            "(SELECT v.path FROM videos v WHERE v.name = g.source AND "
                                            ASSAY_DATASET_VISIBLE ("v.dataset_id") " ORDER BY v.id DESC LIMIT 1) "
                                            "FROM gen_records g WHERE g.kind = 'response' AND g.source IS NOT NULL "
                                            "AND " ASSAY_DATASET_VISIBLE ("g.dataset_id") " "
                                            "AND (?1 = 0 OR g.dataset_id = ?1) AND (?2 IS NULL OR g.source = ?2) "
                                            "ORDER BY g.source, g.prompt, g.id",
                                            error);
  GPtrArray *pairs;
  g_autoptr (GArray) group = g_array_new (FALSE, FALSE, sizeof (Response));
  g_autofree char *video = NULL, *question = NULL, *path = NULL;
  int rc;

  if (stmt == NULL)
    return NULL;
  g_array_set_clear_func (group, (GDestroyNotify) response_clear);
  pairs = g_ptr_array_new_with_free_func ((GDestroyNotify) assay_video_pair_free);
  sqlite3_bind_int64 (stmt, 1, dataset);
  if (only != NULL)
    sqlite3_bind_text (stmt, 2, only, -1, SQLITE_TRANSIENT);
#define FLUSH()                                                                                    \
  if (group->len > 0)                                                                              \
    {                                                                                              \
      AssayVideoPair *p = group_pair (store, video, question, group, seed);                       \
      if (p != NULL)                                                                               \
        {                                                                                          \
          p->path = g_strdup (path);                                                               \
          g_ptr_array_add (pairs, p);                                                              \
        }                                                                                          \
      g_array_set_size (group, 0);                                                                 \
    }
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *v = (const char *) sqlite3_column_text (stmt, 1);
      const char *q = (const char *) sqlite3_column_text (stmt, 2);
      Response    r;
      if (video == NULL || strcmp (v, video) != 0 || strcmp (q, question) != 0)
        {
          /* group_pair prepares its own statement: the outer one keeps its row */
          FLUSH ();
          g_free (video);
          g_free (question);
          g_free (path);
          video = g_strdup (v);
          question = g_strdup (q);
          path = g_strdup ((const char *) sqlite3_column_text (stmt, 6));
        }
      r.id = sqlite3_column_int64 (stmt, 0);
      r.text = g_strdup ((const char *) sqlite3_column_text (stmt, 3));
      r.score = record_score (stmt, 4, 5);
      g_array_append_val (group, r);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      g_ptr_array_unref (pairs);
      assay_store_set_error (store, error, "gen_records");
      return NULL;
    }
  FLUSH ();
#undef FLUSH
  return pairs;
}

gboolean
assay_video_choose (AssayStore *store, const char *video, const char *question, gint64 chosen,
                    gint64 rejected, GError **error)
{
  sqlite3_stmt *stmt = assay_store_prepare (store, "SELECT id FROM video_choices WHERE video = ? AND question = ?", error);
  gint64        row = 0;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, video, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, question, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    row = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  if (!assay_store_edit_begin (store, _("Choose pair"), error))
    return FALSE;
  if (chosen == 0 && rejected == 0)
    {
      if (row != 0 && !assay_store_edit_delete (store, "video_choices", row, error))
        goto failed;
    }
  else if (row != 0)
    {
      if (!assay_store_edit_update (store, "video_choices", row, "chosen", g_variant_new_int64 (chosen), error)
          || !assay_store_edit_update (store, "video_choices", row, "rejected", g_variant_new_int64 (rejected), error))
        goto failed;
    }
  else
    {
      const char *columns[] = { "video", "question", "chosen", "rejected" };
      GVariant   *values[] = { g_variant_new_string (video), g_variant_new_string (question),
                               g_variant_new_int64 (chosen), g_variant_new_int64 (rejected) };
      if (assay_store_edit_insert (store, "video_choices", columns, values, 4, error) <= 0)
        goto failed;
    }
  return assay_store_edit_commit (store, error);

failed:
  assay_store_edit_abort (store);
  return FALSE;
}

static JsonArray *
write_frames (AssayStore *store, const char *out, const AssayVideoPair *p, GError **error)
{
  sqlite3_stmt    *stmt = assay_store_prepare (store,
                                               "SELECT f.frame, f.image FROM video_frames f JOIN videos v ON v.id = f.video_id "
                                               "WHERE v.name = ? AND v.id = (SELECT max(id) FROM videos WHERE name = ? AND "
                                               ASSAY_DATASET_VISIBLE ("dataset_id") ") "
                                               "ORDER BY f.position", error);
  g_autofree char *dir = g_strdup_printf ("%s.frames%c%s", out, G_DIR_SEPARATOR, p->video);
  JsonArray       *a;

  if (stmt == NULL)
    return NULL;
  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_FAILED, "%s: %s", dir, g_strerror (errno));
      return NULL;
    }
  a = json_array_new ();
  sqlite3_bind_text (stmt, 1, p->video, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, p->video, -1, SQLITE_TRANSIENT);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      g_autofree char *name = g_strdup_printf ("frame-%lld.png", (long long) sqlite3_column_int64 (stmt, 0));
      g_autofree char *path = g_build_filename (dir, name, NULL);
      if (!g_file_test (path, G_FILE_TEST_EXISTS)
          && !g_file_set_contents (path, sqlite3_column_blob (stmt, 1), sqlite3_column_bytes (stmt, 1), error))
        {
          sqlite3_reset (stmt);
          json_array_unref (a);
          return NULL;
        }
      json_array_add_string_element (a, path);
    }
  sqlite3_reset (stmt);
  return a;
}

gboolean
assay_video_pairs_export (AssayStore *store, gint64 dataset, guint64 seed, const char *out,
                          gboolean frames, guint *n_pairs, GError **error)
{
  g_autoptr (GPtrArray) pairs = assay_video_pairs (store, dataset, seed, error);
  g_autoptr (AssayAtomicFile) file = NULL;
  FILE *f;

  if (pairs == NULL)
    return FALSE;
  if (pairs->len == 0)
    {
      /* no empty file: say why there is nothing */
      g_set_error_literal (error, ASSAY_ERROR, ASSAY_ERROR_NOTHING_TO_DO,
                           _("No preference pairs to export: no question has both a response "
                             "scored 3 or more and one scored below 3"));
      return FALSE;
    }
  if ((file = assay_atomic_file_new (out, error)) == NULL)
    return FALSE;
  f = assay_atomic_file_get_stream (file);
  for (guint i = 0; i < pairs->len; i++)
    {
      AssayVideoPair  *p = pairs->pdata[i];
      JsonObject      *o = json_object_new ();
      g_autofree char *line = NULL;
      json_object_set_string_member (o, "prompt", p->question);
      json_object_set_string_member (o, "chosen", p->chosen_text);
      json_object_set_string_member (o, "rejected", p->rejected_text);
      json_object_set_string_member (o, "video", p->path != NULL ? p->path : p->video);
      json_object_set_double_member (o, "chosen_score", p->chosen_score);
      json_object_set_double_member (o, "rejected_score", p->rejected_score);
      if (frames)
        {
          JsonArray *a = write_frames (store, out, p, error);
          if (a == NULL)
            {
              json_object_unref (o);
              return FALSE;
            }
          json_object_set_array_member (o, "frames", a);
        }
      line = assay_json_object_to_string (o, FALSE);
      json_object_unref (o);
      fputs (line, f);
      fputc ('\n', f);
    }
  if (!assay_atomic_file_commit (file, error))
    return FALSE;
  if (n_pairs != NULL)
    *n_pairs = pairs->len;
  return TRUE;
}
