/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-names.h"

int
assay_names_find (const char *const *names, guint n, const char *name)
{
  for (guint i = 0; name != NULL && i < n; i++)
    if (g_str_equal (name, names[i]))
      return (int) i;
  return -1;
}
