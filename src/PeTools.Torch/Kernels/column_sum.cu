// Column sums of a contiguous (rows, d) tensor, compiled at run time by NVRTC (Kernels/FusedLinear.cs) and, on CPU, by
// g++ under tests/PeTools.Torch.Tests/Kernels/cuda_emulation.h. fp32 sums whatever the storage type (bf16: its bit
// pattern, pe_common.cuh), as libtorch's own reductions accumulate.
//
// Why: a Linear layer's bias gradient is the column sum of its output gradient over every token (65,536 rows at the
// paper's batch), and libtorch's reduction over the outer dim took about 72 µs per bias on an H200, ten times what
// reading the gradient once costs (examples/results/gpu/kernels-h200/profile.csv: 2.6 ms of a 21.3 ms step).
//
// column_sum_partial_*: grid (ceil(d / blockDim.x), chunks): thread → column, blockIdx.y → rows
//                       [y·rows_per_chunk, (y+1)·rows_per_chunk); partial (chunks, d) fp32.
// column_sum_finish_*:  out_p (d) in the storage type = Σ over the chunks of plane p of partial (planes, chunks, d)
//                       fp32, rounded once; plane 0 into out0, plane 1 into out1. Grid (ceil(d / 32), planes) blocks of
//                       256 threads: 32 columns × 8 groups of chunks, the groups added in shared memory. It replaces
//                       libtorch's reduction plus a cast kernel (two launches of about 8 µs together per bias at the
//                       paper's size on an H200); two planes finish a LayerNorm's γ and β in one launch.
//                       Where bit p of add_mask is set, plane p's total is ADDED to what out_p holds, still rounded
//                       once: out = round(float(out) + total). A backward then puts a parameter's gradient straight
//                       into its .grad and hands autograd none, which saves libtorch's AccumulateGrad its add kernel
//                       (FastPaths.ParameterGradientsInPlace). With out = 0 this is exactly the plain sum:
//                       round(0 + total) = round(total).

#include "pe_common.cuh"

template <typename T>
__device__ __forceinline__ void pe_column_sum_partial(const T* g, float* partial, long long rows, long long d,
                                                      long long rows_per_chunk)
{
    const long long c = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= d) return;
    const long long first = (long long)blockIdx.y * rows_per_chunk;
    const long long last = first + rows_per_chunk < rows ? first + rows_per_chunk : rows;
    float sum = 0.0f;
    for (long long r = first; r < last; r++) sum += pe_load(g + r * d + c);
    partial[(long long)blockIdx.y * d + c] = sum;
}

extern "C" __global__ void column_sum_partial_f32(const float* g, float* partial, long long rows, long long d,
                                                  long long rows_per_chunk)
{
    pe_column_sum_partial(g, partial, rows, d, rows_per_chunk);
}

extern "C" __global__ void column_sum_partial_bf16(const pe_bf16* g, float* partial, long long rows, long long d,
                                                   long long rows_per_chunk)
{
    pe_column_sum_partial(g, partial, rows, d, rows_per_chunk);
}

// column_sum_partial16_*: the same partial sums read 16 bytes at a time (8 bf16 or 4 fp32 columns a load), for d a
//                       multiple of that and g 16-byte aligned (the host checks). Grid (ceil(d / (32·E)), chunks),
//                       E = 16 / sizeof(T), blocks of 256 threads: lane → E columns, warp w of 8 → the chunk's rows
//                       first + w, first + w + 8, …; the 8 warps' sums added in shared memory, one thread a column.
//                       Why: the scalar kernel's 2-byte loads (a warp reads 64 contiguous bytes a row) reached about
//                       1.7 TB/s on an H200 (19 µs for a 65,536 × 256 bf16 gradient, 25 launches 0.48 ms of a 10.3 ms
//                       step, examples/results/gpu/attention-bits-h200/2-lane-words-3fa8236/profile-variant1.md); here
//                       a warp reads 512 contiguous bytes of a row in one instruction.
// relu_grad_column_sum_partial16_*: the same over dh = g where a > 0, else 0 (ReLU's backward from its output a, as
//                       libtorch's threshold_backward), which it also writes (like g): a projection followed by ReLU gets
//                       its pre-activation gradient and its bias's partial sums in one pass over g and a
//                       (FusedLinear.ApplyRelu), where threshold_backward wrote dh and this kernel read it again.
template <typename T, bool Relu>
__device__ __forceinline__ void pe_column_sum_partial16(const T* g, const T* a, T* dh, float* partial, long long rows, long long d,
                                                        long long rows_per_chunk)
{
    constexpr int E = 16 / sizeof(T);
    __shared__ float warp_sums[8][E][32]; // [warp][element of the lane's vector][lane]: lanes write consecutive banks
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const long long vector = (long long)blockIdx.x * 32 + lane, vectors = d / E;
    const long long first = (long long)blockIdx.y * rows_per_chunk;
    const long long last = first + rows_per_chunk < rows ? first + rows_per_chunk : rows;
    float sum[E];
    PE_UNROLL
    for (int e = 0; e < E; e++) sum[e] = 0.0f;
    if (vector < vectors)
    {
        const T* column = g + vector * E;
#ifdef __CUDACC__
#pragma unroll 4
#endif
        for (long long r = first + warp; r < last; r += 8)
        {
            float f[E];
            pe_unpack16(pe_load_global16(column + r * d), f, g);
            if (Relu)
            {
                float out[E];
                pe_unpack16(pe_load_global16(a + r * d + vector * E), out, a);
                PE_UNROLL
                for (int e = 0; e < E; e++) f[e] = out[e] > 0.0f ? f[e] : 0.0f;
                pe_vec16 packed;
                pe_pack16(packed, f, dh);
                *(pe_vec16*)(dh + r * d + vector * E) = packed;
            }
            PE_UNROLL
            for (int e = 0; e < E; e++) sum[e] += f[e];
        }
    }
    PE_UNROLL
    for (int e = 0; e < E; e++) warp_sums[warp][e][lane] = sum[e];
    __syncthreads();
    // Thread t sums column t of the block's 32·E: lane t / E's element t % E.
    const int t = threadIdx.x;
    const long long c = (long long)blockIdx.x * 32 * E + t;
    if (t < 32 * E && c < d)
    {
        float total = 0.0f;
        for (int w = 0; w < 8; w++) total += warp_sums[w][t % E][t / E];
        partial[(long long)blockIdx.y * d + c] = total;
    }
}

extern "C" __global__ void column_sum_partial16_f32(const float* g, float* partial, long long rows, long long d,
                                                    long long rows_per_chunk)
{
    pe_column_sum_partial16<float, false>(g, nullptr, nullptr, partial, rows, d, rows_per_chunk);
}

extern "C" __global__ void column_sum_partial16_bf16(const pe_bf16* g, float* partial, long long rows, long long d,
                                                     long long rows_per_chunk)
{
    pe_column_sum_partial16<pe_bf16, false>(g, nullptr, nullptr, partial, rows, d, rows_per_chunk);
}

extern "C" __global__ void relu_grad_column_sum_partial16_f32(const float* g, const float* a, float* dh, float* partial,
                                                              long long rows, long long d, long long rows_per_chunk)
{
    pe_column_sum_partial16<float, true>(g, a, dh, partial, rows, d, rows_per_chunk);
}

extern "C" __global__ void relu_grad_column_sum_partial16_bf16(const pe_bf16* g, const pe_bf16* a, pe_bf16* dh, float* partial,
                                                               long long rows, long long d, long long rows_per_chunk)
{
    pe_column_sum_partial16<pe_bf16, true>(g, a, dh, partial, rows, d, rows_per_chunk);
}

template <typename T>
__device__ __forceinline__ void pe_column_sum_finish(const float* partial, T* out0, T* out1, long long chunks, long long d,
                                                     long long add_mask)
{
    __shared__ float group_sums[8][32];
    const unsigned int column_in_block = threadIdx.x & 31u, group = threadIdx.x >> 5, plane = blockIdx.y;
    const long long c = (long long)blockIdx.x * 32 + column_in_block;
    const float* rows = partial + (long long)plane * chunks * d;
    float sum = 0.0f;
    if (c < d)
        for (long long k = group; k < chunks; k += 8) sum += rows[k * d + c];
    group_sums[group][column_in_block] = sum;
    __syncthreads();
    if (group == 0 && c < d)
    {
        float total = 0.0f;
        for (int g = 0; g < 8; g++) total += group_sums[g][column_in_block];
        T* out = plane == 0 ? out0 : out1;
        if ((add_mask >> plane) & 1) total = pe_load(out + c) + total;
        pe_store(out + c, total);
    }
}

extern "C" __global__ void column_sum_finish_f32(const float* partial, float* out0, float* out1, long long chunks, long long d,
                                                 long long add_mask)
{
    pe_column_sum_finish(partial, out0, out1, chunks, d, add_mask);
}

extern "C" __global__ void column_sum_finish_bf16(const float* partial, pe_bf16* out0, pe_bf16* out1, long long chunks,
                                                  long long d, long long add_mask)
{
    pe_column_sum_finish(partial, out0, out1, chunks, d, add_mask);
}
