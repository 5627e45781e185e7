#!/usr/bin/env bash
# Issue #11's grid-time extrapolation from a measured slice: per-epoch wall time of real training runs (the paper's
# reference model and recipe, training plus evaluation of every split, as examples/gpu/grid.sh runs them), one run at
# a time on one GPU. Each TASK/PE[/ATTN] spec runs twice, for 1 and for 1 + N epochs of a 100-epoch schedule; the
# difference divided by N is the time of one epoch without start-up (NVRTC compiles, data upload, first allocations).
#
#   bench/train/grid-slice.sh BIN OUT N SPEC...     e.g. grid-slice.sh /tmp/pe-tools "$OUT" 3 distance/rope count/nope
#
# BIN: the unpacked bundle of `make gpu-bundle`. OUT/slice.csv: spec,seconds_1,seconds_n,epochs,seconds_per_epoch,
# steps_per_epoch. TRAIN_ARGS (default "--precision bf16") go to pe-train, GEN_ARGS to pe-gen-task, DEVICE (default cuda).
# CPU smoke test: DEVICE=cpu GEN_ARGS="--n-train 300 --n-test 100" TRAIN_ARGS="--layers 1 --d-model 32 --heads 2 --d-ff 64" \
#   bench/train/grid-slice.sh src/pe-train/bin/Release/net10.0 /tmp/slice 1 distance/rope
set -euo pipefail
bin=$1 out=$2 n=$3
shift 3
mkdir -p "$out"
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
read -r -a train_args <<<"${TRAIN_ARGS:---precision bf16}"
read -r -a gen_args <<<"${GEN_ARGS:-}"
echo "spec,seconds_1,seconds_n,epochs,seconds_per_epoch,steps_per_epoch" >"$out/slice.csv"
for spec in "$@"; do
  IFS=/ read -r task pe attention <<<"$spec"
  [[ -f $data/$task.parquet ]] || "$bin/pe-gen-task" "$task" --seed 0 "${gen_args[@]}" -o "$data/$task.parquet" -q
  seconds=()
  for epochs in 1 $((1 + n)); do
    start=$(date +%s.%N)
    "$bin/pe-train" --data "$data/$task.parquet" --pe "$pe" --attention "${attention:-mha}" --device "${DEVICE:-cuda}" --epochs 100 \
      --stop-after-epochs "$epochs" "${train_args[@]}" --out "$data/run-$epochs" --metrics "$data/metrics.csv" -q
    seconds+=("$(python3 -c "print($(date +%s.%N) - $start)")")
    rm -rf "$data/run-$epochs"
  done
  steps=$(awk -F, '$3 == "train" && $2 == 1 {print $1}' "$data/metrics.csv" | head -1)
  per=$(python3 -c "print((${seconds[1]} - ${seconds[0]}) / $n)")
  printf '%s,%.2f,%.2f,%d,%.3f,%s\n' "$spec" "${seconds[0]}" "${seconds[1]}" "$n" "$per" "$steps" | tee -a "$out/slice.csv"
done
