#!/bin/sh
# bench_daemon.sh [BUILD] - mailmirrord against a real Dovecot, measured
# against the raw transfer of the same data in the same run.
#
#   BENCH_SCALE=full|small  BENCH_RUNS=N  tests/bench/bench_daemon.sh BUILD
#
# BUILD holds an optimised mailmirrord (make BUILD=... OPT="-O2 -g -DNDEBUG"
# all). Everything else lives in BUILD/bench-daemon: a throwaway Dovecot,
# its Maildir (generated once and kept: writing 100,000 messages is the
# slowest step), caches, configurations and raw figures. The table goes to
# stdout and to BUILD/bench-daemon.txt; tests/bench/README.md explains each
# line. Needs root (Dovecot's privilege separation), python3 and sqlite3;
# mbsync and offlineimap are compared when installed.
#
# BENCH_DAEMON=PATH times another mailmirrord binary (a candidate fix);
# BENCH_SECTIONS="3 4" runs and reports only those of the five sections.
#
# Scales: full = metadata syncs of 20,000, 50,000 and 100,000 messages,
# bodies of 20,000; small = 2,000, 5,000 and 10,000, bodies of 2,000. Every
# figure is a median of BENCH_RUNS runs (default 3) unless it says more.
set -eu
cd "$(dirname "$0")/../.."
top=$(pwd -P)

build=${1:-build/bench}
case $build in
/*) ;;
*) build=$top/$build ;;
esac
scale=${BENCH_SCALE:-full}
runs=${BENCH_RUNS:-3}
sections=${BENCH_SECTIONS:-1 2 3 4 5}
case $scale in
full) sizes="20000 50000 100000" body=20000 ;;
small) sizes="2000 5000 10000" body=2000 ;;
*) echo "bench_daemon: BENCH_SCALE is full or small" >&2; exit 2 ;;
esac
big=${sizes##* }
daemon=${BENCH_DAEMON:-$build/mailmirrord}
[ -x "$daemon" ] || {
	echo "bench_daemon: no $daemon; make BUILD=$build OPT=\"-O2 -g -DNDEBUG\" all" >&2
	exit 2
}
work=$build/bench-daemon
dove=$work/dovecot
report=$build/bench-daemon.txt
bench=$top/tests/bench
mkdir -p "$work"

META="(UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE)"
BODY="(UID BODY.PEEK[])"
# What mailmirrord asks for instead (daemon/mailmirrord/sync.c meta_items):
# the header fields an envelope is made of, which it parses itself, or,
# with bodies, the (partial) message whose header holds them. Each section
# times a raw transfer of these too, so that its ratios can be read both
# against the FETCH the goals name and against the one actually made.
HDRS="BODY.PEEK[HEADER.FIELDS (DATE SUBJECT FROM SENDER REPLY-TO TO CC BCC IN-REPLY-TO MESSAGE-ID)]"
OURS_META="(UID FLAGS INTERNALDATE RFC822.SIZE MODSEQ $HDRS)"
OURS_BODY="(UID FLAGS INTERNALDATE RFC822.SIZE MODSEQ BODY.PEEK[]<0.33554432>)"

say() { printf '%s\n' "$*" >&2; }
die() { say "bench_daemon: $*"; exit 1; }

# ------------------------------------------------------------ cleanup

pids=""
cleanup() {
	for p in $pids; do
		kill "$p" 2>/dev/null || true
	done
	for p in $pids; do
		wait "$p" 2>/dev/null || true
	done
	if [ -f "$dove/dovecot.conf" ]; then
		"$top/tests/harness/dovecot.sh" stop "$dove" || true
	fi
	# Section 3 tunes the server for one pass; never leave it tuned.
	if [ -f "$work/dovecot.conf.orig" ]; then
		mv "$work/dovecot.conf.orig" "$dove/dovecot.conf"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

forget() {	# forget PID: it has been reaped by the caller
	rest=""
	for p in $pids; do
		[ "$p" = "$1" ] || rest="$rest $p"
	done
	pids=$rest
}

# ---------------------------------------------------------- statistics

# median FILE COLUMN: the median of a column of numbers (mean of the two
# middle values for an even count).
median() {
	sort -g -k "$2,$2" "$1" | awk -v c="$2" '{ v[NR] = $c }
		END { if (NR == 0) exit 1
		      if (NR % 2) print v[(NR + 1) / 2]
		      else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# cpu FILE: median of user + system seconds.
cpu() {
	awk '{ print $2 + $3 }' "$1" > "$1.cpu"
	median "$1.cpu" 1
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
fmt() { awk -v a="$1" -v p="$2" 'BEGIN { printf "%." p "f", a }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

kv() {	# kv FILE KEY: the value of a "KEY value" line
	awk -v k="$2" '$1 == k { print $2; exit }' "$1"
}

sql() { sqlite3 -readonly "$1" "$2"; }

# ------------------------------------------------------------- Dovecot

load0=$(cut -d' ' -f1 /proc/loadavg)

[ "$(id -u)" -eq 0 ] || die "must run as root (tests/harness/dovecot.sh)"
# shellcheck source=tests/harness/python-path.sh
. "$top/tests/harness/python-path.sh"
for t in python3 sqlite3; do
	command -v "$t" > /dev/null || die "$t is missing"
done
# A Dovecot left over by an interrupted run would hold the ports.
if [ -f "$dove/dovecot.conf" ]; then
	"$top/tests/harness/dovecot.sh" stop "$dove" 2> /dev/null || true
fi
"$top/tests/harness/dovecot.sh" start "$dove" > /dev/null
# shellcheck disable=SC1091
. "$dove/env"
export IMAP_PASS
maildir=$MAILDIR_ROOT/$IMAP_USER/Maildir

# shellcheck disable=SC2046
${CC:-cc} -std=c11 -O2 -g -Wall -Wextra -D_GNU_SOURCE \
	-o "$work/raw_fetch" "$bench/raw_fetch.c" "$bench/store_sink.c" \
	$(pkg-config --cflags --libs gnutls sqlite3) -pthread
${CC:-cc} -std=c11 -O2 -g -Wall -Wextra -D_GNU_SOURCE \
	-o "$work/runstat" "$bench/runstat.c"
# shellcheck disable=SC2046
${CC:-cc} -std=c11 -O2 -g -DNDEBUG -Wall -Wextra -D_GNU_SOURCE -I"$top/core" \
	-I"$top/daemon" -o "$work/bench_floor" "$bench/bench_floor.c" \
	"$top"/daemon/cache/*.c "$build/libimap4.a" \
	$(pkg-config --cflags --libs sqlite3 gnutls zlib) -pthread

raw() {	# raw OUT ITEMS MAILBOX: one raw transfer, its figures in OUT
	"$work/raw_fetch" 127.0.0.1 "$IMAP_PORT" "$IMAP_USER" "$3" "$2" > "$1" ||
		die "raw_fetch $3 $2 failed"
}

# --------------------------------------------------------------- mail

# Maildir++ folders: B<n> holds the first n messages of one generated set
# (hard links: the same files, the same sizes and flags), Live is watched
# for the IDLE latency, W1..W4 for the idle RSS.
folder_of() { echo "$maildir/.$1"; }

make_mail() {
	stamp=$work/mail-$big.stamp
	[ -f "$stamp" ] && [ -d "$(folder_of "B$big")/cur" ] && return 0
	say "generating $big messages (once; kept in $work)"
	for b in "B$big" Live W1 W2 W3 W4; do
		rm -rf "$(folder_of "$b")"
	done
	python3 "$top/tests/harness/gen-mail.py" --env "$dove/env" \
		--count "$big" --mailboxes "B$big" --seed 1
	python3 "$top/tests/harness/gen-mail.py" --env "$dove/env" \
		--count 200 --mailboxes Live --seed 2
	for w in W1 W2 W3 W4; do
		python3 "$top/tests/harness/gen-mail.py" --env "$dove/env" \
			--count 50 --mailboxes "$w" --seed 3
	done
	src=$(folder_of "B$big")
	for n in $sizes $body; do
		[ "$n" = "$big" ] && continue
		dst=$(folder_of "B$n")
		rm -rf "$dst"
		mkdir -p "$dst/cur" "$dst/new" "$dst/tmp"
		cp "$src/dovecot-keywords" "$dst/"
		# gen-mail names files by their date: name order is UID order.
		(cd "$src/cur" && find . -type f -printf '%f\n' | sort |
			head -n "$n" | xargs ln -t "$dst/cur")
		chown -R mmtest:mmtest "$dst"
	done
	touch "$stamp"
}
make_mail

# Dovecot builds a mailbox's index and its cache of parsed headers on the
# first FETCH after it sees new files; every later FETCH reads them. Only
# the later state is worth timing.
say "warming Dovecot's indexes"
for n in $sizes $body; do
	raw "$work/warm.out" "$META" "B$n"
	[ "$(kv "$work/warm.out" messages)" = "$n" ] || die "B$n does not hold $n messages"
	raw "$work/warm.out" "$OURS_META" "B$n"
done
raw "$work/warm.out" "$BODY" "B$body"
raw "$work/warm.out" "$OURS_BODY" "B$body"
raw "$work/warm.out" "$META" Live

# conf FILE CACHE PORT BODIES "MAILBOXES" "IDLE" [ACCOUNTS]: a daemon
# configuration with ACCOUNTS (default 1) accounts a1..aN, all on the same
# server and user.
conf() {
	{
		echo "cache = \"$2\";"
		echo "accounts = ("
		i=1
		while [ "$i" -le "${7:-1}" ]; do
			[ "$i" -gt 1 ] && echo ","
			cat <<-EOF
			{
				name = "a$i";
				host = "127.0.0.1";
				port = $3;
				tls = "none";
				user = "$IMAP_USER";
				password = "$IMAP_PASS";
				bodies = "$4";
				mailboxes = [ $5 ];
				idle = [ $6 ];
			}
			EOF
			i=$((i + 1))
		done
		echo ");"
	} > "$1"
	chmod 600 "$1"
}

fresh() {	# fresh CACHE: no cache at all, as on a first start
	rm -f "$1" "$1-wal" "$1-shm" "$1-journal"
}

count_rows() {	# count_rows CACHE MAILBOX
	sql "$1" "SELECT count(*) FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id WHERE b.name = '$2'"
}

# The two phases --once logs, in seconds: the mirror complete, then the
# full-text index that follows it.
phases() {
	awk '/synced in/ { s = $(NF - 1) }
	     /full-text index complete in/ { i = $(NF - 2) }
	     END { print s, i }' "$1"
}

# ------------------------------------------- 1. initial metadata sync

measure_1() {
	say "1. initial metadata sync: $sizes messages, $runs runs each"
	for n in $sizes; do
		st=$work/meta-$n
		rm -f "$st".*.stat "$st".*.out "$st".phases
		cache=$work/meta-$n.db
		conf "$work/meta-$n.conf" "$cache" "$IMAP_PORT" none "\"B$n\"" ""
		r=1
		while [ "$r" -le "$runs" ]; do
			# One of each per round, so that drift hits all three alike.
			"$work/runstat" "$st.raw.stat" \
				"$work/raw_fetch" 127.0.0.1 "$IMAP_PORT" "$IMAP_USER" \
				"B$n" "$META" > "$st.raw.out" || die "raw_fetch failed"
			"$work/runstat" "$st.same.stat" \
				"$work/raw_fetch" 127.0.0.1 "$IMAP_PORT" "$IMAP_USER" \
				"B$n" "$OURS_META" > "$st.same.out" || die "raw_fetch failed"
			fresh "$cache"
			"$work/runstat" "$st.ours.stat" \
				"$daemon" -c "$work/meta-$n.conf" --once 2> "$st.ours.log" ||
				die "mailmirrord --once failed: $(tail -n 3 "$st.ours.log")"
			got=$(count_rows "$cache" "B$n")
			[ "$got" = "$n" ] || die "mailmirrord cached $got of $n messages"
			phases "$st.ours.log" >> "$st.phases"
			fresh "$work/py-$n.db"
			"$work/runstat" "$st.py.stat" \
				python3 "$bench/py_store.py" 127.0.0.1 "$IMAP_PORT" \
				"$IMAP_USER" "B$n" "$work/py-$n.db" > "$st.py.out" ||
				die "py_store.py failed"
			[ "$(kv "$st.py.out" messages)" = "$n" ] || die "py_store.py stored $(kv "$st.py.out" messages) of $n"
			r=$((r + 1))
		done
		fresh "$work/py-$n.db"
	done
	# The floor of the CPU: the same FETCH, captured once, parsed and
	# stored step by step by a C program with nothing else to do.
	"$work/raw_fetch" -w "$work/meta-$big.capture" 127.0.0.1 "$IMAP_PORT" \
		"$IMAP_USER" "B$big" "$META" > /dev/null || die "raw_fetch -w failed"
	"$work/bench_floor" "$work/meta-$big.capture" "$work" 3 \
		> "$work/floor.out" || die "bench_floor failed"
	rm -f "$work/meta-$big.capture" "$work"/floor-*.db*
}

# ---------------------------------------------------- 2. full bodies

# The same over implicit TLS (Dovecot's imaps port), as most accounts are
# reached: raw_fetch -t, mailmirrord and mbsync, the certificate verified
# against the harness's CA by each.
measure_2_tls() {
	cache=$work/body-tls.db
	sed -e "s|^cache = .*|cache = \"$cache\";|" \
		-e "s|port = $IMAP_PORT;|port = $IMAPS_PORT;|" \
		-e "s|tls = \"none\";|tls = \"implicit\"; ca_file = \"$IMAP_CA\";|" \
		"$work/body.conf" > "$work/body-tls.conf"
	chmod 600 "$work/body-tls.conf"
	rm -f "$st".tls*.stat "$st".tls.phases
	r=1
	while [ "$r" -le "$runs" ]; do
		"$work/runstat" "$st.tlsraw.stat" \
			"$work/raw_fetch" -t "$IMAP_CA" 127.0.0.1 "$IMAPS_PORT" \
			"$IMAP_USER" "B$body" "$BODY" > "$st.tlsraw.out" ||
			die "raw_fetch over TLS failed"
		fresh "$cache"
		rc=0
		"$work/runstat" "$st.tlsours.stat" \
			"$daemon" -c "$work/body-tls.conf" --once 2> "$st.tlsours.log" || rc=$?
		if [ "$rc" -ne 0 ]; then
			echo "mailmirrord over TLS: --once failed (exit $rc): $(tail -n 1 "$st.tlsours.log")" > "$st.tlsours.note"
			rm -f "$st.tlsours.stat"
			break
		fi
		got=$(sql "$cache" "SELECT count(*) FROM bodies WHERE body IS NOT NULL")
		[ "$got" = "$body" ] || die "mailmirrord over TLS stored $got of $body bodies"
		phases "$st.tlsours.log" >> "$st.tls.phases"
		r=$((r + 1))
	done
	fresh "$cache"
}

# mbsync_runs RC TAG WHAT: $runs pulls of B$body with mbsync -c RC into a
# fresh Maildir, timed into $st.TAG.stat; each must hold every message.
mbsync_runs() {
	r=1
	while [ "$r" -le "$runs" ]; do
		rm -rf "$work/mbsync"
		mkdir -p "$work/mbsync"
		"$work/runstat" "$st.$2.stat" \
			mbsync -c "$1" -q bench 2> "$st.$2.log" ||
			die "$3 failed: $(tail -n 3 "$st.$2.log")"
		got=$(find "$work/mbsync/B$body/cur" "$work/mbsync/B$body/new" -type f | wc -l)
		[ "$got" = "$body" ] || die "$3 stored $got of $body messages"
		r=$((r + 1))
	done
}

measure_2() {
	say "2. full-body sync of $body messages"
	st=$work/body
	rm -f "$st".*.stat "$st".*.note "$st".*.count "$st".phases "$st".text
	cache=$work/body.db
	conf "$work/body.conf" "$cache" "$IMAP_PORT" full "\"B$body\"" ""
	r=1
	while [ "$r" -le "$runs" ]; do
		"$work/runstat" "$st.raw.stat" \
			"$work/raw_fetch" 127.0.0.1 "$IMAP_PORT" "$IMAP_USER" \
			"B$body" "$BODY" > "$st.raw.out" || die "raw_fetch failed"
		"$work/runstat" "$st.same.stat" \
			"$work/raw_fetch" 127.0.0.1 "$IMAP_PORT" "$IMAP_USER" \
			"B$body" "$OURS_BODY" > "$st.same.out" || die "raw_fetch failed"
		fresh "$work/floor.db"
		"$work/runstat" "$st.floor.stat" \
			"$work/raw_fetch" -d "$work/floor.db" 127.0.0.1 "$IMAP_PORT" \
			"$IMAP_USER" "B$body" "$OURS_BODY" > "$st.floor.out" ||
			die "raw_fetch -d failed"
		fresh "$cache"
		# A failure here is a finding to report, not a reason to stop.
		rc=0
		"$work/runstat" "$st.ours.stat" \
			"$daemon" -c "$work/body.conf" --once 2> "$st.ours.log" || rc=$?
		if [ "$rc" -ne 0 ]; then
			echo "mailmirrord: --once failed (exit $rc): $(tail -n 1 "$st.ours.log")" > "$st.ours.note"
			rm -f "$st.ours.stat"
			break
		fi
		got=$(sql "$cache" "SELECT count(*) FROM bodies WHERE body IS NOT NULL")
		[ "$got" = "$body" ] || die "mailmirrord stored $got of $body bodies"
		left=$(sql "$cache" "SELECT (SELECT count(*) FROM bodies_unindexed) + (SELECT count(*) FROM messages_unindexed)")
		[ "$left" = 0 ] || die "--once left $left messages or bodies unindexed"
		phases "$st.ours.log" >> "$st.phases"
		sql "$cache" "SELECT sum(length(body)) FROM bodies" > "$st.text"
		r=$((r + 1))
	done
	fresh "$cache"
	fresh "$work/floor.db"
	measure_2_tls

	# mbsync: a Maildir target, pull only. FSync off: mailmirrord commits with
	# synchronous=NORMAL in WAL (no fsync per transaction); mbsync's default
	# fsyncs every message, which would measure the disk, not the program.
	if command -v mbsync > /dev/null; then
		cat > "$work/mbsyncrc" <<-EOF
		FSync no

		IMAPAccount bench
		Host 127.0.0.1
		Port $IMAP_PORT
		User $IMAP_USER
		Pass $IMAP_PASS
		SSLType None
		AuthMechs LOGIN

		IMAPStore remote
		Account bench

		MaildirStore local
		Path $work/mbsync/
		Inbox $work/mbsync/INBOX

		Channel bench
		Far :remote:
		Near :local:
		Patterns B$body
		Create Near
		Sync Pull
		SyncState *
		EOF
		chmod 600 "$work/mbsyncrc"
		mbsync_runs "$work/mbsyncrc" mbsync mbsync
		# mbsync matches the certificate to a host name, not an address.
		sed -e "s/^Host 127.0.0.1\$/Host localhost/" \
			-e "s/^Port $IMAP_PORT\$/Port $IMAPS_PORT/" \
			-e "s|^SSLType None\$|SSLType IMAPS\nCertificateFile $IMAP_CA|" \
			"$work/mbsyncrc" > "$work/mbsyncrc-tls"
		chmod 600 "$work/mbsyncrc-tls"
		mbsync_runs "$work/mbsyncrc-tls" tlsmbsync "mbsync over TLS"
		rm -rf "$work/mbsync"
	else
		echo "mbsync: not installed (apt-get install isync)" > "$st.mbsync.note"
	fi

	# offlineimap stores about 130 messages a second here: one run, cut off
	# after BENCH_OFFLINEIMAP_S seconds (default 200), its rate compared.
	if command -v offlineimap > /dev/null; then
		cat > "$work/offlineimaprc" <<-EOF
		[general]
		accounts = bench
		metadata = $work/offlineimap/meta

		[Account bench]
		localrepository = local
		remoterepository = remote

		[Repository local]
		type = Maildir
		localfolders = $work/offlineimap/mail

		[Repository remote]
		type = IMAP
		remotehost = 127.0.0.1
		remoteport = $IMAP_PORT
		remoteuser = $IMAP_USER
		remotepass = $IMAP_PASS
		ssl = no
		starttls = no
		readonly = True
		folderfilter = lambda f: f == 'B$body'
		EOF
		chmod 600 "$work/offlineimaprc"
		rm -rf "$work/offlineimap"
		mkdir -p "$work/offlineimap/mail"
		# wait4() of the shell counts the CPU and peak RSS of what it reaped.
		# shellcheck disable=SC2016
		"$work/runstat" "$st.offlineimap.stat" sh -c \
			'timeout -k 10 "$0" offlineimap -c "$1" -o -u quiet > "$2" 2>&1; exit 0' \
			"${BENCH_OFFLINEIMAP_S:-200}" "$work/offlineimaprc" "$st.offlineimap.log"
		find "$work/offlineimap/mail" -type f \( -path '*/cur/*' -o -path '*/new/*' \) |
			wc -l > "$st.offlineimap.count"
		got=$(cat "$st.offlineimap.count")
		[ "$got" = "$body" ] ||
			echo "offlineimap: $got of $body messages in ${BENCH_OFFLINEIMAP_S:-200} s, then stopped; its msgs/s is what counts" > "$st.offlineimap.note"
		rm -rf "$work/offlineimap"
	else
		echo "offlineimap: not installed (apt-get install offlineimap3)" > "$st.offlineimap.note"
	fi
}

# --------------------------------------------------------- 3. resync

# resync_runs TAG SEED CONF: ten resyncs with CONF, each after ten flag
# changes by another client, into $st.TAG.stat; the bare client's after the
# same kind of change into $st.TAG.bare. With $proxy_log set, the bytes of
# each resync go to $st.bytes too.
resync_runs() {
	rm -f "$st.$1.stat" "$st.$1.bare"
	r=1
	while [ "$r" -le 10 ]; do
		flagged=$(python3 "$bench/store_flags.py" 127.0.0.1 "$IMAP_PORT" \
			"$IMAP_USER" "B$big" 10 "$((r + $2))" | awk '{ print $2 }')
		[ -z "${proxy_log:-}" ] || : > "$proxy_log"
		"$work/runstat" "$st.$1.stat" \
			"$daemon" -c "$3" --once 2> "$st.log" ||
			die "resync failed: $(tail -n 3 "$st.log")"
		if [ -n "${proxy_log:-}" ]; then
			wait_proxy
			awk '$1 == "close" { s += $3; r += $4 } END { print s, r }' "$proxy_log" >> "$st.bytes"
		fi
		got=$(sql "$work/meta-$big.db" "SELECT count(*) FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id WHERE b.name = 'B$big' AND m.flagged")
		[ "$got" = "$flagged" ] || die "after resync the cache has $got flagged messages, the server $flagged"
		# The floor: the same kind of change, then a client that only
		# logs in and opens the mailbox.
		python3 "$bench/store_flags.py" 127.0.0.1 "$IMAP_PORT" \
			"$IMAP_USER" "B$big" 10 "$((r + $2 + 100))" > /dev/null
		python3 "$bench/bare_resync.py" 127.0.0.1 "$IMAP_PORT" \
			"$IMAP_USER" "B$big" >> "$st.$1.bare" ||
			die "bare_resync failed"
		r=$((r + 1))
	done
}

measure_3() {
	say "3. resync of $big messages after 10 flag changes, 10 runs"
	st=$work/resync
	rm -f "$st".*.stat "$st".*.bare "$st.bytes"
	proxy_log=$work/proxy.log
	: > "$proxy_log"
	rm -f "$work/proxy.port"
	python3 "$bench/wire_count.py" 127.0.0.1 "$IMAP_PORT" "$proxy_log" > "$work/proxy.port" &
	proxy=$!
	pids="$pids $proxy"
	i=0
	while [ ! -s "$work/proxy.port" ]; do
		i=$((i + 1))
		[ "$i" -lt 100 ] || die "the counting proxy did not start"
		sleep 0.05
	done
	proxy_port=$(cat "$work/proxy.port")
	# The cache of the last metadata run of the largest mailbox, now through
	# the proxy: same account, same server.
	conf "$work/resync.conf" "$work/meta-$big.db" "$proxy_port" none "\"B$big\"" ""
	"$daemon" -c "$work/resync.conf" --once 2> "$st.log" || die "resync failed"

	wait_proxy() {	# until every connection the proxy saw is closed
		i=0
		while [ "$(grep -c '^open' "$proxy_log")" != "$(grep -c '^close' "$proxy_log")" ]; do
			i=$((i + 1))
			[ "$i" -lt 200 ] || die "a proxied connection does not close"
			sleep 0.01
		done
	}
	wait_proxy
	resync_runs ours 0 "$work/resync.conf"
	proxy_log=
	kill "$proxy"
	wait "$proxy" 2>/dev/null || true
	forget "$proxy"
	raw "$st.flags.out" "(UID FLAGS)" "B$big"

	# Again with maildir_very_dirty_syncs = yes: Dovecot then trusts its
	# index instead of rescanning the 100,000 files of cur/ at every
	# SELECT, its documented setting for a Maildir that only Dovecot
	# writes to (as here). The server's floor drops; what is left is ours.
	cp "$dove/dovecot.conf" "$work/dovecot.conf.orig"
	sed -i 's/^mailbox_list_index = yes$/&\nmaildir_very_dirty_syncs = yes/' "$dove/dovecot.conf"
	"$top/tests/harness/dovecot.sh" reload "$dove" > /dev/null
	sleep 1
	conf "$work/resync-vds.conf" "$work/meta-$big.db" "$IMAP_PORT" none "\"B$big\"" ""
	resync_runs vds 200 "$work/resync-vds.conf"

	# And with Dovecot's high-performance mode as well (its documented
	# tuning for busy servers): login and imap processes are started in
	# advance and reused instead of forked for each connection, which is
	# most of what the greeting and LOGIN cost above.
	cat >> "$dove/dovecot.conf" <<-EOF
	service imap-login {
	  service_count = 0
	  process_min_avail = 1
	}
	service imap {
	  service_count = 0
	  process_min_avail = 2
	}
	EOF
	"$top/tests/harness/dovecot.sh" reload "$dove" > /dev/null
	sleep 1
	resync_runs fast 400 "$work/resync-vds.conf"
	mv "$work/dovecot.conf.orig" "$dove/dovecot.conf"
	"$top/tests/harness/dovecot.sh" reload "$dove" > /dev/null
	sleep 1
}

# ----------------------------------------------------- 4. IDLE push

measure_4() {
	# start_daemon CONF: runs it in the background until stop_daemon; waits
	# until ACCOUNTS accounts are idle and WATCHED mailboxes live in CACHE.
	start_daemon() {
		"$daemon" -c "$1" 2> "$1.log" &
		dpid=$!
		pids="$pids $dpid"
		i=0
		while :; do
			a=$(sql "$2" "SELECT count(*) FROM accounts WHERE state = 'idle'" 2>/dev/null || echo 0)
			l=$(sql "$2" "SELECT count(*) FROM mailboxes WHERE live" 2>/dev/null || echo 0)
			[ "$a" = "$3" ] && [ "$l" -ge "$4" ] && break
			i=$((i + 1))
			[ "$i" -lt 600 ] || die "mailmirrord did not reach idle: $(tail -n 3 "$1.log")"
			kill -0 "$dpid" 2>/dev/null || die "mailmirrord exited: $(tail -n 3 "$1.log")"
			sleep 0.05
		done
	}

	stop_daemon() {
		kill -TERM "$dpid"
		wait "$dpid" 2>/dev/null || true
		forget "$dpid"
	}

	say "4. IDLE push latency"
	cache=$work/live.db
	fresh "$cache"
	conf "$work/live.conf" "$cache" "$IMAP_PORT" none '"Live"' '"Live"'
	start_daemon "$work/live.conf" "$cache" 1 1
	python3 "$bench/idle_latency.py" 127.0.0.1 "$IMAP_PORT" "$IMAP_USER" Live \
		"$cache" a1 25 > "$work/idle.out" || die "idle_latency.py failed"
	stop_daemon
}

# -------------------------------------------------------- 5. idle RSS

measure_5() {
	say "5. idle RSS"
	rss_of() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status"; }
	idle_rss() {	# idle_rss NAME ACCOUNTS "MAILBOXES" WATCHED
		cache=$work/rss-$1.db
		fresh "$cache"
		conf "$work/rss-$1.conf" "$cache" "$IMAP_PORT" none "$3" "$3" "$2"
		start_daemon "$work/rss-$1.conf" "$cache" "$2" "$4"
		# A moment for the IDLE commands to be sent and the heap to settle.
		sleep 1
		rss_of "$dpid" > "$work/rss-$1.kb"
		sql "$cache" "SELECT count(*) FROM mailboxes WHERE live" > "$work/rss-$1.live"
		stop_daemon
	}
	idle_rss acct1 1 '"W1"' 1
	idle_rss acct2 2 '"W1"' 2
	idle_rss acct4 4 '"W1"' 4
	# Several watched mailboxes of one account: NOTIFY when Dovecot offers it
	# (every one live), else the others are polled (one live).
	idle_rss box2 1 '"W1", "W2"' 1
	idle_rss box4 1 '"W1", "W2", "W3", "W4"' 1
}

# -------------------------------------------------------------- report

report_header() {
	echo "mailmirrord benchmarks ($scale scale, $(date -u +%Y-%m-%d), $(nproc) cores, Dovecot $(dovecot --version | cut -d' ' -f1), loopback, plain TCP unless said)"
	echo "medians of $runs runs; ratios are against the raw transfer (raw_fetch) of the same run"
	if [ -n "${BENCH_DAEMON:-}" ]; then
		echo "mailmirrord binary: $daemon (BENCH_DAEMON)"
	fi
	echo "load average at start $load0, at end $(cut -d' ' -f1 /proc/loadavg) (other work on the machine shows in the wall times)"
}

report_1() {
	echo
	echo "1. initial metadata sync (UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE)"
	printf '%-8s %-12s %8s %6s %8s %6s %8s %7s\n' messages program wall_s xraw cpu_s xpy rss_MiB "MB/s"
	for n in $sizes; do
		st=$work/meta-$n
		bytes=$(kv "$st.raw.out" fetch_bytes)
		rw=$(median "$st.raw.stat" 1)
		pc=$(cpu "$st.py.stat")
		for p in raw same ours py; do
			case $p in raw) name=raw_fetch ;; same) name=raw_headers ;; ours) name=mailmirrord ;; py) name=py_store.py ;; esac
			[ -s "$st.$p.stat" ] || continue
			w=$(median "$st.$p.stat" 1)
			c=$(cpu "$st.$p.stat")
			printf '%-8s %-12s %8s %6s %8s %6s %8s %7s\n' "$n" "$name" \
				"$(fmt "$w" 2)" "$(ratio "$w" "$rw")" "$(fmt "$c" 2)" \
				"$(ratio "$c" "$pc")" "$(mib "$(median "$st.$p.stat" 4)")" \
				"$(awk -v b="$bytes" -v w="$w" 'BEGIN { printf "%.1f", b / w / 1e6 }')"
		done
	done
	for n in $sizes; do
		st=$work/meta-$n
		[ -s "$st.phases" ] || continue
		s=$(median "$st.phases" 1)
		i=$(median "$st.phases" 2)
		same=""
		[ -s "$st.same.stat" ] && same=", $(ratio "$s" "$(median "$st.same.stat" 1)") x raw_headers"
		echo "  mailmirrord's two phases at $n: synced in $(fmt "$s" 2) s ($(ratio "$s" "$(median "$st.raw.stat" 1)") x raw$same), then the full-text index in $(fmt "$i" 2) s more"
	done
	echo "  (xraw: wall over raw_fetch's, the ENVELOPE FETCH the goals name; raw_headers: the FETCH"
	echo "   mailmirrord makes, header fields instead of ENVELOPE, $(kv "$work/meta-$big.same.out" fetch_bytes 2>/dev/null) bytes at $big;"
	echo "   xpy: CPU (user+sys) over py_store.py's, the CPU peer;"
	echo "   MB/s: response bytes over wall time; $(kv "$work/meta-$big.raw.out" fetch_bytes) bytes at $big messages)"
	[ -s "$work/floor.out" ] || return 0
	pc=$(cpu "$work/meta-$big.py.stat")
	echo "  the floor of the CPU at $big (tests/bench/bench_floor.c, C with libimap4 and SQLite, from a capture"
	echo "  of the same FETCH, each step adding to the one before; xpy over py_store.py's $(fmt "$pc" 2) s):"
	for step in parse raw rows schema; do
		c=$(kv "$work/floor.out" "${step}_cpu_s")
		case $step in
		parse) what="read and type every FETCH, store nothing" ;;
		raw) what="store each response's bytes by UID: py_store.py's work" ;;
		rows) what="store the cache's columns instead, undecoded, one index" ;;
		schema) what="in the cache's own schema: its indexes, no decoding, no FTS" ;;
		esac
		printf '    %-7s %6s s %6s  %s\n' "$step" "$(fmt "$c" 2)" "$(ratio "$c" "$pc")" "$what"
	done
}

report_2() {
	echo
	echo "2. full-body sync of $body messages (BODY.PEEK[]; $(kv "$work/body.raw.out" fetch_bytes) bytes)"
	printf '%-12s %9s %7s %9s %9s %9s\n' program wall_s xraw cpu_s rss_MiB msgs/s
	rw=$(median "$work/body.raw.stat" 1)
	for p in raw same floor ours mbsync offlineimap; do
		case $p in raw) name=raw_fetch ;; same) name=raw_same ;; floor) name=store_floor ;;
		ours) name=mailmirrord ;; *) name=$p ;; esac
		f=$work/body.$p.stat
		if [ -s "$f" ]; then
			w=$(median "$f" 1)
			n=$body
			[ -s "$work/body.$p.count" ] && n=$(cat "$work/body.$p.count")
			printf '%-12s %9s %7s %9s %9s %9s\n' "$name" "$(fmt "$w" 2)" \
				"$(ratio "$w" "$rw")" "$(fmt "$(cpu "$f")" 2)" \
				"$(mib "$(median "$f" 4)")" \
				"$(awk -v n="$n" -v w="$w" 'BEGIN { printf "%.0f", n / w }')"
		fi
		if [ -s "$work/body.$p.note" ]; then
			echo "  $(cat "$work/body.$p.note")"
		fi
	done
	if [ -s "$work/body.phases" ]; then
		s=$(median "$work/body.phases" 1)
		i=$(median "$work/body.phases" 2)
		same=""
		[ -s "$work/body.same.stat" ] && same=", $(ratio "$s" "$(median "$work/body.same.stat" 1)") x raw_same"
		[ -s "$work/body.floor.stat" ] && same="$same, $(ratio "$s" "$(median "$work/body.floor.stat" 1)") x store_floor"
		echo "  mailmirrord's two phases: bodies stored in $(fmt "$s" 2) s ($(ratio "$s" "$rw") x raw$same), then the full-text index in $(fmt "$i" 2) s more"
		echo "  text stored: $(cat "$work/body.text") bytes (MIME decoded; attachments named, not stored)"
	fi
	echo "  (raw_same: the FETCH mailmirrord makes, with FLAGS, INTERNALDATE, RFC822.SIZE and MODSEQ;"
	echo "   store_floor: that FETCH, each body stored untouched in SQLite on a second thread (raw_fetch -d);"
	echo "   mbsync with FSync no; offlineimap: one run)"
	[ -s "$work/body.tlsraw.stat" ] || return 0
	echo "over implicit TLS ($(kv "$work/body.tlsraw.out" tls); Dovecot's imaps port, certificates verified):"
	tw=$(median "$work/body.tlsraw.stat" 1)
	for p in tlsraw tlsours tlsmbsync; do
		case $p in tlsraw) name=raw_fetch ;; tlsours) name=mailmirrord ;; *) name=mbsync ;; esac
		f=$work/body.$p.stat
		if [ -s "$f" ]; then
			w=$(median "$f" 1)
			printf '%-12s %9s %7s %9s %9s %9s\n' "$name" "$(fmt "$w" 2)" \
				"$(ratio "$w" "$tw")" "$(fmt "$(cpu "$f")" 2)" \
				"$(mib "$(median "$f" 4)")" \
				"$(awk -v n="$body" -v w="$w" 'BEGIN { printf "%.0f", n / w }')"
		fi
		if [ -s "$work/body.$p.note" ]; then
			echo "  $(cat "$work/body.$p.note")"
		fi
	done
	if [ -s "$work/body.tls.phases" ]; then
		s=$(median "$work/body.tls.phases" 1)
		echo "  mailmirrord over TLS: bodies stored in $(fmt "$s" 2) s ($(ratio "$s" "$tw") x raw over TLS)"
	fi
}

report_3() {
	echo
	echo "3. resync of $big messages after 10 flag changes by another client (10 runs)"
	st=$work/resync
	w=$(median "$st.ours.stat" 1)
	down=$(median "$st.bytes" 2)
	up=$(median "$st.bytes" 1)
	full=$(kv "$st.flags.out" fetch_bytes)
	echo "mailmirrord --once wall: $(fmt "$w" 3) s median, $(fmt "$(sort -g "$st.ours.stat" | tail -n 1 | cut -d' ' -f1)" 3) s worst"
	if [ -s "$st.ours.bare" ]; then
		b=$(median "$st.ours.bare" 1)
		echo "bare client, same change:  $(fmt "$b" 3) s median (LOGIN, EXAMINE, LOGOUT only); mailmirrord/bare = $(ratio "$w" "$b")"
	fi
	echo "bytes on the wire:       $down from the server, $up to it (whole session, login included)"
	echo "full FLAGS listing:      $full bytes (UID FETCH 1:* (UID FLAGS)); resync/listing = $(ratio "$down" "$full")"
	resync_report vds "with maildir_very_dirty_syncs = yes (Dovecot trusts its index, no rescan of cur/):"
	resync_report fast "and Dovecot's high-performance mode (login and imap processes started in advance, reused):"
}

resync_report() {	# resync_report TAG TITLE
	[ -s "$st.$1.stat" ] && [ -s "$st.$1.bare" ] || return 0
	w=$(median "$st.$1.stat" 1)
	b=$(median "$st.$1.bare" 1)
	echo "$2"
	echo "  mailmirrord --once:      $(fmt "$w" 3) s median, $(fmt "$(sort -g "$st.$1.stat" | tail -n 1 | cut -d' ' -f1)" 3) s worst; its CPU $(fmt "$(cpu "$st.$1.stat")" 3) s"
	echo "  bare client:             $(fmt "$b" 3) s median; mailmirrord/bare = $(ratio "$w" "$b")"
}

report_4() {
	echo
	echo "4. IDLE push latency (25 trials; flag change by another client)"
	echo "bare IDLE client sees it: $(kv "$work/idle.out" bare_median) ms median (Dovecot's own notification delay)"
	echo "row changed in the cache: $(kv "$work/idle.out" ours_median) ms median"
	echo "mailmirrord adds:         $(kv "$work/idle.out" added_median) ms median, $(kv "$work/idle.out" added_p90) ms p90 (1 ms polling)"
}

report_5() {
	echo
	echo "5. idle RSS of the running daemon (VmRSS)"
	a1=$(cat "$work/rss-acct1.kb")
	a2=$(cat "$work/rss-acct2.kb")
	a4=$(cat "$work/rss-acct4.kb")
	b2=$(cat "$work/rss-box2.kb")
	b4=$(cat "$work/rss-box4.kb")
	echo "accounts 1/2/4 (one watched mailbox each): $(mib "$a1") / $(mib "$a2") / $(mib "$a4") MiB; per account $(awk -v a="$a1" -v b="$a4" 'BEGIN { printf "%.0f", (b - a) / 3 }') KiB"
	echo "watched mailboxes 1/2/4 (one account):     $(mib "$a1") / $(mib "$b2") / $(mib "$b4") MiB; per mailbox $(awk -v a="$a1" -v b="$b4" 'BEGIN { printf "%.0f", (b - a) / 3 }') KiB ($(cat "$work/rss-box4.live") of 4 live)"
}

# --------------------------------------------------------------- main

for n in $sections; do
	"measure_$n"
done
{
	report_header
	for n in $sections; do
		"report_$n"
	done
} > "$report"
cat "$report"
