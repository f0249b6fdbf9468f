/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-backend-cuda-stub.c: stands in for the CUDA backend when it is not built. */
#include "assay-backend-private.h"

bool
assay_backend_cuda_compiled (void)
{
  return false;
}

AssayBackend *
assay_backend_cuda_new (int device, char *err, size_t err_len)
{
  assay_backend_write_error (err, err_len, "this build of Assay has no CUDA backend "
                                           "(configure with -Dcuda=enabled)");
  return NULL;
}
