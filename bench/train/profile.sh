#!/usr/bin/env bash
# Where one training step's GPU time goes, pe-train beside PyTorch, in one run on the GPU machine: the kernel profiles
# of `pe-train bench --profile` (CUPTI) and `torch_bench.py --profile` (torch.profiler) for the same cases, with their
# step times, then one table of the kernels by time per step, side by side (bench/train/profile_report.py).
#
#   bench/train/profile.sh BIN OUT [PE ...]
#
# BIN: the unpacked bundle of `make gpu-bundle`; OUT receives pe-train.csv / pe-train-profile.csv (benchmark and
# kernel-profile tables), torch.csv / torch-profile.csv, profile.md (the side-by-side table) and log.txt.
# PE: torch_bench.py case labels (default: nope rope). Knobs (environment): PRECISION (default bf16), VARIANTS (pe-train
# --fast-paths list, default all), MODES (torch_bench.py --modes, default torch-eager:bf16,torch-compile:bf16),
# CONFIG (default paper), STEPS (default 10). MODES=none profiles pe-train alone.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$(cd "${1:?usage: profile.sh BIN OUT [PE ...]}" && pwd)
out=${2:?usage: profile.sh BIN OUT [PE ...]}
shift 2
pes=("$@")
((${#pes[@]})) || pes=(nope rope)
mkdir -p "$out"
log=$out/log.txt
: >"$log"
precision=${PRECISION:-bf16}
config=${CONFIG:-paper}
steps=${STEPS:-10}
pe_list=$(IFS=,; echo "${pes[*]}")

echo "== pe-train bench --profile ($pe_list, $precision)" | tee -a "$log" >&2
first=1
: >"$out/pe-train.csv"
: >"$out/pe-train-profile.csv"
while read -r args; do
  # shellcheck disable=SC2086  # args is a list of options, split on purpose
  "$bin/pe-train" bench $args --precision "$precision" --fast-paths "${VARIANTS:-all}" --device cuda \
    --profile "$out/case-profile.csv" -o "$out/case.csv" 2>>"$log"
  if ((first)); then cat "$out/case.csv"; else tail -n +2 "$out/case.csv"; fi >>"$out/pe-train.csv"
  if ((first)); then cat "$out/case-profile.csv"; else tail -n +2 "$out/case-profile.csv"; fi >>"$out/pe-train-profile.csv"
  first=0
done < <(python3 "$here/torch_bench.py" --configs "$config" --pes "$pe_list" --warmup 3 --steps "$steps" --pe-train-args)
rm -f "$out/case.csv" "$out/case-profile.csv"

if [[ ${MODES:-} != none ]]; then
  echo "== torch_bench.py --profile ($pe_list)" | tee -a "$log" >&2
  python3 "$here/torch_bench.py" --configs "$config" --pes "$pe_list" --warmup 3 --steps "$steps" \
    --modes "${MODES:-torch-eager:bf16,torch-compile:bf16}" --profile "$out/torch-profile.csv" >"$out/torch.csv" 2>>"$log"
fi

python3 "$here/profile_report.py" "$out" >"$out/profile.md" 2>>"$log"
cat "$out/profile.md"
