#!/usr/bin/env bash
# One training run of `make paper`. The run folder's name says what to train: TASK-VARIANT-sSEED, where VARIANT is a
# --pe key, optionally ending in -mla (--attention mla) or -kK (--rope-heads K): distance-rope-abs-s0,
# distance-rope-mla-s1, distance-rope-k2-s0. A folder with config.json but no model.safetensors is an interrupted
# run and is resumed; any other existing folder is outdated (make remakes it) and is trained afresh.
#   train.sh "PE_TRAIN COMMAND" RUN_DIR DATA [pe-train options...]
set -euo pipefail
read -r -a pe_train <<<"$1"
run=$2 data=$3
shift 3
IFS=- read -r -a parts <<<"$(basename "$run")"
if (( ${#parts[@]} < 3 )) || [[ ! ${parts[-1]} =~ ^s([0-9]+)$ ]]; then
  echo "train.sh: $run: expected a folder named TASK-VARIANT-sSEED" >&2
  exit 2
fi
seed=${BASH_REMATCH[1]}
variant=("${parts[@]:1:${#parts[@]}-2}")
flags=()
if [[ ${#variant[@]} -gt 1 && ${variant[-1]} == mla ]]; then
  flags+=(--attention mla); unset 'variant[-1]'
elif [[ ${#variant[@]} -gt 1 && ${variant[-1]} =~ ^k([0-9]+)$ ]]; then
  flags+=(--rope-heads "${BASH_REMATCH[1]}"); unset 'variant[-1]'
fi
pe=$(IFS=-; echo "${variant[*]}")
resume=()
if [[ -f $run/config.json && ! -f $run/model.safetensors ]]; then resume=(--resume); else rm -rf "$run"; fi
exec "${pe_train[@]}" --data "$data" --pe "$pe" "${flags[@]}" --seed "$seed" "$@" --out "$run" -q "${resume[@]}"
