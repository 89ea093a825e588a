#!/usr/bin/env python3
"""The oracle of test_core_dovecot.c: one mailbox seen through imaplib.

Usage: imaplib_session.py MAILBOX   (run under tests/harness/with-dovecot.sh)

Logs in as IMAP_USER over plain IMAP, examines MAILBOX (an ASCII name, so
that no modified UTF-7 is needed on this side), and prints, one fact a
line, what libimap4 must agree with:

    status MESSAGES UIDNEXT UIDVALIDITY UNSEEN
    uids U1 U2 ...                  (UID SEARCH ALL, ascending)
    flags UID FLAG FLAG ...         (one line per message, flags sorted)
    exists N                        (the EXAMINE's EXISTS)

Exits non-zero with a message on stderr when a command fails.
"""
import imaplib
import os
import sys


def env(key):
    value = os.environ.get(key)
    if not value:
        sys.exit("imaplib_session: %s not set; run under "
                 "tests/harness/with-dovecot.sh" % key)
    return value


def ok(typ, data, what):
    if typ != "OK":
        sys.exit("imaplib_session: %s failed: %r" % (what, data))
    return data


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: imaplib_session.py MAILBOX")
    box = sys.argv[1]
    m = imaplib.IMAP4(env("IMAP_HOST"), int(env("IMAP_PORT")))
    ok(*m.login(env("IMAP_USER"), env("IMAP_PASS")), what="LOGIN")

    data = ok(*m.status(box, "(MESSAGES UIDNEXT UIDVALIDITY UNSEEN)"),
              what="STATUS")
    items = data[0].decode().split("(", 1)[1].rstrip(")").split()
    st = dict(zip(items[0::2], items[1::2]))
    print("status %s %s %s %s" % (st["MESSAGES"], st["UIDNEXT"],
                                  st["UIDVALIDITY"], st["UNSEEN"]))

    data = ok(*m.select(box, readonly=True), what="EXAMINE")
    exists = int(data[0])

    data = ok(*m.uid("SEARCH", "ALL"), what="UID SEARCH")
    uids = sorted(int(u) for u in data[0].split())
    print("uids " + " ".join(str(u) for u in uids))

    if uids:
        data = ok(*m.uid("FETCH", "1:*", "(FLAGS)"), what="UID FETCH")
        lines = []
        for item in data:
            if not isinstance(item, bytes):
                continue
            text = item.decode()
            uid = int(text.split("UID ", 1)[1].split()[0].rstrip(")"))
            flags = sorted(imaplib.ParseFlags(item)) if b"FLAGS" in item \
                else []
            lines.append((uid, [f.decode() for f in flags]))
        for uid, flags in sorted(lines):
            print(("flags %d %s" % (uid, " ".join(flags))).rstrip())
    print("exists %d" % exists)
    m.logout()


if __name__ == "__main__":
    main()
