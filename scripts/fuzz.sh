#!/usr/bin/env bash
# make fuzz: runs every fuzz target (func Fuzz... in a _test.go file) for the
# go test -fuzztime given as $1: a duration (10s) or a count of inputs
# (5000x). go test fuzzes one target per run, so they take turns. An input
# that fails is saved under the package's testdata/fuzz/: commit it with the
# fix, and make test replays it from then on.
#
# Go before 1.27 can fail a run limited by a duration, having found nothing,
# with a bare "context deadline exceeded" as the time runs out
# (https://go.dev/issue/75804). Such a run saved no input; it is reported,
# not counted as a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${1:-10s}
go=${GO:-go}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

failed=()
for file in $(grep -rlE --include='*_test.go' --exclude-dir=.git --exclude-dir=.data '^func Fuzz' . | sort); do
	dir=$(dirname "$file")
	for name in $(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' "$file"); do
		echo "fuzz $name in $dir for $fuzztime"
		if "$go" test -run '^$' -fuzz "^$name\$" -fuzztime "$fuzztime" "$dir" 2>&1 | tee "$log"; then
			continue
		fi
		if grep -qx '    context deadline exceeded' "$log" && ! grep -qE 'Failing input written|failure while testing seed corpus' "$log"; then
			echo "fuzz $name: stopped by Go's deadline race (go.dev/issue/75804), not by a failing input"
			continue
		fi
		failed+=("$name")
	done
done
if [ ${#failed[@]} -gt 0 ]; then
	echo "fuzz targets that failed: ${failed[*]}"
	exit 1
fi
