// What the attention kernels share (small_attention.cu, scalar; mma_attention.cu, tensor cores): sizes, the strides
// of one call, and the logit bias computed inside (ALiBi's distance term, the relative table, the mask).
#pragma once

#include "pe_common.cuh"

#define PE_ATTENTION_DIM 16
#define PE_ATTENTION_MAX_LEN 128
#define PE_LOG2E 1.4426950408889634f
#define PE_INFINITY __uint_as_float(0x7f800000u)  // no math.h under NVRTC

struct pe_attention_shape
{
    long long t, s, heads;
    long long q_b, q_h, q_t, k_b, k_h, k_t, v_b, v_h, v_t;  // element strides of q, k, v (B, H, T|S, 16)
    long long m_b, m_t, m_s;                               // element strides of the mask (0 where broadcast)
    long long rel_zero;                                    // relative table: the row of offset j − i = 0
};

// The part of logit (i, j) in log2 units that does not depend on q and k: −m_h·|i − j| + B_h[j − i] + mask_ij, where
// neg_slope = −m_h·log2 e, rel[j − i + T − 1] holds the relative table's B_h[j − i]·log2 e (0 without a table), and
// key_bias[j] holds mask_j·log2 e for a mask broadcast over queries (the padding mask); a mask with a query dim is read
// per (i, j) from global memory.
struct pe_attention_bias
{
    float neg_slope;
    const float* key_bias;  // shared, S entries
    const float* rel;       // shared, T + S − 1 entries, or null
    int t;
    bool per_query;         // the mask has a query dim: read it below
    bool rows16;            // ... and its rows read 16 bytes at a time (pe_mask_keys): contiguous, S and strides
                            // multiples of 8, 16-byte aligned
    long long mask_row;     // element offset of mask row (b, i = 0)
    long long m_t, m_s;
};

// The bias of logit (i, j) without a per-query mask's term (pe_bias adds it; pe_mask_keys reads it for 8 keys).
__device__ __forceinline__ float pe_bias_shared(const pe_attention_bias& bias, int i, int j)
{
    float out = fmaf(bias.neg_slope, fabsf((float)(i - j)), bias.key_bias[j]);
    if (bias.rel != nullptr) out += bias.rel[j - i + bias.t - 1];
    return out;
}

template <typename T>
__device__ __forceinline__ float pe_bias(const pe_attention_bias& bias, const T* mask, int i, int j)
{
    float out = pe_bias_shared(bias, i, j);
    if (bias.per_query) out = fmaf(pe_load(mask + bias.mask_row + i * bias.m_t + j * bias.m_s), PE_LOG2E, out);
    return out;
}

// Keys per pe_mask_keys call: 16 bytes of bf16, 32 of fp32.
#define PE_MASK_KEYS 8

// The per-query mask's terms of logits (i, j0 .. j0 + 7) in log2 units (0 past S, and without such a mask). A thread
// that owns query row i reads along its row, the warp's threads 32 rows apart: read element by element, every load of
// the warp touches 32 sectors, so where the rows allow it they are read 16 bytes at a time (a quarter or an eighth
// of the loads). MLA's shared rotary logits are such a mask. The loops read one call ahead of the keys they compute:
// a global load's latency, not the L1 pipe, bounded the MLA forward (Nsight Compute, H200: 1.06 -> 0.85 ms a layer).
template <typename T>
__device__ __forceinline__ void pe_mask_keys(const pe_attention_bias& bias, const T* mask, int i, int j0, int s_len, float* out)
{
    if (!bias.per_query)
    {
        for (int u = 0; u < PE_MASK_KEYS; u++) out[u] = 0.0f;
        return;
    }
    const T* row = mask + bias.mask_row + i * bias.m_t;
    if (bias.rows16)
    {
        constexpr int per16 = 16 / (int)sizeof(T);
        for (int w = 0; w < PE_MASK_KEYS / per16; w++)
            pe_unpack16(*reinterpret_cast<const pe_vec16*>(row + j0 + w * per16), out + w * per16, row);
        for (int u = 0; u < PE_MASK_KEYS; u++) out[u] *= PE_LOG2E;
        return;
    }
    for (int u = 0; u < PE_MASK_KEYS; u++) out[u] = j0 + u < s_len ? pe_load(row + (j0 + u) * bias.m_s) * PE_LOG2E : 0.0f;
}


// Shared key_bias for batch b (threads j < S), head h's slice of the relative table rel (2·max_len − 1, H) when
// there is one (the offsets −(T − 1)..S − 1 around row rel_zero), and the rest of the bias setup.
template <typename T>
__device__ __forceinline__ pe_attention_bias pe_bias_setup(float* key_bias, float* rel_s, const float* slopes, const T* mask,
                                                           const T* rel, const pe_attention_shape& a, long long b, long long h)
{
    const bool per_query = mask != nullptr && a.m_t != 0;
    for (int j = threadIdx.x; j < (int)a.s; j += blockDim.x)
        key_bias[j] = mask != nullptr && !per_query ? pe_load(mask + b * a.m_b + j * a.m_s) * PE_LOG2E : 0.0f;
    if (rel != nullptr)
        for (int r = threadIdx.x; r < (int)(a.t + a.s - 1); r += blockDim.x)
            rel_s[r] = pe_load(rel + (a.rel_zero - (a.t - 1) + r) * a.heads + h) * PE_LOG2E;
    const float slope = slopes != nullptr ? slopes[h] : 0.0f;
    const bool rows16 = per_query && a.m_s == 1 && a.s % PE_MASK_KEYS == 0 && a.m_t % 8 == 0 && a.m_b % 8 == 0
                        && (unsigned long long)mask % 16 == 0;
    return pe_attention_bias{-slope * PE_LOG2E, key_bias, rel != nullptr ? rel_s : nullptr, (int)a.t, per_query, rows16, b * a.m_b,
                             a.m_t, a.m_s};
}


// D_i = dz_i · z_i for query row i of (batch b, head h), both (B, T, H, 16) contiguous: the softmax backward's row term.
template <typename T>
__device__ __forceinline__ float pe_attention_row_d(const T* z, const T* dz, const pe_attention_shape& a, long long b, long long h, int i)
{
    const long long offset = (b * a.t + i) * a.heads * PE_ATTENTION_DIM + h * PE_ATTENTION_DIM;
    float d = 0.0f;
    for (int c = 0; c < PE_ATTENTION_DIM; c++) d = fmaf(pe_load(dz + offset + c), pe_load(z + offset + c), d);
    return d;
}
