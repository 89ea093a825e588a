/* mime_text.c - the text of a MIME message; see mime_text.h.
 *
 * One pass over the message. The boundaries of the open multiparts are
 * kept on a stack, and the body of each part ends at the first line that
 * is a delimiter of any of them (RFC 2046 5.1.1), the innermost first:
 * that finds the end of a part whose multipart lacks its close delimiter,
 * and it reads every byte once, not once per enclosing multipart (the
 * part chosen from a multipart/alternative twice: see alternative()). Lines
 * are found by looking for "-" with memchr(), which base64 never holds,
 * so that an attachment is skipped at memory speed.
 *
 * Text parts go through a pipeline in pieces of about CHUNK bytes, cut
 * after a line end so that no quoted-printable escape is cut: transfer
 * decoding, charset conversion (a cut character waits for the next
 * piece) that also drops the invisible characters, then plain,
 * format=flowed or HTML text to the sink. The pieces bound the memory,
 * and the sink's limit stops the work as soon as it is reached. The
 * stages live in their own files (mime_internal.h): transfer decoding in
 * mime_decode.c, the sink and plain text in mime_sink.c, format=flowed in
 * mime_flowed.c, HTML in mime_html.c.
 *
 * A message that a partial fetch cut (imap4_mime_text_partial()) ends in
 * the middle of something: the part that runs to the cut leaves out what
 * the cut split, where the end of a whole message would write it.
 */
#include "proto/mime_text.h"

#include "imap4.h"
#include "proto/charset.h"
#include "proto/hex.h"
#include "proto/mime_internal.h"
#include "proto/rfc2047.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

/* Entities nested deeper are skipped: it bounds the recursion below and
 * the boundaries each line is compared with. */
#define DEPTH_MAX 32

#define CHUNK (64 * 1024)

enum field { F_CTYPE, F_CTE, F_DISP, F_FROM, F_SUBJECT, F_COUNT };

static const char *const field_names[F_COUNT] = {
        "content-type",
        "content-transfer-encoding",
        "content-disposition",
        "from",
        "subject",
};

struct span {
	const char *p; /* NULL when the field is absent */
	size_t n;
};

struct fields {
	struct span f[F_COUNT];
};

enum kind {
	K_TOP,
	K_PART,
	K_DIGEST_PART, /* RFC 2046 5.1.5: message/rfc822 by default */
	K_MESSAGE,     /* the body of a message/rfc822 */
};

struct bound {
	const char *s;
	size_t len;
};

struct ctx {
	const char *p, *end; /* what is left to read */
	struct mime_sink sink;
	struct bound stack[DEPTH_MAX];
	int nstack;
	/* levels below base belong to the message around a decoded one
	 * (encoded_message()), whose body ends at its own end */
	int base;
	bool nested; /* in such a message */
	/* in the parts of a multipart/alternative not shown: their
	 * attachments' names alone are read (alternative()) */
	bool names_only;
	/* what the last scan() stopped at: the level of the boundary (-1:
	 * the end of the message) and whether it closed its multipart */
	int hit;
	bool hit_close;
	/* end is where a partial fetch cut the message, not its end
	 * (imap4_mime_text_partial()); and the text the last scan() found
	 * runs to that cut */
	bool cut, at_cut;
	struct imap4_buf dec, conv; /* the text pipeline's pieces */
	struct imap4_buf flow;      /* and unwrapped format=flowed text */
};

/* -------------------------------------------------------- header block */

static int field_index(const char *name, size_t n)
{
	for (int i = 0; i < F_COUNT; i++)
		if (strlen(field_names[i]) == n &&
		    strncasecmp(field_names[i], name, n) == 0)
			return i;
	return -1;
}

/* Whether the line at q (a line start, q[0..1] "--") delimits a part of
 * an open multipart, the innermost first. The level, or -1; *close for a
 * close delimiter, *next the start of the line after it. */
static int delimiter(const struct ctx *c, const char *q, bool *close,
                     const char **next)
{
	const char *end = c->end;
	for (int i = c->nstack - 1; i >= c->base; i--) {
		const struct bound *b = &c->stack[i];
		if ((size_t)(end - q) - 2 < b->len ||
		    memcmp(q + 2, b->s, b->len) != 0)
			continue;
		const char *r = q + 2 + b->len;
		bool cl = end - r >= 2 && r[0] == '-' && r[1] == '-';
		if (cl)
			r += 2;
		/* transport padding; after a close delimiter readers take
		 * anything, since nothing is lost by it */
		while (r < end && (*r == ' ' || *r == '\t' || *r == '\r'))
			r++;
		if (r < end && *r != '\n') {
			if (!cl)
				continue;
			r = memchr(r, '\n', (size_t)(end - r));
			if (!r)
				r = end;
		}
		*next = r < end ? r + 1 : end;
		*close = cl;
		return i;
	}
	return -1;
}

/* The colon of the header field (RFC 5322 2.2: a name of printable
 * characters, then ':', blanks allowed before it) the line p..le is, or
 * NULL when it is none; *name_end where its name ends. */
static const char *field_colon(const char *p, const char *le,
                               const char **name_end)
{
	const char *q = p;
	while (q < le && *q != ':' && (unsigned char)*q > ' ' && *q != 0x7f)
		q++;
	*name_end = q;
	while (q < le && (*q == ' ' || *q == '\t'))
		q++;
	return q < le && *q == ':' && *name_end > p ? q : NULL;
}

/* Whether the header block goes on past the line p..nl that is no header
 * field, as Dovecot reads it: a stray line after a field, or an mbox
 * "From " line before the first, when a field follows. Else the line is
 * the start of the text (a block with no empty line after it, or no
 * block: "just some text\nwith: a colon later" is text). */
static bool stray_line(const char *p, const char *nl, const char *end,
                       bool after_field)
{
	if (!after_field && ((size_t)(end - p) < 5 || memcmp(p, "From ", 5)))
		return false;
	if (nl == NULL || nl + 1 >= end)
		return false;
	p = nl + 1;
	const char *name_end;
	const char *eol = memchr(p, '\n', (size_t)(end - p));
	const char *le = eol ? eol : end;
	if (le > p && le[-1] == '\r')
		le--;
	return field_colon(p, le, &name_end) != NULL;
}

/* Reads a header block (RFC 5322 2.2, 3.6) from c->p up to and through
 * its empty line. It also ends, before the line, at a delimiter (a part
 * with no body) and at a line that is no header field, unless a field
 * follows it: RFC 2045 allows a part without a header block, and senders
 * forget the empty line. */
static void parse_header(struct ctx *c, struct fields *f)
{
	const char *p = c->p, *end = c->end;
	struct span *cur = NULL;

	memset(f, 0, sizeof(*f));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end, *next = nl ? nl + 1 : end;
		const char *le = eol > p && eol[-1] == '\r' ? eol - 1 : eol;
		if (le == p) {
			p = next;
			break;
		}
		if (*p == ' ' || *p == '\t') {
			if (cur)
				cur->n = (size_t)(le - cur->p);
			p = next;
			continue;
		}
		bool close;
		const char *after;
		if (le - p >= 2 && p[0] == '-' && p[1] == '-' &&
		    delimiter(c, p, &close, &after) >= 0)
			break;
		const char *name_end;
		const char *q = field_colon(p, le, &name_end);
		if (q == NULL) {
			/* a field the cut split before its colon */
			if (!nl && c->cut) {
				p = end;
				break;
			}
			if (!stray_line(p, nl, end, p > c->p))
				break;
			cur = NULL;
			p = next;
			continue;
		}
		int i = field_index(p, (size_t)(name_end - p));
		cur = NULL;
		if (i >= 0 && !f->f[i].p) {
			f->f[i].p = q + 1;
			f->f[i].n = (size_t)(le - (q + 1));
			cur = &f->f[i];
		}
		p = next;
	}
	c->p = p;
}

/* ---------------------------------------------------------- boundaries */

/* Whether the n bytes at line are the start of a delimiter line of b,
 * "--" b, or the close one, "--" b "--". */
static bool delimiter_start(const char *line, size_t n, const struct bound *b)
{
	if (n > b->len + 4)
		return false;
	for (size_t k = 0; k < n; k++) {
		char want = k < 2 || k >= 2 + b->len ? '-' : b->s[k - 2];
		if (line[k] != want)
			return false;
	}
	return true;
}

/* Where the text of start[..c->end) ends when the cut may have split a
 * delimiter line at its end: "--bound" of "--boundary" is no text of the
 * part, but the line that would have ended it. */
static const char *before_cut_delimiter(const struct ctx *c, const char *start)
{
	const char *line = c->end;
	while (line > start && line[-1] != '\n')
		line--;
	size_t n = (size_t)(c->end - line);
	bool split = false;
	for (int i = c->nstack - 1; i >= c->base && n > 0 && !split; i--)
		split = delimiter_start(line, n, &c->stack[i]);
	if (!split)
		return c->end;
	if (line > start && *--line == '\n' && line > start && line[-1] == '\r')
		line--;
	return line;
}

/* Moves c->p past the next delimiter line of an open multipart (or to
 * the end) and returns where the text before it ends: the line break
 * before a delimiter is part of it (RFC 2046 5.1.1). */
static const char *scan(struct ctx *c)
{
	const char *start = c->p, *q = start, *end = c->end;

	while (c->nstack > c->base && q < end &&
	       (q = memchr(q, '-', (size_t)(end - q))) != NULL) {
		bool close;
		const char *next;
		int level;
		if ((q == start || q[-1] == '\n') && end - q >= 2 &&
		    q[1] == '-' &&
		    (level = delimiter(c, q, &close, &next)) >= 0) {
			const char *text_end = q;
			if (q > start && *--text_end == '\n' &&
			    text_end > start && text_end[-1] == '\r')
				text_end--;
			c->p = next;
			c->hit = level;
			c->hit_close = close;
			c->at_cut = false;
			return text_end;
		}
		q++;
	}
	c->p = end;
	c->hit = -1;
	c->hit_close = false;
	/* a text that the start of a delimiter ends ends there, whole */
	const char *text_end = c->cut ? before_cut_delimiter(c, start) : end;
	c->at_cut = c->cut && text_end == end;
	return text_end;
}

/* The last stage of the pipeline: HTML, format=flowed or plain text. */
struct stage {
	struct mime_html *html;
	struct mime_flowed *flowed;
	bool cr; /* imap4_mime_plain_feed()'s */
};

static int filter(struct ctx *c, struct stage *st, const char *p, size_t n)
{
	if (st->html)
		return imap4_mime_html_feed(st->html, &c->sink, p, n);
	if (st->flowed) {
		imap4_buf_reset(&c->flow);
		int rc = imap4_mime_flowed_feed(st->flowed, &c->flow, p, n);
		if (rc == 0)
			rc = imap4_mime_plain_feed(
			        &c->sink, &st->cr,
			        c->flow.data ? c->flow.data : "", c->flow.len);
		return rc;
	}
	return imap4_mime_plain_feed(&c->sink, &st->cr, p, n);
}

/* cut: the part ends at the cut of a partial fetch. */
static int filter_finish(struct ctx *c, struct stage *st, bool cut)
{
	if (st->html)
		return imap4_mime_html_finish(st->html, &c->sink, cut);
	if (!st->flowed)
		return 0;
	imap4_buf_reset(&c->flow);
	int rc = imap4_mime_flowed_finish(st->flowed, &c->flow);
	if (rc == 0)
		rc = imap4_mime_plain_feed(&c->sink, &st->cr,
		                           c->flow.data ? c->flow.data : "",
		                           c->flow.len);
	return rc;
}

/* Feeds p[0..n) to the last stage without its invisible characters, as
 * far as cs reads it as it is: cs finds them in the pass that finds that
 * text, so that ASCII text costs no more. *used: how far cs took it, to a
 * byte that it must convert, or to the end. */
static int filter_shown(struct ctx *c, struct stage *st,
                        const struct imap4_charset_stream *cs, const char *p,
                        size_t n, size_t *used)
{
	size_t i = 0, skip;
	int rc = 0;

	do {
		size_t k =
		        imap4_charset_stream_visible(cs, p + i, n - i, &skip);
		if (k)
			rc = filter(c, st, p + i, k);
		i += k + skip;
	} while (rc == 0 && skip);
	*used = i;
	return rc;
}

/* The next piece of p[..end): about CHUNK bytes, through a line end. */
static const char *piece_end(const char *p, const char *end, bool *last)
{
	const char *nl =
	        (size_t)(end - p) > CHUNK
	                ? memchr(p + CHUNK, '\n', (size_t)(end - p - CHUNK))
	                : NULL;
	const char *e = nl ? nl + 1 : end;
	*last = e == end;
	return e;
}

/* The length of the quoted-printable escape a cut split at the end of
 * p[0..n): "=" and one hex digit. (A lone "=" reads as a soft break.) */
static size_t qp_split_escape(const char *p, size_t n)
{
	return n >= 2 && p[n - 2] == '=' && imap4_hex_value(p[n - 1]) >= 0 ? 2
	                                                                   : 0;
}

static int text_body(struct ctx *c, const struct mime_type *t,
                     enum mime_cte cte, bool html, const char *p,
                     const char *end)
{
	/* The part ends at a cut: what the cut split at its end is left out,
	 * as the end of the message would not leave it. */
	bool cut = c->at_cut;
	/* utf8 reads converted text, which is UTF-8, for filter_shown() */
	struct imap4_charset_stream cs = {.cd = NULL}, utf8;
	struct mime_base64 b64 = {0, 0};
	struct mime_html h;
	struct mime_flowed fl;
	struct stage st = {NULL, NULL, false};
	bool last = false, cs_open = false;
	int rc = 0;

	if (html) {
		imap4_mime_html_init(&h);
		st.html = &h;
	} else if (t->flowed && strcmp(t->subtype, "plain") == 0) {
		/* RFC 3676 defines the parameter for text/plain alone */
		imap4_mime_flowed_init(&fl, t->delsp);
		st.flowed = &fl;
	}
	imap4_charset_stream_open(&utf8, "utf-8");
	imap4_buf_reset(&c->dec);
	while (rc >= 0 && !last) {
		const char *e = piece_end(p, end, &last), *in;
		size_t n = (size_t)(e - p), len, used;
		if (last && cut && cte == MIME_CTE_QP)
			n -= qp_split_escape(p, n);
		if (cte == MIME_CTE_BASE64)
			rc = imap4_mime_base64_decode(&c->dec, &b64, p, n);
		else if (cte == MIME_CTE_QP)
			rc = imap4_mime_qp_decode(&c->dec, p, n);
		else if (c->dec.len)
			rc = imap4_buf_append(&c->dec, p, n);
		if (rc < 0)
			break;
		/* 7bit and 8bit text is read where it is, not copied */
		bool inplace = cte == MIME_CTE_IDENTITY && c->dec.len == 0;
		in = inplace ? p : c->dec.data ? c->dec.data : "";
		len = inplace ? n : c->dec.len;
		p = e;
		if (!cs_open) {
			/* HTML that its Content-Type gives no charset may
			 * name one in a <meta>, by which readers show it:
			 * old Russian and Japanese mail (explore66). The
			 * first piece holds MIME_HTML_PRESCAN bytes, or all. */
			char meta[IMAP4_CHARSET_MAX + 1];
			const char *label = t->charset;
			if (html && !label[0] &&
			    imap4_mime_html_meta_charset(in, len, meta,
			                                 sizeof(meta)))
				label = meta;
			rc = imap4_charset_stream_open(&cs, label);
			cs_open = true;
			if (rc < 0)
				break;
		}

		/* most text converts to itself: only the rest is converted */
		rc = filter_shown(c, &st, &cs, in, len, &used);
		if (rc == 0 && used < len) {
			size_t more, done;
			imap4_buf_reset(&c->conv);
			/* a character the cut split is left unconsumed */
			rc = imap4_charset_stream_feed(&cs, &c->conv, in + used,
			                               len - used, last && !cut,
			                               &more);
			used += more;
			if (rc == 0)
				rc = filter_shown(c, &st, &utf8,
				                  c->conv.data ? c->conv.data
				                               : "",
				                  c->conv.len, &done);
		}
		if (rc)
			break;
		/* a character cut by the end of the piece waits */
		if (!inplace)
			imap4_buf_consume(&c->dec, used);
		else if (used < len)
			rc = imap4_buf_append(&c->dec, in + used, len - used);
	}
	if (rc == 0)
		rc = filter_finish(c, &st, cut);
	imap4_charset_stream_close(&cs);
	imap4_charset_stream_close(&utf8);
	return rc;
}

/* ------------------------------------------------------------ entities */

/* A line "Label: value" of text, the value unfolded and decoded. Raw
 * 8-bit bytes are read as the daemon reads those of the envelope: UTF-8,
 * else windows-1252 ("R\xe9sum\xe9"); the encoded-words are ASCII, which
 * that leaves as it is. */
static int header_line(struct ctx *c, const char *label, struct span v)
{
	struct imap4_buf *raw = &c->dec, *line = &c->conv, *text = &c->flow;
	int rc = 0;

	imap4_buf_reset(raw);
	imap4_buf_reset(line);
	imap4_buf_reset(text);
	for (size_t i = 0; i < v.n && rc == 0; i++)
		if (v.p[i] != '\r' && v.p[i] != '\n')
			rc = imap4_buf_putc(raw, v.p[i]);
	if (rc == 0)
		rc = imap4_charset_auto_append(text, raw->data ? raw->data : "",
		                               raw->len);
	if (rc == 0)
		rc = imap4_buf_puts(line, label);
	if (rc == 0)
		rc = imap4_rfc2047_decode_append(
		        line, text->data ? text->data : "", text->len);
	if (rc < 0)
		return rc;
	size_t skip = strlen(label), n = line->len;
	while (skip < n &&
	       (line->data[skip] == ' ' || line->data[skip] == '\t'))
		skip++;
	if (skip == n)
		return 0;
	for (size_t i = skip; i < n; i++)
		if ((unsigned char)line->data[i] < 0x20)
			line->data[i] = ' ';
	rc = imap4_mime_sink_put(&c->sink, line->data, strlen(label));
	if (rc == 0)
		rc = imap4_mime_sink_put(&c->sink, line->data + skip, n - skip);
	if (rc == 0)
		rc = imap4_mime_sink_put(&c->sink, "\n", 1);
	return rc;
}

static int name_line(struct ctx *c, const struct fields *f)
{
	const struct span *ct = &f->f[F_CTYPE], *cd = &f->f[F_DISP];
	imap4_buf_reset(&c->conv);
	int rc = imap4_mime_filename(&c->conv, ct->p, ct->n, cd->p, cd->n);
	if (rc <= 0)
		return rc;
	rc = imap4_mime_sink_put(&c->sink, c->conv.data, c->conv.len);
	return rc ? rc : imap4_mime_sink_put(&c->sink, "\n", 1);
}

static bool is(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

/* The body[..body_end) of a part that is not a multipart or a message to
 * descend into. */
static int leaf_body(struct ctx *c, const struct fields *f,
                     const struct mime_type *t, const char *body,
                     const char *body_end)
{
	const struct span *cte = &f->f[F_CTE];
	int rc;

	imap4_mime_sink_part(&c->sink);
	if ((rc = name_line(c, f)) != 0)
		return rc;
	/* an attachment is a file, whatever its type: its name is what a
	 * search may look for, and decoding it would cost the most */
	const struct span *disp = &f->f[F_DISP];
	if (c->names_only ||
	    (disp->p && imap4_mime_disposition_is_attachment(disp->p, disp->n)))
		return 0;
	bool text = is(t->type, "text") ||
	            (is(t->type, "message") &&
	             (is(t->subtype, "delivery-status") ||
	              is(t->subtype, "disposition-notification")));
	if (!text)
		return 0;
	return text_body(c, t,
	                 cte->p ? imap4_mime_cte_parse(cte->p, cte->n)
	                        : MIME_CTE_IDENTITY,
	                 is(t->subtype, "html"), body, body_end);
}

static int leaf(struct ctx *c, const struct fields *f,
                const struct mime_type *t)
{
	const char *body = c->p, *body_end = scan(c);
	return leaf_body(c, f, t, body, body_end);
}

static int entity(struct ctx *c, unsigned depth, enum kind kind);

/* When the text/plain part of a multipart/alternative only points to the
 * other ("view this email in your browser") or is empty, the newsletter's
 * text is in the HTML part, which a reader shows, and a search must find.
 * So the plain part gives way to the other candidate (the first text/html
 * part, else the first multipart, as a multipart/related holding the
 * HTML) when its text, counted in bytes other than white space, is
 *  - empty, while the other's is not; or
 *  - under SHORT_PLAIN_MAX, and less than a quarter of the other's, which
 *    has at least SHORT_PLAIN_MIN.
 * Texts that say the same thing differ far less: markup and link targets
 * are not text, and a plain part written for its own sake is rarely
 * shorter than the HTML's words. The bound on the plain text keeps the
 * cost: only a short plain part makes the other be read as well. */
#define SHORT_PLAIN_MAX 1024
#define SHORT_PLAIN_MIN 64

/* The bytes of out[from..) that are not white space, counted up to max. */
static size_t weight(const struct imap4_buf *out, size_t from, size_t max)
{
	size_t w = 0;
	for (size_t i = from; i < out->len && w < max; i++) {
		char ch = out->data[i];
		w += ch != ' ' && ch != '\n' && ch != '\t';
	}
	return w;
}

/* The plain part's text is out[mark..), written by the caller; other is
 * the start of the other candidate, len bytes long with its header. Its
 * text is written after the plain one's, then the shorter goes. */
static int weigh_short_plain(struct ctx *c, unsigned depth, size_t mark,
                             const char *other, size_t len, bool *taken)
{
	struct mime_sink *s = &c->sink;
	struct imap4_buf *out = s->out;

	if (s->cut)
		return 0;
	size_t plain = weight(out, mark, SHORT_PLAIN_MAX);
	/* decoded text is at most three bytes per byte of the part
	 * (windows-1252 to UTF-8), so a part too short to reach four times
	 * the plain text need not be read */
	if (plain >= SHORT_PLAIN_MAX || (plain > 0 && len <= plain * 4 / 3))
		return 0;
	imap4_mime_sink_trim(s);
	size_t mid = out->len;
	bool begun = s->part_begun;
	c->p = other;
	int rc = entity(c, depth + 1, K_PART);
	if (rc < 0 && rc != IMAP4_ELIMIT)
		return rc;
	size_t w = rc < 0 ? 0 : weight(out, mid, SIZE_MAX);
	if (w > 0 && (plain == 0 || (w >= SHORT_PLAIN_MIN && plain * 4 < w))) {
		/* the other's text takes the plain one's place; at the
		 * start of the text, without the blank line before it */
		const char *t = out->data + mid;
		size_t n = out->len - mid;
		while (mark == s->start && n > 0 && *t == '\n') {
			t++;
			n--;
		}
		memmove(out->data + mark, t, n);
		out->len = mark + n;
		out->data[out->len] = '\0';
		*taken = true;
		return rc;
	}
	out->len = mid;
	if (out->data)
		out->data[out->len] = '\0';
	s->cut = false;
	s->part_begun = begun;
	return 0;
}

/* The names of the attachments in the parts of the multipart at level me
 * from c->p on, but for the parts that start at shown or also_shown, whose
 * names are in the text already. */
static int names_of_parts(struct ctx *c, unsigned depth, int me,
                          const char *shown, const char *also_shown)
{
	bool was = c->names_only;
	int rc = 0;

	c->names_only = true;
	while (rc == 0 && c->hit == me && !c->hit_close) {
		if (c->p == shown || c->p == also_shown) {
			struct fields f;
			parse_header(c, &f);
			scan(c);
		} else {
			rc = entity(c, depth + 1, K_PART);
		}
	}
	c->names_only = was;
	return rc;
}

/* RFC 2046 5.1.4: the parts say the same thing, so only the one a reader
 * would show counts. Each part's header is read to rank it and its body
 * skipped; then the best is read again and decoded, and when it is a
 * short text/plain, the other candidate too (weigh_short_plain()). */
static int alternative(struct ctx *c, unsigned depth, int me)
{
	const char *first = c->p, *best = NULL, *other = NULL;
	int best_rank = 0, other_rank = 0;
	size_t other_len = 0;

	if (c->names_only)
		return names_of_parts(c, depth, me, NULL, NULL);
	while (c->hit == me && !c->hit_close) {
		const char *start = c->p;
		struct fields f;
		struct mime_type t;
		parse_header(c, &f);
		imap4_mime_type_parse(&t, f.f[F_CTYPE].p ? f.f[F_CTYPE].p : "",
		                      f.f[F_CTYPE].n);
		int rank = 1, orank = 0;
		if (!t.type[0] ||
		    (is(t.type, "text") && is(t.subtype, "plain")))
			rank = 3;
		else if (is(t.type, "text") && is(t.subtype, "html"))
			rank = orank = 2;
		else if (is(t.type, "multipart"))
			orank = 1;
		if (rank > best_rank) {
			best = start;
			best_rank = rank;
		}
		const char *end = scan(c);
		if (orank > other_rank) {
			other = start;
			other_rank = orank;
			other_len = (size_t)(end - start);
		}
	}
	if (!best)
		return 0;
	const char *p = c->p;
	int hit = c->hit;
	bool hit_close = c->hit_close;
	bool short_plain = best_rank == 3 && other;
	size_t mark = 0;
	if (short_plain) {
		/* trailing white space would go before the next part's text
		 * anyway; now, so that the plain text starts at mark */
		imap4_mime_sink_trim(&c->sink);
		mark = c->sink.out->len;
	}
	c->p = best;
	int rc = entity(c, depth + 1, K_PART);
	bool other_shown = false;
	if (rc == 0 && short_plain)
		rc = weigh_short_plain(c, depth, mark, other, other_len,
		                       &other_shown);
	if (rc == 0 && !c->sink.cut) {
		/* Apple Mail puts the attachments of a message written in
		 * rich text in the HTML branch alone: their names are
		 * looked for in the parts not shown as well */
		c->p = first;
		c->hit = me;
		c->hit_close = false;
		rc = names_of_parts(c, depth, me, best,
		                    other_shown ? other : NULL);
	}
	c->p = p;
	c->hit = hit;
	c->hit_close = hit_close;
	return rc;
}

static int multipart(struct ctx *c, unsigned depth, const struct fields *f,
                     const struct mime_type *t)
{
	int me = c->nstack++, rc = 0;
	c->stack[me] = (struct bound){t->boundary, strlen(t->boundary)};

	const char *body = c->p, *preamble_end = scan(c);
	if (c->hit != me) {
		/* Its boundary is on no line of the body: the body is no
		 * preamble but the content, which readers show as text
		 * (Python's email package keeps it, with a
		 * StartBoundaryNotFoundDefect), as for a multipart without
		 * a boundary parameter. */
		struct mime_type plain = *t;
		c->nstack--;
		strcpy(plain.type, "text");
		strcpy(plain.subtype, "plain");
		return leaf_body(c, f, &plain, body, preamble_end);
	}
	if (is(t->subtype, "alternative"))
		rc = alternative(c, depth, me);
	else
		while (rc == 0 && c->hit == me && !c->hit_close)
			rc = entity(c, depth + 1,
			            is(t->subtype, "digest") ? K_DIGEST_PART
			                                     : K_PART);
	c->nstack--;
	if (rc == 0 && c->hit == me)
		scan(c); /* the epilogue */
	return rc;
}

/* A message attached as a file (forwarded "as attachment"): its name, as
 * any attachment's, before its text. */
static int named_message(struct ctx *c, const struct fields *f)
{
	imap4_mime_sink_part(&c->sink);
	return name_line(c, f);
}

/* The From and Subject lines of a message the header block of which
 * starts msg[0..n). */
static int sender_lines(struct ctx *c, const char *msg, size_t n)
{
	const char *p = c->p, *end = c->end;
	struct fields f;
	int rc = 0;
	c->p = msg;
	c->end = msg + n;
	parse_header(c, &f);
	imap4_mime_sink_part(&c->sink);
	if (f.f[F_FROM].p)
		rc = header_line(c, "From: ", f.f[F_FROM]);
	if (rc == 0 && f.f[F_SUBJECT].p)
		rc = header_line(c, "Subject: ", f.f[F_SUBJECT]);
	c->p = p;
	c->end = end;
	return rc;
}

/* How much of an encoded message inside another is decoded for its
 * header: senders and subjects are short. */
#define INNER_HEADER_MAX (64 * 1024)

/* A message sent encoded inside one that was (a forward of a forward):
 * its name, and the From and Subject of its header, read from the start
 * of the part alone, so that no second whole copy is held. */
static int inner_encoded_message(struct ctx *c, const struct fields *f,
                                 enum mime_cte cte, const char *body, size_t n)
{
	struct mime_base64 b64 = {0, 0};
	struct imap4_buf head;
	int rc = named_message(c, f);
	if (rc != 0)
		return rc;
	size_t take = n < INNER_HEADER_MAX ? n : INNER_HEADER_MAX;
	/* quoted-printable is decoded in whole lines */
	if (cte == MIME_CTE_QP && take < n) {
		const char *nl = NULL;
		for (size_t i = take; i > 0 && !nl; i--)
			if (body[i - 1] == '\n')
				nl = body + i - 1;
		take = nl ? (size_t)(nl - body) + 1 : 0;
	}
	imap4_buf_init(&head, 0);
	rc = cte == MIME_CTE_BASE64
	             ? imap4_mime_base64_decode(&head, &b64, body, take)
	             : imap4_mime_qp_decode(&head, body, take);
	if (rc == 0 && head.len > 0)
		rc = sender_lines(c, head.data, head.len);
	imap4_buf_clear(&head);
	return rc;
}

/* RFC 2046 5.2.1 allows a message/rfc822 part in 7bit, 8bit or binary
 * only, but some clients forward one in base64 (or quoted-printable): it
 * is decoded and read as a 7bit one is, so that a search finds its text
 * either way. The decoded message is held whole (at most as long as the
 * part), and so one at a time: of one inside it, the From and Subject
 * (inner_encoded_message()). */
static int encoded_message(struct ctx *c, const struct fields *f,
                           const struct mime_type *t, unsigned depth,
                           enum mime_cte cte)
{
	const char *body = c->p, *body_end = scan(c);
	size_t n = (size_t)(body_end - body);
	struct mime_base64 b64 = {0, 0};
	struct imap4_buf msg;
	int rc;
	/* the message inside ends where the cut ended the part */
	bool cut = c->at_cut;

	if (c->nested && !c->names_only && !c->sink.cut)
		return inner_encoded_message(c, f, cte, body, n);
	if (c->nested || c->names_only || c->sink.cut)
		return leaf_body(c, f, t, body, body_end);
	if ((rc = named_message(c, f)) != 0)
		return rc;
	imap4_buf_init(&msg, 0);
	if (cut && cte == MIME_CTE_QP)
		n -= qp_split_escape(body, n);
	rc = cte == MIME_CTE_BASE64
	             ? imap4_mime_base64_decode(&msg, &b64, body, n)
	             : imap4_mime_qp_decode(&msg, body, n);
	if (rc == 0) {
		const char *p = c->p, *end = c->end;
		int base = c->base, hit = c->hit;
		bool hit_close = c->hit_close, was_cut = c->cut;
		c->p = msg.data ? msg.data : "";
		c->end = c->p + msg.len;
		c->base = c->nstack;
		c->nested = true;
		c->cut = cut;
		rc = entity(c, depth + 1, K_MESSAGE);
		c->p = p;
		c->end = end;
		c->base = base;
		c->nested = false;
		c->hit = hit;
		c->hit_close = hit_close;
		c->cut = was_cut;
		c->at_cut = cut;
	}
	imap4_buf_clear(&msg);
	return rc;
}

/* An entity from its header block on (c->p); returns with c->p after the
 * delimiter that ends it, as scan() left it. */
static int entity(struct ctx *c, unsigned depth, enum kind kind)
{
	struct fields f;
	struct mime_type t;
	int rc;

	parse_header(c, &f);
	if (kind == K_MESSAGE && !c->names_only) {
		imap4_mime_sink_part(&c->sink);
		if (f.f[F_FROM].p &&
		    (rc = header_line(c, "From: ", f.f[F_FROM])) != 0)
			return rc;
		if (f.f[F_SUBJECT].p &&
		    (rc = header_line(c, "Subject: ", f.f[F_SUBJECT])) != 0)
			return rc;
	}
	imap4_mime_type_parse(&t, f.f[F_CTYPE].p ? f.f[F_CTYPE].p : "",
	                      f.f[F_CTYPE].n);
	if (!t.type[0]) {
		/* RFC 2045 5.2, RFC 2046 5.1.5: absent or invalid */
		bool digest = kind == K_DIGEST_PART;
		strcpy(t.type, digest ? "message" : "text");
		strcpy(t.subtype, digest ? "rfc822" : "plain");
	}
	if (is(t.type, "multipart") && !t.boundary[0]) {
		/* no way to find its parts: show it as it is */
		strcpy(t.type, "text");
		strcpy(t.subtype, "plain");
	}
	if (depth < DEPTH_MAX && is(t.type, "multipart"))
		return multipart(c, depth, &f, &t);
	if (depth < DEPTH_MAX && is(t.type, "message") &&
	    (is(t.subtype, "rfc822") || is(t.subtype, "global"))) {
		enum mime_cte cte = f.f[F_CTE].p
		                            ? imap4_mime_cte_parse(f.f[F_CTE].p,
		                                                   f.f[F_CTE].n)
		                            : MIME_CTE_IDENTITY;
		if (cte == MIME_CTE_IDENTITY)
			return (rc = named_message(c, &f)) != 0
			               ? rc
			               : entity(c, depth + 1, K_MESSAGE);
		return encoded_message(c, &f, &t, depth, cte);
	}
	return leaf(c, &f, &t);
}

static int text_of(struct imap4_buf *out, const char *msg, size_t len,
                   size_t max_out, bool cut)
{
	struct ctx c;

	if (!out || (!msg && len))
		return IMAP4_EINVAL;
	memset(&c, 0, sizeof(c));
	c.p = msg ? msg : "";
	c.end = c.p + len;
	c.hit = -1;
	c.cut = cut;
	c.sink.out = out;
	c.sink.start = out->len;
	c.sink.limit = max_out && max_out <= SIZE_MAX - out->len
	                       ? out->len + max_out
	                       : SIZE_MAX;
	imap4_buf_init(&c.dec, 0);
	imap4_buf_init(&c.conv, 0);
	imap4_buf_init(&c.flow, 0);

	int rc = entity(&c, 0, K_TOP);

	imap4_buf_clear(&c.dec);
	imap4_buf_clear(&c.conv);
	imap4_buf_clear(&c.flow);
	if (rc < 0) {
		out->len = c.sink.start;
		if (out->data)
			out->data[out->len] = '\0';
		return rc;
	}
	imap4_mime_sink_trim(&c.sink);
	return c.sink.cut ? 1 : 0;
}

int imap4_mime_text(struct imap4_buf *out, const char *msg, size_t len,
                    size_t max_out)
{
	return text_of(out, msg, len, max_out, false);
}

int imap4_mime_text_partial(struct imap4_buf *out, const char *msg, size_t len,
                            size_t max_out)
{
	return text_of(out, msg, len, max_out, true);
}
