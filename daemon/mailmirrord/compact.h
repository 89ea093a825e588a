/* compact.h - gives the cache's free space back to the file system.
 *
 * Mail expunged, a folder or an account dropped, bodies no longer kept,
 * the full-text index merging its segments: each leaves free pages in the
 * cache. SQLite reuses them for later rows but never shortens the file by
 * itself, so a daemon left running for a year would keep the largest size
 * its cache ever had. The main thread gives them back now and then, in
 * short steps beside the workers' writes (store_release_pages); a cache
 * made before that was possible is rewritten once by `--compact`.
 */
#ifndef MAILMIRRORD_COMPACT_H
#define MAILMIRRORD_COMPACT_H

#include "mailmirrord/store.h"

#include <stdbool.h>

/* How often the main thread looks, and how long one look may work. */
#define COMPACT_CHECK_MS  (10 * 60 * 1000)
#define COMPACT_BUDGET_MS 250

/* Whether the free pages are worth giving back: at least 16 MB, and a
 * sixteenth of the file. Less is taken up again by the next mail soon
 * enough, and moving pages costs writes. */
bool compact_due(const struct store_space *sp);

/* Gives free pages back in steps until too few are left or budget_ms has
 * passed: 1 when some are still due (call again soon), 0 when done, -1 on
 * a failure (logged; nothing is lost, the next call tries again). A cache
 * that cannot give its pages back in steps is told of once, through *told
 * (false at the start of a run), with what to do about it. */
int compact_some(struct store *s, int budget_ms, bool *told);

/* mailmirrord --compact: rewrites the cache at path without its free
 * pages, refusing while a daemon uses it. Prints the sizes before and
 * after on stdout; errors go to the log. 0, or -1. */
int compact_cache(const char *path);

#endif
