// Column sums of a contiguous (rows, d) tensor, compiled at run time by NVRTC (Kernels/FusedLinear.cs) and, on CPU, by
// g++ under tests/PeTools.Torch.Tests/Kernels/cuda_emulation.h. fp32 sums whatever the storage type (bf16: its bit
// pattern, pe_common.cuh), as libtorch's own reductions accumulate.
//
// Why: a Linear layer's bias gradient is the column sum of its output gradient over every token (65,536 rows at the
// paper's batch), and libtorch's reduction over the outer dim took about 72 µs per bias on an H200, ten times what
// reading the gradient once costs (examples/results/gpu/kernels-h200/profile.csv: 2.6 ms of a 21.3 ms step).
//
// column_sum_partial_*: grid (ceil(d / blockDim.x), chunks): thread → column, blockIdx.y → rows
//                       [y·rows_per_chunk, (y+1)·rows_per_chunk); partial (chunks, d) fp32, summed by libtorch.

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
