#!/usr/bin/env bash
# Issue #11's GPU check in one run, under 8 minutes on an H100: pe-train's fast paths against their slow oracles
# (and no host sync in a step), pe-train against PyTorch on shared weights, and training throughput of pe-train
# (fp32, bf16, and its slow variants) beside PyTorch (eager fp32, eager bf16, torch.compile bf16).
#
#   bench/train/gpu-check.sh BIN [OUT]
#
# BIN: the unpacked bundle of `make gpu-bundle` (BIN/pe-train; it binds to the libtorch of the PyTorch that python3
# imports). OUT (default $OUT): receives 6 files:
#   check.csv        pe-train check --device cuda: forward, gradients, flat AdamW, training and no-sync, per case
#   bench.csv        benchmark rows (schema `benchmark`): paper config x {nope, rope, alibi, relative, rope/mla} and
#                    d1024-t512 x rope; pe-train fp32 (all, none) and bf16 (all, none, no-flat, no-fused-kv, no-fast-rope),
#                    torch eager fp32 / eager bf16 / compile bf16
#   report.md        bench/train/report.py bench.csv: ratios and what each fast path saves
#   equivalence.txt  check_equivalence.py --all --quick: pe-train's logits vs examples/pytorch/pe_model.py's
#   env.txt          GPU, driver, torch, the bundle's commit, seconds per phase
#   log.txt          everything the phases wrote on stderr
# Every phase has a time limit inside one overall deadline (DEADLINE_S, default 450 s), so the run ends in time even
# when a phase hangs; a phase cut short keeps the rows it wrote and says so in env.txt.
# Knobs (environment): CHECK_ARGS (pe-train check options), CHECK_LIMIT_S (default 90), PAPER_ARGS / PAPER_LIMIT_S / PAPER_FP32_VARIANTS /
# PAPER_BF16_VARIANTS (the paper-config phase), HOST_ARGS (e.g. "--configs paper-b8 --pes nope": per-step host
# overhead at a batch too small to load the GPU; off by default), BIG_ARGS (or none) / BIG_FP32_VARIANTS / BIG_BF16_VARIANTS,
# EQUIVALENCE=none, PRECISIONS.
# Smoke test of this script on CPU (seconds, no GPU, needs torch only for the PyTorch rows):
#   DEVICE=cpu PAPER_ARGS="--configs tiny --pes rope --warmup 1 --steps 2" BIG_ARGS=none CHECK_ARGS="--cases rope/reference/mha/fp32" \
#     bench/train/gpu-check.sh BIN /tmp/out
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$(cd "${1:?usage: gpu-check.sh BIN [OUT]}" && pwd)
out=${2:-${OUT:?usage: gpu-check.sh BIN [OUT] (or set OUT)}}
mkdir -p "$out"
out=$(cd "$out" && pwd)
pe_train=$bin/pe-train
[[ -x $pe_train ]] || { echo "gpu-check.sh: no pe-train at $pe_train (unpack dist/pe-tools-linux-x64.tar.xz)" >&2; exit 2; }
start=$(date +%s)
deadline=$((start + ${DEADLINE_S:-450}))
log=$out/log.txt
env=$out/env.txt
: >"$log"

{
  echo "date: $(date -u +%FT%TZ)"
  echo "gpu: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | head -1)"
  echo "torch: $(python3 -c 'import torch; print(torch.__version__, "cuda", torch.version.cuda)' 2>&1 | tail -1)"
  echo "bundle commit: $(cat "$bin/COMMIT" 2>/dev/null || echo unknown)"
  echo "checkout commit: $(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo unknown)"
} >"$env"

# phase NAME LIMIT_S COMMAND...: runs COMMAND with at most LIMIT_S seconds (less if the deadline is nearer).
phase() {
  local name=$1 limit=$2
  shift 2
  local left=$((deadline - $(date +%s)))
  ((left < limit)) && limit=$left
  if ((limit < 10)); then
    echo "phase $name: skipped (deadline reached)" | tee -a "$env" >&2
    return
  fi
  echo "== $name (limit ${limit}s)" | tee -a "$log" >&2
  local t0 rc
  t0=$(date +%s)
  timeout --kill-after=10 "$limit" "$@" 2>> >(tee -a "$log" >&2)
  rc=$?
  local note="exit $rc"
  ((rc == 124 || rc == 137)) && note="CUT SHORT at ${limit}s"
  echo "phase $name: $(($(date +%s) - t0)) s, $note" | tee -a "$env" >&2
}

# bench/train/run.sh for one model size: pe-train bench (fp32 and bf16 variants) and torch_bench.py, rows to OUT.
bench() { # bench LABEL LIMIT_S BENCH_ARGS FP32_VARIANTS BF16_VARIANTS
  phase "bench-$1" "$2" env BENCH_ARGS="$3" FP32_VARIANTS="$4" BF16_VARIANTS="$5" DEVICE="$device" OUT="$out/bench-$1.csv" \
    bash "$here/run.sh" --no-equivalence "$pe_train" >/dev/null
}

device=${DEVICE:-cuda}
read -r -a check_args <<<"${CHECK_ARGS:-}"
phase check "${CHECK_LIMIT_S:-90}" "$pe_train" check --device "$device" "${check_args[@]}" -o "$out/check.csv"
bench paper "${PAPER_LIMIT_S:-270}" "${PAPER_ARGS:---configs paper --warmup 3 --steps 15}" "${PAPER_FP32_VARIANTS:-all,none}" \
  "${PAPER_BF16_VARIANTS:-all,none,no-graph,no-explicit-bias,no-flat,no-fused-kv,no-fast-rope,no-rope-kernel,no-ln-kernel,no-bias-kernel,attn-kernel}"
[[ ${HOST_ARGS:-none} == none ]] || bench host 60 "$HOST_ARGS" all all
[[ ${BIG_ARGS:-} == none ]] ||
  bench d1024 100 "${BIG_ARGS:---configs d1024-t512 --pes rope --warmup 3 --steps 10}" "${BIG_FP32_VARIANTS:-all}" "${BIG_BF16_VARIANTS:-all,none}"
[[ ${EQUIVALENCE:-} == none ]] || phase equivalence 120 python3 -u "$here/check_equivalence.py" --all "$pe_train" --quick --device "$device" >"$out/equivalence.txt"

# One bench.csv (header once) and its report.
parts=("$out"/bench-paper.csv "$out"/bench-host.csv "$out"/bench-d1024.csv)
first=1
for f in "${parts[@]}"; do
  [[ -f $f ]] || continue
  if ((first)); then cat "$f"; first=0; else tail -n +2 "$f"; fi
done >"$out/bench.csv"
rm -f "${parts[@]}"
python3 "$here/report.py" "$out/bench.csv" >"$out/report.md" 2>>"$log"
echo "total: $(($(date +%s) - start)) s" >>"$env"

cat "$env"
echo
echo "check: $(grep -c ',pass,' "$out/check.csv" 2>/dev/null) pass, $(grep -c ',fail,' "$out/check.csv" 2>/dev/null) fail," \
  "$(grep -c ',skip,' "$out/check.csv" 2>/dev/null) skip"
grep ',fail,\|,skip,' "$out/check.csv" 2>/dev/null | head -20
echo "equivalence: $(tail -1 "$out/equivalence.txt" 2>/dev/null)"
echo
cat "$out/report.md"
