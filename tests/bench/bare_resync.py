#!/usr/bin/env python3
"""bare_resync.py - the least any client pays to look at a mailbox.

  IMAP_PASS=secret bare_resync.py HOST PORT USER MAILBOX

One plain socket: LOGIN, EXAMINE MAILBOX, LOGOUT, nothing parsed or
stored. Prints the wall seconds. After another client changed flags, the
server's EXAMINE (Dovecot rescanning a large Maildir) is most of it: the
floor of a resync, whoever the client.
"""
import os
import socket
import sys
import time


def command(sock, rfile, tag, line):
    sock.sendall(("%s %s\r\n" % (tag, line)).encode())
    while True:
        reply = rfile.readline()
        if not reply:
            sys.exit("bare_resync: connection closed")
        if reply.startswith(tag.encode() + b" "):
            if not reply.startswith(tag.encode() + b" OK"):
                sys.exit("bare_resync: %s failed: %r" % (line.split()[0], reply))
            return


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__.strip().split("\n")[2])
    host, port, user, mailbox = sys.argv[1:]
    start = time.monotonic()
    sock = socket.create_connection((host, int(port)))
    rfile = sock.makefile("rb")
    rfile.readline()
    command(sock, rfile, "a", 'LOGIN %s "%s"' % (user, os.environ["IMAP_PASS"]))
    command(sock, rfile, "b", "EXAMINE %s" % mailbox)
    command(sock, rfile, "c", "LOGOUT")
    sock.close()
    print("%.6f" % (time.monotonic() - start))


if __name__ == "__main__":
    main()
