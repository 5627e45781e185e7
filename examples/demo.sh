#!/usr/bin/env bash
# `make demo`: the main job end to end on CPU with small defaults (a few minutes on 2 cores):
# generate the paper's two tasks → train RoPE and NoPE → ablate every head → spectral theory of RoPE vs ALiBi.
#   examples/demo.sh [CONFIG] [OUT_DIR]
set -euo pipefail
config=${1:-Release}
out=${2:-out/demo}
root=$(cd "$(dirname "$0")/.." && pwd)
tool() { local t=$1; shift; dotnet "$root/src/$t/bin/$config/net10.0/$t.dll" "$@"; }
rm -rf "$out"
mkdir -p "$out"
small=(--vocab 64 --classes 32 --d-model 64 --d-ff 128 --heads 4 --layers 2 --max-len 40 --batch-size 64 --lr 1e-3
  --epochs 25 --threads 2 -q)

echo "== the tasks (pe-gen-task list)"
tool pe-gen-task list | column -t -s,
echo "== a small distance task: triggers with 1..12 fillers between, vocabulary 64"
tool pe-gen-task distance --vocab 64 --n-train 3000 --n-test 600 --seq-len 30 --max-side 6 --max-between 12 --seed 0 \
  -o "$out/distance.parquet" -q
tool pe-gen-task count --vocab 64 --n-train 3000 --n-test 600 --seq-len 30 --max-count 20 --n-triggers 8 --seed 0 \
  -o "$out/count.parquet" -q

for pe in rope nope; do
  echo "== pe-train --pe $pe on distance (reference architecture, 2 layers x 4 heads, 25 epochs)"
  tool pe-train --data "$out/distance.parquet" --pe "$pe" "${small[@]}" --out "$out/runs/$pe" --metrics "$out/$pe.metrics.csv"
  echo "   final test accuracy: $(grep ',test,' "$out/$pe.metrics.csv" | tail -1 | cut -d, -f5)"
done

echo "== pe-heads: zero-ablate every head of the RoPE model, then summarise per layer"
tool pe-heads ablate "$out/runs/rope" --data "$out/distance.parquet" --split test -q | tee "$out/ablate.csv" |
  tool pe-heads deposit -i - | cut -d, -f1,6,7,8,10,12,15 | column -t -s,

echo "== pe-spectrum: RoPE vs ALiBi logits on random content (n 64, d_head 16): spread and bounds"
for pe in rope alibi; do
  tool pe-spectrum theory --pe "$pe" --n 64 --d-head 16 --seed 0 -q -o "$out/spectrum-$pe.csv"
  grep -E ',logit,(spread|lambda_max),' "$out/spectrum-$pe.csv" | cut -d, -f1,7,8,10,11,12 | head -3
done
echo "== done: tables in $out"
