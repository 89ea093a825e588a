/* session.h - what an IMAP client learns from the responses it reads.
 *
 * Sans-I/O: the session is shown every response and keeps the facts later
 * commands depend on: the server's capabilities (from CAPABILITY data and
 * [CAPABILITY] response codes), what ENABLE turned on (ENABLED data), and
 * imaplib's untagged_responses cache behind imap4_response(). It never sees
 * a socket and never decides what to send.
 *
 * Memory: everything the session keeps is malloc'ed by it and copied from
 * the responses, which may be freed right after imap4_session_observe().
 * The amounts are bounded: IMAP4_SESSION_MAX_CAPS capabilities,
 * IMAP4_SESSION_MAX_NAMES cache entries, each a list of values that
 * together count at most IMAP4_SESSION_MAX_TEXT (each value its bytes, its
 * NUL and a pointer), in a buffer of twice that at most. Past the bound
 * the oldest values of the name are dropped; one value longer than the
 * bound alone, like a big SEARCH result, is not cached, nor are the older
 * ones then: it is the command's data instead.
 */
#ifndef IMAP4_PROTO_SESSION_H
#define IMAP4_PROTO_SESSION_H

#include "imap4.h"

#include <stdbool.h>
#include <stddef.h>

#define IMAP4_SESSION_MAX_CAPS  1024
#define IMAP4_SESSION_MAX_NAMES 64
#define IMAP4_SESSION_MAX_TEXT  (64u * 1024)

struct imap4_session_entry {
	char name[32]; /* upper-cased response or code name */
	/* The values, oldest first, each NUL-terminated, back to back in
	 * text[start, end); the newest at text + newest. */
	char *text;
	size_t start, end, alloc;
	size_t newest;
	size_t count; /* values held */
	size_t cost;  /* counted against IMAP4_SESSION_MAX_TEXT */
};

struct imap4_session {
	char **caps; /* upper-cased, NULL-terminated; one block */
	size_t ncaps;
	unsigned caps_gen; /* bumped whenever caps are replaced */
	char **enabled;    /* upper-cased, NULL-terminated; one block */
	size_t nenabled;
	bool utf8; /* UTF8=ACCEPT is enabled */
	struct imap4_session_entry cache[IMAP4_SESSION_MAX_NAMES];
};

void imap4_session_init(struct imap4_session *s);
void imap4_session_clear(struct imap4_session *s);

/* Takes in what resp tells about the session: CAPABILITY data or a
 * [CAPABILITY] code replace the capabilities, ENABLED data adds to the
 * enabled set, and, with remember, the data of the response and of its
 * code go to the cache. 0 or IMAP4_ENOMEM; an over-long capability list
 * is IMAP4_ELIMIT. */
int imap4_session_observe(struct imap4_session *s, const imap4_resp *resp,
                          bool remember);
/* The cache part of imap4_session_observe alone, for a response observed
 * without remember whose fate was decided later. 0 or IMAP4_ENOMEM. */
int imap4_session_remember(struct imap4_session *s, const imap4_resp *resp);

/* Replaces the capabilities with the atoms of the chain at first.
 * 0, IMAP4_ENOMEM or IMAP4_ELIMIT (the old set then stays). */
int imap4_session_set_caps(struct imap4_session *s, const imap4_arg *first);

/* Forgets every capability and cached datum (after STARTTLS, RELIABILITY
 * rule 2: nothing from before the handshake is trusted). */
void imap4_session_forget(struct imap4_session *s);

/* Forgets the cache alone (imaplib clears it before SELECT). */
void imap4_session_forget_cache(struct imap4_session *s);

bool imap4_session_has_cap(const struct imap4_session *s, const char *name);
bool imap4_session_is_enabled(const struct imap4_session *s, const char *name);

/* Pops the data cached under name (case-insensitive), all its values:
 * *out is the newest, malloc'ed for the caller, or NULL when nothing is
 * cached. 0 (it cannot fail). */
int imap4_session_pop(struct imap4_session *s, const char *name, char **out);

/* Pops every value cached under name, oldest first: *out is a
 * NULL-terminated array with its strings in one malloc'ed block, *count
 * its length; NULL and 0 when nothing is cached. 0, or IMAP4_ENOMEM (the
 * values then stay). */
int imap4_session_pop_all(struct imap4_session *s, const char *name,
                          char ***out, size_t *count);

/* Forgets the values cached under name (case-insensitive). */
void imap4_session_discard(struct imap4_session *s, const char *name);

/* Whether data named name is cached, without popping it. */
bool imap4_session_has(const struct imap4_session *s, const char *name);

#endif
