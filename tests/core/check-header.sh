#!/bin/sh
# check-header.sh - core/imap4.h, the public contract, compiles as C++ too
# (it has extern "C" guards, so C++ programs include it), and C compilers
# still get its array size hints ("char buf[static 17]").
#
#   g++ and clang++ (each one installed; at least one must be):
#     -fsyntax-only -Wall -Wextra -pedantic -Werror, the header alone and
#     a unit that calls the functions with array parameters
#   clang (when installed): a C caller passing too small a buffer is
#     warned about, so the hint is still there for C
#
# Prints "header ok" or what failed, and exits 1. Run from the top of the
# tree (make check-header does).
set -eu

HDR=core/imap4.h
[ -f "$HDR" ] || {
	echo "check-header: run from the top of the tree" >&2
	exit 2
}
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/check-header.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT
bad=0
ran=0

cat >"$SCRATCH/use.cc" <<'EOF'
#include "imap4.h"

int main()
{
	char ap[17], when[29];
	imap4_int2ap(ap, 4096);
	imap4_time2internaldate(when, 0, 0);
	imap4 *h = nullptr;
	return imap4_noop(h) == IMAP4_EINVAL ? 0 : 1;
}
EOF

for cxx in g++ clang++; do
	command -v "$cxx" >/dev/null 2>&1 || continue
	ran=$((ran + 1))
	for src in "-x c++ $HDR" "$SCRATCH/use.cc"; do
		# shellcheck disable=SC2086 # src holds a flag and a file
		if ! "$cxx" -std=c++11 -fsyntax-only -Wall -Wextra -pedantic \
			-Werror -Icore $src >"$SCRATCH/out" 2>&1; then
			echo "check-header: $cxx cannot compile $src:" >&2
			sed 's/^/  /' "$SCRATCH/out" >&2
			bad=1
		fi
	done
done
if [ "$ran" -eq 0 ]; then
	echo "check-header: neither g++ nor clang++ is installed" >&2
	exit 1
fi

if command -v clang >/dev/null 2>&1; then
	cat >"$SCRATCH/small.c" <<'EOF'
#include "imap4.h"

void f(void);
void f(void)
{
	char ap[10];
	imap4_int2ap(ap, 4096);
}
EOF
	clang -std=c11 -fsyntax-only -Wall -Icore "$SCRATCH/small.c" \
		>"$SCRATCH/out" 2>&1 || true
	if ! grep -q "too small" "$SCRATCH/out"; then
		echo "check-header: C callers lost the array size hint" \
			"(no warning for a 10-byte buffer given to" \
			"imap4_int2ap)" >&2
		bad=1
	fi
fi

[ "$bad" -eq 0 ] && echo "header ok"
exit "$bad"
