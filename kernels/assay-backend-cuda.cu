/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-backend-cuda.cu: the CUDA backend: cuBLAS sgemm and our own row kernels. */
#include "assay-backend-private.h"

#include <cublas_v2.h>
#include <cuda_bf16.h>
#include <cuda_fp16.h>
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
  void          *half_buf; /* activations converted for GemmEx with 16-bit weights */
  size_t         half_cap;
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

/* The log-sum-exp of a row as its maximum mx and log (sum exp (row - mx)), every thread of the
 * block taking part; FALSE (ls unset) when the row holds a NaN (mx is then NaN) or its maximum
 * is infinite. */
__device__ bool
row_logsumexp (const float *row, int cols, float *shared, float *mx_out, float *ls_out)
{
  float mx = -INFINITY, sum = 0.0f, nan_seen = 0.0f;

  for (int j = threadIdx.x; j < cols; j += blockDim.x)
    {
      float v = row[j];
      if (isnan (v))
        nan_seen = 1.0f;
      mx = fmaxf (mx, v);
    }
  mx = block_max (mx, shared);
  nan_seen = block_max (nan_seen, shared);
  *mx_out = nan_seen > 0.0f ? NAN : mx;
  if (nan_seen > 0.0f || isinf (mx))
    return false;
  for (int j = threadIdx.x; j < cols; j += blockDim.x)
    sum += expf (row[j] - mx);
  sum = block_sum (sum, shared);
  *ls_out = logf (sum);
  return true;
}

__global__ void
logsumexp_rows_kernel (const float *x, int cols, int ld, float *out)
{
  __shared__ float shared[32];
  float            mx, ls;
  bool             finite = row_logsumexp (x + (size_t) blockIdx.x * ld, cols, shared, &mx, &ls);

  if (threadIdx.x == 0)
    out[blockIdx.x] = finite ? mx + ls : mx;
}

void
cuda_destroy (AssayBackend *self)
{
  AssayBackendCuda *cu = cuda_of (self);

  if (cu->half_buf != nullptr)
    cudaFree (cu->half_buf);
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


/* ---- transformer operations ---- */

__device__ inline float
load_as_float (const void *data, int dtype, size_t i)
{
  if (dtype == ASSAY_DTYPE_F32)
    return static_cast<const float *> (data)[i];
  if (dtype == ASSAY_DTYPE_BF16)
    return __bfloat162float (static_cast<const __nv_bfloat16 *> (data)[i]);
  return __half2float (static_cast<const __half *> (data)[i]);
}

__global__ void
to_half_kernel (const float *x, int rows, int cols, int ldx, int dtype, void *out)
{
  size_t n = (size_t) rows * cols;
  for (size_t i = blockIdx.x * (size_t) blockDim.x + threadIdx.x; i < n; i += (size_t) gridDim.x * blockDim.x)
    {
      size_t r = i / cols, c = i % cols;
      float  v = x[r * ldx + c];
      if (dtype == ASSAY_DTYPE_BF16)
        static_cast<__nv_bfloat16 *> (out)[i] = __float2bfloat16 (v);
      else
        static_cast<__half *> (out)[i] = __float2half (v);
    }
}

__global__ void
add_bias_kernel (float *y, const float *bias, int rows, int cols, int ldy)
{
  size_t n = (size_t) rows * cols;
  for (size_t i = blockIdx.x * (size_t) blockDim.x + threadIdx.x; i < n; i += (size_t) gridDim.x * blockDim.x)
    y[(i / cols) * ldy + i % cols] += bias[i % cols];
}

__global__ void
embed_kernel (const void *table, int dtype, int cols, const int *ids, float *out, bool accumulate)
{
  size_t row = (size_t) ids[blockIdx.x];
  float *o = out + (size_t) blockIdx.x * cols;
  for (int j = threadIdx.x; j < cols; j += blockDim.x)
    {
      float v = load_as_float (table, dtype, row * cols + j);
      o[j] = accumulate ? o[j] + v : v;
    }
}

__global__ void
rmsnorm_kernel (const float *x, const float *w, float *out, int cols, float eps)
{
  __shared__ float shared[32];
  const float     *xr = x + (size_t) blockIdx.x * cols;
  float           *o = out + (size_t) blockIdx.x * cols;
  float            ss = 0.0f, inv;

  for (int j = threadIdx.x; j < cols; j += blockDim.x)
    ss += xr[j] * xr[j];
  ss = block_sum (ss, shared);
  inv = rsqrtf (ss / cols + eps);
  for (int j = threadIdx.x; j < cols; j += blockDim.x)
    o[j] = xr[j] * inv * w[j];
}

__global__ void
layernorm_kernel (const float *x, const float *w, const float *b, float *out, int cols, float eps)
{
  __shared__ float shared[32];
  const float     *xr = x + (size_t) blockIdx.x * cols;
  float           *o = out + (size_t) blockIdx.x * cols;
  float            mean = 0.0f, var = 0.0f, inv;

  for (int j = threadIdx.x; j < cols; j += blockDim.x)
    mean += xr[j];
  mean = block_sum (mean, shared) / cols;
  for (int j = threadIdx.x; j < cols; j += blockDim.x)
    var += (xr[j] - mean) * (xr[j] - mean);
  var = block_sum (var, shared) / cols;
  inv = rsqrtf (var + eps);
  for (int j = threadIdx.x; j < cols; j += blockDim.x)
    o[j] = (xr[j] - mean) * inv * w[j] + b[j];
}

struct InvFreq
{
  float v[256];
};

__global__ void
rope_kernel (float *x, int ld, int n_heads, int head_dim, const int *positions, InvFreq inv)
{
  int    half = head_dim / 2;
  float *row = x + (size_t) blockIdx.x * ld;
  float  pos = (float) positions[blockIdx.x];

  for (int t = threadIdx.x; t < n_heads * half; t += blockDim.x)
    {
      int    h = t / half, i = t % half;
      float *v = row + (size_t) h * head_dim;
      float  s, c, a = v[i], b = v[half + i];
      sincosf (pos * inv.v[i], &s, &c);
      v[i] = a * c - b * s;
      v[half + i] = b * c + a * s;
    }
}

__global__ void
swiglu_kernel (const float *gu, int rows, int inter, float *out)
{
  size_t n = (size_t) rows * inter;
  for (size_t i = blockIdx.x * (size_t) blockDim.x + threadIdx.x; i < n; i += (size_t) gridDim.x * blockDim.x)
    {
      size_t r = i / inter, j = i % inter;
      float  g = gu[r * 2 * inter + j], u = gu[r * 2 * inter + inter + j];
      out[i] = g / (1.0f + expf (-g)) * u;
    }
}

__global__ void
gelu_kernel (float *x, size_t n, int exact)
{
  for (size_t i = blockIdx.x * (size_t) blockDim.x + threadIdx.x; i < n; i += (size_t) gridDim.x * blockDim.x)
    {
      float v = x[i];
      x[i] = exact ? 0.5f * v * (1.0f + erff (v * 0.7071067811865476f))
                   : 0.5f * v * (1.0f + tanhf (0.7978845608028654f * (v + 0.044715f * v * v * v)));
    }
}

/* One block per (query row, head) of one sequence: scores over keys 0..last (the row itself when
 * causal, else the sequence's last row) in shared memory, softmax, the weighted sum of values. */
__global__ void
attention_kernel (const float *q, const float *k, const float *v, int ld, float *out, int ld_out,
                  int group, int head_dim, float scale, int last_key)
{
  extern __shared__ float scores[];
  __shared__ float        shared[32];
  int                     row = blockIdx.x, h = blockIdx.y, g = h / group;
  int                     i = last_key < 0 ? row : last_key;
  const float            *qi = q + (size_t) row * ld + (size_t) h * head_dim;
  float                   mx = -INFINITY, sum = 0.0f, inv;

  for (int j = threadIdx.x; j <= i; j += blockDim.x)
    {
      const float *kj = k + (size_t) j * ld + (size_t) g * head_dim;
      float        d = 0.0f;
      for (int t = 0; t < head_dim; t++)
        d += qi[t] * kj[t];
      scores[j] = d * scale;
      mx = fmaxf (mx, scores[j]);
    }
  mx = block_max (mx, shared);
  for (int j = threadIdx.x; j <= i; j += blockDim.x)
    {
      scores[j] = expf (scores[j] - mx);
      sum += scores[j];
    }
  sum = block_sum (sum, shared);
  inv = 1.0f / sum;
  __syncthreads ();
  for (int t = threadIdx.x; t < head_dim; t += blockDim.x)
    {
      float acc = 0.0f;
      for (int j = 0; j <= i; j++)
        acc += scores[j] * v[(size_t) j * ld + (size_t) g * head_dim + t];
      out[(size_t) row * ld_out + (size_t) h * head_dim + t] = acc * inv;
    }
}

__device__ inline float
cache_value (const float *c, size_t i)
{
  return c[i];
}

__device__ inline float
cache_value (const __nv_bfloat16 *c, size_t i)
{
  return __bfloat162float (c[i]);
}

__device__ inline void
cache_store (float *c, size_t i, float v)
{
  c[i] = v;
}

__device__ inline void
cache_store (__nv_bfloat16 *c, size_t i, float v)
{
  c[i] = __float2bfloat16_rn (v);
}

/* One block per (row, head): scores of the row's query against its keys (in the scratch row of
 * that pair), softmax, the weighted sum of values. Key j is cache row span[0] + j below
 * span[1], else span[2] + j. */
template <typename T>
__global__ void
attention_cached_kernel (const float *q, int ldq, const T *k_cache, const T *v_cache,
                         int kv_dim, const int *span, int max_keys, float *out, int ld_out,
                         int group, int head_dim, float scale, float *scratch)
{
  __shared__ float shared[32];
  int              r = blockIdx.x, h = blockIdx.y, n_heads = gridDim.y;
  const int       *sp = span + 4 * r;
  int              n_keys = sp[3], n_prefix = sp[1] < n_keys ? sp[1] : n_keys;
  int              off = (h / group) * head_dim;
  const float     *qh = q + (size_t) r * ldq + (size_t) h * head_dim;
  float           *p = scratch + ((size_t) r * n_heads + h) * max_keys;
  float            mx = -INFINITY, sum = 0.0f, inv;

  for (int j = threadIdx.x; j < n_keys; j += blockDim.x)
    {
      size_t at = (size_t) (j < n_prefix ? sp[0] + j : sp[2] + j) * kv_dim + off;
      float  d = 0.0f;
      for (int t = 0; t < head_dim; t++)
        d += qh[t] * cache_value (k_cache, at + t);
      p[j] = d * scale;
      mx = fmaxf (mx, p[j]);
    }
  mx = block_max (mx, shared);
  for (int j = threadIdx.x; j < n_keys; j += blockDim.x)
    {
      p[j] = expf (p[j] - mx);
      sum += p[j];
    }
  sum = block_sum (sum, shared);
  inv = 1.0f / sum;
  __syncthreads ();
  for (int t = threadIdx.x; t < head_dim; t += blockDim.x)
    {
      float acc = 0.0f;
      for (int j = 0; j < n_keys; j++)
        acc += p[j] * cache_value (v_cache, (size_t) (j < n_prefix ? sp[0] + j : sp[2] + j) * kv_dim + off + t);
      out[(size_t) r * ld_out + (size_t) h * head_dim + t] = acc * inv;
    }
}

template <typename T>
__global__ void
scatter_rows_kernel (const float *src, int ld_src, int cols, const int *rows, T *dst)
{
  int          r = blockIdx.x;
  const float *s = src + (size_t) r * ld_src;

  for (int j = threadIdx.x; j < cols; j += blockDim.x)
    cache_store (dst, (size_t) rows[r] * cols + j, s[j]);
}

__global__ void
target_logprobs_kernel (const float *x, int cols, int ld, const int *targets, float *out)
{
  __shared__ float shared[32];
  const float     *row = x + (size_t) blockIdx.x * ld;
  float            mx, ls;
  bool             finite = row_logsumexp (row, cols, shared, &mx, &ls);

  if (threadIdx.x == 0)
    out[blockIdx.x] = finite ? row[targets[blockIdx.x]] - mx - ls : row[targets[blockIdx.x]] - mx;
}

inline int
grid_for (size_t n)
{
  size_t blocks = (n + kThreads - 1) / kThreads;
  return (int) (blocks < 65535 ? (blocks > 0 ? blocks : 1) : 65535);
}

int
cuda_weight_init (AssayBackend *self, AssayBackendWeight *w, const void *host)
{
  size_t bytes = (size_t) w->rows * w->cols * assay_dtype_size (w->dtype);
  void  *data = cuda_alloc (self, bytes);
  int    status;

  if (data == nullptr)
    return ASSAY_BACKEND_E_OOM;
  if ((status = cuda_upload (self, data, host, bytes)) != ASSAY_BACKEND_OK)
    {
      cudaFree (data);
      return status;
    }
  w->data = data;
  return ASSAY_BACKEND_OK;
}

void
cuda_weight_clear (AssayBackend *self, AssayBackendWeight *w)
{
  cudaFree (w->data);
  w->data = nullptr;
}

int
cuda_linear (AssayBackend *self, const float *x, int rows, int ldx, const AssayBackendWeight *w,
             const float *bias, float beta, float *y, int ldy)
{
  AssayBackendCuda *cu = cuda_of (self);
  float             one = 1.0f;
  int               status;

  if (w->dtype == ASSAY_DTYPE_F32)
    status = cublas_check (self, cublasSgemm (cu->cublas, CUBLAS_OP_T, CUBLAS_OP_N, w->rows, rows, w->cols,
                                              &one, static_cast<const float *> (w->data), w->cols, x, ldx,
                                              &beta, y, ldy), "sgemm");
  else
    {
      size_t         need = (size_t) rows * w->cols * 2;
      cudaDataType_t type = w->dtype == ASSAY_DTYPE_BF16 ? CUDA_R_16BF : CUDA_R_16F;
      if (need > cu->half_cap)
        {
          if (cu->half_buf != nullptr)
            cudaFree (cu->half_buf);
          cu->half_buf = nullptr;
          cu->half_cap = 0;
          if ((cu->half_buf = cuda_alloc (self, need)) == nullptr)
            return ASSAY_BACKEND_E_OOM;
          cu->half_cap = need;
        }
      to_half_kernel<<<grid_for ((size_t) rows * w->cols), kThreads, 0, cu->stream>>> (x, rows, w->cols, ldx, w->dtype, cu->half_buf);
      if ((status = cuda_check (self, cudaGetLastError (), "convert")) != ASSAY_BACKEND_OK)
        return status;
      status = cublas_check (self, cublasGemmEx (cu->cublas, CUBLAS_OP_T, CUBLAS_OP_N, w->rows, rows, w->cols,
                                                 &one, w->data, type, w->cols, cu->half_buf, type, w->cols,
                                                 &beta, y, CUDA_R_32F, ldy, CUBLAS_COMPUTE_32F,
                                                 CUBLAS_GEMM_DEFAULT), "GemmEx");
    }
  if (status != ASSAY_BACKEND_OK || bias == nullptr)
    return status;
  add_bias_kernel<<<grid_for ((size_t) rows * w->rows), kThreads, 0, cu->stream>>> (y, bias, rows, w->rows, ldy);
  return cuda_check (self, cudaGetLastError (), "bias");
}

int
cuda_embed (AssayBackend *self, const AssayBackendWeight *table, const int *ids, int rows,
            float *out, bool accumulate)
{
  embed_kernel<<<rows, kThreads, 0, cuda_of (self)->stream>>> (table->data, table->dtype, table->cols, ids, out, accumulate);
  return cuda_check (self, cudaGetLastError (), "embed");
}

int
cuda_rmsnorm (AssayBackend *self, const float *x, const float *w, float *out, int rows, int cols,
              float eps)
{
  rmsnorm_kernel<<<rows, kThreads, 0, cuda_of (self)->stream>>> (x, w, out, cols, eps);
  return cuda_check (self, cudaGetLastError (), "rmsnorm");
}

int
cuda_layernorm (AssayBackend *self, const float *x, const float *w, const float *b, float *out,
                int rows, int cols, float eps)
{
  layernorm_kernel<<<rows, kThreads, 0, cuda_of (self)->stream>>> (x, w, b, out, cols, eps);
  return cuda_check (self, cudaGetLastError (), "layernorm");
}

int
cuda_rope (AssayBackend *self, float *x, int rows, int ld, int n_heads, int head_dim,
           const int *positions, const float *inv_freq)
{
  InvFreq inv;

  if (head_dim / 2 > 256)
    return assay_backend_fail (self, ASSAY_BACKEND_E_INVALID, "rope: head_dim %d above 512", head_dim);
  memcpy (inv.v, inv_freq, sizeof (float) * (head_dim / 2));
  rope_kernel<<<rows, kThreads, 0, cuda_of (self)->stream>>> (x, ld, n_heads, head_dim, positions, inv);
  return cuda_check (self, cudaGetLastError (), "rope");
}

int
cuda_swiglu (AssayBackend *self, const float *gu, int rows, int inter, float *out)
{
  swiglu_kernel<<<grid_for ((size_t) rows * inter), kThreads, 0, cuda_of (self)->stream>>> (gu, rows, inter, out);
  return cuda_check (self, cudaGetLastError (), "swiglu");
}

int
cuda_gelu (AssayBackend *self, float *x, size_t n, bool exact)
{
  gelu_kernel<<<grid_for (n), kThreads, 0, cuda_of (self)->stream>>> (x, n, exact ? 1 : 0);
  return cuda_check (self, cudaGetLastError (), "gelu");
}

size_t
cuda_attention_scratch (AssayBackend *self, int max_len, int n_heads)
{
  return 1;
}

int
cuda_attention (AssayBackend *self, const float *q, const float *k, const float *v, int ld,
                float *out, int ld_out, const int *seq_offsets, int n_seqs, int n_heads,
                int n_kv_heads, int head_dim, float scale, bool causal, float *scratch)
{
  AssayBackendCuda *cu = cuda_of (self);

  for (int s = 0; s < n_seqs; s++)
    {
      int    off = seq_offsets[s], len = seq_offsets[s + 1] - seq_offsets[s];
      size_t shared = (size_t) len * sizeof (float);
      if (len == 0)
        continue;
      if (shared > 48 * 1024)
        return assay_backend_fail (self, ASSAY_BACKEND_E_INVALID,
                                   "attention: sequences longer than %d tokens are not supported on CUDA",
                                   48 * 1024 / (int) sizeof (float));
      attention_kernel<<<dim3 (len, n_heads), 128, shared, cu->stream>>> (
        q + (size_t) off * ld, k + (size_t) off * ld, v + (size_t) off * ld, ld,
        out + (size_t) off * ld_out, ld_out, n_heads / n_kv_heads, head_dim, scale,
        causal ? -1 : len - 1);
      int status = cuda_check (self, cudaGetLastError (), "attention");
      if (status != ASSAY_BACKEND_OK)
        return status;
    }
  return ASSAY_BACKEND_OK;
}

int
cuda_target_logprobs (AssayBackend *self, const float *logits, int rows, int cols, int ld,
                      const int *targets, float *out)
{
  target_logprobs_kernel<<<rows, kThreads, 0, cuda_of (self)->stream>>> (logits, cols, ld, targets, out);
  return cuda_check (self, cudaGetLastError (), "target_logprobs");
}

int
cuda_scatter_rows (AssayBackend *self, const float *src, int ld_src, int cols, int n,
                   const int *rows, void *dst, AssayDType cache_dtype)
{
  cudaStream_t stream = cuda_of (self)->stream;

  if (cache_dtype == ASSAY_DTYPE_BF16)
    scatter_rows_kernel<<<n, 128, 0, stream>>> (src, ld_src, cols, rows, (__nv_bfloat16 *) dst);
  else
    scatter_rows_kernel<<<n, 128, 0, stream>>> (src, ld_src, cols, rows, (float *) dst);
  return cuda_check (self, cudaGetLastError (), "scatter_rows");
}

size_t
cuda_attention_cached_scratch (AssayBackend *self, int n, int max_keys, int n_heads)
{
  return (size_t) n * n_heads * max_keys;
}

int
cuda_attention_cached (AssayBackend *self, const float *q, int ldq, int n, const void *k_cache,
                       const void *v_cache, AssayDType cache_dtype, const int *span, int max_keys,
                       float *out, int ld_out, int n_heads, int n_kv_heads, int head_dim,
                       float scale, float *scratch)
{
  cudaStream_t stream = cuda_of (self)->stream;
  dim3         grid (n, n_heads);

  if (cache_dtype == ASSAY_DTYPE_BF16)
    attention_cached_kernel<<<grid, 128, 0, stream>>> (
      q, ldq, (const __nv_bfloat16 *) k_cache, (const __nv_bfloat16 *) v_cache, n_kv_heads * head_dim,
      span, max_keys, out, ld_out, n_heads / n_kv_heads, head_dim, scale, scratch);
  else
    attention_cached_kernel<<<grid, 128, 0, stream>>> (
      q, ldq, (const float *) k_cache, (const float *) v_cache, n_kv_heads * head_dim, span,
      max_keys, out, ld_out, n_heads / n_kv_heads, head_dim, scale, scratch);
  return cuda_check (self, cudaGetLastError (), "attention_cached");
}

const AssayBackendVTable cuda_vtable = {
  cuda_destroy,      cuda_alloc, cuda_release,      cuda_upload,         cuda_download,
  cuda_synchronize,  cuda_sgemm, cuda_softmax_rows, cuda_logsumexp_rows,
  cuda_weight_init,  cuda_weight_clear, cuda_linear, cuda_embed, cuda_rmsnorm, cuda_layernorm,
  cuda_rope,         cuda_swiglu, cuda_gelu, cuda_attention_scratch, cuda_attention,
  cuda_target_logprobs, cuda_scatter_rows, cuda_attention_cached_scratch, cuda_attention_cached,
};

} // namespace

/* The module's one entry point, looked up by assay-backend-cuda-loader.c */
extern "C" __attribute__ ((visibility ("default"))) AssayBackend *
assay_backend_cuda_module_new (int device, char *err, size_t err_len)
{
  int              count = 0;
  cudaError_t      status = cudaGetDeviceCount (&count);
  cudaDeviceProp   prop;
  AssayBackendCuda *cu;

  if (status != cudaSuccess || count == 0)
    {
      cudaGetLastError ();
      if (status == cudaSuccess || status == cudaErrorNoDevice)
        assay_backend_write_error (err, err_len, "no NVIDIA GPU found");
      else
        assay_backend_write_error (err, err_len, "no usable CUDA device: %s",
                                   cudaGetErrorString (status));
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
