/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-gen-export.h"

#include <glib/gi18n.h>

#include "assay-error.h"
#include "assay-json.h"
#include "assay-names.h"

static const char *const format_names[] = { "trl-dpo", "trl-dpo-chat", "kto", "prm", "sft" };

gboolean
assay_gen_parse_export_format (const char *name, AssayGenExportFormat *format)
{
  int i = assay_names_find (format_names, G_N_ELEMENTS (format_names), name);

  if (i < 0)
    return FALSE;
  *format = (AssayGenExportFormat) i;
  return TRUE;
}

const char *
assay_gen_export_format_name (AssayGenExportFormat format)
{
  return (guint) format < G_N_ELEMENTS (format_names) ? format_names[format] : "sft";
}

static JsonNode *
messages (const char *role, const char *content)
{
  JsonBuilder *b = json_builder_new ();
  JsonNode    *node;

  json_builder_begin_array (b);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "role");
  json_builder_add_string_value (b, role);
  json_builder_set_member_name (b, "content");
  json_builder_add_string_value (b, content != NULL ? content : "");
  json_builder_end_object (b);
  json_builder_end_array (b);
  node = json_builder_get_root (b);
  g_object_unref (b);
  return node;
}

/* A line of the export; a record made by a model keeps what made it (params) beside the fields
 * of the format, which trainers ignore. */
static void
write_object (GString *out, JsonObject *o, AssayGenRecord *r)
{
  g_autoptr (JsonNode) node = NULL;
  g_autofree char *text = NULL;

  if (r->params != NULL && json_object_get_size (r->params) > 0)
    json_object_set_object_member (o, "provenance", json_object_ref (r->params));
  node = json_node_init_object (json_node_alloc (), o);
  text = assay_json_node_to_string (node, FALSE);

  g_string_append (out, text);
  g_string_append_c (out, '\n');
}

static guint
export_record (AssayGenRecord *r, AssayGenExportFormat format, GString *out)
{
  const char *prompt = r->prompt != NULL ? r->prompt : "";
  const char *text = assay_gen_record_final_text (r);
  gboolean    pair = r->rejected != NULL;
  g_autoptr (JsonObject) o = json_object_new ();

  if (text == NULL)
    return 0;
  switch (format)
    {
    case ASSAY_GEN_EXPORT_TRL_DPO:
      if (!pair)
        return 0;
      json_object_set_string_member (o, "prompt", prompt);
      json_object_set_string_member (o, "chosen", text);
      json_object_set_string_member (o, "rejected", r->rejected);
      write_object (out, o, r);
      return 1;

    case ASSAY_GEN_EXPORT_TRL_DPO_CHAT:
      if (!pair)
        return 0;
      json_object_set_member (o, "prompt", messages ("user", prompt));
      json_object_set_member (o, "chosen", messages ("assistant", text));
      json_object_set_member (o, "rejected", messages ("assistant", r->rejected));
      write_object (out, o, r);
      return 1;

    case ASSAY_GEN_EXPORT_KTO:
      if (pair)
        {
          g_autoptr (JsonObject) o2 = json_object_new ();
          json_object_set_string_member (o, "prompt", prompt);
          json_object_set_string_member (o, "completion", text);
          json_object_set_boolean_member (o, "label", TRUE);
          write_object (out, o, r);
          json_object_set_string_member (o2, "prompt", prompt);
          json_object_set_string_member (o2, "completion", r->rejected);
          json_object_set_boolean_member (o2, "label", FALSE);
          write_object (out, o2, r);
          return 2;
        }
      if (r->status == ASSAY_GEN_PENDING)
        return 0;
      json_object_set_string_member (o, "prompt", prompt);
      json_object_set_string_member (o, "completion", text);
      json_object_set_boolean_member (o, "label", r->status != ASSAY_GEN_REJECTED);
      write_object (out, o, r);
      return 1;

    case ASSAY_GEN_EXPORT_PRM:
      {
        JsonArray *completions, *labels;
        guint      n;
        if (r->steps == NULL || r->steps[0] == NULL)
          return 0;
        n = g_strv_length (r->steps);
        if (r->step_label >= (int) n)
          return 0;
        completions = json_array_new ();
        labels = json_array_new ();
        for (guint i = 0; i < n; i++)
          {
            json_array_add_string_element (completions, r->steps[i]);
            json_array_add_boolean_element (labels, r->step_label < 0 || (int) i < r->step_label);
            if (r->step_label >= 0 && (int) i == r->step_label)
              break;
          }
        json_object_set_string_member (o, "prompt", prompt);
        json_object_set_array_member (o, "completions", completions);
        json_object_set_array_member (o, "labels", labels);
        write_object (out, o, r);
        return 1;
      }

    case ASSAY_GEN_EXPORT_SFT:
    default:
      json_object_set_string_member (o, "prompt", prompt);
      json_object_set_string_member (o, "completion", text);
      write_object (out, o, r);
      return 1;
    }
}

gboolean
assay_gen_export (AssayStore *store, const AssayGenFilter *filter, AssayGenExportFormat format,
                  const char *path, guint *exported, GError **error)
{
  g_autoptr (GArray) ids = assay_gen_query_ids (store, filter, error);
  g_autoptr (GFile) file = NULL;
  g_autoptr (GFileOutputStream) stream = NULL;
  g_autoptr (GString) buf = g_string_new (NULL);
  guint    n = 0;
  gboolean ok = TRUE;

  if (ids == NULL)
    return FALSE;
  file = g_file_new_for_path (path);
  /* written to a temporary file and renamed over path on close */
  stream = g_file_replace (file, NULL, FALSE, G_FILE_CREATE_NONE, NULL, error);
  if (stream == NULL)
    return FALSE;
  for (guint i = 0; ok && i < ids->len; i++)
    {
      g_autoptr (AssayGenRecord) r = assay_gen_record_load (store, g_array_index (ids, gint64, i), error);
      if (r == NULL)
        {
          ok = FALSE;
          break;
        }
      n += export_record (r, format, buf);
      if (buf->len > (1 << 20) || i + 1 == ids->len)
        {
          ok = g_output_stream_write_all (G_OUTPUT_STREAM (stream), buf->str, buf->len, NULL, NULL,
                                          error);
          g_string_truncate (buf, 0);
        }
    }
  if (ok && n == 0)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_NOTHING_TO_DO,
                   _("Nothing to export as %s: no selected record fits the format"),
                   assay_gen_export_format_name (format));
      ok = FALSE;
    }
  if (!ok)
    {
      /* abandon the temporary file; path keeps what it had */
      g_autoptr (GCancellable) cancel = g_cancellable_new ();
      g_cancellable_cancel (cancel);
      g_output_stream_close (G_OUTPUT_STREAM (stream), cancel, NULL);
      return FALSE;
    }
  if (!g_output_stream_close (G_OUTPUT_STREAM (stream), NULL, error))
    return FALSE;
  if (exported != NULL)
    *exported = n;
  return TRUE;
}
