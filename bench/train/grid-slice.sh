#!/usr/bin/env bash
# Issue #11's grid-time extrapolation from a slice of real training runs (the paper's reference model and recipe,
# training plus evaluation of every split plus checkpoints, as examples/gpu/grid.sh runs them) on one GPU: each
# TASK/PE[/ATTN] spec trains the first N epochs of its 100-epoch schedule (JOBS seeds at once), pe-train logs each
# epoch's train, eval and save seconds, and grid_estimate.py averages the epochs after the first SKIP (NVRTC compiles,
# graph captures and first allocations fall there), adds each run's one-off seconds, and multiplies out the grid.
#
#   bench/train/grid-slice.sh BIN OUT N SPEC...     e.g. JOBS=3 MPS=1 grid-slice.sh /tmp/pe-tools "$OUT" 4 distance/rope count/nope
#
# BIN: the unpacked bundle of `make gpu-bundle`. OUT: run-TASK-PE[-ATTN]-sSEED.log per run (each ends with the run's
# wall seconds) and grid.md (grid_estimate.py's table; SEEDS, default 3, EPOCHS, default 100, and SKIP, default 2, go to
# it: epoch 1 compiles and captures the full batch's graph, epoch 2 the short last batch's). JOBS (default 1): seeds
# 0..JOBS-1 of each spec train at once, as a grid would run them; MPS=1 runs them under an MPS daemon started for the slice
# (nvidia-cuda-mps-control, as root), so their kernels can share the GPU instead of taking turns. TRAIN_ARGS (default
# "--precision bf16 --eval-precision bf16") go to pe-train, GEN_ARGS to pe-gen-task (GEN_TASK, default
# BIN/pe-gen-task), DEVICE (default cuda).
# CPU smoke test: GEN_TASK=src/pe-gen-task/bin/Release/net10.0/pe-gen-task DEVICE=cpu GEN_ARGS="--n-train 300 --n-test 100" TRAIN_ARGS="--layers 1 --d-model 32 --heads 2 --d-ff 64" \
#   bench/train/grid-slice.sh src/pe-train/bin/Release/net10.0 /tmp/slice 3 distance/rope
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$1 out=$2 n=$3
shift 3
mkdir -p "$out"
data=$(mktemp -d)
jobs=${JOBS:-1}
if [[ ${MPS:-0} == 1 ]]; then
  export CUDA_MPS_PIPE_DIRECTORY=$data/mps-pipe CUDA_MPS_LOG_DIRECTORY=$data/mps-log
  mkdir -p "$CUDA_MPS_PIPE_DIRECTORY" "$CUDA_MPS_LOG_DIRECTORY"
  nvidia-cuda-mps-control -d
  trap 'echo quit | nvidia-cuda-mps-control; rm -rf "$data"' EXIT
else
  trap 'rm -rf "$data"' EXIT
fi
read -r -a train_args <<<"${TRAIN_ARGS:---precision bf16 --eval-precision bf16}"
read -r -a gen_args <<<"${GEN_ARGS:-}"
logs=()
# train TASK PE ATTENTION SEED LOG: one run of N epochs; its wall seconds end its log.
train() {
  local start=$EPOCHREALTIME
  "$bin/pe-train" --data "$data/$1.parquet" --pe "$2" --attention "${3:-mha}" --seed "$4" --device "${DEVICE:-cuda}" \
    --epochs 100 --stop-after-epochs "$n" "${train_args[@]}" --out "$data/run-$4" --metrics "$data/metrics-$4.csv" 2>"$5" >/dev/null
  awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "grid-slice: wall %.3f s\n", b - a }' >>"$5"
  rm -rf "$data/run-$4"
}
for spec in "$@"; do
  IFS=/ read -r task pe attention <<<"$spec"
  [[ -f $data/$task.parquet ]] || "${GEN_TASK:-$bin/pe-gen-task}" "$task" --seed 0 "${gen_args[@]}" -o "$data/$task.parquet" -q
  pids=()
  for ((seed = 0; seed < jobs; seed++)); do
    log=$out/run-$task-$pe${attention:+-$attention}-s$seed.log
    train "$task" "$pe" "$attention" "$seed" "$log" &
    pids+=($!)
    logs+=("$log")
  done
  for pid in "${pids[@]}"; do wait "$pid"; done
done
python3 "$here/grid_estimate.py" --seeds "${SEEDS:-3}" --epochs "${EPOCHS:-100}" --skip "${SKIP:-2}" "${logs[@]}" | tee "$out/grid.md"
