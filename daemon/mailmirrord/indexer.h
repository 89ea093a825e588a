/* indexer.h - puts stored messages and bodies into the full-text index,
 * off the sync's path.
 *
 * Tokenising text is most of the cost of mirroring bodies, and a quarter
 * of that of mirroring envelopes: done inside the sync's transactions it
 * made a full-body sync ten times slower than the transfer, and it held
 * live updates back behind it. The sync stores messages and bodies
 * unindexed and pokes the indexer; the indexer's own thread, at the lowest
 * CPU priority and with its own connection, indexes what waits in small
 * transactions, so a sync writer waits for one chunk at most. Everything
 * it does is a transaction: a kill leaves the rest waiting, and the next
 * start indexes it.
 */
#ifndef MAILMIRRORD_INDEXER_H
#define MAILMIRRORD_INDEXER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct indexer;

struct cache_file_id;
struct checkpointer;

/* Starts the indexer on the cache at path (created and migrated by the
 * caller already), the file of identity id (NULL: whatever file path
 * names then, for tests; see store_open_bound). Its thread opens the cache,
 * then looks for waiting text at once, and whenever poked. Its commits are
 * checkpointed by ck (borrowed, may be NULL; it must outlive the indexer). 0,
 * or -1 with a message in err when the thread cannot be started. A cache the
 * thread cannot open is logged (at warning) and every indexer_wait() answers
 * -1: the daemon runs without the index, and text waits until the next start.
 */
int indexer_start(struct indexer **out, const char *path,
                  const struct cache_file_id *id, struct checkpointer *ck,
                  char *err, size_t errlen);

/* Messages or bodies were stored: index them soon. Safe from any thread;
 * NULL is a no-op. */
void indexer_poke(struct indexer *ix);

/* rows left the index (bodies trimmed, a mailbox or an account dropped):
 * once a thousand have, the index is merged after the next look, which
 * gives back the room their markers took (the space then goes back to
 * the file system as free pages do, compact.h). Safe from any thread;
 * NULL is a no-op. */
void indexer_forgot(struct indexer *ix, uint64_t rows);

/* Waits at most timeout_ms (< 0: for ever) for a look started after the
 * last poke to end: 1 when it found the index complete, -1 when it failed
 * (logged), 0 when it has not ended yet (call again). The look made at
 * the start counts as the answer to a poke: --once, whose workers poked
 * for what they stored, waits in slices so that a signal still stops it. */
int indexer_wait(struct indexer *ix, int timeout_ms);

/* A sync is under way / is over. While any holds it, the indexer starts
 * no chunk: both write to the same file, and a sync that waits for the
 * indexer's transactions (SQLite lets one writer in at a time) slowed a
 * first sync threefold. Text stored meanwhile is indexed after it, or
 * at once in live mode, when nothing holds; and once syncs have held it
 * for a minute without a pause, as they go on (one over a slow link must
 * not keep other accounts' mail out of searches for hours). NULL is a
 * no-op. */
void indexer_hold(struct indexer *ix);
void indexer_release(struct indexer *ix);

/* That minute of patience, in ms (tests). NULL is a no-op. */
void indexer_set_patience(struct indexer *ix, int ms);

/* Nothing else will write to the cache any more (a --once run whose syncs
 * are over): from now on the indexer takes larger chunks, which cost less
 * in all but would make a writer wait longer. NULL is a no-op. */
void indexer_alone(struct indexer *ix);

/* Messages waiting, as of the last chunk (for the status line). */
uint64_t indexer_waiting(struct indexer *ix);

/* Stops the thread (within one chunk), closes its connection, frees *ix
 * and sets it to NULL. NULL or *ix NULL is a no-op. */
void indexer_stop(struct indexer **ix);

#endif
