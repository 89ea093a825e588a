/* test_core_dovecot.c - libimap4 against a real Dovecot 2.3, and against
 * Python's imaplib as the oracle. Run under tests/harness/with-dovecot.sh.
 *
 * Every test works in mailboxes of its own (named after the test process),
 * so tests may run in parallel with each other and with the daemon's. */
#include "harness/dovecot_env.h"
#include "imap4.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static struct imap4_opts opts(void)
{
	struct imap4_opts o;

	imap4_opts_init(&o);
	o.timeout_ms = 10000;
	o.connect_timeout_ms = 10000;
	o.ca_file = harness_env("IMAP_CA");
	return o;
}

static imap4 *connect_plain(const char *user, const char *pass)
{
	struct imap4_opts o = opts();
	imap4 *h = NULL;
	int rc = imap4_open(&h, harness_env("IMAP_HOST"),
	                    harness_env_port("IMAP_PORT"), &o);

	cr_assert_eq(rc, 0, "open: %s", imap4_open_error());
	cr_assert_eq(imap4_login(h, user, pass), IMAP4_OK, "login: %s",
	             imap4_last_error(h)->message);
	return h;
}

static imap4 *login1(void)
{
	return connect_plain(harness_env("IMAP_USER"),
	                     harness_env("IMAP_PASS"));
}

/* A mailbox name of this test process. */
static void box_name(char *buf, size_t len, const char *what)
{
	snprintf(buf, len, "t%ld-%s", (long)getpid(), what);
}

static void must(imap4 *h, int rc, const char *what)
{
	cr_assert_eq(rc, IMAP4_OK, "%s: %d %s", what, rc,
	             imap4_last_error(h)->message);
}

static void append_n(imap4 *h, const char *box, int n)
{
	for (int i = 0; i < n; i++) {
		char msg[256];

		snprintf(msg, sizeof(msg),
		         "From: a@example.org\nTo: b@example.org\n"
		         "Subject: message %d\n\nbody %d\n",
		         i + 1, i + 1);
		must(h,
		     imap4_append(h, box, i == 0 ? "(\\Seen)" : NULL, -1, msg,
		                  strlen(msg)),
		     "APPEND");
	}
}

static const imap4_resp *find_data(const imap4 *h, const char *name)
{
	for (size_t i = 0; i < imap4_data_count(h); i++)
		if (imap4_data_at(h, i)->name &&
		    strcmp(imap4_data_at(h, i)->name, name) == 0)
			return imap4_data_at(h, i);
	return NULL;
}

static void cleanup(imap4 *h, const char *box)
{
	imap4_unselect(h);
	imap4_delete(h, box);
	imap4_logout(h);
	imap4_free(&h);
}

Test(dovecot, plain_login_and_logout)
{
	imap4 *h = login1();

	cr_assert_eq(imap4_state(h), IMAP4_STATE_AUTH);
	cr_assert(imap4_has_capability(h, "IMAP4REV1"));
	cr_assert_not(imap4_is_tls(h));
	must(h, imap4_noop(h), "NOOP");
	must(h, imap4_logout(h), "LOGOUT");
	cr_assert_eq(imap4_state(h), IMAP4_STATE_LOGOUT);
	imap4_free(&h);
}

Test(dovecot, wrong_password_is_eno)
{
	struct imap4_opts o = opts();
	imap4 *h = NULL;

	cr_assert_eq(imap4_open(&h, harness_env("IMAP_HOST"),
	                        harness_env_port("IMAP_PORT"), &o),
	             0);
	cr_assert_eq(imap4_login(h, harness_env("IMAP_USER"), "wrong"),
	             IMAP4_ENO);
	imap4_free(&h);
}

Test(dovecot, starttls_with_ca)
{
	struct imap4_opts o = opts();
	imap4 *h = NULL;

	o.tls = IMAP4_TLS_STARTTLS;
	cr_assert_eq(imap4_open(&h, harness_env("IMAP_HOST"),
	                        harness_env_port("IMAP_PORT"), &o),
	             0, "%s", imap4_open_error());
	cr_assert(imap4_is_tls(h));
	cr_assert_not(imap4_has_capability(h, "STARTTLS"));
	must(h,
	     imap4_login(h, harness_env("IMAP_USER"), harness_env("IMAP_PASS")),
	     "LOGIN");
	must(h, imap4_logout(h), "LOGOUT");
	imap4_free(&h);
}

Test(dovecot, implicit_tls_and_sasl)
{
	struct imap4_opts o = opts();
	imap4 *h = NULL;

	cr_assert_eq(imap4_open_ssl(&h, harness_env("IMAP_HOST"),
	                            harness_env_port("IMAPS_PORT"), &o),
	             0, "%s", imap4_open_error());
	cr_assert(imap4_is_tls(h));
	must(h,
	     imap4_authenticate_sasl(h, "PLAIN", NULL, harness_env("IMAP_USER"),
	                             harness_env("IMAP_PASS")),
	     "AUTHENTICATE PLAIN");
	cr_assert_eq(imap4_state(h), IMAP4_STATE_AUTH);
	must(h, imap4_logout(h), "LOGOUT");
	imap4_free(&h);
}

Test(dovecot, scram_and_cram_when_offered)
{
	const char *mechs[] = {"SCRAM-SHA-256", "CRAM-MD5"};

	for (size_t i = 0; i < 2; i++) {
		struct imap4_opts o = opts();
		char cap[32];
		imap4 *h = NULL;

		o.tls = IMAP4_TLS_STARTTLS;
		cr_assert_eq(imap4_open(&h, harness_env("IMAP_HOST"),
		                        harness_env_port("IMAP_PORT"), &o),
		             0, "%s", imap4_open_error());
		snprintf(cap, sizeof(cap), "AUTH=%s", mechs[i]);
		if (imap4_has_capability(h, cap))
			must(h,
			     imap4_authenticate_sasl(h, mechs[i], NULL,
			                             harness_env("IMAP_USER"),
			                             harness_env("IMAP_PASS")),
			     mechs[i]);
		imap4_free(&h);
	}
}

Test(dovecot, stream_transport_preauth)
{
	struct imap4_opts o = opts();
	imap4 *h = NULL;

	cr_assert_eq(imap4_open_stream(&h, harness_env("IMAP_PREAUTH_CMD"), &o),
	             0, "%s", imap4_open_error());
	cr_assert_eq(imap4_state(h), IMAP4_STATE_AUTH);
	must(h, imap4_list(h, "", "INBOX"), "LIST");
	cr_assert_not_null(find_data(h, "LIST"));
	must(h, imap4_logout(h), "LOGOUT");
	imap4_free(&h);
}

Test(dovecot, non_ascii_mailbox_lifecycle)
{
	imap4 *h = login1();
	char box[64], renamed[64], pattern[64];
	imap4_list_entry e;
	const imap4_resp *r;

	box_name(box, sizeof(box), "Entw\xc3\xbcrfe \xe2\x82\xac");
	box_name(renamed, sizeof(renamed), "\xc3\x84rger");
	box_name(pattern, sizeof(pattern), "*");
	must(h, imap4_create(h, box), "CREATE");
	must(h, imap4_list(h, "", pattern), "LIST");
	r = find_data(h, "LIST");
	cr_assert_not_null(r);
	cr_assert_eq(imap4_list_parse(&e, r), 0);
	cr_assert_str_eq(e.name_utf8, box);
	cr_assert_neq(strcmp(e.name, box), 0, "sent as modified UTF-7");
	must(h, imap4_rename(h, box, renamed), "RENAME");
	must(h, imap4_status(h, renamed, "(MESSAGES)"), "STATUS");
	cr_assert_eq(imap4_status(h, box, "(MESSAGES)"), IMAP4_NO);
	must(h, imap4_delete(h, renamed), "DELETE");
	must(h, imap4_list(h, "", pattern), "LIST");
	cr_assert_null(find_data(h, "LIST"));
	imap4_logout(h);
	imap4_free(&h);
}

struct bodies {
	int n;
	uint32_t uids[8];
	bool seen[8];
	char subject[8][32];
};

static int on_msg(void *payload, const imap4_msg *m, const imap4_resp *r)
{
	struct bodies *b = payload;
	const char *s;

	cr_assert_lt(b->n, 8);
	cr_assert(m->have & IMAP4_HAVE_UID);
	cr_assert(m->have & IMAP4_HAVE_SECTIONS);
	b->uids[b->n] = m->uid;
	b->seen[b->n] = imap4_msg_has_flag(m, "\\Seen");
	s = memmem(m->sections->data, m->sections->len, "Subject: ", 9);
	cr_assert_not_null(s);
	sscanf(s + 9, "%31[^\r]", b->subject[b->n]);
	b->n++;
	return 0;
}

Test(dovecot, append_and_fetch_each_round_trip)
{
	imap4 *h = login1();
	struct bodies b = {0};
	imap4_mailbox_info mi;
	imap4_copyuid au;
	uint32_t last_uid, uidvalidity;
	char box[64];

	box_name(box, sizeof(box), "fetch");
	must(h, imap4_create(h, box), "CREATE");
	append_n(h, box, 3);
	cr_assert_eq(imap4_resp_appenduid(&au, imap4_completion(h)), 0);
	/* views live until the next call on the handle */
	last_uid = au.dst.ranges[0].lo;
	uidvalidity = au.uidvalidity;
	must(h, imap4_select(h, &mi, box, false), "SELECT");
	cr_assert_eq(mi.exists, 3);
	cr_assert_eq(mi.uidvalidity, uidvalidity);
	must(h,
	     imap4_fetch_each(h, true, "1:*", "(UID FLAGS BODY.PEEK[])", on_msg,
	                      &b),
	     "UID FETCH");
	cr_assert_eq(b.n, 3);
	cr_assert(b.seen[0]);
	cr_assert_not(b.seen[1]);
	cr_assert_str_eq(b.subject[2], "message 3");
	cr_assert_eq(b.uids[2], last_uid);
	cleanup(h, box);
}

Test(dovecot, search_esearch_and_store)
{
	imap4 *h = login1();
	imap4_search_result sr;
	imap4_msg m;
	const imap4_resp *r;
	char box[64];

	box_name(box, sizeof(box), "search");
	must(h, imap4_create(h, box), "CREATE");
	append_n(h, box, 4);
	must(h, imap4_select(h, NULL, box, false), "SELECT");

	must(h, imap4_search(h, NULL, "UNSEEN"), "SEARCH");
	r = find_data(h, "SEARCH");
	cr_assert_not_null(r);
	cr_assert_eq(imap4_search_parse(&sr, r), 0);
	cr_assert_eq(sr.count, 3);
	cr_assert_eq(sr.nums[0], 2);

	must(h, imap4_uid(h, "SEARCH", "RETURN (MIN MAX COUNT) ALL"),
	     "UID SEARCH RETURN");
	r = find_data(h, "ESEARCH");
	cr_assert_not_null(r);
	cr_assert_eq(imap4_search_parse(&sr, r), 0);
	cr_assert(sr.esearch);
	cr_assert(sr.uid);
	cr_assert_eq(sr.n, 4);
	cr_assert_lt(sr.min, sr.max);

	must(h, imap4_store(h, "2", "+FLAGS", "(\\Flagged $Work)"), "STORE");
	r = find_data(h, "FETCH");
	cr_assert_not_null(r);
	cr_assert_eq(imap4_msg_parse(&m, r), 0);
	cr_assert_eq(m.seq, 2);
	cr_assert(imap4_msg_has_flag(&m, "\\flagged"));
	cr_assert(imap4_msg_has_flag(&m, "$Work"));
	cleanup(h, box);
}

struct vanished {
	int vanished, fetched;
	uint32_t lo;
};

static int on_resync(void *payload, const imap4_resp *r)
{
	struct vanished *v = payload;
	imap4_vanished van;

	if (strcmp(r->name, "VANISHED") == 0) {
		cr_assert_eq(imap4_vanished_parse(&van, r), 0);
		cr_assert(van.earlier);
		v->lo = van.uids.ranges[0].lo;
		v->vanished++;
	} else {
		v->fetched++;
	}
	return 0;
}

Test(dovecot, condstore_qresync_sees_vanished)
{
	imap4 *h = login1();
	struct imap4_select_params p = {.condstore = true};
	struct vanished v = {0};
	imap4_mailbox_info mi;
	uint32_t uidvalidity;
	uint64_t modseq;
	char box[64];

	box_name(box, sizeof(box), "qresync");
	must(h, imap4_create(h, box), "CREATE");
	append_n(h, box, 3);
	must(h, imap4_select_ex(h, &mi, box, &p, NULL, NULL), "SELECT");
	cr_assert_gt(mi.highestmodseq, 0);
	uidvalidity = mi.uidvalidity;
	modseq = mi.highestmodseq;
	must(h, imap4_uid(h, "STORE", "1:* +FLAGS.SILENT (\\Deleted)"),
	     "STORE");
	must(h, imap4_close(h), "CLOSE");

	/* reopen with what we knew: the expunges come back as VANISHED */
	p.condstore = false;
	p.qresync_uidvalidity = uidvalidity;
	p.qresync_modseq = modseq;
	must(h, imap4_select_ex(h, &mi, box, &p, on_resync, &v),
	     "SELECT QRESYNC");
	cr_assert(imap4_is_enabled(h, "QRESYNC"));
	cr_assert_eq(v.vanished, 1);
	cr_assert_eq(mi.exists, 0);
	cr_assert_gt(mi.highestmodseq, modseq);
	cleanup(h, box);
}

struct other {
	char box[64];
	int delay_ms;
};

static void *append_from_second_connection(void *arg)
{
	struct other *o = arg;
	struct timespec ts = {0, (long)o->delay_ms * 1000000L};
	imap4 *h2;

	nanosleep(&ts, NULL);
	h2 = login1();
	append_n(h2, o->box, 1);
	imap4_logout(h2);
	imap4_free(&h2);
	return NULL;
}

static int stop_on_exists(void *payload, const imap4_resp *r)
{
	if (strcmp(r->name, "EXISTS") == 0) {
		*(uint32_t *)payload = r->number;
		return 1;
	}
	return 0;
}

Test(dovecot, idle_sees_append_from_second_connection, .timeout = 60)
{
	imap4 *h = login1();
	struct other o = {.delay_ms = 300};
	uint32_t exists = 0;
	pthread_t th;
	int64_t start;

	box_name(o.box, sizeof(o.box), "idle");
	must(h, imap4_create(h, o.box), "CREATE");
	must(h, imap4_select(h, NULL, o.box, false), "SELECT");
	cr_assert_eq(
	        pthread_create(&th, NULL, append_from_second_connection, &o),
	        0);
	start = time(NULL);
	must(h, imap4_idle(h, 20000, stop_on_exists, &exists), "IDLE");
	pthread_join(th, NULL);
	cr_assert_eq(exists, 1);
	cr_assert_lt(time(NULL) - start, 15);
	cleanup(h, o.box);
}

static int stop_on_status(void *payload, const imap4_resp *r)
{
	imap4_status_info *st = payload;

	if (strcmp(r->name, "STATUS") != 0)
		return 0;
	cr_assert_eq(imap4_status_parse(st, r), 0);
	return 1;
}

/* Dovecot 2.3 pushes NOTIFY events of other mailboxes at once as STATUS;
 * those of the selected one wait for its next mailbox check. */
Test(dovecot, notify_then_wait, .timeout = 60)
{
	imap4 *h = login1();
	struct other o = {.delay_ms = 200};
	imap4_status_info st = {0};
	char spec[160];
	pthread_t th;

	box_name(o.box, sizeof(o.box), "notify");
	must(h, imap4_create(h, o.box), "CREATE");
	cr_assert(imap4_has_capability(h, "NOTIFY"));
	snprintf(spec, sizeof(spec),
	         "(mailboxes %s (MessageNew MessageExpunge))", o.box);
	must(h, imap4_notify(h, spec), "NOTIFY");
	cr_assert_eq(
	        pthread_create(&th, NULL, append_from_second_connection, &o),
	        0);
	must(h, imap4_wait(h, 20000, stop_on_status, &st), "wait");
	pthread_join(th, NULL);
	cr_assert_str_eq(st.mailbox, o.box);
	cr_assert(st.have & IMAP4_ST_MESSAGES);
	cr_assert_eq(st.messages, 1);
	must(h, imap4_notify(h, NULL), "NOTIFY NONE");
	cleanup(h, o.box);
}

Test(dovecot, acl_and_quota)
{
	imap4 *h = login1();
	const imap4_resp *r;
	char box[64];

	box_name(box, sizeof(box), "acl");
	must(h, imap4_create(h, box), "CREATE");
	must(h, imap4_myrights(h, box), "MYRIGHTS");
	r = find_data(h, "MYRIGHTS");
	cr_assert_not_null(r);
	cr_assert(strchr(imap4_arg_string(imap4_arg_nth(r->args, 1)), 'a'));
	must(h, imap4_setacl(h, box, harness_env("IMAP_USER2"), "lr"),
	     "SETACL");
	must(h, imap4_getacl(h, box), "GETACL");
	r = find_data(h, "ACL");
	cr_assert_not_null(r);
	cr_assert(strstr(r->raw, harness_env("IMAP_USER2")), "%s", r->raw);
	must(h, imap4_deleteacl(h, box, harness_env("IMAP_USER2")),
	     "DELETEACL");

	must(h, imap4_getquotaroot(h, "INBOX"), "GETQUOTAROOT");
	cr_assert_not_null(find_data(h, "QUOTAROOT"));
	r = find_data(h, "QUOTA");
	cr_assert_not_null(r);
	cr_assert(strstr(r->raw, "STORAGE"), "%s", r->raw);
	cleanup(h, box);
}

Test(dovecot, compress_then_fetch)
{
	imap4 *h = login1();
	struct bodies b = {0};
	char box[64];

	box_name(box, sizeof(box), "deflate");
	cr_assert(imap4_has_capability(h, "COMPRESS=DEFLATE"));
	must(h, imap4_compress(h), "COMPRESS");
	cr_assert(imap4_is_compressed(h));
	must(h, imap4_create(h, box), "CREATE");
	append_n(h, box, 2);
	must(h, imap4_select(h, NULL, box, false), "SELECT");
	must(h,
	     imap4_fetch_each(h, false, "1:*", "(UID FLAGS BODY.PEEK[])",
	                      on_msg, &b),
	     "FETCH");
	cr_assert_eq(b.n, 2);
	cr_assert_str_eq(b.subject[1], "message 2");
	cleanup(h, box);
}

Test(dovecot, id_exchange)
{
	const char *kv[] = {"name", "libimap4", "version", "0.1", NULL};
	imap4 *h = login1();
	const imap4_resp *r;

	must(h, imap4_id(h, kv), "ID");
	r = find_data(h, "ID");
	cr_assert_not_null(r);
	cr_assert(strstr(r->raw, "Dovecot"), "%s", r->raw);
	imap4_logout(h);
	imap4_free(&h);
}

Test(dovecot, move_reports_copyuid)
{
	imap4 *h = login1();
	imap4_copyuid cu = {0};
	char box[64], dst[64];
	bool found = false;

	box_name(box, sizeof(box), "movesrc");
	box_name(dst, sizeof(dst), "movedst");
	must(h, imap4_create(h, box), "CREATE");
	must(h, imap4_create(h, dst), "CREATE");
	append_n(h, box, 2);
	must(h, imap4_select(h, NULL, box, false), "SELECT");
	must(h, imap4_uid_move(h, "1:*", dst), "UID MOVE");
	/* RFC 6851 4.3: COPYUID in an untagged OK before the expunges */
	for (size_t i = 0; i < imap4_data_count(h) && !found; i++)
		found = imap4_resp_copyuid(&cu, imap4_data_at(h, i)) == 0;
	if (!found)
		found = imap4_resp_copyuid(&cu, imap4_completion(h)) == 0;
	cr_assert(found);
	cr_assert_eq(cu.dst.count, 1);
	cr_assert_not_null(find_data(h, "EXPUNGE"));
	must(h, imap4_status(h, dst, "(MESSAGES)"), "STATUS");
	imap4_delete(h, dst);
	cleanup(h, box);
}

static int take_date(void *payload, const imap4_msg *m, const imap4_resp *r)
{
	imap4_msg *out = payload;

	(void)r;
	cr_assert(m->have & IMAP4_HAVE_INTERNALDATE);
	out->internaldate = m->internaldate;
	out->internaldate_tz = m->internaldate_tz;
	return 0;
}

/* imaplib's append() with a date string: the instant it names is stored.
 * (Dovecot's maildir keeps the instant alone and answers in its own zone,
 * as it does to imaplib; that the zone goes as given is test_parity.c's.
 * It also stores 31-Dec-1969 23:59:59, the -1 imap4_append cannot send,
 * as 13-Dec-1901 20:45:52, INT32_MIN, for imaplib too.) */
Test(dovecot, append_internaldate_as_imaplib_sends_it)
{
	imap4 *h = login1();
	const char *msg = "Subject: dated\r\n\r\nx\r\n";
	imap4_msg m = {0};
	char box[64];

	box_name(box, sizeof(box), "dated");
	must(h, imap4_create(h, box), "CREATE");
	must(h,
	     imap4_append_internaldate(h, box, NULL,
	                               "\"01-Jan-2020 10:00:00 +0530\"", msg,
	                               strlen(msg)),
	     "APPEND +0530");
	must(h,
	     imap4_append_internaldate(h, box, "\\Seen",
	                               " 2-feb-2021 23:00:00 -0800", msg,
	                               strlen(msg)),
	     "APPEND -0800");
	cr_assert_eq(imap4_append_internaldate(h, box, NULL,
	                                       "1-Jan-2020 10:00:00 +0530", msg,
	                                       strlen(msg)),
	             IMAP4_EINVAL);
	must(h, imap4_select(h, NULL, box, false), "SELECT");
	must(h, imap4_fetch_each(h, false, "1", "INTERNALDATE", take_date, &m),
	     "FETCH 1");
	cr_assert_eq(m.internaldate, 1577853000); /* 04:30 UTC */
	must(h, imap4_fetch_each(h, false, "2", "INTERNALDATE", take_date, &m),
	     "FETCH 2");
	cr_assert_eq(m.internaldate, 1612335600); /* 3 Feb 07:00 UTC */
	cr_assert_eq(imap4_data_count(h), 0);
	cleanup(h, box);
}

/* Whether response(name) holds something, popping it. */
static bool cached(imap4 *h, const char *name)
{
	char *text = NULL;

	cr_assert_eq(imap4_response(&text, h, name), 0);
	free(text);
	return text != NULL;
}

/* imaplib's methods pop their own data from response()'s cache: after our
 * EXPUNGE, response('EXPUNGE') is None, and only another session's
 * EXPUNGE, seen at a NOOP, is news. */
Test(dovecot, own_data_is_popped_news_is_kept)
{
	imap4 *h = login1(), *h2 = login1();
	char box[64];

	box_name(box, sizeof(box), "pops");
	must(h, imap4_create(h, box), "CREATE");
	append_n(h, box, 4);
	/* LOGIN's [CAPABILITY ...]: imaplib's login() keeps it too */
	cr_assert(cached(h, "CAPABILITY"));
	must(h, imap4_capability(h), "CAPABILITY");
	cr_assert_not(cached(h, "CAPABILITY"));
	must(h, imap4_list(h, "", box), "LIST");
	cr_assert_not_null(find_data(h, "LIST"));
	cr_assert_not(cached(h, "LIST"));
	must(h, imap4_lsub(h, "", "*"), "LSUB");
	cr_assert_not(cached(h, "LSUB"));
	must(h, imap4_status(h, box, "(MESSAGES)"), "STATUS");
	cr_assert_not_null(find_data(h, "STATUS"));
	cr_assert_not(cached(h, "STATUS"));
	must(h, imap4_namespace(h), "NAMESPACE");
	cr_assert_not(cached(h, "NAMESPACE"));
	must(h, imap4_getacl(h, box), "GETACL");
	cr_assert_not(cached(h, "ACL"));
	must(h, imap4_myrights(h, box), "MYRIGHTS");
	cr_assert_not(cached(h, "MYRIGHTS"));
	must(h, imap4_getquotaroot(h, "INBOX"), "GETQUOTAROOT");
	cr_assert_not_null(find_data(h, "QUOTA"));
	cr_assert_not(cached(h, "QUOTAROOT"));
	cr_assert_not(cached(h, "QUOTA"));

	must(h, imap4_select(h, NULL, box, false), "SELECT");
	cr_assert(cached(h, "EXISTS")); /* select() does not pop it */
	must(h, imap4_fetch(h, "1:*", "(FLAGS)"), "FETCH");
	cr_assert_eq(imap4_data_count(h), 4);
	cr_assert_not(cached(h, "FETCH"));
	must(h, imap4_store(h, "1", "+FLAGS", "(\\Deleted)"), "STORE");
	cr_assert_not(cached(h, "FETCH"));
	must(h, imap4_search(h, NULL, "ALL"), "SEARCH");
	cr_assert_not(cached(h, "SEARCH"));
	must(h, imap4_sort(h, "DATE", NULL, "ALL"), "SORT");
	cr_assert_not(cached(h, "SORT"));
	must(h, imap4_thread(h, "REFERENCES", NULL, "ALL"), "THREAD");
	cr_assert_not(cached(h, "THREAD"));
	must(h, imap4_uid(h, "SEARCH", "ALL"), "UID SEARCH");
	cr_assert_not(cached(h, "SEARCH"));
	must(h, imap4_uid(h, "FETCH", "1:* (FLAGS)"), "UID FETCH");
	cr_assert_not(cached(h, "FETCH"));
	must(h, imap4_expunge(h), "EXPUNGE");
	cr_assert_not_null(find_data(h, "EXPUNGE"));
	cr_assert_not(cached(h, "EXPUNGE"));

	/* another session expunges: that EXPUNGE is news */
	must(h2, imap4_select(h2, NULL, box, false), "SELECT 2");
	must(h2, imap4_store(h2, "1", "+FLAGS", "(\\Deleted)"), "STORE 2");
	must(h2, imap4_expunge(h2), "EXPUNGE 2");
	must(h, imap4_noop(h), "NOOP");
	cr_assert(cached(h, "EXPUNGE"));
	imap4_logout(h2);
	imap4_free(&h2);
	cleanup(h, box);
}

/* ---- conformance: the same facts through imaplib */

static void run_imaplib(const char *box, char *out, size_t cap)
{
	char cmd[512];
	FILE *p;
	size_t n;

	snprintf(cmd, sizeof(cmd),
	         "python3 tests/integration/imaplib_session.py '%s'", box);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	n = fread(out, 1, cap - 1, p);
	out[n] = '\0';
	cr_assert_eq(pclose(p), 0, "imaplib_session.py failed: %s", out);
}

static int collect_flags(void *payload, const imap4_msg *m, const imap4_resp *r)
{
	char *out = payload;
	const char *sorted[16];
	size_t n = m->nflags < 16 ? m->nflags : 16;

	for (size_t i = 0; i < n; i++)
		sorted[i] = m->flags[i];
	for (size_t i = 1; i < n; i++) /* imaplib's side sorts them too */
		for (size_t j = i;
		     j > 0 && strcmp(sorted[j - 1], sorted[j]) > 0; j--) {
			const char *t = sorted[j];
			sorted[j] = sorted[j - 1];
			sorted[j - 1] = t;
		}
	sprintf(out + strlen(out), "flags %u", m->uid);
	for (size_t i = 0; i < n; i++)
		sprintf(out + strlen(out), " %s", sorted[i]);
	strcat(out, "\n");
	return 0;
}

Test(dovecot, same_answers_as_imaplib, .timeout = 60)
{
	imap4 *h = login1();
	char box[64], mine[4096] = "", theirs[4096];
	imap4_status_info st;
	imap4_mailbox_info mi;
	imap4_search_result sr;
	const imap4_resp *r;

	box_name(box, sizeof(box), "oracle");
	must(h, imap4_create(h, box), "CREATE");
	append_n(h, box, 5);
	must(h, imap4_select(h, NULL, box, false), "SELECT");
	must(h, imap4_store(h, "2,4", "+FLAGS", "(\\Flagged $Label1)"),
	     "STORE");
	must(h, imap4_store(h, "3", "+FLAGS", "(\\Deleted)"), "STORE");
	must(h, imap4_expunge(h), "EXPUNGE");
	must(h, imap4_unselect(h), "UNSELECT");

	must(h, imap4_status(h, box, "(MESSAGES UIDNEXT UIDVALIDITY UNSEEN)"),
	     "STATUS");
	r = find_data(h, "STATUS");
	cr_assert_not_null(r);
	cr_assert_eq(imap4_status_parse(&st, r), 0);
	sprintf(mine, "status %u %u %u %u\n", st.messages, st.uidnext,
	        st.uidvalidity, st.unseen);
	must(h, imap4_select(h, &mi, box, true), "EXAMINE");
	must(h, imap4_uid(h, "SEARCH", "ALL"), "UID SEARCH");
	r = find_data(h, "SEARCH");
	cr_assert_not_null(r);
	cr_assert_eq(imap4_search_parse(&sr, r), 0);
	strcat(mine, "uids");
	for (size_t i = 0; i < sr.count; i++)
		sprintf(mine + strlen(mine), " %u", sr.nums[i]);
	strcat(mine, "\n");
	must(h,
	     imap4_fetch_each(h, true, "1:*", "(FLAGS)", collect_flags, mine),
	     "UID FETCH");
	sprintf(mine + strlen(mine), "exists %u\n", mi.exists);

	run_imaplib(box, theirs, sizeof(theirs));
	cr_assert_str_eq(mine, theirs);
	cleanup(h, box);
}

/* Dovecot reads no literal of a command it rejects first (an unknown
 * flag, an unknown command): with LITERAL+ the literal's lines would run
 * as commands. Neither of these may create the mailbox its text names. */
Test(dovecot, no_text_of_a_rejected_command_runs)
{
	imap4 *h = login1();
	char box[64], msg[160], user[96];
	box_name(box, sizeof(box), "injected");
	snprintf(msg, sizeof(msg), "Subject: x\r\n\r\nx\r\nZ1 CREATE %s\r\n",
	         box);
	cr_assert_eq(imap4_append(h, "INBOX", "(\\Foo)", -1, msg, strlen(msg)),
	             IMAP4_EBAD, "%s", imap4_last_error(h)->message);
	snprintf(user, sizeof(user), "bob\r\nZ2 CREATE %s", box);
	cr_assert_eq(imap4_proxyauth(h, user), IMAP4_EBAD);
	must(h, imap4_list(h, "", box), "LIST");
	cr_assert_eq(imap4_data_count(h), 0, "%s was created", box);
	must(h, imap4_noop(h), "NOOP");
	imap4_logout(h);
	imap4_free(&h);
}

/* RFC 5819 against Dovecot, with the return options of RFC 5258 and 6154
 * the daemon's poll sends beside STATUS: each mailbox's STATUS comes, and
 * the special uses and \HasChildren an extended LIST omits unless asked. */
Test(dovecot, list_status_with_special_use_and_children)
{
	char parent[64], child[80];
	imap4 *h = login1();
	imap4_list_entry e;
	imap4_status_info si;
	bool sent = false, has_children = false, child_status = false;

	cr_assert(imap4_has_capability(h, "LIST-STATUS"));
	box_name(parent, sizeof(parent), "ls");
	snprintf(child, sizeof(child), "%s/c", parent);
	must(h, imap4_create(h, child), "CREATE");
	append_n(h, child, 2);
	char pattern[80];
	snprintf(pattern, sizeof(pattern), "%s*", parent);
	must(h,
	     imap4_list_status(h, "", pattern, "SPECIAL-USE CHILDREN",
	                       "MESSAGES UIDNEXT UIDVALIDITY HIGHESTMODSEQ",
	                       60000),
	     "LIST-STATUS");
	for (size_t i = 0; i < imap4_data_count(h); i++) {
		const imap4_resp *r = imap4_data_at(h, i);
		if (strcmp(r->name, "LIST") == 0) {
			cr_assert_eq(imap4_list_parse(&e, r), 0);
			if (strcmp(e.name, parent) == 0)
				has_children =
				        e.attr_bits & IMAP4_MBOX_HASCHILDREN;
		} else if (strcmp(r->name, "STATUS") == 0) {
			cr_assert_eq(imap4_status_parse(&si, r), 0);
			if (strcmp(si.mailbox, child) == 0)
				child_status =
				        si.messages == 2 && si.uidnext == 3 &&
				        si.uidvalidity && si.highestmodseq;
		}
	}
	cr_assert(has_children, "no \\HasChildren on %s", parent);
	cr_assert(child_status, "no whole STATUS of %s", child);
	must(h,
	     imap4_list_status(h, "", "Sent", "SPECIAL-USE CHILDREN",
	                       "MESSAGES", 60000),
	     "LIST-STATUS Sent");
	const imap4_resp *r = find_data(h, "LIST");
	cr_assert_not_null(r);
	cr_assert_eq(imap4_list_parse(&e, r), 0);
	sent = e.special_use && strcmp(e.special_use, "\\Sent") == 0;
	cr_assert(sent, "Sent lost its special use");
	cr_assert_not_null(find_data(h, "STATUS"));
	imap4_delete(h, child);
	cleanup(h, parent);
}
