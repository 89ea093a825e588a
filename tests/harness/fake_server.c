/* fake_server.c - plays a script (see fake_server.h) in a thread. */
#include "harness/fake_server.h"
#include "harness/fake_conn.h"
#include "harness/fake_tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <regex.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_TIMEOUT_MS 5000
/* The first connection may take this many times the TIMEOUT to come: the
 * wait starts when the server listens, and a test readies its client
 * after that (a configuration, mailboxes made on Dovecot by a Python, a
 * sanitized daemon starting), which on a loaded machine took longer than
 * DEFAULT_TIMEOUT_MS: the client then connected to a server that had given
 * up on it. */
#define FIRST_CLIENT_TIMEOUTS 6
#define TRANSCRIPT_MAX     (64u << 20)
#define TAG_MAX            128

enum step_kind {
	STEP_SEND,     /* S: */
	STEP_SEND_RAW, /* S+ */
	STEP_SEND_MANY, /* S* */
	STEP_LINE,     /* C: */
	STEP_REGEX,    /* C~ */
	STEP_SKIP,     /* C* */
	STEP_RAW,      /* C= */
	STEP_SLEEP,
	STEP_TIMEOUT,
	STEP_CLOSE,
	STEP_EOF,
	STEP_ACCEPT,
	STEP_STARTTLS,
	STEP_DEFLATE,
};

struct step {
	enum step_kind kind;
	int line;         /* in the script, from 1 */
	const char *text; /* as written (points into fs->script) */
	char *data;       /* S:, S+, C=: escapes decoded */
	size_t len;
	uint64_t num; /* C*, S*, SLEEP, TIMEOUT */
};

struct snapshot {
	struct snapshot *next;
	char text[];
};

struct fake_server {
	pthread_t thread;
	bool started;
	int listen_fd; /* fake_server_listen, else -1 */
	int first_fd;  /* server end of the socketpair, else -1 */

	char *script;
	struct step *steps;
	size_t nsteps;

	/* server thread only, until joined */
	struct fake_conn conn;
	bool connected;   /* conn holds an open connection */
	bool peer_closed; /* the client, the script or TLS ended it */
	char tag[TAG_MAX];
	int timeout_ms;
	int result;
	char err[1024];

	pthread_mutex_t lock; /* guards the transcript and snapshots */
	char *tx;
	size_t tx_len, tx_cap;
	struct snapshot *snaps;
};

static int set_err(struct fake_server *fs, const struct step *st,
                   const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int set_err(struct fake_server *fs, const struct step *st,
                   const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (fs->result)
		return -1; /* the first failure is the one that matters */
	if (st)
		n = snprintf(fs->err, sizeof(fs->err), "line %d: ", st->line);
	va_start(ap, fmt);
	vsnprintf(fs->err + n, sizeof(fs->err) - (size_t)n, fmt, ap);
	va_end(ap);
	fs->result = -1;
	return -1;
}

/* Client bytes shown in an error: printable, bounded. */
static void show(char *dst, size_t cap, const char *src, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 8 < cap; i++) {
		unsigned char ch = (unsigned char)src[i];
		if (ch == '\r')
			o += (size_t)snprintf(dst + o, cap - o, "\\r");
		else if (ch == '\n')
			o += (size_t)snprintf(dst + o, cap - o, "\\n");
		else if (ch == '\\')
			o += (size_t)snprintf(dst + o, cap - o, "\\\\");
		else if (ch < 0x20 || ch >= 0x7f)
			o += (size_t)snprintf(dst + o, cap - o, "\\x%02x", ch);
		else
			dst[o++] = (char)ch;
		if (i + 1 < len && o + 8 >= cap)
			o += (size_t)snprintf(dst + o, cap - o, "...");
	}
	dst[o] = '\0';
}

/* ------------------------------------------------------------ parsing */

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

static int decode_escapes(struct step *st, const char *s)
{
	size_t n = strlen(s);

	st->data = malloc(n + 1);
	if (!st->data)
		return -1;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '\\') {
			st->data[o++] = s[i];
			continue;
		}
		switch (s[++i]) {
		case 'r':
			st->data[o++] = '\r';
			break;
		case 'n':
			st->data[o++] = '\n';
			break;
		case 't':
			st->data[o++] = '\t';
			break;
		case '0':
			st->data[o++] = '\0';
			break;
		case '\\':
			st->data[o++] = '\\';
			break;
		case 'x': {
			int hi = hexval(s[i + 1]);
			int lo = hi < 0 ? -1 : hexval(s[i + 2]);
			if (lo < 0)
				return -2;
			st->data[o++] = (char)(hi * 16 + lo);
			i += 2;
			break;
		}
		default:
			return -2;
		}
	}
	st->len = o;
	return 0;
}

static int parse_num(const char *s, uint64_t max, uint64_t *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

static const struct {
	const char *word;
	enum step_kind kind;
	bool has_num;
} keywords[] = {
        {"SLEEP", STEP_SLEEP, true},      {"TIMEOUT", STEP_TIMEOUT, true},
        {"CLOSE", STEP_CLOSE, false},     {"EOF", STEP_EOF, false},
        {"ACCEPT", STEP_ACCEPT, false},   {"STARTTLS", STEP_STARTTLS, false},
        {"DEFLATE", STEP_DEFLATE, false},
};

static const struct {
	char prefix[3];
	enum step_kind kind;
} directives[] = {
        {"S:", STEP_SEND},  {"S+", STEP_SEND_RAW}, {"S*", STEP_SEND_MANY},
        {"C:", STEP_LINE},  {"C~", STEP_REGEX},    {"C*", STEP_SKIP},
        {"C=", STEP_RAW},
};

static int parse_step(struct fake_server *fs, struct step *st, char *s)
{
	for (size_t i = 0; i < sizeof(directives) / sizeof(*directives); i++) {
		if (strncmp(s, directives[i].prefix, 2) != 0 ||
		    (s[2] != ' ' && s[2] != '\0'))
			continue;
		st->kind = directives[i].kind;
		st->text = s[2] ? s + 3 : s + 2;
		switch (st->kind) {
		case STEP_SEND:
		case STEP_SEND_RAW:
		case STEP_RAW: {
			int rc = decode_escapes(st, st->text);
			if (rc == -2)
				return set_err(fs, st, "bad escape in '%s'", s);
			if (rc || (st->kind == STEP_RAW && st->len == 0))
				return set_err(fs, st, "%s",
				               rc ? "out of memory"
				                  : "C= needs bytes");
			return 0;
		}
		case STEP_SKIP:
			if (parse_num(st->text, UINT64_MAX, &st->num))
				return set_err(fs, st, "bad count in '%s'", s);
			return 0;
		case STEP_SEND_MANY: {
			/* "S* n text": the count, one blank, the line. */
			char num[24];
			size_t k = strcspn(st->text, " ");
			if (k == 0 || k >= sizeof(num) || st->text[k] != ' ')
				return set_err(fs, st, "bad step '%s'", s);
			memcpy(num, st->text, k);
			num[k] = '\0';
			if (parse_num(num, UINT64_MAX, &st->num))
				return set_err(fs, st, "bad count in '%s'", s);
			int rc = decode_escapes(st, st->text + k + 1);
			if (rc == -2)
				return set_err(fs, st, "bad escape in '%s'", s);
			return rc ? set_err(fs, st, "out of memory") : 0;
		}
		case STEP_REGEX: {
			regex_t re;
			const char *pat = st->text;
			if (strncmp(pat, "$TAG ", 5) == 0)
				pat += 5;
			if (regcomp(&re, pat, REG_EXTENDED | REG_NOSUB))
				return set_err(fs, st, "bad regex '%s'", pat);
			regfree(&re);
			return 0;
		}
		default:
			return 0;
		}
	}
	for (size_t i = 0; i < sizeof(keywords) / sizeof(*keywords); i++) {
		size_t n = strlen(keywords[i].word);
		if (strncmp(s, keywords[i].word, n) != 0)
			continue;
		st->kind = keywords[i].kind;
		st->text = s;
		if (!keywords[i].has_num && s[n] == '\0')
			return 0;
		if (keywords[i].has_num && s[n] == ' ' &&
		    parse_num(s + n + 1, 3600 * 1000, &st->num) == 0)
			return 0;
		return set_err(fs, st, "bad step '%s'", s);
	}
	st->text = s;
	return set_err(fs, st, "unknown step '%s'", s);
}

static int parse_script(struct fake_server *fs, bool listening)
{
	size_t cap = 1;
	for (const char *p = fs->script; *p; p++)
		cap += *p == '\n';
	fs->steps = calloc(cap, sizeof(*fs->steps));
	if (!fs->steps)
		return set_err(fs, NULL, "out of memory");

	int lineno = 0;
	char *save = NULL;
	for (char *s = fs->script; s; s = save) {
		save = strchr(s, '\n');
		if (save)
			*save++ = '\0';
		lineno++;
		size_t n = strlen(s);
		if (n > 0 && s[n - 1] == '\r')
			s[--n] = '\0';
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0' || *s == '#')
			continue;
		struct step *st = &fs->steps[fs->nsteps++];
		st->line = lineno;
		if (parse_step(fs, st, s))
			return -1;
		if (st->kind == STEP_ACCEPT && !listening)
			return set_err(fs, st,
			               "ACCEPT needs fake_server_listen");
	}
	return 0;
}

/* ----------------------------------------------------------- transcript */

static void record_input(void *arg, const char *data, size_t len)
{
	struct fake_server *fs = arg;

	pthread_mutex_lock(&fs->lock);
	if (fs->tx_len + len + 1 > fs->tx_cap &&
	    fs->tx_len + len + 1 <= TRANSCRIPT_MAX) {
		size_t cap = fs->tx_cap ? fs->tx_cap : 4096;
		while (cap < fs->tx_len + len + 1)
			cap *= 2;
		char *p = realloc(fs->tx, cap);
		if (p) {
			fs->tx = p;
			fs->tx_cap = cap;
		}
	}
	/* Past the cap (or out of memory) the transcript stops growing; tests
	 * search it for secrets sent early in a session. */
	if (fs->tx_len + len + 1 <= fs->tx_cap) {
		memcpy(fs->tx + fs->tx_len, data, len);
		fs->tx_len += len;
		fs->tx[fs->tx_len] = '\0';
	}
	pthread_mutex_unlock(&fs->lock);
}

const char *fake_server_transcript(const struct fake_server *cfs)
{
	/* Snapshots hang off the server so that the pointer handed out stays
	 * valid while the thread keeps appending (and reallocating). */
	struct fake_server *fs = (struct fake_server *)cfs;

	pthread_mutex_lock(&fs->lock);
	struct snapshot *s = malloc(sizeof(*s) + fs->tx_len + 1);
	if (s) {
		if (fs->tx_len)
			memcpy(s->text, fs->tx, fs->tx_len);
		s->text[fs->tx_len] = '\0';
		s->next = fs->snaps;
		fs->snaps = s;
	}
	pthread_mutex_unlock(&fs->lock);
	return s ? s->text : NULL;
}

/* ------------------------------------------------------------- running */

static int64_t deadline(const struct fake_server *fs)
{
	return fake_now_ms() + fs->timeout_ms;
}

static void drop_conn(struct fake_server *fs)
{
	if (fs->connected)
		fconn_clear(&fs->conn);
	fs->connected = false;
	fs->peer_closed = true;
}

static int attach(struct fake_server *fs, int fd)
{
	fs->tag[0] = '\0';
	fs->peer_closed = false;
	fs->connected = true;
	if (fconn_init(&fs->conn, fd, record_input, fs)) {
		set_err(fs, NULL, "%s", fs->conn.err);
		drop_conn(fs);
		return -1;
	}
	return 0;
}

static int accept_client(struct fake_server *fs, const struct step *st)
{
	struct pollfd p = {.fd = fs->listen_fd, .events = POLLIN};
	int64_t end = deadline(fs);

	drop_conn(fs);
	for (;;) {
		int64_t left = end - fake_now_ms();
		if (left <= 0)
			return set_err(fs, st,
			               "no client connected within %d ms",
			               fs->timeout_ms);
		int n = poll(&p, 1, (int)left);
		if (n < 0 && errno != EINTR)
			return set_err(fs, st, "poll: %s", strerror(errno));
		if (n <= 0)
			continue;
		int fd = accept4(fs->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0)
			return attach(fs, fd);
		if (errno != EINTR && errno != EAGAIN && errno != ECONNABORTED)
			return set_err(fs, st, "accept: %s", strerror(errno));
	}
}

static int do_send(struct fake_server *fs, const struct step *st)
{
	size_t cap = st->len + 2, n = 0;

	for (size_t i = 0; i + 4 <= st->len; i++)
		if (memcmp(st->data + i, "$TAG", 4) == 0)
			cap += TAG_MAX;
	char *out = malloc(cap);
	if (!out)
		return set_err(fs, st, "out of memory");
	for (size_t i = 0; i < st->len;) {
		if (i + 4 <= st->len && memcmp(st->data + i, "$TAG", 4) == 0) {
			if (!fs->tag[0]) {
				free(out);
				return set_err(
				        fs, st,
				        "$TAG before any client command");
			}
			size_t t = strlen(fs->tag);
			memcpy(out + n, fs->tag, t);
			n += t;
			i += 4;
		} else {
			out[n++] = st->data[i++];
		}
	}
	if (st->kind == STEP_SEND) {
		out[n++] = '\r';
		out[n++] = '\n';
	}
	int rc = fconn_write(&fs->conn, out, n, deadline(fs));
	free(out);
	if (rc == FCONN_EOF) {
		fs->peer_closed = true;
		return 0;
	}
	if (rc == FCONN_TIMEOUT)
		return set_err(fs, st, "client did not read '%s' within %d ms",
		               st->text, fs->timeout_ms);
	return rc ? set_err(fs, st, "%s", fs->conn.err) : 0;
}

/* S*: the line (no $TAG: it floods, it does not answer) n times, in
 * writes of many lines, until n is reached or the client goes. Each write
 * has its own deadline, so a client that stops reading fails the step. */
static int do_send_many(struct fake_server *fs, const struct step *st)
{
	size_t one = st->len + 2;
	size_t per = one >= 65536 ? 1 : 65536 / one;
	char *chunk = malloc(per * one);
	if (!chunk)
		return set_err(fs, st, "out of memory");
	for (size_t i = 0; i < per; i++) {
		memcpy(chunk + i * one, st->data, st->len);
		memcpy(chunk + i * one + st->len, "\r\n", 2);
	}
	int rc = 0;
	for (uint64_t left = st->num; left > 0 && rc == 0;) {
		size_t k = left < per ? (size_t)left : per;
		rc = fconn_write(&fs->conn, chunk, k * one, deadline(fs));
		left -= k;
	}
	free(chunk);
	if (rc == FCONN_EOF) {
		fs->peer_closed = true;
		return 0;
	}
	if (rc == FCONN_TIMEOUT)
		return set_err(fs, st, "client stopped reading '%s' for %d ms",
		               st->text, fs->timeout_ms);
	return rc ? set_err(fs, st, "%s", fs->conn.err) : 0;
}

static int read_failed(struct fake_server *fs, const struct step *st, int rc)
{
	const char *what = st->kind == STEP_LINE    ? "C: "
	                   : st->kind == STEP_REGEX ? "C~ "
	                   : st->kind == STEP_SKIP  ? "C* "
	                   : st->kind == STEP_RAW   ? "C= "
	                                            : "";
	char got[256];

	show(got, sizeof(got), fs->conn.in + fs->conn.in_off,
	     fs->conn.in_len - fs->conn.in_off);
	if (rc == FCONN_EOF || !fs->connected)
		return set_err(fs, st,
		               "expected '%s%s', but the connection "
		               "was closed (unread: '%s')",
		               what, st->text, got);
	if (rc == FCONN_TIMEOUT)
		return set_err(fs, st,
		               "expected '%s%s', timed out after %d ms "
		               "(received so far: '%s')",
		               what, st->text, fs->timeout_ms, got);
	return set_err(fs, st, "expected '%s%s': %s", what, st->text,
	               fs->conn.err);
}

/* Splits the tag off line; false if there is no "tag SP". */
static bool take_tag(struct fake_server *fs, const char **line, size_t *len)
{
	const char *sp = memchr(*line, ' ', *len);

	if (!sp || sp == *line || (size_t)(sp - *line) >= TAG_MAX)
		return false;
	memcpy(fs->tag, *line, (size_t)(sp - *line));
	fs->tag[sp - *line] = '\0';
	*len -= (size_t)(sp - *line) + 1;
	*line = sp + 1;
	return true;
}

static int do_line(struct fake_server *fs, const struct step *st)
{
	const char *line, *want = st->text;
	size_t len;

	if (fs->peer_closed)
		return read_failed(fs, st, FCONN_EOF);
	int rc = fconn_read_line(&fs->conn, &line, &len, deadline(fs));
	if (rc)
		return read_failed(fs, st, rc);

	char got[512];
	show(got, sizeof(got), line, len);
	if (strncmp(want, "$TAG ", 5) == 0) {
		want += 5;
		if (!take_tag(fs, &line, &len))
			return set_err(fs, st,
			               "expected '%s', received '%s' "
			               "(no tag)",
			               st->text, got);
	}
	if (st->kind == STEP_LINE) {
		if (len != strlen(want) || memcmp(line, want, len) != 0)
			return set_err(fs, st, "expected '%s', received '%s'",
			               st->text, got);
		return 0;
	}

	regex_t re;
	if (memchr(line, '\0', len))
		return set_err(fs, st, "expected /%s/, received NUL in '%s'",
		               st->text, got);
	char *z = strndup(line, len);
	if (!z || regcomp(&re, want, REG_EXTENDED | REG_NOSUB)) {
		free(z);
		return set_err(fs, st, "out of memory");
	}
	rc = regexec(&re, z, 0, NULL, 0);
	regfree(&re);
	free(z);
	if (rc)
		return set_err(fs, st, "expected /%s/, received '%s'", st->text,
		               got);
	return 0;
}

static int do_raw(struct fake_server *fs, const struct step *st)
{
	if (fs->peer_closed)
		return read_failed(fs, st, FCONN_EOF);
	if (st->kind == STEP_SKIP) {
		int rc = fconn_skip(&fs->conn, st->num, deadline(fs));
		return rc ? read_failed(fs, st, rc) : 0;
	}
	const char *data;
	int rc = fconn_read_exact(&fs->conn, &data, st->len, deadline(fs));
	if (rc)
		return read_failed(fs, st, rc);
	if (memcmp(data, st->data, st->len) != 0) {
		char got[512];
		show(got, sizeof(got), data, st->len);
		return set_err(fs, st, "expected '%s', received '%s'", st->text,
		               got);
	}
	return 0;
}

static void sleep_ms(uint64_t ms)
{
	struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int run_step(struct fake_server *fs, const struct step *st)
{
	switch (st->kind) {
	case STEP_SEND:
	case STEP_SEND_RAW:
		return fs->peer_closed ? 0 : do_send(fs, st);
	case STEP_SEND_MANY:
		return fs->peer_closed ? 0 : do_send_many(fs, st);
	case STEP_LINE:
	case STEP_REGEX:
		return do_line(fs, st);
	case STEP_SKIP:
	case STEP_RAW:
		return do_raw(fs, st);
	case STEP_SLEEP:
		if (!fs->peer_closed)
			sleep_ms(st->num);
		return 0;
	case STEP_TIMEOUT:
		fs->timeout_ms = (int)st->num;
		return 0;
	case STEP_CLOSE:
		drop_conn(fs);
		return 0;
	case STEP_EOF: {
		if (fs->peer_closed)
			return 0;
		int rc = fconn_expect_eof(&fs->conn, deadline(fs));
		if (rc == 0) {
			fs->peer_closed = true;
			return 0;
		}
		char got[256];
		show(got, sizeof(got), fs->conn.in + fs->conn.in_off,
		     fs->conn.in_len - fs->conn.in_off);
		if (rc == FCONN_TIMEOUT)
			return set_err(fs, st,
			               "expected EOF, the client "
			               "kept the connection open");
		return set_err(fs, st, "expected EOF, received '%s'", got);
	}
	case STEP_ACCEPT:
		return accept_client(fs, st);
	case STEP_STARTTLS: {
		if (fs->peer_closed)
			return 0;
		gnutls_certificate_credentials_t cred = fake_tls_credentials();
		if (!cred)
			return set_err(fs, st, "no certificate for STARTTLS");
		int rc = fconn_starttls(&fs->conn, cred, deadline(fs));
		if (rc == FCONN_EOF) {
			fs->peer_closed = true;
			return 0;
		}
		if (rc == FCONN_TIMEOUT)
			return set_err(fs, st, "TLS handshake timed out");
		return rc ? set_err(fs, st, "%s", fs->conn.err) : 0;
	}
	case STEP_DEFLATE:
		if (fs->peer_closed)
			return 0;
		return fconn_deflate(&fs->conn)
		               ? set_err(fs, st, "%s", fs->conn.err)
		               : 0;
	}
	return set_err(fs, st, "corrupt step");
}

static void *serve(void *arg)
{
	struct fake_server *fs = arg;

	size_t i = 0;
	if (fs->listen_fd >= 0) {
		/* "TIMEOUT n" first also bounds the wait for the client. */
		for (; i < fs->nsteps && fs->steps[i].kind == STEP_TIMEOUT; i++)
			fs->timeout_ms = (int)fs->steps[i].num;
		int timeout_ms = fs->timeout_ms;
		fs->timeout_ms = timeout_ms * FIRST_CLIENT_TIMEOUTS;
		int rc = accept_client(fs, NULL);
		fs->timeout_ms = timeout_ms;
		if (rc)
			return NULL;
	} else {
		int fd = fs->first_fd;
		fs->first_fd = -1; /* the connection owns it from here */
		if (attach(fs, fd))
			return NULL;
	}
	for (; i < fs->nsteps; i++)
		if (run_step(fs, &fs->steps[i]))
			break;
	drop_conn(fs);
	return NULL;
}

/* ------------------------------------------------------------ lifecycle */

static void destroy(struct fake_server *fs)
{
	if (fs->first_fd >= 0)
		close(fs->first_fd);
	if (fs->listen_fd >= 0)
		close(fs->listen_fd);
	for (size_t i = 0; i < fs->nsteps; i++)
		free(fs->steps[i].data);
	free(fs->steps);
	free(fs->script);
	free(fs->tx);
	while (fs->snaps) {
		struct snapshot *next = fs->snaps->next;
		free(fs->snaps);
		fs->snaps = next;
	}
	pthread_mutex_destroy(&fs->lock);
	free(fs);
}

static struct fake_server *create(const char *script)
{
	struct fake_server *fs = calloc(1, sizeof(*fs));

	if (!fs)
		return NULL;
	fs->listen_fd = fs->first_fd = -1;
	fs->conn.fd = -1;
	fs->timeout_ms = DEFAULT_TIMEOUT_MS;
	pthread_mutex_init(&fs->lock, NULL);
	fs->script = strdup(script ? script : "");
	if (!fs->script) {
		destroy(fs);
		errno = ENOMEM;
		return NULL;
	}
	return fs;
}

/* A script that does not parse never runs: the error waits for finish. */
static int launch(struct fake_server *fs)
{
	if (parse_script(fs, fs->listen_fd >= 0)) {
		if (fs->first_fd >= 0)
			close(fs->first_fd);
		fs->first_fd = -1;
		return 0;
	}
	int rc = pthread_create(&fs->thread, NULL, serve, fs);
	if (rc) {
		errno = rc;
		return -1;
	}
	fs->started = true;
	return 0;
}

int fake_server_start(struct fake_server **out, int *client_fd,
                      const char *script)
{
	int sv[2];
	struct fake_server *fs = create(script);

	*out = NULL;
	if (!fs)
		return -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		destroy(fs);
		return -1;
	}
	fs->first_fd = sv[1];
	if (launch(fs)) {
		int e = errno;
		close(sv[0]);
		destroy(fs);
		errno = e;
		return -1;
	}
	*client_fd = sv[0];
	*out = fs;
	return 0;
}

int fake_server_listen(struct fake_server **out, uint16_t *port,
                       const char *script)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
	                         .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t salen = sizeof(sa);
	struct fake_server *fs = create(script);
	int one = 1, e;

	*out = NULL;
	if (!fs)
		return -1;
	fs->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fs->listen_fd < 0 ||
	    setsockopt(fs->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one,
	               sizeof(one)) < 0 ||
	    bind(fs->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fs->listen_fd, 8) < 0 ||
	    getsockname(fs->listen_fd, (struct sockaddr *)&sa, &salen) < 0 ||
	    launch(fs)) {
		e = errno;
		destroy(fs);
		errno = e;
		return -1;
	}
	*port = ntohs(sa.sin_port);
	*out = fs;
	return 0;
}

int fake_server_finish(struct fake_server *fs, char *errbuf, size_t errlen)
{
	if (!fs) {
		if (errlen)
			snprintf(errbuf, errlen, "no fake server");
		return -1;
	}
	if (fs->started)
		pthread_join(fs->thread, NULL);
	int rc = fs->result;
	if (errlen)
		snprintf(errbuf, errlen, "%s", rc ? fs->err : "");
	destroy(fs);
	return rc;
}
