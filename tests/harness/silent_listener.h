/* silent_listener.h - a server that never answers, for tests of what a
 * client does while it waits (timeouts, cancels, stops). */
#ifndef HARNESS_SILENT_LISTENER_H
#define HARNESS_SILENT_LISTENER_H

#include <stdint.h>

/* A socket listening on 127.0.0.1, on a port of the kernel's choice
 * (*port), that nobody accepts on: the kernel completes backlog + 1
 * handshakes by itself, then drops SYNs, and no byte is ever sent. The
 * caller closes it. The descriptor, or -1 with errno set. */
int silent_listener(int backlog, uint16_t *port);

#endif
