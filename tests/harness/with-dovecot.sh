#!/bin/sh
# shellcheck disable=SC2317 # cleanup and forward run from traps
# with-dovecot.sh CMD [ARG...] - runs CMD against a throwaway Dovecot.
#
# Starts an instance in a fresh temporary directory (tests/harness/
# dovecot.sh), exports every variable of its DIR/env (IMAP_HOST, IMAP_PORT,
# IMAPS_PORT, IMAP_USER, IMAP_PASS, IMAP_USER2, IMAP_PASS2, IMAP_USER3,
# IMAP_PASS3, IMAP_RAWLOG3, IMAP_CA, IMAP_PREAUTH_CMD, DOVECOT_DIR,
# DOVECOT_CONF, MAILDIR_ROOT), runs CMD, then stops Dovecot and removes the
# directory, also when CMD fails or the script is interrupted. Exits with
# CMD's status. Set KEEP_DOVECOT_DIR=1 to keep the directory (logs) for a
# post-mortem.
set -eu

[ $# -ge 1 ] || {
	echo "usage: with-dovecot.sh CMD [ARG...]" >&2
	exit 2
}

HERE=$(cd "$(dirname "$0")" && pwd -P)
# shellcheck source=tests/harness/python-path.sh
. "$HERE/python-path.sh"
DIR=$(mktemp -d "${TMPDIR:-/tmp}/mailmirror-dovecot.XXXXXX")

cleanup() {
	"$HERE/dovecot.sh" stop "$DIR" >/dev/null 2>&1 || true
	if [ "${KEEP_DOVECOT_DIR:-}" = 1 ]; then
		echo "with-dovecot.sh: kept $DIR" >&2
	else
		rm -rf "$DIR"
	fi
}
trap cleanup EXIT

"$HERE/dovecot.sh" start "$DIR"

while IFS= read -r line; do
	# shellcheck disable=SC2163 # exports the KEY=value the line holds
	case "$line" in
	[A-Z]*=*) export "$line" ;;
	esac
done <"$DIR/env"

# CMD runs in the background so that a signal reaches this shell at once
# (a foreground child would delay the trap until it exits); the explicit
# redirection gives it our stdin instead of /dev/null. Background children
# of a non-interactive shell ignore SIGINT, so every signal is passed on
# as SIGTERM.
exec 3<&0
"$@" 0<&3 3<&- &
child=$!
exec 3<&-
forward() {
	kill -TERM "$child" 2>/dev/null || true
	interrupted=$1
}
interrupted=""
trap 'forward 130' INT
trap 'forward 143' TERM
trap 'forward 129' HUP

status=0
while :; do
	wait "$child" && status=0 || status=$?
	kill -0 "$child" 2>/dev/null || break
done
[ -z "$interrupted" ] || status=$interrupted
exit "$status"
