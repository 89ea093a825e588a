#!/bin/sh
# Installs the Debian 12 packages that building, testing and the demo need,
# when any is missing. Needs root (or sudo) only when something is missing.
# EXTRA_PKGS adds more (make bench: the peers it compares against).
set -eu

PKGS="build-essential pkg-config clang libgnutls28-dev gnutls-bin libconfig-dev
libsqlite3-dev sqlite3 libcriterion-dev zlib1g-dev libsystemd-dev
dovecot-core dovecot-imapd python3 valgrind tzdata locales ${EXTRA_PKGS:-}"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "install-deps: installing$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q >/dev/null || echo "install-deps: apt-get update failed; trying the lists we have" >&2
# Installing dovecot must not start the system's own instance on port 143.
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
	$SUDO chmod 755 /usr/sbin/policy-rc.d
	trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
