/* SPDX-License-Identifier: GPL-3.0-or-later */
/* train-grads: one forward + backward pass of the training engine over a seeded packed batch of a
 * model folder, for tests/peers/train_peers.py to check against PyTorch autograd in float64.
 * Writes DIR/grads.safetensors (every parameter's gradient under its name) and DIR/batch.json
 * (ids, offsets, targets, weights, the loss and the log-probabilities).
 *
 * With --lora R ALPHA DROPOUT: LoRA adapters on every linear with random B (not PEFT's zeros,
 * so that A has a gradient too), dropout masks of seed 7; DIR/lora.safetensors holds A and B and
 * the gradients are those of the adapters.
 *
 * usage: train-grads MODEL_DIR OUT_DIR [--lora R ALPHA DROPOUT] */
#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdlib.h>

#include "assay-backend.h"
#include "assay-lm-model.h"
#include "assay-safetensors-writer.h"
#include "assay-train-model.h"

static JsonNode *
ints (const int *v, int n)
{
  JsonArray *a = json_array_new ();
  for (int i = 0; i < n; i++)
    json_array_add_int_element (a, v[i]);
  return json_node_init_array (json_node_alloc (), a);
}

static JsonNode *
floats (const float *v, int n)
{
  JsonArray *a = json_array_new ();
  for (int i = 0; i < n; i++)
    json_array_add_double_element (a, v[i]);
  return json_node_init_array (json_node_alloc (), a);
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (AssayLmModel) model = NULL;
  g_autoptr (AssayTrainModel) train = NULL;
  g_autoptr (AssaySafetensorsWriter) out = assay_safetensors_writer_new (FALSE);
  g_autoptr (GRand) rng = g_rand_new_with_seed (5);
  g_autofree char *grads = NULL, *batch = NULL, *text = NULL;
  /* three sequences, the last longer than a 64-row attention block */
  int       offsets[] = { 0, 7, 19, 89 }, n_seqs = 3, T = 89, ids[89], targets[89];
  float     weights[89], logprobs[89];
  double    loss;
  char      err[256];
  AssayBackend *b;
  JsonObject   *o = json_object_new ();
  JsonNode     *root;

  if (argc != 3 && !(argc == 7 && g_str_equal (argv[3], "--lora")))
    g_error ("usage: train-grads MODEL_DIR OUT_DIR [--lora R ALPHA DROPOUT]");
  if ((b = assay_backend_cpu_new (2, err, sizeof err)) == NULL)
    g_error ("%s", err);
  if ((model = assay_lm_model_open_causal (argv[1], &error)) == NULL
      || (train = assay_train_model_new (model, b, &error)) == NULL)
    g_error ("%s", error->message);
  if (argc == 7)
    {
      AssayLoraOptions lo = { atoi (argv[4]), g_ascii_strtod (argv[5], NULL), g_ascii_strtod (argv[6], NULL), NULL, 3 };
      g_autoptr (AssaySafetensorsWriter) lw = assay_safetensors_writer_new (FALSE);
      g_autofree char *path = g_build_filename (argv[2], "lora.safetensors", NULL);
      if (!assay_train_model_add_lora (train, &lo, &error))
        g_error ("%s", error->message);
      for (guint i = 0; i < assay_train_model_n_params (train); i++)
        if (assay_train_model_param_trainable (train, i))
          {
            int    rows, cols;
            gsize  n;
            float *w = assay_train_model_param (train, i, &n);
            assay_train_model_param_shape (train, i, &rows, &cols);
            if (g_str_has_suffix (assay_train_model_param_name (train, i), "lora_B.weight"))
              for (gsize k = 0; k < n; k++)
                w[k] = (float) g_rand_double_range (rng, -0.3, 0.3);
            assay_safetensors_writer_add (lw, assay_train_model_param_name (train, i), w, rows, cols);
          }
      assay_train_model_set_dropout_seed (train, 7);
      if (!assay_safetensors_writer_write (lw, path, &error))
        g_error ("%s", error->message);
    }
  for (int s = 0; s < n_seqs; s++)
    for (int t = offsets[s]; t < offsets[s + 1]; t++)
      {
        ids[t] = g_rand_int_range (rng, 0, assay_lm_model_config (model)->vocab);
        /* the next token of the sequence; none after its last; a "prompt" of 3 unscored tokens in the
         * second; weights 1, and 0.5 on a stretch of the third */
        weights[t] = s == 2 && t - offsets[s] >= 20 && t - offsets[s] < 30 ? 0.5f : 1.0f;
      }
  for (int s = 0; s < n_seqs; s++)
    for (int t = offsets[s]; t < offsets[s + 1]; t++)
      targets[t] = t + 1 < offsets[s + 1] && !(s == 1 && t - offsets[s] < 3) ? ids[t + 1] : -1;
  if (!assay_train_model_step (train, ids, T, offsets, n_seqs, targets, weights, &loss, logprobs, &error))
    g_error ("%s", error->message);
  for (guint i = 0; i < assay_train_model_n_params (train); i++)
    {
      int rows, cols;
      if (!assay_train_model_param_trainable (train, i))
        continue;
      assay_train_model_param_shape (train, i, &rows, &cols);
      assay_safetensors_writer_add (out, assay_train_model_param_name (train, i), assay_train_model_grad (train, i),
                                    rows, cols);
    }
  grads = g_build_filename (argv[2], "grads.safetensors", NULL);
  if (!assay_safetensors_writer_write (out, grads, &error))
    g_error ("%s", error->message);
  json_object_set_member (o, "ids", ints (ids, T));
  json_object_set_member (o, "offsets", ints (offsets, n_seqs + 1));
  json_object_set_member (o, "targets", ints (targets, T));
  json_object_set_member (o, "weights", floats (weights, T));
  json_object_set_member (o, "logprobs", floats (logprobs, T));
  json_object_set_double_member (o, "loss", loss);
  root = json_node_init_object (json_node_alloc (), o);
  text = json_to_string (root, FALSE);
  batch = g_build_filename (argv[2], "batch.json", NULL);
  if (!g_file_set_contents (batch, text, -1, &error))
    g_error ("%s", error->message);
  json_node_unref (root);
  json_object_unref (o);
  g_clear_pointer (&train, assay_train_model_free);
  assay_backend_free (b);
  return 0;
}
