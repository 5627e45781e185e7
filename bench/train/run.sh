#!/usr/bin/env bash
# Training throughput, pe-train against PyTorch on the same model, in one run (STYLE.md §14; issue "Performance" 1).
#
#   bench/train/run.sh [--quick] [--no-equivalence] [PE_TRAIN]
#
# PE_TRAIN: the pe-train executable (argument, else $PE_TRAIN, else this checkout's Release build). On a GPU machine
# without .NET that is the self-contained one of `make gpu-bundle` (dist/pe-tools-linux-x64.tar.xz, unpacked); it
# binds to the libtorch of the PyTorch that python3 imports, so both sides run the same libtorch.
# Steps: (1) unless --no-equivalence, bench/train/check_equivalence.py --all: every PE x arch x attention, pe-train's
# logits against examples/pytorch/pe_model.py's on the same weights; (2) pe-train bench for every case that
# torch_bench.py lists, once in fp32 and once in bf16 (one process each, so each measures its own device memory);
# (3) torch_bench.py (eager fp32, eager bf16, torch.compile bf16). Rows go to bench/train/results.csv (or $OUT); a
# Markdown table with ratios goes to stdout. --quick: 2 PEs, paper config, few steps. DEVICE (default cuda) picks the
# GPU. BENCH_ARGS go to torch_bench.py for both sides, to split a long run into calls, e.g. BENCH_ARGS="--configs
# paper" OUT=paper.csv, then BENCH_ARGS="--configs d1024-t512" OUT=big.csv. FP32_VARIANTS / BF16_VARIANTS (default
# all) are pe-train bench --fast-paths lists, e.g. BF16_VARIANTS=all,none,no-flat to time the slow oracles too;
# PRECISIONS (default "fp32 bf16") the pe-train precisions to run. BENCH_ARGS="--modes torch-eager:bf16" limits the
# PyTorch side, "--profile FILE" adds its eager cases' top kernels.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
quick=()
read -r -a extra <<<"${BENCH_ARGS:-}"
equivalence=1
while [[ $# -gt 0 && $1 == --* ]]; do
  case $1 in
    --quick) quick=(--quick) ;;
    --no-equivalence) equivalence=0 ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
pe_train=${1:-${PE_TRAIN:-$root/src/pe-train/bin/Release/net10.0/pe-train}}
device=${DEVICE:-cuda}
out=${OUT:-$here/results.csv}
[[ -x $pe_train ]] || { echo "run.sh: no pe-train executable at $pe_train (pass its path or set PE_TRAIN)" >&2; exit 2; }

echo "machine: $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null | head -1 || echo unknown)" >&2
echo "commit: $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown); torch: $(python3 -c 'import torch; print(torch.__version__, torch.version.cuda)' 2>/dev/null || echo none)" >&2

if [[ $equivalence == 1 ]]; then
  echo "== equivalence: pe-train vs examples/pytorch/pe_model.py on shared weights ($device)" >&2
  python3 "$here/check_equivalence.py" --all "$pe_train" --device "$device" >&2 ||
    echo "run.sh: WARNING: equivalence check failed (above); throughput numbers compare different models" >&2
fi

tmp=$(mktemp)
trap 'rm -f "$tmp" "$tmp.err"' EXIT
# Stopped by a time limit (gpu-check.sh): keep the rows written so far.
trap 'mv -f "$tmp" "$out"; echo "run.sh: stopped; partial rows in $out" >&2; exit 143' TERM
echo "impl,precision,pe,config,tokens_per_s,step_ms,peak_mem_mb,device_mem_mb,note" >"$tmp"
echo "== pe-train bench" >&2
while read -r args; do
  for precision in ${PRECISIONS:-fp32 bf16}; do
    variants=${FP32_VARIANTS:-all}; [[ $precision == bf16 ]] && variants=${BF16_VARIANTS:-all}
    before=$(wc -l <"$tmp")
    # shellcheck disable=SC2086  # args is a list of options, split on purpose
    if ! "$pe_train" bench $args --precision "$precision" --fast-paths "$variants" --device "$device" -q 2>"$tmp.err" |
        tail -n +2 >>"$tmp"; then
      read -r -a words <<<"$args"
      # --pe P --attention A ... --config-label C: name the failed case as torch_bench.py would
      pe=${words[1]}; [[ ${words[3]} == mla ]] && pe="$pe/mla"
      label=$(sed -n 's/.*--config-label \([^ ]*\).*/\1/p' <<<"$args")
      echo "pe-train,$precision,$pe,$label,NaN,NaN,NaN,NaN,failed: $(tail -1 "$tmp.err" | tr ',' ';')" >>"$tmp"
    fi
    tail -n +$((before + 1)) "$tmp" >&2
  done
done < <(python3 "$here/torch_bench.py" "${quick[@]}" "${extra[@]}" --pe-train-args)
rm -f "$tmp.err"

echo "== PyTorch (torch_bench.py)" >&2
python3 "$here/torch_bench.py" "${quick[@]}" "${extra[@]}" --device "$device" --no-header >>"$tmp" ||
  echo "run.sh: torch_bench.py exited $? (3: some cases failed, their rows say why)" >&2
mv "$tmp" "$out"
trap - EXIT
echo "wrote $out" >&2
python3 "$here/report.py" "$out"
