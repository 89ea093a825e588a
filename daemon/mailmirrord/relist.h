/* relist.h - when NOTIFY's news of the mailbox tree brings the poll
 * forward.
 *
 * A mailbox created, renamed or deleted on the server comes as NOTIFY
 * news (sync_tree_news); the account's loop then runs its poll, which
 * reads the mailbox list again, sooner than poll_interval. The news of
 * one change comes in bursts (a parent renamed with 1,200 children is
 * 1,200 LIST responses), and a hostile server may send it without end:
 * the pass waits RELIST_SETTLE_MS for the burst to end, and comes no
 * sooner than RELIST_GAP_MS after the last reading of the list, so no
 * server can make the loop read the list more often than that.
 *
 * Sans-I/O: the caller passes its monotonic clock.
 */
#ifndef MAILMIRRORD_RELIST_H
#define MAILMIRRORD_RELIST_H

#include <stdbool.h>
#include <stdint.h>

#define RELIST_SETTLE_MS 2000
#define RELIST_GAP_MS    10000

/* When to read the list again for news that came at news_at, the list
 * last read at listed_at (milliseconds on one clock); the caller takes the
 * earlier of this and its next poll. */
int64_t relist_at(int64_t news_at, int64_t listed_at);

/* A live session with NOTIFY reads the list for at most this long; the
 * poll after it reads it in a new session. Dovecot 2.3, after renames by
 * other clients under NOTIFY, may answer a session's LIST with the tree
 * as it was, a mailbox made since left out or an old name still there,
 * where a new session sees it as it is (explore43), and nothing in the
 * session's answers tells which. */
#define NOTIFY_SESSION_MS (60 * 60 * 1000)

/* Whether the poll at now reads the list in a new session: the session
 * went live at live_at (the same clock) and has NOTIFY on. */
bool relist_in_new_session(bool notify, int64_t live_at, int64_t now);

#endif
