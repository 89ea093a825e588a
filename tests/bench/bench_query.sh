#!/bin/sh
# bench_query.sh - times mailmirror's ls, count and search over a cache of
# 100,000 synthetic messages (with bodies) filled through the store API.
#
#   tests/bench/bench_query.sh [BUILD_DIR] [bench_query options]
#
# Builds tests/bench/bench_query.c against the cache, store and query
# sources with -O2, fills BUILD_DIR/bench-query/cache.db (kept between runs
# with -k) and prints the median and slowest of several runs per query.
# Exits non-zero if a median reaches 50 ms.
set -eu
cd "$(dirname "$0")/../.."
build=${1:-build/bench}
[ $# -gt 0 ] && shift
out=$build/bench-query
mkdir -p "$out"
${CC:-cc} -std=c11 -O2 -g -DNDEBUG -D_GNU_SOURCE -Wall -Wextra -Icore -Idaemon \
	-o "$out/bench_query" tests/bench/bench_query.c \
	daemon/cache/*.c daemon/mailmirrord/store*.c \
	daemon/mailmirrord/checkpointer.c daemon/mailmirrord/log.c \
	daemon/mailmirrord/secret_echo.c daemon/mailmirrord/redact.c \
	daemon/mailmirror/when.c \
	daemon/mailmirror/charset.c \
	daemon/mailmirror/query.c daemon/mailmirror/output.c \
	daemon/mailmirror/parse.c daemon/mailmirror/words.c \
	$(pkg-config --cflags --libs sqlite3 gnutls) -pthread
exec "$out/bench_query" "$@" "$out/cache.db"
