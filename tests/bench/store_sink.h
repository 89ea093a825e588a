/* store_sink.h - the least a mirroring client does with the bodies it
 * reads: store each literal's bytes, untouched, in SQLite.
 *
 * raw_fetch -d uses it to measure the floor of any client that keeps
 * what it fetches in a SQLite cache like mailmirrord's: the transfer on
 * one thread, the inserts on another (so that neither waits for the
 * other more than a bounded queue makes it), into one table of (id,
 * bytes), WAL with synchronous=NORMAL, 16 KiB pages, 2,000 rows per
 * transaction and SQLite's own checkpoints. Nothing is parsed, decoded
 * or indexed: whatever a real client costs beyond this is its own work.
 */
#ifndef BENCH_STORE_SINK_H
#define BENCH_STORE_SINK_H

#include <stddef.h>

struct store_sink;

/* Creates the database at path (which must not hold a table "literals"
 * yet) and starts the writer thread. NULL with the reason on stderr. */
struct store_sink *store_sink_open(const char *path);

/* Appends n bytes to the literal being read. These two are called by the
 * reader's thread, the one that opened s; after store_sink_finish they
 * are no-ops. */
void store_sink_add(struct store_sink *s, const char *p, size_t n);

/* The literal being read is complete: queue it for the writer (waiting
 * while the queue is full). */
void store_sink_end_literal(struct store_sink *s);

/* Waits for the writer to store and commit everything queued. The
 * number of literals stored, or -1 when any insert failed (the reason on
 * stderr). Call it once. */
long store_sink_finish(struct store_sink *s);

/* Closes the database (SQLite checkpoints the rest of its WAL there) and
 * frees s, finishing first when store_sink_finish was not called. NULL is
 * a no-op. */
void store_sink_free(struct store_sink *s);

#endif
