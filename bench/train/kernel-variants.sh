#!/usr/bin/env bash
# Run-time kernels' tuning constants, timed side by side in one run on the GPU machine: for each set of NVRTC macro
# definitions (PE_NVRTC_DEFINES, Nvrtc.cs; e.g. "PE_MMA_STEP=4 PE_MMA_BWD_BLOCKS=2" for mma_attention.cu), ptxas's
# registers and spills of mma_attention.cu compiled with them, and bench/train/profile.sh's step time and attention
# kernel times for each PE; "" is the sources' defaults. How this session chose the tensor-core attention's budgets
# (examples/results/gpu/attention-bits-h200).
#
#   bench/train/kernel-variants.sh BIN OUT PES DEFINES...   e.g. kernel-variants.sh /tmp/b/pe-tools "$OUT" nope,alibi "" "PE_MMA_FWD_BLOCKS=3"
#
# BIN: the unpacked bundle of `make gpu-bundle`. OUT: variant-N/ (profile.sh's files for define set N, N from 0) and
# variants.md, the table. PES: comma-separated torch_bench.py case labels. Knobs: STEPS (default 10), and those of
# profile.sh (MODES is none here: pe-train alone).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:?usage: kernel-variants.sh BIN OUT PES DEFINES...}
out=${2:?usage: kernel-variants.sh BIN OUT PES DEFINES...}
pes=${3:?usage: kernel-variants.sh BIN OUT PES DEFINES...}
shift 3
(($#)) || set -- ""
mkdir -p "$out"
src=$here/../../src/PeTools.Torch/Kernels
table=$out/variants.md
{
  echo "| defines | ptxas (bwd; fwd) | case | step ms | attention_mma_bwd µs/step | attention_mma_fwd µs/step |"
  echo "|---|---|---|---|---|---|"
} >"$table"
n=0
for defines in "$@"; do
  flags=()
  for d in $defines; do flags+=("-D$d"); done
  ptxas="no nvcc"
  if command -v nvcc >/dev/null; then
    ptxas=$(nvcc -cubin -arch=sm_90 --std=c++17 --fmad=true "${flags[@]}" -Xptxas -v -I "$src" -o /tmp/kernel-variant.cubin \
      "$src/mma_attention.cu" 2>&1 | grep -E 'registers|spill' | sed -E 's/.*Used ([0-9]+) registers.*/\1 regs/; s/.* ([0-9]+) bytes spill loads.*/\1 B spill loads/' | paste -sd' ' -)
  fi
  IFS=, read -r -a list <<<"$pes"
  PE_NVRTC_DEFINES="$defines" MODES=none STEPS=${STEPS:-10} bash "$here/profile.sh" "$bin" "$out/variant-$n" "${list[@]}" >/dev/null 2>&1
  python3 - "$out/variant-$n/profile.md" "${defines:-(defaults)}" "$ptxas" >>"$table" <<'PY'
import re, sys
path, defines, ptxas = sys.argv[1:4]
steps, kernels, case = {}, {}, None
for line in open(path, encoding="utf-8"):
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    if line.startswith("### "):
        case = line[4:].strip()
    elif case is None and len(cells) >= 2 and cells[0].startswith("pe-train/"):
        steps[cells[0]] = cells[1]
    elif case is not None and len(cells) >= 3 and cells[0] in ("attention_mma_bwd_bf16", "attention_mma_fwd_bf16"):
        kernels[(case, cells[0])] = cells[2]
for name, step in steps.items():
    print(f"| {defines} | {ptxas} | {name} | {step} | {kernels.get((name, 'attention_mma_bwd_bf16'), '-')} | "
          f"{kernels.get((name, 'attention_mma_fwd_bf16'), '-')} |")
PY
  n=$((n + 1))
done
cat "$table"
