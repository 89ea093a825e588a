/* store.h - the daemon's writes to the cache.
 *
 * Plain structs and numbers only: the sync engine translates IMAP responses
 * into these calls, and this file never sees an IMAP type. The tables are
 * those of daemon/cache/schema.md.
 *
 * Transactions. store_begin() starts a write transaction (BEGIN IMMEDIATE:
 * the write lock is taken at once, so a commit cannot fail for a lock taken
 * later by the query tool's readers, which never block us in WAL mode).
 * Group into one transaction what one server state implies, so that the
 * cache always equals some state the server was in (RELIABILITY rule 7):
 * e.g. the messages of one FETCH batch together with the UIDNEXT and
 * HIGHESTMODSEQ that cover them; a UIDVALIDITY change (store_mailbox_reset)
 * together with the first messages of the new epoch. Calls made outside a
 * transaction commit one by one.
 *
 * Errors. Every function returns 0 (STORE_OK) or a negative STORE_E* code,
 * and leaves an English message in the store (store_errmsg). An error inside
 * a transaction leaves it open: the caller rolls back. Retry classes:
 *   STORE_EBUSY          retry later (another writer held the lock longer
 *                        than the busy timeout);
 *   STORE_EFULL, STORE_EIO, STORE_ENOMEM
 *                        back off and retry; the account cannot progress;
 *   STORE_ENOTFOUND, STORE_EEXIST
 *                        a result about the data, not a failure of the store;
 *   STORE_EINVAL         a bug in the caller (bad argument, no transaction);
 *   STORE_ENEWER, STORE_ECORRUPT, STORE_EDB
 *                        retry only after the user acts (upgrade, repair);
 *   STORE_EMOVED         the cache was moved away: the daemon opens the
 *                        file now at the path anew (cachewatch.h).
 *
 * Threads. A store is one SQLite connection used by one thread at a time;
 * each account worker opens its own.
 *
 * Strings passed in are UTF-8 and NUL-terminated, copied by SQLite before the
 * call returns; NULL stores SQL NULL where the schema allows it.
 */
#ifndef MAILMIRROR_STORE_H
#define MAILMIRROR_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cache_file_id;

enum store_code {
	STORE_OK = 0,
	STORE_ENOTFOUND = -1, /* no such account, mailbox or message */
	STORE_EEXIST = -2,    /* the new name is taken (rename) */
	STORE_EINVAL = -3,    /* bad argument or call out of order */
	STORE_EBUSY = -4,     /* database locked past the busy timeout */
	STORE_ENOMEM = -5,    /* out of memory */
	STORE_EFULL = -6,     /* disk full */
	STORE_EIO = -7,       /* I/O error, or the file cannot be created */
	STORE_ENEWER = -8,    /* cache written by a newer mailmirror */
	STORE_ECORRUPT = -9,  /* not a cache, or damaged */
	STORE_EDB = -10,      /* any other SQLite failure */
	STORE_ESTALE = -11,   /* a MODSEQ below the cached one: nothing was
	                         written (store_message_set_flags) */
	STORE_EMOVED = -12,   /* (store_open_bound) the path names another
	                         file than the cache, or none */
};

/* "No time known": an INTERNALDATE never received, a Date: header that
 * did not parse. Stored as NULL. */
#define STORE_NO_TIME INT64_MIN

struct store;

/* SQLite's temporary files (the journal that undoes a batch's INSERT
 * alone, store_rows.c, once past 64 KiB; a VACUUM's copy) go to the
 * directory of the cache at path: writable by whoever writes the cache,
 * and where a copy's room is needed anyway, where /tmp is often a small
 * RAM disk and /var/tmp may be read-only for a service. Before SQLite
 * makes its first temporary file (it reads the place once). */
void store_temp_beside(const char *path);

/* Opens the cache at path (creating and migrating it, see cache_open_rw).
 * On success *out is a store the caller closes with store_close(). On
 * failure *out is NULL, err holds the reason and the code says its class. */
int store_open(struct store **out, const char *path, char *err, size_t errlen);
/* store_open for another connection to the cache this process opened,
 * whose identity is id (NULL: store_open): see cache_open_rw_bound. A
 * file moved over the cache is STORE_EMOVED, and left untouched. */
int store_open_bound(struct store **out, const char *path,
                     const struct cache_file_id *id, char *err, size_t errlen);
/* The schema version the file had when store_open opened it: 0 for a new
 * cache, below CACHE_SCHEMA_VERSION for one it migrated. */
int store_found_version(const struct store *s);

/* Closes the store, rolling back an open transaction. NULL is a no-op;
 * *s is set to NULL. The WAL stays as it is (cache_open_rw): see
 * store_wal_truncate. */
void store_close(struct store **s);

/* Checkpoints the whole WAL into the database and empties it. The process
 * calls it on its last connection before it lets the database go (exit, a
 * cache replaced under it): frames left in the WAL belong to this file
 * alone, and SQLite would replay them into whatever file is found at the
 * path next (another cache, a user's file moved there). Gives up after
 * 100 ms when a reader holds an old snapshot: STORE_EBUSY, nothing lost. */
int store_wal_truncate(struct store *s);

/* Copies what the WAL holds into the database (a passive checkpoint: it
 * waits for nobody, and leaves what a reader still needs), syncing both
 * as SQLite does. Done while the workers of a --once run log out, it
 * leaves store_wal_truncate at exit nothing to copy or sync. */
int store_wal_copy(struct store *s);

/* ---------------------------------------------------------------- Space
 *
 * Deleted rows leave free pages in the file, which SQLite reuses for new
 * rows but never gives back by itself. A cache made by this version keeps
 * pointers that let it move its last pages into free ones and shorten the
 * file in steps (auto_vacuum = INCREMENTAL); an older one can only be
 * rewritten whole (store_vacuum). */
struct store_space {
	int64_t page_size;  /* bytes */
	int64_t pages;      /* the file's pages, free ones included */
	int64_t free_pages; /* unused pages inside the file */
	bool incremental;   /* free pages can be given back in steps */
};

int store_space(struct store *s, struct store_space *out);

/* Gives up to pages free pages back to the file system (shortens the file),
 * in one write transaction of its own: call it outside store_begin. Does
 * nothing on a cache that is not incremental. */
int store_release_pages(struct store *s, int64_t pages);

/* Rewrites the whole cache without its free pages (VACUUM) and makes it
 * incremental. Needs free disk space of about twice the cache's size (a
 * copy, then the WAL), and must not run beside the daemon's writers: it
 * holds the write lock until it ends. */
int store_vacuum(struct store *s);

struct checkpointer;

/* Hands the checkpoints of s's commits to ck (checkpointer.h), NULL
 * leaving them to SQLite. Called right after store_open, in the thread
 * that opened it; ck must outlive s. */
void store_checkpoint_with(struct store *s, struct checkpointer *ck);

/* The message of the last failure: borrowed, valid until the next call on
 * the store. "" if none. */
const char *store_errmsg(const struct store *s);

/* Whether that failure was the disk (or the cache's file system) full:
 * STORE_EFULL. A retry needs free space first, not a new attempt. */
bool store_full(const struct store *s);

/* Whether any connection of this process has found the cache damaged
 * (STORE_ECORRUPT after it was opened: a page that is no page, a file
 * copied over the cache while it was in use, a failing disk). No retry
 * mends that; the daemon sets the file aside and mirrors anew (main.c).
 * store_damage_forget clears it once the file is let go. */
bool store_damaged(void);
void store_damage_forget(void);

/* ----------------------------------------------------------- transactions */

/* BEGIN IMMEDIATE. STORE_EINVAL if a transaction is already open. */
int store_begin(struct store *s);
int store_commit(struct store *s);
/* Rolls back; a no-op without an open transaction. */
int store_rollback(struct store *s);
bool store_in_transaction(const struct store *s);

/* --------------------------------------------------------------- accounts */

/* Inserts the account if its name is new, else updates its server: host
 * (or the tunnel command), port (0 with a tunnel) and user (NULL and ""
 * are one). *id is its row id. An account is keyed on its name, and its
 * mailboxes on their names and UIDVALIDITY: when the server or the user
 * is another than the row's, what the cache holds of the account
 * (mailboxes, messages, bodies, their full-text entries) was mirrored
 * from another mailbox store and is dropped with its last sync, in the
 * same transaction as the new server is stored (the caller's, or
 * one of its own), so that it is mirrored anew; *dropped (may be NULL)
 * is then the number of messages dropped, else 0. A row written before
 * the cache kept ports (schema version 7) takes the port as unchanged.
 * Returns 1 when the server changed, 0 when it did not or the account is
 * new, < 0 on failure (nothing changed then, the caller's transaction
 * aside). */
int store_account_upsert(int64_t *id, int64_t *dropped, struct store *s,
                         const char *name, const char *host, unsigned port,
                         const char *user);
/* The same, except that a row of another server or user is left as it
 * is, its rows and its server kept, and 1 returned: a server given by
 * mistake (a typo in host) must not cost what the cache holds before it
 * has even answered. store_account_upsert switches once the new server
 * took the login. 0 when the account is new or its server is that one,
 * and then written as store_account_upsert writes it. */
int store_account_keep(int64_t *id, struct store *s, const char *name,
                       const char *host, unsigned port, const char *user);

/* A short word for `mailmirror status` ("connecting", "syncing", "idle",
 * "error", ...). */
int store_account_set_state(struct store *s, int64_t account,
                            const char *state);

/* The last error of the account (already stripped of secrets), or NULL to
 * clear it. */
int store_account_set_error(struct store *s, int64_t account,
                            const char *error);

/* When the account last completed a sync (Unix seconds). */
int store_account_set_last_sync(struct store *s, int64_t account, int64_t when);

/* Clears the live mark of every mailbox of the account: after a
 * disconnect no mailbox is watched. */
int store_account_clear_live(struct store *s, int64_t account);
/* The same at start-up, and the progress of an initial sync that a run
 * killed left behind (explore56: the dead run's 16000/40000, read as the
 * new run's): none runs yet. */
int store_account_clear_run(struct store *s, int64_t account);

/* A row of a walk: its id and name (borrowed for the call). A non-zero
 * return stops the walk and is returned. The callback must not write to
 * what it walks: collect, then act. */
typedef int store_row_cb(void *payload, int64_t id, const char *name);

/* Calls cb for each account, oldest first. */
int store_account_each(struct store *s, store_row_cb *cb, void *payload);

/* One step of deleting the account with its mailboxes, messages, bodies
 * and their full-text entries: a transaction of its own that deletes at
 * most limit messages of one mailbox (recounting it, or deleting it once
 * empty), or, when no mailbox is left, the account. Returns 1 once the
 * account is gone, 0 while there is more to do, < 0 on failure. *messages
 * is how many messages this step deleted. Steps keep the cache consistent
 * (a mailbox's counts match its rows), so a kill between two loses
 * nothing: the next start goes on. */
int store_account_delete_step(struct store *s, int64_t account, int limit,
                              int64_t *messages);

/* -------------------------------------------------------------- mailboxes */

struct store_mailbox_state {
	uint32_t uidvalidity; /* 0: not yet known */
	uint32_t uidnext;
	uint64_t highestmodseq; /* 0: no CONDSTORE */
	uint32_t exists;
	uint32_t unseen;
	int64_t last_sync; /* Unix seconds, or STORE_NO_TIME */
};

/* Inserts the mailbox (account, name) or updates its LIST data. delimiter
 * is the one-character hierarchy delimiter, or NULL for none (NIL);
 * attributes are space-separated ("\HasNoChildren \Sent"); special_use is
 * the special-use attributes, space-separated too ("\Sent", "\Archive
 * \All"), or NULL. *id is its row id. */
int store_mailbox_upsert(int64_t *id, struct store *s, int64_t account,
                         const char *name, const char *delimiter,
                         const char *attributes, const char *special_use);

/* *id of the mailbox (account, name); STORE_ENOTFOUND if absent. */
int store_mailbox_find(int64_t *id, struct store *s, int64_t account,
                       const char *name);

/* The high-water marks last committed for the mailbox. */
int store_mailbox_get_state(struct store_mailbox_state *out, struct store *s,
                            int64_t mailbox);

/* Records a server state. Call it in the transaction that stores the
 * messages this state covers. */
int store_mailbox_set_state(struct store *s, int64_t mailbox,
                            const struct store_mailbox_state *st);

/* UIDVALIDITY changed (RFC 3501 2.3.1.1): every cached message of the
 * mailbox is deleted, uidvalidity is set, uidnext, highestmodseq and the
 * counts go back to 0. */
int store_mailbox_reset(struct store *s, int64_t mailbox, uint32_t uidvalidity);

/* Deletes the mailbox and, by cascade, its messages and bodies. Deleting an
 * absent mailbox is not an error. */
int store_mailbox_delete(struct store *s, int64_t mailbox);

/* Renames a mailbox within its account, keeping its messages (RFC 3501
 * 6.3.5 keeps UIDVALIDITY across RENAME). STORE_EEXIST if the name is
 * taken, STORE_ENOTFOUND if the mailbox is absent. */
int store_mailbox_rename(struct store *s, int64_t mailbox,
                         const char *new_name);

/* Calls cb for each mailbox of the account, in name order (bytewise). */
int store_mailbox_each(struct store *s, int64_t account, store_row_cb *cb,
                       void *payload);

/* Live is 1 while the mailbox is watched with IDLE (or NOTIFY). */
int store_mailbox_set_live(struct store *s, int64_t mailbox, bool live);

/* The mailbox was found equal to the server at when (a poll that saw no
 * change), without a write of its state. */
int store_mailbox_set_last_sync(struct store *s, int64_t mailbox, int64_t when);

/* Initial-sync progress: done of total messages fetched. (0, 0) when no
 * initial sync is running. */
int store_mailbox_set_progress(struct store *s, int64_t mailbox, uint32_t done,
                               uint32_t total);

/* The last error of this mailbox, or NULL to clear it. */
int store_mailbox_set_error(struct store *s, int64_t mailbox,
                            const char *error);
/* The last error of this mailbox into buf (len bytes, cut to fit), ""
 * when there is none. */
int store_mailbox_get_error(char *buf, size_t len, struct store *s,
                            int64_t mailbox);

/* The mailbox's hierarchy delimiter as LIST last gave it, '\0' for none. */
int store_mailbox_get_delimiter(char *out, struct store *s, int64_t mailbox);

/* Sets unseen_count, and exists_count too unless only flags changed,
 * from the cached rows (exists_count costs a scan of the mailbox's rows;
 * unseen_count one of its unread ones). */
int store_mailbox_recount(struct store *s, int64_t mailbox, bool flags_only);

/* --------------------------------------------------------------- messages */

/* A flag list longer than this is refused (STORE_EINVAL): the limit
 * keeps the sort of flags from becoming a way to burn memory. The sync
 * keeps a message's system flags and as many keywords as fit
 * (convert.c). */
#define STORE_FLAGS_MAX 65536

struct store_msg {
	uint32_t uid;         /* non-zero */
	uint64_t modseq;      /* 0: unknown (no CONDSTORE) */
	const char *flags;    /* space-separated, as the server spells them;
	                         stored sorted and without duplicates */
	int64_t internaldate; /* Unix seconds, or STORE_NO_TIME */
	int64_t size;         /* RFC822.SIZE, or -1 when unknown */
	int64_t date;         /* the envelope's Date:, or STORE_NO_TIME */
	const char *subject;  /* decoded UTF-8 */
	const char *from;     /* "Name <addr>, ..." decoded UTF-8 */
	const char *sender;
	const char *reply_to;
	const char *to;
	const char *cc;
	const char *bcc;
	const char *message_id;
	const char *in_reply_to;
};

/* Inserts the message (mailbox, uid), or updates every field of the one
 * cached. *id (if id is not NULL) is its row id. A new message waits for
 * the full-text index (store_index_chunk); a cached one's entry follows
 * its update. STORE_EINVAL for uid 0 or flags too long. */
int store_message_upsert(int64_t *id, struct store *s, int64_t mailbox,
                         const struct store_msg *m);

/* The same for n messages at once: much cheaper than n calls (no ids
 * returned, and the new rows are queued for the index in one statement).
 * Joins the caller's transaction, else makes its own. *added (if added is
 * not NULL) is what the batch added: rows not cached before (the others
 * updated cached ones), and how many of those are unseen. STORE_EINVAL
 * for a UID 0 or a bad row: then nothing of the batch is stored. */
struct store_added {
	uint32_t rows;
	uint32_t unseen;
};
int store_message_upsert_many(struct store *s, int64_t mailbox,
                              const struct store_msg *const *m, size_t n,
                              struct store_added *added);

/* Sets the flags (and, if modseq is non-zero, the modseq) of a cached
 * message. *unseen_delta (if unseen_delta is not NULL) is set to what the
 * change did to the mailbox's number of unseen messages: -1, 0 or +1; the
 * caller keeps unseen_count with it instead of counting again.
 * STORE_ENOTFOUND if (mailbox, uid) is not cached. A message's MODSEQ
 * only grows (RFC 7162 3.1): a non-zero modseq below the cached one is
 * STORE_ESTALE, the row left as it was and the error saying both values,
 * unless listed is set (the change is part of a listing of every flag,
 * which is taken as the server's word even when it went back). */
/* The envelope columns (date, subject, addresses, message_id, in_reply_to)
 * that the row of (mailbox, m->uid) lacks, taken from m where it has them:
 * fields a bound of the FETCH left out (a header too large for a slow
 * link), once the whole header came. Writes nothing when it adds nothing
 * (or no such row). */
int store_message_fill_envelope(struct store *s, int64_t mailbox,
                                const struct store_msg *m);

int store_message_set_flags(struct store *s, int64_t mailbox, uint32_t uid,
                            const char *flags, uint64_t modseq, bool listed,
                            int *unseen_delta);

/* Deletes a message (EXPUNGE). Deleting an absent UID is not an error. */
int store_message_delete(struct store *s, int64_t mailbox, uint32_t uid);

/* Deletes the messages with first <= uid <= last (VANISHED ranges).
 * *deleted (if not NULL) is how many went. */
int store_message_delete_range(uint64_t *deleted, struct store *s,
                               int64_t mailbox, uint32_t first, uint32_t last);

/* Sets the MODSEQ of every message of the mailbox to 0 (unknown), as
 * for a server without CONDSTORE. */
int store_message_forget_modseqs(struct store *s, int64_t mailbox);

/* Calls cb with each cached UID of the mailbox in ascending order, to diff
 * against UID SEARCH ALL. A non-zero return from cb stops the walk and is
 * returned. cb must not write to that mailbox's messages. */
typedef int store_uid_cb(void *payload, uint32_t uid);
int store_message_each_uid(struct store *s, int64_t mailbox, store_uid_cb *cb,
                           void *payload);

/* Calls cb with the UID and size (-1 when unknown) of each cached message
 * of the mailbox from min_uid up that has no body row, or with text only
 * a row without its text (headers only: cached while bodies were
 * "headers") or with a text cut short though the message's size is at
 * most cap (cut at a lower max_body_size), or without text a header
 * block cut short of which cap bytes bring more (cut at a lower
 * max_body_size, or inside the header under "full"), in ascending UID
 * order: messages cached before bodies were configured as they are now,
 * or whose body fetch a crash cut off. Same rules for cb as
 * store_message_each_uid. */
typedef int store_uid_size_cb(void *payload, uint32_t uid, int64_t size);
int store_message_each_without_body(struct store *s, int64_t mailbox,
                                    uint32_t min_uid, bool text, uint64_t cap,
                                    store_uid_size_cb *cb, void *payload);

/* *uid is the highest cached UID of the mailbox, 0 when it has none. */
int store_message_max_uid(uint32_t *uid, struct store *s, int64_t mailbox);

/* What tells a message from another of the same UID: its size and its
 * INTERNALDATE (-1 and STORE_NO_TIME when unknown). */
struct store_msg_key {
	uint32_t uid;
	int64_t size;
	int64_t internaldate;
};

/* Up to max of the mailbox's messages spread over its UIDs, its highest
 * among them, into out[0..*n) in UID order: a sample that tells the
 * mailbox from another one with the same UIDVALIDITY. */
int store_message_sample(struct store *s, int64_t mailbox,
                         struct store_msg_key *out, size_t max, size_t *n);

/* Stores (or replaces) the headers and text body of a cached message, not
 * yet in the full-text index: store_index_chunk() puts it there. Called
 * only when bodies are configured; truncated says that body holds only
 * the first part of the text, or without body, that headers holds only
 * the first part of the header block.
 * STORE_ENOTFOUND if (mailbox, uid) is not cached. */
int store_body_put(struct store *s, int64_t mailbox, uint32_t uid,
                   const char *headers, const char *body, bool truncated);

/* The bodies of n messages of the mailbox at once, unindexed as with
 * store_body_put(). Messages that are not cached are skipped. Joins the
 * caller's transaction, else makes its own. */
struct store_body {
	uint32_t uid;
	const char *headers;
	const char *body; /* NULL: headers only */
	size_t headers_len, body_len; /* their strlen(), known to the caller */
	bool truncated;
	/* What the FETCH of the body told of the message's size, for a
	 * message cached before its body came (a backfill): with
	 * STORE_SIZE_WHOLE, size is the length of the whole message its
	 * body section held, and replaces the cached size; with
	 * STORE_SIZE_TOLD, an RFC822.SIZE, it fills a size the row lacks.
	 * 0 (STORE_SIZE_NONE): the cached size stands. */
	int size_from;
	uint64_t size;
};
enum { STORE_SIZE_NONE, STORE_SIZE_TOLD, STORE_SIZE_WHOLE };
int store_body_put_many(struct store *s, int64_t mailbox,
                        const struct store_body *v, size_t n);

/* A body that comes in pieces (a link too slow for it in one FETCH),
 * kept as it comes (store_pieces.c), so that a restart goes on from its
 * last piece. section is what the pieces are of ("" for BODY[], "HEADER"),
 * size the message's RFC822.SIZE as told (-1: not told). A message's
 * bytes never change under its UID: pieces are good until the message
 * goes (they go with it). */
int store_piece_add(struct store *s, int64_t mailbox, uint32_t uid,
                    const char *section, int64_t size, uint64_t offset,
                    const void *data, size_t len);
/* The pieces kept of (mailbox, uid), from its first byte on without a
 * gap, in a malloc'ed *data of *len bytes (NULL, 0: none), with the size
 * they were told with in *size. Pieces of another section, or past a
 * gap, are dropped. */
int store_pieces_load(struct store *s, int64_t mailbox, uint32_t uid,
                      const char *section, char **data, size_t *len,
                      int64_t *size);
/* Drops the pieces of (mailbox, uid): its body is stored. */
int store_pieces_drop(struct store *s, int64_t mailbox, uint32_t uid);
/* *any: whether some body of the mailbox is kept in pieces. */
int store_pieces_any(struct store *s, int64_t mailbox, bool *any);

/* Puts what waits for the full-text index into it, in one transaction of
 * its own (never call it inside one): new messages (stored by
 * store_message_upsert*) whole, with their bodies, lowest id first; once
 * none waits, bodies stored for messages indexed already. At most max of
 * them, and no more once the messages taken add up to max_bytes (by
 * RFC822.SIZE, an envelope alone as 512; 0: no limit), though always one.
 * *indexed is how many; 0 means nothing was waiting. The index is fed in
 * chunks so that a writer waits for at most one chunk. */
int store_index_chunk(struct store *s, size_t max, uint64_t max_bytes,
                      size_t *indexed);

/* *count is the number of messages whose text (envelope or body) is not
 * yet all in the full-text index. */
int store_index_waiting(uint64_t *count, struct store *s);

/* One step of merging the full-text index into one segment, about pages
 * of its pages written, as one transaction: the index keeps what rows
 * removed from it (bodies trimmed, mailboxes dropped) as markers that take
 * its space until a merge meets them, and FTS5 merges only as new text
 * comes. *more says whether there is more to merge. */
int store_index_merge(struct store *s, int pages, bool *more);

/* Takes out of the account's mailboxes what a lower bodies setting no
 * longer keeps:
 * the whole body row (headers included), or with keep_headers the text
 * alone (bodies = "headers"; the row stays truncated where no text came,
 * its header block cut), of up to max messages whose ids are above
 * *after, lowest first, in the caller's transaction or one of its own;
 * the full-text index keeps their envelopes. *after becomes the highest id
 * taken (start at 0), *n how many were taken: 0 when none is left. */
int store_body_trim(struct store *s, int64_t account, bool keep_headers,
                    size_t max, int64_t *after, size_t *n);

#endif
