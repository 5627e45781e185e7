// Attention for T, S ≤ 128 and 16-dim heads on the tensor cores (bf16), compiled at run time by NVRTC
// (Kernels/FusedSmallAttention.cs) and, on CPU, by g++ under tests/PeTools.Torch.Tests/Kernels/cuda_emulation.h, which
// emulates pe_mma_bf16_16816 over a warp's fragments.
//
// Why: at the paper's sizes (B 512, H 16, T 128, dh 16, bf16) cuDNN's attention, the fastest of libtorch's fused
// kernels, took 0.83 ms per layer forward and backward with dropout 0.1 (bench/probe/probe_sdpa_backends.py on an
// H200), 4.5 of a 10.7 ms NoPE step's kernel time. Its tiles are built for wider heads; small_attention.cu, the scalar
// kernel, is slower still in bf16. Here a block holds one (batch, head) pair, a warp 16 query rows (or 16 key rows),
// and with dh = 16 each product q·kᵀ, P·v, dz·vᵀ, dS·k, Pᵀ·dz, dSᵀ·q is one k-step of mma.sync m16n8k16 per tile.
//
// Same arguments, outputs, bias and dropout bits as small_attention.cu's bf16 kernels (pe_attention.cuh): z (B, T, H,
// 16) and lse (B, H, T) fp32 (log2 units); dq (B, T, H, 16), dk and dv (B, S, H, 16); the relative table's gradient
// added into drel. Softmax statistics and every sum are fp32; P and dS enter the second products as bf16.
// Forward: each warp takes its 16 query rows' scores 32 keys at a time (16 for ragged lengths), not all 16 × S at once
// (64 fp32 registers a lane), with an online softmax: the running row max, and the row sum and z's accumulators
// rescaled by 2^(old max − new max) when a chunk raises the max, then P·v of the chunk. Backward, by halves of 64
// queries, each score's scalar work once: key-major (a warp's 16 key rows, 8·PE_MMA_STEP queries at a time: Sᵀ = k·qᵀ, dPᵀ =
// v·dzᵀ, P, the forward's dropout bits, dS = P ∘ (dP − D), dv += P_keptᵀ·dz, dk += dSᵀ·q, straight from the products' registers)
// leaves dS as bf16 in shared memory, then query-major (dq = dS·k, a warp per 16 query rows and 8 dims) reads it back
// as A fragments. Key-major first because its products' C fragments are already the A fragments of Pᵀ·dz and dSᵀ·q, so
// only dS, not P, goes through shared memory (half a 128 × 128 bf16 matrix at a time: 48 KB of static shared memory
// holds no more). Every warp of a block runs the same sequence of products and shuffles (rows past the end are zeros
// and store nothing): the emulation's products and shuffles are block-wide exchanges.
// The host takes these kernels only for bf16 with 16-byte aligned q, k, v rows. On an H200 at the paper's sizes they
// took 164 µs forward and 548 µs backward per layer against cuDNN's about 240 and 590, so they are pe-train's default
// for bf16 (FastPaths.TensorCoreAttention; examples/results/gpu/tc-default-h200); with dropout at training's 0.1 and
// the backward reading the forward's bits, 179 and 450 µs (examples/results/gpu/attention-bits-h200).
// At dh = 16 the products are cheap and each score's scalar work decides the time (BENCHMARKS.md, Nsight Compute), so
// the score loops come in block-uniform variants without the bias or without per-score bounds checks where a call
// allows (pe_mma_whole_tiles, pe_mma_whole_chunks; in the backward, per step: pe_mma_step_scores), P and dS round to bf16 and 2^x runs in
// one instruction each, the dropout hash's first step is taken once per block, one hash decides two neighbouring keys
// (pe_pair_hash: the forward's lanes hold both keys of a pair), and the forward keeps its decisions as bits for the
// backward (pe_mma_keep_word), which then hashes nothing; fragments move between shared memory and registers by
// ldmatrix, and dS into shared memory by stmatrix (PE_MMA_LDMATRIX).

#include "pe_attention.cuh"

#define PE_MMA_ROW 24   // elements between shared rows of 16 dims: the fragment loads of a warp hit 32 distinct banks
#define PE_MMA_COL 136  // elements between shared transposed rows (one dim over up to 128 keys or queries), likewise
// The kernels' tuning constants. Each defaults here; PE_NVRTC_DEFINES (Nvrtc.cs) may set others, so that
// bench/train/kernel-variants.sh can time them side by side in one run. Measured on an H200, bf16 NoPE step at the paper's
// sizes (examples/results/gpu/attention-bits-h200):
// PE_MMA_STEP: query tiles of 8 per key-major backward step. A lane holds a step's 2 × STEP × 4 fp32 products and
//   STEP × 4 fragment words: 8 took 168 registers (one block per SM); 4 fits 128 (two blocks); 2 fits 80 with 132 bytes
//   of spills, so three blocks per SM, whose warps hide more of the latency that bounds this kernel: 2.91 -> 2.70 ms.
// PE_MMA_BWD_BLOCKS, PE_MMA_FWD_BLOCKS: 256-thread blocks per SM that the register budgets aim at (__launch_bounds__).
//   The forward at four (64 registers, 224 bytes of spills) beat three (80, 12 bytes) and two (100, none): 1.07, 1.12,
//   1.31 ms.
// PE_MMA_FWD_KEYS: keys per chunk of the forward's online softmax where tiles are whole (16, 32 or 64).
#ifndef PE_MMA_STEP
#define PE_MMA_STEP 2
#endif
#ifndef PE_MMA_BWD_BLOCKS
#define PE_MMA_BWD_BLOCKS 3
#endif
#ifndef PE_MMA_FWD_BLOCKS
#define PE_MMA_FWD_BLOCKS 4
#endif
#ifndef PE_MMA_FWD_KEYS
#define PE_MMA_FWD_KEYS 32
#endif
// PE_MMA_KEEP_SHARED: 1, the backward copies its block's dropout words (2 KB at most) into shared memory with the other
//   operands and each step reads them there; 0, each step loads its two words from global memory. In the SASS of the
//   latter (nvcc 11.8, sm_90) each step computed 64-bit addresses (about 25 instructions of a 174-instruction step) and
//   waited on two global loads issued at its start, a latency no barrier-free work covered. Not timed yet.
#ifndef PE_MMA_KEEP_SHARED
#define PE_MMA_KEEP_SHARED 1
#endif
// PE_MMA_LDMATRIX: 1, fragments move between shared memory and registers by ldmatrix (an A fragment, or the B fragments
//   of two 8-row blocks, per instruction) and the backward stores each 16 × 16 tile of dS by one stmatrix.trans (sm_90);
//   0, by 32-bit loads and 2-byte stores. In the SASS (nvcc 11.8, sm_90) a backward step of 8 scores a lane had issued
//   16 LDS for B fragments and 8 STS.U16 plus 4 shifts for dS; with ldmatrix the no-bias step loop went from 255 to 214
//   instructions, dq's loop over keys from 140 to 111, the forward's chunk loop from 349 to 337. Not timed yet.
#ifndef PE_MMA_LDMATRIX
#define PE_MMA_LDMATRIX 1
#endif
// Queries per backward half: dS of 64 queries × up to 128 keys (bf16, rows PE_MMA_COL apart) is 17 KB of shared memory,
// where all 128 queries' (34 KB) would take the block past the 48 KB of static shared memory. The padding of 136 (68 words,
// 4 banks past a multiple of 32) keeps both accesses conflict-free: the key-major pass's 2-byte stores of dS[i][j] (lane
// g, t4: query 2t4 + const, key g + const) hit banks 8·t4 + g / 2 + const, 16 words each shared by two lanes, and the
// query-major A-fragment loads (query g + const, key pair t4 + const) hit banks 4·g + t4 + const, all 32 distinct.
#define PE_MMA_HALF 64

// A 16-byte aligned shared bf16 array `name` of `count` elements (a multiple of 8): declared as 16-byte words, so that
// 128-bit accesses to it are aligned under NVRTC and under the CPU emulation alike (where __shared__ is `static`).
#define PE_SHARED_BF16(name, count)                \
    __shared__ pe_vec16 name##_words[(count) / 8]; \
    pe_bf16* name = reinterpret_cast<pe_bf16*>(name##_words)

// The same for fp32 (`count` a multiple of 4): entries 2n and 2n + 1 load as one pe_mma_pair.
#define PE_SHARED_F32(name, count)                 \
    __shared__ pe_vec16 name##_words[(count) / 4]; \
    float* name = reinterpret_cast<float*>(name##_words)

// Two neighbouring fp32 entries, one 64-bit shared load.
struct alignas(8) pe_mma_pair
{
    float lo, hi;
};

// The word (two bf16, the first in the low half) at even element offset e of base.
__device__ __forceinline__ unsigned int pe_word(const pe_bf16* base, long long e)
{
    return *(const unsigned int*)(base + e);
}

// Rows [0, n) of a (·, 16) bf16 operand at base + r·row_stride (16-byte aligned) into shared rows PE_MMA_ROW apart
// (rows non-null) and into its transpose, cols[c·PE_MMA_COL + r] (cols non-null); rows n..127 become zeros.
__device__ __forceinline__ void pe_mma_stage(pe_bf16* rows, pe_bf16* cols, const pe_bf16* base, int n, long long row_stride)
{
    for (int e = threadIdx.x; e < PE_ATTENTION_MAX_LEN * 2; e += blockDim.x)
    {
        const int r = e >> 1, c8 = (e & 1) * 8;
        pe_vec16 v;
        for (int i = 0; i < 4; i++) v.w[i] = 0u;
        if (r < n) v = *(const pe_vec16*)(base + r * row_stride + c8);
        if (rows != nullptr) *(pe_vec16*)(rows + r * PE_MMA_ROW + c8) = v;
        if (cols != nullptr)
            for (int i = 0; i < 8; i++) cols[(c8 + i) * PE_MMA_COL + r] = (pe_bf16)((v.w[i >> 1] >> ((i & 1) * 16)) & 0xffffu);
    }
}

// The A fragment of rows [r, r + 16) of a (·, 16) bf16 operand in global memory at base + row·row_stride (4-byte
// aligned words); rows from n on are zeros. Each lane loads its four words once, into registers, for a whole pass.
__device__ __forceinline__ void pe_mma_global_a(unsigned int* frag, const pe_bf16* base, int r, int n, long long row_stride, int g, int t4)
{
    const int r0 = r + g, r1 = r0 + 8;
    frag[0] = r0 < n ? pe_word(base, r0 * row_stride + 2 * t4) : 0u;
    frag[1] = r1 < n ? pe_word(base, r1 * row_stride + 2 * t4) : 0u;
    frag[2] = r0 < n ? pe_word(base, r0 * row_stride + 2 * t4 + 8) : 0u;
    frag[3] = r1 < n ? pe_word(base, r1 * row_stride + 2 * t4 + 8) : 0u;
}

// The A fragment of the 16 × 16 tile at row r, column c of a shared bf16 matrix whose rows are `stride` elements apart.
__device__ __forceinline__ void pe_mma_tile_a(unsigned int* frag, const pe_bf16* m, int stride, int r, int c, int g, int t4)
{
    frag[0] = pe_word(m, (r + g) * stride + c + 2 * t4);
    frag[1] = pe_word(m, (r + g + 8) * stride + c + 2 * t4);
    frag[2] = pe_word(m, (r + g) * stride + c + 2 * t4 + 8);
    frag[3] = pe_word(m, (r + g + 8) * stride + c + 2 * t4 + 8);
}

// The B fragment B[k][n] = m[(r + n)·stride + c + k] of a shared operand whose 8 rows r .. r + 7 are the fragment's
// columns (k over 16 elements from c): q or dz rows (stride PE_MMA_ROW), or transposed operands' dims (PE_MMA_COL).
__device__ __forceinline__ void pe_mma_block_b(unsigned int* frag, const pe_bf16* m, int stride, int r, int c, int g, int t4)
{
    frag[0] = pe_word(m, (r + g) * stride + c + 2 * t4);
    frag[1] = pe_word(m, (r + g) * stride + c + 2 * t4 + 8);
}

// A shared bf16 matrix: its pointer, for 32-bit and 16-bit accesses, and its pe_shared_base, for ldmatrix and stmatrix.
struct pe_mma_smem
{
    pe_bf16* p;
    pe_shared_base base;
};

__device__ __forceinline__ pe_mma_smem pe_mma_smem_of(pe_bf16* p)
{
    pe_shared_base base = pe_shared_base_of(p);
#ifdef __CUDACC__
    asm("" : "+r"(base));  // opaque, so kept: sm_90 code otherwise rebuilt it at each use (3 uniform instructions)
#endif
    return pe_mma_smem{p, base};
}

#if PE_MMA_LDMATRIX
// ldmatrix.x4 into two B fragments: matrices 0 and 1 into b[0], 2 and 3 into b[1].
__device__ __forceinline__ void pe_ldmatrix_x4_b(unsigned int (*b)[2], pe_shared_base address)
{
    unsigned int f[4];
    pe_ldmatrix_x4(f, address);
    b[0][0] = f[0];
    b[0][1] = f[1];
    b[1][0] = f[2];
    b[1][1] = f[3];
}
#endif

// The B fragments of two 8-row blocks of a shared bf16 matrix whose rows are `stride` elements apart, 16 columns from c:
// b[n][·] for rows r + 8n .. r + 8n + 7, B[k][col] = m[(r + 8n + col)·stride + c + k] (pe_mma_block_b of both
// blocks). Lane l addresses row (l mod 8) + 8·(l / 16), columns from c + 8·((l / 8) mod 2).
__device__ __forceinline__ void pe_mma_b_pair(unsigned int (*b)[2], pe_mma_smem m, int stride, int r, int c, int lane)
{
#if PE_MMA_LDMATRIX
    pe_ldmatrix_x4_b(b, m.base + 2u * (unsigned int)((r + (lane & 7) + ((lane >> 4) << 3)) * stride + c + ((lane >> 3) & 1) * 8));
#else
    PE_UNROLL
    for (int n = 0; n < 2; n++) pe_mma_block_b(b[n], m.p, stride, r + 8 * n, c, lane >> 2, lane & 3);
#endif
}

// The B fragments of one 8-row block of a shared bf16 matrix over 32 columns from c: b[u][·] for columns c + 16u ..
// c + 16u + 15, B[k][col] = m[(r + col)·stride + c + 16u + k] (pe_mma_block_b of two k-steps). Lane l addresses row
// r + (l mod 8), columns from c + 8·(l / 8).
__device__ __forceinline__ void pe_mma_b_steps(unsigned int (*b)[2], pe_mma_smem m, int stride, int r, int c, int lane)
{
#if PE_MMA_LDMATRIX
    pe_ldmatrix_x4_b(b, m.base + 2u * (unsigned int)((r + (lane & 7)) * stride + c + (lane >> 3) * 8));
#else
    PE_UNROLL
    for (int u = 0; u < 2; u++) pe_mma_block_b(b[u], m.p, stride, r, c + 16 * u, lane >> 2, lane & 3);
#endif
}

// The A fragment of the 16 × 16 tile at row r, column c of a shared bf16 matrix (pe_mma_tile_a): lane l addresses row
// l mod 16, columns from c + 8·(l / 16).
__device__ __forceinline__ void pe_mma_a_tile(unsigned int* frag, pe_mma_smem m, int stride, int r, int c, int lane)
{
#if PE_MMA_LDMATRIX
    pe_ldmatrix_x4(frag, m.base + 2u * (unsigned int)((r + (lane & 15)) * stride + c + (lane >> 4) * 8));
#else
    pe_mma_tile_a(frag, m.p, stride, r, c, lane >> 2, lane & 3);
#endif
}

// C tile j (16 × 8) of a row of tiles, as bf16, into the A fragments of k-step j / 2 (16 × 16).
__device__ __forceinline__ void pe_mma_c_to_a(unsigned int (*frags)[4], int j, const float* c)
{
    frags[j >> 1][(j & 1) * 2] = pe_pack_bf16(c[0], c[1]);
    frags[j >> 1][(j & 1) * 2 + 1] = pe_pack_bf16(c[2], c[3]);
}

// One fp32 accumulator tile (dims 2t4, 2t4 + 1 from out of rows ra and ra + 8), times factor_a (row ra) and factor_b
// (row ra + 8), to the rows of out (row_stride apart) that exist (< n_rows).
__device__ __forceinline__ void pe_mma_store_tile(pe_bf16* out, long long row_stride, const float* acc, int ra, int n_rows,
                                                  float factor_a, float factor_b, int t4)
{
    if (ra < n_rows) *(unsigned int*)(out + ra * row_stride + 2 * t4) = pe_pack_bf16(acc[0] * factor_a, acc[1] * factor_a);
    if (ra + 8 < n_rows) *(unsigned int*)(out + (ra + 8) * row_stride + 2 * t4) = pe_pack_bf16(acc[2] * factor_b, acc[3] * factor_b);
}

// A warp's two 16-dim rows of fp32 accumulators (c tiles n = 0, 1: dims 8n + 2t4, + 1 of rows ra and ra + 8), likewise.
__device__ __forceinline__ void pe_mma_store_rows(pe_bf16* out, long long row_stride, const float (*acc)[4], int ra, int n_rows,
                                                  float factor_a, float factor_b, int t4)
{
    PE_UNROLL
    for (int n = 0; n < 2; n++) pe_mma_store_tile(out + n * 8, row_stride, acc[n], ra, n_rows, factor_a, factor_b, t4);
}

__device__ __forceinline__ float pe_quad_max(float v)
{
    v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, 1));
    return fmaxf(v, __shfl_xor_sync(0xffffffffu, v, 2));
}

__device__ __forceinline__ float pe_quad_sum(float v)
{
    v += __shfl_xor_sync(0xffffffffu, v, 1);
    return v + __shfl_xor_sync(0xffffffffu, v, 2);
}

// 2^x of a logit less its row's max or lse: ex2.approx.ftz.f32, the instruction exp2f compiles to without its subnormal
// handling (a compare and two predicated multiplies around it), so a weight below 2^-126 becomes 0 instead of a
// subnormal, which neither the fp32 sums nor bf16 P·v can tell. The CPU emulation keeps exp2f.
__device__ __forceinline__ float pe_exp2(float x)
{
#ifdef __CUDACC__
    float y;
    asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
    return y;
#else
    return exp2f(x);
#endif
}

// A block's dropout: whether it drops, the key of pe_pair_hash, pe_pair_keep's threshold and the rescaling of what it
// keeps (1 without dropout).
struct pe_mma_dropout
{
    bool on;
    unsigned int mixed_key, threshold;
    float keep_scale;
};

__device__ __forceinline__ pe_mma_dropout pe_mma_dropout_of(const long long* seed_ptr, long long bh, float p)
{
    const unsigned int key = p > 0.0f ? pe_block_key((unsigned long long)*seed_ptr, bh) : 0u;
    return pe_mma_dropout{p > 0.0f, pe_mixed_key(key), pe_pair_threshold(p), pe_keep_scale(p)};
}

// The forward's dropout decisions, kept for the backward (keep_bits, when the host asks for them: training), so that the
// backward reads a bit per score instead of hashing: the hash (pe_pair_hash, then a shift and a compare) was about a
// quarter of the backward's instructions a score at dh = 16, and its chain of dependent multiplies part of the latency
// that bounded it (Nsight Compute, H200). Each forward lane keeps its own decisions in a register, one bit a score at a
// position known at compile time, and stores a word per 8 key tiles: lane 4·g + t4 of the warp of query block qb
// (16 rows), word kw: bit 4·(kt mod 8) + 2·h + o decides query 16·qb + 8·h + g and key 8·kt + 2·t4 + o, for key tile
// kt = 8·kw + kt mod 8. Word index ((bh·q_blocks + qb)·k_words + kw)·32 + lane, q_blocks = ⌈T / 16⌉, k_words =
// ⌈⌈S / 16⌉ / 4⌉ (the host allocates B·H·q_blocks·k_words·32 words): a warp's 32 stores are one 128-byte line. (Four
// __ballot_sync a tile and a 16-byte store from lane 0 instead made the forward 34% slower on an H200.)
__device__ __forceinline__ long long pe_mma_keep_word(long long bh, int qb, int kw, int lane, int t_len, int s_len)
{
    const int q_blocks = (t_len + 15) / 16, k_words = ((s_len + 15) / 16 + 3) / 4;
    return ((bh * q_blocks + qb) * k_words + kw) * 32 + lane;
}

// The words of one (batch, head) block, which are contiguous from pe_mma_keep_word(bh, 0, 0, 0): q_blocks·k_words·32,
// at most PE_MMA_MAX_KEEP_WORDS (T, S ≤ 128).
__device__ __forceinline__ int pe_mma_block_keep_words(int t_len, int s_len)
{
    return (t_len + 15) / 16 * (((s_len + 15) / 16 + 3) / 4) * 32;
}
#define PE_MMA_MAX_KEEP_WORDS (PE_ATTENTION_MAX_LEN / 16 * ((PE_ATTENTION_MAX_LEN / 16 + 3) / 4) * 32)

// A backward lane's dropout words for key-major step `step` (query blocks step·PE_MMA_STEP / 2 + q) and its keys c0 =
// 16·warp + g and c0 + 8 (key tiles 2·warp, 2·warp + 1: both in word warp / 4): words[q][r] is the word of the forward
// lane that holds query i0 + r of the lane's tiles (row 2·t4 + r of a half, so lane 4·(2·t4 + r) + g / 2), read from
// `keep`, the block's words (pe_mma_block_keep_words, in shared or global memory). All ones (every score kept) without
// dropout, past the last query block, and for a warp without keys.
__device__ __forceinline__ void pe_mma_step_words(unsigned int (*words)[2], const unsigned int* keep, bool on, int step, int warp,
                                                  int t_len, int s_len, bool keys_live, int g, int t4)
{
    PE_UNROLL
    for (int q = 0; q < PE_MMA_STEP / 2; q++)
    {
        const int qb = step * (PE_MMA_STEP / 2) + q;
        PE_UNROLL
        for (int r = 0; r < 2; r++)
            words[q][r] = on && keys_live && 16 * qb < t_len
                              ? keep[pe_mma_keep_word(0, qb, warp >> 2, 4 * (2 * t4 + r) + (g >> 1), t_len, s_len)]
                              : 0xffffffffu;
    }
}

// The logit bias a block's score loops compute (a template argument, so each variant compiles only its own terms):
// none; general (pe_bias: ALiBi's distance term, the key mask, the relative table, a per-query mask, each tested per
// score); and, where the host asks for them (bias_kinds), the two PE-only forms without a mask: ALiBi's −m_h·|i − j|
// alone, and the relative table's B_h[j − i] alone, one shared load. Both equal pe_bias bit for bit there: its other
// terms are an fma with a zero addend and adds of zero.
#define PE_MMA_BIAS_NONE 0
#define PE_MMA_BIAS_GENERAL 1
#define PE_MMA_BIAS_SLOPES 2
#define PE_MMA_BIAS_TABLE 3

template <int Kind>
__device__ __forceinline__ float pe_mma_bias(const pe_attention_bias& bias, const pe_bf16* mask, int i, int j)
{
    if (Kind == PE_MMA_BIAS_SLOPES) return bias.neg_slope * fabsf((float)(i - j));
    if (Kind == PE_MMA_BIAS_TABLE) return bias.rel[j - i + bias.t - 1];
    return pe_bias(bias, mask, i, j);
}

// The bias kind of a call whose tiles are whole.
__device__ __forceinline__ int pe_mma_bias_kind(const float* slopes, const pe_bf16* mask, const pe_bf16* rel, long long bias_kinds)
{
    if (slopes == nullptr && mask == nullptr && rel == nullptr) return PE_MMA_BIAS_NONE;
    if (bias_kinds != 0 && mask == nullptr && (slopes == nullptr) != (rel == nullptr))
        return slopes != nullptr ? PE_MMA_BIAS_SLOPES : PE_MMA_BIAS_TABLE;
    return PE_MMA_BIAS_GENERAL;
}

// Which variant of the score loops a block runs (uniform over the block, so every warp still runs the same products and
// shuffles). Bias: the logits' bias term (pe_mma_bias_kind); without one, pe_bias would add 0 to every logit after
// a shared load, fabs, fma and two branches. Full: T and S are whole 16-row tiles, so a
// warp's rows exist all or none, and a tile below `tiles` holds only keys or queries that exist: the per-score bounds
// checks become one test per warp and tile. Ragged lengths take the general variant, with the general bias.
__device__ __forceinline__ bool pe_mma_whole_tiles(const pe_attention_shape& a) { return a.t % 16 == 0 && a.s % 16 == 0; }

// Whole chunks (the forward's fastest variant): whole tiles, S a multiple of the forward's chunk of keys, and T ≥ S, so
// that every warp of the block (⌈max(T, S) / 16⌉) has rows and every chunk all its tiles: no per-tile or per-score test.
__device__ __forceinline__ bool pe_mma_whole_chunks(const pe_attention_shape& a)
{
    return pe_mma_whole_tiles(a) && a.s % PE_MMA_FWD_KEYS == 0 && a.t >= a.s;
}

// A warp's 16 query rows of the forward over the staged keys (ks) and transposed values (vt), a chunk of keys at a
// time with an online softmax: per chunk S, the running row max m and the rescaling of the row sum l and of o by
// 2^(m_old − m_new), P for the chunk as bf16 A fragments (dropout from pe_pair_hash, its decisions kept in keep_bits when the host asks), and o += P·v.
// Chunks (needs Full): pe_mma_whole_chunks, so the tests of which tiles and rows exist compile away.
// Without a bias, the running max is taken over the raw products q·k (scale > 0 keeps their order) and the scale enters
// each weight's exponent in one fma, 2^(s·c − m·c), instead of a multiply for the logit and a subtract for 2^(logit − m).
template <int Bias, bool Full, bool Chunks = false>
__device__ __forceinline__ void pe_mma_fwd_rows(const pe_bf16* ks, const pe_bf16* vt, const pe_attention_bias& bias, const pe_bf16* mask,
                                                const pe_bf16* q, const long long* seed_ptr, pe_bf16* z, float* lse,
                                                unsigned int* keep_bits, const pe_attention_shape& a, float scale, float p)
{
    const long long bh = blockIdx.x, b = bh / a.heads, h = bh % a.heads;
    const int t_len = (int)a.t, s_len = (int)a.s;
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, g = lane >> 2, t4 = lane & 3;
    const int r0 = warp * 16 + g, r1 = r0 + 8;
    const pe_mma_smem keys_s = pe_mma_smem_of(const_cast<pe_bf16*>(ks)), values_t = pe_mma_smem_of(const_cast<pe_bf16*>(vt));
    const bool live = warp * 16 < t_len;        // this warp's rows exist (some of them, for ragged lengths)
    const int tiles = 2 * ((s_len + 15) / 16);  // key tiles of 8, a whole number of 16-key steps
    unsigned int qa[4];
    pe_mma_global_a(qa, q + b * a.q_b + h * a.q_h, warp * 16, t_len, a.q_t, g, t4);
    const float zero[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    const float qk_scale = scale * PE_LOG2E;
    const float unit = Bias == PE_MMA_BIAS_NONE ? qk_scale : 1.0f;  // log2-logits per unit of m and of the scores below
    const pe_mma_dropout drop = pe_mma_dropout_of(seed_ptr, bh, p);
    // Running max of rows r0, r1 over the keys so far (−∞ while all of them are masked), and this lane's share of the
    // row sums Σ 2^(logit − m) before dropout, quad-summed once at the end (the rescaling is uniform over a quad).
    float m0 = -PE_INFINITY, m1 = -PE_INFINITY, l0 = 0.0f, l1 = 0.0f;
    float o[2][4] = {{0.0f, 0.0f, 0.0f, 0.0f}, {0.0f, 0.0f, 0.0f, 0.0f}};
    // Keys per chunk: a lane holds the chunk's keys / 2 fp32 scores and keys / 4 words of P. All 128 at once took 122
    // registers, two 256-thread blocks per SM. By ptxas -v (CUDA 11.8, sm_90, the three variants in one kernel under
    // __launch_bounds__(256, 3), i.e. ≤ 80 registers): 32 in the whole-tile variants and 16 in the general one (its
    // bounds checks) fit without spills; 64 without the bias spilled 24 bytes, 32 in the general variant 32. The H200
    // machine's nvcc (CUDA 13) spills 24 bytes with these chunks; the forward still went from 245 to 184 µs a layer.
    constexpr int keys = Full ? PE_MMA_FWD_KEYS : 16;
    static_assert(keys == 16 || keys == 32 || keys == 64, "a chunk's decisions fill at most one keep word");
    unsigned int keep_word = 0u;  // this lane's decisions for the current 8 key tiles (pe_mma_keep_word)
    for (int tile0 = 0; tile0 < tiles; tile0 += keys / 8)  // block-uniform: every warp runs the same chunks
    {
        float s[keys / 8][4];
        PE_UNROLL
        for (int j = 0; j < keys / 8; j += 2)
            if (Chunks || tile0 + j < tiles)  // tiles is even: both tiles of the pair or neither
            {
                unsigned int kb[2][2];
                pe_mma_b_pair(kb, keys_s, PE_MMA_ROW, (tile0 + j) * 8, 0, lane);
                pe_mma_bf16_16816(s[j], qa, kb[0], zero);
                pe_mma_bf16_16816(s[j + 1], qa, kb[1], zero);
            }
        float c0 = m0, c1 = m1;  // the new running max
        PE_UNROLL
        for (int j = 0; j < keys / 8; j++)
            PE_UNROLL
            for (int e = 0; e < 4; e++)
            {
                const int i = e < 2 ? r0 : r1, col = (tile0 + j) * 8 + 2 * t4 + (e & 1);
                const bool inside = Chunks || (tile0 + j < tiles && (Full ? live : i < t_len && col < s_len));
                const float val = inside ? (Bias ? fmaf(s[j][e], qk_scale, pe_mma_bias<Bias>(bias, mask, i, col)) : s[j][e]) : -PE_INFINITY;
                s[j][e] = val;
                if (e < 2) c0 = fmaxf(c0, val);
                else c1 = fmaxf(c1, val);
            }
        c0 = pe_quad_max(c0);
        c1 = pe_quad_max(c1);
        // While a row's keys so far are all masked its max is −∞: subtract 0 instead (its weights are 0 either way), so
        // that neither −∞ − −∞ nor the rescaling below makes a NaN. 2^(m − base) is 0 for m = −∞ (nothing summed yet)
        // and 1 where the max has not moved.
        const float base0 = c0 == -PE_INFINITY ? 0.0f : c0, base1 = c1 == -PE_INFINITY ? 0.0f : c1;
        const float rescale0 = pe_exp2((m0 - base0) * unit), rescale1 = pe_exp2((m1 - base1) * unit);
        const float shift0 = -base0 * unit, shift1 = -base1 * unit;  // the exponent's offset, in log2-logits
        m0 = c0;
        m1 = c1;
        l0 *= rescale0;
        l1 *= rescale1;
        PE_UNROLL
        for (int n = 0; n < 2; n++)
        {
            o[n][0] *= rescale0;
            o[n][1] *= rescale0;
            o[n][2] *= rescale1;
            o[n][3] *= rescale1;
        }
        unsigned int pa[keys / 16][4];  // k-steps at or past the chunk's last tile are neither written nor read
        unsigned int chunk_bits = 0u;   // this chunk's decisions, bit 4·j + e
        PE_UNROLL
        for (int j = 0; j < keys / 8; j++)
            if (Chunks || tile0 + j < tiles)
            {
                // Scores e = 0, 1 are row r0's keys col, col + 1 (col even), one pair; e = 2, 3 the same of row r1.
                const int col = (tile0 + j) * 8 + 2 * t4;
                const unsigned int hash0 = drop.on ? pe_pair_hash(drop.mixed_key, r0, col) : 0u;
                const unsigned int hash1 = drop.on ? pe_pair_hash(drop.mixed_key, r1, col) : 0u;
                float kept[4];
                PE_UNROLL
                for (int e = 0; e < 4; e++)
                {
                    // 0 for a masked key and past the end. With a bias, unit = 1: fma(x, 1, −base) = x − base, exactly.
                    const float prob = pe_exp2(fmaf(s[j][e], unit, e < 2 ? shift0 : shift1));
                    if (e < 2) l0 += prob;
                    else l1 += prob;
                    const bool keep = !drop.on || pe_pair_keep(e < 2 ? hash0 : hash1, e & 1, drop.threshold);
                    kept[e] = keep ? prob : 0.0f;
                    // Score e is half e / 2, parity e & 1: bit 4·(tile mod 8) + e, tile0 a multiple of keys / 8.
                    if (keep) chunk_bits |= 1u << (4 * j + e);
                }
                pe_mma_c_to_a(pa, j, kept);
            }
        if (keep_bits != nullptr)  // block-uniform
        {
            keep_word |= chunk_bits << (4 * (tile0 & 7));
            if (((tile0 + keys / 8) & 7) == 0 || tile0 + keys / 8 >= tiles)  // a word's 8 tiles done, or the last chunk
            {
                if (live) keep_bits[pe_mma_keep_word(bh, warp, tile0 >> 3, lane, t_len, s_len)] = keep_word;
                keep_word = 0u;
            }
        }
        PE_UNROLL
        for (int kk = 0; kk < keys / 16; kk++)
            if (Chunks || tile0 + 2 * kk < tiles)
            {
                unsigned int vb[2][2];
                pe_mma_b_pair(vb, values_t, PE_MMA_COL, 0, tile0 * 8 + kk * 16, lane);
                PE_UNROLL
                for (int n = 0; n < 2; n++) pe_mma_bf16_16816(o[n], pa[kk], vb[n], o[n]);
            }
    }
    l0 = pe_quad_sum(l0);
    l1 = pe_quad_sum(l1);
    // In log2-logits; 0 for a row with every key masked.
    const float base0 = m0 == -PE_INFINITY ? 0.0f : m0 * unit, base1 = m1 == -PE_INFINITY ? 0.0f : m1 * unit;
    const long long z_row = a.heads * PE_ATTENTION_DIM;  // z is (B, T, H, 16) contiguous
    pe_bf16* zb = z + b * a.t * z_row + h * PE_ATTENTION_DIM;
    pe_mma_store_rows(zb, z_row, o, warp * 16 + g, t_len, l0 > 0.0f ? drop.keep_scale / l0 : 0.0f,
                      l1 > 0.0f ? drop.keep_scale / l1 : 0.0f, t4);
    if (t4 == 0)
    {
        if (r0 < t_len) lse[bh * a.t + r0] = l0 > 0.0f ? base0 + log2f(l0) : PE_INFINITY;
        if (r1 < t_len) lse[bh * a.t + r1] = l1 > 0.0f ? base1 + log2f(l1) : PE_INFINITY;
    }
}

// The whole-tile forward of a bias kind (pe_mma_bias_kind), with or without whole chunks.
template <bool Chunks>
__device__ __forceinline__ void pe_mma_fwd_kind(int kind, const pe_bf16* ks, const pe_bf16* vt, const pe_attention_bias& bias,
                                                const pe_bf16* mask, const pe_bf16* q, const long long* seed_ptr, pe_bf16* z,
                                                float* lse, unsigned int* keep_bits, const pe_attention_shape& a, float scale, float p)
{
    if (kind == PE_MMA_BIAS_GENERAL) pe_mma_fwd_rows<PE_MMA_BIAS_GENERAL, true, Chunks>(ks, vt, bias, mask, q, seed_ptr, z, lse, keep_bits, a, scale, p);
    else if (kind == PE_MMA_BIAS_SLOPES) pe_mma_fwd_rows<PE_MMA_BIAS_SLOPES, true, Chunks>(ks, vt, bias, mask, q, seed_ptr, z, lse, keep_bits, a, scale, p);
    else if (kind == PE_MMA_BIAS_TABLE) pe_mma_fwd_rows<PE_MMA_BIAS_TABLE, true, Chunks>(ks, vt, bias, mask, q, seed_ptr, z, lse, keep_bits, a, scale, p);
    else pe_mma_fwd_rows<PE_MMA_BIAS_NONE, true, Chunks>(ks, vt, bias, mask, q, seed_ptr, z, lse, keep_bits, a, scale, p);
}

// Grid (B·H), block 32·⌈max(T, S) / 16⌉ threads: warp w owns query rows [16w, 16w + 16).
__device__ __forceinline__ void pe_mma_attention_fwd(const pe_bf16* q, const pe_bf16* k, const pe_bf16* v, const float* slopes,
                                                     const pe_bf16* mask, const pe_bf16* rel, const long long* seed_ptr,
                                                     pe_bf16* z, float* lse, unsigned int* keep_bits, long long bias_kinds,
                                                     const pe_attention_shape& a, float scale, float p)
{
    PE_SHARED_BF16(ks, PE_ATTENTION_MAX_LEN * PE_MMA_ROW);
    PE_SHARED_BF16(vt, PE_ATTENTION_DIM * PE_MMA_COL);
    __shared__ float key_bias[PE_ATTENTION_MAX_LEN];
    __shared__ float rel_s[2 * PE_ATTENTION_MAX_LEN - 1];
    const long long b = blockIdx.x / a.heads, h = blockIdx.x % a.heads;
    pe_mma_stage(ks, nullptr, k + b * a.k_b + h * a.k_h, (int)a.s, a.k_t);
    pe_mma_stage(nullptr, vt, v + b * a.v_b + h * a.v_h, (int)a.s, a.v_t);
    const pe_attention_bias bias = pe_bias_setup(key_bias, rel_s, slopes, mask, rel, a, b, h);
    __syncthreads();
    // The shared arrays stay here, outside the templates: each instantiation would get its own copies.
    const int kind = pe_mma_bias_kind(slopes, mask, rel, bias_kinds);
    if (!pe_mma_whole_tiles(a)) pe_mma_fwd_rows<PE_MMA_BIAS_GENERAL, false>(ks, vt, bias, mask, q, seed_ptr, z, lse, keep_bits, a, scale, p);
    else if (pe_mma_whole_chunks(a)) pe_mma_fwd_kind<true>(kind, ks, vt, bias, mask, q, seed_ptr, z, lse, keep_bits, a, scale, p);
    else pe_mma_fwd_kind<false>(kind, ks, vt, bias, mask, q, seed_ptr, z, lse, keep_bits, a, scale, p);
}

// The first two products of a key-major step over 8·PE_MMA_STEP queries (tiles [PE_MMA_STEP·step, PE_MMA_STEP·(step + 1))
// of 8, those below `tiles`):
// st_j = ka·(rows tile j of qs)ᵀ = Sᵀ and dpt_j = va·(rows tile j of dzs)ᵀ = dPᵀ for a warp's 16 keys.
__device__ __forceinline__ void pe_mma_pass_products(float (*st)[4], float (*dpt)[4], const unsigned int* ka, const unsigned int* va,
                                                     pe_mma_smem qs, pe_mma_smem dzs, int step, int tiles, int g, int t4)
{
    const float zero[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    const int lane = 4 * g + t4;
    PE_UNROLL
    for (int j = 0; j < PE_MMA_STEP; j += 2)
        if (step * PE_MMA_STEP + j < tiles)  // tiles is even: both tiles of the pair or neither
        {
            unsigned int qb[2][2], dzb[2][2];
            pe_mma_b_pair(qb, qs, PE_MMA_ROW, (step * PE_MMA_STEP + j) * 8, 0, lane);
            pe_mma_b_pair(dzb, dzs, PE_MMA_ROW, (step * PE_MMA_STEP + j) * 8, 0, lane);
            PE_UNROLL
            for (int u = 0; u < 2; u++)
            {
                pe_mma_bf16_16816(st[j + u], ka, qb[u], zero);
                pe_mma_bf16_16816(dpt[j + u], va, dzb[u], zero);
            }
        }
}

// acc (16 keys × 16 dims) += frags (16 keys × the step's 8·PE_MMA_STEP queries, as A fragments) · the transposed shared operand
// `cols` over those 32 (tiles below `tiles`): dv += P_keptᵀ·dz, dk += dSᵀ·q.
__device__ __forceinline__ void pe_mma_pass_accumulate(float (*acc)[4], const unsigned int (*frags)[4], pe_mma_smem cols,
                                                       int step, int tiles, int g, int t4)
{
    PE_UNROLL
    for (int kk = 0; kk < PE_MMA_STEP / 2; kk++)
        if (step * PE_MMA_STEP + 2 * kk < tiles)
        {
            unsigned int b[2][2];
            pe_mma_b_pair(b, cols, PE_MMA_COL, 0, step * PE_MMA_STEP * 8 + kk * 16, 4 * g + t4);
            PE_UNROLL
            for (int n = 0; n < 2; n++) pe_mma_bf16_16816(acc[n], frags[kk], b[n], acc[n]);
        }
}

// dS_ij = P_ij (drop_ij dP_ij / (1 − p) − D_i) of one score, from its products s = q_i·k_j and dp = dz_i·v_j, query
// i's lse and D, and m = drop_ij / (1 − p) (1 without dropout); kept = m P_ij, the weight z took of v_j. lse enters the
// logit's fma, so P is one fma and one ex2 without a bias, and m enters the fma of dP − D: a dropped score gives
// P·(0·dP − D) = −P·D and kept 0, exactly what selecting them did.
template <int Bias>
__device__ __forceinline__ float pe_mma_dscore(const pe_attention_bias& bias, const pe_bf16* mask, float qk_scale, float s, float dp,
                                               float lse, float d, int i, int j, float m, float& kept)
{
    const float prob = pe_exp2(fmaf(s, qk_scale, Bias ? pe_mma_bias<Bias>(bias, mask, i, j) - lse : -lse));
    kept = prob * m;
    return prob * fmaf(dp, m, -d);
}

// The backward's shared operands: q and dz as rows and q, k, dz transposed, each query's lse and D, the block's
// relative-table gradient (null without a table), dS of the current PE_MMA_HALF queries, and the block's dropout words
// (pe_mma_step_words; in global memory where PE_MMA_KEEP_SHARED is 0, null without dropout).
struct pe_mma_bwd_shared
{
    pe_mma_smem qs, dzs, qt, kt, dzt;
    const float *lses, *ds;
    float* drel;
    pe_mma_smem dss;  // dS[i − first query of the half][j], rows PE_MMA_COL apart
    const unsigned int* keep;
};

// The relative table's gradient from a half's dS: drel[j − i + T − 1] += Σ dS_ij over the half's queries i, a thread per
// offset j − i, summing the bf16 dS that dk and dq took in fp32. Each offset has its one thread, so no atomics: a shared
// atomic add per score in the key-major pass (134 M a layer at the paper's sizes) made the relative PE's backward the
// slowest of the PEs. Every thread walks all the half's rows (predicated), so a warp's reads dS[r][r + d] for
// consecutive d are consecutive bf16: no bank conflicts. It only reads dss, alongside the query-major pass.
__device__ __forceinline__ void pe_mma_half_diagonals(float* drel, const pe_bf16* dss, int first, int t_len, int s_len)
{
    const int rows = t_len - first < PE_MMA_HALF ? t_len - first : PE_MMA_HALF;
    for (int e = threadIdx.x; e < rows + s_len - 1; e += blockDim.x)
    {
        const int d = e - (rows - 1);  // key j = r + d for the half's row r = i − first
        float sum = 0.0f;
        for (int r = 0; r < rows; r++)
            if (r + d >= 0 && r + d < s_len) sum += pe_bf16_to_float(dss[r * PE_MMA_COL + r + d]);
        drel[d - first + t_len - 1] += sum;
    }
}

// A key-major step's scalar work for one lane: for each of the step's PE_MMA_STEP query tiles, its 4 scores' P and dS from the
// products st and dpt, the kept weights and dS as the A fragments pa and sa of dv's and dk's products, and dS as bf16
// into dss (the value that enters dk's product; 0 where a score does not exist, so dq's products add nothing there).
// Checked: the per-score bounds tests (ragged lengths, a warp past the keys, tiles past the queries); a step whose
// scores all exist (every step of T = S = 128) runs without them, and without the branches around each score.
template <int Bias, bool Full, bool Checked>
__device__ __forceinline__ void pe_mma_step_scores(const pe_mma_bwd_shared& sh, const pe_attention_bias& bias, const pe_bf16* mask,
                                                   const unsigned int (*words)[2], float keep_scale, float qk_scale,
                                                   const float (*st)[4], const float (*dpt)[4], unsigned int (*pa)[4],
                                                   unsigned int (*sa)[4], int step, int first, int query_tiles, int t_len, int s_len,
                                                   bool live, int c0, int g, int t4)
{
    // Score e's bit (pe_mma_keep_word) in words[j / 2][e & 1]: key tile 2·warp + e / 2 is tile 2·(warp mod 4) + e / 2
    // of its word, query tile j is half j & 1 of its block, and the key's parity is g's: 4·(2·(warp mod 4) + e / 2) +
    // 2·(j & 1) + (g & 1).
    const unsigned int lane_bit = 1u << (8 * ((c0 >> 4) & 3) + (g & 1));
    PE_UNROLL
    for (int j = 0; j < PE_MMA_STEP; j++)
    {
        const int tile = step * PE_MMA_STEP + j, i0 = tile * 8 + 2 * t4;  // this lane's queries: i0, i0 + 1
        const pe_mma_pair lse2 = *(const pe_mma_pair*)(sh.lses + i0), d2 = *(const pe_mma_pair*)(sh.ds + i0);
        float kept4[4], d4[4];
        PE_UNROLL
        for (int e = 0; e < 4; e++)
        {
            const int kj = c0 + (e < 2 ? 0 : 8), i = i0 + (e & 1);
            const bool keep = (words[j >> 1][e & 1] & (lane_bit << (4 * (e >> 1) + 2 * (j & 1)))) != 0u;
            float kept = 0.0f, dscore = 0.0f;
            if (!Checked || (tile < query_tiles && (Full ? live : kj < s_len && i < t_len)))
                dscore = pe_mma_dscore<Bias>(bias, mask, qk_scale, st[j][e], dpt[j][e], e & 1 ? lse2.hi : lse2.lo, e & 1 ? d2.hi : d2.lo,
                                             i, kj, keep ? keep_scale : 0.0f, kept);
            kept4[e] = kept;
            d4[e] = dscore;
        }
        pe_mma_c_to_a(pa, j, kept4);
        pe_mma_c_to_a(sa, j, d4);
#if PE_MMA_LDMATRIX && PE_HAS_STMATRIX
        // sa[j / 2] is dSᵀ of the warp's 16 keys × the pair's 16 queries, as A fragments, i.e. four 8 × 8 matrices
        // (keys 0-7 | 8-15) × (queries 0-7 | 8-15): stored transposed they are dS's rows. Lane l addresses query row
        // (l mod 8) + 8·(l / 16) of the pair, keys from 8·((l / 8) mod 2).
        if (j & 1)
        {
            const int lane = 4 * g + t4;
            const int row = tile * 8 - 8 - first + (lane & 7) + ((lane >> 4) << 3), key = c0 - g + ((lane >> 3) & 1) * 8;
            pe_stmatrix_x4_trans(sh.dss.base + 2u * (unsigned int)(row * PE_MMA_COL + key), sa[j >> 1]);
        }
#else
        // The two words hold dS of (key c0, queries i0, i0 + 1) and (key c0 + 8, the same queries): four 2-byte
        // stores put them at dS[i][j].
        const unsigned int w0 = sa[j >> 1][(j & 1) * 2], w1 = sa[j >> 1][(j & 1) * 2 + 1];
        pe_bf16* at = sh.dss.p + (i0 - first) * PE_MMA_COL + c0;
        at[0] = (pe_bf16)(w0 & 0xffffu);
        at[PE_MMA_COL] = (pe_bf16)(w0 >> 16);
        at[8] = (pe_bf16)(w1 & 0xffffu);
        at[PE_MMA_COL + 8] = (pe_bf16)(w1 >> 16);
#endif
    }
}

// The backward of a block, PE_MMA_HALF queries at a time. Key-major: warp w's 16 key rows [16w, 16w + 16) over the half's
// queries, 8·PE_MMA_STEP at a time: Sᵀ, dPᵀ, P, the forward's dropout bits and dS once per score, dv += P_keptᵀ·dz and dk += dSᵀ·q, and dS as
// bf16 (the value that entered dk's product) into dss. Then, after a barrier, query-major: dq = scale · dS·k for the
// half's queries, one item (16 query rows, 8 of the 16 dims) per warp, so that 8 warps cover 64 rows without a reduction.
template <int Bias, bool Full>
__device__ __forceinline__ void pe_mma_bwd_rows(const pe_mma_bwd_shared& sh, const pe_attention_bias& bias, const pe_bf16* mask,
                                                const pe_bf16* k, const pe_bf16* v, pe_bf16* dq,
                                                pe_bf16* dk, pe_bf16* dv, const pe_attention_shape& a, float scale, float p)
{
    const long long bh = blockIdx.x, b = bh / a.heads, h = bh % a.heads;
    const int t_len = (int)a.t, s_len = (int)a.s;
    const long long z_row = a.heads * PE_ATTENTION_DIM;  // dq (B, T, H, 16) and dk, dv (B, S, H, 16) contiguous
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5, g = lane >> 2, t4 = lane & 3;
    const int key_tiles = 2 * ((s_len + 15) / 16), query_tiles = 2 * ((t_len + 15) / 16);
    const float qk_scale = scale * PE_LOG2E;
    const bool dropping = p > 0.0f;  // the forward's decisions are in sh.keep
    const float keep_scale = pe_keep_scale(p);
    const int c0 = warp * 16 + g;          // this lane's keys: c0, c0 + 8
    const bool live = warp * 16 < s_len;  // Full: this warp's key rows exist
    unsigned int ka[4], va[4];
    pe_mma_global_a(ka, k + b * a.k_b + h * a.k_h, warp * 16, s_len, a.k_t, g, t4);
    pe_mma_global_a(va, v + b * a.v_b + h * a.v_h, warp * 16, s_len, a.v_t, g, t4);
    float dk_acc[2][4] = {{0.0f, 0.0f, 0.0f, 0.0f}, {0.0f, 0.0f, 0.0f, 0.0f}};
    float dv_acc[2][4] = {{0.0f, 0.0f, 0.0f, 0.0f}, {0.0f, 0.0f, 0.0f, 0.0f}};
    for (int first = 0; first < t_len; first += PE_MMA_HALF)
    {
        // Key-major: dv_j = Σ_i drop_ij P_ij dz_i and dk_j = scale · Σ_i dS_ij q_i over the half's queries i.
        const int step0 = first / (8 * PE_MMA_STEP), step_end = step0 + PE_MMA_HALF / (8 * PE_MMA_STEP);
        for (int step = step0; step < step_end && step * PE_MMA_STEP < query_tiles; step++)
        {
            float st[PE_MMA_STEP][4], dpt[PE_MMA_STEP][4];
            pe_mma_pass_products(st, dpt, ka, va, sh.qs, sh.dzs, step, query_tiles, g, t4);
            unsigned int words[PE_MMA_STEP / 2][2];
            pe_mma_step_words(words, sh.keep, dropping, step, warp, t_len, s_len, live, g, t4);
            unsigned int pa[PE_MMA_STEP / 2][4], sa[PE_MMA_STEP / 2][4];
            if (Full && live && (step + 1) * PE_MMA_STEP <= query_tiles)  // warp-uniform
                pe_mma_step_scores<Bias, Full, false>(sh, bias, mask, words, keep_scale, qk_scale, st, dpt, pa, sa, step, first,
                                                      query_tiles, t_len, s_len, live, c0, g, t4);
            else
                pe_mma_step_scores<Bias, Full, true>(sh, bias, mask, words, keep_scale, qk_scale, st, dpt, pa, sa, step, first,
                                                     query_tiles, t_len, s_len, live, c0, g, t4);
            pe_mma_pass_accumulate(dv_acc, pa, sh.dzt, step, query_tiles, g, t4);
            pe_mma_pass_accumulate(dk_acc, sa, sh.qt, step, query_tiles, g, t4);
        }
        __syncthreads();  // every dS of the half is in dss
        if (Bias && sh.drel != nullptr) pe_mma_half_diagonals(sh.drel, sh.dss.p, first, t_len, s_len);

        // Query-major: dq_i = scale · Σ_j dS_ij k_j for the half's queries. Item 2r + n: query tile r (16 rows) of the
        // half, dims [8n, 8n + 8); all warps run the same number of rounds and products (past the last item they
        // multiply and store nothing).
        const int items = t_len - first < PE_MMA_HALF ? 2 * ((t_len - first + 15) / 16) : 2 * (PE_MMA_HALF / 16);
        for (int round = 0; round < items; round += warps)
        {
            const int item = round + warp, n = item & 1;
            const int rows = first + ((item >> 1) & (PE_MMA_HALF / 16 - 1)) * 16;  // past the last item: any tile
            float acc[4] = {0.0f, 0.0f, 0.0f, 0.0f};
            PE_UNROLL
            for (int kk = 0; kk < PE_ATTENTION_MAX_LEN / 16; kk += 2)  // key steps of 16 in pairs (kt's zeros past S)
                if (2 * kk < key_tiles)
                {
                    unsigned int kb[2][2];
                    pe_mma_b_steps(kb, sh.kt, PE_MMA_COL, n * 8, kk * 16, lane);
                    PE_UNROLL
                    for (int u = 0; u < 2; u++)
                        if (u == 0 || 2 * (kk + 1) < key_tiles)
                        {
                            unsigned int da[4];
                            pe_mma_a_tile(da, sh.dss, PE_MMA_COL, rows - first, (kk + u) * 16, lane);
                            pe_mma_bf16_16816(acc, da, kb[u], acc);
                        }
                }
            if (item < items)
                pe_mma_store_tile(dq + b * a.t * z_row + h * PE_ATTENTION_DIM + n * 8, z_row, acc, rows + g, t_len, scale, scale, t4);
        }
        if (first + PE_MMA_HALF < t_len) __syncthreads();  // dq has read dss before the next half writes it
    }
    pe_mma_store_rows(dk + b * a.s * z_row + h * PE_ATTENTION_DIM, z_row, dk_acc, c0, s_len, scale, scale, t4);
    pe_mma_store_rows(dv + b * a.s * z_row + h * PE_ATTENTION_DIM, z_row, dv_acc, c0, s_len, 1.0f, 1.0f, t4);
}

// Grid (B·H), block 32·⌈max(T, S) / 16⌉ threads: warp w owns key rows [16w, 16w + 16) (dk, dv) and dq items (above).
// Static shared memory, 48,376 of the 49,152 bytes (48 KiB) a block may declare: qs, dzs 2 × 6,144; qt, kt, dzt 3 × 4,352;
// dss 17,408 (64 × 136 bf16); lses, ds 1,024; key_bias 512; rel_s, drel_s 2 × 1,020; keep_s 2,048 (PE_MMA_KEEP_SHARED).
// A whole 128 × 128 dS would not fit, hence halves of 64 queries; k and v rows are not staged (each warp loads its key
// rows' A fragments once from global memory). PE_MMA_BWD_BLOCKS = 3 blocks of 256 threads per SM take 145 KB of the
// H200's 228.
__device__ __forceinline__ void pe_mma_attention_bwd(const pe_bf16* q, const pe_bf16* k, const pe_bf16* v, const float* slopes,
                                                     const pe_bf16* mask, const pe_bf16* rel, const pe_bf16* z,
                                                     const pe_bf16* dz, const float* lse, pe_bf16* dq,
                                                     pe_bf16* dk, pe_bf16* dv, float* drel, const unsigned int* keep_bits,
                                                     long long bias_kinds, const pe_attention_shape& a, float scale, float p)
{
    PE_SHARED_BF16(qs, PE_ATTENTION_MAX_LEN * PE_MMA_ROW);
    PE_SHARED_BF16(dzs, PE_ATTENTION_MAX_LEN * PE_MMA_ROW);
    PE_SHARED_BF16(qt, PE_ATTENTION_DIM * PE_MMA_COL);
    PE_SHARED_BF16(kt, PE_ATTENTION_DIM * PE_MMA_COL);
    PE_SHARED_BF16(dzt, PE_ATTENTION_DIM * PE_MMA_COL);
    PE_SHARED_BF16(dss, PE_MMA_HALF * PE_MMA_COL);
    PE_SHARED_F32(lses, PE_ATTENTION_MAX_LEN);
    PE_SHARED_F32(ds, PE_ATTENTION_MAX_LEN);  // D_i = dz_i · z_i
    __shared__ float key_bias[PE_ATTENTION_MAX_LEN];
    __shared__ float rel_s[2 * PE_ATTENTION_MAX_LEN - 1];
    __shared__ float drel_s[2 * PE_ATTENTION_MAX_LEN - 1];  // this block's Σ dS over each offset j − i
    const long long bh = blockIdx.x, b = bh / a.heads, h = bh % a.heads;
    const int t_len = (int)a.t, s_len = (int)a.s;
    const long long z_row = a.heads * PE_ATTENTION_DIM;  // z, dz (B, T, H, 16) contiguous
    pe_mma_stage(qs, qt, q + b * a.q_b + h * a.q_h, t_len, a.q_t);
    pe_mma_stage(nullptr, kt, k + b * a.k_b + h * a.k_h, s_len, a.k_t);
    pe_mma_stage(dzs, dzt, dz + b * a.t * z_row + h * PE_ATTENTION_DIM, t_len, z_row);
    const pe_attention_bias bias = pe_bias_setup(key_bias, rel_s, slopes, mask, rel, a, b, h);
    if (drel != nullptr)
        for (int e = threadIdx.x; e < t_len + s_len - 1; e += blockDim.x) drel_s[e] = 0.0f;
    for (int r = threadIdx.x; r < PE_ATTENTION_MAX_LEN; r += blockDim.x)
    {
        ds[r] = r < t_len ? pe_attention_row_d(z, dz, a, b, h, r) : 0.0f;
        lses[r] = r < t_len ? lse[bh * a.t + r] : PE_INFINITY;  // +∞: P = 0 for a query past the end
    }
    const unsigned int* block_keep = keep_bits != nullptr ? keep_bits + pe_mma_keep_word(bh, 0, 0, 0, t_len, s_len) : nullptr;
#if PE_MMA_KEEP_SHARED
    __shared__ unsigned int keep_s[PE_MMA_MAX_KEEP_WORDS];
    if (block_keep != nullptr)
    {
        for (int e = threadIdx.x; e < pe_mma_block_keep_words(t_len, s_len); e += blockDim.x) keep_s[e] = block_keep[e];
        block_keep = keep_s;
    }
#endif
    __syncthreads();
    // The shared arrays stay here, outside the templates: each instantiation would get its own copies.
    const pe_mma_bwd_shared sh = {pe_mma_smem_of(qs), pe_mma_smem_of(dzs), pe_mma_smem_of(qt), pe_mma_smem_of(kt), pe_mma_smem_of(dzt), lses, ds,
                                  drel != nullptr ? drel_s : nullptr, pe_mma_smem_of(dss), block_keep};
    const int kind = pe_mma_bias_kind(slopes, mask, rel, bias_kinds);
    if (!pe_mma_whole_tiles(a)) pe_mma_bwd_rows<PE_MMA_BIAS_GENERAL, false>(sh, bias, mask, k, v, dq, dk, dv, a, scale, p);
    else if (kind == PE_MMA_BIAS_GENERAL) pe_mma_bwd_rows<PE_MMA_BIAS_GENERAL, true>(sh, bias, mask, k, v, dq, dk, dv, a, scale, p);
    else if (kind == PE_MMA_BIAS_SLOPES) pe_mma_bwd_rows<PE_MMA_BIAS_SLOPES, true>(sh, bias, mask, k, v, dq, dk, dv, a, scale, p);
    else if (kind == PE_MMA_BIAS_TABLE) pe_mma_bwd_rows<PE_MMA_BIAS_TABLE, true>(sh, bias, mask, k, v, dq, dk, dv, a, scale, p);
    else pe_mma_bwd_rows<PE_MMA_BIAS_NONE, true>(sh, bias, mask, k, v, dq, dk, dv, a, scale, p);
    if (drel != nullptr)  // one global add per offset and block into the fp32 (2·max_len − 1, H) gradient
    {
        __syncthreads();
        for (int e = threadIdx.x; e < t_len + s_len - 1; e += blockDim.x)
            atomicAdd(drel + (a.rel_zero - (a.t - 1) + e) * a.heads + h, drel_s[e]);
    }
}

// PE_MMA_FWD_BLOCKS blocks of 8 warps per SM (above): all 128 keys' scores at once took 122 registers, two blocks per
// SM (ptxas -v, sm_90); the online softmax over chunks of keys is what makes room.
extern "C" __global__ void __launch_bounds__(256, PE_MMA_FWD_BLOCKS)
    attention_mma_fwd_bf16(const pe_bf16* q, const pe_bf16* k, const pe_bf16* v, const float* slopes, const pe_bf16* mask,
                           const pe_bf16* rel, const long long* seed_ptr, pe_bf16* z, float* lse, long long t, long long s,
                           long long heads, long long q_b, long long q_h, long long q_t, long long k_b, long long k_h,
                           long long k_t, long long v_b, long long v_h, long long v_t, long long m_b, long long m_t,
                           long long m_s, long long rel_zero, double scale, double p, unsigned int* keep_bits,
                           long long bias_kinds)
{
    const pe_attention_shape a = {t, s, heads, q_b, q_h, q_t, k_b, k_h, k_t, v_b, v_h, v_t, m_b, m_t, m_s, rel_zero};
    pe_mma_attention_fwd(q, k, v, slopes, mask, rel, seed_ptr, z, lse, keep_bits, bias_kinds, a, (float)scale, (float)p);
}

// PE_MMA_BWD_BLOCKS blocks of 8 warps per SM (above): with 4 query tiles a step ptxas gave it 140 registers unbounded,
// one block per SM (bench/probe/ncu_attention.sh on an H200).
extern "C" __global__ void __launch_bounds__(256, PE_MMA_BWD_BLOCKS)
    attention_mma_bwd_bf16(const pe_bf16* q, const pe_bf16* k, const pe_bf16* v, const float* slopes, const pe_bf16* mask,
                           const pe_bf16* rel, const long long* seed_ptr, const pe_bf16* z, const pe_bf16* dz,
                           const float* lse, pe_bf16* dq, pe_bf16* dk, pe_bf16* dv, float* drel, long long t, long long s,
                           long long heads, long long q_b, long long q_h, long long q_t, long long k_b, long long k_h,
                           long long k_t, long long v_b, long long v_h, long long v_t, long long m_b, long long m_t,
                           long long m_s, long long rel_zero, double scale, double p, const unsigned int* keep_bits,
                           long long bias_kinds)
{
    const pe_attention_shape a = {t, s, heads, q_b, q_h, q_t, k_b, k_h, k_t, v_b, v_h, v_t, m_b, m_t, m_s, rel_zero};
    pe_mma_attention_bwd(q, k, v, slopes, mask, rel, z, dz, lse, dq, dk, dv, drel, keep_bits, bias_kinds, a, (float)scale, (float)p);
}
