/* fdlimit.h - file descriptors enough for every account.
 *
 * Each account holds a connection, its cache connection's files (the
 * database and its WAL), three eventfds and, through a tunnel, the
 * command's pipes; the process holds the cache, the indexer's and the
 * checkpointer's connections, the signalfd and the log. Past the limit an
 * account did not start ("eventfd: Too many open files"), or failed to
 * connect and to open its cache with words that pointed at the network
 * and the disk. 1024, the usual soft limit, is some 160 accounts.
 */
#ifndef MAILMIRRORD_FDLIMIT_H
#define MAILMIRRORD_FDLIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FDLIMIT_PER_ACCOUNT 8
#define FDLIMIT_BASE        64

/* Raises the soft RLIMIT_NOFILE to the hard one: the daemon waits with
 * poll(), never select(), so descriptors past 1024 are fine (systemd's
 * advice for such programs). The limit now; 0 when it cannot be read. */
uint64_t fdlimit_raise(void);

/* The descriptors accounts enabled accounts need, about. */
uint64_t fdlimit_needed(size_t accounts);

#endif
