/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-cli-signals.c: "assay-cli signals": the label model over a dataset's signals. */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "assay-cli-commands.h"
#include "assay-dismissals.h"
#include "assay-signals-jobs.h"

static void
print_double (const char *label, JsonObject *o, const char *key)
{
  if (json_object_has_member (o, key) && !json_object_get_null_member (o, key))
    g_print ("%s %.4f", label, json_object_get_double_member (o, key));
}

static void
print_fit (JsonObject *o)
{
  JsonArray *signals = json_object_get_array_member (o, "signals");

  g_print (_("%s; %lld records, %lld decided; P(good) prior %.3f\n"),
           json_object_get_string_member_with_default (o, "label_model", "dawid-skene"),
           (long long) json_object_get_int_member (o, "records"),
           (long long) json_object_get_int_member (o, "decided"), json_object_get_double_member (o, "prior"));
  if (json_object_has_member (o, "identified") && !json_object_get_boolean_member (o, "identified"))
    g_print (_("the signals do not tell the classes apart without decisions: P(good) orders the records, but its "
               "values are not calibrated; decide 20 records or more and fit again\n"));
  for (guint j = 0; j < json_array_get_length (signals); j++)
    {
      JsonObject *e = json_array_get_object_element (signals, j);
      JsonArray  *cats = json_object_get_array_member (e, "categories");
      g_print ("  %-28s coverage %.3f", json_object_get_string_member (e, "name"),
               json_object_get_double_member (e, "coverage"));
      print_double (_("  accuracy"), e, "accuracy");
      if (json_object_has_member (e, "measured") && !json_object_get_null_member (e, "measured"))
        print_double (_("  measured"), json_object_get_object_member (e, "measured"), "accuracy");
      print_double (_("  AUROC"), e, "auroc");
      g_print ("\n   ");
      for (guint k = 0; k < json_array_get_length (cats); k++)
        {
          JsonObject *c = json_array_get_object_element (cats, k);
          g_print (" [%s: %lld, P(good) %.2f]", json_object_get_string_member (c, "label"),
                   (long long) json_object_get_int_member (c, "records"), json_object_get_double_member (c, "p_good"));
        }
      g_print ("\n");
    }
  if (json_object_has_member (o, "evaluation"))
    {
      JsonObject *ev = json_object_get_object_member (o, "evaluation");
      g_print (_("against the first-error labels (%lld records not decided):"),
               (long long) json_object_get_int_member (ev, "records"));
      print_double (_(" AUROC of P(good)"), ev, "auroc");
      print_double (_(", Brier"), ev, "brier");
      print_double (_(", majority vote"), ev, "majority_auroc");
      if (json_object_has_member (ev, "best_signal"))
        g_print (_(", best signal %s %.4f"), json_object_get_string_member (ev, "best_signal"),
                 json_object_get_double_member (ev, "best_signal_auroc"));
      g_print ("\n");
    }
}

static int
verb_fit (AssayCliCommon *common, int argc, char **argv)
{
  AssaySignalsFitOptions options;
  gint64   dataset = 0;
  gboolean no_decisions = FALSE;
  g_autofree char *label_model = NULL;
  const GOptionEntry entries[] = {
    { "dataset", 0, 0, G_OPTION_ARG_INT64, &dataset, N_("Dataset of generated records or traces"), N_("ID") },
    { "no-decisions", 0, 0, G_OPTION_ARG_NONE, &no_decisions, N_("Fit without the reviewer's decisions"), NULL },
    { "label-model", 0, 0, G_OPTION_ARG_STRING, &label_model,
      N_("auto (default: matrix-completion until 20 records are decided, then dawid-skene), dawid-skene (EM, "
         "dependent pairs modelled jointly) or matrix-completion (Snorkel's)"), N_("NAME") },
    { NULL }
  };
  g_autoptr (AssayStore) store = NULL;
  g_autoptr (AssayJob) job = NULL;
  g_autoptr (GError) error = NULL;
  JsonNode *result = NULL;
  int status = assay_cli_parse (common, "signals fit", NULL, entries, &argc, &argv);

  if (status != ASSAY_CLI_OK)
    return status;
  if (dataset <= 0)
    return assay_cli_usage (_("signals fit needs --dataset ID"));
  assay_signals_fit_options_init (&options);
  options.use_decisions = !no_decisions;
  if (label_model != NULL && !assay_signals_parse_label_model (label_model, &options))
    return assay_cli_usage (_("unknown --label-model “%s”: use auto, dawid-skene or matrix-completion"), label_model);
  if ((store = assay_cli_open_workspace (common, &error)) == NULL)
    return assay_cli_fail (g_steal_pointer (&error));
  job = assay_signals_fit_job_new (dataset, &options);
  if ((status = assay_cli_finish_job (common, job, &result)) != ASSAY_CLI_OK)
    return status;
  if (!common->json)
    {
      print_fit (json_node_get_object (result));
      json_node_unref (result);
      return ASSAY_CLI_OK;
    }
  return assay_cli_output (common, result);
}

static int
verb_show (AssayCliCommon *common, int argc, char **argv)
{
  gint64 dataset = 0;
  int    top = -1;
  const GOptionEntry entries[] = {
    { "dataset", 0, 0, G_OPTION_ARG_INT64, &dataset, N_("Dataset"), N_("ID") },
    { "top", 0, 0, G_OPTION_ARG_INT, &top, N_("Only the N records likeliest to be wrong"), N_("N") },
    { NULL }
  };
  g_autoptr (AssayStore) store = NULL;
  g_autoptr (GError) error = NULL;
  JsonObject *o;
  JsonArray  *records;
  int status = assay_cli_parse (common, "signals show", NULL, entries, &argc, &argv);

  if (status != ASSAY_CLI_OK)
    return status;
  if (dataset <= 0)
    return assay_cli_usage (_("signals show needs --dataset ID"));
  if ((store = assay_cli_open_workspace (common, &error)) == NULL)
    return assay_cli_fail (g_steal_pointer (&error));
  if ((o = assay_signals_show (store, dataset, &error)) == NULL)
    return assay_cli_fail (g_steal_pointer (&error));
  records = json_object_get_array_member (o, "ranked");
  if (top >= 0)
    while (json_array_get_length (records) > (guint) top)
      json_array_remove_element (records, json_array_get_length (records) - 1);
  if (!common->json)
    {
      if (json_object_has_member (o, "signals"))
        print_fit (o);
      for (guint i = 0; i < json_array_get_length (records); i++)
        {
          JsonObject *r = json_array_get_object_element (records, i);
          g_print ("%8lld  P(good) %.4f  %s\n", (long long) json_object_get_int_member (r, "id"),
                   json_object_get_double_member (r, "p_good"), json_object_get_string_member (r, "status"));
        }
      json_object_unref (o);
      return ASSAY_CLI_OK;
    }
  {
    JsonNode *node = json_node_new (JSON_NODE_OBJECT);
    json_node_take_object (node, o);
    return assay_cli_output (common, node);
  }
}

static int
verb_dismiss (AssayCliCommon *common, int argc, char **argv)
{
  gint64   dataset = 0;
  g_autofree char *item = NULL, *label = NULL;
  gboolean missing = FALSE;
  const GOptionEntry entries[] = {
    { "dataset", 0, 0, G_OPTION_ARG_INT64, &dataset, N_("Dataset"), N_("ID") },
    { "item", 0, 0, G_OPTION_ARG_STRING, &item, N_("The document (its id as imported) or record (its id)"), N_("ID") },
    { "label", 0, 0, G_OPTION_ARG_STRING, &label, N_("The label said to be in error"), N_("NAME") },
    { "missing", 0, 0, G_OPTION_ARG_NONE, &missing, N_("The label was said to be missing (not given)"), NULL },
    { NULL }
  };
  g_autoptr (AssayStore) store = NULL;
  g_autoptr (GError) error = NULL;
  int status = assay_cli_parse (common, "signals dismiss", NULL, entries, &argc, &argv);

  if (status != ASSAY_CLI_OK)
    return status;
  if (dataset <= 0 || item == NULL || label == NULL)
    return assay_cli_usage (_("signals dismiss needs --dataset ID, --item ID and --label NAME"));
  if ((store = assay_cli_open_workspace (common, &error)) == NULL)
    return assay_cli_fail (g_steal_pointer (&error));
  if (!assay_store_get_dataset (store, dataset, NULL, NULL, &error)
      || !assay_dismissal_add (store, dataset, item, label, !missing, &error))
    return assay_cli_fail (g_steal_pointer (&error));
  if (common->json)
    {
      g_autoptr (JsonObject) o = json_object_new ();
      json_object_set_int_member (o, "dataset", dataset);
      json_object_set_string_member (o, "item", item);
      json_object_set_string_member (o, "label", label);
      json_object_set_boolean_member (o, "given", !missing);
      assay_cli_print_json_object (o);
    }
  return ASSAY_CLI_OK;
}

static const AssayCliVerb verbs[] = {
  { "fit", verb_fit, N_("Weigh every signal of a dataset's records with a label model (Dawid-Skene EM); P(good) per record") },
  { "dismiss", verb_dismiss, N_("Keep a likely label error out of later searches (xmtc errors, gen errors); undoable") },
  { "show", verb_show, N_("The current fit: each signal's accuracy, and the records by P(good), likeliest wrong first") },
  { NULL }
};

int
assay_cli_signals (int argc, char **argv)
{
  return assay_cli_dispatch ("signals", verbs, argc, argv);
}
