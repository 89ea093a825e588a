#!/usr/bin/env python3
"""py_store.py - the CPU peer: Python's imaplib + sqlite3, storing unparsed.

  IMAP_PASS=secret py_store.py HOST PORT USER MAILBOX DB [ITEMS] [BATCH]

Does what mailmirrord's initial sync does, minus the understanding: LOGIN,
SELECT, then UID FETCH of ITEMS (default the daemon's metadata items) in
UID ranges of BATCH (default 2000, the daemon's batch), and for every
message one row (uid, the response's bytes as received) in DB, one
transaction per batch, with the daemon's journal settings (WAL,
synchronous=NORMAL). Nothing is decoded: this is the least a script can do
and still keep the data, so its CPU time is the floor of "a few lines of
Python" and mailmirrord's is compared to it.

imaplib reads a whole command's responses into a list before it returns;
batching is what keeps its memory bounded, as it does the daemon's.

Prints "messages N" and "bytes B" (response bytes stored) on stdout.
"""
import imaplib
import os
import re
import sqlite3
import sys

META_ITEMS = "(UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE)"
UID_RE = re.compile(rb"\bUID (\d+)")


def responses(data):
    """imaplib's FETCH data, one bytes object per message: a plain
    response is bytes; one with literals is (text, literal) tuples, each
    continued by the next element, closed by a bytes piece."""
    parts = []
    for item in data:
        if isinstance(item, tuple):
            parts.append(item[0])
            parts.append(item[1])
            continue
        if item is None:
            continue
        if parts:
            parts.append(item)
            yield b"".join(parts)
            parts = []
        else:
            yield item
    if parts:
        yield b"".join(parts)


def main():
    if len(sys.argv) not in (6, 7, 8):
        sys.exit(__doc__.strip().split("\n")[2])
    host, port, user, mailbox, path = sys.argv[1:6]
    items = sys.argv[6] if len(sys.argv) > 6 else META_ITEMS
    batch = int(sys.argv[7]) if len(sys.argv) > 7 else 2000
    password = os.environ.get("IMAP_PASS")
    if password is None:
        sys.exit("py_store: IMAP_PASS is not set")

    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("CREATE TABLE IF NOT EXISTS msgs "
               "(uid INTEGER PRIMARY KEY, raw BLOB NOT NULL)")

    m = imaplib.IMAP4(host, int(port))
    m.login(user, password)
    typ, _ = m.select(mailbox, readonly=True)
    if typ != "OK":
        sys.exit("py_store: SELECT %s failed" % mailbox)
    typ, data = m.response("UIDNEXT")
    uidnext = int(data[0]) if data and data[0] else 0
    if not uidnext:
        sys.exit("py_store: the server sent no UIDNEXT")

    count = size = 0
    for lo in range(1, uidnext, batch):
        hi = min(lo + batch - 1, uidnext - 1)
        typ, data = m.uid("FETCH", "%d:%d" % (lo, hi), items)
        if typ != "OK":
            sys.exit("py_store: UID FETCH failed: %r" % data)
        rows = []
        for raw in responses(data):
            uid = UID_RE.search(raw)
            if uid:
                rows.append((int(uid.group(1)), raw))
                size += len(raw)
        db.execute("BEGIN IMMEDIATE")
        db.executemany("INSERT OR REPLACE INTO msgs VALUES (?, ?)", rows)
        db.execute("COMMIT")
        count += len(rows)
    m.logout()
    db.close()
    print("messages %d\nbytes %d" % (count, size))


if __name__ == "__main__":
    main()
