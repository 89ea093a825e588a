#!/bin/sh
# dovecot.sh - a throwaway Dovecot 2.3 for integration tests and the demo.
#
#   dovecot.sh start DIR     configure (once) and start an instance in DIR
#   dovecot.sh stop DIR      stop it and wait until it has exited
#   dovecot.sh reload DIR    SIGHUP: re-read the configuration
#   dovecot.sh restart DIR   stop, then start again on the same ports
#
# Everything lives in DIR: dovecot.conf, the CA and server certificate, the
# passwd file, logs, sockets and the mail (DIR/home/<user>/Maildir, owned by
# the system user "mmtest"). DIR/env holds KEY=value lines describing the
# instance (see write_env); tests/harness/with-dovecot.sh exports them.
# Three users: mmuser and mmuser2 see everything Dovecot offers (a public
# namespace "Public/" among it, DIR/public); mmplain's
# sessions offer IMAP4rev1 alone after login (see make_passwd), so that
# clients' paths for servers without extensions meet a real server.
# Instances in different DIRs run side by side. Needs root (Dovecot's
# privilege separation, the mmtest user).
set -eu

PROG=dovecot.sh
DOVECOT=${DOVECOT:-dovecot}
DOVECOT_LIBEXEC=${DOVECOT_LIBEXEC:-/usr/lib/dovecot}
MAIL_USER=mmtest

die() {
	echo "$PROG: $*" >&2
	exit 1
}

usage() {
	echo "usage: $PROG start|stop|reload|restart DIR" >&2
	exit 2
}

[ $# -eq 2 ] || usage
CMD=$1
[ -n "$2" ] || usage
mkdir -p "$2"
DIR=$(cd "$2" && pwd -P)
CONF=$DIR/dovecot.conf

# --------------------------------------------------------------- helpers

need_root() {
	[ "$(id -u)" -eq 0 ] || die "must run as root (Dovecot drops privileges to $MAIL_USER)"
	command -v "$DOVECOT" >/dev/null 2>&1 ||
		die "dovecot not found; run tests/harness/install-deps.sh"
}

# The mail owner: a system account without a login shell. Two instances
# starting at once may both find it missing; the lock serialises useradd.
ensure_user() {
	getent passwd "$MAIL_USER" >/dev/null && return 0
	(
		flock 9
		getent passwd "$MAIL_USER" >/dev/null ||
			useradd --system --user-group --no-create-home \
				--home-dir /nonexistent --shell /usr/sbin/nologin \
				--comment "mailmirror test mail" "$MAIL_USER"
	) 9>"$(mkdir -p /run/lock && echo /run/lock)/mailmirror-useradd.lock" ||
		die "cannot create user $MAIL_USER"
}

random_secret() {
	python3 -c 'import secrets; print(secrets.token_urlsafe(15))'
}

# Two ports free right now on 127.0.0.1. Another process may take one
# before Dovecot binds it; start() then retries with fresh ports.
free_ports() {
	python3 - <<'EOF'
import socket
socks = []
for _ in range(2):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

make_certs() {
	[ -s "$DIR/server.pem" ] && return 0
	cat >"$DIR/ca.tmpl" <<EOF
cn = "mailmirror test CA"
organization = "mailmirror tests"
serial = 1
expiration_days = 3650
ca
cert_signing_key
crl_signing_key
EOF
	cat >"$DIR/server.tmpl" <<EOF
cn = "localhost"
organization = "mailmirror tests"
serial = 2
expiration_days = 3650
dns_name = "localhost"
ip_address = "127.0.0.1"
tls_www_server
signing_key
encryption_key
EOF
	certtool --generate-privkey --key-type=ecdsa --curve=secp256r1 \
		--outfile "$DIR/ca.key" 2>/dev/null
	certtool --generate-self-signed --load-privkey "$DIR/ca.key" \
		--template "$DIR/ca.tmpl" --outfile "$DIR/ca.pem" 2>/dev/null
	certtool --generate-privkey --key-type=ecdsa --curve=secp256r1 \
		--outfile "$DIR/server.key" 2>/dev/null
	certtool --generate-certificate --load-privkey "$DIR/server.key" \
		--load-ca-certificate "$DIR/ca.pem" --load-ca-privkey "$DIR/ca.key" \
		--template "$DIR/server.tmpl" --outfile "$DIR/server.pem" 2>/dev/null
	rm -f "$DIR/ca.tmpl" "$DIR/server.tmpl"
	# The PREAUTH command runs Dovecot's imap as $MAIL_USER, which parses
	# the whole configuration, ssl_key included.
	chgrp "$MAIL_USER" "$DIR/server.key"
	chmod 640 "$DIR/server.key"
	chmod 600 "$DIR/ca.key"
	chmod 644 "$DIR/ca.pem" "$DIR/server.pem"
}

# DIR/params keeps what must survive a restart: ports and passwords.
make_params() {
	[ -s "$DIR/params" ] && return 0
	ports=$(free_ports)
	cat >"$DIR/params" <<EOF
IMAP_PORT=${ports%% *}
IMAPS_PORT=${ports##* }
IMAP_PASS=$(random_secret)
IMAP_PASS2=$(random_secret)
IMAP_PASS3=$(random_secret)
EOF
	chmod 600 "$DIR/params"
}

load_params() {
	IMAP_PORT=$(sed -n 's/^IMAP_PORT=//p' "$DIR/params")
	IMAPS_PORT=$(sed -n 's/^IMAPS_PORT=//p' "$DIR/params")
	IMAP_PASS=$(sed -n 's/^IMAP_PASS=//p' "$DIR/params")
	IMAP_PASS2=$(sed -n 's/^IMAP_PASS2=//p' "$DIR/params")
	IMAP_PASS3=$(sed -n 's/^IMAP_PASS3=//p' "$DIR/params")
	# An instance made before mmplain existed: give it a password now.
	if [ -z "$IMAP_PASS3" ]; then
		IMAP_PASS3=$(random_secret)
		echo "IMAP_PASS3=$IMAP_PASS3" >>"$DIR/params"
	fi
}

make_passwd() {
	# passwd-file(5) format: user:password:uid:gid:gecos:home:shell:extra;
	# uid, gid and home come from the static userdb.
	# mmplain's userdb_imap_capability replaces the capabilities of its
	# imap process (the [CAPABILITY] of the LOGIN OK and CAPABILITY
	# after it): no IDLE, CONDSTORE, QRESYNC, ENABLE, ESEARCH, NOTIFY,
	# UIDPLUS, MOVE, LITERAL+, SPECIAL-USE, LIST-EXTENDED, ... Extra
	# fields are split at spaces, so the value is one word. Dovecot
	# still accepts the commands it no longer advertises: a client must
	# not send them. To check that, every mmplain session after its
	# LOGIN is recorded in DIR/rawlog (rawlog_dir: DATE-TIME-PID.in is
	# what the client sent, .out what the server answered).
	mkdir -p "$DIR/rawlog"
	chown "$MAIL_USER:$MAIL_USER" "$DIR/rawlog"
	printf '%s:{PLAIN}%s::::::%s\n' \
		mmuser "$IMAP_PASS" "" \
		mmuser2 "$IMAP_PASS2" "" \
		mmplain "$IMAP_PASS3" \
		"userdb_imap_capability=IMAP4rev1 userdb_rawlog_dir=$DIR/rawlog" \
		>"$DIR/passwd"
	# Dovecot's auth process reads it as the "dovecot" user.
	chgrp dovecot "$DIR/passwd"
	chmod 640 "$DIR/passwd"
}

# Mechanisms this Dovecot has: doveconf accepts any name in
# auth_mechanisms, and an unknown one only fails later, in the auth
# process; the names the auth binary carries are the ones it knows.
pick_mechanisms() {
	mechs="plain login"
	for m in cram-md5 scram-sha-256; do
		M=$(echo "$m" | tr '[:lower:]' '[:upper:]')
		if grep -qaF "$M" "$DOVECOT_LIBEXEC/auth" 2>/dev/null; then
			mechs="$mechs $m"
		fi
	done
	echo "$mechs"
}

write_conf() {
	uid=$(id -u "$MAIL_USER")
	gid=$(id -g "$MAIL_USER")
	dh=""
	[ -r /usr/share/dovecot/dh.pem ] && dh="ssl_dh = </usr/share/dovecot/dh.pem"
	cat >"$CONF" <<EOF
# Generated by tests/harness/dovecot.sh; rewritten at every start.
base_dir = $DIR/run
state_dir = $DIR/state
instance_name = mmtest-$IMAP_PORT
protocols = imap
listen = 127.0.0.1
log_path = $DIR/dovecot.log
info_log_path = $DIR/dovecot.log
debug_log_path = $DIR/dovecot.log
shutdown_clients = yes

ssl = yes
ssl_cert = <$DIR/server.pem
ssl_key = <$DIR/server.key
$dh

disable_plaintext_auth = no
auth_mechanisms = $(pick_mechanisms)
passdb {
  driver = passwd-file
  args = scheme=PLAIN $DIR/passwd
}
userdb {
  driver = static
  args = uid=$uid gid=$gid home=$DIR/home/%u
}
first_valid_uid = $uid
last_valid_uid = $uid
first_valid_gid = $gid
last_valid_gid = $gid

mail_location = maildir:~/Maildir
mailbox_list_index = yes
# Dovecot watches a NOTIFY session's list index log with inotify by inode:
# once the log is rotated (the suite's many tests share one account, and
# rotate it), news of mailboxes not selected waits for this check, 30 s
# by default, longer than a test waits.
mailbox_idle_check_interval = 1 secs
mail_fsync = never
mail_max_userip_connections = 1000

namespace inbox {
  inbox = yes
  separator = /
  mailbox Sent {
    special_use = \\Sent
    auto = subscribe
  }
  mailbox Drafts {
    special_use = \\Drafts
    auto = subscribe
  }
  mailbox Trash {
    special_use = \\Trash
    auto = subscribe
  }
  mailbox Junk {
    special_use = \\Junk
    auto = subscribe
  }
  # RFC 6154 lets a mailbox have several uses; the test that needs one
  # creates it (no auto).
  mailbox dm_su/Archive {
    special_use = \\Archive \\All
  }
}

# A public namespace, one tree for every user (RFC 2342 "shared"): the
# mailboxes NOTIFY's "personal" filter leaves out. It lists only once it
# has a mailbox, so a LIST "*" of a user meets it only in tests that make
# one (under Public/<their prefix>).
namespace public {
  type = public
  separator = /
  prefix = Public/
  location = maildir:$DIR/public
  subscriptions = no
  list = children
}

mail_plugins = \$mail_plugins acl quota zlib notify
protocol imap {
  mail_plugins = \$mail_plugins imap_acl imap_quota imap_zlib
}
plugin {
  acl = vfile
  quota = maildir:User quota
  quota_rule = *:storage=1G
}

service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $IMAP_PORT
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $IMAPS_PORT
    ssl = yes
  }
}
service auth {
  unix_listener auth-userdb {
    mode = 0666
  }
}
# The PREAUTH command's imap runs outside the master, as the mail owner.
service stats {
  unix_listener stats-writer {
    mode = 0666
  }
}
EOF
	chmod 644 "$CONF"
}

# IMAP over stdin/stdout, already logged in as mmuser: Dovecot's imap
# binary run as the mail owner, the way Dovecot documents preauthenticated
# sessions. A wrapper script keeps DIR/env free of spaces, so that it can
# be sourced by a shell as well as read line by line.
write_preauth() {
	cat >"$DIR/preauth.sh" <<EOF
#!/bin/sh
exec 2>>$DIR/preauth.log
exec setpriv --reuid=$MAIL_USER --regid=$MAIL_USER --init-groups \\
	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin USER=mmuser \\
	HOME=$DIR/home/mmuser $DOVECOT_LIBEXEC/imap -c $CONF
EOF
	chmod 755 "$DIR/preauth.sh"
	# Its own log: the stream's stderr belongs to the test.
	touch "$DIR/preauth.log"
	chown "$MAIL_USER:$MAIL_USER" "$DIR/preauth.log"
}

write_env() {
	write_preauth
	cat >"$DIR/env.tmp" <<EOF
IMAP_HOST=127.0.0.1
IMAP_PORT=$IMAP_PORT
IMAPS_PORT=$IMAPS_PORT
IMAP_USER=mmuser
IMAP_PASS=$IMAP_PASS
IMAP_USER2=mmuser2
IMAP_PASS2=$IMAP_PASS2
IMAP_USER3=mmplain
IMAP_PASS3=$IMAP_PASS3
IMAP_RAWLOG3=$DIR/rawlog
IMAP_CA=$DIR/ca.pem
IMAP_PREAUTH_CMD=$DIR/preauth.sh
DOVECOT_DIR=$DIR
DOVECOT_CONF=$CONF
MAILDIR_ROOT=$DIR/home
EOF
	chmod 600 "$DIR/env.tmp"
	mv "$DIR/env.tmp" "$DIR/env"
}

master_pid() {
	[ -s "$DIR/run/master.pid" ] || return 1
	pid=$(cat "$DIR/run/master.pid")
	kill -0 "$pid" 2>/dev/null || return 1
	echo "$pid"
}

# Waits until the plain port greets with "* OK" (10 s).
wait_greeting() {
	python3 - "$IMAP_PORT" <<'EOF'
import socket, sys, time
port = int(sys.argv[1])
end = time.monotonic() + 10
while time.monotonic() < end:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            if s.recv(512).startswith(b"* OK"):
                sys.exit(0)
    except OSError:
        pass
    time.sleep(0.05)
sys.exit(1)
EOF
}

prepare() {
	need_root
	ensure_user
	# Dovecot's unprivileged processes walk into DIR: passwd, sockets, mail.
	chmod 755 "$DIR"
	mkdir -p "$DIR/run" "$DIR/state" "$DIR/home" "$DIR/public"
	chown "$MAIL_USER:$MAIL_USER" "$DIR/home" "$DIR/public"
	# The public namespace (write_conf): everyone may do everything.
	[ -s "$DIR/public/dovecot-acl" ] ||
		echo "anyone lrwstipekxa" >"$DIR/public/dovecot-acl"
	chown "$MAIL_USER:$MAIL_USER" "$DIR/public/dovecot-acl"
	setpriv --reuid="$MAIL_USER" --regid="$MAIL_USER" --clear-groups \
		test -x "$DIR" ||
		die "$DIR is out of reach of unprivileged users (a private parent directory?); use one under /tmp"
	make_certs
}

do_start() {
	prepare
	if master_pid >/dev/null; then
		die "already running in $DIR (pid $(master_pid))"
	fi
	tries=0
	while :; do
		make_params
		load_params
		make_passwd
		write_conf
		doveconf -c "$CONF" >/dev/null 2>"$DIR/doveconf.err" ||
			die "configuration rejected: $(cat "$DIR/doveconf.err")"
		if "$DOVECOT" -c "$CONF" 2>>"$DIR/dovecot.log" && wait_greeting; then
			break
		fi
		do_stop_quiet
		tries=$((tries + 1))
		# A port taken between free_ports and the bind: pick new ones,
		# unless this is a restart that promised the same ports.
		if [ "$tries" -ge 3 ] || [ "${KEEP_PORTS:-}" = 1 ]; then
			tail -n 20 "$DIR/dovecot.log" >&2 || true
			die "dovecot did not start (log: $DIR/dovecot.log)"
		fi
		rm -f "$DIR/params"
	done
	write_env
}

do_stop_quiet() {
	pid=$(master_pid) || return 0
	doveadm -c "$CONF" stop >/dev/null 2>&1 || kill -TERM "$pid" 2>/dev/null || true
	i=0
	while kill -0 "$pid" 2>/dev/null; do
		i=$((i + 1))
		if [ "$i" -ge 100 ]; then
			kill -KILL "$pid" 2>/dev/null || true
		fi
		if [ "$i" -ge 150 ]; then
			die "dovecot (pid $pid) does not exit"
		fi
		sleep 0.1
	done
}

case "$CMD" in
start)
	do_start
	;;
stop)
	[ -f "$CONF" ] || die "no instance in $DIR"
	do_stop_quiet
	;;
reload)
	pid=$(master_pid) || die "not running in $DIR"
	kill -HUP "$pid"
	load_params
	wait_greeting || die "no greeting after reload"
	;;
restart)
	[ -s "$DIR/params" ] || die "no instance in $DIR"
	do_stop_quiet
	KEEP_PORTS=1
	do_start
	;;
*)
	usage
	;;
esac
