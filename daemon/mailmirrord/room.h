/* room.h - whether the cache's file system has room for a retry.
 *
 * A batch that failed to store because the disk is full fails again on
 * every retry until someone frees space, and each retry costs a login and
 * the download of the whole batch (up to 250 bodies). After such a failure
 * the account worker asks here, before each retry, whether the file system
 * that holds the cache has room again, and waits without connecting while
 * it has not.
 */
#ifndef MAILMIRRORD_ROOM_H
#define MAILMIRRORD_ROOM_H

#include "mailmirrord/config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Free bytes the daemon's user may write on the file system that holds
 * dir (statvfs: f_bavail * f_frsize), and its size. 0, or -1 with errno. */
typedef int room_free_fn(const char *dir, uint64_t *avail, uint64_t *size);
int room_free(const char *dir, uint64_t *avail, uint64_t *size);

/* The free space account c's worker waits for before it retries a batch
 * that found the disk full: twice its largest batch, at least 64 MB. */
uint64_t room_margin(const struct conf_account *c);

/* Whether dir's file system has margin bytes free, or an eighth of its
 * size if that is less (a small file system never has 64 MB free, and an
 * eighth freed is room someone made), asking free_of (for tests;
 * room_free otherwise). *avail gets the free bytes, or 0 when they could
 * not be read: then true, and the retry finds out for itself (a file
 * system we cannot ask must not stop the account for ever). */
bool room_enough(room_free_fn *free_of, const char *dir, uint64_t margin,
                 uint64_t *avail, uint64_t *need);

#endif
