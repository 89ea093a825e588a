/* test_convert.c - typed FETCH data to cache rows: decoding, address
 * lists and groups, flags, and rows that outlive what they came from. */
#include "mailmirrord/config.h"
#include "mailmirrord/convert.h"
#include "scratch_arena.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ADDR(n, m, h, nx)                                                      \
	((imap4_address){                                                      \
	        .name = (n), .mailbox = (m), .host = (h), .next = (nx)})

Test(convert, whole_envelope_decoded_into_one_row)
{
	char subject[] = "=?utf-8?q?Caf=C3=A9?= menu";
	char msgid[] = "<a@b>";
	imap4_address from =
	        ADDR("=?iso-8859-1?q?Ren=E9?=", "rene", "x.org", NULL);
	imap4_address to2 = ADDR(NULL, "bob", "y.net", NULL);
	imap4_address to1 = ADDR("Alice", "alice", "y.net", &to2);
	const char *flags[] = {"\\Seen", "\\Recent", "$Junk"};
	imap4_envelope e = {
	        .date = "Tue, 1 Mar 2022 10:00:00 +0100",
	        .subject = subject,
	        .from = &from,
	        .to = &to1,
	        .message_id = msgid,
	        .in_reply_to = "<p@q>",
	};
	imap4_msg m = {
	        .have = IMAP4_HAVE_UID | IMAP4_HAVE_FLAGS | IMAP4_HAVE_SIZE |
	                IMAP4_HAVE_INTERNALDATE | IMAP4_HAVE_ENVELOPE |
	                IMAP4_HAVE_MODSEQ,
	        .uid = 42,
	        .flags = flags,
	        .nflags = 3,
	        .size = 1234,
	        .internaldate = 1600000000,
	        .modseq = 9,
	        .envelope = &e,
	};
	struct conv_msg c;
	cr_assert_eq(conv_msg(&c, &m, scratch(), CONF_BODY_CAP), 0);
	/* The row must not point into the response. */
	memset(subject, 'x', sizeof(subject) - 1);
	memset(msgid, 'x', sizeof(msgid) - 1);

	const struct store_msg *r = &c.row;
	cr_assert_eq(r->uid, 42);
	cr_assert_eq(r->modseq, 9);
	cr_assert_eq(r->size, 1234);
	cr_assert_eq(r->internaldate, 1600000000);
	cr_assert_eq(r->date, 1646125200);
	cr_assert_str_eq(r->flags, "\\Seen $Junk");
	cr_assert_str_eq(r->subject, "Caf\xc3\xa9 menu");
	cr_assert_str_eq(r->from, "Ren\xc3\xa9 <rene@x.org>");
	cr_assert_str_eq(r->to, "Alice <alice@y.net>, bob@y.net");
	cr_assert_null(r->cc);
	cr_assert_null(r->bcc);
	cr_assert_null(r->sender);
	cr_assert_str_eq(r->message_id, "<a@b>");
	cr_assert_str_eq(r->in_reply_to, "<p@q>");
	/* Every string lives in the row's one block. */
	const char *all[] = {r->flags, r->subject,    r->from,
	                     r->to,    r->message_id, r->in_reply_to};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		cr_assert(all[i] >= c.text && all[i] < c.text + c.bytes,
		          "field %zu is outside the row's block", i);
	conv_clear(&c);
	cr_assert_null(c.text);
	conv_clear(&c); /* twice is harmless */
}

Test(convert, groups_and_names_that_are_empty)
{
	/* "Team: a@x, Bee <b@y>;, solo@z" and an empty named group. */
	imap4_address solo = ADDR("", "solo", "z", NULL);
	imap4_address end = ADDR(NULL, NULL, NULL, &solo);
	imap4_address b = ADDR("Bee", "b", "y", &end);
	imap4_address a = ADDR(NULL, "a", "x", &b);
	imap4_address team = ADDR(NULL, "Team", NULL, &a);
	char *s = conv_addresses(&team);
	cr_assert_str_eq(s, "Team: a@x, Bee <b@y>;, solo@z");
	free(s);

	imap4_address uend = ADDR(NULL, NULL, NULL, NULL);
	imap4_address undisclosed =
	        ADDR(NULL, "undisclosed-recipients", NULL, &uend);
	s = conv_addresses(&undisclosed);
	cr_assert_str_eq(s, "undisclosed-recipients:;");
	free(s);

	cr_assert_null(conv_addresses(NULL));
	/* A word that does not decode is kept as it was sent. */
	imap4_address broken = ADDR("=?x-unknown?q?abc?=", "p", "q", NULL);
	s = conv_addresses(&broken);
	cr_assert_str_eq(s, "=?x-unknown?q?abc?= <p@q>");
	free(s);
	/* A NIL local part (RFC 3501 allows it) keeps the host. */
	imap4_address nolocal = ADDR(NULL, NULL, "host.example", NULL);
	s = conv_addresses(&nolocal);
	cr_assert_str_eq(s, "@host.example");
	free(s);
}

/* A field is one line of printable text: a tab, a line end, an escape
 * sent raw or decoded from an encoded-word become spaces. */
Test(convert, control_characters_become_spaces)
{
	imap4_address from = ADDR("=?utf-8?q?Eve=1B[31m?=", "eve", "x", NULL);
	imap4_envelope env = {.subject = "a\tb\r\nc\x1b]0;title\x07" "d\x7f",
	                      .from = &from};
	imap4_msg m = {.have = IMAP4_HAVE_UID | IMAP4_HAVE_ENVELOPE,
	               .uid = 1,
	               .envelope = &env};
	struct conv_msg c;
	cr_assert_eq(conv_msg(&c, &m, scratch(), CONF_BODY_CAP), 0);
	cr_assert_str_eq(c.row.subject, "a b  c ]0;title d ");
	cr_assert_str_eq(c.row.from, "\"Eve [31m\" <eve@x>");
	conv_clear(&c);
}

/* The same for the controls beyond ASCII: C1's one-character CSI and NEL,
 * and U+2028/U+2029, by which Python's splitlines() cuts a line. Each is
 * one space; the letters around them (é, a C2 lead byte itself) stay. */
Test(convert, unicode_controls_become_spaces)
{
	imap4_address to = ADDR("=?utf-8?b?TkVMwoVOYW1l?=", "nel", "x", NULL);
	imap4_envelope env = {
	        .subject = "=?utf-8?q?a=C2=9B31mb=C2=85c=E2=80=A8d=E2=80=A9e?= "
	                   "caf=?utf-8?q?=C3=A9_=C2=A9?=",
	        .to = &to};
	imap4_msg m = {.have = IMAP4_HAVE_UID | IMAP4_HAVE_ENVELOPE,
	               .uid = 1,
	               .envelope = &env};
	struct conv_msg c;
	cr_assert_eq(conv_msg(&c, &m, scratch(), CONF_BODY_CAP), 0);
	cr_assert_str_eq(c.row.subject, "a 31mb c d e café ©");
	cr_assert_str_eq(c.row.to, "NEL Name <nel@x>");
	conv_clear(&c);
}

/* A name that would not read back as one name is quoted (RFC 5322), so
 * that "Name <addr>, ..." splits back into its addresses: a comma, an
 * encoded-word that decodes to an address of its own, quotes and
 * backslashes inside. A name with a dot alone stays as it is. */
/* A message with more flags than the cache keeps (a server's or a
 * client's runaway keywords) keeps its system flags and the keywords that
 * fit, and says how many it left out, instead of failing its batch. */
Test(convert, flags_past_the_cache_s_bound_are_left_out)
{
	enum { N = 10000 };
	static char words[N][16];
	static const char *flags[N + 2];
	for (int i = 0; i < N; i++) {
		snprintf(words[i], sizeof(words[i]), "kw%05d", i);
		flags[i] = words[i];
	}
	flags[N] = "\\Seen";
	flags[N + 1] = "\\Flagged";
	imap4_msg m = {.have = IMAP4_HAVE_UID | IMAP4_HAVE_FLAGS,
	               .uid = 1,
	               .flags = flags,
	               .nflags = N + 2};
	struct conv_msg c;
	cr_assert_eq(conv_msg(&c, &m, scratch(), CONF_BODY_CAP), 0);
	cr_assert_leq(strlen(c.row.flags), STORE_FLAGS_MAX);
	cr_assert(strncmp(c.row.flags, "\\Seen \\Flagged kw00000 ", 23) == 0,
	          "%.40s", c.row.flags);
	/* 8 bytes a keyword with its space: all that fit, no more */
	unsigned kept = (unsigned)(strlen(c.row.flags) - 14) / 8;
	cr_assert_eq(c.flags_dropped, N - kept);
	cr_assert_gt(STORE_FLAGS_MAX - strlen(c.row.flags), 0);
	cr_assert_lt(STORE_FLAGS_MAX - strlen(c.row.flags), 8);
	conv_clear(&c);

	unsigned dropped = 0;
	char *f = conv_flags(&m, &dropped);
	cr_assert_eq(dropped, N - kept);
	free(f);
}

Test(convert, names_that_hold_specials_are_quoted)
{
	imap4_address ann = ADDR("Smith, Ann", "ann", "example.org", NULL);
	imap4_address doe = ADDR("Doe, John", "john", "example.org", &ann);
	char *s = conv_addresses(&doe);
	cr_assert_str_eq(s, "\"Doe, John\" <john@example.org>, "
	                    "\"Smith, Ann\" <ann@example.org>");
	free(s);

	/* =?utf-8?q?=22Bank=22_<service@bank.example>?= */
	imap4_address spoof = ADDR("=?utf-8?q?=22Bank=22_=3Cservice@bank."
	                           "example=3E?=",
	                           "attacker", "evil.example", NULL);
	s = conv_addresses(&spoof);
	cr_assert_str_eq(s, "\"\\\"Bank\\\" <service@bank.example>\" "
	                    "<attacker@evil.example>");
	free(s);

	imap4_address slash = ADDR("back\\slash (work)", "b", "x", NULL);
	s = conv_addresses(&slash);
	cr_assert_str_eq(s, "\"back\\\\slash (work)\" <b@x>");
	free(s);

	imap4_address dot = ADDR("John Q. Public", "jq", "x", NULL);
	s = conv_addresses(&dot);
	cr_assert_str_eq(s, "John Q. Public <jq@x>");
	free(s);

	/* A group's name too. */
	imap4_address end = ADDR(NULL, NULL, NULL, NULL);
	imap4_address member = ADDR(NULL, "m", "x", &end);
	imap4_address group = ADDR(NULL, "Sales; EU", NULL, &member);
	s = conv_addresses(&group);
	cr_assert_str_eq(s, "\"Sales; EU\": m@x;");
	free(s);
}

/* Unlabelled 8-bit header text is read as UTF-8 where it is valid and as
 * windows-1252 otherwise: Latin-1 names survive, and nothing invalid
 * reaches the cache's TEXT columns. */
Test(convert, raw_8bit_envelope_is_stored_as_utf8)
{
	imap4_address from = ADDR("M\xfcller", "m\xfc", "ex\xe4mple.de", NULL);
	imap4_envelope e = {
	        .subject = "ok \xff\xfe end \xc3",
	        .from = &from,
	        .message_id = "<\xe9t\xc3\xa9@x>",
	};
	const char *flags[] = {"\\Seen", "$L\xe4"
	                                 "bel"};
	imap4_msg m = {.have = IMAP4_HAVE_UID | IMAP4_HAVE_ENVELOPE |
	                       IMAP4_HAVE_FLAGS,
	               .uid = 1,
	               .flags = flags,
	               .nflags = 2,
	               .envelope = &e};
	struct conv_msg c;
	cr_assert_eq(conv_msg(&c, &m, scratch(), CONF_BODY_CAP), 0);
	cr_assert_str_eq(c.row.subject, "ok \xc3\xbf\xc3\xbe end \xc3\x83");
	cr_assert_str_eq(c.row.from,
	                 "M\xc3\xbcller <m\xc3\xbc@ex\xc3\xa4mple.de>");
	/* valid UTF-8 is kept as it is, the Latin-1 byte beside it read */
	cr_assert_str_eq(c.row.message_id, "<\xc3\xa9t\xc3\xa9@x>");
	cr_assert_str_eq(c.row.flags, "\\Seen $L\xc3\xa4"
	                              "bel");
	cr_assert_eq(c.row.date, STORE_NO_TIME, "no Date: is no date");
	conv_clear(&c);
}

/* Encoded-words are decoded after the raw bytes around them are read. */
Test(convert, encoded_words_beside_raw_8bit)
{
	imap4_envelope e = {
	        .subject = "=?utf-8?q?Caf=C3=A9?= f\xfcr \xe2\x82\xac"};
	imap4_msg m = {.have = IMAP4_HAVE_UID | IMAP4_HAVE_ENVELOPE,
	               .uid = 1,
	               .envelope = &e};
	struct conv_msg c;
	cr_assert_eq(conv_msg(&c, &m, scratch(), CONF_BODY_CAP), 0);
	cr_assert_str_eq(c.row.subject, "Caf\xc3\xa9 f\xc3\xbcr \xe2\x82\xac");
	conv_clear(&c);
}

/* The lengths the writer binds are those of the strings. */
static void assert_lengths(const struct conv_body *b)
{
	cr_assert_eq(b->b.headers_len, strlen(b->b.headers));
	cr_assert_eq(b->b.body_len, b->b.body ? strlen(b->b.body) : 0);
}

/* bodies.headers is TEXT: the report's message (mailmirror --json show
 * printed its raw \xfc) and a NUL, which would cut the C string. */
Test(convert, header_block_is_stored_as_utf8)
{
	static const char raw[] =
	        "From: M\xfcller <m@example.de>\r\n"
	        "Subject: raw 8bit \xc3\xa4 and latin1 \xe4\r\n"
	        "X-Nul: a\0b\r\n"
	        "\r\n"
	        "raw8bit \xfc\r\n";
	imap4_section sec = {.item = "BODY[]",
	                     .section = "",
	                     .data = raw,
	                     .len = sizeof(raw) - 1};
	imap4_msg m = {.have = IMAP4_HAVE_UID | IMAP4_HAVE_SECTIONS,
	               .uid = 10,
	               .sections = &sec};
	struct conv_body b;
	cr_assert_eq(conv_body(&b, &m, CONF_BODY_CAP), 1);
	cr_assert_str_eq(b.b.headers,
	                 "From: M\xc3\xbcller <m@example.de>\r\n"
	                 "Subject: raw 8bit \xc3\xa4 and latin1 \xc3\xa4\r\n"
	                 "X-Nul: a\xef\xbf\xbd"
	                 "b\r\n");
	cr_assert_not_null(strstr(b.b.body, "raw8bit \xc3\xbc"), "%s",
	                   b.b.body);
	assert_lengths(&b);
	conv_body_clear(&b);
}

Test(convert, items_not_fetched_stay_unknown)
{
	imap4_msg m = {.have = IMAP4_HAVE_UID, .uid = 5};
	struct conv_msg c;
	cr_assert_eq(conv_msg(&c, &m, scratch(), CONF_BODY_CAP), 0);
	cr_assert_eq(c.row.uid, 5);
	cr_assert_null(c.row.flags, "FLAGS not fetched is not 'no flags'");
	cr_assert_null(c.row.subject);
	cr_assert_eq(c.row.size, -1);
	cr_assert_eq(c.row.internaldate, STORE_NO_TIME);
	cr_assert_eq(c.row.date, STORE_NO_TIME);
	conv_clear(&c);

	/* FLAGS fetched and empty is the empty string. */
	m.have |= IMAP4_HAVE_FLAGS;
	cr_assert_eq(conv_msg(&c, &m, scratch(), CONF_BODY_CAP), 0);
	cr_assert_str_eq(c.row.flags, "");
	conv_clear(&c);
	unsigned dropped = 1;
	char *f = conv_flags(&m, &dropped);
	cr_assert_eq(dropped, 0);
	cr_assert_str_eq(f, "");
	free(f);
}

Test(convert, long_lists_stay_whole)
{
	enum { N = 2000 };
	imap4_address *v = calloc(N, sizeof(*v));
	cr_assert_not_null(v);
	for (int i = 0; i < N; i++)
		v[i] = ADDR("=?utf-8?b?w6k=?=", "user", "example.org",
		            i + 1 < N ? &v[i + 1] : NULL);
	imap4_envelope e = {.to = v, .cc = v};
	imap4_msg m = {.have = IMAP4_HAVE_ENVELOPE, .uid = 1, .envelope = &e};
	struct conv_msg c;
	cr_assert_eq(conv_msg(&c, &m, scratch(), CONF_BODY_CAP), 0);
	const char *one = "\xc3\xa9 <user@example.org>";
	size_t want = N * strlen(one) + (N - 1) * 2;
	cr_assert_eq(strlen(c.row.to), want);
	cr_assert_str_eq(c.row.to, c.row.cc);
	cr_assert_eq(strncmp(c.row.to, one, strlen(one)), 0);
	conv_clear(&c);
	free(v);
}

static const char MIME_MSG[] =
        "Subject: report\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
        "\r\n"
        "--b1\r\n"
        "Content-Type: text/plain; charset=iso-8859-1\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n"
        "\r\n"
        "Caf=E9 numbers =\r\n"
        "attached.\r\n"
        "--b1\r\n"
        "Content-Type: application/pdf; name=\"q3.pdf\"\r\n"
        "Content-Disposition: attachment; filename=\"q3.pdf\"\r\n"
        "Content-Transfer-Encoding: base64\r\n"
        "\r\n"
        "JVBERi0xLjQKJcfsj6IKNSAwIG9iago8PC9MZW5ndGggNiAwIFI+PgpzdHJlYW0K\r\n"
        "--b1--\r\n";

/* A server whose RFC822.SIZE is larger than the message it sends (hosted
 * Exchange's was three times it): less than the <0.N> asked for is the
 * whole message, not a truncated one fetched again at every pass. */
Test(convert, a_body_shorter_than_asked_is_whole_whatever_the_size)
{
	imap4_section sec = {.item = "BODY[]",
	                     .section = "",
	                     .has_origin = true,
	                     .data = MIME_MSG,
	                     .len = sizeof(MIME_MSG) - 1};
	imap4_msg m = {.have = IMAP4_HAVE_UID | IMAP4_HAVE_SECTIONS |
	                       IMAP4_HAVE_SIZE,
	               .uid = 3,
	               .size = 3 * (sizeof(MIME_MSG) - 1),
	               .sections = &sec};
	struct conv_body b;
	cr_assert_eq(conv_body(&b, &m, CONF_BODY_CAP), 1);
	cr_assert_not(b.b.truncated);
	cr_assert_not_null(strstr(b.b.body, "q3.pdf"), "%s", b.b.body);
	conv_body_clear(&b);
	/* All that was asked for, and less than the size: cut. */
	cr_assert_eq(conv_body(&b, &m, sec.len), 1);
	cr_assert(b.b.truncated);
	conv_body_clear(&b);
}

/* A server that ignores the partial fetch <0.cap> and sends more, whole
 * (BODY[]) or as BODY[]<0>: what is kept is cap bytes at most, taken as
 * that partial answer (truncated, the message being larger). */
Test(convert, a_body_longer_than_asked_is_cut_at_the_cap)
{
	imap4_section sec = {.item = "BODY[]",
	                     .section = "",
	                     .data = MIME_MSG,
	                     .len = sizeof(MIME_MSG) - 1};
	imap4_msg m = {.have = IMAP4_HAVE_UID | IMAP4_HAVE_SECTIONS |
	                       IMAP4_HAVE_SIZE,
	               .uid = 3,
	               .size = sizeof(MIME_MSG) - 1,
	               .sections = &sec};
	for (int origin = 0; origin < 2; origin++) {
		sec.has_origin = origin;
		struct conv_body b;
		/* in the middle of the text part, before the attachment */
		cr_assert_eq(conv_body(&b, &m, 210), 1);
		cr_assert_leq(b.b.headers_len + b.b.body_len, 210);
		cr_assert_not_null(strstr(b.b.body, "Caf\xc3\xa9 numbers"),
		                   "%s", b.b.body);
		cr_assert_null(strstr(b.b.body, "q3.pdf"), "%s", b.b.body);
		cr_assert(b.b.truncated);
		assert_lengths(&b);
		conv_body_clear(&b);
	}
}

/* bodies = "none": a server that answers the header fields asked for with
 * the whole header (BODY[HEADER]) gives the row its envelope, and no body
 * to store and then trim away. */
Test(convert, a_header_sent_for_the_fields_is_no_body_without_bodies)
{
	imap4_section head = {.item = "BODY[HEADER]",
	                      .section = "HEADER",
	                      .data = "Subject: x\r\nX-Y: z\r\n\r\n",
	                      .len = 22};
	imap4_msg m = {.have = IMAP4_HAVE_UID | IMAP4_HAVE_SECTIONS,
	               .uid = 4,
	               .sections = &head};
	struct conv_msg c;
	cr_assert_eq(conv_msg(&c, &m, scratch(), 0), 0);
	cr_assert_str_eq(c.row.subject, "x");
	cr_assert_null(c.body.block);
	conv_clear(&c);
	cr_assert_eq(conv_msg(&c, &m, scratch(), CONF_BODY_CAP), 0);
	cr_assert_not_null(c.body.block);
	conv_clear(&c);
}

Test(convert, body_is_the_text_a_reader_sees)
{
	imap4_section sec = {.item = "BODY[]",
	                     .section = "",
	                     .data = MIME_MSG,
	                     .len = sizeof(MIME_MSG) - 1};
	imap4_msg m = {.have = IMAP4_HAVE_UID | IMAP4_HAVE_SECTIONS |
	                       IMAP4_HAVE_SIZE,
	               .uid = 3,
	               .size = sizeof(MIME_MSG) - 1,
	               .sections = &sec};
	struct conv_body b;
	cr_assert_eq(conv_body(&b, &m, CONF_BODY_CAP), 1);
	cr_assert_eq(b.b.uid, 3);
	cr_assert(strncmp(b.b.headers, "Subject: report\r\n", 17) == 0);
	cr_assert_null(strstr(b.b.headers, "--b1"), "the header block only");
	cr_assert_not_null(strstr(b.b.body, "Caf\xc3\xa9 numbers attached."),
	                   "%s", b.b.body);
	cr_assert_not_null(strstr(b.b.body, "q3.pdf"), "%s", b.b.body);
	cr_assert_null(strstr(b.b.body, "JVBERi0"), "no base64: %s", b.b.body);
	cr_assert_not(b.b.truncated);
	assert_lengths(&b);
	conv_body_clear(&b);
	cr_assert_null(b.block);

	/* The start of a larger message, fetched with <0.200>. */
	sec.has_origin = true;
	sec.len = 200;
	m.size = sizeof(MIME_MSG) - 1;
	cr_assert_eq(conv_body(&b, &m, 200), 1);
	cr_assert(b.b.truncated);
	conv_body_clear(&b);

	/* Cut anywhere inside the header (a small max_body_size): what the
	 * last header line left is no text. */
	size_t blank = (size_t)(strstr(MIME_MSG, "\r\n\r\n") - MIME_MSG);
	for (sec.len = 1; sec.len < blank + 4; sec.len++) {
		cr_assert_eq(conv_body(&b, &m, sec.len), 1);
		cr_assert(b.b.truncated);
		cr_assert_str_eq(b.b.body, "", "cut at %zu", sec.len);
		assert_lengths(&b);
		conv_body_clear(&b);
	}

	/* BODY[HEADER]: headers, no text. */
	imap4_section head = {.item = "BODY[HEADER]",
	                      .section = "HEADER",
	                      .data = "Subject: x\r\n\r\n",
	                      .len = 14};
	m.sections = &head;
	cr_assert_eq(conv_body(&b, &m, CONF_BODY_CAP), 1);
	cr_assert_str_eq(b.b.headers, "Subject: x\r\n");
	cr_assert_null(b.b.body);
	assert_lengths(&b);
	conv_body_clear(&b);

	/* Other sections, NIL, or nothing: no body. */
	imap4_section part = {
	        .item = "BODY[1]", .section = "1", .data = "x", .len = 1};
	m.sections = &part;
	cr_assert_eq(conv_body(&b, &m, CONF_BODY_CAP), 0);
	imap4_section nil = {.item = "BODY[]", .section = "", .nil = true};
	m.sections = &nil;
	cr_assert_eq(conv_body(&b, &m, CONF_BODY_CAP), 0);
	m.have &= ~IMAP4_HAVE_SECTIONS;
	cr_assert_eq(conv_body(&b, &m, CONF_BODY_CAP), 0);
}

/* f2-qp-cut.sh: a max_body_size that fell inside "=C3=A9" stored a text
 * that ended in "=C", "=A" or U+FFFD; one inside a character of the
 * header stored its first byte as windows-1252 ("caf\xc3" as "cafÃ").
 * The row says it is cut; what the cut split is left out. */
Test(convert, a_cut_leaves_out_what_it_split)
{
	static const char raw[] =
	        "Subject: caf\xc3\xa9\r\n"
	        "Content-Type: text/plain; charset=utf-8\r\n"
	        "Content-Transfer-Encoding: quoted-printable\r\n"
	        "\r\n"
	        "=C3=A9t=C3=A9 =E2=98=BA\r\n";
	const char *text = "\xc3\xa9t\xc3\xa9 \xe2\x98\xba";
	imap4_section sec = {.item = "BODY[]<0>",
	                     .section = "",
	                     .has_origin = true,
	                     .data = raw};
	imap4_msg m = {.have = IMAP4_HAVE_UID | IMAP4_HAVE_SECTIONS |
	                       IMAP4_HAVE_SIZE,
	               .uid = 9,
	               .size = 4096,
	               .sections = &sec};
	struct conv_body b;
	size_t body = (size_t)(strstr(raw, "\r\n\r\n") - raw) + 4;
	for (sec.len = body; sec.len < sizeof(raw) - 1; sec.len++) {
		cr_assert_eq(conv_body(&b, &m, sec.len), 1);
		cr_assert(b.b.truncated);
		cr_assert(strncmp(text, b.b.body, b.b.body_len) == 0,
		          "cut at %zu: \"%s\"", sec.len, b.b.body);
		assert_lengths(&b);
		conv_body_clear(&b);
	}
	sec.len = (size_t)(strstr(raw, "\xa9") - raw);
	cr_assert_eq(conv_body(&b, &m, sec.len), 1);
	cr_assert(b.b.truncated);
	cr_assert_str_eq(b.b.headers, "Subject: caf");
	cr_assert_str_eq(b.b.body, "");
	conv_body_clear(&b);
}

/* f1-headers-cut.sh: bodies = "headers" and a header longer than
 * max_body_size stored its start as a whole header (truncated 0): a
 * List-Id or Message-ID after the cut was gone without a word. */
Test(convert, a_header_block_cut_short_is_truncated)
{
	static const char head[] =
	        "Subject: caf\xc3\xa9\r\nList-Id: <l.x>\r\n\r\n";
	imap4_section sec = {.item = "BODY[HEADER]<0>",
	                     .section = "HEADER",
	                     .has_origin = true,
	                     .data = head};
	imap4_msg m = {.have = IMAP4_HAVE_UID | IMAP4_HAVE_SECTIONS |
	                       IMAP4_HAVE_SIZE,
	               .uid = 9,
	               .size = 4096,
	               .sections = &sec};
	struct conv_body b;
	/* cut in "List-Id" */
	sec.len = (size_t)(strstr(head, "-Id") - head);
	cr_assert_eq(conv_body(&b, &m, sec.len), 1);
	cr_assert(b.b.truncated);
	cr_assert_str_eq(b.b.headers, "Subject: caf\xc3\xa9\r\nList");
	cr_assert_null(b.b.body);
	assert_lengths(&b);
	conv_body_clear(&b);
	/* cut in "é", whose first byte is no text */
	sec.len = (size_t)(strstr(head, "\xa9") - head);
	cr_assert_eq(conv_body(&b, &m, sec.len), 1);
	cr_assert(b.b.truncated);
	cr_assert_str_eq(b.b.headers, "Subject: caf");
	conv_body_clear(&b);
	/* whole: shorter than asked for, or as long with its empty line */
	sec.len = sizeof(head) - 1;
	cr_assert_eq(conv_body(&b, &m, sec.len + 1), 1);
	cr_assert_not(b.b.truncated);
	conv_body_clear(&b);
	cr_assert_eq(conv_body(&b, &m, sec.len), 1);
	cr_assert_not(b.b.truncated);
	cr_assert_str_eq(b.b.headers,
	                 "Subject: caf\xc3\xa9\r\nList-Id: <l.x>\r\n");
	conv_body_clear(&b);
	/* a server that sent the section whole, not the part asked for */
	sec.has_origin = false;
	sec.len = 10;
	cr_assert_eq(conv_body(&b, &m, 10), 1);
	cr_assert_not(b.b.truncated);
	conv_body_clear(&b);
}

/* A header block cut at a line's end is stored without its last CRLF:
 * one that ends with CRLF is whole, which is what tells a header cut
 * from a message cut right after its header (both without text) when a
 * switch to "headers" drops the text. */
Test(convert, a_header_cut_at_a_line_end_keeps_no_last_crlf)
{
	static const char msg[] = "Subject: x\r\nList-Id: <l.x>\r\n\r\nhello";
	imap4_section sec = {.item = "BODY[]<0>",
	                     .section = "",
	                     .has_origin = true,
	                     .data = msg};
	imap4_msg m = {.have = IMAP4_HAVE_UID | IMAP4_HAVE_SECTIONS |
	                       IMAP4_HAVE_SIZE,
	               .uid = 9,
	               .size = 4096,
	               .sections = &sec};
	struct conv_body b;
	/* cut after "Subject: x\r\n", inside the header */
	sec.len = (size_t)(strstr(msg, "List") - msg);
	cr_assert_eq(conv_body(&b, &m, sec.len), 1);
	cr_assert(b.b.truncated);
	cr_assert_str_eq(b.b.headers, "Subject: x");
	cr_assert_str_eq(b.b.body, "");
	conv_body_clear(&b);
	/* cut right after the empty line: the header whole, no text */
	sec.len = (size_t)(strstr(msg, "hello") - msg);
	cr_assert_eq(conv_body(&b, &m, sec.len), 1);
	cr_assert(b.b.truncated);
	cr_assert_str_eq(b.b.headers, "Subject: x\r\nList-Id: <l.x>\r\n");
	cr_assert_str_eq(b.b.body, "");
	conv_body_clear(&b);
}

/* ---- envelopes made from the header the FETCH carried */

#define FIELDS_ITEM "BODY[HEADER.FIELDS (" IMAP4_ENVELOPE_FIELDS ")]"

static imap4_msg msg_with(imap4_section *sections)
{
	return (imap4_msg){.have = IMAP4_HAVE_UID | IMAP4_HAVE_SECTIONS,
	                   .uid = 7,
	                   .sections = sections};
}

Test(convert, a_row_from_the_header_fields)
{
	const char h[] = "From: =?utf-8?q?Ren=C3=A9?= <rene@x.org>\r\n"
	                 "To: \"Doe, Jane\" <jane@y.net>, bob@y.net\r\n"
	                 "Subject: =?utf-8?q?Caf=C3=A9?=\r\n"
	                 "Date: Tue, 1 Mar 2022 10:00:00 +0100\r\n"
	                 "Message-ID: <m@x>\r\n\r\n";
	imap4_section s = {.item = FIELDS_ITEM,
	                   .section = "HEADER.FIELDS (" IMAP4_ENVELOPE_FIELDS
	                              ")",
	                   .data = h,
	                   .len = sizeof(h) - 1};
	imap4_msg m = msg_with(&s);
	cr_assert(conv_carries_row(&m));
	struct conv_msg c;
	cr_assert_eq(conv_msg(&c, &m, scratch(), CONF_BODY_CAP), 0);
	cr_assert_str_eq(c.row.from, "René <rene@x.org>");
	cr_assert_str_eq(c.row.sender, "René <rene@x.org>");
	cr_assert_str_eq(c.row.to, "\"Doe, Jane\" <jane@y.net>, bob@y.net");
	cr_assert_str_eq(c.row.subject, "Café");
	cr_assert_str_eq(c.row.message_id, "<m@x>");
	cr_assert_eq(c.row.date, 1646125200);
	cr_assert_null(c.row.cc);
	/* no body was asked for: none is made of the fields */
	cr_assert_eq(c.body.b.uid, 0);
	conv_clear(&c);
}

/* Servers that echo the section their own way: without the space before
 * the list, or without the list. HEADER.FIELDS.NOT is other fields. */
Test(convert, the_fields_however_the_server_spells_them)
{
	const char h[] = "Subject: echoed\r\n\r\n";
	static const char *const spelt[] = {"HEADER.FIELDS(SUBJECT FROM)",
	                                    "header.fields (SUBJECT)",
	                                    "HEADER.FIELDS"};
	for (size_t i = 0; i < sizeof(spelt) / sizeof(spelt[0]); i++) {
		imap4_section s = {.item = FIELDS_ITEM,
		                   .section = spelt[i],
		                   .data = h,
		                   .len = sizeof(h) - 1};
		imap4_msg m = msg_with(&s);
		cr_assert(conv_carries_row(&m), "%s", spelt[i]);
		struct conv_msg c;
		cr_assert_eq(conv_msg(&c, &m, scratch(), CONF_BODY_CAP), 0);
		cr_assert_str_eq(c.row.subject, "echoed", "%s", spelt[i]);
		conv_clear(&c);
	}
	imap4_section not = {.item = "BODY[HEADER.FIELDS.NOT (SUBJECT)]",
	                     .section = "HEADER.FIELDS.NOT (SUBJECT)",
	                     .data = h,
	                     .len = sizeof(h) - 1};
	imap4_msg m = msg_with(&not );
	cr_assert_not(conv_carries_row(&m));
}

/* A max_body_size that cut the message inside its header: the fields
 * fetched beside it are what the envelope is made of. */
Test(convert, the_fields_win_over_a_cut_message)
{
	const char whole[] = "From: a@x.org\r\nSubj";
	const char fields[] = "From: a@x.org\r\nSubject: all of it\r\n\r\n";
	imap4_section f = {.item = FIELDS_ITEM,
	                   .section = "HEADER.FIELDS (FROM SUBJECT)",
	                   .data = fields,
	                   .len = sizeof(fields) - 1};
	imap4_section b = {.item = "BODY[]",
	                   .section = "",
	                   .has_origin = true,
	                   .data = whole,
	                   .len = sizeof(whole) - 1,
	                   .next = &f};
	imap4_msg m = msg_with(&b);
	struct conv_msg c;
	cr_assert_eq(conv_msg(&c, &m, scratch(), CONF_BODY_CAP), 0);
	cr_assert_str_eq(c.row.subject, "all of it");
	cr_assert_str_eq(c.row.from, "a@x.org");
	conv_clear(&c);
}

/* A whole message alone: its header is the envelope's. */
Test(convert, a_row_from_a_whole_message)
{
	const char msg[] = "Subject: in the message\r\nFrom: b@x.org\r\n\r\n"
	                   "From: not@the.header\r\n";
	imap4_section b = {.item = "BODY[]",
	                   .section = "",
	                   .data = msg,
	                   .len = sizeof(msg) - 1};
	imap4_msg m = msg_with(&b);
	struct conv_msg c;
	cr_assert_eq(conv_msg(&c, &m, scratch(), CONF_BODY_CAP), 0);
	cr_assert_str_eq(c.row.subject, "in the message");
	cr_assert_str_eq(c.row.from, "b@x.org");
	cr_assert_neq(c.body.b.uid, 0);
	conv_clear(&c);
}

/* News of flags carries no row; a section the server sent as NIL makes
 * a row without an envelope, not a message missed. */
Test(convert, flags_alone_make_no_row)
{
	imap4_msg m = {.have = IMAP4_HAVE_UID | IMAP4_HAVE_FLAGS, .uid = 3};
	cr_assert_not(conv_carries_row(&m));
	imap4_section other = {.item = "BODY[1]", .section = "1", .data = "x",
	                       .len = 1};
	m = msg_with(&other);
	cr_assert_not(conv_carries_row(&m));
	imap4_section nil = {.item = FIELDS_ITEM,
	                     .section = "HEADER.FIELDS (FROM)",
	                     .nil = true};
	m = msg_with(&nil);
	cr_assert(conv_carries_row(&m));
	cr_assert_null(conv_header_section(&m));
	struct conv_msg c;
	cr_assert_eq(conv_msg(&c, &m, scratch(), CONF_BODY_CAP), 0);
	cr_assert_eq(c.row.uid, 7);
	cr_assert_null(c.row.from);
	cr_assert_null(c.row.subject);
	conv_clear(&c);
}

/* A whole header: the fields after 300 KB of others are read (only the
 * envelope's own fields count against IMAP4_ENVELOPE_FIELDS_MAX). */
Test(convert, fields_after_a_long_header_are_read)
{
	size_t pad = 300u << 10;
	char *h = malloc(pad + 128);
	cr_assert_not_null(h);
	size_t n = (size_t)sprintf(h, "From: first@x.org\r\nX-Pad: ");
	memset(h + n, 'a', pad);
	n += pad;
	n += (size_t)sprintf(h + n, "\r\nSubject: far\r\n\r\n");
	imap4_section s = {.item = "BODY[HEADER]",
	                   .section = "HEADER",
	                   .data = h,
	                   .len = n};
	imap4_msg m = msg_with(&s);
	struct conv_msg c;
	cr_assert_eq(conv_msg(&c, &m, scratch(), CONF_BODY_CAP), 0);
	cr_assert_str_eq(c.row.from, "first@x.org");
	cr_assert_str_eq(c.row.subject, "far");
	conv_clear(&c);
	free(h);
}

/* A partial fetch that ended inside a field: that field is left out, not
 * read in part ("second-recip" is no address); the ones before it are
 * read. A whole message that is all header is read to its end. */
Test(convert, a_field_a_partial_fetch_cut_is_left_out)
{
	const char cut[] = "From: a@x.org\r\nSubject: kept\r\n"
	                   "To: first@example.org,\r\n second-recip";
	imap4_section s = {.item = FIELDS_ITEM "<0>",
	                   .section = "HEADER.FIELDS (FROM SUBJECT TO)",
	                   .has_origin = true,
	                   .data = cut,
	                   .len = sizeof(cut) - 1};
	imap4_msg m = msg_with(&s);
	struct conv_msg c;
	cr_assert_eq(conv_msg(&c, &m, scratch(), CONF_BODY_CAP), 0);
	cr_assert_str_eq(c.row.from, "a@x.org");
	cr_assert_str_eq(c.row.subject, "kept");
	cr_assert_null(c.row.to);
	conv_clear(&c);

	const char all[] = "From: b@x.org\r\nSubject: all header";
	imap4_section b = {.item = "BODY[]<0>",
	                   .section = "",
	                   .has_origin = true,
	                   .data = all,
	                   .len = sizeof(all) - 1};
	m = msg_with(&b);
	m.have |= IMAP4_HAVE_SIZE;
	m.size = sizeof(all) - 1;
	cr_assert_eq(conv_msg(&c, &m, scratch(), CONF_BODY_CAP), 0);
	cr_assert_str_eq(c.row.subject, "all header");
	conv_clear(&c);
}

/* ---- raw header text in the message's own charset */

static struct conv_msg row_of_fields(const char *h)
{
	imap4_section s = {
	        .item = "BODY[HEADER.FIELDS (" IMAP4_ENVELOPE_FIELDS_CHARSET
	                ")]",
	        .section = "HEADER.FIELDS (" IMAP4_ENVELOPE_FIELDS_CHARSET ")",
	        .data = h,
	        .len = strlen(h)};
	imap4_msg m = msg_with(&s);
	struct conv_msg c;
	cr_assert_eq(conv_msg(&c, &m, scratch(), CONF_BODY_CAP), 0);
	return c;
}

/* Japanese, Chinese and Russian mail long wrote headers raw in the
 * body's charset: read in it, not as windows-1252 (mojibake). */
Test(convert, raw_header_text_in_the_message_s_charset)
{
	struct conv_msg c = row_of_fields(
	        "Subject: Re: \x93\xfa\x96\x7b\x8c\xea\r\n"
	        "From: \x8e\x52\x93\x63 <yamada@example.jp>\r\n"
	        "Content-Type: text/plain; charset=Shift_JIS\r\n\r\n");
	cr_assert_str_eq(c.row.subject, "Re: 日本語");
	cr_assert_str_eq(c.row.from, "山田 <yamada@example.jp>");
	conv_clear(&c);
	c = row_of_fields("Subject: \xc6\xfc\xcb\xdc\xb8\xec\r\n"
	                  "Content-Type: text/plain; charset=euc-jp\r\n\r\n");
	cr_assert_str_eq(c.row.subject, "日本語");
	conv_clear(&c);
	c = row_of_fields("Subject: \xd6\xd0\xce\xc4\r\n"
	                  "From: \"\xd6\xd0\xce\xc4, x\" <z@example.cn>\r\n"
	                  "Content-Type: text/plain; charset=gbk\r\n\r\n");
	cr_assert_str_eq(c.row.subject, "中文");
	cr_assert_str_eq(c.row.from, "\"中文, x\" <z@example.cn>");
	conv_clear(&c);
	c = row_of_fields(
	        "From: \xe9\xd7\xc1\xce <ivan@example.ru>\r\n"
	        "To: =?koi8-r?b?8NLJ18XU?= <p@example.ru>\r\n"
	        "Subject: \xf0\xd2\xc9\xd7\xc5\xd4 =?utf-8?q?=E2=9C=93?=\r\n"
	        "Content-Type: text/plain; charset=KOI8-R\r\n\r\n");
	cr_assert_str_eq(c.row.from, "Иван <ivan@example.ru>");
	cr_assert_str_eq(c.row.to, "Привет <p@example.ru>");
	cr_assert_str_eq(c.row.subject, "Привет ✓");
	conv_clear(&c);
}

/* Raw ISO-2022-JP: its escapes are not spaces, its text is Japanese. */
Test(convert, raw_iso_2022_jp_header_text)
{
	struct conv_msg c = row_of_fields(
	        "Subject: \x1b$B$3$s$K$A$O\x1b(B\r\n"
	        "From: \x1b$B;3ED\x1b(B <yamada@example.jp>\r\n\r\n");
	cr_assert_str_eq(c.row.subject, "こんにちは");
	cr_assert_str_eq(c.row.from, "山田 <yamada@example.jp>");
	conv_clear(&c);
}

/* A label wrong for the bytes falls back to windows-1252; UTF-8 stays
 * UTF-8 whatever the label; a server's ENVELOPE has no label. */
Test(convert, raw_header_text_with_a_wrong_label)
{
	struct conv_msg c = row_of_fields(
	        "Subject: M\xfcller\r\n"
	        "From: Caf\xc3\xa9 <c@example.fr>\r\n"
	        "Content-Type: text/plain; charset=shift_jis\r\n\r\n");
	cr_assert_str_eq(c.row.subject, "Müller");
	cr_assert_str_eq(c.row.from, "Café <c@example.fr>");
	conv_clear(&c);
	imap4_envelope e = {.subject = "\x93\xfa\x96\x7b\x8c\xea"};
	imap4_msg m = {.have = IMAP4_HAVE_UID | IMAP4_HAVE_ENVELOPE,
	               .uid = 1,
	               .envelope = &e};
	cr_assert_eq(conv_msg(&c, &m, scratch(), CONF_BODY_CAP), 0);
	cr_assert_str_eq(c.row.subject, "“ú–{Œê");
	conv_clear(&c);
}
