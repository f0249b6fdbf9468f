/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-merge-context.h"

#include "assay-json.h"

JsonObject *
assay_merge_params (AssayMergeContext *ctx)
{
  JsonObject *params = json_object_get_object_member (ctx->provenance, "params");
  g_autofree char *text = assay_json_object_to_string (params, FALSE);
  JsonObject *copy = assay_json_object_from_string (text, NULL);

  json_object_set_int_member (copy, "shards", ctx->n);
  json_object_set_string_member (copy, "run_key", ctx->shards[0]->key);
  return copy;
}

const char *
assay_merge_backend (AssayMergeContext *ctx)
{
  const char *backend = NULL;

  for (guint i = 0; i < ctx->summaries->len; i++)
    {
      const char *b = assay_json_get_string (g_ptr_array_index (ctx->summaries, i), "backend", NULL);
      if (backend == NULL)
        backend = b;
      else if (b != NULL && g_strcmp0 (b, backend) != 0)
        return "several";
    }
  return backend;
}

void
assay_merge_describe (AssayMergeContext *ctx, JsonObject *metrics)
{
  g_autofree char *shards = g_strdup_printf ("%u of %u", ctx->merged->len, ctx->n);

  json_object_set_string_member (metrics, "shards", shards);
  if (ctx->merged->len < ctx->n)
    {
      JsonArray *missing = json_array_new ();
      guint      j = 0;
      for (guint k = 0; k < ctx->n; k++)
        {
          if (j < ctx->merged->len && g_array_index (ctx->merged, guint, j) == k)
            j++;
          else
            json_array_add_int_element (missing, k);
        }
      json_object_set_array_member (metrics, "shards_missing", missing);
    }
}
