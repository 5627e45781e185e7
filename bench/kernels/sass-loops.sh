#!/usr/bin/env bash
# The run-time attention kernels' inner loops as nvcc compiles them, without a GPU: ptxas's registers and spills, and
# each tensor-core loop's instruction mix (sass_loops.py), for mma_attention.cu under the given macro definitions (the
# same -D options PE_NVRTC_DEFINES passes to NVRTC). How this repository weighed kernel changes in a session that had no
# device (BENCHMARKS.md): fewer instructions a loop is not a measured speed-up, only a reason to time one.
#
#   bench/kernels/sass-loops.sh [ARCH] [DEFINE...]       e.g. sass-loops.sh sm_90 PE_MMA_LDMATRIX=0
#
# Needs nvcc and cuobjdump on PATH (Debian 12: nvidia-cuda-toolkit from the non-free component, CUDA 11.8, whose nvcc
# refuses g++ 12: clang-14 is used as host compiler when present). ARCH defaults to sm_90.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$here/../../src/PeTools.Torch/Kernels
arch=${1:-sm_90}
(($# > 0)) && shift
flags=()
for d in "$@"; do flags+=("-D$d"); done
host=()
command -v clang-14 >/dev/null && host=(-ccbin clang-14)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
nvcc "${host[@]}" -cubin -arch="$arch" -O3 --std=c++17 --fmad=true "${flags[@]}" -Xptxas -v -I "$src" \
  -o "$work/mma.cubin" "$src/mma_attention.cu" 2>&1 | grep -E "Compiling entry|registers|spill" | sed -E 's/^ptxas info *: //'
for kernel in attention_mma_fwd_bf16 attention_mma_bwd_bf16; do
  echo
  echo "### $kernel ($arch${*:+, $*})"
  cuobjdump -sass -fun "$kernel" "$work/mma.cubin" >"$work/$kernel.sass"
  python3 "$here/sass_loops.py" "$work/$kernel.sass"
done
