#!/usr/bin/env python3
"""imap_oracle.py - what the server holds, as JSON, read with Python's imaplib.

Integration tests compare our cache and library against this independent
reading of the same server.

  imap_oracle.py [--env DIR/env] [--host H] [--port P] [--user U]
                 [--password W] [--starttls] [--mailbox NAME ...]
                 [--no-envelope] [--out FILE]

Defaults come from the environment tests/harness/with-dovecot.sh exports
(IMAP_HOST, IMAP_PORT, IMAP_USER, IMAP_PASS; IMAP_CA for --starttls), or
from --env FILE. Output (UTF-8 JSON, keys sorted):

  {"mailboxes": [
     {"name": "Lists/rust",            # UTF-8, modified UTF-7 decoded
      "delimiter": "/",
      "attributes": ["\\\\HasNoChildren"],
      "uidvalidity": 1700000000, "uidnext": 43, "exists": 42,
      "highestmodseq": 57,             # only when the server has CONDSTORE
      "messages": [
        {"uid": 1, "flags": ["$Important", "\\\\Seen"],   # sorted
         "internaldate": 1546300800,   # Unix seconds
         "size": 10234,                # RFC822.SIZE
         "subject": "=?UTF-8?B?...?=", # ENVELOPE fields as sent (no RFC 2047
         "from": [["Alice", null, "alice", "example.org"]],  # decoding);
         "message_id": "<...>"}]}]}    # null for NIL

Mailboxes are in LIST order, messages by UID; \\Noselect and \\NonExistent
mailboxes are left out, and so is \\Recent (it belongs to a session, and
IMAP4rev2 dropped it). Mailboxes are only EXAMINEd: \\Seen never changes. Exits 1 with a message on any IMAP error.
"""
import argparse
import base64
import datetime
import imaplib
import json
import os
import re
import ssl
import sys


# ---------------------------------------------------------------- parsing

class Tokens:
    """Reads IMAP data as imaplib hands it over: a list whose items are
    bytes (a line, or the rest of one after a literal) or tuples
    (line-up-to-and-including-{n}, literal bytes)."""

    def __init__(self, data):
        self.pieces = []  # ("t", bytes) text, or ("l", bytes) literal
        for item in data:
            if item is None:
                continue
            if isinstance(item, tuple):
                head, lit = item
                m = re.search(rb"~?\{(\d+)\+?\}$", head)
                if not m:
                    raise ValueError("literal without {n}: %r" % head[-40:])
                self.pieces.append(("t", head[:m.start()]))
                self.pieces.append(("l", lit))
            else:
                self.pieces.append(("t", item))
        self.i = 0
        self.pos = 0

    def _skip_space(self):
        while self.i < len(self.pieces):
            kind, buf = self.pieces[self.i]
            if kind == "l":
                return
            while self.pos < len(buf) and buf[self.pos:self.pos + 1] in \
                    (b" ", b"\r", b"\n"):
                self.pos += 1
            if self.pos < len(buf):
                return
            self.i += 1
            self.pos = 0

    def at_end(self):
        self._skip_space()
        return self.i >= len(self.pieces)

    def peek(self):
        self._skip_space()
        kind, buf = self.pieces[self.i]
        return b"" if kind == "l" else buf[self.pos:self.pos + 1]

    def value(self):
        """One value: int, bytes (atom or string), None (NIL), or list."""
        self._skip_space()
        if self.i >= len(self.pieces):
            raise ValueError("unexpected end of data")
        kind, buf = self.pieces[self.i]
        if kind == "l":
            self.i += 1
            self.pos = 0
            return buf
        c = buf[self.pos:self.pos + 1]
        if c == b"(":
            self.pos += 1
            out = []
            while self.peek() != b")":
                out.append(self.value())
            self.pos += 1
            return out
        if c == b'"':
            out = bytearray()
            j = self.pos + 1
            while buf[j:j + 1] != b'"':
                if buf[j:j + 1] == b"\\":
                    j += 1
                if j >= len(buf):
                    raise ValueError("unterminated quoted string")
                out += buf[j:j + 1]
                j += 1
            self.pos = j + 1
            return bytes(out)
        m = re.compile(rb"[^\s()\"]+(\[[^\]]*\](<[0-9.]+>)?)?").match(
            buf, self.pos)
        if not m:
            raise ValueError("cannot parse %r" % buf[self.pos:self.pos + 40])
        self.pos = m.end()
        atom = m.group(0)
        if atom.upper() == b"NIL":
            return None
        if atom.isdigit():
            return int(atom)
        return atom


def mutf7_decode(name):
    """RFC 3501 5.1.3 modified UTF-7 to text."""
    out, i = [], 0
    while i < len(name):
        c = name[i]
        if c != "&":
            out.append(c)
            i += 1
            continue
        j = name.index("-", i)
        if j == i + 1:
            out.append("&")
        else:
            b64 = name[i + 1:j].replace(",", "/")
            b64 += "=" * (-len(b64) % 4)
            out.append(base64.b64decode(b64).decode("utf-16-be"))
        i = j + 1
    return "".join(out)


def text(v):
    if v is None:
        return None
    if isinstance(v, int):
        return str(v)
    return v.decode("utf-8", errors="backslashreplace")


def internaldate(v):
    s = text(v).strip()
    return int(datetime.datetime.strptime(s, "%d-%b-%Y %H:%M:%S %z")
               .timestamp())


# ---------------------------------------------------------------- reading

def die(msg):
    sys.exit("imap_oracle: " + msg)


def ok(res, what):
    typ, data = res
    if typ != "OK":
        die("%s failed: %r" % (what, data))
    return data


def quote(name):
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def list_mailboxes(m):
    out = []
    for item in ok(m.list(), "LIST"):
        t = Tokens([item])
        attrs, delim, raw = t.value(), t.value(), t.value()
        attrs = sorted(text(a) for a in attrs)
        raw = text(raw)
        out.append({"raw": raw, "name": mutf7_decode(raw),
                    "delimiter": text(delim), "attributes": attrs})
    return out


def fetch_messages(m, envelope):
    items = "(UID FLAGS INTERNALDATE RFC822.SIZE%s)" % (
        " ENVELOPE" if envelope else "")
    data = ok(m.uid("FETCH", "1:*", items), "UID FETCH")
    if data == [None]:
        return []
    t = Tokens(data)
    msgs = []
    while not t.at_end():
        t.value()  # sequence number
        kv = t.value()
        f = {text(kv[k]).upper(): kv[k + 1] for k in range(0, len(kv), 2)}
        msg = {"uid": f["UID"],
               "flags": sorted(text(x) for x in f["FLAGS"]
                               if text(x).lower() != "\\recent"),
               "internaldate": internaldate(f["INTERNALDATE"]),
               "size": f["RFC822.SIZE"]}
        if envelope:
            env = f["ENVELOPE"]
            msg["subject"] = text(env[1])
            msg["from"] = [[text(x) for x in addr] for addr in env[2] or []]
            msg["message_id"] = text(env[9])
        msgs.append(msg)
    msgs.sort(key=lambda x: x["uid"])
    return msgs


def status(m, raw, items):
    data = ok(m.status(quote(raw), "(%s)" % " ".join(items)), "STATUS")
    t = Tokens(data)
    t.value()  # mailbox name
    kv = t.value()
    return {text(kv[k]).upper(): kv[k + 1] for k in range(0, len(kv), 2)}


def dump(m, only, envelope):
    # The capabilities after login, not the greeting's.
    caps = text(ok(m.capability(), "CAPABILITY")[0]).upper().split()
    condstore = "CONDSTORE" in caps
    result = []
    for box in list_mailboxes(m):
        attrs = [a.lower() for a in box["attributes"]]
        if "\\noselect" in attrs or "\\nonexistent" in attrs:
            continue
        if only and box["name"] not in only:
            continue
        items = ["UIDVALIDITY", "UIDNEXT", "MESSAGES"]
        if condstore:
            items.append("HIGHESTMODSEQ")
        st = status(m, box["raw"], items)
        ok(m.select(quote(box["raw"]), readonly=True), "EXAMINE")
        entry = {"name": box["name"], "delimiter": box["delimiter"],
                 "attributes": box["attributes"],
                 "uidvalidity": st["UIDVALIDITY"], "uidnext": st["UIDNEXT"],
                 "exists": st["MESSAGES"],
                 "messages": fetch_messages(m, envelope)}
        if condstore:
            entry["highestmodseq"] = st["HIGHESTMODSEQ"]
        result.append(entry)
        m.close()
    return {"mailboxes": result}


def load_env(path):
    with open(path) as f:
        for line in f:
            key, sep, value = line.rstrip("\n").partition("=")
            if sep and key.isupper():
                os.environ.setdefault(key, value)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--env")
    ap.add_argument("--host")
    ap.add_argument("--port", type=int)
    ap.add_argument("--user")
    ap.add_argument("--password")
    ap.add_argument("--starttls", action="store_true")
    ap.add_argument("--mailbox", action="append", default=[])
    ap.add_argument("--no-envelope", action="store_true")
    ap.add_argument("--out")
    args = ap.parse_args()
    if args.env:
        load_env(args.env)
    env = os.environ.get
    host = args.host or env("IMAP_HOST")
    port = args.port or (int(env("IMAP_PORT")) if env("IMAP_PORT") else None)
    user = args.user or env("IMAP_USER")
    password = args.password
    if password is None:
        password = env("IMAP_PASS2") if user and user == env("IMAP_USER2") \
            else env("IMAP_PASS")
    if not (host and port and user and password is not None):
        die("need --host, --port, --user, --password (or --env DIR/env, "
            "or run under tests/harness/with-dovecot.sh)")
    try:
        m = imaplib.IMAP4(host, port)
        if args.starttls:
            ctx = ssl.create_default_context(cafile=env("IMAP_CA"))
            m.starttls(ssl_context=ctx)
        m.login(user, password)
        out = dump(m, set(args.mailbox), not args.no_envelope)
        m.logout()
    except (imaplib.IMAP4.error, OSError, ValueError, KeyError) as e:
        die("%s: %s" % (type(e).__name__, e))
    text_out = json.dumps(out, ensure_ascii=False, sort_keys=True, indent=1)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text_out + "\n")
    else:
        sys.stdout.write(text_out + "\n")


if __name__ == "__main__":
    main()
