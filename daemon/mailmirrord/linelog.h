/* linelog.h - the lines a helper command writes on its standard error, as
 * the account's log lines.
 *
 * A tunnel (tunnel_stderr.c) and a password or token command (secret.c)
 * report their trouble on stderr ("Host key verification failed.", "gpg:
 * decryption failed"). Those bytes are the command's, and a remote end's
 * behind it: each line is logged as "<who> said: <line>" after
 * log_sanitize() (no escape or control character reaches a terminal, no
 * line is forged), cut to line_max bytes; a line blank once sanitized is
 * skipped; after max_lines lines the rest is only counted, and said in
 * one more line by linelog_end().
 *
 * Sans-I/O: the caller reads, keeps its own buffer and hands over bytes;
 * nothing is allocated. One struct per reader; log_msg() makes the lines
 * safe to write from any thread.
 */
#ifndef MAILMIRRORD_LINELOG_H
#define MAILMIRRORD_LINELOG_H

#include <stddef.h>
#include <stdint.h>

/* How the rest is told: "<who> said N more lines" for a reader that sees
 * all of the output (a tunnel's stream), "<who> said N more bytes on its
 * standard error, not logged" for one that keeps only its start (what a
 * command wrote beyond that was never split into lines). */
enum linelog_rest {
	LINELOG_REST_LINES,
	LINELOG_REST_BYTES,
};

/* The longest line_max. */
#define LINELOG_LINE_MAX 1024

/* Set the first six fields (designated initialisers leave the counters
 * at zero); the strings are borrowed and must outlive the struct. */
struct linelog {
	const char *account;
	const char *who; /* "tunnel", "password_command" */
	int level;       /* enum log_level */
	unsigned max_lines;
	size_t line_max; /* bytes of a line's text, "..." included:
	                    3..LINELOG_LINE_MAX */
	enum linelog_rest rest;

	unsigned shown;
	uint64_t more_lines; /* past max_lines and not blank */
	uint64_t more_bytes; /* past max_lines, each LF included */
};

/* Logs each line of buf[0..len) that an LF ends (the LF is not part of
 * it). Returns the bytes taken: all but an unfinished last line, which
 * the caller keeps, to give again with what follows it, or to end with
 * linelog_line(). */
size_t linelog_lines(struct linelog *ll, const char *buf, size_t len);

/* Logs s[0..len), which holds no LF, as one line: an unfinished last line,
 * or a piece of one too long for the caller's buffer. len 0 is a blank
 * line, which is skipped. */
void linelog_line(struct linelog *ll, const char *s, size_t len);

/* Logs what was not shown, if anything, in one line as ll->rest says.
 * unread: bytes of the output the caller dropped without giving them
 * here; counted with LINELOG_REST_BYTES, and must be 0 with
 * LINELOG_REST_LINES. */
void linelog_end(struct linelog *ll, uint64_t unread);

#endif
