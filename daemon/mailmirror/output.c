/* output.c - tables, TSV and JSON lines, and cleaning server text. */
#include "mailmirror/output.h"
#include "mailmirror/charset.h"

#include <errno.h>
#include <langinfo.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Decodes one UTF-8 sequence at s (n bytes available). Returns its length
 * and sets *cp, or returns 0 for an invalid, overlong or surrogate
 * sequence (RFC 3629 section 3). */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len;
	uint32_t c, min;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	} else if ((s[0] & 0xe0) == 0xc0) {
		len = 2, c = s[0] & 0x1f, min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3, c = s[0] & 0x0f, min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4, c = s[0] & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* Bidirectional formatting characters reorder what follows them on
 * screen: a subject could show one sender and hide another. */
static bool is_bidi_control(uint32_t c)
{
	return (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) ||
	       c == 0x200e || c == 0x200f || c == 0x061c;
}

/* U+2028 LINE SEPARATOR and U+2029 PARAGRAPH SEPARATOR end a line for
 * whatever splits text by Unicode's rules (Python's str.splitlines(),
 * JavaScript before ES2019, some editors and terminals): printed raw, they
 * cut a TSV record or a JSON line in two, as LF would. NEL (U+0085), the
 * other such break, is a C1 control and is treated as one. */
static bool is_line_separator(uint32_t c)
{
	return c == 0x2028 || c == 0x2029;
}

/* Where a control character may stay: LF and TAB in a block, CR only
 * as the CR of a CRLF in a block that keeps them. A lone CR would let a
 * header line overwrite what was printed before it. */
static bool keep_control(uint32_t c, const unsigned char *next, size_t left,
                         enum out_clean how)
{
	if (how == OUT_CLEAN_LINE)
		return false;
	if (c == '\n' || c == '\t')
		return true;
	return c == '\r' && how == OUT_CLEAN_BLOCK_CRLF && left > 0 &&
	       next[0] == '\n';
}

static bool is_control(uint32_t c)
{
	return c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0);
}

char *out_clean(const char *s, enum out_clean how)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n = strlen((const char *)p), o = 0;
	/* Worst case: each byte becomes the 3-byte U+FFFD. */
	char *res;

	if (n > (SIZE_MAX - 1) / 3)
		return NULL;
	res = malloc(n * 3 + 1);
	if (res == NULL)
		return NULL;
	while (n > 0) {
		uint32_t c;
		size_t len = utf8_decode(p, n, &c);

		if (len == 0) {
			memcpy(res + o, "\xef\xbf\xbd", 3);
			o += 3;
			p++, n--;
			continue;
		}
		if (is_control(c)) {
			if (keep_control(c, p + 1, n - 1, how))
				res[o++] = (char)c;
			else if (c != '\r' || how == OUT_CLEAN_LINE)
				res[o++] = ' ';
			/* else dropped: CRLF line ends become LF */
		} else if (is_line_separator(c)) {
			/* a space in a block too, like NEL: only LF ends a
			 * line there, as the block was cached */
			res[o++] = ' ';
		} else if (!is_bidi_control(c)) {
			memcpy(res + o, p, len);
			o += len;
		}
		p += len, n -= len;
	}
	res[o] = '\0';
	if (charset_converts()) {
		char *fit = charset_fit(res);
		free(res);
		res = fit;
	}
	return res;
}

/* SQLite's json_object() escapes quotes, backslashes and C0 controls but
 * copies every other byte, and the cache may hold what an older daemon
 * stored unchecked: invalid UTF-8 (which no JSON parser accepts, RFC 8259
 * section 8.1) becomes U+FFFD here. DEL, C1 and bidirectional controls are
 * legal in JSON strings but act on a terminal that shows the line, and
 * U+2028 and U+2029 are legal too but split the line for a reader that
 * goes by Unicode's line breaks (and were no JavaScript string literal
 * before ES2019), so they are written as \u escapes, which mean the same to
 * a parser; outside strings (JSON white space) nothing is changed.
 *
 * Writes the cleaned form of p[0..n) to res, or only measures it when res
 * is NULL; returns its length. Two passes rather than room for the worst
 * case: a cached body of megabytes would otherwise cost six times its
 * size. */
static size_t json_clean_into(char *res, const unsigned char *p, size_t n)
{
	bool in_string = false, escaped = false;
	/* A terminal of another set than UTF-8 gets ASCII (charset.h). */
	bool ascii = charset_converts();
	size_t o = 0;

	while (n > 0) {
		uint32_t c;
		size_t len = utf8_decode(p, n, &c);
		bool escape_it = in_string && !escaped;

		if (len == 0 && !(escape_it && ascii)) {
			if (res)
				memcpy(res + o, "\xef\xbf\xbd", 3);
			o += 3;
			escaped = false;
			p++, n--;
			continue;
		}
		if (len == 0)
			len = 1, c = 0xfffd;
		if (escape_it &&
		    (is_control(c) || is_bidi_control(c) ||
		     is_line_separator(c) || (ascii && c >= 0x80))) {
			/* beyond the BMP, a UTF-16 surrogate pair (RFC 8259
			 * section 7) */
			if (c > 0xffff) {
				if (res)
					snprintf(res + o, 13, "\\u%04x\\u%04x",
					         0xd800u + (((c - 0x10000) >>
					                     10) &
					                    0x3ffu),
					         0xdc00u + ((c - 0x10000) &
					                    0x3ffu));
				o += 12;
			} else {
				if (res)
					snprintf(res + o, 7, "\\u%04x",
					         (unsigned)c);
				o += 6;
			}
		} else {
			if (escaped)
				escaped = false;
			else if (in_string && c == '\\')
				escaped = true;
			else if (c == '"')
				in_string = !in_string;
			if (res)
				memcpy(res + o, p, len);
			o += len;
		}
		p += len, n -= len;
	}
	return o;
}

char *out_json_clean(const char *json)
{
	const unsigned char *p = (const unsigned char *)(json ? json : "null");
	size_t n = strlen((const char *)p);
	/* At most six bytes out for each byte in: this cannot wrap. */
	size_t len = n <= (SIZE_MAX - 1) / 6 ? json_clean_into(NULL, p, n) : 0;
	char *res;

	if (n > (SIZE_MAX - 1) / 6 || (res = malloc(len + 1)) == NULL)
		return NULL;
	json_clean_into(res, p, n);
	res[len] = '\0';
	return res;
}

/* Characters a terminal draws on the one before them: a skin tone on its
 * emoji, variation selectors and the marks wcwidth counts as no cell. */
static bool joins_previous(uint32_t c)
{
	return (c >= 0x1f3fb && c <= 0x1f3ff) || charset_cells(c) == 0;
}

#define ZWJ 0x200d

/* The bytes of the glyph at p, as a terminal draws it, and its cells in
 * *cells: a character with what joins it, and emoji joined by ZWJ (a
 * family of four is one glyph of two cells, which wcwidth counts as eight).
 * A table cut inside one would leave half a family, or a ZWJ that joins
 * the ellipsis. */
static size_t next_glyph(const unsigned char *p, size_t n, size_t *cells)
{
	uint32_t c;
	size_t len = utf8_decode(p, n, &c);

	if (len == 0)
		len = 1, c = 0xfffd;
	int cw = charset_cells(c);
	*cells = cw < 0 ? 1 : (size_t)cw;
	while (len < n) {
		size_t more = utf8_decode(p + len, n - len, &c);
		if (more == 0 || !joins_previous(c))
			break;
		len += more;
		if (c == ZWJ && len < n) {
			/* the character joined, with its own joiners */
			more = utf8_decode(p + len, n - len, &c);
			if (more == 0)
				break;
			len += more;
		}
	}
	return len;
}

size_t out_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), w = 0;

	while (n > 0) {
		size_t cells, len = next_glyph(p, n, &cells);
		w += cells;
		p += len, n -= len;
	}
	return w;
}

void out_begin(struct out *o, FILE *f, enum out_mode mode,
               const struct out_col *cols, size_t ncols)
{
	*o = (struct out){.f = f, .mode = mode, .cols = cols, .ncols = ncols};
}

/* A write failed: the first errno says why (ENOSPC, EPIPE). */
static void write_failed(struct out *o)
{
	if (!o->write_errno)
		o->write_errno = errno ? errno : EIO;
	o->failed = true;
}

static void put(struct out *o, const char *s)
{
	if (fputs(s, o->f) == EOF)
		write_failed(o);
}

void out_json(struct out *o, const char *json)
{
	char *clean = out_json_clean(json);

	if (clean == NULL) {
		o->failed = true;
		return;
	}
	put(o, clean);
	put(o, "\n");
	free(clean);
	o->rows++;
}

void out_row(struct out *o, const char *const *fields)
{
	if (o->mode == OUT_TSV) {
		for (size_t i = 0; i < o->ncols; i++) {
			char *c = out_clean(fields[i], OUT_CLEAN_LINE);

			if (c == NULL) {
				o->failed = true;
				return;
			}
			if (i > 0)
				put(o, "\t");
			put(o, c);
			free(c);
		}
		put(o, "\n");
		o->rows++;
		return;
	}
	if (o->nrows == o->alloc_rows) {
		size_t na = o->alloc_rows ? o->alloc_rows * 2 : 64;
		char **nc;

		if (na > SIZE_MAX / o->ncols / sizeof(*nc) ||
		    (nc = realloc(o->cells, na * o->ncols * sizeof(*nc))) ==
		            NULL) {
			o->failed = true;
			return;
		}
		o->cells = nc;
		o->alloc_rows = na;
	}
	char **row = o->cells + o->nrows * o->ncols;
	for (size_t i = 0; i < o->ncols; i++) {
		row[i] = out_clean(fields[i], OUT_CLEAN_LINE);
		if (row[i] == NULL) {
			while (i-- > 0)
				free(row[i]);
			o->failed = true;
			return;
		}
	}
	o->nrows++;
	o->rows++;
}

/* Writes the spaces owed before the next text. Spaces are owed, not
 * written, so that a line never ends in them: the last column is not
 * padded, and an empty cell at the end of a row leaves no separator
 * behind (trailing blanks show up in diffs and copied text). */
static void pay_spaces(struct out *o, size_t *owed)
{
	for (; *owed > 0; (*owed)--)
		put(o, " ");
}

/* Prints s in width cells, cut with an ellipsis or aligned by spaces that
 * are added to *owed rather than written. */
static void put_cell(struct out *o, const char *s, size_t width, bool right,
                     size_t *owed)
{
	static const char *ellipsis;
	size_t w = out_width(s);

	if (ellipsis == NULL)
		ellipsis = strcmp(nl_langinfo(CODESET), "UTF-8") == 0
		                   ? "\xe2\x80\xa6"
		                   : "~";
	if (w > width) {
		const unsigned char *p = (const unsigned char *)s;
		size_t n = strlen(s), used = 0;

		pay_spaces(o, owed);
		while (n > 0) {
			size_t cells, len = next_glyph(p, n, &cells);

			if (used + cells + 1 > width)
				break;
			if (fwrite(p, 1, len, o->f) != len)
				o->failed = true;
			used += cells;
			p += len, n -= len;
		}
		put(o, ellipsis);
		used++;
		*owed += used < width ? width - used : 0;
		return;
	}
	if (right)
		*owed += width - w;
	if (*s != '\0') {
		pay_spaces(o, owed);
		put(o, s);
	}
	if (!right)
		*owed += width - w;
}

/* Narrows the columns that shrink (names, subjects), the widest first,
 * until a row fits in o->fit cells or each is down to FIT_MIN; numbers,
 * dates and states keep their width. Columns left out (shown[c] false)
 * take no room. */
#define FIT_MIN 8
static void fit_columns(const struct out *o, size_t *width, const bool *shown)
{
	size_t total = 0, nshown = 0;
	for (size_t c = 0; c < o->ncols; c++)
		if (shown[c]) {
			total += width[c];
			nshown++;
		}
	if (nshown > 1)
		total += 2 * (nshown - 1);
	while (total > o->fit) {
		size_t widest = o->ncols;
		for (size_t c = 0; c < o->ncols; c++)
			if (shown[c] && o->cols[c].shrinks &&
			    width[c] > FIT_MIN &&
			    (widest == o->ncols || width[c] > width[widest]))
				widest = c;
		if (widest == o->ncols)
			return;
		width[widest]--;
		total--;
	}
}

/* Whether column c has text in some row. A column empty in every row
 * (no progress, nothing to index, no error) says nothing but its title,
 * and would take from the terminal's width what the names need. */
static bool column_used(const struct out *o, size_t c)
{
	for (size_t r = 0; r < o->nrows; r++)
		if (o->cells[r * o->ncols + c][0] != '\0')
			return true;
	return false;
}

static void print_table(struct out *o)
{
	size_t *width = calloc(o->ncols, sizeof(*width));
	bool *shown = calloc(o->ncols, sizeof(*shown));

	if (width == NULL || shown == NULL) {
		free(width);
		free(shown);
		o->failed = true;
		return;
	}
	for (size_t c = 0; c < o->ncols; c++) {
		shown[c] = column_used(o, c);
		width[c] = out_width(o->cols[c].title);
		for (size_t r = 0; r < o->nrows; r++) {
			size_t w = out_width(o->cells[r * o->ncols + c]);
			if (w > width[c])
				width[c] = w;
		}
		/* A terminal of known width is filled (fit_columns cuts
		 * the widest); the caps are for one of unknown width. */
		if (o->fit == 0 && o->cols[c].max_width > 0 &&
		    width[c] > (size_t)o->cols[c].max_width)
			width[c] = (size_t)o->cols[c].max_width;
	}
	if (o->fit > 0 && o->ncols > 0)
		fit_columns(o, width, shown);
	for (size_t r = 0; r <= o->nrows; r++) {
		size_t owed = 0;
		bool first = true;

		for (size_t c = 0; c < o->ncols; c++) {
			const char *s =
			        r == 0 ? o->cols[c].title
			               : o->cells[(r - 1) * o->ncols + c];

			if (!shown[c])
				continue;
			if (!first)
				owed += 2;
			first = false;
			put_cell(o, s, width[c], o->cols[c].right, &owed);
		}
		put(o, "\n");
	}
	free(width);
	free(shown);
}

bool out_failed(const struct out *o)
{
	return o->failed || ferror(o->f);
}

int out_end(struct out *o)
{
	if (o->mode == OUT_TABLE && o->nrows > 0 && !o->failed)
		print_table(o);
	for (size_t i = 0; i < o->nrows * o->ncols; i++)
		free(o->cells[i]);
	free(o->cells);
	o->cells = NULL;
	o->nrows = o->alloc_rows = 0;
	if (fflush(o->f) == EOF || ferror(o->f))
		write_failed(o);
	return o->failed ? -1 : 0;
}
