// CPU emulation of the CUDA C that run-time kernels use, for tests/PeTools.Torch.Tests/Kernels/KernelEmulator.cs:
// g++ compiles every kernel source (src/PeTools.Torch/Kernels/*.cu, byte for byte what NVRTC compiles) after this
// header. Two ways to run a grid, blocks always one after another:
//   pe_emulate          every thread of a block in turn, for kernels whose threads never wait for one another;
//                       __syncthreads and shuffles abort there, so a kernel cannot pass by accident;
//   pe_emulate_threads  one std::thread per CUDA thread and a barrier per block, for kernels that exchange values
//                       (__syncthreads, __shfl_xor_sync). A shuffle is emulated through a block-wide exchange, so it
//                       needs every thread of the block to reach it, as the kernels here are written to.
// __shared__ is a function-local static: one copy, which is exact because blocks run one at a time.
#pragma once
#include <atomic>
#include <barrier>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

struct pe_dim3 { unsigned int x, y, z; };
static thread_local pe_dim3 blockIdx, threadIdx, blockDim, gridDim;

#define __global__
#define __launch_bounds__(...)  // a register budget for nvcc; nothing to emulate
#define __device__
#define __forceinline__ inline
#define __shared__ static

static inline float __uint_as_float(unsigned int u) { float f; std::memcpy(&f, &u, 4); return f; }
static inline unsigned int __float_as_uint(float f) { unsigned int u; std::memcpy(&u, &f, 4); return u; }
static inline float rsqrtf(float x) { return 1.0f / std::sqrt(x); }
static inline float atomicAdd(float* p, float v) { return std::atomic_ref<float>(*p).fetch_add(v); }

// The block a thread of pe_emulate_threads belongs to: its barrier and the exchange slots of shuffles and of the
// tensor-core fragments (six words a thread).
struct pe_block_state { std::barrier<>* barrier; std::vector<float>* exchange; std::vector<unsigned int>* fragments; };
static thread_local pe_block_state* pe_block = nullptr;

static inline void __syncthreads()
{
    if (pe_block == nullptr)
    {
        std::fprintf(stderr, "cuda_emulation.h: __syncthreads or a shuffle in a kernel emulated without threads\n");
        std::abort();
    }
    pe_block->barrier->arrive_and_wait();
}

static inline float __shfl_xor_sync(unsigned int, float v, int lane_mask)
{
    __syncthreads();                                   // every earlier exchange has been read
    const unsigned int t = threadIdx.x;
    (*pe_block->exchange)[t] = v;
    __syncthreads();                                   // every value of this exchange is written
    const unsigned int partner = (t & ~31u) | ((t & 31u) ^ (unsigned int)lane_mask);
    return partner < blockDim.x ? (*pe_block->exchange)[partner] : v;
}

// pe_common.cuh's tensor-core product (mma.sync m16n8k16, bf16 in, fp32 accumulate) over the fragments of the calling
// thread's warp, exchanged through the block like a shuffle: every thread of the block must reach it.
static inline void pe_mma_bf16_16816(float* d, const unsigned int* a, const unsigned int* b, const float* c)
{
    __syncthreads();                                   // every earlier exchange has been read
    const unsigned int tid = threadIdx.x;
    unsigned int* words = pe_block->fragments->data();
    for (int i = 0; i < 4; i++) words[tid * 6 + i] = a[i];
    words[tid * 6 + 4] = b[0];
    words[tid * 6 + 5] = b[1];
    __syncthreads();                                   // every fragment of this exchange is written
    auto lo = [](unsigned int w) { return __uint_as_float(w << 16); };
    auto hi = [](unsigned int w) { return __uint_as_float(w & 0xffff0000u); };
    float A[16][16], B[16][8];
    const unsigned int warp = tid & ~31u;
    for (unsigned int l = 0; l < 32; l++)
    {
        const unsigned int* f = words + (warp + l) * 6;
        const unsigned int g = l >> 2, t = l & 3u;
        A[g][2 * t] = lo(f[0]); A[g][2 * t + 1] = hi(f[0]);
        A[g + 8][2 * t] = lo(f[1]); A[g + 8][2 * t + 1] = hi(f[1]);
        A[g][2 * t + 8] = lo(f[2]); A[g][2 * t + 9] = hi(f[2]);
        A[g + 8][2 * t + 8] = lo(f[3]); A[g + 8][2 * t + 9] = hi(f[3]);
        B[2 * t][g] = lo(f[4]); B[2 * t + 1][g] = hi(f[4]);
        B[2 * t + 8][g] = lo(f[5]); B[2 * t + 9][g] = hi(f[5]);
    }
    const unsigned int lane = tid & 31u, g = lane >> 2, t = lane & 3u;
    float out[4];
    for (int e = 0; e < 4; e++)
    {
        const unsigned int row = g + (e >= 2 ? 8 : 0), col = 2 * t + (e & 1);
        float acc = c[e];
        for (int k = 0; k < 16; k++) acc += A[row][k] * B[k][col];
        out[e] = acc;
    }
    for (int e = 0; e < 4; e++) d[e] = out[e];
}

// pe_common.cuh's ldmatrix and stmatrix (.x4, 16-bit elements) over the calling thread's warp: each lane's row address
// (and for stmatrix its four words) exchanged through the block like a fragment, so every thread of the block must
// reach them. An address is the pointer itself (pe_shared_base). One that is not 16-byte aligned aborts, as the GPU
// would fault.
typedef std::uintptr_t pe_shared_base;

static inline pe_shared_base pe_shared_base_of(const void* p) { return reinterpret_cast<std::uintptr_t>(p); }

static inline void pe_post_matrix_row(pe_shared_base row, const unsigned int* frag)
{
    if (row % 16 != 0)
    {
        std::fprintf(stderr, "cuda_emulation.h: ldmatrix/stmatrix row address %#zx is not 16-byte aligned\n", (std::size_t)row);
        std::abort();
    }
    __syncthreads();                                   // every earlier exchange has been read
    unsigned int* words = pe_block->fragments->data() + threadIdx.x * 6;
    std::memcpy(words, &row, sizeof row);
    if (frag != nullptr) std::memcpy(words + 2, frag, 16);
    __syncthreads();                                   // every row of this exchange is posted
}

// The row that lane `lane` of the calling thread's warp posted.
static inline unsigned short* pe_posted_row(unsigned int lane)
{
    pe_shared_base row;
    std::memcpy(&row, pe_block->fragments->data() + ((threadIdx.x & ~31u) + lane) * 6, sizeof row);
    return reinterpret_cast<unsigned short*>(row);
}

static inline void pe_ldmatrix_x4(unsigned int* frag, pe_shared_base row)
{
    pe_post_matrix_row(row, nullptr);
    const unsigned int lane = threadIdx.x & 31u;
    for (unsigned int m = 0; m < 4; m++) std::memcpy(frag + m, pe_posted_row(8 * m + lane / 4) + 2 * (lane % 4), 4);
}

static inline void pe_stmatrix_x4_trans(pe_shared_base row, const unsigned int* frag)
{
    pe_post_matrix_row(row, frag);
    // This lane's row is row r of matrix m in memory, column r of the fragments' matrix m: its element c is half r & 1
    // of word m of lane 4c + r / 2.
    const unsigned int lane = threadIdx.x & 31u, m = lane / 8, r = lane % 8;
    const unsigned int* words = pe_block->fragments->data() + (threadIdx.x & ~31u) * 6;
    unsigned short* out = reinterpret_cast<unsigned short*>(row);
    for (unsigned int c = 0; c < 8; c++)
    {
        const unsigned int w = words[(4 * c + r / 2) * 6 + 2 + m];
        out[c] = (unsigned short)(r & 1 ? w >> 16 : w & 0xffffu);
    }
}

// One 64-bit slot per argument, as CudaDriver.Launch passes them: pointers and integers by value, floating point
// by bit pattern.
template <typename A> static A pe_arg(long long v)
{
    if constexpr (std::is_pointer_v<A>) return reinterpret_cast<A>(v);
    else if constexpr (std::is_floating_point_v<A>)
    {
        static_assert(sizeof(A) == 8, "floating-point kernel arguments are double (one 64-bit slot)");
        A a;
        std::memcpy(&a, &v, 8);
        return a;
    }
    else return static_cast<A>(v);
}

template <typename... A, std::size_t... I>
static void pe_call(void (*kernel)(A...), const long long* args, std::index_sequence<I...>) { kernel(pe_arg<A>(args[I])...); }

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

template <typename... A>
static void pe_emulate_threads(void (*kernel)(A...), unsigned int gx, unsigned int gy, unsigned int bx, const long long* args)
{
    for (unsigned int y = 0; y < gy; y++)
        for (unsigned int x = 0; x < gx; x++)
        {
            std::barrier<> barrier((std::ptrdiff_t)bx);
            std::vector<float> exchange(bx);
            std::vector<unsigned int> fragments(6 * bx);
            pe_block_state state{&barrier, &exchange, &fragments};
            std::vector<std::thread> threads;
            threads.reserve(bx);
            for (unsigned int t = 0; t < bx; t++)
                threads.emplace_back([&, t, x, y] {
                    pe_block = &state;
                    gridDim = {gx, gy, 1};
                    blockDim = {bx, 1, 1};
                    blockIdx = {x, y, 0};
                    threadIdx = {t, 0, 0};
                    pe_call(kernel, args, std::index_sequence_for<A...>{});
                    barrier.arrive_and_drop();         // a finished thread no longer holds the others' barriers
                });
            for (auto& thread : threads) thread.join();
        }
}

#define PE_EXPORT(NAME) \
    extern "C" void emulate_##NAME(unsigned int gx, unsigned int gy, unsigned int bx, const long long* args) \
    { pe_emulate(NAME, gx, gy, bx, args); }

#define PE_EXPORT_THREADS(NAME) \
    extern "C" void emulate_##NAME(unsigned int gx, unsigned int gy, unsigned int bx, const long long* args) \
    { pe_emulate_threads(NAME, gx, gy, bx, args); }
