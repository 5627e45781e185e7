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
// The rotary kernels (small_attention_rotary_*) add MLA's decoupled rotary half (DecoupledRopeAttention.cs): q_r
// (B, T, 16) and k_r (B, S, 16), one pair for all heads, so the logits are scale·(q_i·k_j + q_r,i·k_r,j) with q = [q; q_r]
// 32 dims wide, without the (B, H, T, 32) concatenations and their expand-backward reductions the tensor path needs. Their
// backward writes each head's share of dq_r and dk_r, (B, T|S, H, 16), which the host sums over heads, and runs its
// query-major and key-major passes as two kernels (pe_attention_bwd's Passes): one pass's rows in registers and its
// shared arrays, not both passes', set the blocks per SM.

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

// MLA's shared rotary half (header): q_r, k_r (B, T|S, 16) read through their (b, t) strides; dq_r, dk_r (B, T|S,
// H, 16) fp32 contiguous, each head's share (backward only).
template <typename T>
struct pe_shared_rotary
{
    const T* q;
    const T* k;
    float* dq;  // fp32 in every precision: the host sums the heads' shares before rounding
    float* dk;
    long long q_b, q_t, k_b, k_t;
};

// Rows a block stages when `needed`, else one (unused): the plain kernels keep their shared memory without the rotary
// half's rows, and a backward kernel that runs one pass keeps only that pass's arrays.
#define PE_STAGED_ROWS(needed) ((needed) ? PE_ATTENTION_MAX_LEN : 1)

// Row r of a (·, 16) operand at base + r·row_stride into fp32 registers, times factor.
template <typename T>
__device__ __forceinline__ void pe_load_row(pe_float4* out, const T* row, float factor)
{
    for (int g = 0; g < PE_ATTENTION_QUADS; g++)
        out[g] = pe_float4{pe_load(row + 4 * g) * factor, pe_load(row + 4 * g + 1) * factor, pe_load(row + 4 * g + 2) * factor,
                           pe_load(row + 4 * g + 3) * factor};
}

// Keys per step of the forward's online softmax: one rescale of the accumulator per chunk instead of per key.
#define PE_ATTENTION_CHUNK 8

// Grid (B·H), block ≥ T threads: thread i owns query row i. Rotary: the logits gain q_r,i · k_r,j (rot).
template <typename T, bool Rotary>
__device__ __forceinline__ void pe_attention_fwd(const T* q, const T* k, const T* v, const float* slopes, const T* mask,
                                                 const T* rel, const long long* seed_ptr, T* z, float* lse,
                                                 const pe_attention_shape& a, float scale, float p, const pe_shared_rotary<T>& rot)
{
    __shared__ pe_float4 ks[PE_ATTENTION_MAX_LEN][PE_ATTENTION_QUADS];
    __shared__ pe_float4 vs[PE_ATTENTION_MAX_LEN][PE_ATTENTION_QUADS];
    __shared__ pe_float4 krs[PE_STAGED_ROWS(Rotary)][PE_ATTENTION_QUADS];
    __shared__ float key_bias[PE_ATTENTION_MAX_LEN];
    __shared__ float rel_s[2 * PE_ATTENTION_MAX_LEN - 1];
    const long long bh = blockIdx.x, b = bh / a.heads, h = bh % a.heads;
    const int i = threadIdx.x, t = (int)a.t, s_len = (int)a.s;
    pe_attention_stage(ks, k + b * a.k_b + h * a.k_h, s_len, a.k_t, 1.0f);
    pe_attention_stage(vs, v + b * a.v_b + h * a.v_h, s_len, a.v_t, 1.0f);
    if (Rotary) pe_attention_stage(krs, rot.k + b * rot.k_b, s_len, rot.k_t, 1.0f);
    const pe_attention_bias bias = pe_bias_setup(key_bias, rel_s, slopes, mask, rel, a, b, h);
    __syncthreads();
    if (i >= t) return;  // past the last barrier
    const unsigned int key = p > 0.0f ? pe_block_key((unsigned long long)*seed_ptr, bh) : 0u;
    const unsigned int threshold = pe_keep_threshold(p);
    const float keep_scale = p > 0.0f ? 1.0f / (1.0f - p) : 1.0f;
    const float qk_scale = scale * PE_LOG2E;
    pe_float4 qi[PE_ATTENTION_QUADS], qri[PE_ATTENTION_QUADS], acc[PE_ATTENTION_QUADS];
    pe_load_row(qi, q + b * a.q_b + h * a.q_h + i * a.q_t, qk_scale);
    if (Rotary) pe_load_row(qri, rot.q + b * rot.q_b + i * rot.q_t, qk_scale);
    for (int g = 0; g < PE_ATTENTION_QUADS; g++) acc[g] = pe_float4{0.0f, 0.0f, 0.0f, 0.0f};
    float m = -PE_INFINITY, l = 0.0f;
    const unsigned int row = (unsigned int)(i * s_len);
    for (int j0 = 0; j0 < s_len; j0 += PE_ATTENTION_CHUNK)
    {
        float sc[PE_ATTENTION_CHUNK];
        float chunk_max = -PE_INFINITY;
        for (int u = 0; u < PE_ATTENTION_CHUNK; u++)
        {
            const int j = j0 + u;
            float sj = -PE_INFINITY;
            if (j < s_len)
            {
                sj = pe_bias(bias, mask, i, j);
                for (int g = 0; g < PE_ATTENTION_QUADS; g++) sj = pe_dot4(qi[g], ks[j][g], sj);
                if (Rotary)
                    for (int g = 0; g < PE_ATTENTION_QUADS; g++) sj = pe_dot4(qri[g], krs[j][g], sj);
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
            if (p > 0.0f && j < s_len && !pe_keep(key, row + (unsigned int)j, threshold)) e = 0.0f;
            if (j < s_len)
                for (int g = 0; g < PE_ATTENTION_QUADS; g++) pe_axpy4(e, vs[j][g], acc[g]);
        }
    }
    const float out_scale = l > 0.0f ? keep_scale / l : 0.0f;
    pe_store_row(z + ((b * a.t + i) * a.heads + h) * PE_ATTENTION_DIM, acc, out_scale);
    lse[bh * a.t + i] = l > 0.0f ? m + log2f(l) : PE_INFINITY;  // PE_INFINITY: a row with every key masked (P = 0)
}

// Which passes a backward kernel runs: the query-major one (dq), the key-major one (dk, dv), or both.
#define PE_PASS_QUERIES 1
#define PE_PASS_KEYS 2
#define PE_PASS_BOTH 3

// Grid (B·H), block ≥ max(T, S) threads. Query pass: thread i owns query row i (dq); key pass: thread j owns key row
// j (dk, dv). A thread's own row lives in registers; the rows it loops over are staged in shared memory and read by
// the whole warp at once (a broadcast, 128 bits per load); a kernel running one pass reads its threads' own rows from
// global memory instead of staging them. Rotary: the logits gain q_r,i · k_r,j, and each head's share of dq_r, dk_r is
// written (rot). The rotary kernels run the two passes as two kernels: one pass's registers (up to six 16-dim rows)
// and shared arrays, not both passes' maximum, set how many blocks share an SM.
template <typename T, bool Rotary, int Passes>
__device__ __forceinline__ void pe_attention_bwd(const T* q, const T* k, const T* v, const float* slopes, const T* mask,
                                                 const T* rel, const long long* seed_ptr, const T* z, const T* dz,
                                                 const float* lse, T* dq, T* dk, T* dv, float* drel,
                                                 const pe_attention_shape& a, float scale, float p, const pe_shared_rotary<T>& rot)
{
    constexpr bool queries = (Passes & PE_PASS_QUERIES) != 0, keys = (Passes & PE_PASS_KEYS) != 0;
    static_assert(!(Rotary && queries && keys), "the rotary backward runs its passes as two kernels");
    __shared__ pe_float4 qs[PE_STAGED_ROWS(keys)][PE_ATTENTION_QUADS];   // q · scale · log2 e
    __shared__ pe_float4 dzs[PE_STAGED_ROWS(keys)][PE_ATTENTION_QUADS];
    __shared__ pe_float4 ks[PE_STAGED_ROWS(queries)][PE_ATTENTION_QUADS];
    __shared__ pe_float4 vs[PE_STAGED_ROWS(queries)][PE_ATTENTION_QUADS];
    __shared__ pe_float4 rots[PE_STAGED_ROWS(Rotary)][PE_ATTENTION_QUADS];  // k_r (query pass) or q_r·scale·log2 e (key pass)
    __shared__ float lses[PE_STAGED_ROWS(keys)];
    __shared__ float ds[PE_STAGED_ROWS(keys)];  // D_i = dz_i · z_i
    __shared__ float key_bias[PE_ATTENTION_MAX_LEN];
    __shared__ float rel_s[2 * PE_ATTENTION_MAX_LEN - 1];
    __shared__ float drel_s[PE_STAGED_ROWS(keys) * 2 - 1];  // this block's Σ dS over each offset j − i
    const long long bh = blockIdx.x, b = bh / a.heads, h = bh % a.heads;
    const int r = threadIdx.x, t = (int)a.t, s_len = (int)a.s;
    const long long z_row = a.heads * PE_ATTENTION_DIM;  // z and dz are (B, T, H, 16) contiguous
    const float qk_scale = scale * PE_LOG2E;
    const T* q_block = q + b * a.q_b + h * a.q_h;
    const T* k_block = k + b * a.k_b + h * a.k_h;
    const T* v_block = v + b * a.v_b + h * a.v_h;
    const T* dz_block = dz + b * a.t * z_row + h * PE_ATTENTION_DIM;
    if (keys)
    {
        pe_attention_stage(qs, q_block, t, a.q_t, qk_scale);
        pe_attention_stage(dzs, dz_block, t, z_row, 1.0f);
        if (Rotary) pe_attention_stage(rots, rot.q + b * rot.q_b, t, rot.q_t, qk_scale);
        if (drel != nullptr)
            for (int e = r; e < t + s_len - 1; e += blockDim.x) drel_s[e] = 0.0f;
        if (r < t)
        {
            ds[r] = pe_attention_row_d(z, dz, a, b, h, r);
            lses[r] = lse[bh * a.t + r];
        }
    }
    if (queries)
    {
        pe_attention_stage(ks, k_block, s_len, a.k_t, 1.0f);
        pe_attention_stage(vs, v_block, s_len, a.v_t, 1.0f);
        if (Rotary) pe_attention_stage(rots, rot.k + b * rot.k_b, s_len, rot.k_t, 1.0f);
    }
    const pe_attention_bias bias = pe_bias_setup(key_bias, rel_s, slopes, mask, rel, a, b, h);
    __syncthreads();
    const unsigned int key = p > 0.0f ? pe_block_key((unsigned long long)*seed_ptr, bh) : 0u;
    const unsigned int threshold = pe_keep_threshold(p);
    const float keep_scale = p > 0.0f ? 1.0f / (1.0f - p) : 1.0f;

    if (queries && r < t)  // dq_i = scale · Σ_j dS_ij k_j
    {
        const int i = r;
        pe_float4 qi[PE_ATTENTION_QUADS], dzi[PE_ATTENTION_QUADS], acc[PE_ATTENTION_QUADS], qri[PE_ATTENTION_QUADS],
            dqr_acc[PE_ATTENTION_QUADS];
        for (int g = 0; g < PE_ATTENTION_QUADS; g++)
        {
            if (keys)
            {
                qi[g] = qs[i][g];
                dzi[g] = dzs[i][g];
            }
            acc[g] = dqr_acc[g] = pe_float4{0.0f, 0.0f, 0.0f, 0.0f};
        }
        if (!keys)
        {
            pe_load_row(qi, q_block + i * a.q_t, qk_scale);
            pe_load_row(dzi, dz_block + i * z_row, 1.0f);
        }
        if (Rotary) pe_load_row(qri, rot.q + b * rot.q_b + i * rot.q_t, qk_scale);
        const float lse_i = keys ? lses[i] : lse[bh * a.t + i], d_i = keys ? ds[i] : pe_attention_row_d(z, dz, a, b, h, i);
        const unsigned int row = (unsigned int)(i * s_len);
        for (int j = 0; j < s_len; j++)
        {
            float sj = pe_bias(bias, mask, i, j), dp = 0.0f;
            for (int g = 0; g < PE_ATTENTION_QUADS; g++)
            {
                sj = pe_dot4(qi[g], ks[j][g], sj);
                dp = pe_dot4(dzi[g], vs[j][g], dp);
            }
            if (Rotary)
                for (int g = 0; g < PE_ATTENTION_QUADS; g++) sj = pe_dot4(qri[g], rots[j][g], sj);
            const float prob = exp2f(sj - lse_i);
            if (p > 0.0f) dp = pe_keep(key, row + (unsigned int)j, threshold) ? dp * keep_scale : 0.0f;
            const float dscore = prob * (dp - d_i);
            for (int g = 0; g < PE_ATTENTION_QUADS; g++) pe_axpy4(dscore, ks[j][g], acc[g]);
            if (Rotary)
                for (int g = 0; g < PE_ATTENTION_QUADS; g++) pe_axpy4(dscore, rots[j][g], dqr_acc[g]);
        }
        pe_store_row(dq + ((b * a.t + i) * a.heads + h) * PE_ATTENTION_DIM, acc, scale);
        if (Rotary) pe_store_row(rot.dq + ((b * a.t + i) * a.heads + h) * PE_ATTENTION_DIM, dqr_acc, scale);
    }
    if (keys && r < s_len)  // dv_j = Σ_i drop_ij P_ij dz_i,  dk_j = scale · Σ_i dS_ij q_i
    {
        const int j = r;
        pe_float4 kj[PE_ATTENTION_QUADS], vj[PE_ATTENTION_QUADS], dk_acc[PE_ATTENTION_QUADS], dv_acc[PE_ATTENTION_QUADS],
            krj[PE_ATTENTION_QUADS], dkr_acc[PE_ATTENTION_QUADS];
        for (int g = 0; g < PE_ATTENTION_QUADS; g++)
        {
            if (queries)
            {
                kj[g] = ks[j][g];
                vj[g] = vs[j][g];
            }
            dk_acc[g] = dv_acc[g] = dkr_acc[g] = pe_float4{0.0f, 0.0f, 0.0f, 0.0f};
        }
        if (!queries)
        {
            pe_load_row(kj, k_block + j * a.k_t, 1.0f);
            pe_load_row(vj, v_block + j * a.v_t, 1.0f);
        }
        if (Rotary) pe_load_row(krj, rot.k + b * rot.k_b + j * rot.k_t, 1.0f);
        for (int i = 0; i < t; i++)
        {
            float si = pe_bias(bias, mask, i, j), dp = 0.0f;
            for (int g = 0; g < PE_ATTENTION_QUADS; g++)
            {
                si = pe_dot4(qs[i][g], kj[g], si);
                dp = pe_dot4(dzs[i][g], vj[g], dp);
            }
            if (Rotary)
                for (int g = 0; g < PE_ATTENTION_QUADS; g++) si = pe_dot4(rots[i][g], krj[g], si);
            const float prob = exp2f(si - lses[i]);
            float kept = prob;
            if (p > 0.0f)
            {
                const bool keep = pe_keep(key, (unsigned int)(i * s_len + j), threshold);
                kept = keep ? prob * keep_scale : 0.0f;
                dp = keep ? dp * keep_scale : 0.0f;
            }
            const float dscore = prob * (dp - ds[i]);
            for (int g = 0; g < PE_ATTENTION_QUADS; g++)
            {
                pe_axpy4(kept, dzs[i][g], dv_acc[g]);
                pe_axpy4(dscore, qs[i][g], dk_acc[g]);
            }
            if (Rotary)
                for (int g = 0; g < PE_ATTENTION_QUADS; g++) pe_axpy4(dscore, rots[i][g], dkr_acc[g]);
            // d B_h[j − i] = Σ dS_ij: the threads of a warp hold distinct j, so distinct offsets at each i.
            if (drel != nullptr) atomicAdd(&drel_s[j - i + t - 1], dscore);
        }
        // qs holds q·scale·log2 e: dk = scale · Σ dS·q = Σ dS·qs / log2 e.
        pe_store_row(dk + ((b * a.s + j) * a.heads + h) * PE_ATTENTION_DIM, dk_acc, 1.0f / PE_LOG2E);
        pe_store_row(dv + ((b * a.s + j) * a.heads + h) * PE_ATTENTION_DIM, dv_acc, 1.0f);
        if (Rotary) pe_store_row(rot.dk + ((b * a.s + j) * a.heads + h) * PE_ATTENTION_DIM, dkr_acc, 1.0f / PE_LOG2E);
    }
    if (keys && drel != nullptr)  // one global add per offset and block into the fp32 (2·max_len − 1, H) gradient
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
#define PE_ATTENTION_BWD_PARAMS(T)                                                                                         \
    const T *q, const T *k, const T *v, const float *slopes, const T *mask, const T *rel, const long long *seed_ptr,      \
        const T *z, const T *dz, const float *lse, T *dq, T *dk, T *dv, float *drel, PE_ATTENTION_SHAPE_PARAMS
#define PE_ATTENTION_SHAPE {t, s, heads, q_b, q_h, q_t, k_b, k_h, k_t, v_b, v_h, v_t, m_b, m_t, m_s, rel_zero}
#define PE_ATTENTION_FWD_CALL(T, rotary, rot) \
    pe_attention_fwd<T, rotary>(q, k, v, slopes, mask, rel, seed_ptr, z, lse, PE_ATTENTION_SHAPE, (float)scale, (float)p, rot)
#define PE_ATTENTION_BWD_CALL(T, rotary, passes, rot)                                                                   \
    pe_attention_bwd<T, rotary, passes>(q, k, v, slopes, mask, rel, seed_ptr, z, dz, lse, dq, dk, dv, drel, PE_ATTENTION_SHAPE, \
                                        (float)scale, (float)p, rot)

extern "C" __global__ void small_attention_fwd_d16_f32(PE_ATTENTION_FWD_PARAMS(float))
{
    PE_ATTENTION_FWD_CALL(float, false, pe_shared_rotary<float>{});
}

extern "C" __global__ void small_attention_bwd_d16_f32(PE_ATTENTION_BWD_PARAMS(float))
{
    PE_ATTENTION_BWD_CALL(float, false, PE_PASS_BOTH, pe_shared_rotary<float>{});
}

extern "C" __global__ void small_attention_fwd_d16_bf16(PE_ATTENTION_FWD_PARAMS(pe_bf16))
{
    PE_ATTENTION_FWD_CALL(pe_bf16, false, pe_shared_rotary<pe_bf16>{});
}

extern "C" __global__ void small_attention_bwd_d16_bf16(PE_ATTENTION_BWD_PARAMS(pe_bf16))
{
    PE_ATTENTION_BWD_CALL(pe_bf16, false, PE_PASS_BOTH, pe_shared_rotary<pe_bf16>{});
}

// The rotary kernels: the same parameters, then q_r, k_r (and, backward, the per-head dq_r, dk_r) and q_r's, k_r's
// (b, t) strides.
extern "C" __global__ void small_attention_rotary_fwd_d16_f32(PE_ATTENTION_FWD_PARAMS(float), const float* qr, const float* kr,
                                                              long long qr_b, long long qr_t, long long kr_b, long long kr_t)
{
    PE_ATTENTION_FWD_CALL(float, true, (pe_shared_rotary<float>{qr, kr, nullptr, nullptr, qr_b, qr_t, kr_b, kr_t}));
}

// The rotary backward, one kernel per pass (the same arguments; each writes its own outputs): dq and dq_r, then dk, dv
// and dk_r (and the relative table's gradient, were there one). The query pass at most 128 registers, so that four
// blocks of up to 128 threads share an SM (ptxas: 148 unbounded, 128 with 4 bytes spilled; 9.1 -> 8.8 ms a step on an
// H200); the key pass keeps its 168: capped at 128 it spilled 168 bytes and took 14.4 ms a step instead of 10.9.
#define PE_ROTARY_BWD_PARAMS(T)                                                                                              \
    PE_ATTENTION_BWD_PARAMS(T), const T *qr, const T *kr, float *dqr, float *dkr, long long qr_b, long long qr_t, long long kr_b, \
        long long kr_t
#define PE_ROTARY(T) (pe_shared_rotary<T>{qr, kr, dqr, dkr, qr_b, qr_t, kr_b, kr_t})

extern "C" __global__ void __launch_bounds__(128, 4) small_attention_rotary_bwd_queries_d16_f32(PE_ROTARY_BWD_PARAMS(float))
{
    PE_ATTENTION_BWD_CALL(float, true, PE_PASS_QUERIES, PE_ROTARY(float));
}

extern "C" __global__ void small_attention_rotary_bwd_keys_d16_f32(PE_ROTARY_BWD_PARAMS(float))
{
    PE_ATTENTION_BWD_CALL(float, true, PE_PASS_KEYS, PE_ROTARY(float));
}

extern "C" __global__ void small_attention_rotary_fwd_d16_bf16(PE_ATTENTION_FWD_PARAMS(pe_bf16), const pe_bf16* qr,
                                                               const pe_bf16* kr, long long qr_b, long long qr_t, long long kr_b,
                                                               long long kr_t)
{
    PE_ATTENTION_FWD_CALL(pe_bf16, true, (pe_shared_rotary<pe_bf16>{qr, kr, nullptr, nullptr, qr_b, qr_t, kr_b, kr_t}));
}

extern "C" __global__ void __launch_bounds__(128, 4) small_attention_rotary_bwd_queries_d16_bf16(PE_ROTARY_BWD_PARAMS(pe_bf16))
{
    PE_ATTENTION_BWD_CALL(pe_bf16, true, PE_PASS_QUERIES, PE_ROTARY(pe_bf16));
}

extern "C" __global__ void small_attention_rotary_bwd_keys_d16_bf16(PE_ROTARY_BWD_PARAMS(pe_bf16))
{
    PE_ATTENTION_BWD_CALL(pe_bf16, true, PE_PASS_KEYS, PE_ROTARY(pe_bf16));
}
