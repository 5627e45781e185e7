#!/usr/bin/env bash
# The paper's PE comparison on a GPU, in resumable chunks: for each SPEC (task/pe[/attention]) generate the task
# (seed 0, the paper's sizes), train the paper's reference model for the first EPOCHS epochs of its 100-epoch
# schedule (warm-up + cosine over 100 epochs, stopped early with --stop-after-epochs), then zero-ablate every head
# on a 5,000-row probe set (the same task and seed: its test split is a prefix of the full test split) and summarise
# the deposit per layer.
#
#   examples/gpu/grid.sh BIN OUT EPOCHS SPEC...      e.g. grid.sh /opt/pe-tools results 12 distance/rope count/nope
#
# BIN holds pe-gen-task, pe-train and pe-heads (make gpu-bundle); OUT receives, per SPEC, NAME.metrics.csv,
# NAME.ablate.csv and NAME.deposit.csv. DEVICE (default cuda), SEED (0), and TRAIN_ARGS / GEN_ARGS (extra options,
# e.g. a small model for a CPU smoke test) and PROBE_ARGS (the probe set's sizes) are read from the environment.
set -euo pipefail
bin=$1 out=$2 epochs=$3
shift 3
device=${DEVICE:-cuda} seed=${SEED:-0}
data=${DATA_DIR:-/tmp/pe-grid-data} runs=${RUNS_DIR:-/tmp/pe-grid-runs}
mkdir -p "$data" "$runs" "$out"
read -r -a gen_args <<<"${GEN_ARGS:-}"
read -r -a probe_args <<<"${PROBE_ARGS:---n-train 100 --n-test 5000}"
read -r -a train_args <<<"${TRAIN_ARGS:-}"
for spec in "$@"; do
  IFS=/ read -r task pe attention <<<"$spec"
  attention=${attention:-mha}
  [[ -f $data/$task.parquet ]] || "$bin/pe-gen-task" "$task" --seed 0 "${gen_args[@]}" -o "$data/$task.parquet" -q
  [[ -f $data/$task-probe.parquet ]] ||
    "$bin/pe-gen-task" "$task" --seed 0 "${probe_args[@]}" -o "$data/$task-probe.parquet" -q
  name=$task-$pe-$attention-s$seed
  start=$(date +%s)
  "$bin/pe-train" --data "$data/$task.parquet" --pe "$pe" --attention "$attention" --seed "$seed" --device "$device" \
    --epochs 100 --stop-after-epochs "$epochs" "${train_args[@]}" --out "$runs/$name" --metrics "$out/$name.metrics.csv" -q \
    $( [[ -f $runs/$name/config.json ]] && echo --resume )
  "$bin/pe-heads" ablate "$runs/$name" --data "$data/$task-probe.parquet" --split test --device "$device" \
    -o "$out/$name.ablate.csv" -q
  "$bin/pe-heads" deposit -i "$out/$name.ablate.csv" -o "$out/$name.deposit.csv"
  echo "$name: $(( $(date +%s) - start ))s; last test row: $(grep ',test,' "$out/$name.metrics.csv" | tail -1)" >&2
done
