#!/bin/sh
# run-libfuzzer.sh - builds every tests/fuzz/fuzz_*.c (and tests/fuzz/daemon/,
# the applications' targets) with libFuzzer and the
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
pkgs="gnutls zlib sqlite3 libconfig"

mkdir -p "$out"
# Leaks of the libraries below us, not ours (libconfig's, tests/lsan.supp).
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$PWD/tests/lsan.supp}"
flags="-std=c11 -g -O1 -D_GNU_SOURCE -Icore -Idaemon
       -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
       -fno-omit-frame-pointer $(pkg-config --cflags $pkgs)"
libs="$(pkg-config --libs $pkgs)"

# Sources as objects, without libFuzzer's main (nor the programs').
objects() {
	objs=""
	for src in "$@"; do
		[ -e "$src" ] || continue
		case $src in */main.c) continue ;; esac
		obj="$out/obj/$(echo "$src" | tr / _).o"
		mkdir -p "$out/obj"
		# shellcheck disable=SC2086
		$cc $flags -DMAILMIRROR_VERSION='"fuzz"' \
			-fsanitize=fuzzer-no-link -c "$src" -o "$obj"
		objs="$objs $obj"
	done
	echo "$objs"
}
core_objs=$(objects core/util/*.c core/proto/*.c core/io/*.c core/api/*.c)
cache_objs=$(objects daemon/cache/*.c)
# The applications' targets (tests/fuzz/daemon/) link what they test.
config_objs="$(objects daemon/mailmirrord/*.c) $cache_objs $core_objs -lpthread"
query_objs="$(objects daemon/mailmirror/*.c) $cache_objs"

status=0
for target in tests/fuzz/fuzz_*.c tests/fuzz/daemon/fuzz_*.c; do
	name=$(basename "$target" .c)
	short=${name#fuzz_}
	if [ -n "${FUZZ_ONLY:-}" ] && [ "$FUZZ_ONLY" != "$short" ]; then
		continue
	fi
	case $short in
	config) with=$config_objs ;;
	query) with=$query_objs ;;
	*) with=$core_objs ;;
	esac
	echo "== $name: building"
	# shellcheck disable=SC2086
	$cc $flags "$target" $with $libs -o "$out/$name"
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
