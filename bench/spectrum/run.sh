#!/usr/bin/env bash
# bench/spectrum/run.sh [all|eigvalsh|toeplitz]: ours (SpectrumBench, Release) and the peer (Debian numpy/scipy)
# in one run on the same matrices; inserts (date, machine, commit, case, ours, peer, ratio) rows into BENCHMARKS.md.
set -euo pipefail
root=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
cd "$root"
which=${1:-all}
python=/usr/bin/python3
if ! "$python" -c 'import numpy, scipy' 2>/dev/null; then
  echo "bench/spectrum: needs Debian's python3-numpy and python3-scipy (apt-get install -y python3-numpy python3-scipy)" >&2
  exit 2
fi
dotnet build -c Release bench/spectrum/SpectrumBench -nologo -v q >/dev/null
ours=$(mktemp) peer=$(mktemp)
trap 'rm -f "$ours" "$peer"' EXIT
# Ours and the peer alternate case group by case group, so a change in machine load hits both sides alike.
groups=$([ "$which" = all ] && echo "eigvalsh toeplitz" || echo "$which")
load_before=$(cut -d' ' -f1 /proc/loadavg)
for g in $groups; do
  dotnet bench/spectrum/SpectrumBench/bin/Release/net10.0/SpectrumBench.dll "$g" >>"$ours"
  "$python" bench/spectrum/peer.py "$g" >>"$peer"
done
load_after=$(cut -d' ' -f1 /proc/loadavg)
commit=$(git rev-parse --short HEAD)$(git diff --quiet -- src bench || echo "+dirty")
machine="$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), .NET $(dotnet --version), load $load_before→$load_after"
"$python" bench/spectrum/report.py "$ours" "$peer" BENCHMARKS.md "$(date -u +%Y-%m-%d)" "$machine" "$commit"
