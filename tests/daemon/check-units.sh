#!/bin/sh
# check-units.sh - verifies the systemd unit files with systemd-analyze.
#
#   tests/daemon/check-units.sh [SBINDIR [SYSCONFDIR]]
#
# Each unit is instantiated the way "make install" does it (@SBINDIR@ and
# @SYSCONFDIR@ substituted) into a scratch folder and checked with
# "systemd-analyze verify"; a template is checked as an instance. When
# mailmirrord is not installed in SBINDIR, ExecStart points at /bin/true
# for the check, since verify refuses a missing binary. The exposure score
# of "systemd-analyze security" is printed for the system unit.
#
# Exit status: 0 all verified (or systemd-analyze absent: skipped), 1 a
# unit failed verification.
set -eu

here=$(cd "$(dirname "$0")/../.." && pwd)
sbindir=${1:-/usr/local/sbin}
sysconfdir=${2:-/etc}

# What the daemon opens must stay allowed: netwatch.c's rtnetlink socket
# (a network change), TCP to the servers, AF_UNIX for sd_notify. A unit
# without AF_NETLINK silently ended the network-change reconnects.
for unit in "$here"/systemd/*.service "$here"/systemd/user/*.service; do
	families=$(sed -n 's/^RestrictAddressFamilies=//p' "$unit")
	[ -n "$families" ] || continue
	for need in AF_INET AF_INET6 AF_UNIX AF_NETLINK; do
		case " $families " in
		*" $need "*) ;;
		*)
			echo "check-units: $unit: RestrictAddressFamilies lacks $need" >&2
			exit 1
			;;
		esac
	done
done

# Before systemd 254 (Debian 12 has 252) a user unit's StateDirectory= is
# under ~/.config: the daemon's cache was there, where mailmirror does not
# look (explore60). The user unit leaves the cache to the daemon's default.
if grep -q '^StateDirectory=' "$here"/systemd/user/*.service; then
	echo "check-units: the user unit must not set StateDirectory=" >&2
	exit 1
fi

if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "check-units: systemd-analyze not found; skipped"
	exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
mkdir -p "$tmp/system" "$tmp/user"

exec_path="$sbindir/mailmirrord"
if [ ! -x "$exec_path" ]; then
	echo "check-units: $exec_path not installed; ExecStart checked as /bin/true"
	exec_path=/bin/true
fi

instantiate() { # SRC DEST
	sed -e "s|@SBINDIR@/mailmirrord|$exec_path|g" \
		-e "s|@SBINDIR@|$sbindir|g" \
		-e "s|@SYSCONFDIR@|$sysconfdir|g" "$1" >"$2"
	if grep -q '@[A-Z]*@' "$2"; then
		echo "check-units: $1: unsubstituted placeholder:" >&2
		grep -n '@[A-Z]*@' "$2" >&2
		return 1
	fi
}

status=0

# verify prints its complaints (unknown keys, bad values, missing binaries)
# without always failing; any output about our unit counts as a failure.
verify() { # [--user] UNIT-FILE
	if [ "$1" = --user ]; then
		shift
		scope="--user"
	else
		scope="--system"
	fi
	name=$(basename "$1")
	out=$(cd "$(dirname "$1")" &&
		SYSTEMD_LOG_LEVEL=warning systemd-analyze "$scope" verify \
			--man=no "$1" 2>&1) || rc=$?
	rc=${rc:-0}
	mine=$(printf '%s\n' "$out" | grep -F "$name" || true)
	if [ "$rc" -ne 0 ] || [ -n "$mine" ]; then
		echo "FAIL $name ($scope)"
		printf '%s\n' "$out" | sed 's/^/    /'
		status=1
	else
		echo "ok   $name ($scope)"
	fi
	unset rc
}

instantiate "$here/systemd/mailmirrord.service" "$tmp/system/mailmirrord.service"
verify "$tmp/system/mailmirrord.service"

instantiate "$here/systemd/mailmirrord@.service" "$tmp/system/mailmirrord@.service"
# a template is verified through an instance of it
cp "$tmp/system/mailmirrord@.service" "$tmp/system/mailmirrord@check.service"
verify "$tmp/system/mailmirrord@check.service"

instantiate "$here/systemd/user/mailmirrord.service" "$tmp/user/mailmirrord.service"
if [ -n "${XDG_RUNTIME_DIR:-}" ] || [ "$(id -u)" -ne 0 ]; then
	verify --user "$tmp/user/mailmirrord.service"
else
	# without a user session, check it as a system unit: every key it
	# uses exists there too, and %E/%S resolve to /etc and /var/lib
	echo "check-units: no user session; the user unit is checked with --system"
	verify "$tmp/user/mailmirrord.service"
fi

if systemd-analyze security --help 2>/dev/null | grep -q -- '--offline'; then
	echo "exposure of mailmirrord.service:"
	(cd "$tmp/system" && systemd-analyze security --offline=yes \
		--no-pager "$tmp/system/mailmirrord.service" 2>&1 |
		tail -n 1 | sed 's/^/    /') || true
else
	echo "check-units: systemd-analyze security --offline not available; exposure not shown"
fi

exit $status
