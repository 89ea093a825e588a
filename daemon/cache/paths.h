/* paths.h - where the cache lives by default.
 *
 * mailmirrord and mailmirror resolve the default in the same way, so the
 * query tool finds the daemon's cache without being told:
 *   1. $STATE_DIRECTORY/cache.db, with the first entry of the
 *      colon-separated list (systemd's StateDirectory=mailmirror);
 *   2. $XDG_STATE_HOME/mailmirror/cache.db, when that is an absolute path;
 *   3. $HOME/.local/state/mailmirror/cache.db ($HOME, else the password
 *      database's home of the real user).
 */
#ifndef MAILMIRROR_CACHE_PATHS_H
#define MAILMIRROR_CACHE_PATHS_H

#include <stdbool.h>
#include <stddef.h>

#define CACHE_FILE_NAME "cache.db"

/* Stores the default cache path in *out, a string the caller frees.
 *
 * With create_dir (the daemon), the directory that holds the file is
 * created, parents included, with mode 0700 for those it creates; systemd's
 * $STATE_DIRECTORY is expected to exist and is left alone. The query tool
 * passes false and never creates anything.
 *
 * Returns 0, or -1 with a message in err (errlen bytes, NUL-terminated)
 * when no home can be found, a path would be too long, a directory cannot
 * be created, or memory runs out. */
int cache_default_path(char **out, bool create_dir, char *err, size_t errlen);

#endif
