// What every run-time kernel source shares (NVRTC gets it as a named header; the CPU emulation finds it beside the
// sources). Plain C with no CUDA header: bf16 is its bit pattern (unsigned short), converted exactly as c10::BFloat16
// does (round to nearest even, NaN kept quiet), so an fp32 result rounds to the same bf16 libtorch would store.
#pragma once

typedef unsigned short pe_bf16;

// Loops over a thread's register arrays have compile-time bounds and unroll fully, so the arrays stay in registers
// (g++, the CPU emulation, has no such pragma).
#ifdef __CUDACC__
#define PE_UNROLL _Pragma("unroll")
#else
#define PE_UNROLL
#endif

__device__ __forceinline__ float pe_bf16_to_float(pe_bf16 v) { return __uint_as_float(((unsigned int)v) << 16); }

__device__ __forceinline__ pe_bf16 pe_float_to_bf16(float f)
{
    unsigned int u = __float_as_uint(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (pe_bf16)0x7fc0;  // NaN
    u += 0x7fffu + ((u >> 16) & 1u);
    return (pe_bf16)(u >> 16);
}

__device__ __forceinline__ float pe_load(const float* p) { return *p; }
__device__ __forceinline__ float pe_load(const pe_bf16* p) { return pe_bf16_to_float(*p); }
__device__ __forceinline__ void pe_store(float* p, float v) { *p = v; }
__device__ __forceinline__ void pe_store(pe_bf16* p, float v) { *p = pe_float_to_bf16(v); }

// 16 bytes of a row as one load or store (a 128-bit access where the address is 16-byte aligned, which the host
// checks): 4 fp32 or 8 bf16, unpacked to and packed from fp32 in element order (little-endian halves for bf16).
struct alignas(16) pe_vec16
{
    unsigned int w[4];
};

// 16 bytes of global memory that the kernel does not write, as one 128-bit load (ld.global.v4.u32) on the GPU. Why not
// *(const pe_vec16*)p: where that value went straight into pe_unpack16's reference, nvcc 11.8 (sm_90) split it into
// four 32-bit loads a lane 16 bytes apart (cuobjdump of residual_dropout.cu, rotation.cu: no LDG.E.128 at all), four
// instructions where one would do, each using a quarter of every sector it touches. p must be 16-byte aligned.
__device__ __forceinline__ pe_vec16 pe_load_global16(const void* p)
{
#ifdef __CUDACC__
    pe_vec16 v;
    asm("ld.global.v4.u32 {%0, %1, %2, %3}, [%4];" : "=r"(v.w[0]), "=r"(v.w[1]), "=r"(v.w[2]), "=r"(v.w[3]) : "l"(p));
    return v;
#else
    return *(const pe_vec16*)p;
#endif
}

__device__ __forceinline__ void pe_unpack16(const pe_vec16& v, float* f, const float*)
{
    for (int i = 0; i < 4; i++) f[i] = __uint_as_float(v.w[i]);
}

__device__ __forceinline__ void pe_unpack16(const pe_vec16& v, float* f, const pe_bf16*)
{
    for (int i = 0; i < 4; i++)
    {
        f[2 * i] = __uint_as_float(v.w[i] << 16);
        f[2 * i + 1] = __uint_as_float(v.w[i] & 0xffff0000u);
    }
}

__device__ __forceinline__ void pe_pack16(pe_vec16& v, const float* f, const float*)
{
    for (int i = 0; i < 4; i++) v.w[i] = __float_as_uint(f[i]);
}

__device__ __forceinline__ void pe_pack16(pe_vec16& v, const float* f, const pe_bf16*)
{
    for (int i = 0; i < 4; i++)
        v.w[i] = (unsigned int)pe_float_to_bf16(f[2 * i]) | ((unsigned int)pe_float_to_bf16(f[2 * i + 1]) << 16);
}

// Dropout bits shared by every kernel that drops (small_attention.cu, residual_dropout.cu) and reproduced on the host
// by DropoutHash.cs for the oracles: a block of up to 2^16 decisions gets one 32-bit key of (seed, block index), and
// each decision one hash of its index in the block.
// pe_hash32 after its first step, x ^= x >> 16: apart so that a kernel which can take that step once for many inputs
// (mma_attention.cu's pe_mma_keep) runs the same mix.
__device__ __forceinline__ unsigned int pe_hash32_mix(unsigned int x)
{
    x *= 0x7feb352du;
    x ^= x >> 15;
    x *= 0x846ca68bu;
    x ^= x >> 16;
    return x;
}

// "lowbias32" (C. Wellons' hash-prospector): a full-avalanche 32-bit mix, two multiplies.
__device__ __forceinline__ unsigned int pe_hash32(unsigned int x) { return pe_hash32_mix(x ^ (x >> 16)); }

// The key of block `block` (attention: b·H + h, its weights indexed i·S + j < 2^14; residual dropout: element >> 16).
// Indices below 2^32 are distinct inputs to a bijection. True keeps the value.
__device__ __forceinline__ unsigned int pe_block_key(unsigned long long seed, unsigned long long block)
{
    return pe_hash32((unsigned int)seed ^ pe_hash32((unsigned int)block + (unsigned int)(seed >> 32)));
}

// pe_keep's threshold for dropout probability p: p·2^32 (DropoutHash.Threshold on the host).
__device__ __forceinline__ unsigned int pe_keep_threshold(double p) { return (unsigned int)(p * 4294967296.0); }

__device__ __forceinline__ bool pe_keep(unsigned int key, unsigned int index, unsigned int threshold)
{
    return pe_hash32(index ^ key) >= threshold;
}

// Attention dropout takes one hash per pair of neighbouring keys of a query row: weights (i, 2n) and (i, 2n + 1) are
// decided by the low and the high 16 bits of the hash of pair index i·64 + n (< 2^13, as S ≤ 128), each kept when its
// half is at least round(p·2^16). That halves the hashing, which was about a third of the attention forward's
// instructions at dh = 16 (Nsight Compute, H200), at the price of a drop rate rounded to a multiple of 2^-16 (p = 0.1
// drops 6,554 / 65,536 = 0.100006; the kept weights are still scaled by 1 / (1 − p)). DropoutHash.cs mirrors it.
// The threshold is the rounded p·2^16 moved to the top half, so that an odd key compares the hash itself and an even
// key the hash shifted left by 16; it saturates at 65,535 (the host sends p > 65,535 / 65,536 to the composite).
__device__ __forceinline__ unsigned int pe_pair_threshold(double p)
{
    const double t = p * 65536.0 + 0.5;
    return (t >= 65535.0 ? 65535u : (unsigned int)t) << 16;
}

// The pair hash of weights (i, j & ~1) and (i, j | 1), with the block key after pe_hash32's first step (key ^ key >> 16:
// the pair index is below 2^16, so its own first step is that).
__device__ __forceinline__ unsigned int pe_pair_hash(unsigned int mixed_key, int i, int j)
{
    return pe_hash32_mix((unsigned int)(i * 64 + (j >> 1)) ^ mixed_key);
}

// Whether weight (i, j) is kept, from its pair's hash and whether j is odd.
__device__ __forceinline__ bool pe_pair_keep(unsigned int pair_hash, bool odd, unsigned int threshold)
{
    return (odd ? pair_hash : pair_hash << 16) >= threshold;
}

// The factor a kept weight takes under attention dropout p (fp32): 1 / (1 − p), 1 without dropout.
__device__ __forceinline__ float pe_keep_scale(float p) { return p > 0.0f ? 1.0f / (1.0f - p) : 1.0f; }

// pe_block_key after pe_hash32's first step, for pe_pair_hash.
__device__ __forceinline__ unsigned int pe_mixed_key(unsigned int key) { return key ^ (key >> 16); }


// D = A·B + C on the tensor cores, one warp: A 16×16 and B 16×8 bf16, C and D 16×8 fp32, in the fragments of PTX's
// mma.sync.aligned.m16n8k16.row.col (lane = 4·g + t): a[0] = A[g][2t..2t+1], a[1] = A[g+8][2t..], a[2] = A[g][2t+8..],
// a[3] = A[g+8][2t+8..]; b[0] = B[2t..2t+1][g], b[1] = B[2t+8..2t+9][g]; c, d = C[g][2t], C[g][2t+1], C[g+8][2t],
// C[g+8][2t+1]; each 32-bit word holds its first element in the low half. Every lane of the warp must call it. The CPU
// emulation (cuda_emulation.h) defines the same function over the whole warp's fragments.
#ifdef __CUDACC__
__device__ __forceinline__ void pe_mma_bf16_16816(float* d, const unsigned int* a, const unsigned int* b, const float* c)
{
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
                 "{%10, %11, %12, %13};"
                 : "=f"(d[0]), "=f"(d[1]), "=f"(d[2]), "=f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]),
                   "f"(c[0]), "f"(c[1]), "f"(c[2]), "f"(c[3]));
}
#endif

// Four 8 × 8 matrices of 16-bit elements between shared memory and a warp's registers in one instruction (ldmatrix,
// stmatrix .sync.aligned.m8n8.x4): lane l gives the address of row l mod 8 of matrix l / 8 (16 bytes, 16-byte aligned),
// and frag[m] of lane 4·g + t is the word (columns 2t, 2t + 1, the first in the low half) of row g of matrix m: the
// layout of mma.sync's fragments. stmatrix .trans stores each matrix transposed (memory row r holds its column r). One
// instruction where 32-bit shared accesses took four loads (an A fragment, or the B fragments of two 8-row blocks) or
// eight 2-byte stores. Every lane of the warp must call them; the CPU emulation (cuda_emulation.h) defines the same
// functions over the whole warp. stmatrix needs sm_90 (PE_HAS_STMATRIX).
// Addresses are pe_shared_base values plus byte offsets: a shared array's 32-bit shared-window address, converted once
// (pe_shared_base_of) where the kernel starts, since converting a generic pointer at each access cost sm_90 code a
// special-register read and three uniform instructions (nvcc 11.8 SASS). The CPU emulation's is the pointer itself.
#ifdef __CUDACC__
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
#define PE_HAS_STMATRIX 1
#else
#define PE_HAS_STMATRIX 0
#endif
typedef unsigned int pe_shared_base;

__device__ __forceinline__ pe_shared_base pe_shared_base_of(const void* p) { return (unsigned int)__cvta_generic_to_shared(p); }

__device__ __forceinline__ void pe_ldmatrix_x4(unsigned int* frag, pe_shared_base address)
{
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];"
                 : "=r"(frag[0]), "=r"(frag[1]), "=r"(frag[2]), "=r"(frag[3])
                 : "r"(address));
}

#if PE_HAS_STMATRIX
__device__ __forceinline__ void pe_stmatrix_x4_trans(pe_shared_base address, const unsigned int* frag)
{
    asm volatile("stmatrix.sync.aligned.m8n8.x4.trans.shared.b16 [%0], {%1, %2, %3, %4};"
                 :
                 : "r"(address), "r"(frag[0]), "r"(frag[1]), "r"(frag[2]), "r"(frag[3])
                 : "memory");
}
#endif
#else
#define PE_HAS_STMATRIX 1
#endif

// Two values as one word of bf16 (the first in the low half), rounded to nearest even as libtorch rounds. On the GPU
// one cvt.rn.bf16x2.f32 (sm_80+) instead of pe_float_to_bf16's six integer operations a value: it puts its FIRST source
// in the UPPER half, hence (hi, lo). It rounds every finite value and infinity as pe_float_to_bf16 does and differs
// only in a NaN's payload (the hardware's canonical NaN, not 0x7fc0), which no test or result depends on.
__device__ __forceinline__ unsigned int pe_pack_bf16(float lo, float hi)
{
#ifdef __CUDACC__
    unsigned int word;
    asm("cvt.rn.bf16x2.f32 %0, %1, %2;" : "=r"(word) : "f"(hi), "f"(lo));
    return word;
#else
    return (unsigned int)pe_float_to_bf16(lo) | ((unsigned int)pe_float_to_bf16(hi) << 16);
#endif
}
