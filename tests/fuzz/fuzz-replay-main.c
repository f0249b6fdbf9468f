/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Runs a fuzz target over files or folders of inputs, without libFuzzer: the regression check of
 * the fuzz corpus in the ordinary test suite. */
#include <glib.h>
#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static int
run_file (const char *path)
{
  g_autofree char *data = NULL;
  gsize            len = 0;

  if (!g_file_get_contents (path, &data, &len, NULL))
    return 0;
  LLVMFuzzerTestOneInput ((const uint8_t *) data, len);
  return 1;
}

int
main (int argc, char **argv)
{
  int n = 0;

  for (int i = 1; i < argc; i++)
    {
      if (g_file_test (argv[i], G_FILE_TEST_IS_DIR))
        {
          g_autoptr (GDir) dir = g_dir_open (argv[i], 0, NULL);
          const char *name;
          while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
            {
              g_autofree char *path = g_build_filename (argv[i], name, NULL);
              n += run_file (path);
            }
        }
      else
        n += run_file (argv[i]);
    }
  printf ("1..1\nok 1 - %d inputs ran without a crash\n", n);
  return n > 0 ? 0 : 1;
}
