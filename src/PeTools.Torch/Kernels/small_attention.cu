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
//
// A mask with a gradient (dmask non-null, backward): the key-major pass adds each head's dS_ij into dmask (fp32,
// contiguous in the mask's shape (B|1, 1, T|1, S)), so a differentiable logit bias shared by the heads costs one
// coalesced atomic add per score. A per-query mask is read by query rows (forward, query pass: a warp's threads hold
// 32 rows) and by key rows (key pass): given with its query dim contiguous (m_t = 1) plus a row-major copy mask_rows
// for the key pass, every read is coalesced (Nsight Compute on the H200, MLA fp32: the row-major mask alone kept the
// forward's L1 pipe 87% busy, 1.07 ms a layer against NoPE's 0.66). MLA's decoupled rotary half is one (q_r, k_r) pair
// for all heads (DecoupledRopeAttention.cs): its logits q_r,i·k_r,j are one (B, 1, T, S) product, handed here as such a
// mask, and the 16-dim content heads keep this kernel instead of (B, H, T, 32) concatenations through libtorch.

#include "pe_attention.cuh"

// Four fp32 of a 16-dim row: one 128-bit shared-memory load where the inner loops read a whole row.
struct alignas(16) pe_float4
{
    float x, y, z, w;
};

#define PE_ATTENTION_QUADS (PE_ATTENTION_DIM / 4)

__device__ __forceinline__ float pe_dot4(const pe_float4& a, const pe_float4& b, float acc)
{
    return fmaf(a.w, b.w, fmaf(a.z, b.z, fmaf(a.y, b.y, fmaf(a.x, b.x, acc))));
}

__device__ __forceinline__ void pe_axpy4(float s, const pe_float4& x, pe_float4& acc)
{
    acc.x = fmaf(s, x.x, acc.x);
    acc.y = fmaf(s, x.y, acc.y);
    acc.z = fmaf(s, x.z, acc.z);
    acc.w = fmaf(s, x.w, acc.w);
}

// A 16-dim row of fp32 accumulators, times factor, to out (contiguous).
template <typename T>
__device__ __forceinline__ void pe_store_row(T* out, const pe_float4* acc, float factor)
{
    for (int g = 0; g < PE_ATTENTION_QUADS; g++)
    {
        pe_store(out + 4 * g, acc[g].x * factor);
        pe_store(out + 4 * g + 1, acc[g].y * factor);
        pe_store(out + 4 * g + 2, acc[g].z * factor);
        pe_store(out + 4 * g + 3, acc[g].w * factor);
    }
}

// Rows [0, n) of a (·, 16) operand at base + row·row_stride into shared fp32 rows (times factor), by every thread.
template <typename T>
__device__ __forceinline__ void pe_attention_stage(pe_float4 (*rows)[PE_ATTENTION_QUADS], const T* base, int n, long long row_stride,
                                                   float factor)
{
    for (int e = threadIdx.x; e < n * PE_ATTENTION_DIM; e += blockDim.x)
    {
        const int r = e / PE_ATTENTION_DIM, c = e % PE_ATTENTION_DIM;
        reinterpret_cast<float*>(rows[r])[c] = pe_load(base + r * row_stride + c) * factor;
    }
}

// Row r of a (·, 16) operand at base + r·row_stride into fp32 registers, times factor.
template <typename T>
__device__ __forceinline__ void pe_load_row(pe_float4* out, const T* row, float factor)
{
    for (int g = 0; g < PE_ATTENTION_QUADS; g++)
        out[g] = pe_float4{pe_load(row + 4 * g) * factor, pe_load(row + 4 * g + 1) * factor, pe_load(row + 4 * g + 2) * factor,
                           pe_load(row + 4 * g + 3) * factor};
}

// Keys per step of the forward's online softmax: one rescale of the accumulator per chunk instead of per key; one
// pe_mask_keys read.
#define PE_ATTENTION_CHUNK PE_MASK_KEYS

// Grid (B·H), block ≥ T threads: thread i owns query row i.
template <typename T>
__device__ __forceinline__ void pe_attention_fwd(const T* q, const T* k, const T* v, const float* slopes, const T* mask,
                                                 const T* rel, const long long* seed_ptr, T* z, float* lse,
                                                 const pe_attention_shape& a, float scale, float p)
{
    __shared__ pe_float4 ks[PE_ATTENTION_MAX_LEN][PE_ATTENTION_QUADS];
    __shared__ pe_float4 vs[PE_ATTENTION_MAX_LEN][PE_ATTENTION_QUADS];
    __shared__ float key_bias[PE_ATTENTION_MAX_LEN];
    __shared__ float rel_s[2 * PE_ATTENTION_MAX_LEN - 1];
    const long long bh = blockIdx.x, b = bh / a.heads, h = bh % a.heads;
    const int i = threadIdx.x, t = (int)a.t, s_len = (int)a.s;
    pe_attention_stage(ks, k + b * a.k_b + h * a.k_h, s_len, a.k_t, 1.0f);
    pe_attention_stage(vs, v + b * a.v_b + h * a.v_h, s_len, a.v_t, 1.0f);
    const pe_attention_bias bias = pe_bias_setup(key_bias, rel_s, slopes, mask, rel, a, b, h);
    __syncthreads();
    if (i >= t) return;  // past the last barrier
    const unsigned int key = p > 0.0f ? pe_mixed_key(pe_block_key((unsigned long long)*seed_ptr, bh)) : 0u;
    const unsigned int threshold = pe_pair_threshold(p);
    const float keep_scale = pe_keep_scale(p);
    pe_float4 qi[PE_ATTENTION_QUADS], acc[PE_ATTENTION_QUADS];
    pe_load_row(qi, q + b * a.q_b + h * a.q_h + i * a.q_t, scale * PE_LOG2E);
    for (int g = 0; g < PE_ATTENTION_QUADS; g++) acc[g] = pe_float4{0.0f, 0.0f, 0.0f, 0.0f};
    float m = -PE_INFINITY, l = 0.0f;
    float mask_next[PE_ATTENTION_CHUNK];  // the next chunk's mask terms, read while this chunk computes
    pe_mask_keys(bias, mask, i, 0, s_len, mask_next);
    for (int j0 = 0; j0 < s_len; j0 += PE_ATTENTION_CHUNK)
    {
        float sc[PE_ATTENTION_CHUNK], mask_ij[PE_ATTENTION_CHUNK];
        for (int u = 0; u < PE_ATTENTION_CHUNK; u++) mask_ij[u] = mask_next[u];
        if (j0 + PE_ATTENTION_CHUNK < s_len) pe_mask_keys(bias, mask, i, j0 + PE_ATTENTION_CHUNK, s_len, mask_next);
        float chunk_max = -PE_INFINITY;
        for (int u = 0; u < PE_ATTENTION_CHUNK; u++)
        {
            const int j = j0 + u;
            float sj = -PE_INFINITY;
            if (j < s_len)
            {
                sj = pe_bias_shared(bias, i, j) + mask_ij[u];
                for (int g = 0; g < PE_ATTENTION_QUADS; g++) sj = pe_dot4(qi[g], ks[j][g], sj);
            }
            sc[u] = sj;
            chunk_max = fmaxf(chunk_max, sj);
        }
        if (chunk_max == -PE_INFINITY) continue;  // every key of the chunk masked: adds nothing
        if (chunk_max > m)
        {
            const float correction = exp2f(m - chunk_max);  // 0 on the first chunk
            l *= correction;
            for (int g = 0; g < PE_ATTENTION_QUADS; g++)
                acc[g] = pe_float4{acc[g].x * correction, acc[g].y * correction, acc[g].z * correction, acc[g].w * correction};
            m = chunk_max;
        }
        for (int u = 0; u < PE_ATTENTION_CHUNK; u++)
        {
            const int j = j0 + u;
            float e = exp2f(sc[u] - m);  // 0 for a masked key and past the end
            l += e;
            if (p > 0.0f && j < s_len && !pe_pair_keep(pe_pair_hash(key, i, j), j & 1, threshold)) e = 0.0f;
            if (j < s_len)
                for (int g = 0; g < PE_ATTENTION_QUADS; g++) pe_axpy4(e, vs[j][g], acc[g]);
        }
    }
    const float out_scale = l > 0.0f ? keep_scale / l : 0.0f;
    pe_store_row(z + ((b * a.t + i) * a.heads + h) * PE_ATTENTION_DIM, acc, out_scale);
    lse[bh * a.t + i] = l > 0.0f ? m + log2f(l) : PE_INFINITY;  // PE_INFINITY: a row with every key masked (P = 0)
}

// Grid (B·H), block ≥ max(T, S) threads. First pass: thread i owns query row i (dq); second pass: thread j owns key
// row j (dk, dv, and the relative table's and the mask's gradients where asked for). A thread's own row lives in
// registers; the rows it loops over are staged in shared memory and read by the whole warp at once (a broadcast, 128
// bits per load).
template <typename T>
__device__ __forceinline__ void pe_attention_bwd(const T* q, const T* k, const T* v, const float* slopes, const T* mask,
                                                 const T* rel, const long long* seed_ptr, const T* z, const T* dz,
                                                 const float* lse, T* dq, T* dk, T* dv, float* drel, float* dmask,
                                                 const T* mask_rows, const pe_attention_shape& a, float scale, float p)
{
    __shared__ pe_float4 qs[PE_ATTENTION_MAX_LEN][PE_ATTENTION_QUADS];   // q · scale · log2 e
    __shared__ pe_float4 dzs[PE_ATTENTION_MAX_LEN][PE_ATTENTION_QUADS];
    __shared__ pe_float4 ks[PE_ATTENTION_MAX_LEN][PE_ATTENTION_QUADS];
    __shared__ pe_float4 vs[PE_ATTENTION_MAX_LEN][PE_ATTENTION_QUADS];
    __shared__ float lses[PE_ATTENTION_MAX_LEN];
    __shared__ float ds[PE_ATTENTION_MAX_LEN];  // D_i = dz_i · z_i
    __shared__ float key_bias[PE_ATTENTION_MAX_LEN];
    __shared__ float rel_s[2 * PE_ATTENTION_MAX_LEN - 1];
    __shared__ float drel_s[2 * PE_ATTENTION_MAX_LEN - 1];  // this block's Σ dS over each offset j − i
    const long long bh = blockIdx.x, b = bh / a.heads, h = bh % a.heads;
    const int r = threadIdx.x, t = (int)a.t, s_len = (int)a.s;
    const long long z_row = a.heads * PE_ATTENTION_DIM;  // z and dz are (B, T, H, 16) contiguous
    pe_attention_stage(qs, q + b * a.q_b + h * a.q_h, t, a.q_t, scale * PE_LOG2E);
    pe_attention_stage(dzs, dz + b * a.t * z_row + h * PE_ATTENTION_DIM, t, z_row, 1.0f);
    pe_attention_stage(ks, k + b * a.k_b + h * a.k_h, s_len, a.k_t, 1.0f);
    pe_attention_stage(vs, v + b * a.v_b + h * a.v_h, s_len, a.v_t, 1.0f);
    if (drel != nullptr)
        for (int e = r; e < t + s_len - 1; e += blockDim.x) drel_s[e] = 0.0f;
    if (r < t)
    {
        ds[r] = pe_attention_row_d(z, dz, a, b, h, r);
        lses[r] = lse[bh * a.t + r];
    }
    const pe_attention_bias bias = pe_bias_setup(key_bias, rel_s, slopes, mask, rel, a, b, h);
    __syncthreads();
    const unsigned int key = p > 0.0f ? pe_mixed_key(pe_block_key((unsigned long long)*seed_ptr, bh)) : 0u;
    const unsigned int threshold = pe_pair_threshold(p);
    const float keep_scale = pe_keep_scale(p);

    if (r < t)  // dq_i = scale · Σ_j dS_ij k_j
    {
        const int i = r;
        pe_float4 qi[PE_ATTENTION_QUADS], dzi[PE_ATTENTION_QUADS], acc[PE_ATTENTION_QUADS];
        for (int g = 0; g < PE_ATTENTION_QUADS; g++)
        {
            qi[g] = qs[i][g];
            dzi[g] = dzs[i][g];
            acc[g] = pe_float4{0.0f, 0.0f, 0.0f, 0.0f};
        }
        const float lse_i = lses[i], d_i = ds[i];
        float mask_next[PE_MASK_KEYS];
        pe_mask_keys(bias, mask, i, 0, s_len, mask_next);
        for (int j0 = 0; j0 < s_len; j0 += PE_MASK_KEYS)
        {
            float mask_ij[PE_MASK_KEYS];
            for (int u = 0; u < PE_MASK_KEYS; u++) mask_ij[u] = mask_next[u];
            if (j0 + PE_MASK_KEYS < s_len) pe_mask_keys(bias, mask, i, j0 + PE_MASK_KEYS, s_len, mask_next);
            for (int u = 0; u < PE_MASK_KEYS && j0 + u < s_len; u++)
            {
                const int j = j0 + u;
                float sj = pe_bias_shared(bias, i, j) + mask_ij[u], dp = 0.0f;
                for (int g = 0; g < PE_ATTENTION_QUADS; g++)
                {
                    sj = pe_dot4(qi[g], ks[j][g], sj);
                    dp = pe_dot4(dzi[g], vs[j][g], dp);
                }
                const float prob = exp2f(sj - lse_i);
                if (p > 0.0f) dp = pe_pair_keep(pe_pair_hash(key, i, j), j & 1, threshold) ? dp * keep_scale : 0.0f;
                const float dscore = prob * (dp - d_i);
                for (int g = 0; g < PE_ATTENTION_QUADS; g++) pe_axpy4(dscore, ks[j][g], acc[g]);
            }
        }
        pe_store_row(dq + ((b * a.t + i) * a.heads + h) * PE_ATTENTION_DIM, acc, scale);
    }
    if (r < s_len)  // dv_j = Σ_i drop_ij P_ij dz_i,  dk_j = scale · Σ_i dS_ij q_i
    {
        const int j = r;
        pe_float4 kj[PE_ATTENTION_QUADS], vj[PE_ATTENTION_QUADS], dk_acc[PE_ATTENTION_QUADS], dv_acc[PE_ATTENTION_QUADS];
        for (int g = 0; g < PE_ATTENTION_QUADS; g++)
        {
            kj[g] = ks[j][g];
            vj[g] = vs[j][g];
            dk_acc[g] = dv_acc[g] = pe_float4{0.0f, 0.0f, 0.0f, 0.0f};
        }
        // dmask and mask_rows are contiguous in the mask's shape: a row per (b, i) where the mask has those dims, else shared.
        const long long packed_j = (a.m_b != 0 ? b * (a.m_t != 0 ? a.t : 1) * a.s : 0) + j, packed_i = a.m_t != 0 ? a.s : 0;
        float* dmask_j = dmask == nullptr ? nullptr : dmask + packed_j;
        // A per-query mask's terms, from the row-major copy where there is one (a warp's threads read one row), read two
        // queries ahead, one register each: reading 8 ahead as the query pass does took this kernel from 128 to 158
        // registers (three blocks per SM instead of four) and NoPE's backward from 11.2 to 12.4 ms a step; reading in the
        // iteration left the warps waiting on the load (Nsight Compute, MLA fp32).
        const T* mask_col = mask_rows != nullptr ? mask_rows + packed_j : mask + bias.mask_row + j * bias.m_s;
        const long long mask_i = mask_rows != nullptr ? packed_i : bias.m_t;
        const bool mask_read = bias.per_query;
        float mask_ahead1 = mask_read ? pe_load(mask_col) : 0.0f;
        float mask_ahead2 = mask_read && t > 1 ? pe_load(mask_col + mask_i) : 0.0f;
        for (int i = 0; i < t; i++)
        {
            const float mask_ij = mask_ahead1;
            mask_ahead1 = mask_ahead2;
            if (mask_read && i + 2 < t) mask_ahead2 = pe_load(mask_col + (i + 2) * mask_i);
            float si = fmaf(mask_ij, PE_LOG2E, pe_bias_shared(bias, i, j)), dp = 0.0f;
            for (int g = 0; g < PE_ATTENTION_QUADS; g++)
            {
                si = pe_dot4(qs[i][g], kj[g], si);
                dp = pe_dot4(dzs[i][g], vj[g], dp);
            }
            const float prob = exp2f(si - lses[i]);
            float kept = prob;
            if (p > 0.0f)
            {
                const bool keep = pe_pair_keep(pe_pair_hash(key, i, j), j & 1, threshold);
                kept = keep ? prob * keep_scale : 0.0f;
                dp = keep ? dp * keep_scale : 0.0f;
            }
            const float dscore = prob * (dp - ds[i]);
            for (int g = 0; g < PE_ATTENTION_QUADS; g++)
            {
                pe_axpy4(kept, dzs[i][g], dv_acc[g]);
                pe_axpy4(dscore, qs[i][g], dk_acc[g]);
            }
            // d B_h[j − i] = Σ dS_ij: the threads of a warp hold distinct j, so distinct offsets at each i.
            if (drel != nullptr) atomicAdd(&drel_s[j - i + t - 1], dscore);
            // d mask_ij = Σ_h dS_ij: a warp's adds are 32 consecutive floats of one row, the heads' blocks add to the same.
            if (dmask_j != nullptr) atomicAdd(dmask_j + i * packed_i, dscore);
        }
        // qs holds q·scale·log2 e: dk = scale · Σ dS·q = Σ dS·qs / log2 e.
        pe_store_row(dk + ((b * a.s + j) * a.heads + h) * PE_ATTENTION_DIM, dk_acc, 1.0f / PE_LOG2E);
        pe_store_row(dv + ((b * a.s + j) * a.heads + h) * PE_ATTENTION_DIM, dv_acc, 1.0f);
    }
    if (drel != nullptr)  // one global add per offset and block into the fp32 (2·max_len − 1, H) gradient
    {
        __syncthreads();
        for (int e = r; e < t + s_len - 1; e += blockDim.x)
            atomicAdd(drel + (a.rel_zero - (a.t - 1) + e) * a.heads + h, drel_s[e]);
    }
}

// The parameters every entry point shares (one 64-bit slot each, in this order: FusedSmallAttention.cs builds them).
#define PE_ATTENTION_SHAPE_PARAMS                                                                                        \
    long long t, long long s, long long heads, long long q_b, long long q_h, long long q_t, long long k_b, long long k_h, \
        long long k_t, long long v_b, long long v_h, long long v_t, long long m_b, long long m_t, long long m_s,          \
        long long rel_zero, double scale, double p
#define PE_ATTENTION_FWD_PARAMS(T)                                                                                         \
    const T *q, const T *k, const T *v, const float *slopes, const T *mask, const T *rel, const long long *seed_ptr, T *z, \
        float *lse, PE_ATTENTION_SHAPE_PARAMS
// The backward at most 128 registers, so that four blocks of 128 threads share an SM (ptxas gave 126-128 without
// the query pass's read-ahead, 158 with it in both passes). The backward's trailing dmask (null: the mask takes no gradient) and mask_rows (null: none) are the parameters the
// tensor-core kernels lack.
#define PE_ATTENTION_BWD_PARAMS(T)                                                                                         \
    const T *q, const T *k, const T *v, const float *slopes, const T *mask, const T *rel, const long long *seed_ptr,      \
        const T *z, const T *dz, const float *lse, T *dq, T *dk, T *dv, float *drel, PE_ATTENTION_SHAPE_PARAMS, float *dmask, \
        const T *mask_rows
#define PE_ATTENTION_SHAPE {t, s, heads, q_b, q_h, q_t, k_b, k_h, k_t, v_b, v_h, v_t, m_b, m_t, m_s, rel_zero}
#define PE_ATTENTION_FWD_CALL(T) \
    pe_attention_fwd<T>(q, k, v, slopes, mask, rel, seed_ptr, z, lse, PE_ATTENTION_SHAPE, (float)scale, (float)p)
#define PE_ATTENTION_BWD_CALL(T)                                                                                      \
    pe_attention_bwd<T>(q, k, v, slopes, mask, rel, seed_ptr, z, dz, lse, dq, dk, dv, drel, dmask, mask_rows, PE_ATTENTION_SHAPE, \
                        (float)scale, (float)p)

extern "C" __global__ void small_attention_fwd_d16_f32(PE_ATTENTION_FWD_PARAMS(float))
{
    PE_ATTENTION_FWD_CALL(float);
}

extern "C" __global__ void __launch_bounds__(128, 4) small_attention_bwd_d16_f32(PE_ATTENTION_BWD_PARAMS(float))
{
    PE_ATTENTION_BWD_CALL(float);
}

extern "C" __global__ void small_attention_fwd_d16_bf16(PE_ATTENTION_FWD_PARAMS(pe_bf16))
{
    PE_ATTENTION_FWD_CALL(pe_bf16);
}

extern "C" __global__ void __launch_bounds__(128, 4) small_attention_bwd_d16_bf16(PE_ATTENTION_BWD_PARAMS(pe_bf16))
{
    PE_ATTENTION_BWD_CALL(pe_bf16);
}
