/* checkpointer.h - copies the cache's WAL into the database off the
 * writers' path.
 *
 * SQLite checkpoints a WAL inside the commit that takes it past 1,000
 * pages: a sync's batch writer then copied and synced 16 MB every few
 * batches while the server waited for it (with the automatic checkpoint
 * off, 20,000 bodies were stored in 2.0 s instead of 2.5 s). Here a writer
 * connection's automatic checkpoint is replaced by a WAL hook:
 *  - from CHECKPOINT_PAGES on, each commit pokes this thread, which runs
 *    PASSIVE checkpoints on a connection of its own: they copy what they
 *    can, and neither wait for nor block anyone;
 *  - from CHECKPOINT_WRITER_PAGES on, the writer also checkpoints itself,
 *    right after its commit, as SQLite would have. A WAL that is written
 *    all the time is never found wholly copied by a pass of another
 *    thread, and SQLite starts a WAL over only when it is: left to this
 *    thread alone, a full-body sync of 200 MB grew a WAL of 400 MB. The
 *    passes before have copied most of it, so the writer's share is small.
 * Either is a checkpoint SQLite would have made itself: a kill at any
 * instant leaves the database and its WAL consistent.
 * CHECKPOINT_QUIET_MS after a commit, the thread copies what the WAL
 * holds with a PASSIVE pass too: the next commit then starts the WAL over
 * and cuts its file back to CACHE_WAL_LIMIT, though the daemon commits a
 * few pages at every poll and is never idle as below.
 * And CHECKPOINT_IDLE_MS after the last commit, the thread copies the
 * whole WAL into the database and empties the file (TRUNCATE), unless a
 * reader holds it (then after the next quiet time): an idle daemon leaves
 * the cache in its database file, and no WAL of up to 16 MB beside it.
 */
#ifndef MAILMIRRORD_CHECKPOINTER_H
#define MAILMIRRORD_CHECKPOINTER_H

#include <sqlite3.h>
#include <stddef.h>

/* In pages of the WAL: SQLite's own threshold, and four times it. */
#define CHECKPOINT_PAGES        1000
#define CHECKPOINT_WRITER_PAGES 4000
/* Quiet time after the last commit before the idle pass, in ms. */
#define CHECKPOINT_IDLE_MS 10000
/* After a commit, before the quiet pass, in ms: the commits of one poll
 * or one burst go in one pass. */
#define CHECKPOINT_QUIET_MS 1000

struct cache_file_id;
struct checkpointer;

/* Starts the thread; it opens its own connection to the cache at path
 * (created and migrated already) at its first pass, bound to the file of
 * identity id (NULL: whatever file path names then, for tests; see
 * cache_open_rw_bound). 0, or -1 with a message in err. */
int checkpointer_start(struct checkpointer **out, const char *path,
                       const struct cache_file_id *id, char *err,
                       size_t errlen);

/* From now on db's commits poke ck instead of checkpointing in db's
 * thread. db must be a connection to the same cache, and closed before
 * ck is stopped. A NULL ck leaves db as it is. */
void checkpointer_attach(struct checkpointer *ck, sqlite3 *db);

/* Passes made so far, and the largest WAL a commit reported (in pages):
 * what a test can observe of the thread. */
unsigned long checkpointer_passes(struct checkpointer *ck);
int checkpointer_largest_wal(struct checkpointer *ck);
/* Idle passes that emptied the WAL. */
unsigned long checkpointer_idle_passes(struct checkpointer *ck);
/* The quiet time before an idle pass (CHECKPOINT_IDLE_MS), for tests. */
void checkpointer_set_idle(struct checkpointer *ck, int ms);
/* The time before a quiet pass (CHECKPOINT_QUIET_MS), for tests. */
void checkpointer_set_quiet(struct checkpointer *ck, int ms);

/* Stops the thread (after the pass under way), closes its connection,
 * frees *ck and sets it to NULL. NULL or *ck NULL is a no-op. */
void checkpointer_stop(struct checkpointer **ck);

#endif
