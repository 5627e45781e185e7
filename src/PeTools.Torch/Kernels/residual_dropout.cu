// The residual connection with dropout on the branch, out = x + drop(y), compiled at run time by NVRTC
// (Kernels/FusedResidualDropout.cs) and, on CPU, by g++ under tests/PeTools.Torch.Tests/Kernels/cuda_emulation.h.
//
// Why: libtorch runs it as two kernels, dropout (reads y, writes y' and a byte mask) then the add (reads x and y',
// writes out): 12 of each per step of the paper's model, about 0.7 ms of a 13.7 ms bf16 step on an H200
// (examples/results/gpu/profile-h200). Here one pass reads x and y and writes out; the mask is never stored: the
// backward recomputes it from the seed (dy = drop(g); dx = g needs no kernel).
//
// drop(y)_i = keep_i ? y_i / (1 − p) : 0, keep_i when pe_keep(pe_block_key(seed, i >> 16), i & 0xffff, p·2^32)
// (pe_common.cuh), with seed an int64 libtorch drew on the device (no host synchronisation); p = 0 keeps everything
// and reads no seed. Every tensor is contiguous with n elements. Each thread takes 16 bytes (8 bf16 or 4 fp32) with
// 128-bit accesses where `aligned` says every base pointer is 16-byte aligned, else element by element; the sum is fp32
// and rounds once.

#include "pe_common.cuh"

// The factor element i's branch value is multiplied by: its keep decision under `key`, the key of its block of 2^16
// elements (one per thread: a thread's elements never straddle two blocks, since 16 bytes of elements divide 2^16).
__device__ __forceinline__ float pe_drop_factor(unsigned int key, unsigned long long i, unsigned int threshold, float scale)
{
    if (threshold == 0u) return scale;
    return pe_keep(key, (unsigned int)(i & 0xffffu), threshold) ? scale : 0.0f;
}

// out = x + drop(y) (x non-null), or out = drop(y) (x null: the backward's dy = drop(g)).
template <typename T>
__device__ __forceinline__ void pe_residual_dropout(const T* x, const T* y, const long long* seed_ptr, T* out,
                                                    long long n, double p, long long aligned)
{
    constexpr unsigned int lanes = 16 / sizeof(T);
    const unsigned long long first = ((unsigned long long)blockIdx.x * blockDim.x + threadIdx.x) * lanes;
    if (first >= (unsigned long long)n) return;
    const unsigned int threshold = pe_keep_threshold(p);
    const float scale = p > 0.0 ? (float)(1.0 / (1.0 - p)) : 1.0f;
    // The block key costs two hashes and each decision one: computed per element, the keys made the kernel compute-bound
    // (37 µs a call against about 17 µs of memory traffic at the paper's size on an H200).
    const unsigned int key = threshold != 0u ? pe_block_key((unsigned long long)*seed_ptr, first >> 16) : 0u;
    if (aligned && first + lanes <= (unsigned long long)n)
    {
        float yf[lanes], xf[lanes], of[lanes];
        pe_unpack16(pe_load_global16(y + first), yf, y);
        if (x != nullptr) pe_unpack16(pe_load_global16(x + first), xf, x);
        for (unsigned int k = 0; k < lanes; k++)
        {
            const float dropped = yf[k] * pe_drop_factor(key, first + k, threshold, scale);
            of[k] = x != nullptr ? xf[k] + dropped : dropped;
        }
        pe_vec16 o;
        pe_pack16(o, of, out);
        *(pe_vec16*)(out + first) = o;
        return;
    }
    for (unsigned long long i = first; i < first + lanes && i < (unsigned long long)n; i++)
    {
        const float dropped = pe_load(y + i) * pe_drop_factor(key, i, threshold, scale);
        pe_store(out + i, x != nullptr ? pe_load(x + i) + dropped : dropped);
    }
}

extern "C" __global__ void residual_dropout_f32(const float* x, const float* y, const long long* seed_ptr, float* out,
                                                long long n, double p, long long aligned)
{
    pe_residual_dropout(x, y, seed_ptr, out, n, p, aligned);
}

extern "C" __global__ void residual_dropout_bf16(const pe_bf16* x, const pe_bf16* y, const long long* seed_ptr, pe_bf16* out,
                                                 long long n, double p, long long aligned)
{
    pe_residual_dropout(x, y, seed_ptr, out, n, p, aligned);
}
