#!/bin/sh
# check-install.sh [BUILD] - checks `make install` and `make uninstall`.
#
# Installs into a fresh staging directory (DESTDIR, PREFIX=/usr) from the
# build directory BUILD (default: build; `make install` builds what is
# missing there), then checks that every file a package needs is there with
# the right mode, that the units carry no placeholder, that a program using
# the library compiles and links against what was installed (pkg-config,
# shared and static) and runs, and that `make uninstall` leaves no file
# behind.
#
# The install runs under umask 077 (INSTALL_UMASK overrides it): an
# installed file's mode must come from the Makefile, not from the umask of
# whoever runs it (a user unit that only root can read is silently missing
# for every user).
#
# Prints one "ok" or "FAIL" line per check and exits 1 when any failed,
# 2 on a usage error. Changes nothing outside the staging directory and
# BUILD; needs no root.
set -eu

PROG=check-install.sh
HERE=$(cd "$(dirname "$0")" && pwd -P)
TOP=$(cd "$HERE/../.." && pwd -P)

[ $# -le 1 ] || {
	echo "usage: $PROG [BUILD]" >&2
	exit 2
}
BUILD=${1:-build}
PREFIX=/usr
INSTALL_UMASK=${INSTALL_UMASK:-077}

STAGE=$(mktemp -d "${TMPDIR:-/tmp}/mailmirror-install.XXXXXX")
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/mailmirror-install-scratch.XXXXXX")
trap 'rm -rf "$STAGE" "$SCRATCH"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

failed=0
ok() {
	printf 'ok    %s\n' "$*"
}
fail() {
	printf 'FAIL  %s\n' "$*"
	failed=$((failed + 1))
}
# Indents a command's output under the FAIL line that explains it.
detail() {
	sed 's/^/        /' "$@"
}

run_make() { # target: output in SCRATCH/make-TARGET.log
	(
		umask "$INSTALL_UMASK"
		make -C "$TOP" --no-print-directory BUILD="$BUILD" \
			DESTDIR="$STAGE" PREFIX="$PREFIX" "$1"
	) >"$SCRATCH/make-$1.log" 2>&1
}

# --------------------------------------------------------------- install

echo "== make install DESTDIR=$STAGE PREFIX=$PREFIX (BUILD=$BUILD, umask $INSTALL_UMASK)"
if run_make install; then
	ok "make install"
else
	fail "make install exited with status $?; its last lines:"
	tail -n 15 "$SCRATCH/make-install.log" | detail
fi

R=$STAGE$PREFIX
LIBDIR=$R/lib
EXPECTED="
755 sbin/mailmirrord
755 bin/mailmirror
644 lib/libimap4.a
755 lib/libimap4.so.0
644 include/imap4.h
644 lib/pkgconfig/libimap4.pc
644 share/man/man1/mailmirror.1
644 share/man/man5/mailmirror.conf.5
644 share/man/man8/mailmirrord.8
644 lib/systemd/system/mailmirrord.service
644 lib/systemd/system/mailmirrord@.service
644 lib/systemd/user/mailmirrord.service
644 lib/sysusers.d/mailmirror.conf
644 share/doc/mailmirror/mailmirror.conf.example
644 share/doc/mailmirror/README.md
644 share/doc/mailmirror/schema.md
"

echo "== installed files"
echo "$EXPECTED" | while read -r mode path; do
	[ -n "$path" ] || continue
	f=$R/$path
	if [ ! -f "$f" ] || [ -L "$f" ]; then
		fail "$PREFIX/$path: missing"
	elif [ ! -s "$f" ]; then
		fail "$PREFIX/$path: empty"
	elif [ "$(stat -c %a "$f")" != "$mode" ]; then
		fail "$PREFIX/$path: mode $(stat -c %a "$f"), want $mode"
	else
		ok "$PREFIX/$path ($mode)"
	fi
done >"$SCRATCH/files"
cat "$SCRATCH/files"
failed=$((failed + $(grep -c '^FAIL' "$SCRATCH/files" || true)))

if [ "$(readlink "$LIBDIR/libimap4.so" 2>/dev/null)" = libimap4.so.0 ]; then
	ok "$PREFIX/lib/libimap4.so -> libimap4.so.0"
else
	fail "$PREFIX/lib/libimap4.so: not a symbolic link to libimap4.so.0"
fi

# Every file installed should be one a package expects; a new one is worth
# a look (and an entry above), not a failure.
find "$STAGE" ! -type d | sed "s|^$R/||" | sort >"$SCRATCH/installed"
echo "$EXPECTED" | awk 'NF { print $2 }' | sort >"$SCRATCH/expected"
echo lib/libimap4.so >>"$SCRATCH/expected"
sort -o "$SCRATCH/expected" "$SCRATCH/expected"
comm -23 "$SCRATCH/installed" "$SCRATCH/expected" | while read -r extra; do
	printf 'note  also installed: %s\n' "$extra"
done

# ---------------------------------------------------------- contents

echo "== contents"
for b in sbin/mailmirrord bin/mailmirror; do
	[ -x "$R/$b" ] || continue
	if v=$("$R/$b" --version 2>&1); then
		ok "$PREFIX/$b --version: $v"
	else
		fail "$PREFIX/$b --version failed: $v"
	fi
	# explore72: a write that fails is said, with a failing status.
	for o in --help --version; do
		if [ -w /dev/full ] &&
			err=$("$R/$b" "$o" 2>&1 >/dev/full); then
			fail "$PREFIX/$b $o >/dev/full succeeded"
		elif [ -w /dev/full ]; then
			case $err in
			*"writing the output failed"*)
				ok "$PREFIX/$b $o >/dev/full: $err" ;;
			*) fail "$PREFIX/$b $o >/dev/full said \"$err\"" ;;
			esac
		fi
	done
done

if [ -f "$LIBDIR/libimap4.so.0" ]; then
	soname=$(readelf -d "$LIBDIR/libimap4.so.0" |
		sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
	if [ "$soname" = libimap4.so.0 ]; then
		ok "SONAME libimap4.so.0"
	else
		fail "SONAME of libimap4.so.0 is \"$soname\""
	fi
	# -fvisibility=hidden: only the public API is exported (STYLE.md).
	nm -D --defined-only "$LIBDIR/libimap4.so.0" |
		awk '$2 ~ /^[TDBRVW]$/ && $3 !~ /^imap4_/ { print $3 }' \
			>"$SCRATCH/leaked"
	n=$(nm -D --defined-only "$LIBDIR/libimap4.so.0" |
		awk '$3 ~ /^imap4_/' | wc -l)
	if [ -s "$SCRATCH/leaked" ]; then
		fail "libimap4.so.0 exports symbols outside imap4_*:"
		head -n 20 "$SCRATCH/leaked" | detail
	elif [ "$n" -eq 0 ]; then
		fail "libimap4.so.0 exports no imap4_* symbol"
	else
		ok "libimap4.so.0 exports $n symbols, all imap4_*"
	fi
fi

for u in system/mailmirrord.service system/mailmirrord@.service \
	user/mailmirrord.service; do
	f=$R/lib/systemd/$u
	[ -f "$f" ] || continue
	# @system-service and the like are systemd's own syntax; @WORD@ in
	# capitals is a placeholder the Makefile left.
	if grep -n '@[A-Z_]*@' "$f" >"$SCRATCH/ph"; then
		fail "$u: placeholders left:"
		detail "$SCRATCH/ph"
	elif ! grep -q "^ExecStart=$PREFIX/sbin/mailmirrord " "$f"; then
		fail "$u: ExecStart does not run $PREFIX/sbin/mailmirrord"
	else
		ok "$u: ExecStart=$PREFIX/sbin/mailmirrord"
	fi
done

for m in man1/mailmirror.1 man5/mailmirror.conf.5 man8/mailmirrord.8; do
	f=$R/share/man/$m
	[ -f "$f" ] || continue
	if grep -n '@[A-Z_]*@' "$f" >"$SCRATCH/ph"; then
		fail "$m: placeholders left:"
		detail "$SCRATCH/ph"
	fi
done
if grep -q "$PREFIX/share/doc/mailmirror/mailmirror.conf.example" \
	"$R/share/man/man5/mailmirror.conf.5" 2>/dev/null; then
	ok "mailmirror.conf(5) names the installed example"
else
	fail "mailmirror.conf(5) does not name $PREFIX/share/doc/mailmirror"
fi
if grep -q "$PREFIX/share/doc/mailmirror/schema.md" \
	"$R/share/man/man1/mailmirror.1" 2>/dev/null; then
	ok "mailmirror(1) names the installed schema.md"
else
	fail "mailmirror(1) does not name $PREFIX/share/doc/mailmirror/schema.md"
fi

if grep -rl "$STAGE" "$STAGE" >"$SCRATCH/leak" 2>/dev/null; then
	fail "files that name the staging directory (DESTDIR leaked):"
	sed "s|^$STAGE||" "$SCRATCH/leak" | detail
else
	ok "no installed file names DESTDIR"
fi

# Optional checks, with tools a Debian system usually has.
if command -v systemd-analyze >/dev/null 2>&1; then
	# The binary is staged, not at its final path: that complaint, and
	# only that one, is expected.
	rt=$SCRATCH/xdg-runtime
	mkdir -m 700 "$rt"
	{
		systemd-analyze verify --man=no \
			"$R/lib/systemd/system/mailmirrord.service" \
			"$R/lib/systemd/system/mailmirrord@.service" 2>&1 || true
		XDG_RUNTIME_DIR=$rt systemd-analyze --user verify --man=no \
			"$R/lib/systemd/user/mailmirrord.service" 2>&1 || true
	} | grep -v "Command $PREFIX/sbin/mailmirrord is not executable" \
		>"$SCRATCH/verify" || true
	if [ -s "$SCRATCH/verify" ]; then
		fail "systemd-analyze verify:"
		detail "$SCRATCH/verify"
	else
		ok "systemd-analyze verify: the three units"
	fi
fi
if command -v systemd-sysusers >/dev/null 2>&1; then
	mkdir "$SCRATCH/sysroot"
	if systemd-sysusers --dry-run --root="$SCRATCH/sysroot" \
		"$R/lib/sysusers.d/mailmirror.conf" >"$SCRATCH/sysusers" 2>&1 &&
		grep -q "user 'mailmirror'" "$SCRATCH/sysusers"; then
		ok "systemd-sysusers --dry-run: creates user mailmirror"
	else
		fail "systemd-sysusers --dry-run:"
		detail "$SCRATCH/sysusers"
	fi
fi
if command -v groff >/dev/null 2>&1; then
	for m in man1/mailmirror.1 man5/mailmirror.conf.5 man8/mailmirrord.8; do
		f=$R/share/man/$m
		[ -f "$f" ] || continue
		if groff -man -ww -Tutf8 -z "$f" >"$SCRATCH/groff" 2>&1 &&
			[ ! -s "$SCRATCH/groff" ]; then
			ok "$m: groff -man -ww: no warning"
		else
			fail "$m: groff -man -ww:"
			head -n 10 "$SCRATCH/groff" | detail
		fi
	done
fi

# ----------------------------------------------- a program using libimap4

echo "== a program built against the installed library"
# pkg-config's sysroot puts DESTDIR in front of the -I and -L it prints,
# so the .pc file is used exactly as it will be once installed.
export PKG_CONFIG_PATH="$LIBDIR/pkgconfig"
export PKG_CONFIG_SYSROOT_DIR="$STAGE"
if pc_flags=$(pkg-config --cflags --libs libimap4 2>&1); then
	ok "pkg-config --cflags --libs libimap4: $pc_flags"
else
	fail "pkg-config --cflags --libs libimap4: $pc_flags"
fi
pc_libdir=$(PKG_CONFIG_SYSROOT_DIR='' pkg-config --variable=libdir libimap4 2>/dev/null || true)
if [ "$pc_libdir" = "$PREFIX/lib" ]; then
	ok "libimap4.pc: libdir=$pc_libdir"
else
	fail "libimap4.pc: libdir=\"$pc_libdir\", want $PREFIX/lib (built for another PREFIX?)"
fi
pc_static=$(pkg-config --static --libs libimap4 2>/dev/null || true)
case " $pc_static " in
*" -lgnutls "*" -lz "* | *" -lz "*" -lgnutls "*)
	ok "pkg-config --static names gnutls and zlib"
	;;
*)
	fail "pkg-config --static --libs libimap4 lacks gnutls or zlib: $pc_static"
	;;
esac

# The expected tag comes from Python's imaplib, the API's model.
want=$(python3 -c 'import imaplib; print(imaplib.Int2AP(4711).decode())')
cat >"$SCRATCH/use.c" <<EOF
#include <imap4.h>

#include <stdio.h>
#include <string.h>

int main(void)
{
	char tag[17];

	imap4_int2ap(tag, 4711);
	if (strcmp(tag, "$want") != 0) {
		fprintf(stderr, "imap4_int2ap(4711) = \"%s\", want \"$want\"\n",
		        tag);
		return 1;
	}
	puts(tag);
	return 0;
}
EOF
CC=${CC:-cc}
# shellcheck disable=SC2046 # pkg-config's output is a list of words
if $CC -std=c11 -Wall -Wextra -Wpedantic -Werror -o "$SCRATCH/use" \
	"$SCRATCH/use.c" $(pkg-config --cflags --libs libimap4) \
	>"$SCRATCH/cc" 2>&1; then
	ok "$CC -std=c11 -Wall -Wextra -Wpedantic -Werror, linked with -limap4"
	if readelf -d "$SCRATCH/use" | grep -q 'NEEDED.*\[libimap4\.so\.0\]'; then
		ok "the program needs libimap4.so.0"
	else
		fail "the program does not record NEEDED libimap4.so.0"
	fi
	if out=$(LD_LIBRARY_PATH=$LIBDIR "$SCRATCH/use" 2>&1); then
		ok "runs against the installed libimap4.so.0: imap4_int2ap(4711) = $out"
	else
		fail "the program failed: $out"
	fi
else
	fail "cannot build a program against the installed library:"
	detail "$SCRATCH/cc"
fi
# The static archive, with the libraries the .pc file requires privately,
# linked as shared ones: how a program embeds libimap4 on Debian, whose
# -dev packages do not all ship the static archives that `pkg-config
# --static` would name (libunistring, libtasn1, ... for gnutls).
private=$(pkg-config --print-requires-private libimap4 2>/dev/null |
	awk '{ printf "%s%s", sep, $1; sep = " " }')
# shellcheck disable=SC2046,SC2086
if [ -n "$private" ] &&
	$CC -std=c11 -o "$SCRATCH/use-static" "$SCRATCH/use.c" \
		$(pkg-config --cflags libimap4) "$LIBDIR/libimap4.a" \
		$(PKG_CONFIG_SYSROOT_DIR='' pkg-config --libs $private) \
		>"$SCRATCH/cc" 2>&1 && out=$("$SCRATCH/use-static" 2>&1); then
	ok "links libimap4.a (with $private) and runs: $out"
else
	fail "static link with libimap4.a (requires.private: ${private:-none}):"
	detail "$SCRATCH/cc"
fi

# ------------------------------------------------------------- reinstall

echo "== make install again, over the first"
if run_make install; then
	ok "make install over an existing installation"
else
	fail "a second make install failed:"
	tail -n 10 "$SCRATCH/make-install.log" | detail
fi

# ------------------------------------------------------------- uninstall

echo "== make uninstall DESTDIR=$STAGE PREFIX=$PREFIX"
# A file of the admin's own beside ours stays (the documentation folder
# was removed whole).
mine=$STAGE$PREFIX/share/doc/mailmirror/local-notes.txt
echo "the admin's" >"$mine"
if run_make uninstall; then
	ok "make uninstall"
else
	fail "make uninstall exited with status $?:"
	tail -n 15 "$SCRATCH/make-uninstall.log" | detail
fi
if [ -f "$mine" ]; then
	ok "a file make install did not install is left alone"
	rm -f "$mine"
else
	fail "make uninstall removed $mine, which it did not install"
fi
find "$STAGE" ! -type d | sed "s|^$STAGE||" >"$SCRATCH/left"
if [ -s "$SCRATCH/left" ]; then
	fail "files left after make uninstall:"
	detail "$SCRATCH/left"
else
	ok "no file left after make uninstall"
fi
ndirs=$(find "$STAGE" -mindepth 1 -type d | wc -l)
[ "$ndirs" -eq 0 ] ||
	printf 'note  %d empty directories left (usual for make uninstall)\n' "$ndirs"

echo
if [ "$failed" -eq 0 ]; then
	echo "$PROG: all checks passed"
	exit 0
fi
echo "$PROG: $failed checks failed"
exit 1
