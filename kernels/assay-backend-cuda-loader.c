/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-backend-cuda-loader.c: the CUDA backend lives in a module (libassay-cuda.so, built with
 * cuBLAS) loaded the first time a CUDA backend is asked for. ASSAY_CUDA_MODULE names another
 * file; else the build tree's module is used when present, then the installed one. */
#include "assay-backend-private.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

typedef AssayBackend *(*ModuleNew) (int device, char *err, size_t err_len);

static pthread_once_t once = PTHREAD_ONCE_INIT;
static ModuleNew      module_new;
static char           load_error[512];

static void
load (void)
{
  const char *candidates[] = { getenv ("ASSAY_CUDA_MODULE"), ASSAY_CUDA_MODULE_BUILT,
                               ASSAY_CUDA_MODULE_INSTALLED };
  void       *handle = NULL;
  const char *tried = NULL;

  for (size_t i = 0; i < sizeof candidates / sizeof candidates[0] && handle == NULL; i++)
    {
      if (candidates[i] == NULL || candidates[i][0] == '\0' || access (candidates[i], R_OK) != 0)
        continue;
      tried = candidates[i];
      handle = dlopen (candidates[i], RTLD_NOW | RTLD_LOCAL);
      if (handle == NULL)
        assay_backend_write_error (load_error, sizeof load_error,
                                   "the CUDA backend could not be loaded: %s", dlerror ());
    }
  if (handle == NULL)
    {
      if (tried == NULL)
        assay_backend_write_error (load_error, sizeof load_error,
                                   "the CUDA backend module is missing (%s)",
                                   ASSAY_CUDA_MODULE_INSTALLED);
      return;
    }
  module_new = (ModuleNew) dlsym (handle, "assay_backend_cuda_module_new");
  if (module_new == NULL)
    assay_backend_write_error (load_error, sizeof load_error,
                               "%s is not Assay's CUDA backend: %s", tried, dlerror ());
}

bool
assay_backend_cuda_compiled (void)
{
  return true;
}

AssayBackend *
assay_backend_cuda_new (int device, char *err, size_t err_len)
{
  void *driver;

  pthread_once (&once, load);
  if (module_new == NULL)
    {
      assay_backend_write_error (err, err_len, "%s", load_error);
      return NULL;
    }
  /* Without the driver library the runtime's own word is "CUDA driver version is insufficient
   * for CUDA runtime version", which reads as a version problem on a machine with no GPU. */
  if ((driver = dlopen ("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL)) == NULL)
    {
      assay_backend_write_error (err, err_len, "no NVIDIA driver (libcuda.so.1 is not installed)");
      return NULL;
    }
  dlclose (driver);
  return module_new (device, err, err_len);
}
