#!/usr/bin/env python3
"""notify-inject-probe.py - shows Dovecot writing NOTIFY news inside a FETCH.

  notify-inject-probe.py --env DIR/env [--rounds N]

Dovecot 2.3 (imap-notify.c, notify_callback) writes the LIST and STATUS
responses of NOTIFY's non-selected mailbox events to the client's output
whenever the mailbox list changes, also while a FETCH waits for that
output to drain in the middle of a literal: the news lands inside the
literal, whose announced size no longer fits, and the rest of the message
is read as the response's next line ("a malformed response" right after
the literal). Reading slowly makes the FETCH wait for output, as a daemon
writing each message to its cache does.

This logs in as IMAP_USER of the harness instance, sets NOTIFY with events
for the other mailboxes (as mailmirrord does), selects INBOX and fetches
every body slowly, while a second connection creates mailboxes and
appends. It stops at the first literal not followed by ")" or " ", or
holding what reads as a LIST or STATUS response, and prints it: exit
status 1, else 0.
Fill INBOX first (a few thousand messages: gen-mail.py --count 6000).
"""
import argparse
import imaplib
import os
import re
import socket
import sys
import threading
import time


def read_env(path):
    env = {}
    with open(path) as f:
        for line in f:
            if "=" in line:
                k, v = line.rstrip("\n").split("=", 1)
                env[k] = v
    return env


class Conn:
    def __init__(self, host, port):
        self.s = socket.create_connection((host, port))
        # A small receive buffer: the server's output blocks sooner.
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.buf = b""

    def fill(self):
        d = self.s.recv(4096)
        if not d:
            raise EOFError("server closed the connection")
        self.buf += d

    def line(self):
        while b"\r\n" not in self.buf:
            self.fill()
        i = self.buf.index(b"\r\n") + 2
        line, self.buf = self.buf[:i], self.buf[i:]
        return line

    def take(self, n):
        while len(self.buf) < n:
            self.fill()
        d, self.buf = self.buf[:n], self.buf[n:]
        return d

    def response(self):
        """One response as (line, literal or None) pieces."""
        parts = []
        while True:
            line = self.line()
            m = re.search(rb"\{(\d+)\+?\}\r\n$", line)
            if not m:
                parts.append((line, None))
                return parts
            parts.append((line, self.take(int(m.group(1)))))

    def cmd(self, tag, text):
        self.s.sendall(tag + b" " + text + b"\r\n")
        while True:
            r = self.response()
            if r[0][0].startswith(tag + b" "):
                return r[0][0]


def churn(env, stop, rounds):
    c = imaplib.IMAP4(env["IMAP_HOST"], int(env["IMAP_PORT"]))
    c.login(env["IMAP_USER"], env["IMAP_PASS"])
    i = 0
    while not stop.is_set():
        # News of both kinds: STATUS (an APPEND to another mailbox) and,
        # less often, LIST (a CREATE). Hundreds of CREATEs a minute made
        # Dovecot 2.3.19's NOTIFY session crash on its list index log.
        if i % 10 == 0:
            name = "probe%d_%d" % (os.getpid(), i)
            c.create(name)
        c.append(name, None, None, b"Subject: x\r\n\r\nhello\r\n")
        i += 1
        time.sleep(0.1)
    c.logout()
    rounds.append(i)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--env", required=True)
    ap.add_argument("--rounds", type=int, default=1)
    args = ap.parse_args()
    env = read_env(args.env)
    c = Conn(env["IMAP_HOST"], int(env["IMAP_PORT"]))
    c.line()
    c.cmd(b"a1", b"LOGIN %s %s" % (env["IMAP_USER"].encode(),
                                   env["IMAP_PASS"].encode()))
    c.cmd(b"a2", b"ENABLE CONDSTORE")
    print(c.cmd(b"a3", b"NOTIFY SET (selected (MessageNew MessageExpunge "
                b"FlagChange)) (personal (MessageNew MessageExpunge "
                b"FlagChange MailboxName))").decode().strip())
    c.cmd(b"a4", b"SELECT INBOX")
    stop, churned = threading.Event(), []
    t = threading.Thread(target=churn, args=(env, stop, churned))
    t.start()
    bad = seen = 0
    news = re.compile(rb"\r\n\* (LIST \(|STATUS )")
    try:
        for n in range(args.rounds):
            tag = b"f%d" % n
            c.s.sendall(tag + b" UID FETCH 1:* (UID FLAGS INTERNALDATE "
                        b"RFC822.SIZE MODSEQ BODY.PEEK[]<0.33554432>)\r\n")
            while True:
                r = c.response()
                first = r[0][0]
                if first.startswith(tag + b" "):
                    break
                seen += 1
                if seen % 1000 == 0:
                    time.sleep(0.2)
                for i, (line, lit) in enumerate(r):
                    if lit is None:
                        continue
                    after = r[i + 1][0] if i + 1 < len(r) else b""
                    m = news.search(lit)
                    if after[:1] in (b")", b" ") and not m:
                        continue
                    bad += 1
                    print("inside the literal of %r:" % first[:40])
                    if m:
                        print("  news at byte %d of %d: %r" % (
                            m.start() + 2, len(lit),
                            lit[m.start() + 2:m.start() + 80]))
                    print("  after the literal: %r" % after[:80])
                if bad:
                    # The framing is lost from here: what follows is
                    # the rest of the message read as responses.
                    raise EOFError("out of step after a broken literal")
    except EOFError as e:
        print("stopped: %s" % e)
    finally:
        stop.set()
        t.join()
    print("%d responses read, %d APPENDs meanwhile, %d broken"
          % (seen, churned[0] if churned else 0, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
