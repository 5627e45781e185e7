#!/usr/bin/env bash
# The grep rules of STYLE.md: table I/O libraries only under Core/Tables, no source file over 400 lines.
set -uo pipefail
cd "$(dirname "$0")/.."
bad=0
if grep -rlE '^using (CsvHelper|Parquet)' --include='*.cs' src | grep -v '^src/PeTools.Core/Tables/'; then
  echo "lint: CsvHelper/Parquet used outside src/PeTools.Core/Tables (above)"; bad=1
fi
while read -r f; do
  n=$(wc -l <"$f"); if [ "$n" -gt 400 ]; then echo "lint: $f has $n lines (max 400)"; bad=1; fi
done < <(git ls-files 'src/*.cs' 'tests/*.cs')
if grep -rn 'new Random()' --include='*.cs' src | grep -v '///\|//'; then echo "lint: unseeded Random (use SeedSequence)"; bad=1; fi
[ "$bad" -eq 0 ] && echo "lint: ok"
exit "$bad"
