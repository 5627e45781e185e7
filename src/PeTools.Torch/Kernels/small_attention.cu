// Attention for short sequences and 16-dim heads with the ALiBi distance bias computed inside, compiled at run time by
// NVRTC (Kernels/FusedSmallAttention.cs) and, on CPU, by g++ under tests/PeTools.Torch.Tests/Kernels/cuda_emulation.h
// (one thread per CUDA thread: the blocks share K and V through shared memory).
//
// Why: libtorch's scaled_dot_product_attention has no ALiBi form, so an additive (H, T, S) bias sends it to a kernel
// that took 10.3 ms of a 21.3 ms step against 4.5 ms without a bias (paper config on an H200,
// examples/results/gpu/kernels-h200/profile.csv). At T, S ≤ 128 and dh = 16 one block holds a (batch, head) pair's
// K and V, one thread owns a query row (forward, backward for dq) or a key row (backward for dk, dv), and the bias
// −m_h·|i − j| costs one multiply.
//
// z_i = Σ_j drop_ij · softmax_j(scale·q_i·k_j − m_h·|i − j| + mask_ij) · v_j, drop_ij = keep_ij / (1 − p).
// Forward: z (B, T, H, 16) contiguous and lse (B, H, T) fp32, the log2 of each row's softmax denominator (in units
// where scores are multiplied by log2 e). Backward: dq (B, T, H, 16), dk and dv (B, S, H, 16), each contiguous, with
// the standard identities dS = P ∘ (dP − D), D_i = dz_i · z_i (dropout included).
// Dropout: keep_ij when a 32-bit hash of (seed, b·H + h, i·S + j) is at least p·2^32; the seed is read from
// device memory (an int64 libtorch drew on the device: no host synchronisation), forward and backward recompute the
// same bits. q, k, v are read through strides (the last dim contiguous), so a transposed view or a slice of the fused
// K/V projection is read in place. mask (additive, broadcast over heads) is read through its (b, i, j) strides, 0
// for a broadcast dim. Every sum is fp32; bf16 is its bit pattern (pe_common.cuh).

#include "pe_common.cuh"

#define PE_ATTENTION_DIM 16
#define PE_ATTENTION_MAX_LEN 128
#define PE_LOG2E 1.4426950408889634f
#define PE_INFINITY __uint_as_float(0x7f800000u)  // no math.h under NVRTC

__device__ __forceinline__ unsigned int pe_hash32(unsigned int x)
{
    // "lowbias32" (C. Wellons' hash-prospector): a full-avalanche 32-bit mix, two multiplies.
    x ^= x >> 16;
    x *= 0x7feb352du;
    x ^= x >> 15;
    x *= 0x846ca68bu;
    x ^= x >> 16;
    return x;
}

// Dropout: each (batch, head) block's bits come from one 32-bit key of (seed, b·H + h), then one hash per weight of
// its index i·S + j in the block (< 2^14: distinct inputs to a bijection). True keeps the weight.
__device__ __forceinline__ unsigned int pe_block_key(unsigned long long seed, unsigned long long bh)
{
    return pe_hash32((unsigned int)seed ^ pe_hash32((unsigned int)bh + (unsigned int)(seed >> 32)));
}

__device__ __forceinline__ bool pe_keep(unsigned int key, long long index, unsigned int threshold)
{
    return pe_hash32((unsigned int)index ^ key) >= threshold;
}

struct pe_attention_shape
{
    long long t, s, heads;
    long long q_b, q_h, q_t, k_b, k_h, k_t, v_b, v_h, v_t;  // element strides of q, k, v (B, H, T|S, 16)
    long long m_b, m_t, m_s;                               // element strides of the mask (0 where broadcast)
};

// The additive part of logit (i, j) in log2 units: −m_h·|i − j| (slope m_h, 0 without slopes) + mask.
template <typename T>
__device__ __forceinline__ float pe_attention_bias(float slope, const T* mask, const pe_attention_shape& a, long long b,
                                                   long long i, long long j)
{
    float bias = -slope * (float)(i > j ? i - j : j - i);
    if (mask != nullptr) bias += pe_load(mask + b * a.m_b + i * a.m_t + j * a.m_s);
    return bias * PE_LOG2E;
}

// Rows [0, n) of a (·, 16) operand at base + row·row_stride into shared fp32 rows, by every thread of the block.
template <typename T>
__device__ __forceinline__ void pe_attention_stage(float (*rows)[PE_ATTENTION_DIM], const T* base, long long n, long long row_stride)
{
    for (long long e = threadIdx.x; e < n * PE_ATTENTION_DIM; e += blockDim.x)
        rows[e / PE_ATTENTION_DIM][e % PE_ATTENTION_DIM] = pe_load(base + (e / PE_ATTENTION_DIM) * row_stride + e % PE_ATTENTION_DIM);
}

// Grid (B·H), block ≥ T threads: thread i owns query row i.
template <typename T>
__device__ __forceinline__ void pe_attention_fwd(const T* q, const T* k, const T* v, const float* slopes, const T* mask,
                                                 const long long* seed_ptr, T* z, float* lse, const pe_attention_shape& a,
                                                 float scale, float p)
{
    __shared__ float ks[PE_ATTENTION_MAX_LEN][PE_ATTENTION_DIM];
    __shared__ float vs[PE_ATTENTION_MAX_LEN][PE_ATTENTION_DIM];
    const long long bh = blockIdx.x, b = bh / a.heads, h = bh % a.heads, i = threadIdx.x;
    pe_attention_stage(ks, k + b * a.k_b + h * a.k_h, a.s, a.k_t);
    pe_attention_stage(vs, v + b * a.v_b + h * a.v_h, a.s, a.v_t);
    __syncthreads();
    if (i >= a.t) return;  // past the last barrier
    const unsigned int key = p > 0.0f ? pe_block_key((unsigned long long)*seed_ptr, bh) : 0u;
    const unsigned int threshold = (unsigned int)((double)p * 4294967296.0);
    const float keep_scale = p > 0.0f ? 1.0f / (1.0f - p) : 1.0f;
    const float qk_scale = scale * PE_LOG2E;
    const float slope = slopes != nullptr ? slopes[h] : 0.0f;
    float qi[PE_ATTENTION_DIM], acc[PE_ATTENTION_DIM];
    const T* qr = q + b * a.q_b + h * a.q_h + i * a.q_t;
    for (int c = 0; c < PE_ATTENTION_DIM; c++)
    {
        qi[c] = pe_load(qr + c) * qk_scale;
        acc[c] = 0.0f;
    }
    float m = -PE_INFINITY, l = 0.0f;
    const long long row = i * a.s;
    for (long long j = 0; j < a.s; j++)
    {
        float s = pe_attention_bias(slope, mask, a, b, i, j);
        for (int c = 0; c < PE_ATTENTION_DIM; c++) s = fmaf(qi[c], ks[j][c], s);
        if (s == -PE_INFINITY) continue;  // a masked key adds nothing
        if (s > m)
        {
            const float correction = exp2f(m - s);  // 0 on the first key
            l *= correction;
            for (int c = 0; c < PE_ATTENTION_DIM; c++) acc[c] *= correction;
            m = s;
        }
        const float e = exp2f(s - m);
        l += e;
        if (p > 0.0f && !pe_keep(key, row + j, threshold)) continue;
        for (int c = 0; c < PE_ATTENTION_DIM; c++) acc[c] = fmaf(e, vs[j][c], acc[c]);
    }
    const float out_scale = l > 0.0f ? keep_scale / l : 0.0f;
    T* zr = z + ((b * a.t + i) * a.heads + h) * PE_ATTENTION_DIM;
    for (int c = 0; c < PE_ATTENTION_DIM; c++) pe_store(zr + c, acc[c] * out_scale);
    lse[bh * a.t + i] = l > 0.0f ? m + log2f(l) : PE_INFINITY;  // PE_INFINITY: a row with every key masked (P = 0)
}

// Grid (B·H), block ≥ max(T, S) threads: first thread i owns query row i (dq), then thread j owns key row j (dk, dv).
template <typename T>
__device__ __forceinline__ void pe_attention_bwd(const T* q, const T* k, const T* v, const float* slopes, const T* mask,
                                                 const long long* seed_ptr, const T* z, const T* dz, const float* lse,
                                                 T* dq, T* dk, T* dv, const pe_attention_shape& a, float scale, float p)
{
    __shared__ float qs[PE_ATTENTION_MAX_LEN][PE_ATTENTION_DIM];
    __shared__ float ks[PE_ATTENTION_MAX_LEN][PE_ATTENTION_DIM];
    __shared__ float vs[PE_ATTENTION_MAX_LEN][PE_ATTENTION_DIM];
    __shared__ float dzs[PE_ATTENTION_MAX_LEN][PE_ATTENTION_DIM];
    __shared__ float lses[PE_ATTENTION_MAX_LEN];
    __shared__ float ds[PE_ATTENTION_MAX_LEN];  // D_i = dz_i · z_i
    const long long bh = blockIdx.x, b = bh / a.heads, h = bh % a.heads, r = threadIdx.x;
    const long long z_row = a.heads * PE_ATTENTION_DIM;  // z and dz are (B, T, H, 16) contiguous
    pe_attention_stage(qs, q + b * a.q_b + h * a.q_h, a.t, a.q_t);
    pe_attention_stage(ks, k + b * a.k_b + h * a.k_h, a.s, a.k_t);
    pe_attention_stage(vs, v + b * a.v_b + h * a.v_h, a.s, a.v_t);
    pe_attention_stage(dzs, dz + b * a.t * z_row + h * PE_ATTENTION_DIM, a.t, z_row);
    if (r < a.t)
    {
        const T* zr = z + (b * a.t + r) * z_row + h * PE_ATTENTION_DIM;
        const T* dzr = dz + (b * a.t + r) * z_row + h * PE_ATTENTION_DIM;
        float d = 0.0f;
        for (int c = 0; c < PE_ATTENTION_DIM; c++) d = fmaf(pe_load(dzr + c), pe_load(zr + c), d);
        ds[r] = d;
        lses[r] = lse[bh * a.t + r];
    }
    __syncthreads();
    const unsigned int key = p > 0.0f ? pe_block_key((unsigned long long)*seed_ptr, bh) : 0u;
    const unsigned int threshold = (unsigned int)((double)p * 4294967296.0);
    const float keep_scale = p > 0.0f ? 1.0f / (1.0f - p) : 1.0f;
    const float qk_scale = scale * PE_LOG2E;
    const float slope = slopes != nullptr ? slopes[h] : 0.0f;
    // A thread's own row lives in registers; the rows it loops over are read from shared memory by the whole warp at
    // once (a broadcast). Reading its own row from shared memory in the loop would hit one bank per 2 threads.

    if (r < a.t)  // dq_i = scale · Σ_j dS_ij k_j
    {
        const long long i = r;
        float qi[PE_ATTENTION_DIM], dzi[PE_ATTENTION_DIM], acc[PE_ATTENTION_DIM];
        for (int c = 0; c < PE_ATTENTION_DIM; c++)
        {
            qi[c] = qs[i][c] * qk_scale;
            dzi[c] = dzs[i][c];
            acc[c] = 0.0f;
        }
        const float lse_i = lses[i], d_i = ds[i];
        for (long long j = 0; j < a.s; j++)
        {
            float s = pe_attention_bias(slope, mask, a, b, i, j), dp = 0.0f;
            for (int c = 0; c < PE_ATTENTION_DIM; c++)
            {
                s = fmaf(qi[c], ks[j][c], s);
                dp = fmaf(dzi[c], vs[j][c], dp);
            }
            const float prob = exp2f(s - lse_i);
            if (p > 0.0f) dp = pe_keep(key, i * a.s + j, threshold) ? dp * keep_scale : 0.0f;
            const float dscore = prob * (dp - d_i);
            for (int c = 0; c < PE_ATTENTION_DIM; c++) acc[c] = fmaf(dscore, ks[j][c], acc[c]);
        }
        T* out = dq + ((b * a.t + i) * a.heads + h) * PE_ATTENTION_DIM;
        for (int c = 0; c < PE_ATTENTION_DIM; c++) pe_store(out + c, acc[c] * scale);
    }
    __syncthreads();  // phase 1 read qs unscaled; phase 2 reads it scaled
    for (long long e = threadIdx.x; e < a.t * PE_ATTENTION_DIM; e += blockDim.x)
        qs[e / PE_ATTENTION_DIM][e % PE_ATTENTION_DIM] *= qk_scale;
    __syncthreads();
    if (r < a.s)  // dv_j = Σ_i drop_ij P_ij dz_i,  dk_j = scale · Σ_i dS_ij q_i
    {
        const long long j = r;
        float kj[PE_ATTENTION_DIM], vj[PE_ATTENTION_DIM], dk_acc[PE_ATTENTION_DIM], dv_acc[PE_ATTENTION_DIM];
        for (int c = 0; c < PE_ATTENTION_DIM; c++)
        {
            kj[c] = ks[j][c];
            vj[c] = vs[j][c];
            dk_acc[c] = dv_acc[c] = 0.0f;
        }
        for (long long i = 0; i < a.t; i++)
        {
            float s = pe_attention_bias(slope, mask, a, b, i, j), dp = 0.0f;
            for (int c = 0; c < PE_ATTENTION_DIM; c++)
            {
                s = fmaf(qs[i][c], kj[c], s);
                dp = fmaf(dzs[i][c], vj[c], dp);
            }
            const float prob = exp2f(s - lses[i]);
            float kept = prob;
            if (p > 0.0f)
            {
                const bool keep = pe_keep(key, i * a.s + j, threshold);
                kept = keep ? prob * keep_scale : 0.0f;
                dp = keep ? dp * keep_scale : 0.0f;
            }
            const float dscore = prob * (dp - ds[i]);
            for (int c = 0; c < PE_ATTENTION_DIM; c++)
            {
                dv_acc[c] = fmaf(kept, dzs[i][c], dv_acc[c]);
                dk_acc[c] = fmaf(dscore, qs[i][c], dk_acc[c]);
            }
        }
        // qs holds q·scale·log2 e: dk = scale · Σ dS·q = Σ dS·qs / log2 e.
        T* dkr = dk + ((b * a.s + j) * a.heads + h) * PE_ATTENTION_DIM;
        T* dvr = dv + ((b * a.s + j) * a.heads + h) * PE_ATTENTION_DIM;
        for (int c = 0; c < PE_ATTENTION_DIM; c++)
        {
            pe_store(dkr + c, dk_acc[c] * (1.0f / PE_LOG2E));
            pe_store(dvr + c, dv_acc[c]);
        }
    }
}

extern "C" __global__ void small_attention_fwd_d16_f32(const float* q, const float* k, const float* v, const float* slopes,
                                                   const float* mask, const long long* seed_ptr, float* z, float* lse,
                                                   long long t, long long s, long long heads, long long q_b, long long q_h,
                                                   long long q_t, long long k_b, long long k_h, long long k_t, long long v_b,
                                                   long long v_h, long long v_t, long long m_b, long long m_t, long long m_s,
                                                   double scale, double p)
{
    const pe_attention_shape a = {t, s, heads, q_b, q_h, q_t, k_b, k_h, k_t, v_b, v_h, v_t, m_b, m_t, m_s};
    pe_attention_fwd(q, k, v, slopes, mask, seed_ptr, z, lse, a, (float)scale, (float)p);
}

extern "C" __global__ void small_attention_bwd_d16_f32(const float* q, const float* k, const float* v, const float* slopes,
                                                   const float* mask, const long long* seed_ptr, const float* z, const float* dz,
                                                   const float* lse, float* dq, float* dk, float* dv, long long t, long long s,
                                                   long long heads, long long q_b, long long q_h, long long q_t, long long k_b,
                                                   long long k_h, long long k_t, long long v_b, long long v_h, long long v_t,
                                                   long long m_b, long long m_t, long long m_s, double scale, double p)
{
    const pe_attention_shape a = {t, s, heads, q_b, q_h, q_t, k_b, k_h, k_t, v_b, v_h, v_t, m_b, m_t, m_s};
    pe_attention_bwd(q, k, v, slopes, mask, seed_ptr, z, dz, lse, dq, dk, dv, a, (float)scale, (float)p);
}

extern "C" __global__ void small_attention_fwd_d16_bf16(const pe_bf16* q, const pe_bf16* k, const pe_bf16* v, const float* slopes,
                                                   const pe_bf16* mask, const long long* seed_ptr, pe_bf16* z, float* lse,
                                                   long long t, long long s, long long heads, long long q_b, long long q_h,
                                                   long long q_t, long long k_b, long long k_h, long long k_t, long long v_b,
                                                   long long v_h, long long v_t, long long m_b, long long m_t, long long m_s,
                                                   double scale, double p)
{
    const pe_attention_shape a = {t, s, heads, q_b, q_h, q_t, k_b, k_h, k_t, v_b, v_h, v_t, m_b, m_t, m_s};
    pe_attention_fwd(q, k, v, slopes, mask, seed_ptr, z, lse, a, (float)scale, (float)p);
}

extern "C" __global__ void small_attention_bwd_d16_bf16(const pe_bf16* q, const pe_bf16* k, const pe_bf16* v, const float* slopes,
                                                   const pe_bf16* mask, const long long* seed_ptr, const pe_bf16* z, const pe_bf16* dz,
                                                   const float* lse, pe_bf16* dq, pe_bf16* dk, pe_bf16* dv, long long t, long long s,
                                                   long long heads, long long q_b, long long q_h, long long q_t, long long k_b,
                                                   long long k_h, long long k_t, long long v_b, long long v_h, long long v_t,
                                                   long long m_b, long long m_t, long long m_s, double scale, double p)
{
    const pe_attention_shape a = {t, s, heads, q_b, q_h, q_t, k_b, k_h, k_t, v_b, v_h, v_t, m_b, m_t, m_s};
    pe_attention_bwd(q, k, v, slopes, mask, seed_ptr, z, dz, lse, dq, dk, dv, a, (float)scale, (float)p);
}
