#!/bin/sh
# summary.sh LOG - one closing line for the criterion runs collected in LOG:
# "check: N passed, N failed" (crashes count as failures).
awk -F'|' '/Synthesis: Tested:/ {
	for (i = 1; i <= NF; i++) {
		split($i, kv, ":")
		key = kv[1]; gsub(/.*Synthesis: */, "", key); gsub(/ /, "", key)
		val = kv[2] + 0
		if (key == "Passing") pass += val
		else if (key == "Failing" || key == "Crashing") fail += val
	}
}
END { printf "check: %d passed, %d failed\n", pass, fail; exit fail > 0 }' "$1"
