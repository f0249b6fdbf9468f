/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Fuzz target: the safetensors header parser and checks on arbitrary bytes. */
#include <stdint.h>

#include "assay-safetensors.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  GError           *error = NULL;
  AssaySafetensors *set = assay_safetensors_parse (data, size, "fuzz", &error);

  if (set != NULL)
    {
      /* every tensor the parser accepted lies inside the input */
      for (guint i = 0; i < assay_safetensors_count (set); i++)
        {
          const AssaySafetensor *t = assay_safetensors_index (set, i);
          if (t->data < data || t->data + t->n_bytes > data + size)
            __builtin_trap ();
        }
      assay_safetensors_free (set);
    }
  g_clear_error (&error);
  return 0;
}
