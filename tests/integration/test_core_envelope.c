/* test_core_envelope.c - imap4_envelope_from_header against Dovecot's own
 * ENVELOPE of the same messages: the header fields that RFC 5322 and its
 * obsolete syntax allow, what senders get wrong, and a few hundred headers
 * made at random from the pieces that parsers trip on. The envelope built
 * from the whole header and the one built from BODY[HEADER.FIELDS (...)]
 * must both equal the server's. Run under tests/harness/with-dovecot.sh. */
#include "harness/dovecot_env.h"
#include "imap4.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static imap4 *login(void)
{
	struct imap4_opts o;
	imap4_opts_init(&o);
	o.timeout_ms = 20000;
	o.connect_timeout_ms = 10000;
	imap4 *h = NULL;
	cr_assert_eq(imap4_open(&h, harness_env("IMAP_HOST"),
	                        harness_env_port("IMAP_PORT"), &o),
	             0, "open: %s", imap4_open_error());
	cr_assert_eq(imap4_login(h, harness_env("IMAP_USER"),
	                         harness_env("IMAP_PASS")),
	             IMAP4_OK);
	return h;
}

static bool same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void describe(char *buf, size_t len, const imap4_address *a)
{
	size_t used = 0;
	buf[0] = '\0';
	for (; a && used < len; a = a->next) {
		int n = snprintf(buf + used, len - used, "(%s|%s|%s|%s)",
		                 a->name ? a->name : "NIL",
		                 a->adl ? a->adl : "NIL",
		                 a->mailbox ? a->mailbox : "NIL",
		                 a->host ? a->host : "NIL");
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

static void same_list(uint32_t uid, const char *what, const imap4_address *want,
                      const imap4_address *got)
{
	char w[4096], g[4096];
	describe(w, sizeof(w), want);
	describe(g, sizeof(g), got);
	cr_expect_str_eq(g, w, "message %u, %s: %s vs %s", uid, what, g, w);
}

static void same_envelope(uint32_t uid, const imap4_envelope *want,
                          const imap4_envelope *got)
{
	const char *ws[] = {want->date, want->subject, want->in_reply_to,
	                    want->message_id};
	const char *gs[] = {got->date, got->subject, got->in_reply_to,
	                    got->message_id};
	const char *names[] = {"date", "subject", "in-reply-to", "message-id"};
	for (size_t i = 0; i < 4; i++)
		cr_expect(same_str(ws[i], gs[i]),
		          "message %u, %s: [%s] vs [%s]", uid, names[i],
		          gs[i] ? gs[i] : "NIL", ws[i] ? ws[i] : "NIL");
	same_list(uid, "from", want->from, got->from);
	same_list(uid, "sender", want->sender, got->sender);
	same_list(uid, "reply-to", want->reply_to, got->reply_to);
	same_list(uid, "to", want->to, got->to);
	same_list(uid, "cc", want->cc, got->cc);
	same_list(uid, "bcc", want->bcc, got->bcc);
}

struct seen {
	struct imap4_arena *arena;
	size_t n;
};

static const imap4_section *section(const imap4_msg *m, const char *prefix)
{
	for (const imap4_section *s = m->sections; s; s = s->next)
		if (s->section &&
		    strncmp(s->section, prefix, strlen(prefix)) == 0)
			return s;
	return NULL;
}

static int compare(void *payload, const imap4_msg *m, const imap4_resp *r)
{
	struct seen *seen = payload;
	(void)r;
	cr_assert(m->have & IMAP4_HAVE_ENVELOPE);
	const char *which[] = {"HEADER.FIELDS", "HEADER"};
	for (size_t i = 0; i < 2; i++) {
		const imap4_section *s = section(m, which[i]);
		cr_assert_not_null(s, "message %u: no %s", m->uid, which[i]);
		const imap4_envelope *e = NULL;
		cr_assert_eq(imap4_envelope_from_header(&e, seen->arena,
		                                        s->data, s->len),
		             0);
		same_envelope(m->uid, m->envelope, e);
	}
	imap4_arena_reset(seen->arena);
	seen->n++;
	return 0;
}

/* Appends each header (with a body) to a new mailbox, fetches ENVELOPE and
 * the header both ways, and compares. */
static void check_headers(const char *what, char **headers, size_t n)
{
	imap4 *h = login();
	char box[64];
	snprintf(box, sizeof(box), "t%ld-env-%s", (long)getpid(), what);
	cr_assert_eq(imap4_create(h, box), IMAP4_OK);
	for (size_t i = 0; i < n; i++) {
		char msg[8192];
		int len = snprintf(msg, sizeof(msg), "%s\r\nbody %zu\r\n",
		                   headers[i], i);
		cr_assert(len > 0 && (size_t)len < sizeof(msg));
		cr_assert_eq(imap4_append(h, box, NULL, -1, msg, (size_t)len),
		             IMAP4_OK, "APPEND %zu: %s", i,
		             imap4_last_error(h)->message);
	}
	imap4_mailbox_info mi;
	cr_assert_eq(imap4_select(h, &mi, box, true), IMAP4_OK);
	struct seen seen = {.arena = imap4_arena_new(0)};
	cr_assert_not_null(seen.arena);
	cr_assert_eq(imap4_fetch_each(h, true, "1:*",
	                              "(UID ENVELOPE BODY.PEEK[HEADER] "
	                              "BODY.PEEK[HEADER.FIELDS "
	                              "(" IMAP4_ENVELOPE_FIELDS ")])",
	                              compare, &seen),
	             IMAP4_OK);
	cr_assert_eq(seen.n, n);
	imap4_arena_free(&seen.arena);
	imap4_unselect(h);
	imap4_delete(h, box);
	imap4_logout(h);
	imap4_free(&h);
}

TestSuite(envelope_dovecot, .timeout = 60);

Test(envelope_dovecot, written_by_hand)
{
	char *headers[] = {
	        /* RFC 5322 appendix A */
	        "From: John Doe <jdoe@machine.example>\r\n"
	        "To: Mary Smith <mary@example.net>\r\n"
	        "Subject: Saying Hello\r\n"
	        "Date: Fri, 21 Nov 1997 09:55:06 -0600\r\n"
	        "Message-ID: <1234@local.machine.example>\r\n",
	        "From: \"Joe Q. Public\" <john.q.public@example.com>\r\n"
	        "To: Mary Smith <mary@x.test>, jdoe@example.org, Who? "
	        "<one@y.test>\r\n"
	        "Cc: <boss@nil.test>, \"Giant; \\\"Big\\\" Box\" "
	        "<sysservices@example.net>\r\n",
	        "From: Pete <pete@silly.example>\r\n"
	        "To: A Group:Ed Jones <c@a.test>,joe@where.test,John "
	        "<jdoe@one.test>;\r\n"
	        "Cc: Undisclosed recipients:;\r\n",
	        "From: Pete(A nice \\) chap) <pete(his account)@silly.test(his "
	        "host)>\r\n"
	        "To:A Group(Some people)\r\n"
	        "     :Chris Jones <c@(Chris's host.)public.example>,\r\n"
	        "         joe@example.org,\r\n"
	        "  John <jdoe@one.test> (my dear friend); (the end of the "
	        "group)\r\n"
	        "Cc:(Empty list)(start)Hidden recipients  :(nobody(that I "
	        "know))  ;\r\n",
	        "From: Joe Q. Public <john.q.public@example.com>\r\n"
	        "To: Mary Smith <@node.test:mary@example.net>, jdoe@test  . "
	        "example\r\n"
	        "Cc: <@route1,@route2:r@x.y>\r\n",
	        /* what senders get wrong */
	        "From: MAILER-DAEMON\r\nTo: undisclosed-recipients:;\r\n"
	        "Subject:   lead and trail   \r\n",
	        "From: a@b.c (Real Name)\r\nTo: \"Doe, John\" <j@x.y>, "
	        "plain@x.y, <angle@x.y>\r\n"
	        "Subject: =?utf-8?q?J=C3=B6rg?=\r\n folded line\r\n",
	        "From: Group: a@b.c, B <b@c.d>;, after@x.y\r\nReply-To:\r\n"
	        "Sender: \r\n",
	        "From: \"quoted \\\"esc\\\" name\" <q@x.y>\r\n"
	        "To: bad address with no at\r\nBcc: x@y.z\r\n"
	        "Message-ID: <id1@x>\r\nIn-Reply-To: <p1@x> <p2@x>\r\n",
	        "From: name.with.dots <d@x.y>\r\nFrom: second@x.y\r\n"
	        "Subject: first\r\nSubject: second\r\n",
	        "To: \"\" <e@x.y>, (comment only) e2@x.y, e3@x.y (c1) (c2)\r\n"
	        "From: <>\r\n",
	        "From: a(comment)@b.c, \"x\" y <z@w>, =?iso-8859-1?q?Andr=E9?= "
	        "Pirard <PIRARD@vm1.ulg.ac.be>\r\nTo: @\r\n",
	        "From: foo@\r\nTo: @bar\r\nCc: a@b@c\r\n",
	        "Subject: no from\r\nDATE: Mon, 1 Jan 2001 00:00:00 GMT\r\n"
	        "message-id: lower\r\n",
	        "Subject: \xe9t\xe9 8-bit\r\nFrom: \xc3\xa9 <u@x.y>\r\n",
	        "From: x@y\r\nTo: a@b,\r\n c@d,\r\n\te@f\r\n",
	        "From: \"folded\r\n quoted\" <f@x.y>\r\nSubject: tab\there\r\n",
	        "From: <a@b> trailing words\r\nTo: Name <a@b> (comment)\r\n",
	        "From: a@[127.0.0.1]\r\nTo: \"q l\"@x.y, \"\"@x.y\r\n",
	        "Subject:\r\nMessage-ID:\r\nFrom: x@y\r\n",
	        "From : spaced@name.x\r\nX-Other: From: not@this.x\r\n",
	        "Subject: Re:  double  space\r\n   and  fold\r\n"
	        /* one to a field: Dovecot reads no further than a syntax
	         * error in a list, where we go on */
	        "To: a@b.\r\nBcc: a@.b\r\nSender: \"a@b\"\r\n"
	        "Reply-To: <a@b@c>\r\n"
	        "Cc: john@example.com John Smith\r\n",
	};
	check_headers("hand", headers, sizeof(headers) / sizeof(*headers));
}

/* Pieces of address lists, put together at random. Known differences are
 * left out of the pieces: Dovecot gives an empty member ("a, , b") an
 * address of its own where RFC 5322 4.4 has it skipped. */
static const char *const pieces[] = {
        "alice@example.org",
        "Bob <bob@example.org>",
        "\"Doe, Jane\" <jane@example.org>",
        "\"q \\\"x\\\" q\" <q@x.org>",
        "(c) carol@example.org (Carol)",
        "dave(at home)@example.org",
        "=?utf-8?q?Fr=C3=A9d?= <fred@example.org>",
        "=?utf-8?b?w6l0w6k=?= =?utf-8?q?x?= <e@example.org>",
        "Team: t1@x.org, T2 <t2@x.org>;",
        "Empty:;",
        "<@relay.example:route@example.org>",
        "name.with.dots <dots@example.org>",
        "user @ example . org",
        "lonelyword",
        "two words",
        "<>",
        "x@y (a (nested) comment)",
        "\"folded\r\n name\" <f@x.org>",
        "Name\r\n <folded@x.org>",
        "a@b\r\n (after a fold)",
        "Who? <who@x.org>",
        "tab\tname <tab@x.org>",
        "\xc3\xa9l\xc3\xa8ve <eleve@x.org>",
        "<angle@x.org>",
        "x@[10.0.0.1]",
};

static const char *const fields[] = {"From", "Sender", "Reply-To",
                                     "To",   "Cc",     "Bcc"};

static char *random_header(unsigned *seed)
{
	char *h = malloc(4096);
	cr_assert_not_null(h);
	size_t used = 0;
	int nfields = 1 + rand_r(seed) % 4;
	for (int f = 0; f < nfields; f++) {
		used += (size_t)snprintf(h + used, 4096 - used,
		                         "%s:", fields[rand_r(seed) % 6]);
		int n = 1 + rand_r(seed) % 4;
		for (int i = 0; i < n; i++) {
			const char *p =
			        pieces[rand_r(seed) %
			               (sizeof(pieces) / sizeof(*pieces))];
			used += (size_t)snprintf(h + used, 4096 - used, "%s%s",
			                         i ? "," : " ", p);
		}
		used += (size_t)snprintf(h + used, 4096 - used, "\r\n");
	}
	if (rand_r(seed) % 2)
		used += (size_t)snprintf(h + used, 4096 - used,
		                         "Subject: s%u\r\n", rand_r(seed));
	return h;
}

Test(envelope_dovecot, made_at_random)
{
	enum { N = 300 };
	char *headers[N];
	unsigned seed = 20261126;
	for (size_t i = 0; i < N; i++)
		headers[i] = random_header(&seed);
	check_headers("random", headers, N);
	for (size_t i = 0; i < N; i++)
		free(headers[i]);
}
