#!/bin/sh
# run-libfuzzer.sh - builds every tests/fuzz/fuzz_*.c with libFuzzer and the
# sanitizers, and runs each on its corpus for a while (`make fuzz`).
#
#   FUZZ_SECONDS  seconds per target (60)
#   FUZZ_JOBS     parallel jobs per target (1)
#   FUZZ_BUILD    where the binaries go (build/fuzz-libfuzzer)
#   FUZZ_ONLY     run only this target (e.g. "response")
#
# New inputs libFuzzer finds are kept in $FUZZ_BUILD, not in the committed
# corpus: minimise and add the interesting ones by hand. A crash leaves its
# input as $FUZZ_BUILD/crash-* and fails the script.
set -eu
cd "$(dirname "$0")/../.."

seconds=${FUZZ_SECONDS:-60}
jobs=${FUZZ_JOBS:-1}
out=${FUZZ_BUILD:-build/fuzz-libfuzzer}
cc=${FUZZ_CC:-clang}
pkgs="gnutls zlib"

mkdir -p "$out"
flags="-std=c11 -g -O1 -D_GNU_SOURCE -Icore -Idaemon
       -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
       -fno-omit-frame-pointer $(pkg-config --cflags $pkgs)"
libs="$(pkg-config --libs $pkgs)"

# The core once, as objects, without libFuzzer's main.
core_objs=""
for src in core/util/*.c core/proto/*.c core/io/*.c core/api/*.c; do
	[ -e "$src" ] || continue
	obj="$out/obj/$(echo "$src" | tr / _).o"
	mkdir -p "$out/obj"
	# shellcheck disable=SC2086
	$cc $flags -fsanitize=fuzzer-no-link -c "$src" -o "$obj"
	core_objs="$core_objs $obj"
done

status=0
for target in tests/fuzz/fuzz_*.c; do
	name=$(basename "$target" .c)
	short=${name#fuzz_}
	if [ -n "${FUZZ_ONLY:-}" ] && [ "$FUZZ_ONLY" != "$short" ]; then
		continue
	fi
	echo "== $name: building"
	# shellcheck disable=SC2086
	$cc $flags "$target" $core_objs $libs -o "$out/$name"
	corpus=tests/fuzz/corpus/$short
	work=$out/corpus-$short
	mkdir -p "$corpus" "$work"
	echo "== $name: ${seconds}s on $corpus"
	par=""
	if [ "$jobs" -gt 1 ]; then
		par="-jobs=$jobs -workers=$jobs"
	fi
	# shellcheck disable=SC2086
	if ! "$out/$name" -max_total_time="$seconds" $par \
		-artifact_prefix="$out/" -print_final_stats=1 \
		"$work" "$corpus"; then
		echo "== $name: FAILED" >&2
		status=1
	fi
done
exit $status
