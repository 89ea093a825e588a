/* store_mailbox.c - accounts and mailboxes in the cache (see store.h). */
#include "mailmirrord/store_internal.h"

#include <stddef.h>
#include <stdio.h>

/* --------------------------------------------------------------- accounts */

/* What the cache holds of account under the server it was mirrored from
 * goes: see store_account_upsert. */
static int drop_old_server(struct store *s, int64_t account, int64_t *dropped)
{
	int rc = STORE_OK, changes = 0;
	sqlite3_stmt *st;

	if ((st = store_stmt(s, ST_ACCOUNT_DROP_MESSAGES, &rc)) == NULL)
		return rc;
	sqlite3_bind_int64(st, 1, account);
	if ((rc = store_run(s, st, "dropping the account's messages",
	                    &changes)) < 0)
		return rc;
	*dropped = changes;
	if ((st = store_stmt(s, ST_ACCOUNT_DROP_MAILBOXES, &rc)) == NULL)
		return rc;
	sqlite3_bind_int64(st, 1, account);
	if ((rc = store_run(s, st, "dropping the account's mailboxes", NULL)) <
	    0)
		return rc;
	if ((st = store_stmt(s, ST_ACCOUNT_FORGET, &rc)) == NULL)
		return rc;
	sqlite3_bind_int64(st, 1, account);
	return store_run(s, st, "resetting the account", NULL);
}

/* Whether the row of the account name holds the server host, port and
 * user: 1 (and *id), 0 (and *id) when another, STORE_ENOTFOUND when
 * there is no row, < 0 on failure. */
static int same_server(int64_t *id, struct store *s, const char *name,
                       const char *host, unsigned port, const char *user)
{
	int rc = STORE_OK;
	sqlite3_stmt *st = store_stmt(s, ST_ACCOUNT_SAME_SERVER, &rc);
	if (st == NULL)
		return rc;
	store_bind_text(st, 1, name);
	store_bind_text(st, 2, host);
	sqlite3_bind_int64(st, 3, port);
	store_bind_text(st, 4, user);
	rc = sqlite3_step(st);
	int same = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 1);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_ROW)
		return same;
	if (rc == SQLITE_DONE)
		return STORE_ENOTFOUND;
	return store_fail(s, rc, "looking up the account's server");
}

/* store_account_upsert (switch) or store_account_keep (!switch). */
static int account_upsert(int64_t *id, int64_t *dropped, struct store *s,
                          const char *name, const char *host, unsigned port,
                          const char *user, bool switch_server)
{
	int rc = STORE_OK, same;
	int64_t gone = 0;
	sqlite3_stmt *st;
	bool own = !store_in_transaction(s);

	if (dropped)
		*dropped = 0;
	if (name == NULL || name[0] == '\0') {
		store_set_err(s, "an account needs a name");
		return STORE_EINVAL;
	}
	host = host ? host : "";
	user = user ? user : "";
	/* The comparison, the drop and the new server together: a kill
	 * between them must not leave the old rows under the new server,
	 * where nothing would tell them apart any more. */
	if (own && (rc = store_begin(s)) < 0)
		return rc;
	same = same_server(id, s, name, host, port, user);
	if (same == STORE_ENOTFOUND)
		same = 1; /* a new account: nothing cached to drop */
	else if ((rc = same) < 0)
		goto fail;
	/* Kept: the row goes on naming the server its rows came from, so
	 * that a later start still tells them apart. */
	if (!same && !switch_server)
		goto done;
	if ((st = store_stmt(s, ST_ACCOUNT_UPSERT, &rc)) == NULL)
		goto fail;
	store_bind_text(st, 1, name);
	store_bind_text(st, 2, host);
	sqlite3_bind_int64(st, 3, port);
	store_bind_text(st, 4, user);
	if ((rc = store_run_int(s, st, "storing the account", id)) < 0)
		goto fail;
	if (!same && (rc = drop_old_server(s, *id, &gone)) < 0)
		goto fail;
done:
	if (own && (rc = store_commit(s)) < 0)
		goto fail;
	if (dropped)
		*dropped = gone;
	return same ? 0 : 1;
fail:
	if (own)
		store_rollback(s);
	return rc;
}

int store_account_upsert(int64_t *id, int64_t *dropped, struct store *s,
                         const char *name, const char *host, unsigned port,
                         const char *user)
{
	return account_upsert(id, dropped, s, name, host, port, user, true);
}

int store_account_keep(int64_t *id, struct store *s, const char *name,
                       const char *host, unsigned port, const char *user)
{
	return account_upsert(id, NULL, s, name, host, port, user, false);
}

/* Steps st (its parameters bound) and calls cb with each row's id and
 * name; see store_mailbox_each. */
static int each_row(struct store *s, sqlite3_stmt *st, store_row_cb *cb,
                    void *payload, const char *what)
{
	int rc = STORE_OK, r;

	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		rc = cb(payload, sqlite3_column_int64(st, 0),
		        (const char *)sqlite3_column_text(st, 1));
		if (rc != 0)
			break;
	}
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		rc = store_fail(s, r, what);
	store_done(st);
	return rc;
}

int store_account_each(struct store *s, store_row_cb *cb, void *payload)
{
	int rc = STORE_OK;
	sqlite3_stmt *st = store_stmt(s, ST_ACCOUNT_EACH, &rc);

	return st ? each_row(s, st, cb, payload, "listing accounts") : rc;
}

int store_account_delete_step(struct store *s, int64_t account, int limit,
                              int64_t *messages)
{
	int rc, changes = 0;
	int64_t mailbox = 0;
	sqlite3_stmt *st;

	*messages = 0;
	if ((rc = store_begin(s)) < 0)
		return rc;
	if ((st = store_stmt(s, ST_ACCOUNT_SOME_MAILBOX, &rc)) == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, account);
	rc = store_run_int(s, st, "looking up the account's mailboxes",
	                   &mailbox);
	if (rc == STORE_ENOTFOUND) {
		/* Nothing left under it. */
		if ((st = store_stmt(s, ST_ACCOUNT_DELETE, &rc)) == NULL)
			goto fail;
		sqlite3_bind_int64(st, 1, account);
		if ((rc = store_run(s, st, "deleting the account", NULL)) < 0 ||
		    (rc = store_commit(s)) < 0)
			goto fail;
		return 1;
	}
	if (rc < 0)
		goto fail;
	/* Each message's trigger takes it out of the full-text index, and
	 * its body goes with it. */
	if ((st = store_stmt(s, ST_MESSAGE_DELETE_SOME, &rc)) == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, mailbox);
	sqlite3_bind_int(st, 2, limit);
	if ((rc = store_run(s, st, "deleting messages", &changes)) < 0)
		goto fail;
	if (changes < limit)
		rc = store_mailbox_delete(s, mailbox);
	else
		rc = store_mailbox_recount(s, mailbox, false);
	if (rc < 0 || (rc = store_commit(s)) < 0)
		goto fail;
	*messages = changes;
	return 0;
fail:
	store_rollback(s);
	return rc;
}

int store_account_set_state(struct store *s, int64_t account, const char *state)
{
	if (state == NULL) {
		store_set_err(s, "an account state cannot be NULL");
		return STORE_EINVAL;
	}
	return store_set_text(s, ST_ACCOUNT_STATE, account, state,
	                      "setting the account state");
}

int store_account_set_error(struct store *s, int64_t account, const char *error)
{
	return store_set_text(s, ST_ACCOUNT_ERROR, account, error,
	                      "setting the account error");
}

int store_account_set_last_sync(struct store *s, int64_t account, int64_t when)
{
	return store_set_int(s, ST_ACCOUNT_LAST_SYNC, account, when,
	                     "setting the account sync time");
}

static int clear_marks(struct store *s, int64_t account, enum stmt_id sql,
                       const char *what)
{
	int rc = STORE_OK;
	sqlite3_stmt *st = store_stmt(s, sql, &rc);

	if (st == NULL)
		return rc;
	sqlite3_bind_int64(st, 1, account);
	return store_run(s, st, what, NULL);
}

int store_account_clear_live(struct store *s, int64_t account)
{
	return clear_marks(s, account, ST_ACCOUNT_CLEAR_LIVE,
	                   "clearing live marks");
}

int store_account_clear_run(struct store *s, int64_t account)
{
	return clear_marks(s, account, ST_ACCOUNT_CLEAR_RUN,
	                   "clearing what the last run left");
}

/* -------------------------------------------------------------- mailboxes */

int store_mailbox_upsert(int64_t *id, struct store *s, int64_t account,
                         const char *name, const char *delimiter,
                         const char *attributes, const char *special_use)
{
	int rc = STORE_OK;
	sqlite3_stmt *st = store_stmt(s, ST_MAILBOX_UPSERT, &rc);

	if (st == NULL)
		return rc;
	if (name == NULL || name[0] == '\0') {
		store_set_err(s, "a mailbox needs a name");
		return STORE_EINVAL;
	}
	if (attributes == NULL)
		attributes = "";
	/* An upsert that hits an existing row makes SQLite check the
	 * foreign keys of every message of the mailbox; LIST runs often and
	 * mostly changes nothing, so look first and write only news. */
	sqlite3_stmt *same = store_stmt(s, ST_MAILBOX_SAME, &rc);
	if (same == NULL)
		return rc;
	sqlite3_bind_int64(same, 1, account);
	store_bind_text(same, 2, name);
	store_bind_text(same, 3, delimiter);
	store_bind_text(same, 4, attributes);
	store_bind_text(same, 5, special_use);
	int step = sqlite3_step(same);
	bool found = step == SQLITE_ROW;
	bool unchanged = found && sqlite3_column_int(same, 1);
	if (found)
		*id = sqlite3_column_int64(same, 0);
	sqlite3_reset(same);
	sqlite3_clear_bindings(same);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return store_fail(s, step, "looking up the mailbox");
	if (unchanged)
		return STORE_OK;
	if (found) {
		sqlite3_stmt *up = store_stmt(s, ST_MAILBOX_RELIST, &rc);
		if (up == NULL)
			return rc;
		sqlite3_bind_int64(up, 1, *id);
		store_bind_text(up, 2, delimiter);
		store_bind_text(up, 3, attributes);
		store_bind_text(up, 4, special_use);
		rc = sqlite3_step(up);
		sqlite3_reset(up);
		sqlite3_clear_bindings(up);
		return rc == SQLITE_DONE
		               ? STORE_OK
		               : store_fail(s, rc, "updating the mailbox");
	}
	sqlite3_bind_int64(st, 1, account);
	store_bind_text(st, 2, name);
	store_bind_text(st, 3, delimiter);
	store_bind_text(st, 4, attributes);
	store_bind_text(st, 5, special_use);
	rc = store_run_int(s, st, "storing the mailbox", id);
	/* The only failing constraint here is the account's foreign key. */
	if (rc == STORE_EDB &&
	    sqlite3_extended_errcode(s->db) == SQLITE_CONSTRAINT_FOREIGNKEY) {
		store_set_err(s, "storing mailbox %s: no account %lld", name,
		              (long long)account);
		rc = STORE_ENOTFOUND;
	}
	return rc;
}

int store_mailbox_find(int64_t *id, struct store *s, int64_t account,
                       const char *name)
{
	int rc = STORE_OK;
	sqlite3_stmt *st = store_stmt(s, ST_MAILBOX_FIND, &rc);

	if (st == NULL)
		return rc;
	sqlite3_bind_int64(st, 1, account);
	store_bind_text(st, 2, name);
	return store_run_int(s, st, "finding the mailbox", id);
}

int store_mailbox_get_state(struct store_mailbox_state *out, struct store *s,
                            int64_t mailbox)
{
	int rc = STORE_OK;
	sqlite3_stmt *st = store_stmt(s, ST_MAILBOX_GET_STATE, &rc);

	if (st == NULL)
		return rc;
	sqlite3_bind_int64(st, 1, mailbox);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->uidvalidity = (uint32_t)sqlite3_column_int64(st, 0);
		out->uidnext = (uint32_t)sqlite3_column_int64(st, 1);
		out->highestmodseq = (uint64_t)sqlite3_column_int64(st, 2);
		out->exists = (uint32_t)sqlite3_column_int64(st, 3);
		out->unseen = (uint32_t)sqlite3_column_int64(st, 4);
		out->last_sync = sqlite3_column_type(st, 5) == SQLITE_NULL
		                         ? STORE_NO_TIME
		                         : sqlite3_column_int64(st, 5);
		rc = STORE_OK;
	} else if (rc == SQLITE_DONE) {
		store_set_err(s, "no mailbox %lld", (long long)mailbox);
		rc = STORE_ENOTFOUND;
	} else {
		rc = store_fail(s, rc, "reading the mailbox state");
	}
	store_done(st);
	return rc;
}

int store_mailbox_set_state(struct store *s, int64_t mailbox,
                            const struct store_mailbox_state *in)
{
	int rc = STORE_OK;
	sqlite3_stmt *st;

	if ((rc = store_check_modseq(s, in->highestmodseq)) < 0)
		return rc;
	if ((st = store_stmt(s, ST_MAILBOX_SET_STATE, &rc)) == NULL)
		return rc;
	sqlite3_bind_int64(st, 2, in->uidvalidity);
	sqlite3_bind_int64(st, 3, in->uidnext);
	sqlite3_bind_int64(st, 4, (int64_t)in->highestmodseq);
	sqlite3_bind_int64(st, 5, in->exists);
	sqlite3_bind_int64(st, 6, in->unseen);
	store_bind_time(st, 7, in->last_sync);
	return store_update_one(s, st, mailbox, "setting the mailbox state");
}

int store_mailbox_reset(struct store *s, int64_t mailbox, uint32_t uidvalidity)
{
	int rc = STORE_OK;
	sqlite3_stmt *st;
	bool own = !store_in_transaction(s);

	/* Both statements or neither: a cache holding old-epoch rows under
	 * the new UIDVALIDITY would show other messages under their UIDs. */
	if (own && (rc = store_begin(s)) < 0)
		return rc;
	if ((st = store_stmt(s, ST_MESSAGE_DELETE_ALL, &rc)) == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, mailbox);
	if ((rc = store_run(s, st, "dropping the mailbox's messages", NULL)) <
	    0)
		goto fail;
	if ((st = store_stmt(s, ST_MAILBOX_RESET_ROW, &rc)) == NULL)
		goto fail;
	sqlite3_bind_int64(st, 2, uidvalidity);
	if ((rc = store_update_one(s, st, mailbox, "resetting the mailbox")) <
	    0)
		goto fail;
	if (own && (rc = store_commit(s)) < 0)
		goto fail;
	return STORE_OK;
fail:
	if (own)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

int store_mailbox_delete(struct store *s, int64_t mailbox)
{
	int rc = STORE_OK;
	sqlite3_stmt *st = store_stmt(s, ST_MAILBOX_DELETE, &rc);

	if (st == NULL)
		return rc;
	sqlite3_bind_int64(st, 1, mailbox);
	return store_run(s, st, "deleting the mailbox", NULL);
}

int store_mailbox_rename(struct store *s, int64_t mailbox, const char *new_name)
{
	int rc = STORE_OK;
	sqlite3_stmt *st = store_stmt(s, ST_MAILBOX_RENAME, &rc);

	if (st == NULL)
		return rc;
	if (new_name == NULL || new_name[0] == '\0') {
		store_set_err(s, "a mailbox needs a name");
		return STORE_EINVAL;
	}
	store_bind_text(st, 2, new_name);
	rc = store_update_one(s, st, mailbox, "renaming the mailbox");
	if (rc == STORE_EDB &&
	    sqlite3_extended_errcode(s->db) == SQLITE_CONSTRAINT_UNIQUE) {
		store_set_err(s, "renaming the mailbox: %s exists", new_name);
		rc = STORE_EEXIST;
	}
	return rc;
}

int store_mailbox_each(struct store *s, int64_t account, store_row_cb *cb,
                       void *payload)
{
	int rc = STORE_OK;
	sqlite3_stmt *st = store_stmt(s, ST_MAILBOX_EACH, &rc);

	if (st == NULL)
		return rc;
	sqlite3_bind_int64(st, 1, account);
	return each_row(s, st, cb, payload, "listing mailboxes");
}

int store_mailbox_set_live(struct store *s, int64_t mailbox, bool live)
{
	return store_set_int(s, ST_MAILBOX_LIVE, mailbox, live,
	                     "setting the live mark");
}

int store_mailbox_set_last_sync(struct store *s, int64_t mailbox, int64_t when)
{
	return store_set_int(s, ST_MAILBOX_LAST_SYNC, mailbox, when,
	                     "setting the mailbox sync time");
}

int store_mailbox_set_progress(struct store *s, int64_t mailbox,
                               uint32_t done_count, uint32_t total)
{
	int rc = STORE_OK;
	sqlite3_stmt *st = store_stmt(s, ST_MAILBOX_PROGRESS, &rc);

	if (st == NULL)
		return rc;
	sqlite3_bind_int64(st, 2, done_count);
	sqlite3_bind_int64(st, 3, total);
	return store_set_one(s, ST_MAILBOX_PROGRESS, st, mailbox,
	                     "setting the sync progress");
}

int store_mailbox_set_error(struct store *s, int64_t mailbox, const char *error)
{
	return store_set_text(s, ST_MAILBOX_ERROR, mailbox, error,
	                      "setting the mailbox error");
}

/* One text column of mailbox's row into buf ("" for NULL). */
static int get_text(char *buf, size_t len, struct store *s, int64_t mailbox,
                    enum stmt_id id, const char *what)
{
	int rc = STORE_OK;
	sqlite3_stmt *st = store_stmt(s, id, &rc);

	if (len)
		buf[0] = '\0';
	if (st == NULL)
		return rc;
	sqlite3_bind_int64(st, 1, mailbox);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const unsigned char *text = sqlite3_column_text(st, 0);
		if (text && len)
			snprintf(buf, len, "%s", (const char *)text);
		rc = STORE_OK;
	} else if (rc == SQLITE_DONE) {
		store_set_err(s, "no mailbox %lld", (long long)mailbox);
		rc = STORE_ENOTFOUND;
	} else {
		rc = store_fail(s, rc, what);
	}
	store_done(st);
	return rc;
}

int store_mailbox_get_error(char *buf, size_t len, struct store *s,
                            int64_t mailbox)
{
	return get_text(buf, len, s, mailbox, ST_MAILBOX_GET_ERROR,
	                "reading the mailbox error");
}

int store_mailbox_get_delimiter(char *out, struct store *s, int64_t mailbox)
{
	char buf[2];
	int rc = get_text(buf, sizeof(buf), s, mailbox, ST_MAILBOX_DELIMITER,
	                  "reading the mailbox delimiter");
	*out = buf[0];
	return rc;
}

int store_mailbox_recount(struct store *s, int64_t mailbox, bool flags_only)
{
	int rc = STORE_OK;
	sqlite3_stmt *st = store_stmt(
	        s, flags_only ? ST_MAILBOX_RECOUNT_UNSEEN : ST_MAILBOX_RECOUNT,
	        &rc);

	if (st == NULL)
		return rc;
	return store_update_one(s, st, mailbox,
	                        "counting the mailbox's messages");
}
