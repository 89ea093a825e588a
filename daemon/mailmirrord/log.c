/* log.c - stderr logging with sd-daemon priorities and sanitized text. */
#include "mailmirrord/log.h"
#include "mailmirrord/secret_echo.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static atomic_int log_fd = 2;
static atomic_int log_level = LOG_LEVEL_DEFAULT;
/* -1 until decided: 1 "<N>", 0 words */
static atomic_int log_sd = -1;
static atomic_int log_time_mode = LOG_TIME_AUTO;
/* -1 until decided: 1 lines start with the time, 0 not */
static atomic_int log_stamp = -1;

/* A mailbox name is server text; a long one must not push the message
 * itself out of the line. */
#define SCOPE_MAILBOX_MAX 200
#define SCOPE_ACCOUNT_MAX 80

static const char *const level_names[] = {
        [LOG_LEVEL_ERR] = "err",       [LOG_LEVEL_WARNING] = "warning",
        [LOG_LEVEL_NOTICE] = "notice", [LOG_LEVEL_INFO] = "info",
        [LOG_LEVEL_DEBUG] = "debug",
};

static const char *const level_words[] = {
        [LOG_LEVEL_ERR] = "error: ",     [LOG_LEVEL_WARNING] = "warning: ",
        [LOG_LEVEL_NOTICE] = "notice: ", [LOG_LEVEL_INFO] = "info: ",
        [LOG_LEVEL_DEBUG] = "debug: ",
};

static int clamp_level(int level)
{
	if (level < LOG_LEVEL_ERR)
		return LOG_LEVEL_ERR;
	if (level > LOG_LEVEL_DEBUG)
		return LOG_LEVEL_DEBUG;
	return level;
}

/* sd-daemon(3): JOURNAL_STREAM is "DEV:INODE" of the stream the service
 * manager connected to stdout/stderr; it is inherited by children whose
 * stderr was redirected elsewhere, so the fd itself must be compared. */
static bool fd_is_journal(int fd)
{
	const char *env = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	char tail;

	if (env == NULL || sscanf(env, "%llu:%llu%c", &dev, &ino, &tail) != 2)
		return false;
	if (fstat(fd, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
}

static bool fd_is_file(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

/* Whether lines to fd (sd: in the journal's form) start with the time.
 * A file is the one place where nobody else dates them. */
static int decide_stamp(int fd, int sd)
{
	int stamp;

	switch (atomic_load(&log_time_mode)) {
	case LOG_TIME_ALWAYS:
		stamp = 1;
		break;
	case LOG_TIME_NEVER:
		stamp = 0;
		break;
	default:
		stamp = !sd && fd_is_file(fd);
		break;
	}
	/* localtime_r() need not read TZ itself (POSIX): read once here,
	 * before the threads that log start. */
	if (stamp)
		tzset();
	return stamp;
}

void log_open(int fd, enum log_prefix prefix)
{
	int sd;

	switch (prefix) {
	case LOG_PREFIX_SD:
		sd = 1;
		break;
	case LOG_PREFIX_WORD:
		sd = 0;
		break;
	default:
		sd = fd_is_journal(fd);
		break;
	}
	atomic_store(&log_fd, fd);
	atomic_store(&log_sd, sd);
	atomic_store(&log_stamp, decide_stamp(fd, sd));
}

void log_set_level(int level)
{
	atomic_store_explicit(&log_level, clamp_level(level),
	                      memory_order_relaxed);
}

int log_get_level(void)
{
	return atomic_load_explicit(&log_level, memory_order_relaxed);
}

int log_level_parse(int *level, const char *name)
{
	static const struct {
		const char *name;
		int level;
	} names[] = {
	        {"err", LOG_LEVEL_ERR},         {"error", LOG_LEVEL_ERR},
	        {"warning", LOG_LEVEL_WARNING}, {"warn", LOG_LEVEL_WARNING},
	        {"notice", LOG_LEVEL_NOTICE},   {"info", LOG_LEVEL_INFO},
	        {"debug", LOG_LEVEL_DEBUG},
	};

	if (name == NULL)
		return -1;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(name, names[i].name) == 0) {
			*level = names[i].level;
			return 0;
		}
	}
	return -1;
}

int log_time_parse(enum log_time *when, const char *name)
{
	static const char *const names[] = {
	        [LOG_TIME_AUTO] = "auto",
	        [LOG_TIME_ALWAYS] = "always",
	        [LOG_TIME_NEVER] = "never",
	};

	if (name == NULL)
		return -1;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(name, names[i]) == 0) {
			*when = (enum log_time)i;
			return 0;
		}
	}
	return -1;
}

const char *log_level_name(int level)
{
	if (level < LOG_LEVEL_ERR || level > LOG_LEVEL_DEBUG)
		return "?";
	return level_names[level];
}

/* ------------------------------------------------------------ sanitizing */

/* Skips an escape sequence that starts with ESC at src[i]; returns the
 * index after it. ECMA-48 5.3-5.6: CSI runs to a final byte 0x40-0x7E;
 * OSC, DCS, SOS, PM and APC run to BEL or ST (ESC \), and terminals act
 * on them (OSC 52 writes the clipboard, OSC 8 makes links), so an
 * unterminated one swallows the rest of the text rather than letting any
 * of it reach the terminal. */
static size_t skip_escape(const unsigned char *s, size_t len, size_t i)
{
	i++; /* ESC */
	if (i >= len)
		return i;
	switch (s[i]) {
	case '[':
		for (i++; i < len; i++) {
			if (s[i] >= 0x40 && s[i] <= 0x7e)
				return i + 1;
			if (s[i] < 0x20 || s[i] > 0x3f)
				return i; /* malformed: stop before it */
		}
		return i;
	case ']':
	case 'P':
	case 'X':
	case '^':
	case '_':
		for (i++; i < len; i++) {
			if (s[i] == 0x07)
				return i + 1;
			if (s[i] == 0x1b && i + 1 < len && s[i + 1] == '\\')
				return i + 2;
		}
		return i;
	default:
		while (i < len && s[i] >= 0x20 && s[i] <= 0x2f)
			i++; /* intermediates */
		if (i < len && s[i] >= 0x30 && s[i] <= 0x7e)
			i++; /* final */
		return i;
	}
}

/* Length of the valid UTF-8 sequence at s[i] and its code point, or 0
 * when the bytes are not one (RFC 3629 section 4: no overlongs, no
 * surrogates, nothing above U+10FFFF). */
static size_t utf8_decode(const unsigned char *s, size_t len, size_t i,
                          unsigned *cp)
{
	unsigned c = s[i], min, v;
	size_t n;

	if (c >= 0xc2 && c <= 0xdf) {
		n = 2, v = c & 0x1f, min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3, v = c & 0x0f, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4, v = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (len - i < n)
		return 0;
	for (size_t k = 1; k < n; k++) {
		if ((s[i + k] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[i + k] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return n;
}

/* Code points a terminal acts on or that make text read differently than
 * it is stored: C1 controls (U+009B is CSI), the line and paragraph
 * separators, and the bidirectional overrides and isolates of "Trojan
 * Source" (CVE-2021-42574). */
static bool cp_is_control(unsigned cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 ||
	       (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

/* Cuts dst[0..*o) so that "..." fits before cap, at a UTF-8 boundary. */
static void end_with_ellipsis(char *dst, size_t *o, size_t cap)
{
	size_t n = *o;

	if (n + 3 > cap) {
		n = cap - 3;
		while (n > 0 && ((unsigned char)dst[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(dst + n, "...", 3);
	*o = n + 3;
}

/* log_sanitize without the NUL; *cut tells whether src did not fit. */
static size_t sanitize(char *dst, size_t cap, const char *src, size_t len,
                       bool *cut)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t i = 0, o = 0;

	*cut = false;
	while (i < len) {
		const char *piece = (const char *)s + i;
		size_t plen = 1, step = 1;
		unsigned cp;

		if (s[i] == 0x1b) {
			i = skip_escape(s, len, i);
			continue;
		}
		if (s[i] == '\t' || s[i] == '\r' || s[i] == '\n') {
			piece = " ";
		} else if (s[i] < 0x20 || s[i] == 0x7f) {
			piece = "?";
		} else if (s[i] >= 0x80) {
			step = utf8_decode(s, len, i, &cp);
			if (step == 0 || cp_is_control(cp)) {
				piece = "?";
				step = step ? step : 1;
			} else {
				plen = step;
			}
		}
		if (o + plen > cap) {
			*cut = true;
			break;
		}
		memcpy(dst + o, piece, plen);
		o += plen;
		i += step;
	}
	if (*cut)
		end_with_ellipsis(dst, &o, cap);
	return o;
}

size_t log_sanitize(char *dst, size_t dstsz, const char *src, size_t srclen)
{
	size_t n;
	bool cut;

	if (dstsz < 4) {
		if (dstsz > 0)
			dst[0] = '\0';
		return 0;
	}
	n = sanitize(dst, dstsz - 1, src, srclen, &cut);
	dst[n] = '\0';
	return n;
}

/* --------------------------------------------------------------- writing */

static size_t append(char *line, size_t o, size_t cap, const char *s)
{
	size_t n = strlen(s);

	if (n > cap - o)
		n = cap - o;
	memcpy(line + o, s, n);
	return o + n;
}

static size_t append_clean(char *line, size_t o, size_t cap, const char *s,
                           size_t max)
{
	size_t room = cap - o;
	bool cut;

	if (room > max)
		room = max;
	if (room < 4)
		return o;
	return o + sanitize(line + o, room, s, strlen(s), &cut);
}

/* Whether lines carry "<N>": log_open's choice, else fd 2's. */
static bool to_journal(void)
{
	int sd = atomic_load(&log_sd);

	if (sd < 0) {
		sd = fd_is_journal(2);
		atomic_store(&log_sd, sd);
	}
	return sd;
}

void log_set_time(enum log_time when)
{
	atomic_store(&log_time_mode, (int)when);
	atomic_store(&log_stamp,
	             decide_stamp(atomic_load(&log_fd), to_journal()));
}

bool log_timed(void)
{
	int stamp = atomic_load(&log_stamp);

	if (stamp < 0) {
		stamp = decide_stamp(atomic_load(&log_fd), to_journal());
		atomic_store(&log_stamp, stamp);
	}
	return stamp;
}

/* "2026-11-28T01:25:27.123+01:00 " (ISO 8601, local time) into line when
 * lines carry it; the length written (at most cap, else 0). */
static size_t stamp(char *line, size_t cap)
{
	struct timespec ts;
	struct tm tm;
	char text[64];
	size_t n;

	if (!log_timed())
		return 0;
	clock_gettime(CLOCK_REALTIME, &ts);
	/* localtime_r, not localtime: account threads log at once. */
	if (localtime_r(&ts.tv_sec, &tm) == NULL)
		return 0;
	n = strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%S", &tm);
	if (n == 0)
		return 0;
	/* strftime's %z has no colon ("+0100"); ISO 8601's extended form,
	 * which the date and time above are in, has one. */
	long off = tm.tm_gmtoff / 60;
	char sign = off < 0 ? '-' : '+';
	if (off < 0)
		off = -off;
	int k = snprintf(text + n, sizeof(text) - n, ".%03ld%c%02ld:%02ld ",
	                 ts.tv_nsec / 1000000, sign, off / 60, off % 60);
	if (k < 0 || (size_t)k >= sizeof(text) - n || n + (size_t)k > cap)
		return 0;
	memcpy(line, text, n + (size_t)k);
	return n + (size_t)k;
}

/* "<N>" into line when lines carry it; the length written (3 or 0). */
static size_t sd_priority(char *line, int level)
{
	if (!to_journal())
		return 0;
	line[0] = '<';
	line[1] = (char)('0' + level);
	line[2] = '>';
	return 3;
}

/* "<N>[account/mailbox] " or "warning: [account/mailbox] " into line,
 * after "<N>" the time when timed; the length written (at most cap). */
static size_t head(char *line, size_t cap, bool timed, int level,
                   const char *account, const char *mailbox)
{
	size_t o = sd_priority(line, level);
	bool sd = o > 0;

	if (timed)
		o += stamp(line + o, cap - o);
	if (!sd)
		o = append(line, o, cap, level_words[level]);

	o = append(line, o, cap, "[");
	if (account != NULL)
		o = append_clean(line, o, cap, account, SCOPE_ACCOUNT_MAX);
	else
		o = append(line, o, cap, "-");
	if (mailbox != NULL) {
		o = append(line, o, cap, "/");
		o = append_clean(line, o, cap, mailbox, SCOPE_MAILBOX_MAX);
	}
	return append(line, o, cap, "] ");
}

size_t log_head(char *dst, size_t dstsz, int level, const char *account,
                const char *mailbox)
{
	size_t n = 0;

	level = clamp_level(level);
	if (dstsz > 0 && level <= log_get_level())
		n = head(dst, dstsz - 1, false, level, account, mailbox);
	if (dstsz > 0)
		dst[n] = '\0';
	return n;
}

int log_fd_get(void)
{
	return atomic_load(&log_fd);
}

/* One line: the head (a scope, or for log_bare the "<N>" and the time
 * alone), then the sanitized text. */
__attribute__((format(printf, 5, 0))) static void
write_line(int level, bool bare, const char *account, const char *mailbox,
           const char *fmt, va_list ap)
{
	/* Raw text may be twice a line: sanitizing only ever shortens it. */
	char raw[2 * LOG_LINE_MAX], line[LOG_LINE_MAX];
	const size_t cap = sizeof(line) - 1; /* room for the newline */
	int saved_errno = errno, n;
	size_t o, len;
	bool cut;

	level = clamp_level(level);
	if (level > log_get_level())
		return;
	if (bare) {
		o = sd_priority(line, level);
		o += stamp(line + o, cap - o);
	} else {
		o = head(line, cap, true, level, account, mailbox);
	}

	n = vsnprintf(raw, sizeof(raw), fmt, ap);
	if (n < 0)
		n = snprintf(raw, sizeof(raw), "(unformattable message)");
	len = (size_t)n < sizeof(raw) ? (size_t)n : sizeof(raw) - 1;
	secret_echo_mask(raw, len);
	o += sanitize(line + o, cap - o, raw, len, &cut);
	if ((size_t)n >= sizeof(raw) && !cut)
		end_with_ellipsis(line, &o, cap);
	line[o++] = '\n';

	/* One write: a short write to stderr is not retried, since a second
	 * write could interleave with another thread's line. */
	if (write(atomic_load(&log_fd), line, o) < 0) {
		/* nowhere left to report it */
	}
	errno = saved_errno;
}

void log_vmsg(int level, const char *account, const char *mailbox,
              const char *fmt, va_list ap)
{
	write_line(level, false, account, mailbox, fmt, ap);
}

void log_bare(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	write_line(level, true, NULL, NULL, fmt, ap);
	va_end(ap);
}

void log_msg(int level, const char *account, const char *mailbox,
             const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, account, mailbox, fmt, ap);
	va_end(ap);
}

void log_imap_trace(void *payload, char dir, const char *line, size_t len)
{
	char clean[LOG_TRACE_MAX];

	if (atomic_load(&log_level) < LOG_LEVEL_DEBUG)
		return;
	log_sanitize(clean, sizeof(clean), line, len);
	log_msg(LOG_LEVEL_DEBUG, payload, NULL, "%s: %s",
	        dir == 'C' ? "C" : "S", clean);
}

void log_failure(char *out, size_t outlen, const char *what, const char *msg)
{
	char clean[400];
	log_sanitize(clean, sizeof(clean), msg, strlen(msg));
	const char *colon = strstr(clean, ": ");
	size_t named = colon ? (size_t)(colon - clean) : 0;
	if (named && strncmp(what, clean, named) == 0 &&
	    (what[named] == '\0' || what[named] == ' '))
		snprintf(out, outlen, "%s%s", what, colon);
	else
		snprintf(out, outlen, "%s: %s", what, clean);
}
