#!/bin/sh
# run-suite.sh LOG CMD [ARG...] - runs a test binary, shows its output and
# appends it to LOG (for summary.sh), with the wall time it took (to see
# where make check's minutes go); exits with the binary's status.
log=$1
# shellcheck source=tests/harness/python-path.sh
. "$(dirname "$0")/python-path.sh"
shift
out=$(mktemp)
start=$(date +%s)
"$@" > "$out" 2>&1
rc=$?
echo "run-suite: $*: $(($(date +%s) - start)) s" >> "$out"
cat "$out"
cat "$out" >> "$log"
rm -f "$out"
exit $rc
