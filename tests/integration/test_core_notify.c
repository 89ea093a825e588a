/* test_core_notify.c - NOTIFY (RFC 5465) through libimap4 alone, against a
 * real Dovecot 2.3 (mailbox_list_index = yes, which its NOTIFY needs), as a
 * C program that uses the library without the daemon would. Another
 * session makes the news (a second connection: a Python process per
 * change cost a second each on a loaded machine); the library reads it
 * while idling and types each response with its view.
 *
 * Every test works in mailboxes of its own (named after the test process),
 * so tests may run in parallel with each other and with the daemon's. */
#include "harness/dovecot_env.h"
#include "imap4.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static imap4 *login1(void)
{
	struct imap4_opts o;
	imap4 *h = NULL;

	imap4_opts_init(&o);
	o.timeout_ms = 10000;
	o.connect_timeout_ms = 10000;
	int rc = imap4_open(&h, harness_env("IMAP_HOST"),
	                    harness_env_port("IMAP_PORT"), &o);
	cr_assert_eq(rc, 0, "open: %s", imap4_open_error());
	/* mmuser2, not the user nearly every other test changes at once:
	 * Dovecot 2.3 left NOTIFY news of mmuser untold for 20 s and more
	 * while other sessions of it changed mailboxes (--jobs 3 and 4). */
	cr_assert_eq(imap4_login(h, harness_env("IMAP_USER2"),
	                         harness_env("IMAP_PASS2")),
	             IMAP4_OK, "login: %s", imap4_last_error(h)->message);
	return h;
}

static void must(imap4 *h, int rc, const char *what)
{
	cr_assert_eq(rc, IMAP4_OK, "%s: %d %s", what, rc,
	             imap4_last_error(h)->message);
}

/* The other client, a session of its own that makes the news. */
static imap4 *other_client(void)
{
	return login1();
}

static void other_append(imap4 *o, const char *box, const char *subject)
{
	char msg[160];

	snprintf(msg, sizeof(msg),
	         "From: a@example.org\r\nSubject: %s\r\n\r\nhello\r\n",
	         subject);
	must(o, imap4_append(o, box, NULL, -1, msg, strlen(msg)), "APPEND");
}

/* UID 1 of box gets a flag (flag "\\Seen"), or goes (flag NULL). */
static void other_store(imap4 *o, const char *box, const char *flag)
{
	char args[64];

	snprintf(args, sizeof(args), "1 +FLAGS (%s)",
	         flag ? flag : "\\Deleted");
	must(o, imap4_select(o, NULL, box, false), "SELECT");
	must(o, imap4_uid(o, "STORE", args), "UID STORE");
	if (!flag)
		must(o, imap4_expunge(o), "EXPUNGE");
	must(o, imap4_unselect(o), "UNSELECT");
}

/* What the idling client saw, each response typed by its view. */
struct seen {
	const char *want;  /* the name that ends the IDLE */
	const char *match; /* for STATUS and LIST: the mailbox it names */
	int status, fetch, expunge, list, exists, other;
	imap4_status_info st;
	uint32_t fetch_seq, fetch_uid, expunge_seq, exists_n;
	bool fetch_flags, fetch_seen, fetch_has_uid;
	unsigned list_bits;
	char list_name[96], list_old[96];
	bool done;
};

static int on_news(void *payload, const imap4_resp *r)
{
	struct seen *s = payload;

	cr_assert_eq(r->type, IMAP4_RESP_UNTAGGED);
	if (strcmp(r->name, "STATUS") == 0) {
		imap4_status_info st;
		cr_assert_eq(imap4_status_parse(&st, r), 0, "%.*s",
		             (int)r->raw_len, r->raw);
		s->status++;
		if (s->match && strcmp(st.mailbox, s->match) != 0)
			return 0;
		s->st = st;
		/* the view points into the response: keep no pointer */
		s->st.mailbox = NULL;
	} else if (strcmp(r->name, "FETCH") == 0) {
		imap4_msg m;
		cr_assert_eq(imap4_msg_parse(&m, r), 0, "%.*s", (int)r->raw_len,
		             r->raw);
		s->fetch++;
		s->fetch_seq = m.seq;
		s->fetch_has_uid = m.have & IMAP4_HAVE_UID;
		s->fetch_uid = m.uid;
		s->fetch_flags = m.have & IMAP4_HAVE_FLAGS;
		s->fetch_seen = imap4_msg_has_flag(&m, "\\Seen");
	} else if (strcmp(r->name, "EXPUNGE") == 0) {
		cr_assert(r->has_number);
		s->expunge++;
		s->expunge_seq = r->number;
	} else if (strcmp(r->name, "EXISTS") == 0) {
		cr_assert(r->has_number);
		s->exists++;
		s->exists_n = r->number;
	} else if (strcmp(r->name, "LIST") == 0) {
		imap4_list_entry e;
		cr_assert_eq(imap4_list_parse(&e, r), 0, "%.*s",
		             (int)r->raw_len, r->raw);
		s->list++;
		if (s->match && strcmp(e.name_utf8, s->match) != 0)
			return 0;
		s->list_bits = e.attr_bits;
		snprintf(s->list_name, sizeof(s->list_name), "%s", e.name_utf8);
		snprintf(s->list_old, sizeof(s->list_old), "%s",
		         e.oldname ? e.oldname : "");
	} else {
		s->other++;
		return 0;
	}
	if (s->want && strcmp(r->name, s->want) == 0) {
		s->done = true;
		return 1;
	}
	return 0;
}

/* IDLEs until the news s wants came (20 s at most: the machine is
 * shared), and says whether it did. */
static bool idle_for(imap4 *h, struct seen *s, const char *want,
                     const char *match)
{
	memset(s, 0, sizeof(*s));
	s->want = want;
	s->match = match;
	must(h, imap4_idle(h, 20000, on_news, s), "IDLE");
	return s->done;
}

/* The mailbox names of one test: sel is selected, other is watched by
 * the personal filter; made is created, renamed to renamed, deleted. */
struct names {
	char sel[64], other[64], made[64], renamed[64];
};

static void names_init(struct names *n)
{
	long pid = (long)getpid();

	/* Non-ASCII names: Dovecot 2.3 says them in NOTIFY's STATUS and
	 * LIST as raw UTF-8 literals, not in modified UTF-7 (as its other
	 * answers do); the views give UTF-8 for either. */
	snprintf(n->sel, sizeof(n->sel), "t%ld-nsel", pid);
	snprintf(n->other, sizeof(n->other), "t%ld-nandere-\xc3\xa4", pid);
	snprintf(n->made, sizeof(n->made), "t%ld-nR&D", pid);
	snprintf(n->renamed, sizeof(n->renamed), "t%ld-numbenannt-\xc3\xbc",
	         pid);
}

#define SPEC_ALL                                                               \
	"(selected (MessageNew (UID FLAGS) MessageExpunge FlagChange)) "       \
	"(personal (MessageNew MessageExpunge MailboxName))"

/* sel (one message) selected, other empty, and NOTIFY set. */
static imap4 *notifying(const struct names *n, imap4 *o)
{
	imap4 *h = login1();

	cr_assert(imap4_has_capability(h, "NOTIFY"));
	must(h, imap4_create(h, n->sel), "CREATE");
	must(h, imap4_create(h, n->other), "CREATE");
	other_append(o, n->sel, "first");
	must(h, imap4_select(h, NULL, n->sel, false), "SELECT");
	must(h, imap4_notify(h, SPEC_ALL), "NOTIFY SET");
	return h;
}

static void cleanup(imap4 *h, imap4 *o, const struct names *n)
{
	imap4_logout(o);
	imap4_free(&o);
	must(h, imap4_unselect(h), "UNSELECT");
	must(h, imap4_delete(h, n->sel), "DELETE");
	must(h, imap4_delete(h, n->other), "DELETE");
	imap4_logout(h);
	imap4_free(&h);
}

/* Each kind of news RFC 5465 5 gives, from another client's change, read
 * while idling, typed by the view of its kind. */
Test(dovecot, notify_news_is_typed_while_idling, .timeout = 90)
{
	struct names n;
	struct seen s;

	names_init(&n);
	imap4 *o = other_client();
	imap4 *h = notifying(&n, o);

	/* new mail elsewhere: STATUS of that mailbox (5.2) */
	other_append(o, n.other, "elsewhere");
	cr_assert(idle_for(h, &s, "STATUS", n.other), "no STATUS of %s",
	          n.other);
	cr_assert(s.st.have & IMAP4_ST_MESSAGES);
	cr_assert_eq(s.st.messages, 1);
	cr_assert(s.st.have & IMAP4_ST_UIDNEXT);
	cr_assert_eq(s.st.uidnext, 2);

	/* new mail here: EXISTS, and the FETCH MessageNew asked for */
	other_append(o, n.sel, "here");
	cr_assert(idle_for(h, &s, "FETCH", NULL), "no FETCH of new mail");
	cr_assert_eq(s.exists_n, 2);
	cr_assert_eq(s.fetch_seq, 2);
	cr_assert(s.fetch_has_uid);
	cr_assert_eq(s.fetch_uid, 2);
	cr_assert(s.fetch_flags);

	/* a flag set here: FETCH FLAGS (5.1) */
	other_store(o, n.sel, "\\Seen");
	cr_assert(idle_for(h, &s, "FETCH", NULL), "no FETCH of a flag");
	cr_assert_eq(s.fetch_seq, 1);
	cr_assert(s.fetch_flags);
	cr_assert(s.fetch_seen);

	/* an expunge here (5.3) */
	other_store(o, n.sel, NULL);
	cr_assert(idle_for(h, &s, "EXPUNGE", NULL), "no EXPUNGE");
	cr_assert_eq(s.expunge_seq, 1);

	/* the tree (5.4): LIST of a new name, of a renamed one with its
	 * OLDNAME, of a deleted one as \NonExistent */
	must(o, imap4_create(o, n.made), "CREATE");
	cr_assert(idle_for(h, &s, "LIST", n.made), "no LIST of %s", n.made);
	cr_assert_str_eq(s.list_name, n.made);
	cr_assert_not(s.list_bits & IMAP4_MBOX_NONEXISTENT);
	must(o, imap4_rename(o, n.made, n.renamed), "RENAME");
	cr_assert(idle_for(h, &s, "LIST", n.renamed), "no LIST of %s",
	          n.renamed);
	cr_assert_str_eq(s.list_old, n.made);
	cr_assert_not(s.list_bits & IMAP4_MBOX_NONEXISTENT);
	must(o, imap4_delete(o, n.renamed), "DELETE");
	cr_assert(idle_for(h, &s, "LIST", n.renamed), "no LIST of %s",
	          n.renamed);
	cr_assert(s.list_bits & IMAP4_MBOX_NONEXISTENT);
	cleanup(h, o, &n);
}

/* After NOTIFY NONE no news comes, not even of the selected mailbox (RFC
 * 5465 3.1: NONE asks for no events). The STATUS above took Dovecot under
 * half a second; an IDLE of three times that sees none. */
Test(dovecot, notify_none_stops_the_news, .timeout = 60)
{
	struct names n;
	struct seen s;

	names_init(&n);
	imap4 *o = other_client();
	imap4 *h = notifying(&n, o);
	must(h, imap4_notify(h, NULL), "NOTIFY NONE");
	/* Dovecot holds news about 0.5 s: what other tests of this user did
	 * just before the NONE may still come after it. A NOOP once that
	 * time is past takes it in; only news of later changes counts. */
	usleep(700000);
	must(h, imap4_noop(h), "NOOP");
	other_append(o, n.other, "quiet");
	memset(&s, 0, sizeof(s));
	must(h, imap4_idle(h, 1500, on_news, &s), "IDLE");
	cr_assert_eq(s.status + s.fetch + s.list + s.exists + s.other, 0,
	             "news after NOTIFY NONE");

	/* set again, news comes again */
	must(h, imap4_notify(h, SPEC_ALL), "NOTIFY SET");
	other_append(o, n.other, "loud");
	cr_assert(idle_for(h, &s, "STATUS", n.other), "no STATUS of %s",
	          n.other);
	cr_assert_eq(s.st.messages, 2);
	cleanup(h, o, &n);
}

/* A NOTIFY SET the server refuses is a result, not a failure: IMAP4_EBAD
 * (Dovecot answers BAD to each of these; IMAP4_NO if another says NO)
 * with the server's text, nothing kept of it, and the handle goes on:
 * the NOTIFY set before still brings its news. One the library cannot
 * send is IMAP4_EINVAL, and nothing is sent. */
Test(dovecot, notify_set_refused_is_no_or_bad, .timeout = 60)
{
	static const char *const refused[] = {
	        "(selected (NoSuchEvent))", /* RFC 5465 3.1: no such event */
	        "(bogus (MessageNew))",     /* no such filter */
	        "(selected MessageNew)",    /* events not a list */
	        "(selected (MessageNew)",   /* unbalanced */
	        "selected",
	};
	struct names n;
	struct seen s;

	names_init(&n);
	imap4 *o = other_client();
	imap4 *h = notifying(&n, o);
	for (size_t i = 0; i < sizeof(refused) / sizeof(*refused); i++) {
		int rc = imap4_notify(h, refused[i]);
		const struct imap4_error_info *e = imap4_last_error(h);

		cr_assert(rc == IMAP4_EBAD || rc == IMAP4_NO, "%s: %d %s",
		          refused[i], rc, e->message);
		cr_assert_eq(e->klass,
		             rc == IMAP4_NO ? IMAP4_CLASS_NONE
		                            : IMAP4_CLASS_ERROR,
		             "%s", refused[i]);
		cr_assert_not_null(e->server_text, "%s", refused[i]);
		cr_assert_not_null(imap4_completion(h));
		cr_assert_str_eq(imap4_completion(h)->name,
		                 rc == IMAP4_NO ? "NO" : "BAD");
		cr_assert_eq(imap4_data_count(h), 0);
		must(h, imap4_noop(h), "NOOP after a refused NOTIFY");
	}
	/* What cannot be sent as one command is refused before anything
	 * is: a line break would end the NOTIFY and start another command
	 * (RELIABILITY rule 6). */
	cr_assert_eq(imap4_notify(h, "(selected (MessageNew))\r\nX DELETE a"),
	             IMAP4_EINVAL);
	cr_assert_null(imap4_completion(h));
	cr_assert_eq(imap4_notify(h, ""), IMAP4_EINVAL);
	must(h, imap4_noop(h), "NOOP after a refused NOTIFY");

	other_append(o, n.other, "still");
	cr_assert(idle_for(h, &s, "STATUS", n.other), "no STATUS of %s",
	          n.other);
	cr_assert_eq(s.st.messages, 1);
	cleanup(h, o, &n);
}
