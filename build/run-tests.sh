#!/usr/bin/env bash
# Runs every test project (GPU-only tests excluded) and ends with one plain "N passed, N failed" line.
set -uo pipefail
config=${1:-Release}
cd "$(dirname "$0")/.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT
dotnet test pe-tools.sln -c "$config" --no-build --filter "Category!=GPU" -nologo 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
# dotnet test prints one "Passed!/Failed! - Failed: F, Passed: P, Skipped: S, Total: T" line per test project.
read -r passed failed skipped < <(grep -Eo 'Failed: +[0-9]+, Passed: +[0-9]+, Skipped: +[0-9]+' "$log" |
  awk -F'[:,] *' '{f+=$2; p+=$4; s+=$6} END {printf "%d %d %d\n", p, f, s}')
projects=$(grep -c -E '(Passed|Failed)! +- Failed:' "$log")
echo "test projects: $projects"
if [ "$rc" -ne 0 ] && [ "${failed:-0}" -eq 0 ]; then failed=1; fi
echo "${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped"
exit "$rc"
