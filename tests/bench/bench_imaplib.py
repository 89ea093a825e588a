#!/usr/bin/env python3
"""bench_imaplib.py CAPTURE [RUNS] - Python imaplib reading the same bytes.

The capture is served to a real imaplib.IMAP4 object through the file it
reads responses from, so imaplib's own _get_response() - its line reads,
its regular expressions, its literal handling, its bookkeeping of untagged
responses - runs exactly as on a socket, without the network. The command
"A1 UID FETCH ..." is registered as in flight, as _command() would.

Prints "mb_per_s X" and "resp_per_s X" (median of RUNS, CPU time).
"""
import imaplib
import io
import re
import statistics
import sys
import time


class CaptureIMAP4(imaplib.IMAP4):
    """An IMAP4 whose connection is an in-memory capture."""

    def __init__(self, capture):  # pylint: disable=super-init-not-called
        # What IMAP4.__init__ sets up, minus the connection and greeting.
        self.debug = 0
        self.state = "SELECTED"
        self.literal = None
        self.tagged_commands = {}
        self.untagged_responses = {}
        self.continuation_response = ""
        self.is_readonly = False
        self.tagnum = 0
        self._tls_established = False
        self._cmd_log_len = 10  # imaplib keeps its last lines under
        self._cmd_log_idx = 0   # __debug__, as on a real connection
        self._cmd_log = {}
        self._mode_ascii()
        self.tagpre = b"A"
        self.tagre = re.compile(rb"(?P<tag>" + self.tagpre +
                                rb"\d+) (?P<type>[A-Z]+) (?P<data>.*)",
                                re.ASCII)
        self.file = io.BytesIO(capture)

    def run(self):
        """Reads responses until the completion of A1, as
        _command_complete() does; returns how many were read."""
        self.tagged_commands[b"A1"] = None
        n = 0
        while self.tagged_commands[b"A1"] is None:
            self._get_response()
            n += 1
        return n


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: bench_imaplib.py CAPTURE [RUNS]")
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    with open(sys.argv[1], "rb") as f:
        capture = f.read()
    times = []
    count = 0
    for _ in range(runs):
        imap = CaptureIMAP4(capture)
        t0 = time.thread_time()
        count = imap.run()
        times.append(time.thread_time() - t0)
        fetched = len(imap.untagged_responses.get("FETCH", []))
        del imap
    med = statistics.median(times)
    print("bytes %d" % len(capture))
    print("responses %d" % count)
    print("fetch_items %d" % fetched)
    print("mb_per_s %.2f" % (len(capture) / med / 1e6))
    print("resp_per_s %.0f" % (count / med))


if __name__ == "__main__":
    main()
