/* test_mutf7.c - modified UTF-7 (RFC 3501 5.1.3): examples, random round
 * trips, and every class of input the strict decoder must refuse. */
#include "imap4.h"

#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static char *enc(const char *utf8)
{
	char *out = (char *)1;
	int rc = imap4_mutf7_encode(&out, utf8);
	cr_assert_eq(rc, 0, "encode(%s) = %d", utf8, rc);
	cr_assert_not_null(out);
	return out;
}

static char *dec(const char *mutf7)
{
	char *out = (char *)1;
	int rc = imap4_mutf7_decode(&out, mutf7);
	cr_assert_eq(rc, 0, "decode(%s) = %d", mutf7, rc);
	cr_assert_not_null(out);
	return out;
}

static void both_ways(const char *utf8, const char *mutf7)
{
	char *e = enc(utf8), *d = dec(mutf7);
	cr_assert_str_eq(e, mutf7);
	cr_assert_str_eq(d, utf8);
	free(e);
	free(d);
}

Test(mutf7, rfc3501_example)
{
	/* "~peter/mail/" + 台北 + "/" + 日本語 */
	both_ways("~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/"
	          "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
	          "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
}

Test(mutf7, ascii_and_ampersand)
{
	both_ways("", "");
	both_ways("INBOX", "INBOX");
	both_ways("Tom & Jerry", "Tom &- Jerry");
	both_ways("&&", "&-&-");
	both_ways(" !\"#$%'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~",
	          " !\"#$%'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~");
}

Test(mutf7, non_ascii)
{
	both_ways("Entw\xc3\xbc"
	          "rfe",
	          "Entw&APw-rfe");                     /* Entwürfe */
	both_ways("\xc3\xa9t\xc3\xa9", "&AOk-t&AOk-"); /* été */
	/* U+1F600 as the surrogate pair D83D DE00 */
	both_ways("\xf0\x9f\x98\x80", "&2D3eAA-");
	/* a control character is not direct: it goes into a shift */
	both_ways("a\tb", "a&AAk-b");
	/* a shift ends before "&" which becomes "&-" */
	both_ways("\xc3\xa9&", "&AOk-&-");
}

Test(mutf7, padding_lengths)
{
	/* 1, 2 and 3 UTF-16 units: 3, 6 and 8 sextets, pad 2, 4 and 0 bits */
	both_ways("\xc3\xa9", "&AOk-");
	both_ways("\xc3\xa9\xc3\xa9", "&AOkA6Q-");
	both_ways("\xc3\xa9\xc3\xa9\xc3\xa9", "&AOkA6QDp-");
}

/* A random scalar value: ASCII, BMP or astral, never a surrogate or NUL. */
static uint32_t random_cp(unsigned *seed)
{
	for (;;) {
		uint32_t r = (uint32_t)rand_r(seed);
		uint32_t cp;
		switch (r % 4) {
		case 0:
			cp = 1 + r / 4 % 0x7f;
			break;
		case 1:
			cp = 0x80 + r / 4 % (0x800 - 0x80);
			break;
		case 2:
			cp = 0x800 + r / 4 % (0x10000 - 0x800);
			break;
		default:
			cp = 0x10000 + r / 4 % (0x110000 - 0x10000);
			break;
		}
		if (cp < 0xd800 || cp > 0xdfff)
			return cp;
	}
}

static size_t put_utf8(char *p, uint32_t cp)
{
	if (cp < 0x80) {
		p[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		p[0] = (char)(0xc0 | cp >> 6);
		p[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		p[0] = (char)(0xe0 | cp >> 12);
		p[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		p[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	p[0] = (char)(0xf0 | cp >> 18);
	p[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	p[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	p[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

Test(mutf7, random_round_trips)
{
	unsigned seed = 3501;
	char utf8[4 * 40 + 1];

	for (int iter = 0; iter < 5000; iter++) {
		size_t n = 0, count = (size_t)(rand_r(&seed) % 40);
		for (size_t i = 0; i < count; i++)
			n += put_utf8(utf8 + n, random_cp(&seed));
		utf8[n] = '\0';

		char *m = enc(utf8);
		for (const char *c = m; *c; c++)
			cr_assert(*c >= 0x20 && *c <= 0x7e, "8-bit in %s", m);
		char *back = dec(m);
		cr_assert_str_eq(back, utf8, "round trip of %s", m);
		/* and the encoding is the only one the decoder takes */
		char *again = enc(back);
		cr_assert_str_eq(again, m);
		free(m);
		free(back);
		free(again);
	}
}

static void bad_encode(const char *utf8)
{
	char *out = (char *)1;
	cr_assert_eq(imap4_mutf7_encode(&out, utf8), IMAP4_EINVAL,
	             "encode accepted invalid UTF-8");
	cr_assert_null(out);
}

Test(mutf7, encode_rejects_invalid_utf8)
{
	bad_encode("\x80");             /* lone continuation */
	bad_encode("a\xc3");            /* truncated */
	bad_encode("\xc3\x28");         /* bad continuation */
	bad_encode("\xc0\xaf");         /* overlong "/" */
	bad_encode("\xe0\x80\xaf");     /* overlong "/" */
	bad_encode("\xed\xa0\x80");     /* surrogate D800 */
	bad_encode("\xf4\x90\x80\x80"); /* above U+10FFFF */
	bad_encode("\xff");
	char *out = (char *)1;
	cr_assert_eq(imap4_mutf7_encode(&out, NULL), IMAP4_EINVAL);
	cr_assert_eq(imap4_mutf7_encode(NULL, "x"), IMAP4_EINVAL);
}

static void bad_decode(const char *mutf7)
{
	char *out = (char *)1;
	cr_assert_eq(imap4_mutf7_decode(&out, mutf7), IMAP4_EINVAL,
	             "decode accepted \"%s\"", mutf7);
	cr_assert_null(out);
}

Test(mutf7, decode_rejects_invalid)
{
	bad_decode("&AOk");        /* unterminated at the end */
	bad_decode("&AOk.x");      /* ended by another character */
	bad_decode("&");           /* bare & */
	bad_decode("&A-");         /* a shift with no whole unit */
	bad_decode("&AO-");        /* 12 bits: no whole unit */
	bad_decode("&AOl-");       /* padding bits not zero */
	bad_decode("&AOkA-");      /* a whole spare sextet */
	bad_decode("&AOk/-");      /* "/" is not modified base64 */
	bad_decode("&AOk=-");      /* nor is padding */
	bad_decode("&2D0-");       /* high surrogate alone */
	bad_decode("&2D0AQQ-");    /* high surrogate + "A" */
	bad_decode("&3gA-");       /* low surrogate alone */
	bad_decode("&2D0-&3gA-");  /* a pair split over two shifts */
	bad_decode("&AEE-");       /* "A" is printable: direct only */
	bad_decode("&ACY-");       /* "&" must be "&-" */
	bad_decode("&ACA-");       /* SP is printable */
	bad_decode("&AAA-");       /* NUL */
	bad_decode("&AOk-&AOk-");  /* adjacent shifts: one run */
	bad_decode("caf\xc3\xa9"); /* raw 8-bit */
	bad_decode("a\tb");        /* raw control character */
	char *out = (char *)1;
	cr_assert_eq(imap4_mutf7_decode(&out, NULL), IMAP4_EINVAL);
}

Test(mutf7, decode_accepts_shift_then_ampersand)
{
	char *d = dec("&AOk-&-&AOk-");
	cr_assert_str_eq(d, "\xc3\xa9&\xc3\xa9");
	free(d);
}
