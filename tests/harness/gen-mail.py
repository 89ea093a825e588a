#!/usr/bin/env python3
"""gen-mail.py - fills a mailbox tree with realistic, reproducible mail.

Writes Maildir++ files directly (fast: 100,000 messages in well under a
minute), or appends them over IMAP with imaplib when --imap is given.

  gen-mail.py --count 1000 --mailboxes "INBOX,Archive,Lists/rust,Sent" \\
              --seed 7 [--maildir DIR | --user mmuser] [--env DIR/env]
  gen-mail.py --imap --count 50 [--host H --port P --user U --password W]

Without --maildir the tree is $MAILDIR_ROOT/<user>/Maildir, the layout of
tests/harness/dovecot.sh (home=DIR/home/%u, mail_location=maildir:~/Maildir,
IMAP separator "/"). Connection settings and MAILDIR_ROOT default to the
environment that tests/harness/with-dovecot.sh exports, or to --env FILE.

What the mail looks like: From/To/Cc with display names, some of them and
some subjects RFC 2047-encoded (UTF-8 base64, ISO-8859-1 quoted-printable);
Message-ID, Date, threads (In-Reply-To, References, "Re:"); bodies with a
log-normal size (mean about 10 KB), about one in six multipart/mixed with a
base64 attachment; flags: most \\Seen, some \\Flagged, \\Answered, and the
keyword $Important. The same seed gives the same messages, the same file
names (so a second run into the same tree overwrites, not duplicates) and
the same INTERNALDATEs (the files' mtime, which Dovecot reads as the
received date).

Messages go to the mailboxes with weight 3 for the first one and 1 for the
others. Prints "gen-mail: N messages, B bytes" to stderr.
"""
import argparse
import base64
import imaplib
import math
import os
import pwd
import random
import sys
import time

WORDS = ("the of and to in is that for it as was with be by on not he this "
         "are or his from at which but have an they you were her all she "
         "there would their we him been has when who will more no if out so "
         "said what up its about into than them can only other new some "
         "could time these two may then do first any my now such like our "
         "over man me even most made after also did many before must through "
         "back years where much your way well down should because each just "
         "those people how too little state good very make world still own "
         "see men work long get here between both life being under never day "
         "same another know while last might us great old year off come "
         "since against go came right used take three release build kernel "
         "patch review merge commit branch server mailbox sync cache query "
         "thread index flags message folder account meeting invoice report "
         "schedule budget draft attached please thanks regards").split()

FIRST = ["Alice", "Bob", "Carol", "Dave", "Erin", "Frank", "Grace", "Heidi",
         "Ivan", "Judy", "Mallory", "Niaj", "Olivia", "Peggy", "Rupert",
         "Sybil", "Trent", "Victor", "Walter", "Zoe"]
FIRST_INTL = ["José", "Zoë", "Jürgen", "François", "Søren", "Ångström",
              "Łukasz", "Ólafur", "Renée", "Björk", "Dvořák", "Ἀλέξανδρος",
              "Дмитрий", "田中", "محمد"]
LAST = ["Smith", "Jones", "Müller", "García", "Nguyen", "Kowalski",
        "Johansson", "Rossi", "Dubois", "O'Brien", "van der Berg", "Silva"]
DOMAINS = ["example.org", "example.com", "example.net", "lists.example.org",
           "mail.example.de", "corp.example"]
SUBJECTS = ["Quarterly report", "Meeting notes", "Re: build failure on arm64",
            "Invoice {n}", "Your order {n} has shipped", "Weekly sync",
            "[rust] RFC: async traits", "Patch v{n}: fix off-by-one",
            "Lunch?", "Travel plans", "Newsletter #{n}",
            "Security advisory {n}", "Holiday schedule", "Question about {w}",
            "Déjà vu: {w}", "Über {w} reden", "Café at {n}", "Résumé",
            "Ωmega {w}", "日本語の件名 {n}", "Prüfbericht {n}"]
LATIN1_SAFE = set(range(0x20, 0x7f)) | set(range(0xa0, 0x100))
ATTACH_TYPES = [("application/pdf", "report.pdf"),
                ("image/png", "screenshot.png"),
                ("application/zip", "logs.zip"),
                ("text/csv", "données.csv")]


# ---------------------------------------------------------------- encoding

def q_encode_latin1(text):
    """RFC 2047 Q-encoding in ISO-8859-1 (caller checked it fits)."""
    out = []
    for b in text.encode("iso-8859-1"):
        c = chr(b)
        if c == " ":
            out.append("_")
        elif c.isalnum() and b < 0x80:
            out.append(c)
        else:
            out.append("=%02X" % b)
    return "=?ISO-8859-1?Q?" + "".join(out) + "?="


def b_encode_utf8(text):
    """RFC 2047 B-encoding, split so each encoded word stays under 75
    characters (RFC 2047 section 2) without cutting a UTF-8 sequence."""
    words, chunk = [], b""
    for ch in text:
        enc = ch.encode("utf-8")
        if len(chunk) + len(enc) > 45:
            words.append(chunk)
            chunk = b""
        chunk += enc
    words.append(chunk)
    return " ".join("=?UTF-8?B?" + base64.b64encode(w).decode() + "?="
                    for w in words)


def encode_phrase(text, rng):
    if all(ord(c) < 0x80 for c in text):
        if any(c in text for c in '(),.:;<>@[]\\"'):
            return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return text
    if all(ord(c) in LATIN1_SAFE for c in text) and rng.random() < 0.5:
        return q_encode_latin1(text)
    return b_encode_utf8(text)


def encode_text(text, rng):
    """An unstructured header (Subject): RFC 2047 only when needed."""
    if text.isascii():
        return text
    if all(ord(c) in LATIN1_SAFE for c in text) and rng.random() < 0.5:
        return q_encode_latin1(text)
    return b_encode_utf8(text)


def mutf7(name):
    """RFC 3501 5.1.3 modified UTF-7, as Maildir++ stores folder names."""
    out, pending = [], []

    def flush():
        if pending:
            raw = "".join(pending).encode("utf-16-be")
            out.append("&" + base64.b64encode(raw).decode().rstrip("=")
                       .replace("/", ",") + "-")
            pending.clear()
    for ch in name:
        if 0x20 <= ord(ch) < 0x7f:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            pending.append(ch)
    flush()
    return "".join(out)


# ---------------------------------------------------------------- content

class Corpus:
    """Text and attachment material made once, then sliced: generating
    every body word by word would be the bottleneck."""

    def __init__(self, rng):
        lines, line = [], []
        width = 0
        for w in rng.choices(WORDS, k=60000):
            line.append(w)
            width += len(w) + 1
            if width > 66:
                lines.append(" ".join(line))
                line, width = [], 0
        self.text = ("\n".join(lines) + "\n")
        self.lines = len(lines)
        blob = rng.randbytes(768 * 1024) if hasattr(rng, "randbytes") else \
            bytes(rng.getrandbits(8) for _ in range(768 * 1024))
        b64 = base64.b64encode(blob).decode()
        self.b64 = "\n".join(b64[i:i + 76] for i in range(0, len(b64), 76))

    def body(self, rng, size):
        out = []
        while size > 0:
            start = rng.randrange(len(self.text) // 2)
            start = self.text.index("\n", start) + 1
            take = min(size, len(self.text) - start)
            end = self.text.rfind("\n", start, start + take) + 1
            if end <= start:
                end = self.text.index("\n", start) + 1
            out.append(self.text[start:end])
            size -= end - start
        return "".join(out)

    def attachment(self, rng, size):
        size = max(76, min(size, len(self.b64) - 1))
        start = rng.randrange(0, (len(self.b64) - size) // 77 + 1) * 77
        chunk = self.b64[start:start + size]
        return chunk[:chunk.rfind("\n")] if "\n" in chunk else chunk


def lognormal_size(rng, mean, sigma, cap):
    mu = math.log(mean) - sigma * sigma / 2
    return int(min(cap, max(200, rng.lognormvariate(mu, sigma))))


def person(rng):
    first = rng.choice(FIRST_INTL if rng.random() < 0.2 else FIRST)
    last = rng.choice(LAST)
    local = "".join(c for c in (first + "." + last).lower()
                    if c.isascii() and (c.isalnum() or c == "."))
    local = local.strip(".") or "user%d" % rng.randrange(1000)
    return "%s <%s@%s>" % (encode_phrase(first + " " + last, rng), local,
                           rng.choice(DOMAINS))


def rfc5322_date(ts, tz_minutes):
    t = time.gmtime(ts + tz_minutes * 60)
    sign = "+" if tz_minutes >= 0 else "-"
    tz = abs(tz_minutes)
    return time.strftime("%a, %d %b %Y %H:%M:%S ", t) + \
        "%s%02d%02d" % (sign, tz // 60, tz % 60)


class Generator:
    def __init__(self, seed, mailboxes, count):
        self.rng = random.Random(seed)
        self.seed = seed
        self.corpus = Corpus(random.Random(seed ^ 0x5eed))
        self.mailboxes = mailboxes
        self.weights = [3] + [1] * (len(mailboxes) - 1)
        self.recent = {m: [] for m in mailboxes}  # thread candidates
        # A fixed cast of correspondents, encoded once: real mailboxes
        # hear from the same people again and again, and it is cheaper.
        cast = random.Random(seed ^ 0xca57)
        self.people = [person(cast) for _ in range(400)]
        # Dates rise from 2019-01-01 over about five years, so that the
        # order of UIDs, file names and dates agree.
        self.ts = 1546300800
        self.step = max(1, (5 * 365 * 86400) // max(1, count))

    def message(self, i):
        """(mailbox, flags, internaldate, bytes with LF line ends)."""
        rng = self.rng
        box = rng.choices(self.mailboxes, self.weights)[0]
        self.ts += rng.randrange(1, 2 * self.step + 1)
        tz = rng.choice([0, 60, 120, -300, -420, 330, 540])
        msgid = "<%d.%d.%x@%s>" % (self.seed, i, rng.getrandbits(32),
                                   rng.choice(DOMAINS))
        headers = []
        parent = None
        if self.recent[box] and rng.random() < 0.3:
            parent = rng.choice(self.recent[box])
        if parent:
            subject = parent[1] if parent[1].startswith("Re: ") \
                else "Re: " + parent[1]
        else:
            subject = rng.choice(SUBJECTS).format(
                n=rng.randrange(1, 10000), w=rng.choice(WORDS))
        sender = rng.choice(self.people)
        headers.append("Return-Path: <bounce-%d@%s>" %
                       (i, rng.choice(DOMAINS)))
        headers.append("From: " + sender)
        headers.append("To: " + ", ".join(
            rng.sample(self.people, rng.randint(1, 3))))
        if rng.random() < 0.3:
            headers.append("Cc: " + ", ".join(
                rng.sample(self.people, rng.randint(1, 4))))
        headers.append("Subject: " + encode_text(subject, rng))
        headers.append("Date: " + rfc5322_date(self.ts, tz))
        headers.append("Message-ID: " + msgid)
        if parent:
            headers.append("In-Reply-To: " + parent[0])
            headers.append("References: " + " ".join(parent[2] +
                                                     [parent[0]])[-900:])
        if box.startswith("Lists/"):
            headers.append("List-Id: <%s.lists.example.org>" %
                           box.split("/", 1)[1].replace("/", "."))
        headers.append("MIME-Version: 1.0")

        size = lognormal_size(rng, 9000, 1.0, 1 << 20)
        if rng.random() < 0.16:
            boundary = "=_mm_%x" % rng.getrandbits(48)
            ctype, fname = rng.choice(ATTACH_TYPES)
            text = self.corpus.body(rng, max(200, size // 4))
            att = self.corpus.attachment(rng, size)
            headers.append('Content-Type: multipart/mixed; boundary="%s"' %
                           boundary)
            fname_param = 'filename="%s"' % fname if fname.isascii() else \
                "filename*=UTF-8''" + "".join(
                    c if c.isascii() and c.isalnum() or c in "._-" else
                    "".join("%%%02X" % b for b in c.encode()) for c in fname)
            body = ("This is a multi-part message in MIME format.\n\n"
                    "--%s\nContent-Type: text/plain; charset=utf-8\n"
                    "Content-Transfer-Encoding: 8bit\n\n%s\n"
                    "--%s\nContent-Type: %s\nContent-Transfer-Encoding: base64"
                    "\nContent-Disposition: attachment; %s\n\n%s\n--%s--\n"
                    % (boundary, text, boundary, ctype, fname_param, att,
                       boundary))
        else:
            headers.append("Content-Type: text/plain; charset=utf-8")
            headers.append("Content-Transfer-Encoding: 8bit")
            body = self.corpus.body(rng, size)
        data = ("\n".join(headers) + "\n\n" + body).encode("utf-8")

        flags = []
        r = rng.random()
        if r < 0.85:
            flags.append("\\Seen")
        if rng.random() < 0.08:
            flags.append("\\Flagged")
        if parent is None and rng.random() < 0.1:
            flags.append("\\Answered")
        if rng.random() < 0.05:
            flags.append("$Important")
        if box == "Sent" and "\\Seen" not in flags:
            flags.append("\\Seen")

        refs = parent[2] + [parent[0]] if parent else []
        self.recent[box].append((msgid, subject, refs[-8:]))
        if len(self.recent[box]) > 50:
            self.recent[box].pop(0)
        return box, flags, self.ts, data


# ---------------------------------------------------------------- sinks

MAILDIR_FLAGS = {"\\Draft": "D", "\\Flagged": "F", "\\Answered": "R",
                 "\\Seen": "S", "\\Deleted": "T"}


class MaildirSink:
    """Maildir++ as Dovecot reads it: INBOX at the root, "A/B" in ".A.B",
    keywords as letters listed in each folder's dovecot-keywords."""

    def __init__(self, root, owner):
        self.root = root
        self.owner = owner
        self.dirs = {}

    def folder(self, box):
        d = self.dirs.get(box)
        if d:
            return d
        if box.upper() == "INBOX":
            d = self.root
        else:
            d = os.path.join(self.root, "." + mutf7(box).replace("/", "."))
        for sub in ("", "cur", "new", "tmp"):
            p = os.path.join(d, sub)
            os.makedirs(p, exist_ok=True)
            self.chown(p)
        kw = os.path.join(d, "dovecot-keywords")
        if not os.path.exists(kw):
            with open(kw, "w") as f:
                f.write("0 $Important\n")
            self.chown(kw)
        self.dirs[box] = d
        return d

    def chown(self, path):
        if self.owner:
            os.chown(path, self.owner[0], self.owner[1])

    def put(self, seq, seed, box, flags, ts, data):
        d = self.folder(box)
        info = "".join(sorted(MAILDIR_FLAGS[f] for f in flags
                              if f in MAILDIR_FLAGS))
        if "$Important" in flags:
            info += "a"
        # ,S= is the file size, ,W= the size with CRLF line ends (RFC822.SIZE)
        # so that Dovecot need not read the file to answer either.
        vsize = len(data) + data.count(b"\n")
        name = "%d.M%06dP%dQ%d.mmgen,S=%d,W=%d:2,%s" % (
            ts, seq % 1000000, seed, seq, len(data), vsize, info)
        path = os.path.join(d, "cur", name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, data)
            if self.owner:
                os.fchown(fd, self.owner[0], self.owner[1])
        finally:
            os.close(fd)
        os.utime(path, (ts, ts))


class ImapSink:
    def __init__(self, host, port, user, password):
        self.m = imaplib.IMAP4(host, port)
        self.m.login(user, password)
        self.created = set()

    def put(self, seq, seed, box, flags, ts, data):
        if box not in self.created:
            self.m.create(imap_name(box))  # NO when it exists: fine
            self.created.add(box)
        crlf = data.replace(b"\n", b"\r\n")
        typ, resp = self.m.append(imap_name(box), "(" + " ".join(flags) + ")",
                                  imaplib.Time2Internaldate(ts), crlf)
        if typ != "OK":
            sys.exit("gen-mail: APPEND to %s failed: %r" % (box, resp))

    def close(self):
        self.m.logout()


def imap_name(box):
    return '"' + mutf7(box).replace("\\", "\\\\").replace('"', '\\"') + '"'


# ---------------------------------------------------------------- main

def load_env(path):
    with open(path) as f:
        for line in f:
            key, sep, value = line.rstrip("\n").partition("=")
            if sep and key.isupper():
                os.environ.setdefault(key, value)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--mailboxes", default="INBOX")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--maildir", help="Maildir root to write into")
    ap.add_argument("--user", help="IMAP user (default $IMAP_USER)")
    ap.add_argument("--owner", help="owner of the files when root "
                    "(default mmtest if that user exists)")
    ap.add_argument("--imap", action="store_true",
                    help="APPEND over IMAP instead of writing files")
    ap.add_argument("--host")
    ap.add_argument("--port", type=int)
    ap.add_argument("--password")
    ap.add_argument("--env", help="KEY=value file written by dovecot.sh")
    args = ap.parse_args()
    if args.env:
        load_env(args.env)
    if args.count < 0:
        ap.error("--count must be >= 0")
    boxes = [b.strip() for b in args.mailboxes.split(",") if b.strip()]
    if not boxes:
        ap.error("--mailboxes is empty")
    user = args.user or os.environ.get("IMAP_USER")

    if args.imap:
        if not user:
            ap.error("--imap needs --user or IMAP_USER")
        password = args.password
        if password is None:
            password = os.environ.get("IMAP_PASS2") if \
                user == os.environ.get("IMAP_USER2") else \
                os.environ.get("IMAP_PASS")
        sink = ImapSink(args.host or os.environ.get("IMAP_HOST", "127.0.0.1"),
                        args.port or int(os.environ.get("IMAP_PORT", "143")),
                        user, password)
    else:
        root = args.maildir
        if not root:
            base = os.environ.get("MAILDIR_ROOT")
            if not base or not user:
                ap.error("give --maildir, or --user/IMAP_USER with "
                         "MAILDIR_ROOT (--env DIR/env)")
            root = os.path.join(base, user, "Maildir")
        owner = None
        if os.geteuid() == 0:
            try:
                pw = pwd.getpwnam(args.owner or "mmtest")
                owner = (pw.pw_uid, pw.pw_gid)
            except KeyError:
                if args.owner:
                    ap.error("no user %s" % args.owner)
        if owner and not args.maildir:
            # The home dovecot would create: make it as the mail owner.
            for d in (os.path.dirname(root), root):
                os.makedirs(d, exist_ok=True)
                os.chown(d, owner[0], owner[1])
        sink = MaildirSink(root, owner)
        for b in boxes:
            sink.folder(b)

    gen = Generator(args.seed, boxes, args.count)
    total = 0
    for i in range(args.count):
        box, flags, ts, data = gen.message(i)
        sink.put(i, args.seed, box, flags, ts, data)
        total += len(data)
    if args.imap:
        sink.close()
    print("gen-mail: %d messages, %d bytes" % (args.count, total),
          file=sys.stderr)


if __name__ == "__main__":
    main()
