// CPU emulation of the CUDA C that run-time kernels use, for tests/PeTools.Torch.Tests/Kernels/KernelEmulator.cs:
// g++ compiles a kernel source (src/PeTools.Torch/Kernels/*.cu, byte for byte what NVRTC compiles) after this header,
// and pe_emulate runs every (block, thread) of a grid one after another. That is exact for kernels whose threads never
// wait for one another (no __syncthreads, shuffles or shared memory), which is what this header allows: a kernel that
// uses more fails to compile here rather than passing by accident.
#pragma once
#include <cmath>
#include <cstring>
#include <cstdint>
#include <type_traits>
#include <utility>

struct pe_dim3 { unsigned int x, y, z; };
static thread_local pe_dim3 blockIdx, threadIdx, blockDim, gridDim;

#define __global__
#define __device__
#define __forceinline__ inline

static inline float __uint_as_float(unsigned int u) { float f; std::memcpy(&f, &u, 4); return f; }
static inline unsigned int __float_as_uint(float f) { unsigned int u; std::memcpy(&u, &f, 4); return u; }

template <typename A> static A pe_arg(long long v)
{
    if constexpr (std::is_pointer_v<A>) return reinterpret_cast<A>(v);
    else return static_cast<A>(v);
}

template <typename... A, std::size_t... I>
static void pe_call(void (*kernel)(A...), const long long* args, std::index_sequence<I...>) { kernel(pe_arg<A>(args[I])...); }

// Every (block, thread) of the grid in turn; every argument is one 64-bit slot, as CudaDriver.Launch passes them.
template <typename... A>
static void pe_emulate(void (*kernel)(A...), unsigned int gx, unsigned int gy, unsigned int bx, const long long* args)
{
    gridDim = {gx, gy, 1};
    blockDim = {bx, 1, 1};
    for (unsigned int y = 0; y < gy; y++)
        for (unsigned int x = 0; x < gx; x++)
        {
            blockIdx = {x, y, 0};
            for (unsigned int t = 0; t < bx; t++)
            {
                threadIdx = {t, 0, 0};
                pe_call(kernel, args, std::index_sequence_for<A...>{});
            }
        }
}

#define PE_EXPORT(NAME) \
    extern "C" void emulate_##NAME(unsigned int gx, unsigned int gy, unsigned int bx, const long long* args) \
    { pe_emulate(NAME, gx, gy, bx, args); }
