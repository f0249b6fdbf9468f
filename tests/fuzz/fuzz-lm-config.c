/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Fuzz target: a model folder's config.json of arbitrary bytes, read alone and as the first step
 * of opening the model folder (which then finds no weights). A config that loads gives sizes
 * the forward pass can use and rotary frequencies for them. */
#include <glib/gstdio.h>
#include <stdint.h>

#include "assay-lm-config.h"
#include "assay-lm-model.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static char *dir;
static char *config_path;

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) model_error = NULL;
  AssayLmConfig *config;
  AssayLmModel  *model;

  if (dir == NULL)
    {
      dir = g_dir_make_tmp ("assay-fuzz-XXXXXX", NULL);
      config_path = g_build_filename (dir, "config.json", NULL);
    }
  if (!g_file_set_contents (config_path, (const char *) data, (gssize) size, NULL))
    return 0;
  config = assay_lm_config_load (config_path, &error);
  if (config == NULL)
    g_assert (error != NULL && error->message != NULL);
  else
    {
      if (config->hidden <= 0 || config->layers <= 0 || config->heads <= 0 || config->kv_heads <= 0
          || config->head_dim <= 0 || config->vocab <= 0 || assay_lm_arch_name (config->arch) == NULL)
        __builtin_trap ();
      g_free (assay_lm_config_inv_freq (config));
      assay_lm_config_free (config);
    }
  /* no safetensors in the folder: never a model */
  model = assay_lm_model_open (dir, &model_error);
  if (model != NULL)
    __builtin_trap ();
  g_assert (model_error != NULL && model_error->message != NULL);
  return 0;
}
