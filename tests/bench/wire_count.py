#!/usr/bin/env python3
"""wire_count.py - a counting TCP proxy on loopback: bytes on the wire.

  wire_count.py TARGET_HOST TARGET_PORT LOG

Listens on an ephemeral port of 127.0.0.1, prints that port on stdout (one
line, flushed) and forwards every connection to TARGET_HOST:TARGET_PORT
unchanged. LOG gets one line when a connection opens and one when both its
directions are closed:

  open ID
  close ID SENT RECEIVED      bytes client->server, server->client

so a reader that sees as many "close" as "open" lines knows every
connection has been counted. Runs until SIGTERM or SIGINT. Counts are of
the TCP payload (what the IMAP client and server wrote), not of headers.

One thread, non-blocking sockets, a selector: the proxy adds a copy per
direction, which is all it is for; it is not used for throughput figures.
"""
import selectors
import signal
import socket
import sys

CHUNK = 256 * 1024


class Pipe:
    """One proxied connection: two sockets, two counters."""

    def __init__(self, ident, client, server):
        self.ident = ident
        self.ends = {client: server, server: client}
        self.client = client
        self.sent = self.received = 0
        self.open = 2  # directions still open

    def flow(self, src, sel):
        dst = self.ends[src]
        try:
            data = src.recv(CHUNK)
        except ConnectionError:
            data = b""
        if not data:
            # Half-close: pass the EOF on, keep the other direction.
            sel.unregister(src)
            try:
                dst.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            self.open -= 1
            return self.open == 0
        if src is self.client:
            self.sent += len(data)
        else:
            self.received += len(data)
        # The peer is local and fast: a blocking send keeps this simple
        # and cannot stall for long.
        dst.setblocking(True)
        try:
            dst.sendall(data)
        except ConnectionError:
            pass
        dst.setblocking(False)
        return False

    def close(self):
        for s in self.ends:
            s.close()


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: wire_count.py TARGET_HOST TARGET_PORT LOG")
    target = (sys.argv[1], int(sys.argv[2]))
    log = open(sys.argv[3], "a", buffering=1)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.setblocking(False)
    print(listener.getsockname()[1], flush=True)

    sel = selectors.DefaultSelector()
    sel.register(listener, selectors.EVENT_READ, None)
    next_id = 1
    try:
        while True:
            for key, _ in sel.select():
                if key.data is None:
                    client, _ = listener.accept()
                    try:
                        server = socket.create_connection(target)
                    except OSError:
                        client.close()
                        continue
                    pipe = Pipe(next_id, client, server)
                    next_id += 1
                    log.write("open %d\n" % pipe.ident)
                    for s in (client, server):
                        # Nagle on the proxy's sockets would hold a
                        # small write back for the peer's delayed ACK
                        # (40 ms on Linux): the proxy would add latency
                        # that the direct connection does not have.
                        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY,
                                     1)
                        s.setblocking(False)
                        sel.register(s, selectors.EVENT_READ, pipe)
                    continue
                pipe = key.data
                if pipe.flow(key.fileobj, sel):
                    pipe.close()
                    log.write("close %d %d %d\n" %
                              (pipe.ident, pipe.sent, pipe.received))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
