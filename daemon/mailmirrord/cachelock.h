/* cachelock.h - one daemon per cache.
 *
 * Two daemons on one cache (a service, and a `--once` run with another
 * configuration) would each drop the accounts the other mirrors (prune.h)
 * and write into rows whose ids SQLite has since given to the other's. A
 * daemon therefore holds an exclusive lock on the cache file for as long
 * as it uses it, and a second one is refused before it changes anything.
 * Readers take no lock to read; one that wants to know whether a daemon
 * runs (mailmirror status) tries a shared flock(2) and lets it go at once
 * (schema.md), which a starting daemon waits out.
 */
#ifndef MAILMIRRORD_CACHELOCK_H
#define MAILMIRRORD_CACHELOCK_H

#include <stddef.h>

/* Locks the cache file at path, which this process has open with SQLite:
 * *fd gets the descriptor that holds the lock. 0; -2 with a sentence in
 * err when another daemon holds it (a shared lock held longer than a
 * reader's probe counts as one); -1 with one when the file cannot be
 * opened or locked. The
 * descriptor must stay open until every SQLite connection to the file is
 * closed: closing any descriptor of a file drops the process's fcntl(2)
 * locks on it, which are SQLite's. */
int cachelock_take(int *fd, const char *path, char *err, size_t errlen);

/* Closes *fd (releasing the lock) and sets it to -1; -1 is a no-op. Call
 * it after the last SQLite connection to the file is closed. */
void cachelock_release(int *fd);

#endif
