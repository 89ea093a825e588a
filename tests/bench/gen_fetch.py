#!/usr/bin/env python3
"""gen_fetch.py N OUT - a realistic capture of what Dovecot sends for

    A1 UID FETCH 1:* (UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE)

on a mailbox of N messages: one "* n FETCH (...)" per message, then the
tagged completion. Subjects vary (plain, with quotes and backslashes,
RFC 2047 encoded, raw UTF-8 that Dovecot sends as a literal), as do names,
addresses, flags, reply chains and sizes. The output is deterministic for a
given N, so runs compare.
"""
import random
import sys

WORDS = ("meeting notes report draft invoice review release build failure "
         "lunch plan budget offsite quarterly roadmap patch security update "
         "question follow-up reminder agenda minutes proposal contract "
         "schedule travel expenses photos weekend newsletter digest").split()
FIRST = ("Alice Bob Carol Dave Erin Frank Grace Heidi Ivan Judy Mallory "
         "Niaj Olivia Peggy Rupert Sybil Trent Victor Walter").split()
LAST = ("Smith Jones Müller García Rossi Dubois Kowalski Novak Tanaka "
        "O'Brien Andersson Nguyen").split()
DOMAINS = ("example.com example.org mail.example.net lists.example.org "
           "corp.example").split()
FLAGSETS = [r"\Seen", r"\Seen \Answered", "", r"\Seen \Flagged",
            r"\Seen $Forwarded", r"\Deleted \Seen", r"\Seen NonJunk",
            r"\Draft", r"\Seen \Answered $MDNSent"]
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
DAYS = "Mon Tue Wed Thu Fri Sat Sun".split()


def astring(s):
    """A string as Dovecot sends it: quoted when it can be, else a literal
    (8-bit, CR, LF, or too long)."""
    b = s.encode("utf-8")
    if any(c >= 0x80 or c in (0x0d, 0x0a, 0x00) for c in b) or len(b) > 200:
        return b"{%d}\r\n%s" % (len(b), b)
    return b'"' + b.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'


def nstring(s):
    return b"NIL" if s is None else astring(s)


def address(rnd):
    first, last = rnd.choice(FIRST), rnd.choice(LAST)
    host = rnd.choice(DOMAINS)
    kind = rnd.random()
    if kind < 0.5:
        name = "%s %s" % (first, last)
    elif kind < 0.6:
        name = "=?utf-8?q?%s_%s?=" % (first, last.replace("ü", "=C3=BC"))
    elif kind < 0.7:
        name = '"%s, %s"' % (last, first)
    else:
        name = None
    mailbox = "%s.%s" % (first.lower(), last.lower().replace("'", ""))
    mailbox = mailbox.encode("ascii", "ignore").decode()
    return b"(" + b" ".join([nstring(name), b"NIL", astring(mailbox),
                              astring(host)]) + b")"


def addresses(rnd, lo, hi):
    n = rnd.randint(lo, hi)
    if n == 0:
        return b"NIL"
    return b"(" + b"".join(address(rnd) for _ in range(n)) + b")"


def subject(rnd, i):
    words = " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(2, 9)))
    kind = i % 10
    if kind == 0:
        return "Re: " + words
    if kind == 1:
        return "=?UTF-8?B?w4Rua2V0OiA=?= " + words
    if kind == 2:
        return 'Fwd: "%s" \\ %s' % (words, i)
    if kind == 3:
        return "Café – %s" % words
    if kind == 4:
        return None if i % 20 == 4 else ""
    if kind == 5:
        return "=?iso-8859-1?q?R=E9union_=E0_9h?= " + words
    return words.capitalize()


def fetch(rnd, seq, uid):
    t = 1_600_000_000 + seq * 137 + rnd.randint(0, 100)
    day, mon, year = 1 + t % 28, MONTHS[(t // 2419200) % 12], 2020 + t % 4
    hh, mm, ss = (t // 3600) % 24, (t // 60) % 60, t % 60
    zone = rnd.choice(["+0000", "+0100", "-0700", "+0530"])
    internal = "%02d-%s-%d %02d:%02d:%02d %s" % (day, mon, year, hh, mm, ss,
                                                  zone)
    date = "%s, %d %s %d %02d:%02d:%02d %s" % (
        DAYS[t % 7], day, mon, year, hh, mm, ss, zone)
    frm = addresses(rnd, 1, 1)
    msgid = "<%d.%d@%s>" % (t, uid, rnd.choice(DOMAINS))
    reply = None
    if seq % 3 == 0:
        reply = "<%d.%d@%s>" % (t - 500, uid - 1, rnd.choice(DOMAINS))
    env = b" ".join([
        astring(date), nstring(subject(rnd, seq)), frm, frm, frm,
        addresses(rnd, 1, 4), addresses(rnd, 0, 2), b"NIL", nstring(reply),
        astring(msgid)])
    return b"* %d FETCH (UID %d FLAGS (%s) INTERNALDATE \"%s\" " \
           b"RFC822.SIZE %d ENVELOPE (%s))\r\n" % (
               seq, uid, rnd.choice(FLAGSETS).encode(), internal.encode(),
               rnd.randint(800, 250_000), env)


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: gen_fetch.py N OUT")
    n = int(sys.argv[1])
    rnd = random.Random(3501)
    with open(sys.argv[2], "wb") as out:
        uid = 0
        for seq in range(1, n + 1):
            uid += 1 + (seq % 17 == 0) * rnd.randint(1, 40)
            out.write(fetch(rnd, seq, uid))
        out.write(b"A1 OK Fetch completed (0.412 + 0.000 + 0.411 secs).\r\n")


if __name__ == "__main__":
    main()
