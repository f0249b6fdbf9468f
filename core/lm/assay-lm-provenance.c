/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-lm-provenance.c: see assay-lm-provenance.h. */
#include "assay-lm-provenance.h"

#include <glib/gi18n.h>

JsonObject *
assay_lm_provenance_new (const char *model_dir, const char *template_name,
                         const AssaySampling *s, int max_tokens, guint64 seed, gboolean chat)
{
  JsonObject      *p = json_object_new ();
  g_autofree char *path = g_build_filename (model_dir, "config.json", NULL);
  g_autofree char *text = NULL;
  gsize            len;

  json_object_set_string_member (p, "generator", "assay");
  json_object_set_string_member (p, "model_dir", model_dir);
  if (g_file_get_contents (path, &text, &len, NULL))
    {
      g_autofree char *sha = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) text, len);
      json_object_set_string_member (p, "model_config_sha256", sha);
    }
  json_object_set_string_member (p, "template", template_name);
  json_object_set_boolean_member (p, "chat", chat);
  json_object_set_double_member (p, "temperature", s->temperature);
  json_object_set_double_member (p, "top_p", s->top_p);
  json_object_set_int_member (p, "top_k", s->top_k);
  json_object_set_double_member (p, "min_p", s->min_p);
  json_object_set_double_member (p, "repetition_penalty", s->repetition_penalty);
  json_object_set_int_member (p, "max_tokens", max_tokens);
  json_object_set_int_member (p, "seed", (gint64) seed);
  return p;
}

JsonObject *
assay_lm_provenance_copy (JsonObject *provenance)
{
  JsonObject    *copy = json_object_new ();
  JsonObjectIter iter;
  const char    *name;
  JsonNode      *member;

  json_object_iter_init (&iter, provenance);
  while (json_object_iter_next (&iter, &name, &member))
    json_object_set_member (copy, name, json_node_copy (member));
  return copy;
}

void
assay_lm_progress_step (guint64 tokens, int finished, gpointer data)
{
  AssayLmProgress *p = data;
  double           s = (g_get_monotonic_time () - p->t0) / 1e6;
  g_autofree char *msg = NULL;

  if (p->progress == NULL)
    return;
  msg = g_strdup_printf (_("%u of %u candidates, %.0f tokens/s"), p->done + finished, p->total,
                         s > 0 ? (p->before + tokens) / s : 0.0);
  p->progress ((double) (p->done + finished) / MAX (p->total, 1u), msg, p->data);
}
