#!/usr/bin/env python3
"""Checks a Dovecot started by dovecot.sh with Python's imaplib.

Run under tests/harness/with-dovecot.sh (or with DIR/env's variables in the
environment). Logs in over plain, STARTTLS (verifying against IMAP_CA) and
implicit TLS, with LOGIN and every SASL mechanism the server offers that
imaplib can drive; checks the capabilities the library and the daemon rely
on; IDLEs and sees an APPEND from a second connection; runs
IMAP_PREAUTH_CMD. Exits non-zero with a message on the first failure.
"""
import imaplib
import os
import ssl
import subprocess
import sys

NEEDED = ["NOTIFY", "CONDSTORE", "QRESYNC", "ACL", "QUOTA",
          "COMPRESS=DEFLATE", "SPECIAL-USE", "MOVE", "UIDPLUS", "ESEARCH",
          "IDLE", "LITERAL+", "ENABLE"]


def env(key):
    value = os.environ.get(key)
    if not value:
        sys.exit("dovecot_smoke: %s not set; run under "
                 "tests/harness/with-dovecot.sh" % key)
    return value


def check(cond, what):
    if not cond:
        sys.exit("dovecot_smoke: FAILED: " + what)
    print("ok   " + what)


def tls_context():
    ctx = ssl.create_default_context(cafile=env("IMAP_CA"))
    ctx.check_hostname = True
    return ctx


def caps(m):
    typ, data = m.capability()
    check(typ == "OK", "CAPABILITY")
    return data[0].decode().upper().split()


def main():
    host, port, ports = env("IMAP_HOST"), int(env("IMAP_PORT")), \
        int(env("IMAPS_PORT"))
    user, password = env("IMAP_USER"), env("IMAP_PASS")
    user2, password2 = env("IMAP_USER2"), env("IMAP_PASS2")

    m = imaplib.IMAP4(host, port)
    pre = m.capabilities
    check("STARTTLS" in pre, "STARTTLS offered on the plain port")
    m.login(user, password)
    have = caps(m)
    for c in NEEDED:
        check(c in have, "%s after login" % c)
    typ, data = m.list()
    names = b" ".join(data).decode()
    for box, use in [("Sent", "\\Sent"), ("Drafts", "\\Drafts"),
                     ("Trash", "\\Trash"), ("Junk", "\\Junk")]:
        check(box in names and use in names, "%s with %s" % (box, use))
    typ, data = m.getquotaroot("INBOX")
    check(typ == "OK" and b"STORAGE" in b" ".join(
        d for d in data[1] if d), "QUOTA STORAGE limit")
    typ, data = m.myrights("INBOX")
    check(typ == "OK", "MYRIGHTS (ACL)")
    m.logout()

    m = imaplib.IMAP4(host, port)
    m.starttls(ssl_context=tls_context())
    check(isinstance(m.sock, ssl.SSLSocket), "STARTTLS with the test CA")
    m.login(user2, password2)
    m.logout()

    m = imaplib.IMAP4_SSL(host, ports, ssl_context=tls_context())
    check("AUTH=PLAIN" in m.capabilities, "implicit TLS")
    mechs = [c[5:] for c in m.capabilities if c.startswith("AUTH=")]
    print("     mechanisms: " + " ".join(mechs))
    m.authenticate("PLAIN",
                   lambda _: ("\0%s\0%s" % (user, password)).encode())
    m.logout()
    if "CRAM-MD5" in mechs:
        m = imaplib.IMAP4(host, port)
        m.login_cram_md5(user, password)
        check(m.state == "AUTH", "CRAM-MD5")
        m.logout()
    check("SCRAM-SHA-256" in mechs or "CRAM-MD5" in mechs,
          "a challenge-response mechanism is offered")

    # IDLE sees an APPEND made by a second connection.
    a = imaplib.IMAP4(host, port)
    a.login(user, password)
    a.select("INBOX")
    tag = a._new_tag()
    a.send(tag + b" IDLE\r\n")
    check(a.readline().startswith(b"+"), "IDLE continuation")
    b = imaplib.IMAP4(host, port)
    b.login(user, password)
    msg = (b"From: a@example.org\r\nSubject: idle\r\n\r\nhello\r\n")
    b.append("INBOX", None, None, msg)
    b.logout()
    a.sock.settimeout(10)
    line = a.readline()
    check(line.startswith(b"* ") and b"EXISTS" in line,
          "IDLE reports EXISTS (%r)" % line)
    a.send(b"DONE\r\n")
    while not a.readline().startswith(tag):
        pass
    a.logout()

    out = subprocess.run(["/bin/sh", "-c", env("IMAP_PREAUTH_CMD")],
                         input=b"a CAPABILITY\r\nb LOGOUT\r\n",
                         capture_output=True, timeout=20)
    first = out.stdout.split(b"\r\n")[0]
    check(first.startswith(b"* PREAUTH"),
          "IMAP_PREAUTH_CMD greets with PREAUTH (%r %r)" %
          (first, out.stderr[-300:]))
    m = imaplib.IMAP4_stream(env("IMAP_PREAUTH_CMD"))
    check(m.state == "AUTH", "imaplib.IMAP4_stream over IMAP_PREAUTH_CMD")
    typ, _ = m.select("INBOX")
    check(typ == "OK", "SELECT over the stream")
    m.logout()
    print("dovecot ok")


if __name__ == "__main__":
    main()
