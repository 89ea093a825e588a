#!/bin/sh
# check-layers.sh BUILD - keeps the core's layers apart (STYLE.md).
#
#   core/proto/  (sans-I/O) includes nothing from core/io/ or core/api/
#   core/io/     (bytes only) includes nothing from core/proto/ or core/api/
#   BUILD/core/proto/*.o  call none of the system's I/O: socket, connect,
#                read, write, send, recv, poll, select, gnutls_record_*
#   BUILD/libimap4.{a,so} define no global name outside imap4_*
#
# Prints "layers ok", or every violation and exits 1. Run from the top of
# the tree (make check-layers does).
set -eu

[ $# -eq 1 ] || {
	echo "usage: check-layers.sh BUILD" >&2
	exit 2
}
BUILD=$1
bad=0

# An include names another layer when it is spelled "io/...", "api/...",
# "proto/...", with or without a leading "core/" or "../".
includes_of() { # dir forbidden-layer...
	dir=$1
	shift
	for layer in "$@"; do
		grep -HnE "^[[:space:]]*#[[:space:]]*include[[:space:]]*[<\"](\.\./|core/)?$layer/" \
			"$dir"/*.c "$dir"/*.h 2>/dev/null || true
	done
}

hits=$(includes_of core/proto io api)
if [ -n "$hits" ]; then
	echo "check-layers: core/proto must not include core/io or core/api:" >&2
	echo "$hits" | sed 's/^/  /' >&2
	bad=1
fi
hits=$(includes_of core/io proto api)
if [ -n "$hits" ]; then
	echo "check-layers: core/io must not include core/proto or core/api:" >&2
	echo "$hits" | sed 's/^/  /' >&2
	bad=1
fi

# The objects must exist: a check over nothing would pass by accident.
set -- "$BUILD"/core/proto/*.o
if [ ! -e "$1" ]; then
	echo "check-layers: no objects in $BUILD/core/proto (build first)" >&2
	exit 1
fi
# nm -u lists undefined symbols, versioned ("read@GLIBC_2.2.5") in linked
# objects and plain in .o files; the sanitizers' interceptors are not calls
# the code makes, and __*_chk fortify wrappers count as the call they wrap.
forbidden='^(socket|connect|read|write|send|recv|sendto|recvfrom|sendmsg|recvmsg|poll|ppoll|select|pselect|epoll_wait|readv|writev|pread|pwrite)$|^gnutls_record_'
for o in "$@"; do
	syms=$(nm -u "$o" | awk '{print $NF}' | sed -e 's/@.*//' \
		-e 's/^__\(.*\)_chk$/\1/' | grep -E "$forbidden" | tr '\n' ' ' || true)
	if [ -n "$syms" ]; then
		echo "check-layers: $o (sans-I/O) calls: $syms" >&2
		bad=1
	fi
done

# The library takes no name of its users' but imap4_*: a static link puts
# every global symbol of libimap4.a beside theirs (explore37: 18 mime_*).
# Sanitizer builds add their own (__asan_*, __odr_asan_*, .str...); those
# and the compiler's start with "_" or ".".
# The archive is what every test links; the shared library, when built.
if [ ! -e "$BUILD/libimap4.a" ]; then
	echo "check-layers: no $BUILD/libimap4.a (build first)" >&2
	exit 1
fi
for lib in "$BUILD/libimap4.a" "$BUILD/libimap4.so"; do
	[ -e "$lib" ] || continue
	case $lib in *.so) dyn=-D ;; *) dyn= ;; esac
	syms=$(nm -g $dyn --defined-only "$lib" 2>/dev/null |
		awk 'NF == 3 { print $3 }' | grep -vE '^(imap4_|_|\.)' |
		sort -u | tr '\n' ' ' || true)
	if [ -n "$syms" ]; then
		echo "check-layers: $lib defines names outside imap4_: $syms" >&2
		bad=1
	fi
done

[ "$bad" -eq 0 ] || exit 1
echo "layers ok"
