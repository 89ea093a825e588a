/* store_message.c - messages and bodies in the cache (see store.h). */
#include "mailmirrord/store_internal.h"

#include <stdlib.h>
#include <string.h>

/* --------------------------------------------------------------- messages */

/* A flag of a list: where it starts in the list and its length. */
struct flag_word {
	const char *p;
	size_t n;
};

/* A list of up to this many flags is sorted without an allocation: far
 * more than a message carries. */
#define FLAG_WORDS_ON_STACK 32

/* Bytewise, as strcmp would order the flags alone (no flag holds NUL). */
static int cmp_word(const void *a, const void *b)
{
	const struct flag_word *x = a, *y = b;
	int c = memcmp(x->p, y->p, x->n < y->n ? x->n : y->n);

	return c != 0 ? c : (x->n > y->n) - (x->n < y->n);
}

static size_t count_words(const char *flags)
{
	size_t n = 0;

	for (const char *p = flags; *p != '\0'; p++)
		n += *p != ' ' && (p == flags || p[-1] == ' ');
	return n;
}

/* STORE_EINVAL, with the error set, for a list of more than
 * STORE_FLAGS_MAX bytes; its length is *len. */
static int check_flags(struct store *s, const char *flags, size_t *len)
{
	*len = flags ? strlen(flags) : 0;
	if (*len > STORE_FLAGS_MAX) {
		store_set_err(s, "flag list of %zu bytes refused", *len);
		return STORE_EINVAL;
	}
	return STORE_OK;
}

/* Writes to out (room for strlen(flags) + 1 bytes) the flags sorted
 * bytewise, duplicates and extra spaces removed. Sorting makes equal flag
 * sets equal strings, whatever order the server sent. STORE_OK, or
 * STORE_ENOMEM with the error set. */
static int normalise_into(struct store *s, char *out, const char *flags)
{
	struct flag_word stack[FLAG_WORDS_ON_STACK], *w = stack;
	size_t n = flags ? count_words(flags) : 0, out_len = 0;

	if (n > FLAG_WORDS_ON_STACK && (w = malloc(n * sizeof(*w))) == NULL) {
		store_set_err(s, "out of memory");
		return STORE_ENOMEM;
	}
	n = 0;
	for (const char *p = flags ? flags : ""; *p != '\0';) {
		if (*p == ' ') {
			p++;
			continue;
		}
		w[n].p = p;
		while (*p != ' ' && *p != '\0')
			p++;
		w[n].n = (size_t)(p - w[n].p);
		n++;
	}
	if (n > 1)
		qsort(w, n, sizeof(*w), cmp_word);
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && cmp_word(&w[i], &w[i - 1]) == 0)
			continue;
		if (out_len > 0)
			out[out_len++] = ' ';
		memcpy(out + out_len, w[i].p, w[i].n);
		out_len += w[i].n;
	}
	out[out_len] = '\0';
	if (w != stack)
		free(w);
	return STORE_OK;
}

/* The flags normalised (normalise_into) in a string the caller frees;
 * NULL with *rc and the error set. */
static char *normalise_flags(struct store *s, const char *flags, int *rc)
{
	size_t len;
	char *res;

	if ((*rc = check_flags(s, flags, &len)) < 0)
		return NULL;
	if ((res = malloc(len + 1)) == NULL) {
		store_set_err(s, "out of memory");
		*rc = STORE_ENOMEM;
		return NULL;
	}
	if ((*rc = normalise_into(s, res, flags)) < 0) {
		free(res);
		return NULL;
	}
	return res;
}

/* The 16 columns of a message row, in MSG_COLUMNS order; flags (already
 * normalised) is handed over to SQLite, which frees it. */
static void bind_msg(sqlite3_stmt *st, int64_t mailbox,
                     const struct store_msg *m, char *flags)
{
	sqlite3_bind_int64(st, 1, mailbox);
	sqlite3_bind_int64(st, 2, m->uid);
	sqlite3_bind_int64(st, 3, (int64_t)m->modseq);
	sqlite3_bind_text(st, 4, flags, -1, free);
	store_bind_time(st, 5, m->internaldate);
	if (m->size < 0)
		sqlite3_bind_null(st, 6);
	else
		sqlite3_bind_int64(st, 6, m->size);
	store_bind_time(st, 7, m->date);
	store_bind_text(st, 8, m->subject);
	store_bind_text(st, 9, m->from);
	store_bind_text(st, 10, m->sender);
	store_bind_text(st, 11, m->reply_to);
	store_bind_text(st, 12, m->to);
	store_bind_text(st, 13, m->cc);
	store_bind_text(st, 14, m->bcc);
	store_bind_text(st, 15, m->message_id);
	store_bind_text(st, 16, m->in_reply_to);
}

static int check_row(struct store *s, const struct store_msg *m)
{
	if (m->uid == 0) {
		store_set_err(s, "UID 0 is not a message");
		return STORE_EINVAL;
	}
	return store_check_modseq(s, m->modseq);
}

static int no_mailbox(struct store *s, int rc, const struct store_msg *m,
                      int64_t mailbox)
{
	if (rc == STORE_EDB &&
	    sqlite3_extended_errcode(s->db) == SQLITE_CONSTRAINT_FOREIGNKEY) {
		store_set_err(s, "storing UID %u: no mailbox %lld", m->uid,
		              (long long)mailbox);
		rc = STORE_ENOTFOUND;
	}
	return rc;
}

static int upsert_row(struct store *s, int64_t mailbox,
                      const struct store_msg *m, int64_t *id)
{
	int rc = STORE_OK;
	sqlite3_stmt *st;
	char *flags;

	if ((rc = check_row(s, m)) < 0)
		return rc;
	if ((st = store_stmt(s, ST_MESSAGE_UPSERT, &rc)) == NULL)
		return rc;
	if ((flags = normalise_flags(s, m->flags, &rc)) == NULL)
		return rc;
	bind_msg(st, mailbox, m, flags);
	rc = store_run_int(s, st, "storing the message", id);
	return no_mailbox(s, rc, m, mailbox);
}

/* Inserts a row not cached yet, or updates the cached one. */
static int insert_row(struct store *s, int64_t mailbox,
                      const struct store_msg *m)
{
	int rc = STORE_OK;
	sqlite3_stmt *st;
	char *flags;

	if ((rc = check_row(s, m)) < 0)
		return rc;
	if ((st = store_stmt(s, ST_MESSAGE_INSERT, &rc)) == NULL)
		return rc;
	if ((flags = normalise_flags(s, m->flags, &rc)) == NULL)
		return rc;
	bind_msg(st, mailbox, m, flags);
	int step = sqlite3_step(st);
	if (step == SQLITE_DONE) {
		store_done(st);
		return STORE_OK;
	}
	if (sqlite3_extended_errcode(s->db) == SQLITE_CONSTRAINT_UNIQUE) {
		int64_t id;
		store_done(st);
		return upsert_row(s, mailbox, m, &id);
	}
	rc = no_mailbox(s, store_fail(s, step, "storing the message"), m,
	                mailbox);
	store_done(st);
	return rc;
}

/* The flags of the n rows normalised, in one allocation that the caller
 * frees: n pointers, then the strings they point to. NULL with *rc and
 * the error set. */
static char **normalise_all(struct store *s, const struct store_msg *const *m,
                            size_t n, int *rc)
{
	size_t total = n * sizeof(char *), len;

	for (size_t i = 0; i < n; i++) {
		if ((*rc = check_flags(s, m[i]->flags, &len)) < 0)
			return NULL;
		total += len + 1;
	}
	char **flags = malloc(total);
	if (flags == NULL) {
		store_set_err(s, "out of memory");
		*rc = STORE_ENOMEM;
		return NULL;
	}
	char *text = (char *)(flags + n);
	for (size_t i = 0; i < n; i++) {
		if ((*rc = normalise_into(s, text, m[i]->flags)) < 0) {
			free(flags);
			return NULL;
		}
		flags[i] = text;
		text += strlen(text) + 1;
	}
	return flags;
}

/* Inserts the n rows with one statement (ST_MESSAGE_INSERT_ALL), the
 * common case of a batch: none of them is cached yet. *one_by_one when a
 * row broke a constraint (a UID cached already, or no such mailbox):
 * SQLite has undone the statement, and the caller goes row by row, which
 * updates a cached row or says which row failed and why. A bad row is
 * refused before anything is written. */
static int insert_all(struct store *s, int64_t mailbox,
                      const struct store_msg *const *m, size_t n,
                      bool *one_by_one)
{
	int rc = STORE_OK;
	sqlite3_stmt *st;
	char **flags;

	*one_by_one = false;
	for (size_t i = 0; i < n; i++)
		if ((rc = check_row(s, m[i])) < 0)
			return rc;
	if ((st = store_stmt(s, ST_MESSAGE_INSERT_ALL, &rc)) == NULL ||
	    (flags = normalise_all(s, m, n, &rc)) == NULL)
		return rc;
	struct store_rows rows = {
	        .m = m, .flags = (const char *const *)flags, .n = n};
	sqlite3_bind_pointer(st, 1, &rows, STORE_ROWS_POINTER, NULL);
	sqlite3_bind_int64(st, 2, mailbox);
	int step = sqlite3_step(st);
	if ((step & 0xff) == SQLITE_CONSTRAINT)
		*one_by_one = true;
	else if (step != SQLITE_DONE)
		rc = store_fail(s, step, "storing the messages");
	store_done(st);
	free(flags);
	return rc;
}

/* Stores rows and queues the new ones for the index, in one transaction
 * (the caller's when one is open). ids, when not NULL, gets each row's id;
 * added, when not NULL, what was new. */
static int upsert_rows(struct store *s, int64_t mailbox,
                       const struct store_msg *const *m, size_t n, int64_t *ids,
                       struct store_added *added)
{
	int rc = STORE_OK, queued = 0;
	int64_t before = 0, id = 0, unseen = 0;
	sqlite3_stmt *st;

	bool own = sqlite3_get_autocommit(s->db);
	if (own && (rc = store_begin(s)) < 0)
		return rc;
	if ((st = store_stmt(s, ST_MESSAGE_MAX_ID, &rc)) != NULL)
		rc = store_run_int(s, st, "finding the last message", &before);
	bool one_by_one = ids != NULL;
	if (rc == STORE_OK && !one_by_one)
		rc = insert_all(s, mailbox, m, n, &one_by_one);
	for (size_t i = 0; i < n && rc == STORE_OK && one_by_one; i++) {
		if (ids) {
			rc = upsert_row(s, mailbox, m[i], &id);
			ids[i] = id;
		} else {
			rc = insert_row(s, mailbox, m[i]);
		}
	}
	if (rc == STORE_OK && (st = store_stmt(s, ST_QUEUE_NEW, &rc)) != NULL) {
		sqlite3_bind_int64(st, 1, before);
		rc = store_run(s, st, "queueing the new messages for the index",
		               &queued);
	}
	if (rc == STORE_OK && added &&
	    (st = store_stmt(s, ST_NEW_UNSEEN, &rc)) != NULL) {
		sqlite3_bind_int64(st, 1, before);
		rc = store_run_int(s, st, "counting the new messages", &unseen);
	}
	if (own)
		rc = rc == STORE_OK ? store_commit(s) : (store_rollback(s), rc);
	if (rc == STORE_OK && added)
		*added = (struct store_added){.rows = (uint32_t)queued,
		                              .unseen = (uint32_t)unseen};
	return rc;
}

int store_message_upsert_many(struct store *s, int64_t mailbox,
                              const struct store_msg *const *m, size_t n,
                              struct store_added *added)
{
	if (added)
		*added = (struct store_added){0};
	return n ? upsert_rows(s, mailbox, m, n, NULL, added) : STORE_OK;
}

int store_message_fill_envelope(struct store *s, int64_t mailbox,
                                const struct store_msg *m)
{
	int rc = STORE_OK;
	sqlite3_stmt *st = store_stmt(s, ST_MESSAGE_FILL_ENVELOPE, &rc);
	if (st == NULL)
		return rc;
	/* flags and the rest of the row are not read by the statement */
	bind_msg(st, mailbox, m, NULL);
	return store_run(s, st, "completing an envelope", NULL);
}

int store_message_upsert(int64_t *id, struct store *s, int64_t mailbox,
                         const struct store_msg *m)
{
	int64_t row = 0;
	int rc = upsert_rows(s, mailbox, &m, 1, &row, NULL);
	if (rc == STORE_OK && id != NULL)
		*id = row;
	return rc;
}

/* Why set_flags changed no row: the message holds these flags (norm) and
 * MODSEQ already (STORE_OK), it is not cached (STORE_ENOTFOUND), or it
 * is, with a MODSEQ above modseq (STORE_ESTALE). */
static int why_unchanged(struct store *s, int64_t mailbox, uint32_t uid,
                         const char *norm, uint64_t modseq)
{
	int rc = STORE_OK;
	int64_t cached = 0;
	sqlite3_stmt *st = store_stmt(s, ST_MESSAGE_MODSEQ_OF, &rc);

	if (st == NULL)
		return rc;
	sqlite3_bind_int64(st, 1, mailbox);
	sqlite3_bind_int64(st, 2, uid);
	sqlite3_bind_text(st, 3, norm, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (int64_t)modseq);
	rc = store_run_int(s, st, "setting flags", &cached);
	if (rc == STORE_ENOTFOUND)
		store_set_err(s, "setting flags: UID %u is not cached", uid);
	else if (rc == STORE_OK && cached >= 0) {
		store_set_err(s,
		              "MODSEQ of UID %u went back (%lld -> %llu)",
		              uid, (long long)cached,
		              (unsigned long long)modseq);
		rc = STORE_ESTALE;
	}
	return rc;
}

int store_message_set_flags(struct store *s, int64_t mailbox, uint32_t uid,
                            const char *flags, uint64_t modseq, bool listed,
                            int *unseen_delta)
{
	int rc = STORE_OK, changes = 0;
	int64_t seen = 0;
	sqlite3_stmt *keep, *flip;
	char *norm;

	if (unseen_delta != NULL)
		*unseen_delta = 0;
	if ((rc = store_check_modseq(s, modseq)) < 0)
		return rc;
	if ((keep = store_stmt(s, ST_MESSAGE_FLAGS_KEEP_SEEN, &rc)) == NULL ||
	    (flip = store_stmt(s, ST_MESSAGE_FLAGS, &rc)) == NULL)
		return rc;
	if ((norm = normalise_flags(s, flags, &rc)) == NULL)
		return rc;
	/* Most changes leave \Seen as it was and move no count: tried first
	 * as such, a change needs no read of the row before it. Only when
	 * that matches nothing is the row updated whatever its \Seen, which
	 * tells a \Seen that changed from a message not cached. */
	sqlite3_bind_int64(keep, 1, mailbox);
	sqlite3_bind_int64(keep, 2, uid);
	sqlite3_bind_text(keep, 3, norm, -1, SQLITE_STATIC);
	sqlite3_bind_int64(keep, 4, (int64_t)modseq);
	sqlite3_bind_int(keep, 5, listed);
	rc = store_run(s, keep, "setting flags", &changes);
	if (rc == STORE_OK && changes == 0) {
		sqlite3_bind_int64(flip, 1, mailbox);
		sqlite3_bind_int64(flip, 2, uid);
		sqlite3_bind_text(flip, 3, norm, -1, SQLITE_STATIC);
		sqlite3_bind_int64(flip, 4, (int64_t)modseq);
		sqlite3_bind_int(flip, 5, listed);
		rc = store_run_int(s, flip, "setting flags", &seen);
		/* Nothing matched: a message we do not hold, or a MODSEQ that
		 * went back. Only then is the row read. */
		if (rc == STORE_ENOTFOUND)
			rc = why_unchanged(s, mailbox, uid, norm, modseq);
		else if (rc == STORE_OK && unseen_delta != NULL)
			*unseen_delta = seen ? -1 : 1;
	}
	free(norm);
	return rc;
}

int store_message_delete(struct store *s, int64_t mailbox, uint32_t uid)
{
	int rc = STORE_OK;
	sqlite3_stmt *st = store_stmt(s, ST_MESSAGE_DELETE, &rc);

	if (st == NULL)
		return rc;
	sqlite3_bind_int64(st, 1, mailbox);
	sqlite3_bind_int64(st, 2, uid);
	return store_run(s, st, "deleting the message", NULL);
}

int store_message_delete_range(uint64_t *deleted, struct store *s,
                               int64_t mailbox, uint32_t first, uint32_t last)
{
	int rc = STORE_OK, changes = 0;
	sqlite3_stmt *st;

	if (first == 0 || first > last) {
		store_set_err(s, "bad UID range %u:%u", first, last);
		return STORE_EINVAL;
	}
	if ((st = store_stmt(s, ST_MESSAGE_DELETE_RANGE, &rc)) == NULL)
		return rc;
	sqlite3_bind_int64(st, 1, mailbox);
	sqlite3_bind_int64(st, 2, first);
	sqlite3_bind_int64(st, 3, last);
	if ((rc = store_run(s, st, "deleting messages", &changes)) < 0)
		return rc;
	if (deleted != NULL)
		*deleted = (uint64_t)changes;
	return STORE_OK;
}

int store_message_forget_modseqs(struct store *s, int64_t mailbox)
{
	int rc = STORE_OK;
	sqlite3_stmt *st = store_stmt(s, ST_MESSAGE_FORGET_MODSEQS, &rc);

	if (st == NULL)
		return rc;
	sqlite3_bind_int64(st, 1, mailbox);
	return store_run(s, st, "forgetting MODSEQs", NULL);
}

int store_message_each_uid(struct store *s, int64_t mailbox, store_uid_cb *cb,
                           void *payload)
{
	int rc = STORE_OK, r;
	sqlite3_stmt *st = store_stmt(s, ST_MESSAGE_EACH_UID, &rc);

	if (st == NULL)
		return rc;
	sqlite3_bind_int64(st, 1, mailbox);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		rc = cb(payload, (uint32_t)sqlite3_column_int64(st, 0));
		if (rc != 0)
			break;
	}
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		rc = store_fail(s, r, "listing UIDs");
	store_done(st);
	return rc;
}

int store_message_each_without_body(struct store *s, int64_t mailbox,
                                    uint32_t min_uid, bool text, uint64_t cap,
                                    store_uid_size_cb *cb, void *payload)
{
	int rc = STORE_OK, r;
	sqlite3_stmt *st = store_stmt(s, ST_MESSAGE_WITHOUT_BODY, &rc);

	if (st == NULL)
		return rc;
	sqlite3_bind_int64(st, 1, mailbox);
	sqlite3_bind_int64(st, 2, min_uid);
	sqlite3_bind_int(st, 3, text);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)cap);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t size = sqlite3_column_type(st, 1) == SQLITE_NULL
		                       ? -1
		                       : sqlite3_column_int64(st, 1);
		rc = cb(payload, (uint32_t)sqlite3_column_int64(st, 0), size);
		if (rc != 0)
			break;
	}
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		rc = store_fail(s, r, "listing messages without a body");
	store_done(st);
	return rc;
}

int store_message_max_uid(uint32_t *uid, struct store *s, int64_t mailbox)
{
	int rc = STORE_OK;
	int64_t n = 0;
	sqlite3_stmt *st = store_stmt(s, ST_MESSAGE_MAX_UID, &rc);

	if (st == NULL)
		return rc;
	sqlite3_bind_int64(st, 1, mailbox);
	if ((rc = store_run_int(s, st, "finding the highest UID", &n)) ==
	    STORE_OK)
		*uid = (uint32_t)n;
	return rc;
}

int store_message_sample(struct store *s, int64_t mailbox,
                         struct store_msg_key *out, size_t max, size_t *n)
{
	int rc = STORE_OK, r = SQLITE_DONE;
	sqlite3_stmt *st = store_stmt(s, ST_MESSAGE_SAMPLE, &rc);

	*n = 0;
	if (st == NULL)
		return rc;
	sqlite3_bind_int64(st, 1, mailbox);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
	while (*n < max && (r = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_msg_key *k = &out[(*n)++];
		k->uid = (uint32_t)sqlite3_column_int64(st, 0);
		k->size = sqlite3_column_type(st, 1) == SQLITE_NULL
		                  ? -1
		                  : sqlite3_column_int64(st, 1);
		k->internaldate = sqlite3_column_type(st, 2) == SQLITE_NULL
		                          ? STORE_NO_TIME
		                          : sqlite3_column_int64(st, 2);
	}
	if (*n < max && r != SQLITE_DONE)
		rc = store_fail(s, r, "sampling messages");
	store_done(st);
	return rc;
}

/* The row id of the cached message, or STORE_ENOTFOUND. */
static int message_id_of(struct store *s, int64_t mailbox, uint32_t uid,
                         int64_t *id)
{
	int rc = STORE_OK;
	sqlite3_stmt *st = store_stmt(s, ST_MESSAGE_ID_OF, &rc);

	if (st == NULL)
		return rc;
	sqlite3_bind_int64(st, 1, mailbox);
	sqlite3_bind_int64(st, 2, uid);
	return store_run_int(s, st, "looking up the message", id);
}

static void bind_body(sqlite3_stmt *st, int64_t id, const struct store_body *b)
{
	sqlite3_bind_int64(st, 1, id);
	/* Bodies are most of what a full sync writes: strlen() over them
	 * was a pass over 150 MB of memory at 20,000 messages. */
	store_bind_text_len(st, 2, b->headers, b->headers_len);
	store_bind_text_len(st, 3, b->body, b->body_len);
	sqlite3_bind_int(st, 4, b->truncated);
}

/* Stores or replaces the body of message id. */
static int upsert_body(struct store *s, int64_t id, const struct store_body *b)
{
	int rc = STORE_OK;
	sqlite3_stmt *st = store_stmt(s, ST_BODY_PUT, &rc);

	if (st == NULL)
		return rc;
	bind_body(st, id, b);
	return store_run(s, st, "storing the body", NULL);
}

/* The size b's FETCH told of message id (struct store_body.size_from). */
static int set_size(struct store *s, int64_t id, const struct store_body *b)
{
	int rc = STORE_OK;
	sqlite3_stmt *st = store_stmt(s, ST_MESSAGE_SET_SIZE, &rc);

	if (st == NULL)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)b->size);
	sqlite3_bind_int(st, 3, b->size_from == STORE_SIZE_WHOLE);
	return store_run(s, st, "correcting a message's size", NULL);
}

/* A plain INSERT first (see ST_BODY_INSERT), and the new body waits for
 * the indexer; a body cached already goes through the upsert, whose
 * update trigger queues it again if its text changed. A message that is
 * not cached is skipped. */
static int insert_body(struct store *s, int64_t mailbox,
                       const struct store_body *b)
{
	int64_t id;
	int rc = message_id_of(s, mailbox, b->uid, &id);

	if (rc == STORE_ENOTFOUND)
		return STORE_OK;
	if (rc == STORE_OK && b->size_from != STORE_SIZE_NONE &&
	    b->size <= INT64_MAX)
		rc = set_size(s, id, b);
	sqlite3_stmt *st = rc < 0 ? NULL : store_stmt(s, ST_BODY_INSERT, &rc);
	if (st == NULL)
		return rc;
	bind_body(st, id, b);
	int step = sqlite3_step(st);
	if (step == SQLITE_DONE) {
		store_done(st);
		if ((st = store_stmt(s, ST_BODY_QUEUE, &rc)) == NULL)
			return rc;
		sqlite3_bind_int64(st, 1, id);
		return store_run(s, st, "queueing the body", NULL);
	}
	if (sqlite3_extended_errcode(s->db) == SQLITE_CONSTRAINT_PRIMARYKEY) {
		store_done(st);
		return upsert_body(s, id, b);
	}
	rc = store_fail(s, step, "storing the body");
	store_done(st);
	return rc;
}

/* One body is a batch of one: the body and its place in the queue are
 * stored in one transaction. */
int store_body_put(struct store *s, int64_t mailbox, uint32_t uid,
                   const char *headers, const char *body, bool truncated)
{
	struct store_body b = {.uid = uid,
	                       .headers = headers,
	                       .body = body,
	                       .headers_len = headers ? strlen(headers) : 0,
	                       .body_len = body ? strlen(body) : 0,
	                       .truncated = truncated};
	int64_t id;
	int rc = message_id_of(s, mailbox, uid, &id);

	if (rc == STORE_ENOTFOUND) {
		store_set_err(s, "storing the body: UID %u is not cached", uid);
		return STORE_ENOTFOUND;
	}
	return rc < 0 ? rc : store_body_put_many(s, mailbox, &b, 1);
}

int store_body_put_many(struct store *s, int64_t mailbox,
                        const struct store_body *v, size_t n)
{
	int rc = STORE_OK;

	if (n == 0)
		return STORE_OK;
	bool own = sqlite3_get_autocommit(s->db);
	if (own && (rc = store_begin(s)) < 0)
		return rc;
	for (size_t i = 0; i < n && rc == STORE_OK; i++)
		rc = insert_body(s, mailbox, &v[i]);
	if (own)
		rc = rc == STORE_OK ? store_commit(s) : (store_rollback(s), rc);
	return rc;
}

int store_body_trim(struct store *s, int64_t account, bool keep_headers,
                    size_t max, int64_t *after, size_t *n)
{
	int rc = STORE_OK, r;
	sqlite3_stmt *st = store_stmt(
	        s, keep_headers ? ST_BODY_TRIM_TEXT : ST_BODY_TRIM_ALL, &rc);

	*n = 0;
	bool own = sqlite3_get_autocommit(s->db);
	if (st == NULL || (own && (rc = store_begin(s)) < 0))
		return rc;
	sqlite3_bind_int64(st, 1, account);
	sqlite3_bind_int64(st, 2, *after);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)max);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		if (id > *after)
			*after = id;
		(*n)++;
	}
	if (r != SQLITE_DONE)
		rc = store_fail(s, r, "removing bodies no longer kept");
	store_done(st);
	if (own)
		rc = rc == STORE_OK ? store_commit(s) : (store_rollback(s), rc);
	return rc;
}
