#!/usr/bin/env bash
# The paper's PE comparison on a GPU, in resumable chunks: for each SPEC (task/pe[/attention]) generate the task
# (seed 0, the paper's sizes), train the paper's reference model for the first EPOCHS epochs of its 100-epoch
# schedule (warm-up + cosine over 100 epochs, stopped early with --stop-after-epochs), then run the analyses named
# in ANALYSES on a probe set (the same task and seed: its test split is a prefix of the full test split).
#
#   examples/gpu/grid.sh BIN OUT EPOCHS SPEC...      e.g. grid.sh /opt/pe-tools results 12 distance/rope count/nope
#
# BIN holds the tools (make gpu-bundle); OUT receives, per SPEC, NAME.metrics.csv and one file per analysis.
# Environment (defaults in brackets):
#   DEVICE [cuda], SEED [0], SCHEDULE_EPOCHS [100] (the schedule's length: EPOCHS = SCHEDULE_EPOCHS trains to its end), TRAIN_ARGS / GEN_ARGS (extra options, e.g. --precision bf16, or a small model for a CPU
#   smoke test), PROBE_ARGS [--n-train 100 --n-test 5000] (the probe set's sizes),
#   PROBE_EVERY [0] (pe-train --probe-every: gradient probes -> NAME.probes.parquet), SAVE_EVERY [0] (weight snapshots),
#   ANALYSES ["ablate"]: any of
#     ablate    pe-heads ablate + deposit        -> NAME.ablate.csv, NAME.deposit.csv
#     dynamics  pe-heads dynamics (needs SAVE_EVERY) -> NAME.dynamics.csv, NAME.margins.csv
#     posvec    pe-heads posvec (additive PEs only)  -> NAME.posvec.csv
#     pattern   pe-heads pattern, layers 0 and 1     -> NAME.pattern.csv
#     logits    pe-spectrum logits                   -> NAME.logits.csv
#     hessian   pe-spectrum hessian over the snapshots (HESSIAN_ARGS) -> NAME.hessian.csv
set -euo pipefail
bin=$1 out=$2 epochs=$3
shift 3
device=${DEVICE:-cuda} seed=${SEED:-0}
data=${DATA_DIR:-/tmp/pe-grid-data} runs=${RUNS_DIR:-/tmp/pe-grid-runs}
mkdir -p "$data" "$runs" "$out"
read -r -a gen_args <<<"${GEN_ARGS:-}"
read -r -a probe_args <<<"${PROBE_ARGS:---n-train 100 --n-test 5000}"
read -r -a train_args <<<"${TRAIN_ARGS:-}"
read -r -a hessian_args <<<"${HESSIAN_ARGS:-}"
analyses=" ${ANALYSES:-ablate} "
wants() { [[ $analyses == *" $1 "* ]]; }
for spec in "$@"; do
  IFS=/ read -r task pe attention <<<"$spec"
  attention=${attention:-mha}
  [[ -f $data/$task.parquet ]] || "$bin/pe-gen-task" "$task" --seed 0 "${gen_args[@]}" -o "$data/$task.parquet" -q
  probe=$data/$task-probe.parquet
  [[ -f $probe ]] || "$bin/pe-gen-task" "$task" --seed 0 "${probe_args[@]}" -o "$probe" -q
  name=$task-$pe-$attention-s$seed
  run=$runs/$name
  start=$(date +%s)
  extra=()
  [[ ${PROBE_EVERY:-0} != 0 ]] && extra+=(--probe-every "$PROBE_EVERY" --probes "$out/$name.probes.parquet")
  [[ ${SAVE_EVERY:-0} != 0 ]] && extra+=(--save-every "$SAVE_EVERY")
  [[ -f $run/config.json ]] && extra+=(--resume)
  "$bin/pe-train" --data "$data/$task.parquet" --pe "$pe" --attention "$attention" --seed "$seed" --device "$device" \
    --epochs "${SCHEDULE_EPOCHS:-100}" --stop-after-epochs "$epochs" "${train_args[@]}" "${extra[@]}" --out "$run" \
    --metrics "$out/$name.metrics.csv" -q
  trained=$(date +%s)
  common=(--data "$probe" --split test --device "$device" -q)
  if wants ablate; then
    "$bin/pe-heads" ablate "$run" "${common[@]}" -o "$out/$name.ablate.csv"
    "$bin/pe-heads" deposit -i "$out/$name.ablate.csv" -o "$out/$name.deposit.csv"
  fi
  wants dynamics && "$bin/pe-heads" dynamics "$run" "${common[@]}" -o "$out/$name.dynamics.csv" --summary "$out/$name.margins.csv"
  if wants posvec && [[ $pe == sinusoidal || $pe == learned || $pe == rope-abs ]]; then
    "$bin/pe-heads" posvec "$run" "${common[@]}" -o "$out/$name.posvec.csv"
  fi
  if wants pattern; then
    for layer in 0 1; do "$bin/pe-heads" pattern "$run" "${common[@]}" --layer $layer -o -; done |
      awk 'NR == 1 || !/^[a-z_]+,/' >"$out/$name.pattern.csv"
  fi
  wants logits && "$bin/pe-spectrum" logits "$run" "${common[@]}" -o "$out/$name.logits.csv"
  wants hessian && "$bin/pe-spectrum" hessian "$run" --data "$data/$task.parquet" --device "$device" -q \
    "${hessian_args[@]}" -o "$out/$name.hessian.csv"
  echo "$name: train $(( trained - start ))s, analyses $(( $(date +%s) - trained ))s; last test row:" \
    "$(grep ',test,' "$out/$name.metrics.csv" | tail -1)" >&2
done
