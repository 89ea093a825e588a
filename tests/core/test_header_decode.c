/* test_header_decode.c - imap4_header_decode: header text as mail readers
 * show it, raw 8-bit bytes read in the message's own charset, raw
 * ISO-2022-JP, encoded-words beside them. Inputs are byte-exact. */
#include "imap4.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

/* "日本語" in Shift_JIS, EUC-JP and UTF-8 */
#define NIHONGO_SJIS "\x93\xfa\x96\x7b\x8c\xea"
#define NIHONGO_EUC  "\xc6\xfc\xcb\xdc\xb8\xec"
#define NIHONGO      "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"
/* "中文" in GBK and UTF-8 */
#define ZHONGWEN_GBK "\xd6\xd0\xce\xc4"
#define ZHONGWEN     "\xe4\xb8\xad\xe6\x96\x87"
/* "Привет" in KOI8-R and UTF-8 */
#define PRIVET_KOI8 "\xf0\xd2\xc9\xd7\xc5\xd4"
#define PRIVET      "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82"
/* "こんにちは" in ISO-2022-JP (7-bit, ESC $ B ... ESC ( B) and UTF-8 */
#define KONNICHIWA_JIS "\x1b$B$3$s$K$A$O\x1b(B"
#define KONNICHIWA                                                             \
	"\xe3\x81\x93\xe3\x82\x93\xe3\x81\xab\xe3\x81\xa1\xe3\x81\xaf"

static void expect_n(const char *in, size_t len, const char *charset,
                     const char *want)
{
	char *out = (char *)1;
	int rc = imap4_header_decode(&out, in, len, charset);
	cr_assert_eq(rc, 0, "decode(\"%s\", %s) = %d", in,
	             charset ? charset : "NULL", rc);
	cr_assert_not_null(out);
	cr_assert_str_eq(out, want, "decode(\"%s\", %s)", in,
	                 charset ? charset : "NULL");
	free(out);
}

static void expect(const char *in, const char *charset, const char *want)
{
	expect_n(in, strlen(in), charset, want);
}

/* The message's declared charset reads raw bytes that are not UTF-8, in
 * each of the charsets whose mail long carried them so; the label
 * aliases that charset.c maps (shift_jis to CP932, gb2312 to GB18030)
 * hold too. */
Test(header_decode, raw_text_in_the_declared_charset)
{
	expect("Re: " NIHONGO_SJIS, "Shift_JIS", "Re: " NIHONGO);
	expect("Re: " NIHONGO_SJIS, "windows-31j", "Re: " NIHONGO);
	expect(NIHONGO_EUC " test", "EUC-JP", NIHONGO " test");
	expect("[" ZHONGWEN_GBK "]", "gb2312", "[" ZHONGWEN "]");
	expect(ZHONGWEN_GBK, "GBK", ZHONGWEN);
	expect(ZHONGWEN_GBK, "GB18030", ZHONGWEN);
	expect(PRIVET_KOI8 "!", "koi8-r", PRIVET "!");
	/* a display name, quoted as the address parser leaves it */
	expect("\"" PRIVET_KOI8 "\"", "KOI8-R", "\"" PRIVET "\"");
}

/* Old Japanese mail puts ISO-2022-JP in headers raw: 7-bit, and so valid
 * UTF-8, but shown as escape garbage if taken as it is. No label needed. */
Test(header_decode, raw_iso_2022_jp)
{
	expect(KONNICHIWA_JIS, NULL, KONNICHIWA);
	expect("Re: " KONNICHIWA_JIS " (2)", NULL, "Re: " KONNICHIWA " (2)");
	expect(KONNICHIWA_JIS, "us-ascii", KONNICHIWA);
	expect(KONNICHIWA_JIS, "iso-2022-jp", KONNICHIWA);
	/* "=?" inside a kanji of the raw text ($=$?) is no encoded-word */
	expect("\x1b$B=?$3\x1b(B", NULL, "\xe6\x88\x8e\xe3\x81\x93");
}

/* "한국어" in ISO-2022-KR (RFC 1557: ESC $ ) C, then SO ... SI) and
 * "中文" in ISO-2022-CN (RFC 1922: ESC $ ) A, then SO ... SI), and UTF-8 */
#define HANGUGEO_KR "\x1b$)C\x0eGQ19>n\x0f"
#define HANGUGEO    "\xed\x95\x9c\xea\xb5\xad\xec\x96\xb4"
#define ZHONGWEN_CN "\x1b$)A\x0eVPND\x0f"

/* The same of Korean and Chinese mail, whose escapes designate G1 and
 * whose text is shifted in by SO: read as ISO-2022-JP, the shifts were
 * dropped and the text came out as ASCII ("$)CGQ19>n"). */
Test(header_decode, raw_iso_2022_kr_and_cn)
{
	expect(HANGUGEO_KR, NULL, HANGUGEO);
	expect("Re: " HANGUGEO_KR " (2)", NULL, "Re: " HANGUGEO " (2)");
	expect(HANGUGEO_KR, "euc-kr", HANGUGEO);
	expect(ZHONGWEN_CN, NULL, ZHONGWEN);
	expect("[" ZHONGWEN_CN "]", "gb2312", "[" ZHONGWEN "]");
	/* ISO-2022-JP-2's own Korean designation (into G0) stays JP-2 */
	expect("\x1b$(CGQ19>n\x1b(B", NULL, HANGUGEO);
}

/* Part encoded-word, part raw: both read. */
Test(header_decode, encoded_words_beside_raw_text)
{
	expect("=?utf-8?q?Caf=C3=A9?= " NIHONGO_SJIS, "shift_jis",
	       "Caf\xc3\xa9 " NIHONGO);
	expect(NIHONGO_SJIS " =?ISO-2022-JP?B?GyRCJDMkcyRLJEEkTxsoQg==?=",
	       "shift_jis", NIHONGO " " KONNICHIWA);
	expect(KONNICHIWA_JIS " =?koi8-r?b?8NLJ18XU?=", NULL,
	       KONNICHIWA " " PRIVET);
	expect("=?utf-8?q?a?= " PRIVET_KOI8, "koi8-r", "a " PRIVET);
}

/* Valid UTF-8 is never read in the declared charset, though its bytes
 * are valid Shift_JIS (half-width katakana) too. */
Test(header_decode, valid_utf8_untouched)
{
	expect("Caf\xc3\xa9 " NIHONGO, "shift_jis", "Caf\xc3\xa9 " NIHONGO);
	expect(PRIVET, "koi8-r", PRIVET);
	expect("plain ascii", "gbk", "plain ascii");
	expect("", "shift_jis", "");
	/* an escape that is no ISO-2022 one makes it no less UTF-8 */
	expect("Caf\xc3\xa9 \x1b[m", "shift_jis", "Caf\xc3\xa9 \x1b[m");
}

/* A label wrong for the bytes (or none, or one that cannot hold raw
 * 8-bit text) falls back to windows-1252: readable Latin-1, never
 * invalid UTF-8, never the value dropped. */
Test(header_decode, wrong_or_no_label_falls_back)
{
	/* 0xFC 0x6C is no CP932 character */
	expect("M\xfcller", "shift_jis", "M\xc3\xbcller");
	expect("M\xfcller", "utf-8", "M\xc3\xbcller");
	expect("M\xfcller", NULL, "M\xc3\xbcller");
	expect("M\xfcller", "x-unknown-charset", "M\xc3\xbcller");
	expect("M\xfcller", "utf-16", "M\xc3\xbcller");
	expect("M\xfcller", "utf-7", "M\xc3\xbcller");
	expect("M\xfcller", "iso-2022-jp", "M\xc3\xbcller");
	expect("M\xfcller", "shift_jis//IGNORE", "M\xc3\xbcller");
	/* Shift_JIS without its label is windows-1252 mojibake, but valid */
	expect(NIHONGO_SJIS, NULL,
	       "\xe2\x80\x9c\xc3\xba\xe2\x80\x93{\xc5\x92\xc3\xaa");
	/* an ISO-2022 escape beside 8-bit bytes is not ISO-2022-JP */
	expect("\x1b$B\xfc", NULL, "\x1b$B\xc3\xbc");
}

/* Damage costs a character, never the value; NUL is U+FFFD. */
Test(header_decode, damage_costs_a_character)
{
	char *out;
	cr_assert_eq(
	        imap4_header_decode(&out, "\x1b$B$3\x1b(Bok\x1b$B$", 14, NULL),
	        0);
	cr_assert_not_null(strstr(out, "\xe3\x81\x93ok"), "%s", out);
	cr_assert_not_null(strstr(out, "\xef\xbf\xbd"), "%s", out);
	free(out);
	expect_n("a\0" NIHONGO_SJIS, 8, "shift_jis", "a\xef\xbf\xbd" NIHONGO);
	expect_n("a\0\xfc", 3, NULL, "a\xef\xbf\xbd\xc3\xbc");
	/* an escape that is no ISO-2022 one is left for the caller */
	expect("\x1b[31mred", NULL, "\x1b[31mred");
}

Test(header_decode, arguments)
{
	char *out = (char *)1;
	cr_assert_eq(imap4_header_decode(NULL, "x", 1, NULL), IMAP4_EINVAL);
	cr_assert_eq(imap4_header_decode(&out, NULL, 1, NULL), IMAP4_EINVAL);
	cr_assert_null(out);
	cr_assert_eq(imap4_header_decode(&out, NULL, 0, NULL), 0);
	cr_assert_str_eq(out, "");
	free(out);
}
