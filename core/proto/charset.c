/* charset.c - MIME charset labels to UTF-8; see charset.h.
 *
 * UTF-8 and the Latin-1 family are nearly all of real mail, and are
 * decoded here without iconv_open(), which costs more than the decoding of
 * a typical header word or body.
 */
#include "proto/charset.h"

#include "imap4.h"
#include "proto/utf8.h"
#include "util/ascii.h"
#include "util/buf.h"

#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

enum kind {
	K_UTF8,   /* UTF-8, U+FFFD for invalid bytes */
	K_AUTO,   /* unlabelled or US-ASCII: UTF-8, else windows-1252 */
	K_CP1252, /* windows-1252, and the labels that mean it */
	K_ICONV,
	K_UNICODE, /* UTF-16 or UTF-32: iconv once the first bytes are seen */
};

static const struct {
	const char *label;
	const char *iconv_name;
} aliases[] = {
        /* WHATWG: these labels mean windows-1252 on the wire */
        {"iso-8859-1", "WINDOWS-1252"},
        {"iso8859-1", "WINDOWS-1252"},
        {"iso88591", "WINDOWS-1252"},
        {"iso_8859-1", "WINDOWS-1252"},
        {"iso_8859-1:1987", "WINDOWS-1252"},
        {"iso-ir-100", "WINDOWS-1252"},
        {"csisolatin1", "WINDOWS-1252"},
        {"cp819", "WINDOWS-1252"},
        {"ibm819", "WINDOWS-1252"},
        {"latin1", "WINDOWS-1252"},
        {"l1", "WINDOWS-1252"},
        {"us-ascii", "WINDOWS-1252"},
        {"ascii", "WINDOWS-1252"},
        {"ansi_x3.4-1968", "WINDOWS-1252"},
        {"cp1252", "WINDOWS-1252"},
        {"x-cp1252", "WINDOWS-1252"},
        /* not WHATWG's, nor iconv's, but Python's codec name, which
         * scripts write as the label */
        {"latin-1", "WINDOWS-1252"},
        /* Chinese: GB18030 is a superset of GBK, itself of GB2312 */
        {"gb2312", "GB18030"},
        {"gbk", "GB18030"},
        {"x-gbk", "GB18030"},
        {"cp936", "GB18030"},
        {"euc-cn", "GB18030"},
        {"csgb2312", "GB18030"},
        /* Korean: UHC (CP949) extends EUC-KR */
        {"euc-kr", "CP949"},
        {"ks_c_5601-1987", "CP949"},
        {"ks_c_5601", "CP949"},
        {"ksc5601", "CP949"},
        /* Japanese: Microsoft's extensions are what senders use */
        {"shift_jis", "CP932"},
        {"shift-jis", "CP932"},
        {"sjis", "CP932"},
        {"x-sjis", "CP932"},
        {"ms_kanji", "CP932"},
        {"windows-31j", "CP932"},
        {"iso-2022-jp", "ISO-2022-JP-2"},
        {"csiso2022jp", "ISO-2022-JP-2"},
        {"big5", "BIG5-HKSCS"},
        {"x-mac-roman", "MACINTOSH"},
        {"utf8", "UTF-8"},
        {"unicode-1-1-utf-7", "UTF-7"},
};

/* The size of name's code unit: where iconv finds no character, the text
 * goes on at the next unit, not the next byte, or every character after
 * one bad unit of UTF-16 would be read out of step. */
static size_t code_unit(const char *name)
{
	static const struct {
		const char *prefix;
		size_t unit;
	} wide[] = {{"UTF-16", 2},  {"UTF16", 2}, {"UCS-2", 2}, {"UCS2", 2},
	            {"UNICODE", 2}, /* glibc's UCS-2 with a mark */
	            {"UTF-32", 4},  {"UTF32", 4}, {"UCS-4", 4}, {"UCS4", 4}};
	for (size_t i = 0; i < sizeof(wide) / sizeof(wide[0]); i++)
		if (strncasecmp(name, wide[i].prefix, strlen(wide[i].prefix)) ==
		    0)
			return wide[i].unit;
	return 1;
}

/* The iconv name for a MIME label; the label itself when not aliased.
 * Most mail says utf-8, which no alias matches: it is looked at first
 * (an envelope can hold dozens of encoded words). */
static const char *iconv_name(const char *label)
{
	if (strcasecmp(label, "utf-8") == 0)
		return "UTF-8";
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (strcasecmp(label, aliases[i].label) == 0)
			return aliases[i].iconv_name;
	return label;
}

/* RFC 2781 4.3: UTF-16 without a byte order mark is big-endian (glibc's
 * iconv reads it in the machine's order), and RFC 2781's reasoning holds
 * for UTF-32. The unit (2 or 4) of name when it is one of them, else 0. */
static size_t unicode_unit(const char *name)
{
	if (strcasecmp(name, "UTF-16") == 0 || strcasecmp(name, "UTF16") == 0)
		return 2;
	if (strcasecmp(name, "UTF-32") == 0 || strcasecmp(name, "UTF32") == 0)
		return 4;
	return 0;
}

/* The iconv name for text of that unit starting with p[0..len), and in
 * *bom the length of its byte order mark, which it drops. */
static const char *unicode_order(size_t unit, const unsigned char *p,
                                 size_t len, size_t *bom)
{
	static const unsigned char le16[] = {0xff, 0xfe}, be16[] = {0xfe, 0xff},
	                           le32[] = {0xff, 0xfe, 0, 0},
	                           be32[] = {0, 0, 0xfe, 0xff};
	bool le = len >= unit && memcmp(p, unit == 2 ? le16 : le32, unit) == 0;
	bool be = len >= unit && memcmp(p, unit == 2 ? be16 : be32, unit) == 0;
	*bom = le || be ? unit : 0;
	if (unit == 2)
		return le ? "UTF-16LE" : "UTF-16BE";
	return le ? "UTF-32LE" : "UTF-32BE";
}

static bool valid_label(const char *s)
{
	size_t n = 0;
	for (; s[n]; n++) {
		unsigned char c = (unsigned char)s[n];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		      c == '.' || c == ':' || c == '+'))
			return false;
	}
	return n > 0 && n <= IMAP4_CHARSET_MAX;
}

/* Windows-1252's 0x80..0x9F; the five holes (0x81, 0x8D, 0x8F, 0x90,
 * 0x9D) keep their Latin-1 meaning, as in WHATWG's index. */
static const uint16_t cp1252_c1[32] = {
        0x20ac, 0x0081, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
        0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008d, 0x017d, 0x008f,
        0x0090, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
        0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x009d, 0x017e, 0x0178,
};

uint32_t imap4_charset_cp1252(unsigned char c)
{
	return c >= 0x80 && c < 0xa0 ? cp1252_c1[c - 0x80] : c;
}

/* ---------------------------------------------------------- strict */

/* Writes the UTF-8 form of cp (below U+10000) at o; returns the end. */
static char *put_bmp(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		*o++ = (char)cp;
	} else if (cp < 0x800) {
		*o++ = (char)(0xc0 | cp >> 6);
		*o++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*o++ = (char)(0xe0 | cp >> 12);
		*o++ = (char)(0x80 | (cp >> 6 & 0x3f));
		*o++ = (char)(0x80 | (cp & 0x3f));
	}
	return o;
}

/* Written in place after one pass that sizes the output: an
 * imap4_utf8_put per byte made Latin-1 header words cost more than all the
 * rest of their decoding. Sized exactly, so that a capped buffer holds
 * what it held when the text was appended a character at a time. */
static int convert_cp1252(struct imap4_buf *out, const unsigned char *p,
                          size_t len)
{
	size_t need = len;
	for (size_t i = 0; i < len; i++)
		if (p[i] >= 0x80)
			need += imap4_charset_cp1252(p[i]) < 0x800 ? 1 : 2;
	int rc = imap4_buf_reserve(out, need);
	if (rc < 0)
		return rc;
	char *o = out->data + out->len;
	for (size_t i = 0; i < len; i++)
		o = put_bmp(o, imap4_charset_cp1252(p[i]));
	out->len += need;
	out->data[out->len] = '\0';
	return 1;
}

/* Bytes below 0x80 are each a whole character; most words are mostly
 * them, so runs of them are stepped over a word at a time. NUL is one of
 * them: a character of UTF-8 like any other, kept by this strict
 * converter (imap4_utf8_decode() takes it too); the callers that need a
 * C string replace it (rfc2047.c writes through
 * imap4_utf8_append_sanitized()). */
static int convert_utf8(struct imap4_buf *out, const unsigned char *p,
                        size_t len)
{
	uint32_t cp;
	size_t i = 0, n;
	while ((i += imap4_ascii_span(p + i, len - i)) < len) {
		if (!(n = imap4_utf8_decode(&cp, p + i, len - i)))
			return 0;
		i += n;
	}
	int rc = imap4_buf_append(out, p, len);
	return rc < 0 ? rc : 1;
}

static int convert_iconv(struct imap4_buf *out, const char *charset,
                         const char *bytes, size_t len)
{
	iconv_t cd = iconv_open("UTF-8", charset);
	if (cd == (iconv_t)-1)
		return errno == ENOMEM ? IMAP4_ENOMEM : 0;

	size_t mark = out->len;
	char *in = (char *)bytes;
	size_t inleft = len;
	int rc = 1;
	/* The second round (inleft 0) flushes stateful encodings such as
	 * ISO-2022-JP back to their initial shift state. */
	for (bool flushing = false;;) {
		rc = imap4_buf_reserve(out, inleft * 4 + 16);
		if (rc < 0)
			break;
		char *o = out->data + out->len;
		size_t oleft = out->alloc - out->len - 1;
		size_t r = flushing ? iconv(cd, NULL, NULL, &o, &oleft)
		                    : iconv(cd, &in, &inleft, &o, &oleft);
		out->len = (size_t)(o - out->data);
		if (r != (size_t)-1) {
			if (flushing) {
				rc = 1;
				break;
			}
			flushing = true;
			continue;
		}
		if (errno == E2BIG)
			continue;
		rc = 0; /* EILSEQ, or EINVAL: truncated sequence */
		break;
	}
	iconv_close(cd);
	if (rc <= 0)
		out->len = mark;
	if (out->data)
		out->data[out->len] = '\0';
	return rc;
}

int imap4_charset_convert(struct imap4_buf *out, const char *label,
                          const char *bytes, size_t len)
{
	/* Most words say utf-8, a valid label that no alias changes. */
	if (strcasecmp(label, "utf-8") == 0)
		return convert_utf8(out, (const unsigned char *)bytes, len);
	if (!valid_label(label))
		return 0;
	const char *name = iconv_name(label);

	if (strcasecmp(name, "UTF-8") == 0)
		return convert_utf8(out, (const unsigned char *)bytes, len);
	if (strcasecmp(name, "WINDOWS-1252") == 0)
		return convert_cp1252(out, (const unsigned char *)bytes, len);
	size_t unit = unicode_unit(name), bom = 0;
	if (unit)
		name = unicode_order(unit, (const unsigned char *)bytes, len,
		                     &bom);
	return convert_iconv(out, name, bytes + bom, len - bom);
}

/* ---------------------------------------------------------- lenient */

int imap4_charset_stream_open(struct imap4_charset_stream *cs,
                              const char *label)
{
	cs->cd = NULL;
	cs->kind = K_AUTO;
	cs->step = 1;
	cs->shifts = false;
	if (!label || !*label || strcasecmp(label, "us-ascii") == 0 ||
	    strcasecmp(label, "ascii") == 0)
		return 1;
	/* A label nobody knows ("unknown-8bit", a typo) says nothing about
	 * the bytes: they are read as unlabelled ones are. */
	if (!valid_label(label))
		return 0;
	const char *name = iconv_name(label);
	if (strcasecmp(name, "UTF-8") == 0) {
		cs->kind = K_UTF8;
		return 1;
	}
	if (strcasecmp(name, "WINDOWS-1252") == 0) {
		cs->kind = K_CP1252;
		return 1;
	}
	cs->step = code_unit(name);
	cs->shifts =
	        strcasecmp(name, "UTF-7") == 0 || strcasecmp(name, "UTF7") == 0;
	if ((cs->unit = unicode_unit(name)) != 0) {
		cs->kind = K_UNICODE;
		return 1;
	}
	iconv_t cd = iconv_open("UTF-8", name);
	if (cd == (iconv_t)-1)
		return errno == ENOMEM ? IMAP4_ENOMEM : 0;
	cs->cd = cd;
	cs->kind = K_ICONV;
	return 1;
}

/* The first bytes of UTF-16 or UTF-32 tell its order: the converter is
 * opened then. 1 when it is, 0 when more bytes are needed to tell. */
static int open_unicode(struct imap4_charset_stream *cs, const char *in,
                        size_t len, bool last, size_t *bom)
{
	if (len < cs->unit && !last)
		return 0;
	iconv_t cd = iconv_open(
	        "UTF-8",
	        unicode_order(cs->unit, (const unsigned char *)in, len, bom));
	if (cd == (iconv_t)-1)
		return IMAP4_ENOMEM; /* glibc has both orders */
	cs->cd = cd;
	cs->kind = K_ICONV;
	return 1;
}

void imap4_charset_stream_close(struct imap4_charset_stream *cs)
{
	if (cs->cd)
		iconv_close((iconv_t)cs->cd);
	cs->cd = NULL;
}

/* How many bytes at the end of p[0..len) start a UTF-8 sequence that the
 * end cuts short (0 when none): they wait for the next call. */
static size_t utf8_cut_tail(const unsigned char *p, size_t len)
{
	for (size_t back = 1; back <= 3 && back <= len; back++) {
		unsigned char c = p[len - back];
		if ((c & 0xc0) == 0x80)
			continue;
		size_t need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
		return need > back ? back : 0;
	}
	return 0;
}

/* UTF-8 (K_UTF8), UTF-8-else-windows-1252 (K_AUTO) or windows-1252
 * (K_CP1252). Room for the worst case is made once: each input byte
 * gives at most three (U+FFFD, or a windows-1252 character). */
static int feed_bytes(struct imap4_buf *out, const unsigned char *p, size_t len,
                      enum kind kind)
{
	if (len > SIZE_MAX / 3)
		return IMAP4_ELIMIT;
	int rc = imap4_buf_reserve(out, len * 3);
	if (rc < 0)
		return rc;
	char *o = out->data + out->len;
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n = 0;
		if (p[i] - 1u < 0x7fu) {
			*o++ = (char)p[i++];
			continue;
		}
		if (p[i] && kind != K_CP1252)
			n = imap4_utf8_decode(&cp, p + i, len - i);
		if (n) {
			memcpy(o, p + i, n);
			o += n;
			i += n;
			continue;
		}
		cp = p[i] && kind != K_UTF8 ? imap4_charset_cp1252(p[i])
		                            : 0xfffd;
		o = put_bmp(o, cp);
		i++;
	}
	out->len = (size_t)(o - out->data);
	out->data[out->len] = '\0';
	return 0;
}

/* iconv's output may hold NUL (a UTF-16 U+0000, say): the promise is text
 * usable as a C string, so each becomes U+FFFD. */
static int replace_nuls(struct imap4_buf *out, size_t from)
{
	if (!memchr(out->data + from, '\0', out->len - from))
		return 0;
	struct imap4_buf tmp;
	imap4_buf_init(&tmp, 0);
	int rc = feed_bytes(&tmp, (const unsigned char *)out->data + from,
	                    out->len - from, K_UTF8);
	if (rc == 0) {
		out->len = from;
		rc = imap4_buf_append(out, tmp.data, tmp.len);
	}
	imap4_buf_clear(&tmp);
	return rc;
}

static int feed_iconv(const struct imap4_charset_stream *cs,
                      struct imap4_buf *out, const char *bytes, size_t len,
                      bool last, size_t *used)
{
	iconv_t cd = (iconv_t)cs->cd;
	char *in = (char *)bytes;
	size_t inleft = len, from = out->len;
	int rc = 0;

	for (;;) {
		if ((rc = imap4_buf_reserve(out, inleft * 4 + 16)) < 0)
			return rc;
		char *o = out->data + out->len;
		size_t oleft = out->alloc - out->len - 1;
		size_t r = inleft ? iconv(cd, &in, &inleft, &o, &oleft)
		           : last ? iconv(cd, NULL, NULL, &o, &oleft)
		                  : 0;
		out->len = (size_t)(o - out->data);
		out->data[out->len] = '\0';
		if (r != (size_t)-1 && inleft == 0)
			break;
		if (r != (size_t)-1 || errno == E2BIG)
			continue;
		if (errno == EINVAL && !last)
			break; /* cut sequence: the rest comes next time */
		/* EILSEQ, or a sequence the end of the text cuts short: one
		 * replacement character, and go on after the unit. In UTF-7
		 * the bad byte ends the base64 run (RFC 2152: any character
		 * outside base64 does), which iconv would not leave. */
		if ((rc = imap4_utf8_put(out, 0xfffd)) < 0)
			return rc;
		size_t step = cs->step < inleft ? cs->step : inleft;
		in += step;
		inleft -= step;
		if (cs->shifts)
			iconv(cd, NULL, NULL, NULL, NULL);
	}
	*used = len - inleft;
	return replace_nuls(out, from);
}

/* The lead bytes of the invisible characters (imap4_utf8_invisible()),
 * 0xC2, 0xE2 and 0xEF, as bits numbered by the byte less 0xC0: a lead
 * byte of most letters is tested in one step. */
#define INVISIBLE_LEADS (1ull << 0x02 | 1ull << 0x22 | 1ull << 0x2f)

/* The walk of imap4_charset_stream_same(); when visible, it also stops
 * before an invisible character and puts its length in *skip. Inline, so
 * that each caller gets the loop it needs. */
static inline size_t same_span(const struct imap4_charset_stream *cs,
                               const unsigned char *p, size_t len,
                               bool visible, size_t *skip)
{
	size_t i = 0;

	/* iconv's charsets need not be ASCII-compatible (UTF-16, UTF-7) */
	if (cs->kind == K_ICONV || cs->kind == K_UNICODE)
		return 0;
	/* A whole body goes through here: runs of ASCII without NUL are
	 * stepped over a word at a time, so that only a NUL or an 8-bit
	 * byte costs a look of its own. */
	while ((i += imap4_ascii_nonul_span(p + i, len - i)) < len) {
		unsigned char c = p[i];
		uint32_t cp;
		size_t n = 0;
		if (c && cs->kind != K_CP1252)
			n = imap4_utf8_decode(&cp, p + i, len - i);
		if (!n)
			break;
		/* a valid sequence of two bytes or more: c >= 0xC2 */
		if (visible && (INVISIBLE_LEADS >> (c & 63) & 1) &&
		    imap4_utf8_invisible(cp)) {
			*skip = n;
			break;
		}
		i += n;
	}
	return i;
}

size_t imap4_charset_stream_same(const struct imap4_charset_stream *cs,
                                 const char *in, size_t len)
{
	return same_span(cs, (const unsigned char *)in, len, false, NULL);
}

size_t imap4_charset_stream_visible(const struct imap4_charset_stream *cs,
                                    const char *in, size_t len, size_t *skip)
{
	*skip = 0;
	return same_span(cs, (const unsigned char *)in, len, true, skip);
}

int imap4_charset_stream_feed(struct imap4_charset_stream *cs,
                              struct imap4_buf *out, const char *in, size_t len,
                              bool last, size_t *used)
{
	const unsigned char *p = (const unsigned char *)in;

	*used = 0;
	switch (cs->kind) {
	case K_UNICODE: {
		size_t bom = 0;
		int rc = open_unicode(cs, in, len, last, &bom);
		if (rc <= 0)
			return rc;
		rc = feed_iconv(cs, out, in + bom, len - bom, last, used);
		*used += bom;
		return rc;
	}
	case K_ICONV:
		return feed_iconv(cs, out, in, len, last, used);
	case K_CP1252:
		*used = len;
		return feed_bytes(out, p, len, K_CP1252);
	default:
		if (!last)
			len -= utf8_cut_tail(p, len);
		*used = len;
		return feed_bytes(out, p, len, (enum kind)cs->kind);
	}
}

int imap4_charset_auto_append(struct imap4_buf *out, const char *in, size_t len)
{
	return feed_bytes(out, (const unsigned char *)in, len, K_AUTO);
}

/* ---------------------------------------------------------- headers */

/* The ISO-2022 charset of p[0..len) when it is 7-bit text with an escape
 * that designates a double-byte set (ESC "$", an optional intermediate,
 * a final), else NULL: raw text of the mailers that wrote headers without
 * an encoded-word. RFC 1468's ISO-2022-JP designates into G0 ("ESC $ B",
 * "ESC $ @"; ISO-2022-JP-2 "ESC $ A", "ESC $ ( C" too); RFC 1557's
 * ISO-2022-KR ("ESC $ ) C") and RFC 1922's ISO-2022-CN ("ESC $ ) A",
 * "ESC $ ) G", "ESC $ * H"...) into G1 or G2, shifted to by SO or SS2.
 * Read as ISO-2022-JP, Korean and Chinese text lost its shifts and came
 * out as ASCII garbage ("$)CGQ19>n"). ESC "(" alone switches only between
 * single-byte sets, which ASCII readers show well enough. */
static const char *iso2022_escaped(const unsigned char *p, size_t len)
{
	const char *label = NULL;

	if (!memchr(p, 0x1b, len))
		return NULL;
	for (size_t i = 0; i < len; i++) {
		if (p[i] >= 0x80)
			return NULL;
		if (p[i] != 0x1b || i + 1 >= len || p[i + 1] != '$' || label)
			continue;
		unsigned char im = i + 2 < len ? p[i + 2] : 0;
		unsigned char fin = i + 3 < len ? p[i + 3] : 0;
		if (im == ')' && fin == 'C')
			label = "iso-2022-kr";
		else if ((im == ')' &&
		          (fin == 'A' || fin == 'G' || fin == 'E')) ||
		         (im == '*' && fin == 'H'))
			label = "iso-2022-cn";
		else if (im == '+' && fin >= 'I' && fin <= 'M')
			label = "iso-2022-cn-ext";
		else
			label = "iso-2022-jp";
	}
	return label;
}

bool imap4_charset_header_raw(const char *in, size_t len)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t i = imap4_ascii_span(p, len);
	return (i < len && !imap4_utf8_valid(p + i, len - i)) ||
	       memchr(p, 0x1b, len) != NULL;
}

/* Whether the text of charset label reads ASCII as ASCII, byte for byte,
 * so that the encoded-words and the punctuation of a header value read
 * in it stay what they are. The wide and the 7-bit stateful charsets do
 * not (a "=?" may be half a character there); no 8-bit byte is valid in
 * the latter anyway. */
static bool ascii_compatible(const char *name)
{
	static const char *const shifted[] = {
	        "UTF-7", "UTF7", "ISO-2022", "ISO2022", "CSISO2022", "HZ"};
	if (code_unit(name) > 1 || unicode_unit(name))
		return false;
	for (size_t i = 0; i < sizeof(shifted) / sizeof(shifted[0]); i++)
		if (strncasecmp(name, shifted[i], strlen(shifted[i])) == 0)
			return false;
	return true;
}

/* In a strict conversion a NUL is a character like any other; a header's
 * text is a C string. */
static int strict_header(struct imap4_buf *out, const char *label,
                         const char *in, size_t len)
{
	size_t mark = out->len;
	int rc = imap4_charset_convert(out, label, in, len);
	if (rc == 1 && (rc = replace_nuls(out, mark)) == 0)
		rc = 1;
	return rc;
}

int imap4_charset_header_append(struct imap4_buf *out, const char *in,
                                size_t len, const char *hint)
{
	const unsigned char *p = (const unsigned char *)in;
	int rc;

	const char *iso2022 = iso2022_escaped(p, len);
	if (iso2022) {
		/* Lenient: a damaged escape costs one character, not the
		 * value. */
		struct imap4_charset_stream cs;
		size_t used;
		int open = imap4_charset_stream_open(&cs, iso2022);
		rc = open == 1 ? imap4_charset_stream_feed(&cs, out, in, len,
		                                           true, &used)
		               : open;
		imap4_charset_stream_close(&cs);
		if (open != 0)
			return rc;
		/* an iconv without that charset: read as the text below */
	}
	/* Valid UTF-8 is kept, an ESC (of no ISO-2022 run) in it too: the
	 * declared charset is for what UTF-8 cannot be. */
	size_t ascii = imap4_ascii_span(p, len);
	if (ascii == len || imap4_utf8_valid(p + ascii, len - ascii) || !hint ||
	    !*hint || !valid_label(hint) || !ascii_compatible(iconv_name(hint)))
		return feed_bytes(out, p, len, K_AUTO);
	/* A label that does not fit the bytes (mail that says utf-8 and
	 * holds Latin-1, a Shift_JIS subject in a message labelled
	 * iso-8859-2 by its forwarder) is a wrong label: the bytes are read
	 * as unlabelled ones are, never dropped. */
	rc = strict_header(out, hint, in, len);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	return feed_bytes(out, p, len, K_AUTO);
}
