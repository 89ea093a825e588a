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
#include <sys/types.h>

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

/* Whether cache_default_path(..., true, ...) would create the directory
 * of the default path when it is missing: true, except under systemd's
 * $STATE_DIRECTORY, which the service manager creates. */
bool cache_default_makes_dir(void);

/* Whether the daemon can create or open the cache at path, an absolute
 * path, before SQLite is asked to: path must be a regular file (not a
 * symbolic link, which the cache refuses) or not exist yet, in an existing
 * directory where we may create files (SQLite puts its -wal and -shm files
 * beside the cache). With dir_may_be_made, a missing directory is accepted
 * when its nearest existing ancestor is a directory we may write into, as
 * cache_default_path() then creates it.
 *
 * Returns 0, or -1 with a sentence that names the path or directory at
 * fault in err (errlen bytes, NUL-terminated). Reads the file system
 * only; nothing is created. A check, not a guarantee: the open that
 * follows reports what changed meanwhile. */
int cache_check_path(const char *path, bool dir_may_be_made, char *err,
                     size_t errlen);

/* The directory of the file path into buf ("." for a bare name, "/" for
 * a file at the root). 0, or -1 when buf is too small. */
int cache_dir_of(char *buf, size_t len, const char *path);

/* The identity of the file at path: its device and inode. A daemon keeps
 * the identity of the cache it opened and compares it now and then with
 * what the path names: a cache removed (rm cache.db*, to rebuild it) or
 * replaced (mv) is no longer at the path, and writes into it reach no
 * reader. */
struct cache_file_id {
	dev_t dev;
	ino_t ino;
};

/* 0 with *out, or -1 with errno (ENOENT: nothing at path). A symbolic
 * link is not followed: the cache never is one. */
int cache_file_id(const char *path, struct cache_file_id *out);

/* Whether path still names the file of identity id. False when it names
 * another file or nothing; true also when it cannot be told (EACCES,
 * EIO...), which is no reason to leave a working cache. */
bool cache_file_is(const char *path, const struct cache_file_id *id);

#endif
