// LayerNorm over the last dim of a contiguous (rows, d) tensor, compiled at run time by NVRTC
// (Kernels/FusedLayerNorm.cs) and, on CPU, by g++ under tests/PeTools.Torch.Tests/Kernels/cuda_emulation.h, which runs
// this file's kernels with one thread per CUDA thread, because the warp kernels below exchange values by shuffles.
// Statistics and every sum are fp32 whatever the storage type, as libtorch's own kernels do; bf16 is its bit pattern
// (pe_common.cuh).
//
// Why: libtorch's LayerNorm backward reduces the γ/β gradients over all rows in a kernel that was the largest single
// item of a training step's GPU time (3.2 of 21.3 ms for the paper's 12 LayerNorms of 65,536 × 256 on an H200,
// examples/results/gpu/kernels-h200/profile.csv). Here each block sums a chunk of rows per column, coalesced, and
// libtorch adds the chunks' partial sums.
//
// layer_norm_fwd_*:   y = (x − μ)·rstd·γ + β per row; μ and rstd = 1/√(σ² + eps) (biased σ²) saved for backward.
// layer_norm_bwd_dx_*: dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)), ĝ = g·γ, x̂ = (x − μ)·rstd.
// layer_norm_bwd_gb_*: partial sums over a chunk of rows per column: Σ g·x̂ (for dγ) and Σ g (for dβ), fp32,
//                      (chunks, d) each.
// The row kernels give each row one warp (blockDim.x / 32 rows per block); every lane of a block reaches every
// shuffle, rows past the end included, so none returns early.

#include "pe_common.cuh"

__device__ __forceinline__ float pe_warp_sum(float v)
{
    for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(0xffffffffu, v, offset);
    return v;
}

template <typename T>
__device__ __forceinline__ void pe_layer_norm_fwd(const T* x, const T* gamma, const T* beta, T* y, float* mean, float* rstd,
                                                  long long rows, long long d, float eps)
{
    const long long lane = threadIdx.x & 31u;
    const long long row = (long long)blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
    const bool active = row < rows;
    const T* xr = x + (active ? row : 0) * d;
    float sum = 0.0f;
    if (active)
        for (long long c = lane; c < d; c += 32) sum += pe_load(xr + c);
    const float mu = pe_warp_sum(sum) / (float)d;
    float squares = 0.0f;
    if (active)
        for (long long c = lane; c < d; c += 32)
        {
            const float centred = pe_load(xr + c) - mu;
            squares += centred * centred;
        }
    const float rs = rsqrtf(pe_warp_sum(squares) / (float)d + eps);
    if (!active) return;  // past the last shuffle
    T* yr = y + row * d;
    for (long long c = lane; c < d; c += 32)
        pe_store(yr + c, fmaf((pe_load(xr + c) - mu) * rs, pe_load(gamma + c), pe_load(beta + c)));
    if (lane == 0)
    {
        mean[row] = mu;
        rstd[row] = rs;
    }
}

template <typename T>
__device__ __forceinline__ void pe_layer_norm_bwd_dx(const T* g, const T* x, const T* gamma, const float* mean, const float* rstd,
                                                     T* dx, long long rows, long long d)
{
    const long long lane = threadIdx.x & 31u;
    const long long row = (long long)blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
    const bool active = row < rows;
    const long long r = active ? row : 0;
    const T* gr = g + r * d;
    const T* xr = x + r * d;
    const float mu = mean[r], rs = rstd[r];
    float sum_g = 0.0f, sum_gx = 0.0f;
    if (active)
        for (long long c = lane; c < d; c += 32)
        {
            const float gh = pe_load(gr + c) * pe_load(gamma + c);
            sum_g += gh;
            sum_gx += gh * ((pe_load(xr + c) - mu) * rs);
        }
    const float mean_g = pe_warp_sum(sum_g) / (float)d;
    const float mean_gx = pe_warp_sum(sum_gx) / (float)d;
    if (!active) return;  // past the last shuffle
    T* dxr = dx + row * d;
    for (long long c = lane; c < d; c += 32)
    {
        const float gh = pe_load(gr + c) * pe_load(gamma + c);
        const float xh = (pe_load(xr + c) - mu) * rs;
        pe_store(dxr + c, rs * (gh - mean_g - xh * mean_gx));
    }
}

// Grid (ceil(d / blockDim.x), chunks): thread → column, blockIdx.y → rows [y·rows_per_chunk, (y+1)·rows_per_chunk).
template <typename T>
__device__ __forceinline__ void pe_layer_norm_bwd_gb(const T* g, const T* x, const float* mean, const float* rstd,
                                                     float* partial_gamma, float* partial_beta,
                                                     long long rows, long long d, long long rows_per_chunk)
{
    const long long c = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= d) return;
    const long long first = (long long)blockIdx.y * rows_per_chunk;
    const long long last = first + rows_per_chunk < rows ? first + rows_per_chunk : rows;
    float dgamma = 0.0f, dbeta = 0.0f;
    for (long long r = first; r < last; r++)
    {
        const float gv = pe_load(g + r * d + c);
        dgamma += gv * ((pe_load(x + r * d + c) - mean[r]) * rstd[r]);
        dbeta += gv;
    }
    partial_gamma[(long long)blockIdx.y * d + c] = dgamma;
    partial_beta[(long long)blockIdx.y * d + c] = dbeta;
}

extern "C" __global__ void layer_norm_fwd_f32(const float* x, const float* gamma, const float* beta, float* y, float* mean,
                                            float* rstd, long long rows, long long d, double eps)
{
    pe_layer_norm_fwd(x, gamma, beta, y, mean, rstd, rows, d, (float)eps);
}

extern "C" __global__ void layer_norm_bwd_dx_f32(const float* g, const float* x, const float* gamma, const float* mean,
                                               const float* rstd, float* dx, long long rows, long long d)
{
    pe_layer_norm_bwd_dx(g, x, gamma, mean, rstd, dx, rows, d);
}

extern "C" __global__ void layer_norm_bwd_gb_f32(const float* g, const float* x, const float* mean, const float* rstd,
                                               float* partial_gamma, float* partial_beta, long long rows, long long d,
                                               long long rows_per_chunk)
{
    pe_layer_norm_bwd_gb(g, x, mean, rstd, partial_gamma, partial_beta, rows, d, rows_per_chunk);
}

extern "C" __global__ void layer_norm_fwd_bf16(const pe_bf16* x, const pe_bf16* gamma, const pe_bf16* beta, pe_bf16* y, float* mean,
                                            float* rstd, long long rows, long long d, double eps)
{
    pe_layer_norm_fwd(x, gamma, beta, y, mean, rstd, rows, d, (float)eps);
}

extern "C" __global__ void layer_norm_bwd_dx_bf16(const pe_bf16* g, const pe_bf16* x, const pe_bf16* gamma, const float* mean,
                                               const float* rstd, pe_bf16* dx, long long rows, long long d)
{
    pe_layer_norm_bwd_dx(g, x, gamma, mean, rstd, dx, rows, d);
}

extern "C" __global__ void layer_norm_bwd_gb_bf16(const pe_bf16* g, const pe_bf16* x, const float* mean, const float* rstd,
                                               float* partial_gamma, float* partial_beta, long long rows, long long d,
                                               long long rows_per_chunk)
{
    pe_layer_norm_bwd_gb(g, x, mean, rstd, partial_gamma, partial_beta, rows, d, rows_per_chunk);
}
