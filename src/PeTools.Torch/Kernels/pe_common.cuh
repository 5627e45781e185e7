// What every run-time kernel source shares (NVRTC gets it as a named header; the CPU emulation finds it beside the
// sources). Plain C with no CUDA header: bf16 is its bit pattern (unsigned short), converted exactly as c10::BFloat16
// does (round to nearest even, NaN kept quiet), so an fp32 result rounds to the same bf16 libtorch would store.
#pragma once

typedef unsigned short pe_bf16;

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
