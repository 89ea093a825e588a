/* plan.h - the sync engine's decisions, free of I/O.
 *
 * Everything here is a pure function of what the cache holds and what the
 * server said, so each rule is table-tested without a server. sync.c carries
 * the plans out.
 */
#ifndef MAILMIRROR_PLAN_H
#define MAILMIRROR_PLAN_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What the cache knows of a mailbox (all zero for a mailbox never synced). */
struct plan_local {
	uint32_t uidvalidity;
	uint32_t uidnext;       /* every UID below it has been fetched */
	uint64_t highestmodseq; /* 0 when unknown */
	uint32_t count;         /* message rows held */
};

/* What SELECT (or STATUS) said. */
struct plan_server {
	uint32_t uidvalidity;
	uint32_t uidnext; /* 0 when the server did not say */
	uint32_t exists;
	uint64_t highestmodseq; /* 0 when NOMODSEQ or no CONDSTORE */
	bool condstore;         /* CONDSTORE usable in this mailbox */
	bool qresync_done;      /* SELECT (QRESYNC ...) already reported the
	                           flag changes and expunges since local */
};

enum plan_flags {
	PLAN_FLAGS_NONE,         /* flags cannot have changed */
	PLAN_FLAGS_CHANGEDSINCE, /* UID FETCH 1:n (FLAGS) (CHANGEDSINCE m) */
	PLAN_FLAGS_FULL,         /* UID FETCH 1:n (FLAGS): also a full UID
	                            listing of the old messages */
};

struct plan_actions {
	bool reset;     /* UIDVALIDITY changed: drop every row first */
	bool fetch_new; /* fetch UIDs from new_from upwards */
	uint32_t new_from;
	enum plan_flags flags;
	uint32_t flags_upto; /* last UID the flag pass covers */
	uint64_t changedsince;
	/* After the passes, compare rows with EXISTS; a difference needs a
	 * full UID listing (UID SEARCH ALL) to find what was expunged. */
	bool check_count;
	bool nothing;     /* the mailbox is known to be unchanged */
	bool modseq_back; /* the server's HIGHESTMODSEQ is below ours */
	bool uidnext_back; /* the server's UIDNEXT is below ours: it is
	                      taken (new_from), every flag listed */
};

/* Decides how to bring a mailbox from local to server. */
void plan_mailbox(struct plan_actions *out, const struct plan_local *local,
                  const struct plan_server *server);

/* Whether a STATUS answer shows a change since the cache's state (polling:
 * only mailboxes that changed are selected). */
bool plan_status_changed(const struct plan_local *local, uint32_t uidvalidity,
                         uint32_t uidnext, uint32_t messages,
                         uint64_t highestmodseq);

/* LIST pattern match with IMAP wildcards: '*' matches anything, '%'
 * anything but the hierarchy delimiter (0: none, or not known yet).
 * INBOX matches in any case, alone or as the first level of a name. */
bool plan_match(const char *pattern, const char *name, char delimiter);

/* Whether a mailbox is synced: matched by one of include (NULL-terminated;
 * NULL means everything) and by none of exclude. INBOX matches
 * case-insensitively, as RFC 3501 5.1 names it. */
bool plan_mailbox_wanted(const char *const *include, const char *const *exclude,
                         const char *name, char delimiter);

/* Whether new mail in the mailbox name runs on_new_mail: hook is the
 * on_new_mail_mailboxes setting (NULL-terminated LIST patterns), NULL for
 * every mailbox. Gmail shows each label as a mailbox, and one message in
 * four of them ran the command four times (explore79). */
bool plan_hook_wanted(const char *const *hook, const char *name,
                      char delimiter);

/* The place of a mailbox among the watched ones, the order in which the
 * live connection tries them to idle in: 0 when none of the n patterns
 * of idle matches it, 1 for INBOX, else 2 plus the index of the first
 * pattern that matches it (the order the user wrote). */
size_t plan_watch_rank(const char *const *idle, size_t n, const char *name,
                       char delimiter);

/* A mailbox's place in the order of a sync pass (plan_sync_order): INBOX
 * (RFC 3501 5.1: in any case) first of all, then the watched ones by
 * plan_watch_rank, then the rest (PLAN_SYNC_REST); PLAN_SYNC_LAST is for
 * the caller to put one after all. A user who starts the daemon reads
 * INBOX and the watched mailboxes first: on a first sync of thousands of
 * mailboxes, INBOX came last. */
#define PLAN_SYNC_REST (SIZE_MAX - 1)
#define PLAN_SYNC_LAST SIZE_MAX
size_t plan_sync_key(const char *const *idle, size_t n, const char *name,
                     char delimiter);

/* One mailbox of a pass: its plan_sync_key and its place in the list. */
struct plan_turn {
	size_t key;
	size_t index;
};

/* Sorts the n turns of v into the order the pass takes them: by key, then
 * in list order. */
void plan_sync_order(struct plan_turn *v, size_t n);

/* Sets hit[i] when patterns[i] (NULL-terminated; hit has one entry per
 * pattern) matches name and the entry is a mailbox (selectable: neither
 * \Noselect nor \NonExistent, which are mere names in the hierarchy,
 * holding no mail to mirror); an entry already set stays set. Called for
 * each entry of a LIST, it tells which patterns of the mailboxes setting
 * match no mailbox on the server: most likely a typo. */
void plan_patterns_hit(bool *hit, const char *const *patterns, const char *name,
                       char delimiter, bool selectable);

/* Walks two ascending UID lists (local rows, the server's full listing) and
 * calls gone() for each local UID the server no longer has. The server's
 * list is given as ranges (lo..hi inclusive, ascending, not overlapping).
 * Stops and returns the callback's value when it is non-zero. */
struct plan_range {
	uint32_t lo, hi;
};
int plan_uid_gone(const uint32_t *local, size_t nlocal,
                  const struct plan_range *server, size_t nserver,
                  int (*gone)(void *payload, uint32_t uid), void *payload);

/* The other way: calls missing(lo, hi) for each run of UIDs at or below
 * upto that the server's listing has and the local list lacks, in
 * ascending order. Same lists, same return. */
int plan_uid_missing(const uint32_t *local, size_t nlocal,
                     const struct plan_range *server, size_t nserver,
                     uint32_t upto,
                     int (*missing)(void *payload, uint32_t lo, uint32_t hi),
                     void *payload);

/* Splits an ascending UID list into batches of at most max UIDs; calls
 * batch() with each slice. Stops at a non-zero return. */
int plan_batches(const uint32_t *uids, size_t n, size_t max,
                 int (*batch)(void *payload, const uint32_t *uids, size_t n),
                 void *payload);

/* Reconnect delay: exponential from 1 s doubling per failure up to 300 s,
 * with jitter in [d/2, d] from rnd (any 32-bit random value). A failure
 * that no retry mends (refused credentials) waits the longest at once:
 * quick retries of a wrong password are what a server's lockout of
 * failed logins (fail2ban and the like) counts. */
#define PLAN_BACKOFF_SLOWEST UINT_MAX
unsigned plan_backoff_ms(unsigned failures, uint32_t rnd);

/* A poke (resume, network change) lets a retry come no sooner than this
 * after the attempt before it began. */
#define PLAN_POKE_MIN_MS 30000

/* The wait before a retry that is left after a poke, in ms; left_ms when
 * the poke changes nothing. Only a failure of the link (link_failed:
 * connect refused or unreachable, DNS, a timeout, a TLS handshake cut, a
 * connection that died) can be mended by another network, so only that
 * wait is cut, and never to less than PLAN_POKE_MIN_MS after the last
 * attempt began (since_attempt_ms ago). Any other (a server that refused
 * the login or answered and refused us, the configuration, the cache)
 * keeps its back-off. */
int64_t plan_poke_wait_ms(bool link_failed, int64_t since_attempt_ms,
                          int64_t left_ms);

#endif
