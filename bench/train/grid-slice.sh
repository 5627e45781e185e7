#!/usr/bin/env bash
# Issue #11's grid-time extrapolation from a slice of real training runs (the paper's reference model and recipe,
# training plus evaluation of every split plus checkpoints, as examples/gpu/grid.sh runs them), one run at a time on one
# GPU: each TASK/PE[/ATTN] spec trains the first N epochs of its 100-epoch schedule, pe-train logs each epoch's train,
# eval and save seconds, and grid_estimate.py averages the epochs after the first (NVRTC compiles, graph capture and
# first allocations fall there) and multiplies out the grid.
#
#   bench/train/grid-slice.sh BIN OUT N SPEC...     e.g. grid-slice.sh /tmp/pe-tools "$OUT" 3 distance/rope count/nope
#
# BIN: the unpacked bundle of `make gpu-bundle`. OUT: run-TASK-PE[-ATTN].log per spec and grid.md (grid_estimate.py's
# table; SEEDS, default 3, and EPOCHS, default 100, go to it). TRAIN_ARGS (default "--precision bf16 --eval-precision
# bf16") go to pe-train, GEN_ARGS to pe-gen-task (GEN_TASK, default BIN/pe-gen-task), DEVICE (default cuda).
# CPU smoke test: GEN_TASK=src/pe-gen-task/bin/Release/net10.0/pe-gen-task DEVICE=cpu GEN_ARGS="--n-train 300 --n-test 100" TRAIN_ARGS="--layers 1 --d-model 32 --heads 2 --d-ff 64" \
#   bench/train/grid-slice.sh src/pe-train/bin/Release/net10.0 /tmp/slice 2 distance/rope
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$1 out=$2 n=$3
shift 3
mkdir -p "$out"
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
read -r -a train_args <<<"${TRAIN_ARGS:---precision bf16 --eval-precision bf16}"
read -r -a gen_args <<<"${GEN_ARGS:-}"
logs=()
for spec in "$@"; do
  IFS=/ read -r task pe attention <<<"$spec"
  [[ -f $data/$task.parquet ]] || "${GEN_TASK:-$bin/pe-gen-task}" "$task" --seed 0 "${gen_args[@]}" -o "$data/$task.parquet" -q
  log=$out/run-$task-$pe${attention:+-$attention}.log
  "$bin/pe-train" --data "$data/$task.parquet" --pe "$pe" --attention "${attention:-mha}" --device "${DEVICE:-cuda}" --epochs 100 \
    --stop-after-epochs "$n" "${train_args[@]}" --out "$data/run" --metrics "$data/metrics.csv" 2>"$log" >/dev/null
  rm -rf "$data/run"
  logs+=("$log")
done
python3 "$here/grid_estimate.py" --seeds "${SEEDS:-3}" --epochs "${EPOCHS:-100}" "${logs[@]}" | tee "$out/grid.md"
