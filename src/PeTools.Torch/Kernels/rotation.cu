// Fused rotary rotation, compiled at run time by NVRTC (Kernels/FusedRotation.cs) and, on CPU, by g++ under
// tests/PeTools.Torch.Tests/Kernels/cuda_emulation.h (the test that pins this source against RotationTables.Apply).
// bf16 is its bit pattern, converted as libtorch converts it (pe_common.cuh).
//
// rotate_pairs_*: for x (B, H, T, dh) with strides (sb, sh, st, 1) and tables C, S of (T, dh) per head (head stride
// ths, 0 when every head shares one table), one launch writes out in (B, T, H, dh) order, contiguous:
//   forward  (inverse = 0): out_2i = x_2i c_2i + x_2i+1 s_2i,      out_2i+1 = x_2i+1 c_2i+1 + x_2i s_2i+1
//   backward (inverse = 1): out_2i = x_2i c_2i + x_2i+1 s_2i+1,    out_2i+1 = x_2i+1 c_2i+1 + x_2i s_2i
// The forward is RotationTables.Apply (x ∘ C + swap(x) ∘ S); the backward is its transpose, C ∘ g + swap(S ∘ g).
// Grid: one block per (b, t) row, blockIdx.x = b·T + t; threads stride over the H·dh/2 pairs of the row, so
// neighbouring threads read and write neighbouring pairs. Every size fits 32 bits (the host checks); offsets are 64-bit.
//
// rotate_pairs16_*: the same rotation, 16 bytes of x per thread (8 bf16 or 4 fp32: whole pairs) with one 128-bit load
// of x, C and S each and one 128-bit store, over a flat grid of (row, 16-byte chunk) pairs. The scalar kernel moved
// 2 bytes per load and ran at about a quarter of the memory bandwidth (24 launches, 1.19 ms of a 14.8 ms bf16 RoPE
// step on an H200). The host takes it only where every such access is 16-byte aligned: dh, the strides of x and the
// base pointers of x, C and S in multiples of 16 bytes.

#include "pe_common.cuh"

template <typename T>
__device__ __forceinline__ void pe_rotate_row(const T* x, T* out, const T* c, const T* s,
                                              long long t_len, long long heads, long long dh,
                                              long long sb, long long sh, long long st, long long ths, long long inverse)
{
    const unsigned int row = blockIdx.x;                       // b·T + t
    const unsigned int b = row / (unsigned int)t_len;
    const unsigned int t = row - b * (unsigned int)t_len;
    const unsigned int pairs = (unsigned int)(dh / 2);
    const unsigned int per_row = (unsigned int)heads * pairs;
    const T* xrow = x + (long long)b * sb + (long long)t * st;
    T* orow = out + (long long)row * heads * dh;
    for (unsigned int j = threadIdx.x; j < per_row; j += blockDim.x)
    {
        const unsigned int h = j / pairs;
        const unsigned int d = 2 * (j - h * pairs);            // the pair's first dim
        const T* xp = xrow + (long long)h * sh + d;
        const long long tb = (long long)h * ths + (long long)t * dh + d;
        const float x0 = pe_load(xp), x1 = pe_load(xp + 1);
        const float c0 = pe_load(c + tb), c1 = pe_load(c + tb + 1);
        const float s0 = pe_load(s + tb), s1 = pe_load(s + tb + 1);
        const float y0 = inverse ? fmaf(x0, c0, x1 * s1) : fmaf(x0, c0, x1 * s0);
        const float y1 = inverse ? fmaf(x1, c1, x0 * s0) : fmaf(x1, c1, x0 * s1);
        T* op = orow + (long long)h * dh + d;
        pe_store(op, y0);
        pe_store(op + 1, y1);
    }
}

template <typename T>
__device__ __forceinline__ void pe_rotate_row16(const T* x, T* out, const T* c, const T* s,
                                                long long rows, long long t_len, long long heads, long long dh,
                                                long long sb, long long sh, long long st, long long ths, long long inverse)
{
    constexpr unsigned int lanes = 16 / sizeof(T);                             // elements per 16 bytes
    const unsigned int chunks = (unsigned int)(dh / lanes);                     // per head
    const unsigned int per_row = (unsigned int)heads * chunks;
    const unsigned long long i = (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (unsigned long long)rows * per_row) return;
    const unsigned int row = (unsigned int)(i / per_row);                       // b·T + t
    const unsigned int j = (unsigned int)(i - (unsigned long long)row * per_row);
    const unsigned int b = row / (unsigned int)t_len;
    const unsigned int t = row - b * (unsigned int)t_len;
    const unsigned int h = j / chunks;
    const unsigned int d = (j - h * chunks) * lanes;                           // the chunk's first dim (even)
    const long long tb = (long long)h * ths + (long long)t * dh + d;
    float xf[lanes], cf[lanes], sf[lanes], yf[lanes];
    pe_unpack16(pe_load_global16(x + (long long)b * sb + (long long)t * st + (long long)h * sh + d), xf, x);
    pe_unpack16(pe_load_global16(c + tb), cf, c);
    pe_unpack16(pe_load_global16(s + tb), sf, s);
    for (unsigned int k = 0; k < lanes; k += 2)
    {
        yf[k] = inverse ? fmaf(xf[k], cf[k], xf[k + 1] * sf[k + 1]) : fmaf(xf[k], cf[k], xf[k + 1] * sf[k]);
        yf[k + 1] = inverse ? fmaf(xf[k + 1], cf[k + 1], xf[k] * sf[k]) : fmaf(xf[k + 1], cf[k + 1], xf[k] * sf[k + 1]);
    }
    pe_vec16 y;
    pe_pack16(y, yf, out);
    *(pe_vec16*)(out + (long long)row * heads * dh + (long long)h * dh + d) = y;
}

extern "C" __global__ void rotate_pairs16_f32(const float* x, float* out, const float* c, const float* s, long long rows,
                                              long long t_len, long long heads, long long dh,
                                              long long sb, long long sh, long long st, long long ths, long long inverse)
{
    pe_rotate_row16(x, out, c, s, rows, t_len, heads, dh, sb, sh, st, ths, inverse);
}

extern "C" __global__ void rotate_pairs16_bf16(const pe_bf16* x, pe_bf16* out, const pe_bf16* c, const pe_bf16* s,
                                               long long rows, long long t_len, long long heads, long long dh,
                                               long long sb, long long sh, long long st, long long ths, long long inverse)
{
    pe_rotate_row16(x, out, c, s, rows, t_len, heads, dh, sb, sh, st, ths, inverse);
}

extern "C" __global__ void rotate_pairs_f32(const float* x, float* out, const float* c, const float* s,
                                            long long t_len, long long heads, long long dh,
                                            long long sb, long long sh, long long st, long long ths, long long inverse)
{
    pe_rotate_row(x, out, c, s, t_len, heads, dh, sb, sh, st, ths, inverse);
}

extern "C" __global__ void rotate_pairs_bf16(const pe_bf16* x, pe_bf16* out, const pe_bf16* c, const pe_bf16* s,
                                             long long t_len, long long heads, long long dh,
                                             long long sb, long long sh, long long st, long long ths, long long inverse)
{
    pe_rotate_row(x, out, c, s, t_len, heads, dh, sb, sh, st, ths, inverse);
}
