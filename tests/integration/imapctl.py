#!/usr/bin/env python3
"""Drive the test Dovecot with Python's imaplib, and compare mailmirror's
cache with what the server holds: an oracle independent of libimap4.

The server comes from the environment that tests/harness/with-dovecot.sh
exports (IMAP_HOST, IMAP_PORT, IMAP_USER, IMAP_PASS).

  imapctl.py create NAME...            imapctl.py delete NAME...
  imapctl.py rename OLD NEW            imapctl.py recreate NAME
  imapctl.py fill NAME COUNT [SEED]    imapctl.py append NAME SUBJECT [FLAGS]
  imapctl.py append-each NAME SUBJECT...   (append of each, in one session)
  imapctl.py append-wide NAME COUNT    (a message to COUNT recipients)
  imapctl.py append-big NAME KIB       (a message of about KIB KiB of text)
  imapctl.py append-file NAME FILE...  (the bytes of each FILE as they are)
  imapctl.py store NAME UIDSET OP FLAGS    (OP: +FLAGS -FLAGS FLAGS)
  imapctl.py expunge NAME UIDSET       imapctl.py move NAME UIDSET DEST
  imapctl.py reset PREFIX              (deletes every mailbox under it)
  imapctl.py attrs NAME                (its LIST attributes; 1: not listed)
  imapctl.py uidvalidity NAME          (its UIDVALIDITY, from STATUS)
  imapctl.py setacl NAME ID RIGHTS     (RFC 4314; ID "owner": the user)
  imapctl.py compare DB ACCOUNT PREFIX [WAIT_SECONDS]
  imapctl.py copy-expunge NAME UIDSET DEST   (a move without MOVE)
  imapctl.py wire PREFIX [REGEX...]    (IMAP_RAWLOG3; see wire_check)
  imapctl.py wire-count PREFIX REGEX UNTIL   (see wire_count)
  imapctl.py churn NAME OTHER STOPFILE (news for NOTIFY; see churn)
"""
import email.parser
import email.policy
import email.utils
import imaplib
import os
import random
import re
import sqlite3
import sys
import time


def connect():
    m = imaplib.IMAP4(os.environ.get("IMAP_HOST", "127.0.0.1"),
                      int(os.environ["IMAP_PORT"]))
    m.login(os.environ["IMAP_USER"], os.environ["IMAP_PASS"])
    return m


def mutf7_encode(name):
    out, run = [], []

    def flush():
        if run:
            b = "".join(run).encode("utf-16-be")
            import base64
            enc = base64.b64encode(b).decode().rstrip("=").replace("/", ",")
            out.append("&" + enc + "-")
            run.clear()
    for ch in name:
        if 0x20 <= ord(ch) <= 0x7E:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            run.append(ch)
    flush()
    return "".join(out)


def mutf7_decode(name):
    import base64

    def dec(m):
        s = m.group(1)
        if s == "":
            return "&"
        s = s.replace(",", "/")
        s += "=" * (-len(s) % 4)
        return base64.b64decode(s).decode("utf-16-be")
    return re.sub(r"&([^-]*)-", dec, name)


def q(name):
    return '"' + mutf7_encode(name).replace("\\", "\\\\").replace('"', '\\"') + '"'


def check(res, what):
    typ, data = res
    if typ != "OK":
        sys.exit(f"imapctl: {what}: {typ} {data}")
    return data


SUBJECTS = ["Quarterly report", "=?UTF-8?B?w5xiZXJzaWNodA==?= of the week",
            "Re: lunch?", "=?ISO-8859-1?Q?Caf=E9_tomorrow?=", "Build failed",
            "Invoice 2024-118", "Meeting notes", "[list] new release"]
NAMES = ["Alice Example", "=?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?=", "Bob",
         "Carol from Accounting", ""]


def message(rng, i):
    name = rng.choice(NAMES)
    addr = f"user{rng.randrange(50)}@example.com"
    frm = f"{name} <{addr}>" if name else addr
    body = ("Lorem ipsum dolor sit amet. " * rng.randrange(1, 60)) + "\r\n"
    return (f"From: {frm}\r\nTo: Me <me@example.org>\r\n"
            f"Cc: team@example.org\r\n"
            f"Subject: {rng.choice(SUBJECTS)} #{i}\r\n"
            f"Date: Tue, {1 + i % 28} Jul 2025 10:{i % 60:02d}:00 +0200\r\n"
            f"Message-ID: <{i}.{rng.randrange(10**9)}@example.com>\r\n"
            f"\r\n{body}").encode()


# Messages a MULTIAPPEND (RFC 3502) carries: one command, and one
# transaction of the server's, for each such burst. An APPEND a message
# took 10 to 25 s for 2,300 on a loaded machine, most of it Dovecot's
# work for each transaction; a burst of 100 takes some 30 ms.
FILL_BURST = 100


def short_message(subject, i=0):
    return (f"From: Tester <t@example.com>\r\nSubject: {subject}\r\n"
            f"Message-ID: <{time.time()}.{i}@example.com>\r\n\r\n"
            f"hello\r\n").encode()


def fill(m, name, count, seed):
    rng = random.Random(seed)
    box = q(name).encode()
    for start in range(0, count, FILL_BURST):
        tag = m._new_tag()
        out = [tag + b" APPEND " + box]
        for i in range(start, min(count, start + FILL_BURST)):
            flags = rng.choice(["(\\Seen)", "(\\Seen)", "()",
                                "(\\Flagged \\Seen)",
                                "(\\Answered \\Seen)", "($Label1)"])
            msg = imaplib.MapCRLF.sub(imaplib.CRLF, message(rng, i))
            # Non-synchronizing literals (RFC 7888): no continuation to
            # wait for. Dovecot takes them, and MULTIAPPEND, from every
            # user, also the one it advertises neither to.
            out.append(b" %s {%d+}\r\n%s" % (flags.encode(), len(msg), msg))
        m.send(b"".join(out) + b"\r\n")
        check(m._command_complete("APPEND", tag), "APPEND")


def envelope_keys(header):
    """(Message-ID, the From addresses) of a header, as Python's email
    package reads them: the cache's envelope columns are checked against
    a parser that is not mailmirrord's."""
    h = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(header)
    mid = (h.get("Message-ID") or "").strip() or None
    addrs = [a for _, a in email.utils.getaddresses(h.get_all("From", []))]
    return mid, " ".join(addrs)


def cache_from(from_addr):
    """The addresses of a from_addr column ("Name <a@b>, c@d")."""
    if not from_addr:
        return ""
    return " ".join(a for _, a in email.utils.getaddresses([from_addr]))


def server_state(m, prefix):
    """{name: (uidvalidity, {uid: (flags, size, internaldate, message_id,
    from addresses)})}"""
    typ, data = m.list('""', "*")
    boxes = {}
    for line in data:
        if line is None:
            continue
        mt = re.match(rb'\((.*?)\) (?:"."|NIL) (.*)$', line)
        attrs, raw = mt.group(1).decode(), mt.group(2).decode()
        if raw.startswith('"'):
            raw = raw[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        name = mutf7_decode(raw)
        if "\\Noselect" in attrs or "\\NonExistent" in attrs:
            continue
        if not name.startswith(prefix):
            continue
        check(m.select(q(name), readonly=True), "EXAMINE")
        uidv = int(m.response("UIDVALIDITY")[1][0])
        msgs = {}
        typ, items = m.uid("FETCH", "1:*", "(UID FLAGS RFC822.SIZE INTERNALDATE "
                           "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID FROM)])")
        for it in items:
            if not it or not isinstance(it, tuple):
                continue
            s = it[0].decode()
            u = re.search(r"UID (\d+)", s)
            if not u:
                continue
            f = re.search(r"FLAGS \(([^)]*)\)", s).group(1).split()
            f = sorted(x for x in f if x.lower() != "\\recent")
            size = int(re.search(r"RFC822.SIZE (\d+)", s).group(1))
            idate = imaplib.Internaldate2tuple(s.encode())
            msgs[int(u.group(1))] = (" ".join(f), size, int(time.mktime(idate)),
                                     *envelope_keys(it[1]))
        boxes[name] = (uidv, msgs)
        m.close()
    return boxes


def cache_state(db, account, prefix):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    boxes = {}
    for bid, name, uidv, exists, unseen in con.execute(
            "SELECT b.id, b.name, b.uidvalidity, b.exists_count, "
            "b.unseen_count FROM mailboxes b "
            "JOIN accounts a ON a.id = b.account_id WHERE a.name = ?", (account,)):
        if not name.startswith(prefix):
            continue
        msgs = {}
        for uid, flags, size, idate, mid, frm in con.execute(
                "SELECT uid, flags, size, internaldate, message_id, from_addr "
                "FROM messages WHERE mailbox_id = ?", (bid,)):
            f = " ".join(sorted((flags or "").split()))
            msgs[uid] = (f, size, idate, mid, cache_from(frm))
        boxes[name] = (uidv, msgs, (exists, unseen))
    con.close()
    return boxes


def diff(srv, cache):
    out = []
    for name in sorted(set(srv) | set(cache)):
        if name not in cache:
            out.append(f"mailbox {name!r} missing from the cache")
            continue
        if name not in srv:
            out.append(f"mailbox {name!r} in the cache, not on the server")
            continue
        (sv, sm), (cv, cm, counts) = srv[name], cache[name]
        if sv != cv:
            out.append(f"{name}: uidvalidity server {sv} cache {cv}")
        # The counts status bars read: messages, and those not \Seen.
        want = (len(sm), sum(1 for f, *_ in sm.values()
                             if "\\seen" not in f.lower().split()))
        if counts != want:
            out.append(f"{name}: (exists_count, unseen_count) server "
                       f"{want} cache {counts}")
        for uid in sorted(set(sm) | set(cm)):
            if uid not in cm:
                out.append(f"{name}: UID {uid} missing from the cache")
            elif uid not in sm:
                out.append(f"{name}: UID {uid} in the cache, expunged on the server")
            elif sm[uid] != cm[uid]:
                out.append(f"{name}: UID {uid}: server {sm[uid]} cache {cm[uid]}")
    return out


def compare(db, account, prefix, wait):
    deadline = time.time() + wait
    while True:
        # Dovecot may answer a mailbox just recreated by another client
        # with BYE ("Mailbox was deleted under us"): a state to look at
        # again, as a cache still behind is.
        try:
            m = connect()
            srv = server_state(m, prefix)
            m.logout()
        except imaplib.IMAP4.error as e:
            srv, problems = None, [f"server: {e}"]
        try:
            if srv is not None:
                problems = diff(srv, cache_state(db, account, prefix))
        except sqlite3.Error as e:
            problems = [f"cache: {e}"]
        if not problems:
            n = sum(len(v[1]) for v in srv.values())
            print(f"cache equals server: {len(srv)} mailboxes, {n} messages")
            return 0
        if time.time() >= deadline:
            print("\n".join(problems[:40]))
            if len(problems) > 40:
                print(f"... {len(problems) - 40} more")
            return 1
        time.sleep(0.05)


# RFC 3501 6: the commands of IMAP4rev1 alone. A client of a server that
# advertises nothing else must send no other (Dovecot accepts IDLE, ENABLE,
# MOVE, ... all the same, so only the wire tells).
RFC3501 = {"CAPABILITY", "NOOP", "LOGOUT", "STARTTLS", "AUTHENTICATE",
           "LOGIN", "SELECT", "EXAMINE", "CREATE", "DELETE", "RENAME",
           "SUBSCRIBE", "UNSUBSCRIBE", "LIST", "LSUB", "STATUS", "APPEND",
           "CHECK", "CLOSE", "EXPUNGE", "SEARCH", "FETCH", "STORE", "COPY"}
# Arguments that only extensions define: CONDSTORE/QRESYNC select
# parameters and fetch modifiers, ESEARCH's RETURN, LIST-EXTENDED,
# LIST-STATUS, and STATUS items of CONDSTORE and STATUS=SIZE.
EXTENDED_ARGS = re.compile(
    r"\bCONDSTORE\b|\bQRESYNC\b|CHANGEDSINCE|VANISHED|\bMODSEQ\b|"
    r"^SEARCH RETURN|^LIST \(|^LIST .* RETURN|HIGHESTMODSEQ|"
    r"^STATUS .*\bSIZE\b", re.I)


def wire_sessions(prefix):
    """Yields (file, command lines) for what the clients of IMAP_RAWLOG3's
    user sent after LOGIN (one DATE-TIME-PID.in file per session) in the
    sessions that name PREFIX and APPEND nothing (an APPEND's literal is
    message text, not commands: those are imapctl's own)."""
    d = os.environ["IMAP_RAWLOG3"]
    for fn in sorted(os.listdir(d)):
        if not fn.endswith(".in"):
            continue
        with open(os.path.join(d, fn), "rb") as fh:
            # Each line: "SECONDS.MICROS TAG COMMAND ARGS"; an IDLE's
            # DONE has no tag.
            lines = [ln.decode("utf-8", "replace").rstrip("\r\n")
                     .split(" ", 1)[-1] for ln in fh]
        cmds = [ln for ln in lines if ln]
        if not any(prefix in ln for ln in cmds) or \
                any(re.match(r"\S+ APPEND ", ln, re.I) for ln in cmds):
            continue
        yield fn, cmds


def wire_count(prefix, pattern, until):
    """Prints the most commands matching REGEX that one session of
    wire_sessions(PREFIX) sent before its first command matching UNTIL."""
    most = 0
    for _, cmds in wire_sessions(prefix):
        n = 0
        for ln in cmds:
            rest = ln.split(" ", 1)[-1]
            if re.search(until, rest):
                break
            n += bool(re.search(pattern, rest))
        most = max(most, n)
    print(most)
    return 0


def wire_check(prefix, patterns):
    """Fails when a session of wire_sessions(PREFIX) sent a command or an
    argument outside IMAP4rev1, or when some REGEX matches no command line
    of them."""
    sessions = 0
    found = [False] * len(patterns)
    bad = []
    for fn, cmds in wire_sessions(prefix):
        sessions += 1
        for ln in cmds:
            parts = ln.split(" ", 1)
            if len(parts) < 2:
                bad.append(f"{fn}: {ln}")
                continue
            rest = parts[1]
            if rest.upper().startswith("UID "):
                rest = rest[4:]
            name = rest.split(" ", 1)[0].upper()
            if name not in RFC3501 or EXTENDED_ARGS.search(rest):
                bad.append(f"{fn}: {ln}")
            for i, pat in enumerate(patterns):
                if re.search(pat, parts[1]):
                    found[i] = True
    problems = [f"not IMAP4rev1: {b}" for b in bad[:20]]
    problems += [f"no command matches {p!r}"
                 for p, ok in zip(patterns, found) if not ok]
    if sessions == 0:
        problems.append(f"no session names {prefix!r}")
    if problems:
        print("\n".join(problems))
        return 1
    print(f"wire: {sessions} sessions, IMAP4rev1 only")
    return 0


def churn(m, name, other, stopfile):
    """Another client busy on the account, as NOTIFY tells it: a message
    appended to NAME every 50 ms, and a mailbox OTHER<n> created every
    tenth time (reset OTHER removes them), until STOPFILE exists (60 s at
    most). Prints how many appends it made."""
    i, end = 0, time.monotonic() + 60
    while not os.path.exists(stopfile) and time.monotonic() < end:
        if i % 10 == 0:
            check(m.create(q(f"{other}{i}")), "CREATE")
        msg = (f"From: Churn <c@example.com>\r\nSubject: churn {i}\r\n"
               f"Message-ID: <churn{i}.{time.time()}@example.com>\r\n"
               f"\r\nhello\r\n")
        check(m.append(q(name), None, None, msg.encode()), "APPEND")
        i += 1
        time.sleep(0.05)
    print(i)


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    cmd, args = argv[1], argv[2:]
    if cmd == "compare":
        return compare(args[0], args[1], args[2],
                       float(args[3]) if len(args) > 3 else 0)
    if cmd == "wire":
        return wire_check(args[0], args[1:])
    if cmd == "wire-count":
        return wire_count(args[0], args[1], args[2])
    m = connect()
    if cmd == "create":
        for n in args:
            typ, data = m.create(q(n))
            # Dovecot 2.3 now and then answers ALREADYEXISTS for a name
            # just deleted while other sessions of the user list (its
            # mailbox list index): good enough when it is there, empty.
            if typ != "OK" and b"ALREADYEXISTS" in b" ".join(data or []):
                typ, st = m.status(q(n), "(MESSAGES)")
                if typ == "OK" and b"(MESSAGES 0)" in b" ".join(st or []):
                    continue
            check((typ, data), "CREATE")
    elif cmd == "attrs":
        # the LIST attributes of one name ("\\HasChildren"), or status 1
        # when the server does not list it
        typ, data = m.list('""', q(args[0]))
        mt = data and data[0] and re.match(rb'\((.*?)\)', data[0])
        if not mt:
            return 1
        print(mt.group(1).decode())
    elif cmd == "uidvalidity":
        typ, data = m.status(q(args[0]), "(UIDVALIDITY)")
        check((typ, data), "STATUS")
        print(int(re.search(rb"UIDVALIDITY (\d+)", data[0]).group(1)))
    elif cmd == "setacl":
        # Dovecot takes the owner's own rights only whole ("owner lwsi..."):
        # "-r" is answered OK and changes nothing. A session already open
        # sees the change after Dovecot's ACL cache expires (30 s).
        check(m._simple_command("SETACL", q(args[0]), args[1], args[2]),
              "SETACL")
    elif cmd == "delete":
        for n in args:
            check(m.delete(q(n)), "DELETE")
    elif cmd == "reset":
        # every mailbox under the prefix goes, children first
        typ, data = m.list('""', "*")
        names = []
        for line in data or []:
            mt = line and re.match(rb'\((.*?)\) (?:"."|NIL) (.*)$', line)
            if not mt:
                continue
            raw = mt.group(2).decode()
            if raw.startswith('"'):
                raw = raw[1:-1].replace('\\"', '"').replace("\\\\", "\\")
            name = mutf7_decode(raw)
            if name.startswith(args[0]):
                names.append(name)
        for n in sorted(names, key=len, reverse=True):
            m.delete(q(n))
    elif cmd == "rename":
        check(m.rename(q(args[0]), q(args[1])), "RENAME")
    elif cmd == "recreate":
        check(m.delete(q(args[0])), "DELETE")
        check(m.create(q(args[0])), "CREATE")
    elif cmd == "fill":
        fill(m, args[0], int(args[1]), int(args[2]) if len(args) > 2 else 1)
    elif cmd == "append":
        flags = args[2] if len(args) > 2 else None
        check(m.append(q(args[0]), flags, None, short_message(args[1])),
              "APPEND")
    elif cmd == "append-each":
        # what append does for each SUBJECT, in one session
        for i, subject in enumerate(args[1:]):
            check(m.append(q(args[0]), None, None,
                           short_message(subject, i)), "APPEND")
    elif cmd == "append-big":
        # a message of about KIB KiB of text lines, numbered
        lines = "".join(f"line {i:07d} of a long message, to be read whole\r\n"
                        for i in range(int(args[1]) * 1024 // 48))
        msg = (f"From: Big <big@example.com>\r\nSubject: big {args[1]}k\r\n"
               f"Message-ID: <big{args[1]}.{time.time()}@example.com>\r\n"
               f"\r\n{lines}last line\r\n")
        check(m.append(q(args[0]), None, None, msg.encode()), "APPEND")
    elif cmd == "append-file":
        # byte for byte: raw 8-bit and ISO-2022 headers as old mail has them
        for path in args[1:]:
            with open(path, "rb") as fh:
                msg = imaplib.MapCRLF.sub(imaplib.CRLF, fh.read())
            check(m.append(q(args[0]), None, None, msg), "APPEND")
    elif cmd == "append-wide":
        # a message to COUNT recipients, a Cc after the list
        rcpt = ",\r\n ".join(f"user{i}@example.org" for i in range(int(args[1])))
        msg = (f"From: Wide <wide@example.com>\r\nSubject: to {args[1]}\r\n"
               f"Message-ID: <wide{args[1]}.{time.time()}@example.com>\r\n"
               f"To: {rcpt}\r\nCc: after@example.org\r\n"
               f"\r\nhello\r\n")
        check(m.append(q(args[0]), None, None, msg.encode()), "APPEND")
    elif cmd == "churn":
        churn(m, args[0], args[1], args[2])
    elif cmd == "store":
        check(m.select(q(args[0])), "SELECT")
        check(m.uid("STORE", args[1], args[2], args[3]), "STORE")
    elif cmd == "expunge":
        check(m.select(q(args[0])), "SELECT")
        check(m.uid("STORE", args[1], "+FLAGS", "(\\Deleted)"), "STORE")
        check(m.expunge(), "EXPUNGE")
    elif cmd == "move":
        check(m.select(q(args[0])), "SELECT")
        check(m.uid("MOVE", args[1], q(args[2])), "MOVE")
    elif cmd == "copy-expunge":
        # RFC 3501 alone: COPY, then \Deleted and EXPUNGE (every message
        # of the mailbox marked \Deleted goes).
        check(m.select(q(args[0])), "SELECT")
        check(m.uid("COPY", args[1], q(args[2])), "COPY")
        check(m.uid("STORE", args[1], "+FLAGS", "(\\Deleted)"), "STORE")
        check(m.expunge(), "EXPUNGE")
    else:
        sys.exit(f"imapctl: unknown command {cmd}")
    m.logout()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
