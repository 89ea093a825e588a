/* room.c - free space on the cache's file system; see room.h. */
#include "mailmirrord/room.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>

/* Rows of one batch written early past this (sync_internal.h's
 * ROWS_MAX_BYTES), with one message of up to the body cap on top. */
#define BATCH_ROWS_BYTES ((uint64_t)8 << 20)
#define MARGIN_FLOOR     ((uint64_t)64 << 20)

int room_free(const char *dir, uint64_t *avail, uint64_t *size)
{
	struct statvfs st;
	if (statvfs(dir, &st) < 0)
		return -1;
	/* f_bavail, not f_bfree: the blocks reserved for root are the
	 * admin's to recover with, not ours to fill again (and a daemon
	 * run as root would otherwise see room that no user has). */
	*avail = (uint64_t)st.f_bavail * (uint64_t)st.f_frsize;
	*size = (uint64_t)st.f_blocks * (uint64_t)st.f_frsize;
	return 0;
}

uint64_t room_margin(const struct conf_account *c)
{
	/* A batch goes through the WAL and is then copied into the
	 * database by the checkpoint: it needs about twice its size free.
	 * Its rows are written early past BATCH_ROWS_BYTES, and the last
	 * message may bring a body of up to the cap. The floor leaves room
	 * for the full-text index and for the next batches: a retry into a
	 * disk that can take one batch only would fail again at once. */
	uint64_t body = c->bodies == CONF_BODIES_FULL ? conf_body_cap(c) : 0;
	uint64_t m = 2 * (BATCH_ROWS_BYTES + body);
	return m > MARGIN_FLOOR ? m : MARGIN_FLOOR;
}

bool room_enough(room_free_fn *free_of, const char *dir, uint64_t margin,
                 uint64_t *avail, uint64_t *need)
{
	uint64_t size = 0;
	*avail = 0;
	*need = margin;
	if (free_of(dir, avail, &size) < 0) {
		*avail = 0;
		return true;
	}
	if (size / 8 < margin)
		*need = size / 8;
	return *avail >= *need;
}
