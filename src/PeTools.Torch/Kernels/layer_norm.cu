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
// layer_norm_bwd_dx_*: dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)), ĝ = g·γ, x̂ = (x − μ)·rstd; where `addend` is not null,
//                      plus addend (like x): the gradient x also gets from another use (the residual stream of a
//                      pre-LN block), added in fp32 and rounded once, so that autograd does not add the two in a
//                      kernel of its own (FusedLayerNorm.ApplyWithResidual).
// layer_norm_bwd_gb_*: partial sums over a chunk of rows per column: Σ g·x̂ (for dγ) and Σ g (for dβ), fp32,
//                      (chunks, d) each.
// The row kernels give each row one warp (blockDim.x / 32 rows per block); every lane of a block reaches every
// shuffle, rows past the end included, so none returns early.
//
// layer_norm_fwd16_vV_*: layer_norm_fwd with 16-byte accesses (pe_vec16: 8 bf16 or 4 fp32) and each lane's part of
//                        a row in registers: V vectors per lane, lane l's vector v holding elements (v·32 + l)·lanes …
//                        + lanes − 1, so a warp's access is 512 contiguous bytes; μ and σ² from the registers, two
//                        passes as above. A block's 8 warps stride over the rows (gridDim.x·8 apart) with γ and β kept
//                        in registers and the next row's x loaded before this row's sums.
// layer_norm_bwd16_vV_*: layer_norm_bwd_dx and layer_norm_bwd_gb in one pass over g and x: each warp strides over rows
//                        likewise, keeps Σ g·x̂ and Σ g of its columns in registers, and each block writes one row of
//                        partial sums, (2, gridDim.x, d) fp32, that libtorch adds.
// Why: at the paper's training shape (65,536 × 256 bf16, 12 LayerNorms a step, H200) the scalar kernels above took
// 39 µs (forward), 42 µs (dx) and 27 µs (γ/β, which reads g and x a second time) a call, against about 14 µs and 20 µs
// for the bytes they must move: 2-byte loads, the row read twice for μ and σ² and a third time to write. These took
// 21.5 µs forward and 31.5 µs backward there (a copy of x: 17 µs), fp32 36 µs and 52 µs (copy: 33.5 µs), timed by
// CUDA graph replay of the kernels alone (2026-12). One kernel per V, not a switch on V in one kernel: a kernel gets
// the registers of its widest branch (V = 1 bf16 then ran with 55 instead of 31 registers forward and 114 instead of
// 64 backward, 31 and 45 µs against 25 and 34 µs); loading the next row's x before this row's sums took the forward
// from 25 µs to 21.5 µs. The host takes these only where d = V·32·lanes, V of 1 to 4 forward and 1 or 2 backward
// (whose accumulators double its registers), and every base pointer is 16-byte aligned; else the kernels above. The
// 16-byte kernels' loops run while the block's first row of a pass is in range, so every warp of a block runs as many
// passes and reaches every shuffle and barrier; a warp past the last row reads that first row (valid, and in cache)
// and neither stores nor accumulates.

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
                                                     T* dx, const T* addend, long long rows, long long d)
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
        const float added = addend != nullptr ? pe_load(addend + row * d + c) : 0.0f;
        pe_store(dxr + c, rs * (gh - mean_g - xh * mean_gx) + added);
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

// Warps of a block of the 16-byte kernels (256 threads, the host's RowBlock); the backward's shared sums are sized for them.
#define PE_LN_WARPS 8

// Lane `lane`'s 16-byte vector `v` of a row, as loaded.
template <typename T>
__device__ __forceinline__ pe_vec16 pe_vec16_of(const T* row, int v, int lane)
{
    return *(const pe_vec16*)(row + (v * 32 + lane) * (int)(16 / sizeof(T)));
}

template <typename T>
__device__ __forceinline__ void pe_store16(T* row, int v, int lane, const float* f)
{
    pe_vec16 packed;
    pe_pack16(packed, f, row);
    *(pe_vec16*)(row + (v * 32 + lane) * (int)(16 / sizeof(T))) = packed;
}

// The row a warp takes in the pass that starts at row `first`: its own, or `first` once past the last row.
__device__ __forceinline__ long long pe_pass_row(long long first, int warp, long long rows)
{
    return first + warp < rows ? first + warp : first;
}

// y, mean and rstd of the rows this block's warps stride over (the header's layer_norm_fwd16_vV_*).
template <typename T, int V>
__device__ __forceinline__ void pe_layer_norm_fwd16(const T* x, const T* gamma, const T* beta, T* y, float* mean,
                                                   float* rstd, long long rows, long long d, float eps)
{
    constexpr int lanes = 16 / sizeof(T), n = V * lanes;  // elements per vector, per lane
    const int lane = threadIdx.x & 31u, warp = threadIdx.x / 32;
    pe_vec16 gv[V], bv[V], next[V] = {};  // γ, β, and the next pass's x, as loaded
    PE_UNROLL
    for (int v = 0; v < V; v++)
    {
        gv[v] = pe_vec16_of(gamma, v, lane);
        bv[v] = pe_vec16_of(beta, v, lane);
    }
    const long long stride = (long long)gridDim.x * PE_LN_WARPS;
    long long first = (long long)blockIdx.x * PE_LN_WARPS;
    if (first < rows)
    {
        const T* xr = x + pe_pass_row(first, warp, rows) * d;
        PE_UNROLL
        for (int v = 0; v < V; v++) next[v] = pe_vec16_of(xr, v, lane);
    }
    for (; first < rows; first += stride)
    {
        const long long row = first + warp;
        float xf[n];
        PE_UNROLL
        for (int v = 0; v < V; v++) pe_unpack16(next[v], xf + v * lanes, x);
        if (first + stride < rows)  // the next pass's x, in flight while this row is reduced
        {
            const T* xr = x + pe_pass_row(first + stride, warp, rows) * d;
            PE_UNROLL
            for (int v = 0; v < V; v++) next[v] = pe_vec16_of(xr, v, lane);
        }
        float sum = 0.0f;
        PE_UNROLL
        for (int k = 0; k < n; k++) sum += xf[k];
        const float mu = pe_warp_sum(sum) / (float)d;
        float squares = 0.0f;
        PE_UNROLL
        for (int k = 0; k < n; k++)
        {
            const float centred = xf[k] - mu;
            squares += centred * centred;
        }
        const float rs = rsqrtf(pe_warp_sum(squares) / (float)d + eps);
        if (row >= rows) continue;  // (the last pass: the loop ends after it)
        PE_UNROLL
        for (int v = 0; v < V; v++)
        {
            float gf[lanes], bf[lanes], yf[lanes];
            pe_unpack16(gv[v], gf, gamma);
            pe_unpack16(bv[v], bf, beta);
            PE_UNROLL
            for (int k = 0; k < lanes; k++) yf[k] = fmaf((xf[v * lanes + k] - mu) * rs, gf[k], bf[k]);
            pe_store16(y + row * d, v, lane, yf);
        }
        if (lane == 0)
        {
            mean[row] = mu;
            rstd[row] = rs;
        }
    }
}

// dx of the rows this block's warps stride over (plus addend where not null, as layer_norm_bwd_dx), and the block's row
// of partial sums: partial[0][blockIdx.x][c] = Σ g·x̂ and partial[1][blockIdx.x][c] = Σ g over those rows.
template <typename T, int V>
__device__ __forceinline__ void pe_layer_norm_bwd16(const T* g, const T* x, const T* gamma, const float* mean,
                                                   const float* rstd, T* dx, float* partial, const T* addend, long long rows,
                                                   long long d)
{
    constexpr int lanes = 16 / sizeof(T), n = V * lanes;  // elements per vector, per lane
    __shared__ float sums[PE_LN_WARPS * 2 * n * 32];    // per warp: Σ g·x̂ of the d columns, then Σ g (16 or 32 KB)
    const int lane = threadIdx.x & 31u, warp = threadIdx.x / 32;
    float gm[n], sum_gx[n], sum_g[n];  // γ, and this lane's columns' Σ g·x̂ and Σ g over its rows
    PE_UNROLL
    for (int v = 0; v < V; v++) pe_unpack16(pe_vec16_of(gamma, v, lane), gm + v * lanes, gamma);
    PE_UNROLL
    for (int k = 0; k < n; k++) sum_gx[k] = sum_g[k] = 0.0f;
    const long long stride = (long long)gridDim.x * PE_LN_WARPS;
    for (long long first = (long long)blockIdx.x * PE_LN_WARPS; first < rows; first += stride)
    {
        const long long row = first + warp;
        const bool active = row < rows;
        const long long r = pe_pass_row(first, warp, rows);
        const float mu = mean[r], rs = rstd[r];
        float gf[n], xh[n];  // g, and x̂ = (x − μ)·rstd
        PE_UNROLL
        for (int v = 0; v < V; v++)
        {
            pe_unpack16(pe_vec16_of(g + r * d, v, lane), gf + v * lanes, g);
            pe_unpack16(pe_vec16_of(x + r * d, v, lane), xh + v * lanes, x);
        }
        float row_g = 0.0f, row_gx = 0.0f;  // Σ ĝ and Σ ĝ·x̂ over this lane's part of the row, ĝ = g·γ
        PE_UNROLL
        for (int k = 0; k < n; k++)
        {
            xh[k] = (xh[k] - mu) * rs;
            const float gh = gf[k] * gm[k];
            row_g += gh;
            row_gx += gh * xh[k];
        }
        if (active)
        {
            PE_UNROLL
            for (int k = 0; k < n; k++)
            {
                sum_gx[k] += gf[k] * xh[k];
                sum_g[k] += gf[k];
            }
        }
        const float mean_g = pe_warp_sum(row_g) / (float)d;
        const float mean_gx = pe_warp_sum(row_gx) / (float)d;
        if (!active) continue;  // (the last pass: the loop ends after it)
        PE_UNROLL
        for (int v = 0; v < V; v++)
        {
            float out[lanes], added[lanes] = {};
            if (addend != nullptr) pe_unpack16(pe_vec16_of(addend + row * d, v, lane), added, addend);
            PE_UNROLL
            for (int k = 0; k < lanes; k++)
            {
                const int i = v * lanes + k;
                out[k] = rs * (gf[i] * gm[i] - mean_g - xh[i] * mean_gx) + (addend != nullptr ? added[k] : 0.0f);
            }
            pe_store16(dx + row * d, v, lane, out);
        }
    }
    // The block's sum over its warps: each warp's columns to shared memory, then each thread adds the warps' values of
    // columns threadIdx.x, + blockDim.x, … of the 2d.
    float* mine = sums + warp * 2 * d;
    PE_UNROLL
    for (int v = 0; v < V; v++)
    {
        PE_UNROLL
        for (int k = 0; k < lanes; k++)
        {
            const int c = (v * 32 + lane) * lanes + k;
            mine[c] = sum_gx[v * lanes + k];
            mine[d + c] = sum_g[v * lanes + k];
        }
    }
    __syncthreads();
    for (long long c = threadIdx.x; c < 2 * d; c += blockDim.x)
    {
        float total = 0.0f;
        for (int w = 0; w < PE_LN_WARPS; w++) total += sums[w * 2 * d + c];
        const long long which = c / d;  // 0: γ, 1: β
        partial[(which * gridDim.x + blockIdx.x) * d + (c - which * d)] = total;
    }
}

// One kernel per storage type and V (see the header for why); every forward takes layer_norm_fwd's arguments.
#define PE_LN_FWD16_ARGS(T) const T *x, const T *gamma, const T *beta, T *y, float *mean, float *rstd, long long rows, long long d, double eps
#define PE_LN_FWD16(T, V) pe_layer_norm_fwd16<T, V>(x, gamma, beta, y, mean, rstd, rows, d, (float)eps)
#define PE_LN_BWD16_ARGS(T) const T *g, const T *x, const T *gamma, const float *mean, const float *rstd, T *dx, float *partial, const T *addend, long long rows, long long d
#define PE_LN_BWD16(T, V) pe_layer_norm_bwd16<T, V>(g, x, gamma, mean, rstd, dx, partial, addend, rows, d)

extern "C" __global__ void layer_norm_fwd16_v1_f32(PE_LN_FWD16_ARGS(float)) { PE_LN_FWD16(float, 1); }
extern "C" __global__ void layer_norm_fwd16_v2_f32(PE_LN_FWD16_ARGS(float)) { PE_LN_FWD16(float, 2); }
extern "C" __global__ void layer_norm_fwd16_v3_f32(PE_LN_FWD16_ARGS(float)) { PE_LN_FWD16(float, 3); }
extern "C" __global__ void layer_norm_fwd16_v4_f32(PE_LN_FWD16_ARGS(float)) { PE_LN_FWD16(float, 4); }
extern "C" __global__ void layer_norm_fwd16_v1_bf16(PE_LN_FWD16_ARGS(pe_bf16)) { PE_LN_FWD16(pe_bf16, 1); }
extern "C" __global__ void layer_norm_fwd16_v2_bf16(PE_LN_FWD16_ARGS(pe_bf16)) { PE_LN_FWD16(pe_bf16, 2); }
extern "C" __global__ void layer_norm_fwd16_v3_bf16(PE_LN_FWD16_ARGS(pe_bf16)) { PE_LN_FWD16(pe_bf16, 3); }
extern "C" __global__ void layer_norm_fwd16_v4_bf16(PE_LN_FWD16_ARGS(pe_bf16)) { PE_LN_FWD16(pe_bf16, 4); }
extern "C" __global__ void layer_norm_bwd16_v1_f32(PE_LN_BWD16_ARGS(float)) { PE_LN_BWD16(float, 1); }
extern "C" __global__ void layer_norm_bwd16_v2_f32(PE_LN_BWD16_ARGS(float)) { PE_LN_BWD16(float, 2); }
extern "C" __global__ void layer_norm_bwd16_v1_bf16(PE_LN_BWD16_ARGS(pe_bf16)) { PE_LN_BWD16(pe_bf16, 1); }
extern "C" __global__ void layer_norm_bwd16_v2_bf16(PE_LN_BWD16_ARGS(pe_bf16)) { PE_LN_BWD16(pe_bf16, 2); }

extern "C" __global__ void layer_norm_fwd_f32(const float* x, const float* gamma, const float* beta, float* y, float* mean,
                                            float* rstd, long long rows, long long d, double eps)
{
    pe_layer_norm_fwd(x, gamma, beta, y, mean, rstd, rows, d, (float)eps);
}

extern "C" __global__ void layer_norm_bwd_dx_f32(const float* g, const float* x, const float* gamma, const float* mean,
                                               const float* rstd, float* dx, const float* addend, long long rows, long long d)
{
    pe_layer_norm_bwd_dx(g, x, gamma, mean, rstd, dx, addend, rows, d);
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
                                               const float* rstd, pe_bf16* dx, const pe_bf16* addend, long long rows, long long d)
{
    pe_layer_norm_bwd_dx(g, x, gamma, mean, rstd, dx, addend, rows, d);
}

extern "C" __global__ void layer_norm_bwd_gb_bf16(const pe_bf16* g, const pe_bf16* x, const float* mean, const float* rstd,
                                               float* partial_gamma, float* partial_beta, long long rows, long long d,
                                               long long rows_per_chunk)
{
    pe_layer_norm_bwd_gb(g, x, mean, rstd, partial_gamma, partial_beta, rows, d, rows_per_chunk);
}
