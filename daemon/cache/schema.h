/* schema.h - the SQLite cache: its schema, migrations and opening.
 *
 * The cache is a public interface: mailmirrord writes it, the mailmirror
 * query tool and any local program read it. Its tables are described in
 * daemon/cache/schema.md, which is the contract; PRAGMA user_version holds
 * the schema version and PRAGMA application_id marks the file as ours.
 *
 * Only the daemon migrates (cache_open_rw); readers (cache_open_ro) refuse a
 * cache whose version they do not know, newer or older, and never write.
 * A reader that knows how to read some older versions as well opens the
 * cache with cache_open_ro_from.
 *
 * Error codes are negative CACHE_E* values. Every function that can fail
 * takes an error buffer and, on failure, leaves a one-line English message
 * there (always NUL-terminated, truncated to errlen).
 */
#ifndef MAILMIRROR_CACHE_SCHEMA_H
#define MAILMIRROR_CACHE_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <sqlite3.h>

/* The version this build creates and reads. Migrations 1..CACHE_SCHEMA_VERSION
 * are applied in order; see schema.md for what each one adds. */
#define CACHE_SCHEMA_VERSION 7

/* PRAGMA application_id of a mailmirror cache: "MMir" in ASCII. */
#define CACHE_APPLICATION_ID 0x4d4d6972

/* Whether the file at path is a mailmirror cache whose first bytes were
 * overwritten: SQLite's magic string gone from its header, but our
 * application_id still in it (bytes 68-71, big-endian). SQLite reads such
 * a file as "not a database"; it is still ours to set aside. */
bool cache_header_damaged(const char *path);

/* How long a connection waits for another one's lock before it gives up
 * with SQLITE_BUSY. Writers hold the lock for one short transaction. */
#define CACHE_BUSY_TIMEOUT_MS 5000

/* The size a writer's WAL is cut back to whenever it starts over. A WAL
 * grows past it in a first sync, or while a reader's snapshot holds the
 * checkpoints back, and would otherwise keep that size on disk for as long
 * as the daemon runs. Below the 16 MB (1,000 pages) between two of the
 * checkpointer's passes under load: at 64 MB a WAL that was started over
 * kept its 16 to 31 MB for good (explore78); cut to 4 MB, the file grows
 * again only while a sync writes. */
#define CACHE_WAL_LIMIT 4194304 /* 4 MB */

enum cache_code {
	CACHE_OK = 0,
	CACHE_ENOENT = -1,   /* (ro) no cache file at that path */
	CACHE_ENEWER = -2,   /* written by a newer mailmirror */
	CACHE_EOLDER = -3,   /* (ro) older schema, or not yet created: the
	                        daemon has not migrated it yet */
	CACHE_ENOTOURS = -4, /* an SQLite file that is not a cache */
	CACHE_EDB = -5,      /* SQLite failed (I/O, corrupt, permission,
	                        busy); the message says which */
	CACHE_ENOMEM = -6,   /* out of memory */
	CACHE_EIO = -7,      /* (rw) creating or securing the file failed;
	                        (ro) the file cannot be opened (permission) */
	CACHE_ECORRUPT = -8, /* SQLite finds the file damaged (malformed) */
	CACHE_EMOVED = -9,   /* (rw, bound) the path names another file than
	                        the cache this process opened, or none */
};

/* Removes the -wal and -shm at path: they belong to a file that was
 * there before, removed or replaced (after a kill, or with a reader's
 * snapshot keeping the WAL from being emptied). SQLite would replay the
 * old frames into the new file, and a reader still holding the old -shm
 * keeps any connection from starting it over ("disk I/O error"). Called
 * for a file cache_open_rw creates, and by the daemon when it lets a
 * cache go that is no longer at its path. */
void cache_forget_journal(const char *path);

/* Makes sure a regular file, no symbolic link, is at path, creating an
 * empty one 0600 when there is none (and removing the -wal and -shm a
 * cache gone from the path left behind): what cache_open_rw does first,
 * for a caller that locks the file before SQLite opens it. CACHE_OK, or
 * CACHE_EIO with the reason in err. */
int cache_prepare_file(const char *path, char *err, size_t errlen);

/* Opens (creating it if needed) the cache at path for writing, as the
 * daemon does: the file, its -wal and -shm are mode 0600; WAL journal,
 * synchronous=NORMAL, foreign keys on, busy timeout set; the schema is
 * migrated to CACHE_SCHEMA_VERSION in one transaction. The directory must
 * exist (see cache_default_path).
 *
 * On success *out is a connection the caller closes with sqlite3_close().
 * On failure *out is NULL and err holds the reason. Errors: CACHE_ENEWER,
 * CACHE_ENOTOURS, CACHE_EDB, CACHE_EIO, CACHE_ENOMEM. */
int cache_open_rw(sqlite3 **out, const char *path, char *err, size_t errlen);
/* The same, and *found the version the file had before (0: a new cache),
 * which tells a caller that it was migrated. */
int cache_open_rw_from(sqlite3 **out, int *found, const char *path, char *err,
                       size_t errlen);

struct cache_file_id;

/* cache_open_rw for another connection to the cache this process opened
 * already, and whose identity (cache_file_id) is id: the file SQLite opens
 * must be that one. Nothing is created, and no -wal or -shm removed. A
 * file put at the path meanwhile (mv other.db cache.db) is CACHE_EMOVED,
 * and the connection is closed before it reads anything: its first read
 * would replay the WAL beside it, ours, into that file (the data of the
 * file moved in would be lost). *found (found may be NULL) as for
 * cache_open_rw_from. Errors as cache_open_rw, and CACHE_EMOVED. */
int cache_open_rw_bound(sqlite3 **out, int *found, const char *path,
                        const struct cache_file_id *id, char *err,
                        size_t errlen);

/* Opens an existing cache read-only (SQLITE_OPEN_READONLY) for queries. It
 * works while the daemon writes: readers see the last committed state. The
 * schema is never changed; a cache of another version is refused (the
 * version is checked in one read transaction, which is over on return).
 * A cache in a directory the reader cannot write to, without its -shm
 * file and with an empty or no -wal (no daemon has it open, every commit
 * is in the file), is opened with immutable=1, since SQLite cannot read
 * it otherwise; see schema.md.
 *
 * On success *out is a connection the caller closes with sqlite3_close().
 * Errors: CACHE_ENOENT, CACHE_ENEWER, CACHE_EOLDER, CACHE_ENOTOURS,
 * CACHE_EIO (no permission to read the file or reach it), CACHE_EDB
 * (among others, a WAL with changes that the reader can reach only
 * through a -shm file it cannot create: the message says so),
 * CACHE_ENOMEM. */
int cache_open_ro(sqlite3 **out, const char *path, char *err, size_t errlen);

/* cache_open_ro for a reader that reads every version from oldest (1 to
 * CACHE_SCHEMA_VERSION) up to CACHE_SCHEMA_VERSION: one that reads no
 * table or column added after oldest, and no meaning changed since. On
 * success *version is the cache's; the reader must not assume more. A
 * cache older than oldest is CACHE_EOLDER, a newer one than this build's
 * CACHE_ENEWER, as for cache_open_ro; nothing is migrated. */
int cache_open_ro_from(sqlite3 **out, int *version, int oldest,
                       const char *path, char *err, size_t errlen);

/* Whether a mailmirrord has the cache open: it holds flock(2) LOCK_EX on
 * the file for as long as it runs, so a shared lock we get (and let go at
 * once: a daemon starting meanwhile must find the file free) means none
 * does. fd is a descriptor of the file; mind that closing one drops the
 * fcntl(2) locks SQLite holds on the file in this process. An answer
 * other than free or taken (a file system without flock) counts as
 * running: calling a live daemon dead would be the worse mistake. */
bool cache_daemon_holds(int fd);

/* The schema version of an open cache (PRAGMA user_version), or a negative
 * CACHE_E* code. */
int cache_version(sqlite3 *db);

/* Applies migrations so that the cache reaches version target (which may be
 * below CACHE_SCHEMA_VERSION, for tests of older caches), in one
 * transaction: on failure nothing changed. cache_open_rw calls it with
 * CACHE_SCHEMA_VERSION. Errors: CACHE_ENEWER (already past target),
 * CACHE_ENOTOURS, CACHE_EDB. */
int cache_migrate(sqlite3 *db, int target, char *err, size_t errlen);

/* A static English description of a CACHE_E* code. */
const char *cache_strerror(int code);

/* strerror(e), except that running out of file descriptors is named as
 * such, with the process's limit: "too many open files (limit 256)". The
 * text is in buf or static; buf of 64 bytes is enough. */
const char *cache_errno_text(int e, char *buf, size_t len);

#endif
