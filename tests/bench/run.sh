#!/bin/sh
# run.sh BUILD - the benchmarks of `make bench`, one section each.
#
# BUILD holds an optimised build of the tree (libimap4.a); captures and
# benchmark binaries go to BUILD/bench-data. Sections print "name: value"
# lines; add new benchmarks as new sections at the end.
set -eu
cd "$(dirname "$0")/../.."

build=${1:?usage: run.sh BUILD}
data=$build/bench-data
mkdir -p "$data"
cc=${CC:-cc}
cflags="-std=c11 -O2 -g -DNDEBUG -D_GNU_SOURCE -Icore -Idaemon"
libs="$(pkg-config --libs gnutls zlib)"
messages=${BENCH_MESSAGES:-100000}
small=${BENCH_SMALL:-10000}

kv() {	# kv FILE KEY: the value of "KEY value" in FILE
	awk -v k="$2" '$1 == k { print $2 }' "$1"
}

# ------------------------------------------------- response parser (reader)
echo "== response parser: imap4_reader + imap4_msg_parse vs imaplib"
# shellcheck disable=SC2086
$cc $cflags tests/bench/bench_parse.c "$build/libimap4.a" $libs \
	-o "$data/bench_parse"
capture=$data/fetch-$messages.txt
if [ ! -s "$capture" ]; then
	python3 tests/bench/gen_fetch.py "$messages" "$capture"
fi
"$data/bench_parse" "$capture" 5 > "$data/parse.out"
python3 tests/bench/bench_imaplib.py "$capture" 3 > "$data/imaplib.out"

ours=$(kv "$data/parse.out" mb_per_s)
typed=$(kv "$data/parse.out" typed_mb_per_s)
theirs=$(kv "$data/imaplib.out" mb_per_s)
echo "capture:            $messages messages, $(kv "$data/parse.out" bytes) bytes"
echo "libimap4 parse:     $ours MB/s, $(kv "$data/parse.out" resp_per_s) responses/s (one core, CPU time)"
echo "libimap4 typed:     $typed MB/s, $(kv "$data/parse.out" typed_msg_per_s) messages/s"
echo "imaplib:            $theirs MB/s"
echo "ratio parse:        $(awk -v a="$ours" -v b="$theirs" 'BEGIN { printf "%.1fx", a / b }')"
echo "ratio typed:        $(awk -v a="$typed" -v b="$theirs" 'BEGIN { printf "%.1fx", a / b }')"
rss=$(kv "$data/parse.out" peak_rss_kb)
cap_kb=$(kv "$data/parse.out" capture_kb)
echo "peak RSS:           $rss KiB, of which the capture $cap_kb KiB"

# RSS independent of the message count: the same run on a tenth of it.
capture_small=$data/fetch-$small.txt
if [ ! -s "$capture_small" ]; then
	python3 tests/bench/gen_fetch.py "$small" "$capture_small"
fi
"$data/bench_parse" "$capture_small" 1 > "$data/parse-small.out"
rss_s=$(kv "$data/parse-small.out" peak_rss_kb)
cap_s=$(kv "$data/parse-small.out" capture_kb)
echo "RSS beyond capture: $((rss - cap_kb)) KiB at $messages messages," \
	"$((rss_s - cap_s)) KiB at $small"

if command -v valgrind > /dev/null; then
	valgrind --tool=callgrind --toggle-collect=run \
		--callgrind-out-file="$data/callgrind.out" \
		"$data/bench_parse" "$capture_small" 1 parse \
		> /dev/null 2> "$data/callgrind.log"
	ir=$(awk '/^summary:/ { print $2 }' "$data/callgrind.out")
	bytes=$(stat -c %s "$capture_small")
	echo "instructions/byte:  $(awk -v i="$ir" -v b="$bytes" 'BEGIN { printf "%.1f", i / b }') (callgrind, parse only, $small messages)"
fi

# ------------------------------------------------------- query tool (cache)
echo
echo "== mailmirror queries over 100,000 cached messages"
tests/bench/bench_query.sh "$build" -r 9

# ----------------------------------------------------------------- daemon
echo
echo "== mailmirrord against a local Dovecot"
tests/bench/bench_daemon.sh "$build"
