/* log.h - the daemon's logging: one line per message on stderr.
 *
 * Every line but log_bare's carries a scope (the account and, when there
 * is one, the mailbox) so that an operator can tell the workers apart:
 *
 *	<4>[work/INBOX] IDLE ended by the server: too long
 *
 * The "<N>" prefix is the sd-daemon(3) priority, written only when stderr
 * is connected to the journal (JOURNAL_STREAM names the device and inode of
 * fd 2): the journal strips it and files the line at that priority. On a
 * terminal or in a file a word ("warning: ") is written instead, because a
 * bare "<4>" means nothing to a human and the daemon is also run by hand
 * (--once, --check-config). log_open() can force either form.
 *
 * In a regular file (2>>/var/log/mailmirrord.log from cron, runit, nohup)
 * each line starts with the local time, to the millisecond and with the
 * offset from UTC, since nothing else dates what is appended there:
 *
 *	2026-11-28T01:25:27.123+01:00 warning: [work/INBOX] IDLE ended ...
 *
 * A terminal is read as it is written, and a pipe's reader (svlogd,
 * docker, logger) and the journal stamp lines themselves: no time there,
 * unless log_set_time() says otherwise.
 *
 * Safety contract:
 * - The log functions never see a secret. No caller passes a password, a
 *   token, or the standard output of password_command/token_command to
 *   them, and nothing in this module stores what it formats; secret.c
 *   reports failures by naming the account and the command's exit status,
 *   and logs the command's standard error (its diagnostics, sanitized and
 *   bounded), never its standard output.
 * - Server text is data: every formatted line is sanitized before it is
 *   written (control characters, terminal escape sequences and invalid
 *   UTF-8 replaced, length capped), so a hostile server can neither forge
 *   a log line nor drive the operator's terminal. Callers still pass server
 *   strings through log_sanitize() with a small cap so that one huge
 *   response text does not crowd out the rest of the message.
 * - Each line is written with one write(2) of at most LOG_LINE_MAX bytes,
 *   so lines from different account threads never interleave. The module is
 *   safe to call from any thread once log_open() has returned; log_open()
 *   itself is called once, before threads start.
 * - Logging never fails the caller: a write error is ignored (there is
 *   nowhere left to report it).
 */
#ifndef MAILMIRRORD_LOG_H
#define MAILMIRRORD_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/* The syslog(3) priorities, which are also sd-daemon's "<N>" values. */
enum log_level {
	LOG_LEVEL_ERR = 3,
	LOG_LEVEL_WARNING = 4,
	LOG_LEVEL_NOTICE = 5,
	LOG_LEVEL_INFO = 6,
	LOG_LEVEL_DEBUG = 7,
};

#define LOG_LEVEL_DEFAULT LOG_LEVEL_NOTICE

/* How the priority is shown. */
enum log_prefix {
	LOG_PREFIX_AUTO, /* "<N>" when fd is the journal, else words */
	LOG_PREFIX_SD,   /* always "<N>" */
	LOG_PREFIX_WORD, /* always "error: ", "warning: ", ... */
};

/* Whether lines start with the time. */
enum log_time {
	LOG_TIME_AUTO,   /* when fd is a regular file (not the journal) */
	LOG_TIME_ALWAYS, /* after "<N>", when there is one */
	LOG_TIME_NEVER,
};

/* "auto" "always" "never" -> 0 and *when; anything else -> -1, *when
 * untouched. */
int log_time_parse(enum log_time *when, const char *name);

/* One written line, prefix and newline included; longer messages are cut
 * (at a UTF-8 boundary) and end in "...". Below PIPE_BUF, so one write(2)
 * to a pipe or the journal's stream socket is atomic. */
#define LOG_LINE_MAX 2048

/* Where and how to log: fd (stderr is 2) is borrowed and must stay open.
 * Before the first call the module logs to fd 2 with LOG_PREFIX_AUTO at
 * LOG_LEVEL_DEFAULT, its lines timed as log_set_time() says. */
void log_open(int fd, enum log_prefix prefix);

/* Whether lines start with the time, from now on and for every later
 * log_open() (which decides LOG_TIME_AUTO for its fd): LOG_TIME_AUTO until
 * called. Called before threads start, like log_open(). */
void log_set_time(enum log_time when);
/* Whether lines start with the time now: a child that writes a line for us
 * (hook.c) then puts its own time first, the head (log_head) being made
 * before. */
bool log_timed(void);

/* Messages above level are dropped. Safe to call while threads log (a
 * SIGHUP reload changes it). Values outside err..debug are clamped. */
void log_set_level(int level);
int log_get_level(void);

/* "err" "warning" "notice" "info" "debug" (also "error", "warn") -> 0 and
 * *level; anything else -> -1, *level untouched. */
int log_level_parse(int *level, const char *name);
/* The canonical name of a level ("notice"); "?" outside the range. */
const char *log_level_name(int level);

/* Logs one line at level with the scope [account/mailbox]. account and
 * mailbox may be NULL ([-] for a daemon-wide message); mailbox may be
 * server text and is sanitized like the rest. fmt must be a literal of
 * the caller's (never server text). */
void log_msg(int level, const char *account, const char *mailbox,
             const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void log_vmsg(int level, const char *account, const char *mailbox,
              const char *fmt, va_list ap)
        __attribute__((format(printf, 4, 0)));

/* Logs one line at level as the text alone: no scope and, on a terminal
 * or in a file, no level word; to the journal it starts with "<N>" all the
 * same, so that it keeps its priority there. For the lines whose form is
 * fixed, which editors and people read ("FILE:LINE: message", as
 * mailmirror.conf(5) gives a configuration error). Sanitized, capped and
 * written in one write(2) like log_msg's; fmt is a literal too. */
void log_bare(int level, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

#define log_err(acct, mbox, ...) log_msg(LOG_LEVEL_ERR, acct, mbox, __VA_ARGS__)
#define log_warning(acct, mbox, ...)                                           \
	log_msg(LOG_LEVEL_WARNING, acct, mbox, __VA_ARGS__)
#define log_notice(acct, mbox, ...)                                            \
	log_msg(LOG_LEVEL_NOTICE, acct, mbox, __VA_ARGS__)
#define log_info(acct, mbox, ...)                                              \
	log_msg(LOG_LEVEL_INFO, acct, mbox, __VA_ARGS__)
#define log_debug(acct, mbox, ...)                                             \
	log_msg(LOG_LEVEL_DEBUG, acct, mbox, __VA_ARGS__)

/* The start of a line log_msg would write at level for this scope
 * ("warning: [work/INBOX] ", or "<4>[work/INBOX] " to the journal), as a
 * string in dst; "" when the level is not logged. Without the time, which
 * would be stale by the time the line is written (log_timed). For a child
 * process that reports on our behalf (hook.c). Returns the length. */
size_t log_head(char *dst, size_t dstsz, int level, const char *account,
                const char *mailbox);
/* The fd the log goes to (log_open's). */
int log_fd_get(void);

/* An imap4_trace_cb (core/imap4.h) that logs the protocol conversation at
 * debug level, one line per trace call: "[work] C: 3 SELECT INBOX",
 * "[work] S: * 3 EXISTS". payload is the account's name (borrowed, must
 * outlive the handle). The library has already replaced passwords and
 * AUTHENTICATE data with "***" and escaped control bytes; each line is
 * further cut to LOG_TRACE_MAX bytes, so message data in a FETCH shows
 * only its start. Costs one level check when debug is off: the callback
 * can stay set, and a reload to log_level = "debug" takes effect at once. */
#define LOG_TRACE_MAX 512
void log_imap_trace(void *payload, char dir, const char *line, size_t len);

/* Copies src (srclen bytes, NULs included) to dst as printable UTF-8:
 * - ESC and 8-bit CSI sequences (ECMA-48: ESC [ params final, ESC ] ...
 *   BEL/ST, ESC + one byte) are dropped whole;
 * - CR, LF and TAB become a space; other C0/C1 controls, DEL and bytes
 *   that are not valid UTF-8 (overlong, surrogates, truncated) become '?';
 * - at most dstsz - 1 bytes are written, then a NUL; when src does not fit
 *   the copy ends in "..." and never splits a UTF-8 sequence.
 * dstsz must be at least 4. Returns the length written (without the NUL).
 * Never allocates; dst and src must not overlap. */
size_t log_sanitize(char *dst, size_t dstsz, const char *src, size_t srclen);

/* "what: msg" into out, msg (a library's message, with server text in it)
 * sanitized; the command's name once, where msg names it already, or
 * names its first word ("UID: no completion..." for what "UID FETCH"
 * gives "UID FETCH: no completion..."). */
void log_failure(char *out, size_t outlen, const char *what, const char *msg);

#endif
