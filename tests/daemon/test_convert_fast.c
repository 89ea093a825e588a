/* test_convert_fast.c - the short cuts of convert.c: text without "=?"
 * skips the RFC 2047 decoder, all-ASCII text skips the charset stream,
 * and \Recent is recognised by its first byte. Each case is one where a
 * wrong short cut would change the row. */
#include "mailmirrord/config.h"
#include "mailmirrord/convert.h"
#include "scratch_arena.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#define ADDR(n, m, h, nx)                                                      \
	((imap4_address){                                                      \
	        .name = (n), .mailbox = (m), .host = (h), .next = (nx)})

static char *named(const char *name)
{
	imap4_address a = ADDR(name, "u", "h", NULL);
	return conv_addresses(&a);
}

static void expect_named(const char *name, const char *want)
{
	char *got = named(name);
	cr_assert_not_null(got, "\"%s\"", name);
	cr_assert_str_eq(got, want, "\"%s\"", name);
	free(got);
}

Test(convert_fast, names_with_and_without_encoded_words)
{
	/* '=' without '?' after it, anywhere: no word, kept as is */
	expect_named("a=b", "a=b <u@h>");
	expect_named("=", "= <u@h>");
	expect_named("x=", "x= <u@h>");
	expect_named("a = b == c", "a = b == c <u@h>");
	/* "=?" that starts no valid word: still text */
	expect_named("=?", "=? <u@h>");
	expect_named("a =?bogus", "a =?bogus <u@h>");
	/* a word after another '=' must still be found */
	expect_named("==?utf-8?q?x?=", "=x <u@h>");
	expect_named("a=b =?utf-8?q?x?=", "a=b x <u@h>");
	expect_named("=?utf-8?q?Caf=C3=A9?=", "Caf\xc3\xa9 <u@h>");
	/* raw Latin-1 with and without a word beside it */
	expect_named("M\xfcller", "M\xc3\xbcller <u@h>");
	expect_named("M\xfcller =?utf-8?q?x?=", "M\xc3\xbcller x <u@h>");
	/* valid UTF-8 is kept */
	expect_named("J\xc3\xbcrgen", "J\xc3\xbcrgen <u@h>");
	/* raw Latin-1 read as windows-1252 before the decoder, and a run
	 * of words one of which holds a byte invalid in UTF-8: that byte
	 * alone is U+FFFD (the tester's F4 printed the run raw) */
	expect_named("R\xe9my =?utf-8?q?caf=C3=A9?= =?utf-8?q?_na=EFve?=",
	             "R\xc3\xa9my caf\xc3\xa9 na\xef\xbf\xbdve <u@h>");
	/* a name that decodes to nothing is no name */
	expect_named("=?utf-8?q?"
	             "?=",
	             "u@h");
}

Test(convert_fast, non_ascii_byte_at_every_position)
{
	/* The byte that leaves the ASCII path, in the eight-byte blocks and
	 * in the tail, in the mailbox (no decoder) and in the name. */
	char host[40], name[40], want[160];
	for (size_t len = 1; len <= 25; len++) {
		for (size_t at = 0; at < len; at++) {
			memset(host, 'h', len);
			host[at] = '\xe9';
			host[len] = '\0';
			memcpy(name, host, len + 1);
			name[0] = at ? 'n' : '\xe9';
			imap4_address a = ADDR(name, "u", host, NULL);
			char *got = conv_addresses(&a);
			cr_assert_not_null(got);
			/* \xe9 read as windows-1252 is U+00E9 */
			size_t w = 0;
			for (size_t i = 0; i < len; i++) {
				if ((unsigned char)name[i] == 0xe9) {
					memcpy(want + w, "\xc3\xa9", 2);
					w += 2;
				} else {
					want[w++] = name[i];
				}
			}
			memcpy(want + w, " <u@", 4);
			w += 4;
			for (size_t i = 0; i < len; i++) {
				if (i == at) {
					memcpy(want + w, "\xc3\xa9", 2);
					w += 2;
				} else {
					want[w++] = 'h';
				}
			}
			want[w++] = '>';
			want[w] = '\0';
			cr_assert_str_eq(got, want, "len %zu at %zu", len, at);
			free(got);
		}
	}
}

static size_t append(char *dst, size_t at, const char *s)
{
	strcpy(dst + at, s);
	return at + strlen(s);
}

/* The subject of len characters with the control c at position at, and
 * what the row must hold: the control is a space. A subject whose control
 * is not first starts with another one (U+2029, three bytes for one
 * space), so that what follows is copied back by two bytes; one of odd
 * length ends in a letter whose lead byte is that of C1's controls. */
static void expect_one_control(const char *c, size_t len, size_t at)
{
	char subject[128], want[128];
	size_t s = 0, w = 0;
	for (size_t i = 0; i < len; i++) {
		const char *ch = i % 2 ? "~" : "a";
		if (i == len - 1 && len % 2)
			ch = "\xc2\xa9";
		if (i == at || (i == 0 && at > 0)) {
			s = append(subject, s, i == at ? c : "\xe2\x80\xa9");
			w = append(want, w, " ");
		} else {
			s = append(subject, s, ch);
			w = append(want, w, ch);
		}
	}
	imap4_envelope e = {.subject = subject};
	imap4_msg m = {.have = IMAP4_HAVE_UID | IMAP4_HAVE_ENVELOPE,
	               .uid = 1,
	               .envelope = &e};
	struct conv_msg got;
	cr_assert_eq(conv_msg(&got, &m, scratch(), CONF_BODY_CAP), 0);
	cr_assert_str_eq(got.row.subject, want, "len %zu at %zu", len, at);
	conv_clear(&got);
}

/* Fields are looked at eight printable bytes at a time: a control (one,
 * two or three bytes, as UTF-8 spells it) at every position, in the words
 * and in the tail. */
Test(convert_fast, control_at_every_position)
{
	static const char *const controls[] = {"\x1b", "\x7f", "\xc2\x9b",
	                                       "\xe2\x80\xa8"};
	for (size_t c = 0; c < 4; c++)
		for (size_t len = 1; len <= 25; len++)
			for (size_t at = 0; at < len; at++)
				expect_one_control(controls[c], len, at);
}

Test(convert_fast, recent_dropped_in_any_case_other_flags_kept)
{
	const char *flags[] = {"\\Recent", "\\RECENT", "\\recent",
	                       "Recent",   "\\Seen",   "\\Recently",
	                       "$Recent",  "\xe9t\xe9"};
	imap4_msg m = {
	        .have = IMAP4_HAVE_UID | IMAP4_HAVE_FLAGS,
	        .uid = 1,
	        .flags = flags,
	        .nflags = sizeof(flags) / sizeof(flags[0]),
	};
	unsigned dropped = 1;
	char *got = conv_flags(&m, &dropped);
	cr_assert_eq(dropped, 0);
	cr_assert_not_null(got);
	cr_assert_str_eq(got,
	                 "Recent \\Seen \\Recently $Recent \xc3\xa9t\xc3\xa9");
	free(got);
}

Test(convert_fast, subject_and_ids_in_one_row)
{
	imap4_address from = ADDR("=?iso-8859-1?q?Ren=E9?=", "r", "x", NULL);
	imap4_address to2 = ADDR("B=1", "b", "y", NULL);
	imap4_address to1 = ADDR("A\xe9", "a", "y", &to2);
	imap4_envelope e = {
	        .subject = "Re: 50% = half, =?utf-8?q?=E2=82=AC?=",
	        .from = &from,
	        .to = &to1,
	        .message_id = "<id=1@x>",
	};
	imap4_msg m = {
	        .have = IMAP4_HAVE_UID | IMAP4_HAVE_ENVELOPE,
	        .uid = 7,
	        .envelope = &e,
	};
	struct conv_msg c;
	cr_assert_eq(conv_msg(&c, &m, scratch(), CONF_BODY_CAP), 0);
	cr_assert_str_eq(c.row.subject, "Re: 50% = half, \xe2\x82\xac");
	cr_assert_str_eq(c.row.from, "Ren\xc3\xa9 <r@x>");
	cr_assert_str_eq(c.row.to, "A\xc3\xa9 <a@y>, B=1 <b@y>");
	cr_assert_str_eq(c.row.message_id, "<id=1@x>");
	cr_assert_null(c.row.flags);
	cr_assert_null(c.row.cc);
	conv_clear(&c);
}
