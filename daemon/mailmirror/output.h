/* output.h - how mailmirror prints rows: a table for people, tab-separated
 * lines for scripts, JSON objects for programs.
 *
 * Everything printed here came from IMAP servers, so in table and TSV modes
 * every field is cleaned first (out_clean): control characters, escape
 * sequences and bidirectional overrides cannot reach the terminal
 * (RELIABILITY rule 6), and a tab or a line break (LF, CR, NEL, U+2028,
 * U+2029) cannot split a TSV record.
 * JSON lines are built by SQLite's json_object(), which escapes quotes and
 * C0 controls; out_json then makes them valid UTF-8 and escapes the
 * controls and line separators SQLite leaves as they are (out_json_clean),
 * whatever the cache holds.
 */
#ifndef MAILMIRROR_OUTPUT_H
#define MAILMIRROR_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum out_mode {
	OUT_TABLE, /* aligned columns with a header line (a terminal); a
	              column empty in every row is left out */
	OUT_TSV,   /* one line per row, fields separated by tabs */
	OUT_JSON,  /* one JSON object per line */
};

struct out_col {
	const char *title; /* header of the table column */
	int max_width;     /* display cells when the terminal's width is
	                      not known; 0: no limit */
	bool right;        /* right-aligned (numbers) */
	bool shrinks;      /* text that may narrow to fit the terminal */
};

struct out {
	FILE *f;
	enum out_mode mode;
	const struct out_col *cols;
	size_t ncols;
	char **cells; /* table mode: rows kept until out_end, to
	                 size the columns */
	size_t nrows, alloc_rows;
	size_t rows; /* rows written so far, in any mode */
	size_t fit;  /* table mode: the terminal's width in cells, which the
	                columns with a max_width shrink to fit; 0: none */
	bool failed; /* out of memory or a write error */
	int write_errno; /* the first write error's errno, or 0 */
};

/* Starts a result set of ncols columns (cols is borrowed until out_end). */
void out_begin(struct out *o, FILE *f, enum out_mode mode,
               const struct out_col *cols, size_t ncols);

/* Adds a row of ncols fields (NULL prints as empty), copied as needed.
 * Table and TSV modes only. */
void out_row(struct out *o, const char *const *fields);

/* Adds a row that is one complete JSON text (JSON mode), cleaned with
 * out_json_clean; NULL prints as null. */
void out_json(struct out *o, const char *json);

/* Whether memory ran out or a write failed so far: the caller may stop
 * producing rows, since none will be seen. A table buffers its rows, so
 * its writes fail only in out_end. */
bool out_failed(const struct out *o);

/* Prints what was buffered and frees it. Returns 0, or -1 if memory ran out
 * or writing failed along the way. */
int out_end(struct out *o);

/* How out_clean treats line structure. */
enum out_clean {
	OUT_CLEAN_LINE,       /* one line: LF, CR and TAB become spaces */
	OUT_CLEAN_BLOCK,      /* LF and TAB kept, CR dropped (a terminal) */
	OUT_CLEAN_BLOCK_CRLF, /* LF and TAB kept, and CR where it starts a
	                         CRLF (a pipe or file); a lone CR dropped */
};

/* A cleaned copy of s (NULL: "") that the caller frees, or NULL when out
 * of memory. Invalid UTF-8 becomes U+FFFD; C0 and C1 controls (NEL among
 * them), DEL and the line and paragraph separators U+2028 and U+2029
 * become a space, except the line ends and tabs that how keeps or drops;
 * bidirectional embedding, override, isolate and mark characters are
 * dropped. */
char *out_clean(const char *s, enum out_clean how);

/* A copy of the JSON text json (NULL: "null") that the caller frees, or
 * NULL when out of memory: each invalid UTF-8 byte becomes U+FFFD, and C0
 * and C1 controls, DEL, U+2028, U+2029 and the bidirectional controls
 * out_clean drops inside strings become \u escapes (ESC as \u001b,
 * U+2028 as \u2028). A valid JSON text stays valid and means the same,
 * except for the replaced bytes; any other text comes out valid UTF-8 all
 * the same. */
char *out_json_clean(const char *json);

/* Display cells taken by the UTF-8 string s in the current locale. */
size_t out_width(const char *s);

#endif
