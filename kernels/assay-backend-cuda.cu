/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-backend-cuda.cu: the CUDA backend: cuBLAS sgemm and our own row kernels. */
#include "assay-backend-private.h"

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

namespace
{

struct AssayBackendCuda
{
  AssayBackend   parent;
  int            device;
  cudaStream_t   stream;
  cublasHandle_t cublas;
};

inline AssayBackendCuda *
cuda_of (AssayBackend *self)
{
  return reinterpret_cast<AssayBackendCuda *> (self);
}

int
cuda_check (AssayBackend *self, cudaError_t status, const char *what)
{
  if (status == cudaSuccess)
    return ASSAY_BACKEND_OK;
  cudaGetLastError (); /* clear the sticky-free error state */
  return assay_backend_fail (self,
                             status == cudaErrorMemoryAllocation ? ASSAY_BACKEND_E_OOM
                                                                 : ASSAY_BACKEND_E_DEVICE,
                             "CUDA %s: %s", what, cudaGetErrorString (status));
}

int
cublas_check (AssayBackend *self, cublasStatus_t status, const char *what)
{
  if (status == CUBLAS_STATUS_SUCCESS)
    return ASSAY_BACKEND_OK;
  return assay_backend_fail (self,
                             status == CUBLAS_STATUS_ALLOC_FAILED ? ASSAY_BACKEND_E_OOM
                                                                  : ASSAY_BACKEND_E_DEVICE,
                             "cuBLAS %s: %s", what, cublasGetStatusString (status));
}

constexpr int kThreads = 256;

__device__ float
warp_max (float v)
{
  for (int o = 16; o > 0; o >>= 1)
    v = fmaxf (v, __shfl_xor_sync (0xffffffffu, v, o));
  return v;
}

__device__ float
warp_sum (float v)
{
  for (int o = 16; o > 0; o >>= 1)
    v += __shfl_xor_sync (0xffffffffu, v, o);
  return v;
}

/* Reductions over the whole block; every thread gets the result. */
__device__ float
block_max (float v, float *shared)
{
  int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  v = warp_max (v);
  __syncthreads ();
  if (lane == 0)
    shared[warp] = v;
  __syncthreads ();
  v = threadIdx.x < (blockDim.x >> 5) ? shared[lane] : -INFINITY;
  return warp_max (v);
}

__device__ float
block_sum (float v, float *shared)
{
  int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  v = warp_sum (v);
  __syncthreads ();
  if (lane == 0)
    shared[warp] = v;
  __syncthreads ();
  v = threadIdx.x < (blockDim.x >> 5) ? shared[lane] : 0.0f;
  return warp_sum (v);
}

__global__ void
softmax_rows_kernel (float *x, int cols, int ld)
{
  __shared__ float shared[32];
  float           *row = x + (size_t) blockIdx.x * ld;
  float            mx = -INFINITY, sum = 0.0f, inv;

  for (int j = threadIdx.x; j < cols; j += blockDim.x)
    mx = fmaxf (mx, row[j]);
  mx = block_max (mx, shared);
  for (int j = threadIdx.x; j < cols; j += blockDim.x)
    sum += expf (row[j] - mx);
  sum = block_sum (sum, shared);
  inv = 1.0f / sum;
  for (int j = threadIdx.x; j < cols; j += blockDim.x)
    row[j] = expf (row[j] - mx) * inv;
}

__global__ void
logsumexp_rows_kernel (const float *x, int cols, int ld, float *out)
{
  __shared__ float shared[32];
  const float     *row = x + (size_t) blockIdx.x * ld;
  float            mx = -INFINITY, sum = 0.0f, nan_seen = 0.0f;

  for (int j = threadIdx.x; j < cols; j += blockDim.x)
    {
      float v = row[j];
      if (isnan (v))
        nan_seen = 1.0f;
      mx = fmaxf (mx, v);
    }
  mx = block_max (mx, shared);
  nan_seen = block_max (nan_seen, shared);
  if (nan_seen > 0.0f || isinf (mx))
    {
      if (threadIdx.x == 0)
        out[blockIdx.x] = nan_seen > 0.0f ? NAN : mx;
      return;
    }
  for (int j = threadIdx.x; j < cols; j += blockDim.x)
    sum += expf (row[j] - mx);
  sum = block_sum (sum, shared);
  if (threadIdx.x == 0)
    out[blockIdx.x] = mx + logf (sum);
}

void
cuda_destroy (AssayBackend *self)
{
  AssayBackendCuda *cu = cuda_of (self);

  if (cu->cublas != nullptr)
    cublasDestroy (cu->cublas);
  if (cu->stream != nullptr)
    cudaStreamDestroy (cu->stream);
  free (cu);
}

void *
cuda_alloc (AssayBackend *self, size_t bytes)
{
  void *ptr = nullptr;

  if (cuda_check (self, cudaMalloc (&ptr, bytes ? bytes : 1), "cudaMalloc") != ASSAY_BACKEND_OK)
    return nullptr;
  return ptr;
}

void
cuda_release (AssayBackend *self, void *ptr)
{
  cudaFree (ptr);
}

int
cuda_upload (AssayBackend *self, void *dst, const void *src, size_t bytes)
{
  AssayBackendCuda *cu = cuda_of (self);
  int status = cuda_check (self, cudaMemcpyAsync (dst, src, bytes, cudaMemcpyHostToDevice,
                                                  cu->stream), "upload");
  if (status != ASSAY_BACKEND_OK)
    return status;
  return cuda_check (self, cudaStreamSynchronize (cu->stream), "upload");
}

int
cuda_download (AssayBackend *self, void *dst, const void *src, size_t bytes)
{
  AssayBackendCuda *cu = cuda_of (self);
  int status = cuda_check (self, cudaMemcpyAsync (dst, src, bytes, cudaMemcpyDeviceToHost,
                                                  cu->stream), "download");
  if (status != ASSAY_BACKEND_OK)
    return status;
  return cuda_check (self, cudaStreamSynchronize (cu->stream), "download");
}

int
cuda_synchronize (AssayBackend *self)
{
  return cuda_check (self, cudaStreamSynchronize (cuda_of (self)->stream), "synchronize");
}

int
cuda_sgemm (AssayBackend *self, AssayTranspose ta, AssayTranspose tb, int m, int n, int k,
            float alpha, const float *a, int lda, const float *b, int ldb, float beta, float *c,
            int ldc)
{
  AssayBackendCuda *cu = cuda_of (self);

  /* Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T: swap the operands. */
  return cublas_check (self,
                       cublasSgemm (cu->cublas, tb == ASSAY_TRANS_T ? CUBLAS_OP_T : CUBLAS_OP_N,
                                    ta == ASSAY_TRANS_T ? CUBLAS_OP_T : CUBLAS_OP_N, n, m, k,
                                    &alpha, b, ldb, a, lda, &beta, c, ldc),
                       "sgemm");
}

int
cuda_softmax_rows (AssayBackend *self, float *x, int rows, int cols, int ld)
{
  softmax_rows_kernel<<<rows, kThreads, 0, cuda_of (self)->stream>>> (x, cols, ld);
  return cuda_check (self, cudaGetLastError (), "softmax");
}

int
cuda_logsumexp_rows (AssayBackend *self, const float *x, int rows, int cols, int ld, float *out)
{
  logsumexp_rows_kernel<<<rows, kThreads, 0, cuda_of (self)->stream>>> (x, cols, ld, out);
  return cuda_check (self, cudaGetLastError (), "logsumexp");
}

const AssayBackendVTable cuda_vtable = {
  cuda_destroy,      cuda_alloc, cuda_release,      cuda_upload,         cuda_download,
  cuda_synchronize,  cuda_sgemm, cuda_softmax_rows, cuda_logsumexp_rows,
};

} // namespace

extern "C" bool
assay_backend_cuda_compiled (void)
{
  return true;
}

extern "C" AssayBackend *
assay_backend_cuda_new (int device, char *err, size_t err_len)
{
  int              count = 0;
  cudaError_t      status = cudaGetDeviceCount (&count);
  cudaDeviceProp   prop;
  AssayBackendCuda *cu;

  if (status != cudaSuccess || count == 0)
    {
      cudaGetLastError ();
      assay_backend_write_error (err, err_len, "no CUDA device: %s",
                                 status != cudaSuccess ? cudaGetErrorString (status)
                                                       : "none found");
      return nullptr;
    }
  if (device < 0 || device >= count)
    {
      assay_backend_write_error (err, err_len, "CUDA device %d does not exist (%d found)", device,
                                 count);
      return nullptr;
    }
  if ((status = cudaSetDevice (device)) != cudaSuccess
      || (status = cudaGetDeviceProperties (&prop, device)) != cudaSuccess)
    {
      cudaGetLastError ();
      assay_backend_write_error (err, err_len, "CUDA device %d: %s", device,
                                 cudaGetErrorString (status));
      return nullptr;
    }

  cu = static_cast<AssayBackendCuda *> (calloc (1, sizeof *cu));
  if (cu == nullptr)
    {
      assay_backend_write_error (err, err_len, "out of memory");
      return nullptr;
    }
  cu->parent.vt = &cuda_vtable;
  cu->parent.kind = ASSAY_BACKEND_CUDA;
  cu->parent.threads = prop.multiProcessorCount;
  cu->parent.memory_bytes = prop.totalGlobalMem;
  cu->device = device;
  snprintf (cu->parent.device_name, sizeof cu->parent.device_name, "%s", prop.name);
  snprintf (cu->parent.description, sizeof cu->parent.description, "CUDA: %s, %.1f GiB",
            prop.name, prop.totalGlobalMem / (1024.0 * 1024.0 * 1024.0));

  if ((status = cudaStreamCreateWithFlags (&cu->stream, cudaStreamNonBlocking)) != cudaSuccess)
    {
      assay_backend_write_error (err, err_len, "CUDA stream: %s", cudaGetErrorString (status));
      cuda_destroy (&cu->parent);
      return nullptr;
    }
  if (cublasCreate (&cu->cublas) != CUBLAS_STATUS_SUCCESS
      || cublasSetStream (cu->cublas, cu->stream) != CUBLAS_STATUS_SUCCESS)
    {
      assay_backend_write_error (err, err_len, "cuBLAS could not start on %s", prop.name);
      cuda_destroy (&cu->parent);
      return nullptr;
    }
  return &cu->parent;
}
