#!/bin/sh
# run-suite.sh LOG CMD [ARG...] - runs a test binary, shows its output and
# appends it to LOG (for summary.sh); exits with the binary's status.
log=$1
# shellcheck source=tests/harness/python-path.sh
. "$(dirname "$0")/python-path.sh"
shift
out=$(mktemp)
"$@" > "$out" 2>&1
rc=$?
cat "$out"
cat "$out" >> "$log"
rm -f "$out"
exit $rc
