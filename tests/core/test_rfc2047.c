/* test_rfc2047.c - encoded-words (RFC 2047, RFC 2231 language tags). */
#include "imap4.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

static void expect_n(const char *in, size_t len, const char *want)
{
	char *out = (char *)1;
	int rc = imap4_rfc2047_decode(&out, in, len);
	cr_assert_eq(rc, 0, "decode(\"%s\") = %d", in, rc);
	cr_assert_str_eq(out, want, "decode(\"%s\")", in);
	free(out);
}

static void expect(const char *in, const char *want)
{
	expect_n(in, strlen(in), want);
}

/* RFC 2047 section 8, the examples of encoded-words and white space */
Test(rfc2047, rfc_section8_whitespace)
{
	expect("(=?ISO-8859-1?Q?a?=)", "(a)");
	expect("(=?ISO-8859-1?Q?a?= b)", "(a b)");
	expect("(=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)", "(ab)");
	expect("(=?ISO-8859-1?Q?a?=  =?ISO-8859-1?Q?b?=)", "(ab)");
	expect("(=?ISO-8859-1?Q?a?=\r\n    =?ISO-8859-1?Q?b?=)", "(ab)");
	expect("(=?ISO-8859-1?Q?a_b?=)", "(a b)");
	expect("(=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=)", "(a b)");
}

Test(rfc2047, rfc_section8_headers)
{
	expect("=?US-ASCII?Q?Keith_Moore?= <moore@cs.utk.edu>",
	       "Keith Moore <moore@cs.utk.edu>");
	expect("=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?= <keld@dkuug.dk>",
	       "Keld J\xc3\xb8rn Simonsen <keld@dkuug.dk>");
	expect("=?ISO-8859-1?Q?Andr=E9?= Pirard <PIRARD@vm1.ulg.ac.be>",
	       "Andr\xc3\xa9 Pirard <PIRARD@vm1.ulg.ac.be>");
	expect("=?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?=\r\n"
	       " =?ISO-8859-2?B?dSB1bmRlcnN0YW5kIHRoZSBleGFtcGxlLg==?=",
	       "If you can read this you understand the example.");
	expect("Patrik =?ISO-8859-1?Q?F=E4ltstr=F6m?= <paf@nada.kth.se>",
	       "Patrik F\xc3\xa4ltstr\xc3\xb6m <paf@nada.kth.se>");
}

Test(rfc2047, rfc2231_language)
{
	expect("=?US-ASCII*EN?Q?Keith_Moore?=", "Keith Moore");
	expect("=?utf-8*de-CH?q?Gr=C3=BCezi?=", "Gr\xc3\xbc"
	                                        "ezi");
}

Test(rfc2047, case_and_padding)
{
	expect("=?utf-8?b?w6k=?=", "\xc3\xa9");
	expect("=?UTF-8?B?w6k?=", "\xc3\xa9");    /* padding left out */
	expect("=?Utf-8?q?=c3=a9?=", "\xc3\xa9"); /* lower-case hex */
	expect("=?utf-8?q?"
	       "?=",
	       ""); /* empty word */
}

Test(rfc2047, split_multibyte)
{
	/* "a€b" with the euro sign (E2 82 AC) cut after two bytes */
	expect("=?UTF-8?B?YeKC?= =?UTF-8?B?rGI=?=", "a\xe2\x82\xac"
	                                            "b");
	/* the charset label may differ in case */
	expect("=?utf-8?Q?=E2=82?=\r\n =?UTF-8?q?=AC?=", "\xe2\x82\xac");
	/* an astral character (U+1D11E) over two words, mixed B and Q */
	expect("=?UTF-8?B?8J0=?= =?UTF-8?Q?=84=9E?=", "\xf0\x9d\x84\x9e");
	/* and across three */
	expect("=?UTF-8?Q?=F0?= =?UTF-8?Q?=9D?= =?UTF-8?Q?=84=9E?=",
	       "\xf0\x9d\x84\x9e");
	/* text between the words: not adjacent, each half is invalid on
	 * its own */
	expect("=?UTF-8?Q?=E2=82?= x =?UTF-8?Q?=AC?=",
	       "\xef\xbf\xbd\xef\xbf\xbd x \xef\xbf\xbd");
	/* and a Shift_JIS character (こ, 82 B1) over two words */
	expect("=?shift_jis?q?=82?= =?shift_jis?q?=B1?=", "\xe3\x81\x93");
}

Test(rfc2047, charsets)
{
	/* ISO-8859-1 labelled text holding Windows-1252 quotes (WHATWG) */
	expect("=?iso-8859-1?q?=93hi=94?=", "\xe2\x80\x9chi\xe2\x80\x9d");
	expect("=?windows-1252?Q?=80_5?=", "\xe2\x82\xac 5");
	/* a byte unassigned in Windows-1252 is still Latin-1 */
	expect("=?iso-8859-1?q?=81?=", "\xc2\x81");
	/* 日本語 */
	expect("=?ISO-2022-JP?B?GyRCRnxLXDhsGyhC?=",
	       "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e");
	/* 中文 in GB2312, and a GBK-only character under the GB2312 label */
	expect("=?GB2312?B?1tDOxA==?=", "\xe4\xb8\xad\xe6\x96\x87");
	expect("=?gb2312?Q?=E5=8B?=", "\xe9\x8d\x95");
	/* こんにちは in Shift_JIS */
	expect("=?shift_jis?B?grGC8YLJgr+CzQ==?=",
	       "\xe3\x81\x93\xe3\x82\x93\xe3\x81\xab\xe3\x81\xa1\xe3\x81\xaf");
	/* different charsets side by side: each converted, space dropped */
	expect("=?ISO-8859-1?Q?=E9?= =?UTF-8?Q?=C3=A9?=", "\xc3\xa9\xc3\xa9");
}

Test(rfc2047, broken_words_kept)
{
	const char *raw[] = {
	        "=?utf-8?q?abc",         /* unterminated */
	        "=?utf-8?b?####?=",      /* not base64 */
	        "=?utf-8?b?QUJDR?=",     /* a lone sextet */
	        "=?utf-8?b?QQ==QQ==?=",  /* data after padding */
	        "=?utf-8?q?a=ZZ?=",      /* bad hex */
	        "=?utf-8?q?a=4?=",       /* short escape */
	        "=?x-klingon?q?abc?=",   /* unknown charset */
	        "=?utf-8?x?abc?=",       /* unknown encoding */
	        "=?utf-8?q?a b?=",       /* space inside */
	        "=??q?abc?=",            /* no charset */
	        "=?utf-8*?q?abc?=",      /* empty language */
	        "=?utf-8//IGNORE?q?a?=", /* iconv suffix smuggling */
	};
	for (size_t i = 0; i < sizeof(raw) / sizeof(raw[0]); i++)
		expect(raw[i], raw[i]);
}

/* A word that is well formed but holds bytes invalid in its charset is
 * decoded all the same, each byte that does not decode a U+FFFD. */
Test(rfc2047, invalid_bytes_replaced)
{
	expect("=?utf-8?q?=FF?=", "\xef\xbf\xbd");
	expect("=?utf-8?b?/w==?=", "\xef\xbf\xbd");
	/* a truncated character, at the end of the text */
	expect("=?UTF-8?Q?=E2=82?=", "\xef\xbf\xbd\xef\xbf\xbd");
	/* Latin-1 under a utf-8 label (the tester's 16-...eml) */
	expect("=?utf-8?q?caf=E9_wronglabelkwf?= ok",
	       "caf\xef\xbf\xbd wronglabelkwf ok");
	/* through iconv: 0xFF is no Shift_JIS byte */
	expect("=?shift_jis?q?=82=B1=FFA?=", "\xe3\x81\x93\xef\xbf\xbd"
	                                     "A");
	/* a NUL is never written, whichever path converts the word */
	expect("=?utf-8?q?=FF=00?=", "\xef\xbf\xbd\xef\xbf\xbd");
}

/* The tester's F4: one damaged word left the whole run of adjacent words
 * in its charset raw, the valid ones too. */
Test(rfc2047, one_bad_word_spoils_only_itself)
{
	expect("=?utf-8?q?Hello_caf=C3=A9_goodpartkw?= "
	       "=?utf-8?q?_na=EFve_badpartkw?=",
	       "Hello caf\xc3\xa9 goodpartkw na\xef\xbf\xbdve badpartkw");
	/* the space between decoded words is still dropped (RFC 2047
	 * 6.2), with the bad word first, in the middle or last */
	expect("=?utf-8?q?=FF?= =?utf-8?q?a?=", "\xef\xbf\xbd"
	                                        "a");
	expect("=?utf-8?q?a?= =?utf-8?q?=FF?=\r\n =?utf-8?q?b?=",
	       "a\xef\xbf\xbd"
	       "b");
	expect("=?utf-8?q?a?= =?utf-8?q?=FF?=", "a\xef\xbf\xbd");
	/* next to a word in another charset */
	expect("=?iso-8859-1?q?caf=E9?= =?utf-8?q?_na=EFve?=",
	       "caf\xc3\xa9 na\xef\xbf\xbdve");
	/* a character split across two words still joins when another
	 * word of the run is damaged */
	expect("=?utf-8?q?=E2=82?= =?utf-8?q?=AC_na=EFve?=",
	       "\xe2\x82\xac na\xef\xbf\xbdve");
	expect("=?utf-8?q?=FF?= =?utf-8?b?4oI=?= =?utf-8?q?=AC?=",
	       "\xef\xbf\xbd\xe2\x82\xac");
	expect("=?shift_jis?q?=82?= =?shift_jis?q?=B1=FF?=",
	       "\xe3\x81\x93\xef\xbf\xbd");
	/* a word that is no encoded-word (bad B or Q text) stays raw in
	 * the middle of a run, with the spaces around it */
	expect("=?utf-8?q?a?= =?utf-8?b?####?= =?utf-8?q?b?=",
	       "a =?utf-8?b?####?= b");
	expect("=?utf-8?q?a?= =?utf-8?q?=ZZ?= =?utf-8?q?=FF?=",
	       "a =?utf-8?q?=ZZ?= \xef\xbf\xbd");
}

Test(rfc2047, broken_next_to_good)
{
	/* the space is kept where one side stays raw */
	expect("=?x-unknown?q?a?= =?utf-8?q?b?=", "=?x-unknown?q?a?= b");
	expect("=?utf-8?q?a?= =?utf-8?q?=ZZ?=", "a =?utf-8?q?=ZZ?=");
	expect("=?utf-8?q?a?= =?x-unknown?q?b?= =?utf-8?q?c?=",
	       "a =?x-unknown?q?b?= c");
}

Test(rfc2047, stateful_charset_flushed)
{
	/* ISO-2022-JP without the closing ESC ( B */
	expect("=?ISO-2022-JP?B?GyRCRnw=?=", "\xe6\x97\xa5");
}

Test(rfc2047, raw_text)
{
	expect("", "");
	expect("plain text", "plain text");
	expect("caf\xc3\xa9", "caf\xc3\xa9"); /* UTF-8 kept */
	expect("caf\xe9", "caf\xef\xbf\xbd"); /* Latin-1 byte */
	expect("\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	expect_n("a\0b", 3,
	         "a\xef\xbf\xbd"
	         "b"); /* NUL */
	expect("=?utf-8?q?a=00b?=", "a\xef\xbf\xbd"
	                            "b");
	expect("Re:=?utf-8?q?x?=y", "Re:xy"); /* glued to text */
	expect("= ?=?=?=?", "= ?=?=?=?");
	expect("=?", "=?");
	/* only part of a buffer */
	expect_n("=?utf-8?q?a?=XYZ", 13, "a");
	expect_n("=?utf-8?q?a?=XYZ", 12, "=?utf-8?q?a?");

	char *out = (char *)1;
	cr_assert_eq(imap4_rfc2047_decode(&out, NULL, 0), 0);
	cr_assert_str_eq(out, "");
	free(out);
	cr_assert_eq(imap4_rfc2047_decode(&out, NULL, 1), IMAP4_EINVAL);
	cr_assert_null(out);
	cr_assert_eq(imap4_rfc2047_decode(NULL, "x", 1), IMAP4_EINVAL);
}
