#!/usr/bin/env python3
"""store_flags.py - another client changes flags: the resync's workload.

  IMAP_PASS=secret store_flags.py HOST PORT USER MAILBOX COUNT SEED

Toggles \\Flagged on COUNT distinct messages of MAILBOX, chosen by a
random.Random(SEED) among its UIDs, one UID STORE each (as a mail client
would), then prints "flagged N": how many messages of MAILBOX carry
\\Flagged on the server afterwards, for the caller to compare with the
cache once it has resynced.
"""
import imaplib
import os
import random
import sys


def main():
    if len(sys.argv) != 7:
        sys.exit(__doc__.strip().split("\n")[2])
    host, port, user, mailbox, count, seed = sys.argv[1:]
    m = imaplib.IMAP4(host, int(port))
    m.login(user, os.environ["IMAP_PASS"])
    typ, _ = m.select(mailbox)
    if typ != "OK":
        sys.exit("store_flags: SELECT %s failed" % mailbox)
    typ, data = m.uid("SEARCH", "ALL")
    uids = data[0].split()
    typ, data = m.uid("SEARCH", "FLAGGED")
    flagged = set(data[0].split())
    for uid in random.Random(int(seed)).sample(uids, int(count)):
        op = "-FLAGS.SILENT" if uid in flagged else "+FLAGS.SILENT"
        typ, data = m.uid("STORE", uid.decode(), op, "(\\Flagged)")
        if typ != "OK":
            sys.exit("store_flags: STORE failed: %r" % data)
    typ, data = m.uid("SEARCH", "FLAGGED")
    print("flagged %d" % len(data[0].split()))
    m.logout()


if __name__ == "__main__":
    main()
