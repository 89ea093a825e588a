/* conngate.h - how many connections to one server are set up at once.
 *
 * Every account connects when the daemon starts, and again together after
 * a suspend or a network change. 400 accounts on one Dovecot made it fork
 * 400 login processes at once: greetings took up to 28 s, logins timed
 * out, and every account went through its back-off (explore35). Through
 * the gate, at most a few connections to one server (its host and port)
 * are being set up (TCP, TLS, greeting, login) at any time; the others
 * wait their turn, which a login of some milliseconds soon gives them.
 * A tunnel has no server to share and passes.
 *
 * Shared by the workers of a process; every call is thread-safe.
 */
#ifndef MAILMIRRORD_CONNGATE_H
#define MAILMIRRORD_CONNGATE_H

#include <stdatomic.h>
#include <stdbool.h>

/* Connections to one server being set up at once. */
#define CONNGATE_PER_SERVER 8

struct conngate;

/* A gate letting per_server (at least 1) through at once for each server.
 * 0, or -1 when out of memory. */
int conngate_new(struct conngate **out, unsigned per_server);

/* Frees *g (no worker may still use it) and sets it to NULL; NULL is a
 * no-op. */
void conngate_free(struct conngate **g);

/* Waits until fewer than per_server connections to server ("host:port")
 * are being set up, then counts this one. waiting (may be NULL) is called
 * with payload once a second while it waits, to say so. True when counted
 * (conngate_leave follows), false when *stop was set first (a
 * conngate_wake() has the waiters look). A NULL gate lets everyone
 * through at once. */
bool conngate_enter(struct conngate *g, const char *server,
                    const atomic_bool *stop, void (*waiting)(void *payload),
                    void *payload);

/* This connection to server is set up, or failed: the next may go. */
void conngate_leave(struct conngate *g, const char *server);

/* Has the waiters look at their stop flags now. */
void conngate_wake(struct conngate *g);

#endif
