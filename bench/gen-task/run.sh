#!/usr/bin/env bash
# Benchmarks `pe-gen-task distance` against its numpy peer in one run and appends one row to BENCHMARKS.md.
#
# Both sides generate the same task (clean distance, paper defaults) at the same size (ROWS sequences of length
# <= 120, split 70/30), deduplicate, and write a file. Each process warms up untimed, then times one pass; the
# three measurements (ours uncompressed, numpy, ours Snappy) are interleaved REPEATS times and each keeps its
# best, so a shared host's load swings hit all sides alike. The like-for-like ratio is ours with
# uncompressed Parquet against the peer's uncompressed .npz (pyarrow is not available here); our default
# Snappy Parquet figure goes in the notes column. The 1-minute load average is recorded because this machine
# may be shared: a loaded host mostly hurts our multi-threaded side.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROWS=${ROWS:-1000000}
REPEATS=${REPEATS:-3}
PYTHON=${PYTHON:-/usr/bin/python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

dotnet build -c Release bench/gen-task/GenTaskBench.csproj -nologo -v q >/dev/null
bench() { dotnet bench/gen-task/bin/Release/net10.0/GenTaskBench.dll "$ROWS" "$tmp/ours.parquet" "$@"; }
# Each run prints "best tokens/s X" and "best tokens/cpu-s Y"; keep both as "X Y".
best() { tee /dev/stderr | awk '/^best tokens\/s/ {w = $3} /^best tokens\/cpu-s/ {c = $3} END {print w, c}'; }

# Pairwise max of "wall cpu" pairs.
max() { awk -v a="$1" -v b="$2" 'BEGIN { split(a, x, " "); split(b, y, " "); print (x[1] > y[1] ? x[1] : y[1]), (x[2] > y[2] ? x[2] : y[2]) }'; }
load_before=$(cut -d' ' -f1 /proc/loadavg)
ours="0 0" peer="0 0" snappy="0 0"
for _ in $(seq "$REPEATS"); do
  ours=$(max "$ours" "$(bench 1 --uncompressed | best)")
  peer=$(max "$peer" "$("$PYTHON" bench/gen-task/distance_numpy.py "$ROWS" "$tmp/peer.npz" 1 | best)")
  snappy=$(max "$snappy" "$(bench 1 | best)")
done
load_after=$(cut -d' ' -f1 /proc/loadavg)

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }
read -r ours_wall ours_cpu <<<"$ours"
read -r peer_wall peer_cpu <<<"$peer"
read -r snappy_wall _ <<<"$snappy"
mtok() { awk -v x="$1" 'BEGIN { printf "%.1fM", x / 1e6 }'; }
machine="$(nproc) cores, $(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1)"
commit="$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src bench || echo '+dirty')"
numpy=$("$PYTHON" -c 'import numpy; print(numpy.__version__)')

[ -f BENCHMARKS.md ] || { echo "BENCHMARKS.md is missing (run from a checkout)" >&2; exit 1; }
printf '| %s | %s | %s | gen-task distance, %s rows | %s | %s | %sx | per CPU-second %s vs %s (%sx); Snappy Parquet %s tokens/s; numpy %s; load %s→%s |\n' \
  "$(date -u +%Y-%m-%d)" "$machine" "$commit" "$ROWS" "$(mtok "$ours_wall")" "$(mtok "$peer_wall")" \
  "$(ratio "$ours_wall" "$peer_wall")" "$(mtok "$ours_cpu")" "$(mtok "$peer_cpu")" "$(ratio "$ours_cpu" "$peer_cpu")" \
  "$(mtok "$snappy_wall")" "$numpy" "$load_before" "$load_after" | tee -a BENCHMARKS.md
