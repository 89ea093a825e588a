#!/bin/sh
# demo.sh BUILD_DIR - mailmirror end to end, in under a minute.
#
# What `make demo` runs after building BUILD_DIR/mailmirrord and
# BUILD_DIR/mailmirror. It starts a throwaway Dovecot on a loopback port
# (tests/harness/dovecot.sh), fills it with a few hundred realistic
# messages (tests/harness/gen-mail.py), mirrors it with mailmirrord, queries
# the cache with mailmirror, changes the mailbox from a second client
# (tests/integration/imapctl.py, Python's imaplib) and times how long the
# cache takes to follow through IDLE. Then it stops everything it started
# and removes its files, also when a step fails or it is interrupted.
#
# Each step checks its result, so the demo doubles as a smoke test: exit
# status 0 when every step passed, 1 when one failed (its output and the
# daemon's log say which), 2 on a usage error. Needs root: Dovecot drops
# privileges to a test user. KEEP_DEMO_DIR=1 keeps the directory (logs,
# cache, configuration) for a post-mortem.
set -eu

PROG=demo.sh
HERE=$(cd "$(dirname "$0")" && pwd -P)
TOP=$(cd "$HERE/../.." && pwd -P)
# shellcheck source=tests/harness/python-path.sh
. "$HERE/python-path.sh"

# The sample: COUNT messages over these mailboxes (INBOX gets three shares,
# the others one each), reproducible from SEED. "Büro/Rechnungen" goes over
# the wire in modified UTF-7 (RFC 3501 5.1.3) and is shown as UTF-8.
COUNT=300
SEED=2025
MAILBOXES="INBOX,Archive,Lists/dovecot,Lists/sqlite,Büro/Rechnungen,Sent"
ACCOUNT=demo
# Seconds: the first sync, one live change, the daemon's shutdown.
SYNC_TIMEOUT=30
LIVE_TIMEOUT=10
STOP_TIMEOUT=10

usage() {
	echo "usage: $PROG BUILD_DIR" >&2
	exit 2
}

[ $# -eq 1 ] || usage
BUILD=$(cd "$1" 2>/dev/null && pwd -P) || {
	echo "$PROG: no build directory $1" >&2
	exit 2
}
MAILMIRRORD=$BUILD/mailmirrord
MAILMIRROR=$BUILD/mailmirror
IMAPCTL=$TOP/tests/integration/imapctl.py

# ------------------------------------------------------------ reporting

T_START=$(date +%s%N)
STEP=0

now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

heading() {
	STEP=$((STEP + 1))
	printf '\n== %d. %s\n' "$STEP" "$*"
}

say() {
	printf '   %s\n' "$*"
}

fail() {
	if [ "$STEP" -gt 0 ]; then
		printf '\n%s: FAILED at step %d: %s\n' "$PROG" "$STEP" "$*" >&2
	else
		printf '%s: %s\n' "$PROG" "$*" >&2
	fi
	if [ -n "${LOG:-}" ] && [ -s "$LOG" ]; then
		echo "--- last lines of the daemon's log ($LOG):" >&2
		tail -n 15 "$LOG" >&2
	fi
	exit 1
}

# Runs the query tool as a reader would type it, showing the command line
# (without the --db option every call carries). Its output goes straight to
# our stdout: an aligned table on a terminal, tab-separated lines in a pipe.
# Any exit status but 0 fails the step: every query below must match.
query() {
	printf '   $ mailmirror %s\n' "$*"
	"$MAILMIRROR" --db "$DB" "$@" || fail "mailmirror $* exited with status $?"
}

# Quiet form for the polling loops: prints only the tool's output.
q() {
	"$MAILMIRROR" --db "$DB" "$@" 2>/dev/null
}

# wait_for WHAT EXPECTED COMMAND...: polls the cache until COMMAND prints
# EXPECTED; says how long that took after the second client had finished
# (its APPEND or STORE acknowledged, its session logged out).
wait_for() {
	what=$1 want=$2
	shift 2
	t0=$(now_ms)
	deadline=$((t0 + LIVE_TIMEOUT * 1000))
	while [ "$(q "$@" || true)" != "$want" ]; do
		kill -0 "$DAEMON_PID" 2>/dev/null || fail "mailmirrord exited"
		[ "$(now_ms)" -lt "$deadline" ] ||
			fail "$what: not in the cache after $LIVE_TIMEOUT s"
		sleep 0.02
	done
	say "$what: in the cache $(($(now_ms) - t0)) ms after the client finished"
}

imapctl() {
	python3 "$IMAPCTL" "$@" >/dev/null || fail "imapctl.py $* failed"
}

# ---------------------------------------------------------------- cleanup

WORK=""
DAEMON_PID=""
DOVECOT_DIR=""

# Runs on every exit, normal or not: the daemon first (it is Dovecot's
# client), then Dovecot, then the files.
cleanup() {
	status=$?
	set +e
	if [ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null; then
		kill -TERM "$DAEMON_PID" 2>/dev/null
		i=0
		while kill -0 "$DAEMON_PID" 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -KILL "$DAEMON_PID" 2>/dev/null
		wait "$DAEMON_PID" 2>/dev/null
	fi
	if [ -n "$DOVECOT_DIR" ]; then
		"$HERE/dovecot.sh" stop "$DOVECOT_DIR" >/dev/null 2>&1 ||
			echo "$PROG: could not stop Dovecot in $DOVECOT_DIR" >&2
	fi
	if [ -n "$WORK" ]; then
		if [ "${KEEP_DEMO_DIR:-}" = 1 ]; then
			echo "$PROG: kept $WORK" >&2
		else
			rm -rf "$WORK"
		fi
	fi
	exit "$status"
}
trap cleanup EXIT
# A signal ends the script through the EXIT trap, with the shell's usual
# status for it.
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# ------------------------------------------------------------------ steps

[ "$(id -u)" -eq 0 ] ||
	fail "must run as root: Dovecot drops privileges to its test user"
for f in "$MAILMIRRORD" "$MAILMIRROR"; do
	[ -x "$f" ] || fail "$f is missing: run make first"
done

heading "A throwaway Dovecot on a loopback port"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/mailmirror-demo.XXXXXX")
# Dovecot's unprivileged processes must walk through WORK into
# WORK/dovecot; what belongs to the daemon lives in WORK/private (0700).
chmod 711 "$WORK"
DOVECOT_DIR=$WORK/dovecot
"$HERE/dovecot.sh" start "$DOVECOT_DIR" ||
	fail "Dovecot did not start (log: $DOVECOT_DIR/dovecot.log)"
while IFS= read -r line; do
	case "$line" in
	[A-Z]*=*) export "${line?}" ;; # the KEY=value the line holds
	esac
done <"$DOVECOT_DIR/env"
say "Dovecot $(dovecot --version | cut -d' ' -f1) listens on 127.0.0.1:$IMAP_PORT (STARTTLS)"
say "and 127.0.0.1:$IMAPS_PORT (implicit TLS), user $IMAP_USER, in $DOVECOT_DIR"

heading "Sample mail: $COUNT messages"
# Written as Maildir files (a second, not a minute of APPENDs); Dovecot
# indexes them at the first login.
python3 "$HERE/gen-mail.py" --env "$DOVECOT_DIR/env" --count "$COUNT" \
	--seed "$SEED" --mailboxes "$MAILBOXES" 2>"$WORK/gen-mail.log" ||
	fail "gen-mail.py: $(cat "$WORK/gen-mail.log")"
say "into $(echo "$MAILBOXES" | sed 's/,/, /g')"
say "(threads, RFC 2047 names and subjects, attachments, flags; seed $SEED)"

heading "A mailmirror configuration (mode 0600)"
PRIVATE=$WORK/private
mkdir -m 700 "$PRIVATE"
CONF=$PRIVATE/mailmirror.conf
DB=$PRIVATE/cache.db
LOG=$PRIVATE/mailmirrord.log
(
	umask 077
	printf '%s\n' "$IMAP_PASS" >"$PRIVATE/demo.pw"
	# Implicit TLS, as RFC 8314 recommends to mail clients, verified
	# against the test CA: the demo takes no shortcut a user should not.
	cat >"$CONF" <<EOF
# Written by tests/harness/demo.sh; see mailmirror.conf(5).
cache = "$DB";
log_level = "info";

accounts = (
	{
		name = "$ACCOUNT";
		host = "127.0.0.1";
		port = $IMAPS_PORT;
		tls = "implicit";
		ca_file = "$IMAP_CA";
		user = "$IMAP_USER";
		password_file = "demo.pw";
		mailboxes = [ "*" ];
		idle = [ "INBOX" ];
		bodies = "full";
	}
);
EOF
)
chmod 600 "$CONF" "$PRIVATE/demo.pw"
[ "$(stat -c %a "$CONF")" = 600 ] || fail "$CONF is not mode 0600"
sed -n '/^accounts/,$p' "$CONF" | sed 's/^/   | /'
printf '   $ mailmirrord -c %s --check-config\n' "$CONF"
out=$("$MAILMIRRORD" -c "$CONF" --check-config 2>&1) ||
	fail "the configuration was rejected: $out"
say "$out"

heading "mailmirrord in the background, and its first sync"
"$MAILMIRRORD" -c "$CONF" 2>"$LOG" &
DAEMON_PID=$!
say "pid $DAEMON_PID, log $LOG"
t0=$(now_ms)
deadline=$((t0 + SYNC_TIMEOUT * 1000))
# Done when every message is in the cache, INBOX is watched with IDLE and
# the indexer has made every body searchable.
while :; do
	kill -0 "$DAEMON_PID" 2>/dev/null ||
		fail "mailmirrord exited during the first sync"
	n=$(q count || true)
	st=$(q --json status || true)
	if [ "$n" = "$COUNT" ] &&
		echo "$st" | grep '"mailbox":"INBOX",' | grep -q '"live":true' &&
		! echo "$st" | grep -q '"unindexed":[1-9]'; then
		break
	fi
	[ "$(now_ms)" -lt "$deadline" ] ||
		fail "first sync not done after $SYNC_TIMEOUT s (${n:-no} messages cached)"
	sleep 0.1
done
say "$COUNT messages mirrored and indexed in $(($(now_ms) - t0)) ms; INBOX is live (IDLE)"

heading "Querying the cache"
query status
echo
query ls "$ACCOUNT/INBOX" --limit 10
echo
say "Full-text search; words match without accents or case (\"uber\" finds \"Über\"):"
query search --limit 5 uber
echo
say "Messages without \\Seen, over every mailbox:"
query count --unread

heading "A second client changes INBOX; the cache follows through IDLE"
before=$(q count "$ACCOUNT/INBOX") || fail "cannot count INBOX"
flagged=$(q count --flagged "$ACCOUNT/INBOX") || fail "cannot count INBOX"
# The newest message of INBOX that is not \Flagged yet.
uid=$(q --json ls "$ACCOUNT/INBOX" --limit 0 | python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if "\\Flagged" not in m["flags"].split():
        print(m["uid"])
        break
') || true
[ -n "$uid" ] || fail "no unflagged message in INBOX"

say "imapctl.py append INBOX \"Hello from the mailmirror demo\""
imapctl append INBOX "Hello from the mailmirror demo"
wait_for "new message" "$((before + 1))" count "$ACCOUNT/INBOX"
say "imapctl.py store INBOX $uid +FLAGS (\\Flagged)"
imapctl store INBOX "$uid" +FLAGS '(\Flagged)'
wait_for "\\Flagged on UID $uid" "$((flagged + 1))" count --flagged "$ACCOUNT/INBOX"
say "(other mailboxes are polled every 300 s: this was IDLE; about 500 ms"
say " of it is Dovecot batching changes before it tells IDLE clients)"
echo
query ls "$ACCOUNT/INBOX" --limit 3
echo
query ls "$ACCOUNT/INBOX" --flagged --limit 3

heading "The cache against the server (Python's imaplib as the oracle)"
out=$(python3 "$IMAPCTL" compare "$DB" "$ACCOUNT" "" 5 2>&1) ||
	fail "the cache differs from the server:
$out"
say "$out"
check=$(sqlite3 "$DB" 'PRAGMA integrity_check' 2>&1) || true
[ "$check" = ok ] || fail "PRAGMA integrity_check: $check"
say "PRAGMA integrity_check: ok"

heading "JSON for other tools"
query --json ls --limit 3

heading "Stopping"
t0=$(now_ms)
kill -TERM "$DAEMON_PID"
deadline=$((t0 + STOP_TIMEOUT * 1000))
while kill -0 "$DAEMON_PID" 2>/dev/null; do
	[ "$(now_ms)" -lt "$deadline" ] ||
		fail "mailmirrord still running $STOP_TIMEOUT s after SIGTERM"
	sleep 0.05
done
rc=0
wait "$DAEMON_PID" || rc=$?
DAEMON_PID=""
[ "$rc" -eq 0 ] || fail "mailmirrord exited with status $rc after SIGTERM"
say "mailmirrord exited with status 0, $(($(now_ms) - t0)) ms after SIGTERM; it logged:"
sed 's/^/   | /' "$LOG"
"$HERE/dovecot.sh" stop "$DOVECOT_DIR" || fail "Dovecot did not stop"
DOVECOT_DIR=""
say "Dovecot stopped; $WORK is removed on exit"

printf '\n%s: all %d steps passed in %d s\n' "$PROG" "$STEP" \
	$((($(date +%s%N) - T_START) / 1000000000))
