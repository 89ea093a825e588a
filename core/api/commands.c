/* commands.c - imaplib's IMAP4 methods, one IMAP command each.
 *
 * Every method checks the state like imaplib's Commands table, builds its
 * arguments with the typed encoder (so no argument can end the command
 * early), and runs it. Untagged responses the command asked for (its
 * "expect" list) are its data; anything else goes to the unsolicited
 * callback first.
 */
#include "api/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const EXP_NONE[] = {NULL};
static const char *const EXP_FETCH[] = {"FETCH", NULL};
static const char *const EXP_EXPUNGE[] = {"EXPUNGE", "VANISHED", NULL};
static const char *const EXP_SEARCH[] = {"SEARCH", "ESEARCH", NULL};

/* imaplib's methods end with _untagged_response(typ, dat, name), which
 * pops name from response()'s cache once the server said OK: the command's
 * own data, not news. What each pops, read method by method in CPython
 * 3.11's imaplib.py; the methods not listed pop nothing (append,
 * authenticate, check, close, copy, create, delete, deleteacl, enable,
 * login, noop, proxyauth, rename, setacl, subscribe, unselect,
 * unsubscribe, xatom); logout pops its BYE (imap4_logout). select() reads
 * EXISTS with get(), not pop(), after flushing the whole cache before the
 * command (select.c); starttls() pops STARTTLS, which no server sends, after
 * capability() popped CAPABILITY (imap4_refresh_caps). Keyed by the command as
 * sent; uid(command) pops the name of SEARCH, SORT or THREAD for those, FETCH
 * for any other. */
static const struct imaplib_pop {
	const char *command;
	const char *names[3];
} IMAPLIB_POPS[] = {
        {"CAPABILITY", {"CAPABILITY"}},
        {"EXPUNGE", {"EXPUNGE"}},
        {"FETCH", {"FETCH"}},
        {"GETACL", {"ACL"}},
        {"GETANNOTATION", {"ANNOTATION"}},
        {"GETQUOTA", {"QUOTA"}},
        {"GETQUOTAROOT", {"QUOTA", "QUOTAROOT"}},
        {"LIST", {"LIST"}},
        {"LSUB", {"LSUB"}},
        {"MYRIGHTS", {"MYRIGHTS"}},
        {"NAMESPACE", {"NAMESPACE"}},
        {"PARTIAL", {"FETCH"}},
        {"SEARCH", {"SEARCH"}},
        {"SETANNOTATION", {"ANNOTATION"}},
        {"SETQUOTA", {"QUOTA"}},
        {"SORT", {"SORT"}},
        {"STATUS", {"STATUS"}},
        {"STORE", {"FETCH"}},
        {"THREAD", {"THREAD"}},
        {"UID SEARCH", {"SEARCH"}},
        {"UID SORT", {"SORT"}},
        {"UID THREAD", {"THREAD"}},
        {"UID *", {"FETCH"}}, /* any other UID command */
};

const char *const *imap4_imaplib_pops(const char *command)
{
	size_t n = sizeof(IMAPLIB_POPS) / sizeof(IMAPLIB_POPS[0]);

	for (size_t i = 0; i < n; i++)
		if (strcasecmp(IMAPLIB_POPS[i].command, command) == 0)
			return IMAPLIB_POPS[i].names;
	if (strncasecmp(command, "UID ", 4) == 0)
		return imap4_imaplib_pops("UID *");
	return NULL;
}

static int run_pops(imap4 *h, const char *const *expect,
                    const char *const *pops)
{
	struct imap4_run run = {.expect = expect, .pops = pops};

	return imap4_run(h, &run);
}

/* The command started with imap4_cmd_start, run as the imaplib method of
 * its name: it pops what that method pops. */
static int run_expect(imap4 *h, const char *const *expect)
{
	return run_pops(h, expect, imap4_imaplib_pops(h->cmd_name));
}

/* imap4_simple, as the imaplib method of that name. */
static int simple(imap4 *h, unsigned states, const char *name,
                  const char *const *expect)
{
	int rc = imap4_cmd_start(h, states, name);

	return rc ? rc : run_expect(h, expect);
}

/* NAME mailbox */
static int mailbox_cmd(imap4 *h, const char *name, const char *mailbox,
                       const char *const *expect)
{
	int rc = imap4_cmd_start(h, IMAP4_AUTHED, name);

	if (rc)
		return rc;
	imap4_cmd_mailbox(&h->cmd, mailbox);
	return run_expect(h, expect);
}

/* imaplib wraps flag lists and STATUS items in parentheses when the caller
 * did not. */
static void paren_raw(struct imap4_cmd *c, const char *s)
{
	if (s && s[0] == '(') {
		imap4_cmd_raw_balanced(c, s);
		return;
	}
	imap4_cmd_open(c);
	imap4_cmd_raw_balanced(c, s);
	imap4_cmd_close(c);
}

/* ---- any state */

int imap4_capability(imap4 *h)
{
	return imap4_refresh_caps(h);
}

int imap4_noop(imap4 *h)
{
	return simple(h, IMAP4_ANY_STATE, "NOOP", EXP_NONE);
}

int imap4_logout(imap4 *h)
{
	static const char *const expect[] = {"BYE", NULL};
	struct imap4_run run = {.expect = expect, .bye_ok = true};
	int rc = imap4_cmd_start(h, IMAP4_ANY_STATE, "LOGOUT");

	if (rc)
		return rc;
	rc = imap4_run(h, &run);
	/* Some servers close right after their BYE without the tagged OK,
	 * or keep the connection open past it (BYE_GRACE_MS): the session
	 * ended as asked all the same. The BYE stays the command's data,
	 * and the OK, when one came, its completion. */
	if ((rc == IMAP4_EEOF || rc == IMAP4_ETIMEOUT) && h->res.ndata > 0)
		rc = imap4_ok(h);
	/* imaplib's logout() returns the BYE, popped from the cache on the
	 * way (_get_tagged_response(expect_bye)): response('BYE') is None
	 * after it. */
	imap4_session_discard(&h->sess, "BYE");
	h->state = IMAP4_STATE_LOGOUT;
	h->logged_out = true;
	imap4_drop_transport(h);
	return rc;
}

int imap4_id(imap4 *h, const char *const *kv)
{
	static const char *const expect[] = {"ID", NULL};
	int rc = imap4_cmd_start(h, IMAP4_ANY_STATE, "ID");

	if (rc)
		return rc;
	if (kv == NULL || kv[0] == NULL) {
		imap4_cmd_nil(&h->cmd);
	} else {
		imap4_cmd_open(&h->cmd);
		for (size_t i = 0; kv[i]; i += 2) {
			const char *v = kv[i + 1];

			/* RFC 2971 3.3: keys are strings, values nstrings. */
			imap4_cmd_string(&h->cmd, kv[i], strlen(kv[i]));
			if (v)
				imap4_cmd_string(&h->cmd, v, strlen(v));
			else
				imap4_cmd_nil(&h->cmd);
			if (v == NULL)
				break;
		}
		imap4_cmd_close(&h->cmd);
	}
	return run_expect(h, expect);
}

int imap4_xatom(imap4 *h, const char *name, const char *args)
{
	int rc = imap4_cmd_start(h, IMAP4_ANY_STATE, name);

	if (rc)
		return rc;
	if (args && *args)
		imap4_cmd_raw(&h->cmd, args);
	/* imaplib's xatom pops nothing, whatever the command. */
	return run_pops(h, NULL, NULL);
}

/* ---- authenticated state: mailboxes */

int imap4_create(imap4 *h, const char *mailbox)
{
	return mailbox_cmd(h, "CREATE", mailbox, EXP_NONE);
}

int imap4_delete(imap4 *h, const char *mailbox)
{
	return mailbox_cmd(h, "DELETE", mailbox, EXP_NONE);
}

int imap4_subscribe(imap4 *h, const char *mailbox)
{
	return mailbox_cmd(h, "SUBSCRIBE", mailbox, EXP_NONE);
}

int imap4_unsubscribe(imap4 *h, const char *mailbox)
{
	return mailbox_cmd(h, "UNSUBSCRIBE", mailbox, EXP_NONE);
}

int imap4_rename(imap4 *h, const char *oldname, const char *newname)
{
	int rc = imap4_cmd_start(h, IMAP4_AUTHED, "RENAME");

	if (rc)
		return rc;
	imap4_cmd_mailbox(&h->cmd, oldname);
	imap4_cmd_mailbox(&h->cmd, newname);
	return run_expect(h, EXP_NONE);
}

/* imaplib's callers quote some arguments themselves (its list() passes
 * directory='""'): a whole quoted string (RFC 3501 quoted: only \" and \\
 * escaped) is the string it quotes, in *out, malloc'ed. 1 when s was one,
 * 0 when not (*out NULL), IMAP4_ENOMEM. */
static int imaplib_unquote(char **out, const char *s)
{
	size_t len = s ? strlen(s) : 0, n = 0;

	*out = NULL;
	if (len < 2 || s[0] != '"' || s[len - 1] != '"')
		return 0;
	char *v = malloc(len - 1);
	if (!v)
		return IMAP4_ENOMEM;
	for (size_t i = 1; i < len - 1; i++) {
		char c = s[i];
		if (c == '\\') {
			if (i + 2 == len ||
			    (s[i + 1] != '"' && s[i + 1] != '\\'))
				goto as_it_is;
			c = s[++i];
		} else if (c == '"') {
			goto as_it_is;
		}
		v[n++] = c;
	}
	v[n] = '\0';
	*out = v;
	return 1;
as_it_is:
	free(v);
	return 0;
}

static int list_cmd(imap4 *h, const char *name, const char *reference,
                    const char *pattern)
{
	const char *const expect[] = {name, NULL};
	char *ref = NULL, *pat = NULL;
	int rc = imap4_cmd_start(h, IMAP4_AUTHED, name);

	if (rc == 0 && (imaplib_unquote(&ref, reference) < 0 ||
	                imaplib_unquote(&pat, pattern) < 0))
		rc = imap4_fail(h, IMAP4_ENOMEM, NULL);
	if (rc == 0) {
		imap4_cmd_mailbox(&h->cmd, ref         ? ref
		                           : reference ? reference
		                                       : "");
		imap4_cmd_pattern(&h->cmd, pat ? pat : pattern ? pattern : "*");
	}
	free(ref);
	free(pat);
	return rc ? rc : run_expect(h, expect);
}

/* A quota root: a string, or imaplib's quoted form of one. */
static int quota_root(imap4 *h, const char *root)
{
	char *v = NULL;

	if (imaplib_unquote(&v, root) < 0)
		return imap4_fail(h, IMAP4_ENOMEM, NULL);
	imap4_cmd_astring(&h->cmd, v ? v : root);
	free(v);
	return 0;
}

int imap4_list(imap4 *h, const char *reference, const char *pattern)
{
	return list_cmd(h, "LIST", reference, pattern);
}

int imap4_list_status(imap4 *h, const char *reference, const char *pattern,
                      const char *options, const char *names, int most_ms)
{
	static const char *const expect[] = {"LIST", "STATUS", NULL};
	struct imap4_run run = {.expect = expect};
	int rc;

	if (h && (!names || !*names))
		return imap4_fail(h, IMAP4_EINVAL,
		                  "LIST: no STATUS items; nothing was sent");
	rc = imap4_cmd_start(h, IMAP4_AUTHED, "LIST");
	if (rc)
		return rc;
	imap4_cmd_mailbox(&h->cmd, reference ? reference : "");
	imap4_cmd_pattern(&h->cmd, pattern ? pattern : "*");
	imap4_cmd_atom(&h->cmd, "RETURN");
	imap4_cmd_open(&h->cmd);
	if (options && *options)
		imap4_cmd_raw_balanced(&h->cmd, options);
	imap4_cmd_atom(&h->cmd, "STATUS");
	paren_raw(&h->cmd, names);
	imap4_cmd_close(&h->cmd);
	/* The server looks at every mailbox it lists: a long list comes
	 * slowly yet steadily, and a silence is what ends it early. */
	if (most_ms > 0) {
		run.renews = true;
		run.end = imap4_deadline(most_ms);
	}
	return imap4_run(h, &run);
}

int imap4_lsub(imap4 *h, const char *reference, const char *pattern)
{
	return list_cmd(h, "LSUB", reference, pattern);
}

int imap4_status(imap4 *h, const char *mailbox, const char *names)
{
	static const char *const expect[] = {"STATUS", NULL};
	int rc = imap4_cmd_start(h, IMAP4_AUTHED, "STATUS");

	if (rc)
		return rc;
	imap4_cmd_mailbox(&h->cmd, mailbox);
	paren_raw(&h->cmd, names);
	return run_expect(h, expect);
}

int imap4_namespace(imap4 *h)
{
	static const char *const expect[] = {"NAMESPACE", NULL};

	return simple(h, IMAP4_AUTHED, "NAMESPACE", expect);
}

int imap4_enable(imap4 *h, const char *capability)
{
	static const char *const expect[] = {"ENABLED", NULL};
	char *copy, *word, *save = NULL;
	int rc;

	rc = imap4_cmd_start(h, IMAP4_AUTHED, "ENABLE");
	if (rc)
		return rc;
	if (!imap4_session_has_cap(&h->sess, "ENABLE"))
		return imap4_fail(h, IMAP4_ECAPA,
		                  "the server does not support ENABLE");
	if (capability == NULL || *capability == '\0')
		return imap4_fail(h, IMAP4_EINVAL, "ENABLE: no capability");
	copy = strdup(capability);
	if (copy == NULL)
		return imap4_fail(h, IMAP4_ENOMEM, NULL);
	for (word = strtok_r(copy, " ", &save); word;
	     word = strtok_r(NULL, " ", &save))
		imap4_cmd_atom(&h->cmd, word);
	free(copy);
	return run_expect(h, expect);
}

int imap4_proxyauth(imap4 *h, const char *user)
{
	int rc = imap4_cmd_start(h, IMAP4_AUTHED, "PROXYAUTH");

	if (rc)
		return rc;
	imap4_cmd_astring(&h->cmd, user);
	return run_expect(h, EXP_NONE);
}

/* ---- ACL (RFC 4314) */

int imap4_getacl(imap4 *h, const char *mailbox)
{
	static const char *const expect[] = {"ACL", NULL};

	return mailbox_cmd(h, "GETACL", mailbox, expect);
}

int imap4_myrights(imap4 *h, const char *mailbox)
{
	static const char *const expect[] = {"MYRIGHTS", NULL};

	return mailbox_cmd(h, "MYRIGHTS", mailbox, expect);
}

int imap4_setacl(imap4 *h, const char *mailbox, const char *who,
                 const char *what)
{
	int rc = imap4_cmd_start(h, IMAP4_AUTHED, "SETACL");

	if (rc)
		return rc;
	imap4_cmd_mailbox(&h->cmd, mailbox);
	imap4_cmd_astring(&h->cmd, who);
	imap4_cmd_astring(&h->cmd, what);
	return run_expect(h, EXP_NONE);
}

int imap4_deleteacl(imap4 *h, const char *mailbox, const char *who)
{
	int rc = imap4_cmd_start(h, IMAP4_AUTHED, "DELETEACL");

	if (rc)
		return rc;
	imap4_cmd_mailbox(&h->cmd, mailbox);
	imap4_cmd_astring(&h->cmd, who);
	return run_expect(h, EXP_NONE);
}

/* ---- QUOTA (RFC 2087, 9208) and ANNOTATEMORE */

int imap4_getquota(imap4 *h, const char *root)
{
	static const char *const expect[] = {"QUOTA", NULL};
	int rc = imap4_cmd_start(h, IMAP4_AUTHED, "GETQUOTA");

	if (rc == 0)
		rc = quota_root(h, root);
	return rc ? rc : run_expect(h, expect);
}

int imap4_getquotaroot(imap4 *h, const char *mailbox)
{
	static const char *const expect[] = {"QUOTAROOT", "QUOTA", NULL};

	return mailbox_cmd(h, "GETQUOTAROOT", mailbox, expect);
}

int imap4_setquota(imap4 *h, const char *root, const char *limits)
{
	static const char *const expect[] = {"QUOTA", NULL};
	int rc = imap4_cmd_start(h, IMAP4_AUTHED, "SETQUOTA");

	if (rc == 0)
		rc = quota_root(h, root);
	if (rc)
		return rc;
	paren_raw(&h->cmd, limits);
	return run_expect(h, expect);
}

int imap4_getannotation(imap4 *h, const char *mailbox, const char *entry,
                        const char *attribute)
{
	static const char *const expect[] = {"ANNOTATION", NULL};
	int rc = imap4_cmd_start(h, IMAP4_AUTHED, "GETANNOTATION");

	if (rc)
		return rc;
	imap4_cmd_mailbox(&h->cmd, mailbox);
	imap4_cmd_raw(&h->cmd, entry);
	imap4_cmd_raw(&h->cmd, attribute);
	return run_expect(h, expect);
}

int imap4_setannotation(imap4 *h, const char *args)
{
	static const char *const expect[] = {"ANNOTATION", NULL};
	int rc = imap4_cmd_start(h, IMAP4_AUTHED, "SETANNOTATION");

	if (rc)
		return rc;
	imap4_cmd_raw(&h->cmd, args);
	return run_expect(h, expect);
}

/* ---- selected state */

int imap4_check(imap4 *h)
{
	return simple(h, IMAP4_SELECTED, "CHECK", EXP_NONE);
}

/* imaplib leaves the selected state whatever CLOSE or UNSELECT answered. */
static int leave_mailbox(imap4 *h, const char *name, const char *const *exp)
{
	int rc = simple(h, IMAP4_SELECTED, name, exp);

	/* Nothing was sent (a NULL handle, a call from a callback, the
	 * wrong state), or the connection is gone. */
	if (rc != IMAP4_EINVAL && rc != IMAP4_ESTATE && rc != IMAP4_ECLOSED &&
	    !h->dead) {
		h->state = IMAP4_STATE_AUTH;
		h->readonly = false;
	}
	return rc;
}

int imap4_close(imap4 *h)
{
	return leave_mailbox(h, "CLOSE", EXP_EXPUNGE);
}

int imap4_unselect(imap4 *h)
{
	return leave_mailbox(h, "UNSELECT", EXP_NONE);
}

int imap4_expunge(imap4 *h)
{
	return simple(h, IMAP4_SELECTED, "EXPUNGE", EXP_EXPUNGE);
}

int imap4_uid_expunge(imap4 *h, const char *set)
{
	int rc = imap4_cmd_start(h, IMAP4_SELECTED, "UID");

	if (rc)
		return rc;
	imap4_cmd_atom(&h->cmd, "EXPUNGE");
	imap4_cmd_seqset(&h->cmd, set);
	/* Beyond imaplib (whose uid('EXPUNGE') would pop FETCH): nothing. */
	return run_pops(h, EXP_EXPUNGE, NULL);
}

/* COPY / MOVE, plain or UID */
static int transfer(imap4 *h, bool uid, const char *name, const char *set,
                    const char *mailbox)
{
	int rc = imap4_cmd_start(h, IMAP4_SELECTED, uid ? "UID" : name);

	if (rc)
		return rc;
	if (uid)
		imap4_cmd_atom(&h->cmd, name);
	imap4_cmd_seqset(&h->cmd, set);
	imap4_cmd_mailbox(&h->cmd, mailbox);
	/* COPY pops nothing in imaplib; MOVE and UID MOVE are beyond it. */
	return run_pops(h, EXP_EXPUNGE, NULL);
}

int imap4_copy(imap4 *h, const char *set, const char *mailbox)
{
	return transfer(h, false, "COPY", set, mailbox);
}

int imap4_move(imap4 *h, const char *set, const char *mailbox)
{
	return transfer(h, false, "MOVE", set, mailbox);
}

int imap4_uid_move(imap4 *h, const char *set, const char *mailbox)
{
	return transfer(h, true, "MOVE", set, mailbox);
}

int imap4_fetch(imap4 *h, const char *set, const char *items)
{
	int rc = imap4_cmd_start(h, IMAP4_SELECTED, "FETCH");

	if (rc)
		return rc;
	imap4_cmd_seqset(&h->cmd, set);
	imap4_cmd_raw(&h->cmd, items);
	return run_expect(h, EXP_FETCH);
}

int imap4_fetch_each(imap4 *h, bool uid, const char *set, const char *items,
                     imap4_msg_cb cb, void *payload)
{
	struct imap4_run run = {
	        .expect = EXP_FETCH, .msg_cb = cb, .msg_payload = payload};
	int rc = imap4_cmd_start(h, IMAP4_SELECTED, uid ? "UID" : "FETCH");

	if (rc)
		return rc;
	if (cb == NULL)
		return imap4_fail(h, IMAP4_EINVAL, "fetch_each: no callback");
	if (uid)
		imap4_cmd_atom(&h->cmd, "FETCH");
	imap4_cmd_seqset(&h->cmd, set);
	imap4_cmd_raw(&h->cmd, items);
	return imap4_run(h, &run);
}

int imap4_partial(imap4 *h, uint32_t num, const char *part, uint32_t start,
                  uint32_t length)
{
	int rc = imap4_cmd_start(h, IMAP4_SELECTED, "PARTIAL");

	if (rc)
		return rc;
	if (num == 0)
		return imap4_fail(h, IMAP4_EINVAL, "PARTIAL: message 0");
	imap4_cmd_u32(&h->cmd, num);
	imap4_cmd_raw(&h->cmd, part);
	imap4_cmd_u32(&h->cmd, start);
	imap4_cmd_u32(&h->cmd, length);
	return run_expect(h, EXP_FETCH);
}

int imap4_store(imap4 *h, const char *set, const char *command,
                const char *flags)
{
	int rc = imap4_cmd_start(h, IMAP4_SELECTED, "STORE");

	if (rc)
		return rc;
	imap4_cmd_seqset(&h->cmd, set);
	/* Raw, as imaplib sends it: "(UNCHANGEDSINCE 42) +FLAGS" of RFC 7162
	 * 3.1.3 is no atom. */
	imap4_cmd_raw_balanced(&h->cmd, command);
	paren_raw(&h->cmd, flags);
	return run_expect(h, EXP_FETCH);
}

/* RFC 6855 3: with UTF8=ACCEPT enabled a CHARSET is not allowed, and
 * imaplib refuses it before sending. */
static int add_charset(imap4 *h, const char *charset, bool keyword)
{
	if (charset == NULL || *charset == '\0')
		return 0;
	if (h->sess.utf8)
		return imap4_fail(h, IMAP4_EINVAL,
		                  "no CHARSET allowed in UTF-8 mode");
	if (keyword)
		imap4_cmd_atom(&h->cmd, "CHARSET");
	imap4_cmd_astring(&h->cmd, charset);
	return 0;
}

int imap4_search(imap4 *h, const char *charset, const char *criteria)
{
	int rc = imap4_cmd_start(h, IMAP4_SELECTED, "SEARCH");

	if (rc == 0)
		rc = add_charset(h, charset, true);
	if (rc)
		return rc;
	imap4_cmd_raw(&h->cmd, criteria);
	return run_expect(h, EXP_SEARCH);
}

int imap4_sort(imap4 *h, const char *criteria, const char *charset,
               const char *search)
{
	static const char *const expect[] = {"SORT", "ESEARCH", NULL};
	int rc = imap4_cmd_start(h, IMAP4_SELECTED, "SORT");

	if (rc)
		return rc;
	paren_raw(&h->cmd, criteria);
	imap4_cmd_astring(&h->cmd, charset ? charset : "UTF-8");
	imap4_cmd_raw(&h->cmd, search);
	return run_expect(h, expect);
}

int imap4_thread(imap4 *h, const char *algorithm, const char *charset,
                 const char *search)
{
	static const char *const expect[] = {"THREAD", NULL};
	int rc = imap4_cmd_start(h, IMAP4_SELECTED, "THREAD");

	if (rc)
		return rc;
	imap4_cmd_atom(&h->cmd, algorithm);
	imap4_cmd_astring(&h->cmd, charset ? charset : "UTF-8");
	imap4_cmd_raw(&h->cmd, search);
	return run_expect(h, expect);
}

/* imaplib.uid(): the data of UID SEARCH/SORT/THREAD is named after the
 * command, that of the others is FETCH (and EXPUNGE/VANISHED for MOVE and
 * EXPUNGE). */
static const char *const *uid_expect(const char *command)
{
	static const char *const sort[] = {"SORT", "ESEARCH", NULL};
	static const char *const thread[] = {"THREAD", NULL};
	static const char *const fetch[] = {"FETCH", "EXPUNGE", "VANISHED",
	                                    NULL};

	if (strcasecmp(command, "SEARCH") == 0)
		return EXP_SEARCH;
	if (strcasecmp(command, "SORT") == 0)
		return sort;
	if (strcasecmp(command, "THREAD") == 0)
		return thread;
	return fetch;
}

int imap4_uid(imap4 *h, const char *command, const char *args)
{
	int rc = imap4_cmd_start(h, IMAP4_SELECTED, "UID");

	if (rc)
		return rc;
	if (command == NULL)
		return imap4_fail(h, IMAP4_EINVAL, "UID: no command");
	imap4_cmd_atom(&h->cmd, command);
	if (args && *args)
		imap4_cmd_raw(&h->cmd, args);
	char key[32];
	snprintf(key, sizeof(key), "UID %s", command);
	return run_pops(h, uid_expect(command), imap4_imaplib_pops(key));
}

/* imaplib.recent(): the cached RECENT count, else a NOOP to learn it. */
int imap4_recent(imap4 *h, long *count)
{
	char *text = NULL;
	/* Even answered from the cache, no command was sent: the last
	 * command's completion, data and error must not pass for this
	 * call's. */
	int rc = imap4_begin(h, "NOOP");

	if (rc)
		return rc;
	if (count == NULL)
		return imap4_fail(h, IMAP4_EINVAL, "recent: no count");
	*count = -1;
	imap4_session_pop(&h->sess, "RECENT", &text);
	if (text == NULL) {
		rc = imap4_noop(h);
		if (rc)
			return rc;
		imap4_session_pop(&h->sess, "RECENT", &text);
	}
	if (text) {
		char *end;
		unsigned long v = strtoul(text, &end, 10);

		if (end != text && *end == '\0' && v <= UINT32_MAX)
			*count = (long)v;
		free(text);
	}
	return IMAP4_OK;
}
