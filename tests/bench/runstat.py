#!/usr/bin/env python3
"""runstat.py - run a command, append its wall time, CPU time and peak RSS.

  runstat.py OUT COMMAND [ARG]...

Runs COMMAND (stdin, stdout, stderr inherited) and appends one line to OUT:

  WALL_S USER_S SYS_S MAXRSS_KB

from wait4(2): the CPU times and ru_maxrss are the child's own, threads
included (mailmirrord's account workers are threads, so this is the whole
daemon). Wall time is CLOCK_MONOTONIC around fork and wait, with a
microsecond resolution that GNU time's two decimals lack. Exits with the
command's status (128+N for a signal), and appends nothing then, so a
failed run never becomes a figure.
"""
import os
import sys
import time


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: runstat.py OUT COMMAND [ARG]...")
    out, argv = sys.argv[1], sys.argv[2:]
    t0 = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            os.execvp(argv[0], argv)
        finally:
            os._exit(127)
    _, status, ru = os.wait4(pid, 0)
    wall = time.monotonic() - t0
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(code if code > 0 else 128 - code)
    with open(out, "a") as f:
        f.write("%.6f %.3f %.3f %d\n" % (wall, ru.ru_utime, ru.ru_stime,
                                         ru.ru_maxrss))


if __name__ == "__main__":
    main()
