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
