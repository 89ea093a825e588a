#!/usr/bin/env python3
"""idle_latency.py - what the daemon adds to an IDLE push, in milliseconds.

  IMAP_PASS=secret idle_latency.py HOST PORT USER MAILBOX CACHE ACCOUNT \\
                                   [TRIALS]

mailmirrord must already be running and watching MAILBOX of ACCOUNT with
IDLE, its cache at CACHE. This script opens two more connections to the
same server, both raw sockets so that no library sits in the timing:

  bare     SELECTs MAILBOX and IDLEs: the best any client can do;
  writer   SELECTs MAILBOX and toggles \\Flagged on its first message.

For each trial (default 25) it notes t0, sends the writer's UID STORE and
then, in one loop, waits up to 1 ms for the bare client's socket and reads
the cached row read-only: t_bare is when the bare client has the untagged
FETCH, t_ours when the row's flags in CACHE show the change (the daemon
got the same push, applied it and committed). Both clocks start at t0, so
the server's own notification delay is in both and cancels in the
difference t_ours - t_bare: the daemon's parse, SQLite transaction and
WAL commit, plus up to 1 ms of polling.

Prints on stdout, times in ms:
  trials N  bare_median X  ours_median X  added_median X  added_p90 X
one "key value" per line. Exits 1 if a change does not arrive in 10 s.
"""
import os
import select
import socket
import sqlite3
import sys
import time

TIMEOUT = 10.0


class Raw:
    """A line-oriented IMAP connection without literals: enough for LOGIN,
    SELECT, IDLE and STORE, whose responses here carry none."""

    def __init__(self, host, port):
        self.s = socket.create_connection((host, port))
        self.buf = b""
        self.tag = 0
        self.readline()

    def readline(self, timeout=TIMEOUT):
        end = time.monotonic() + timeout
        while b"\r\n" not in self.buf:
            left = end - time.monotonic()
            if left <= 0 or not select.select([self.s], [], [], left)[0]:
                raise TimeoutError("no line from the server")
            data = self.s.recv(65536)
            if not data:
                raise ConnectionError("server closed the connection")
            self.buf += data
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def send(self, command):
        self.tag += 1
        tag = b"t%d" % self.tag
        self.s.sendall(tag + b" " + command + b"\r\n")
        return tag

    def complete(self, tag):
        """Untagged lines until the completion of tag; raises unless OK."""
        lines = []
        while True:
            line = self.readline()
            if line.startswith(tag + b" "):
                if not line.startswith(tag + b" OK"):
                    raise RuntimeError(line.decode(errors="replace"))
                return lines
            lines.append(line)

    def command(self, command):
        return self.complete(self.send(command))


def quoted(s):
    return b'"' + s.replace("\\", "\\\\").replace('"', '\\"').encode() + b'"'


def login(host, port, user, password, mailbox):
    c = Raw(host, port)
    c.command(b"LOGIN " + quoted(user) + b" " + quoted(password))
    c.command(b"SELECT " + quoted(mailbox))
    return c


def percentile(values, p):
    v = sorted(values)
    k = (len(v) - 1) * p
    lo = int(k)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def main():
    if len(sys.argv) not in (7, 8):
        sys.exit(__doc__.strip().split("\n")[2])
    host, port, user, mailbox, cache, account = sys.argv[1:7]
    port = int(port)
    trials = int(sys.argv[7]) if len(sys.argv) > 7 else 25
    password = os.environ.get("IMAP_PASS")
    if password is None:
        sys.exit("idle_latency: IMAP_PASS is not set")

    writer = login(host, port, user, password, mailbox)
    uid = None
    for line in writer.command(b"UID SEARCH 1:1"):
        if line.startswith(b"* SEARCH "):
            uid = int(line.split()[2])
    if uid is None:
        sys.exit("idle_latency: %s is empty" % mailbox)

    bare = login(host, port, user, password, mailbox)
    bare.send(b"IDLE")
    if not bare.readline().startswith(b"+"):
        sys.exit("idle_latency: the server refused IDLE")

    db = sqlite3.connect("file:%s?mode=ro" % cache, uri=True,
                         isolation_level=None)
    db.execute("PRAGMA busy_timeout = 1000")
    query = ("SELECT m.flags FROM messages m "
             "JOIN mailboxes b ON b.id = m.mailbox_id "
             "JOIN accounts a ON a.id = b.account_id "
             "WHERE a.name = ? AND b.name = ? AND m.uid = ?")

    def cached_flagged():
        row = db.execute(query, (account, mailbox, uid)).fetchone()
        return None if row is None else "\\flagged" in row[0].lower().split()

    state = cached_flagged()
    if state is None:
        sys.exit("idle_latency: UID %d of %s is not in the cache" %
                 (uid, mailbox))

    bare_ms, ours_ms, added = [], [], []
    for _ in range(trials):
        want = not state
        op = b"+FLAGS.SILENT" if want else b"-FLAGS.SILENT"
        t0 = time.monotonic()
        tag = writer.send(b"UID STORE %d %s (\\Flagged)" % (uid, op))
        t_bare = t_ours = None
        end = t0 + TIMEOUT
        while (t_bare is None or t_ours is None) and time.monotonic() < end:
            if t_bare is None:
                if b"\r\n" in bare.buf or \
                        select.select([bare.s], [], [], 0.001)[0]:
                    line = bare.readline()
                    if b" FETCH " in line:
                        t_bare = time.monotonic()
            else:
                time.sleep(0.001)
            if t_ours is None and cached_flagged() == want:
                t_ours = time.monotonic()
        if t_bare is None or t_ours is None:
            sys.exit("idle_latency: no %s change within %d s" %
                     ("IDLE" if t_bare is None else "cache", TIMEOUT))
        writer.complete(tag)
        state = want
        bare_ms.append((t_bare - t0) * 1000)
        ours_ms.append((t_ours - t0) * 1000)
        added.append((t_ours - t_bare) * 1000)
        # Let the daemon settle back into IDLE before the next change.
        time.sleep(0.2)

    bare.s.sendall(b"DONE\r\n")
    print("trials %d" % trials)
    print("bare_median %.2f" % percentile(bare_ms, 0.5))
    print("ours_median %.2f" % percentile(ours_ms, 0.5))
    print("added_median %.2f" % percentile(added, 0.5))
    print("added_p90 %.2f" % percentile(added, 0.9))


if __name__ == "__main__":
    main()
