#!/usr/bin/env bash
# Why is a run-time attention kernel slow? On the GPU machine (nvcc and Nsight Compute there), in one go:
# ptxas's resource report of mma_attention.cu and small_attention.cu compiled as NVRTC compiles them (sm_90,
# --std=c++17, fmad), then Nsight Compute on a real pe-train bench step for the first forward and backward launch of
# KERNEL (default attention_mma): speed of light, occupancy, launch statistics and the warp stall reasons.
#
#   bench/probe/ncu_attention.sh BIN OUT [KERNEL]      # BIN: the unpacked `make gpu-bundle`; OUT: resources.txt, ncu.txt
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$1 out=$2 kernel=${3:-attention_mma}
src=$here/../../src/PeTools.Torch/Kernels
mkdir -p "$out"
for f in mma_attention small_attention; do
  nvcc -cubin -arch=sm_90 --std=c++17 --fmad=true -Xptxas -v -I "$src" -o /tmp/$f.cubin "$src/$f.cu" 2>&1 | grep -E 'Function properties|registers|spill|Compiling entry' 
done >"$out/resources.txt" 2>&1
ncu --clock-control none -k "regex:$kernel" --launch-count 2 --section SpeedOfLight --section Occupancy --section LaunchStats \
  --section WarpStateStats --section MemoryWorkloadAnalysis --section ComputeWorkloadAnalysis \
  "$bin/pe-train" bench --pe nope --device cuda --precision bf16 --fast-paths tc-attn --warmup 1 --min-warmup-s 0 --steps 1 -q \
  >"$out/ncu.txt" 2>&1
