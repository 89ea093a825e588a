/* test_open_cancel.c - opts.cancel_fd ends every wait of imap4_open*.
 *
 * Each test makes a server that stops answering at one step of the open
 * (the TCP connect, the greeting, the first CAPABILITY, STARTTLS, an
 * implicit TLS handshake, a tunnel that never speaks), lets a thread make
 * the cancel descriptor readable a little later, and requires the open to
 * return IMAP4_ECANCELED soon after that, saying which step it ended, with
 * no descriptor and no child process left behind. connect_timeout_ms stays
 * at its 30 s default, so only the cancel can end these opens in time.
 */
#include <criterion/criterion.h>

#include "api/internal.h"
#include "harness/fake_server.h"
#include "harness/silent_listener.h"
#include "harness/tls_server.h"
#include "imap4.h"
#include "io/transport.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

TestSuite(open_cancel, .timeout = 20);

/* How long after the cancel the open may take to return: the tunnel's
 * close (100 ms for the child to go, then SIGTERM) is the slowest. */
#define LATENCY_MS 300
/* When the canceller fires: well after the open began to wait. */
#define FIRE_MS 200

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	cr_assert_not_null(d);
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* The count the test began with, within a second: a resolver thread that
 * outlived the open closes its eventfd as it ends. */
static void assert_fds(int before)
{
	int now = count_fds();

	for (int i = 0; i < 100 && now != before; i++) {
		usleep(10000);
		now = count_fds();
	}
	cr_assert_eq(now, before, "descriptors: %d before, %d after", before,
	             now);
}

static void assert_no_child(void)
{
	cr_assert_eq(waitpid(-1, NULL, WNOHANG), -1, "a child process is left");
	cr_assert_eq(errno, ECHILD);
}

/* ---- the canceller: makes an eventfd readable after FIRE_MS */

struct canceller {
	pthread_t thread;
	int fd;
	int64_t fired; /* imap4_now_ms() when it wrote */
};

static void *cancel_later(void *arg)
{
	struct canceller *c = arg;
	uint64_t one = 1;

	usleep(FIRE_MS * 1000);
	int64_t now = imap4_now_ms();
	/* No assertion off the test's thread: a failed write leaves fired
	 * 0, which cancel_check reports. */
	if (write(c->fd, &one, sizeof(one)) == (ssize_t)sizeof(one))
		c->fired = now;
	return NULL;
}

static void cancel_start(struct canceller *c)
{
	c->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	c->fired = 0;
	cr_assert_geq(c->fd, 0);
	cr_assert_eq(pthread_create(&c->thread, NULL, cancel_later, c), 0);
}

/* Joins the canceller and checks the open (which returned rc at
 * returned) waited for it and ended soon after, naming step. */
static void cancel_check(struct canceller *c, int rc, int64_t returned,
                         const char *step)
{
	const char *msg = imap4_open_error();

	pthread_join(c->thread, NULL);
	close(c->fd);
	cr_assert_eq(rc, IMAP4_ECANCELED, "rc %d (%s)", rc, msg);
	cr_assert_neq(c->fired, 0);
	cr_assert_geq(returned, c->fired, "returned before the cancel");
	cr_assert_lt(returned - c->fired, LATENCY_MS,
	             "returned %lld ms after the cancel",
	             (long long)(returned - c->fired));
	cr_assert_not_null(strstr(msg, "cancelled"), "message: %s", msg);
	cr_assert_not_null(strstr(msg, step), "message: %s", msg);
}

static struct imap4_opts cancel_opts(int fd)
{
	struct imap4_opts o;

	imap4_opts_init(&o);
	cr_assert_eq(o.cancel_fd, -1, "the default is no cancel_fd");
	o.cancel_fd = fd;
	return o;
}

/* ---- servers that stop answering */

static int listener(int backlog, uint16_t *port)
{
	int fd = silent_listener(backlog, port);
	cr_assert_geq(fd, 0, "listener: %s", strerror(errno));
	return fd;
}

static int connect_to(uint16_t port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
	                         .sin_port = htons(port)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* One connection accepted in a thread, then served by a mode below. */
enum stall {
	STALL_STARTTLS, /* greets with STARTTLS, says OK to it, then reads
	                   the ClientHello and answers nothing */
	STALL_TLS,      /* tls_server's STALL: the implicit TLS handshake */
};

struct acceptor {
	pthread_t thread;
	int listen_fd;
	enum stall mode;
	const struct tls_pki *pki;
	struct tls_server *tls;
	bool saw_starttls;    /* the client asked for STARTTLS */
	bool saw_clienthello; /* then began a handshake (0x16) */
	char err[128];
};

static int wait_in(int fd, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return poll(&p, 1, ms) == 1 ? 0 : -1;
}

static void serve_starttls(struct acceptor *a, int fd)
{
	static const char greeting[] =
	        "* OK [CAPABILITY IMAP4rev1 STARTTLS] hi\r\n";
	char line[256], reply[300];
	size_t got = 0;
	ssize_t n;

	if (write(fd, greeting, strlen(greeting)) < 0)
		return;
	while (got < sizeof(line) - 1 && !memchr(line, '\n', got)) {
		if (wait_in(fd, 5000) < 0 ||
		    (n = read(fd, line + got, sizeof(line) - 1 - got)) <= 0)
			return;
		got += (size_t)n;
	}
	line[got] = '\0';
	char *sp = strchr(line, ' ');
	if (!sp || strncmp(sp, " STARTTLS\r\n", 11) != 0) {
		snprintf(a->err, sizeof(a->err), "unexpected: %.60s", line);
		return;
	}
	a->saw_starttls = true;
	snprintf(reply, sizeof(reply), "%.*s OK go\r\n", (int)(sp - line),
	         line);
	if (write(fd, reply, strlen(reply)) < 0)
		return;
	/* Read what the client sends (its ClientHello) until it closes. */
	for (;;) {
		unsigned char buf[4096];

		if (wait_in(fd, 5000) < 0 ||
		    (n = read(fd, buf, sizeof(buf))) <= 0)
			return;
		if (buf[0] == 0x16)
			a->saw_clienthello = true;
	}
}

static void *accept_one(void *arg)
{
	struct acceptor *a = arg;
	int fd;

	if (wait_in(a->listen_fd, 5000) < 0) {
		snprintf(a->err, sizeof(a->err), "no connection");
		return NULL;
	}
	fd = accept4(a->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0) {
		snprintf(a->err, sizeof(a->err), "accept: %s", strerror(errno));
		return NULL;
	}
	if (a->mode == STALL_TLS) {
		if (tls_server_start(&a->tls, a->pki, fd, TLS_SERVER_STALL) < 0)
			snprintf(a->err, sizeof(a->err), "tls_server_start");
		return NULL;
	}
	serve_starttls(a, fd);
	close(fd);
	return NULL;
}

static void acceptor_start(struct acceptor *a, enum stall mode,
                           const struct tls_pki *pki, uint16_t *port)
{
	memset(a, 0, sizeof(*a));
	a->mode = mode;
	a->pki = pki;
	a->listen_fd = listener(4, port);
	cr_assert_eq(pthread_create(&a->thread, NULL, accept_one, a), 0);
}

static void acceptor_join(struct acceptor *a)
{
	pthread_join(a->thread, NULL);
	close(a->listen_fd);
	cr_assert_eq(a->err[0], '\0', "server: %s", a->err);
}

/* ---- the opens */

Test(open_cancel, tcp_connect_to_a_full_backlog)
{
	struct canceller c;
	uint16_t port;
	imap4 *h = NULL;
	int before = count_fds();
	int lfd = listener(0, &port);
	int filler = connect_to(port); /* the backlog is full from here */

	cancel_start(&c);
	struct imap4_opts o = cancel_opts(c.fd);
	int rc = imap4_open(&h, "127.0.0.1", port, &o);
	int64_t returned = imap4_now_ms();

	cr_assert_null(h);
	cancel_check(&c, rc, returned, "connect to 127.0.0.1:");
	close(filler);
	close(lfd);
	assert_fds(before);
}

Test(open_cancel, greeting_never_sent)
{
	struct canceller c;
	uint16_t port;
	imap4 *h = NULL;
	int before = count_fds();
	int lfd = listener(4, &port);

	cancel_start(&c);
	struct imap4_opts o = cancel_opts(c.fd);
	int rc = imap4_open(&h, "127.0.0.1", port, &o);
	int64_t returned = imap4_now_ms();

	cr_assert_null(h);
	cancel_check(&c, rc, returned, "greeting");
	close(lfd);
	assert_fds(before);
}

/* A name (not an address literal) goes through the resolver thread,
 * which a cancel_fd makes the open use even without a deadline. */
Test(open_cancel, greeting_never_sent_to_a_host_name)
{
	struct canceller c;
	uint16_t port;
	imap4 *h = NULL;
	int before = count_fds();
	int lfd = listener(4, &port);

	cancel_start(&c);
	struct imap4_opts o = cancel_opts(c.fd);
	o.connect_timeout_ms = -1;
	/* "localhost" may be ::1 first, where nothing listens: refused at
	 * once, then 127.0.0.1. */
	int rc = imap4_open(&h, "localhost", port, &o);
	int64_t returned = imap4_now_ms();

	cr_assert_null(h);
	cancel_check(&c, rc, returned, "greeting");
	close(lfd);
	assert_fds(before);
}

Test(open_cancel, capability_never_answered)
{
	struct canceller c;
	struct fake_server *fs;
	uint16_t port;
	imap4 *h = NULL;
	char err[512] = "";
	int before = count_fds();

	/* No capabilities in the greeting: the open asks for them. */
	cr_assert_eq(fake_server_listen(&fs, &port,
	                                "S: * OK hi\n"
	                                "C: $TAG CAPABILITY\n"
	                                "EOF\n"),
	             0);
	cancel_start(&c);
	struct imap4_opts o = cancel_opts(c.fd);
	int rc = imap4_open(&h, "127.0.0.1", port, &o);
	int64_t returned = imap4_now_ms();

	cr_assert_null(h);
	cancel_check(&c, rc, returned, "CAPABILITY");
	cr_assert_eq(fake_server_finish(fs, err, sizeof(err)), 0, "%s", err);
	assert_fds(before);
}

Test(open_cancel, starttls_handshake_never_answered)
{
	struct canceller c;
	struct acceptor a;
	uint16_t port;
	imap4 *h = NULL;
	int before = count_fds();

	acceptor_start(&a, STALL_STARTTLS, NULL, &port);
	cancel_start(&c);
	struct imap4_opts o = cancel_opts(c.fd);
	o.tls = IMAP4_TLS_STARTTLS;
	o.insecure = true; /* the handshake never gets that far */
	int rc = imap4_open(&h, "127.0.0.1", port, &o);
	int64_t returned = imap4_now_ms();

	cr_assert_null(h);
	cancel_check(&c, rc, returned, "STARTTLS");
	acceptor_join(&a);
	cr_assert(a.saw_starttls);
	cr_assert(a.saw_clienthello, "the cancel came before the handshake");
	assert_fds(before);
}

Test(open_cancel, implicit_tls_handshake_never_answered)
{
	struct canceller c;
	struct acceptor a;
	struct tls_pki *pki = NULL;
	char err[256] = "";
	uint16_t port;
	imap4 *h = NULL;

	cr_assert_eq(tls_pki_new(&pki, err, sizeof(err)), 0, "%s", err);
	int before = count_fds();
	acceptor_start(&a, STALL_TLS, pki, &port);
	cancel_start(&c);
	struct imap4_opts o = cancel_opts(c.fd);
	o.ca_file = pki->ca_file;
	o.servername = "localhost";
	int rc = imap4_open_ssl(&h, "127.0.0.1", port, &o);
	int64_t returned = imap4_now_ms();

	cr_assert_null(h);
	cancel_check(&c, rc, returned, "TLS handshake");
	acceptor_join(&a);
	cr_assert_not_null(a.tls);
	/* STALL ends as the client closes: it saw the ClientHello. */
	cr_assert_eq(tls_server_join(&a.tls), 0);
	assert_fds(before);
	tls_pki_free(&pki);
}

Test(open_cancel, tunnel_that_never_speaks)
{
	struct canceller c;
	imap4 *h = NULL;
	int before = count_fds();

	cancel_start(&c);
	struct imap4_opts o = cancel_opts(c.fd);
	int rc = imap4_open_stream(&h, "sleep 60", &o);
	int64_t returned = imap4_now_ms();

	cr_assert_null(h);
	cancel_check(&c, rc, returned, "greeting");
	assert_no_child(); /* ended and reaped, as imap4_free does */
	assert_fds(before);
}

/* ---- the contract around the waits */

Test(open_cancel, readable_before_the_call_starts_nothing)
{
	char dir[] = "/tmp/open_cancel.XXXXXX", cmd[128], marker[64];
	uint64_t one = 1;
	uint16_t port;
	imap4 *h = NULL;
	struct stat st;
	int lfd = listener(4, &port);
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int before = count_fds();

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, &one, sizeof(one)), (ssize_t)sizeof(one));
	struct imap4_opts o = cancel_opts(fd);

	int64_t t0 = imap4_now_ms();
	cr_assert_eq(imap4_open(&h, "127.0.0.1", port, &o), IMAP4_ECANCELED);
	cr_assert_null(h);
	cr_assert_not_null(strstr(imap4_open_error(), "cancelled"));
	/* Nobody connected: the listener has nothing to accept. */
	cr_assert_eq(wait_in(lfd, 0), -1);

	cr_assert_not_null(mkdtemp(dir));
	snprintf(marker, sizeof(marker), "%s/ran", dir);
	snprintf(cmd, sizeof(cmd), ": > %s", marker);
	cr_assert_eq(imap4_open_stream(&h, cmd, &o), IMAP4_ECANCELED);
	cr_assert_not_null(strstr(imap4_open_error(), "cancelled"));
	cr_assert_lt(imap4_now_ms() - t0, 100);
	cr_assert_neq(stat(marker, &st), 0, "the command was started");
	rmdir(dir);
	assert_no_child();
	assert_fds(before);

	/* It stays readable: the library never drains it. */
	cr_assert_eq(read(fd, &one, sizeof(one)), (ssize_t)sizeof(one));
	close(fd);
	close(lfd);
}

/* A pipe whose writer is gone is hung up: that cancels too, so an owner
 * that dies cannot leave the open waiting. */
Test(open_cancel, hung_up_pipe_cancels)
{
	uint16_t port;
	imap4 *h = NULL;
	int p[2];
	int lfd = listener(4, &port);

	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	close(p[1]);
	struct imap4_opts o = cancel_opts(p[0]);
	cr_assert_eq(imap4_open(&h, "127.0.0.1", port, &o), IMAP4_ECANCELED);
	close(p[0]);
	close(lfd);
}

Test(open_cancel, closed_descriptor_is_invalid)
{
	uint16_t port;
	imap4 *h = NULL;
	int lfd = listener(4, &port);
	int fd = eventfd(0, EFD_CLOEXEC);

	close(fd);
	struct imap4_opts o = cancel_opts(fd);
	cr_assert_eq(imap4_open(&h, "127.0.0.1", port, &o), IMAP4_EINVAL);
	cr_assert_eq(imap4_open_stream(&h, "sleep 60", &o), IMAP4_EINVAL);
	cr_assert_null(h);
	assert_no_child();
	close(lfd);
}

/* The handle forgets cancel_fd once open: a stop later is imap4_wake's. */
Test(open_cancel, not_watched_after_the_open)
{
	struct fake_server *fs;
	uint16_t port;
	imap4 *h = NULL;
	uint64_t one = 1;
	char err[512] = "";
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	cr_assert_eq(fake_server_listen(&fs, &port,
	                                "S: * OK [CAPABILITY IMAP4rev1] hi\n"
	                                "C: $TAG NOOP\n"
	                                "S: $TAG OK done\n"),
	             0);
	struct imap4_opts o = cancel_opts(fd);
	cr_assert_eq(imap4_open(&h, "127.0.0.1", port, &o), 0, "%s",
	             imap4_open_error());
	cr_assert_eq(write(fd, &one, sizeof(one)), (ssize_t)sizeof(one));
	cr_assert_eq(imap4_noop(h), IMAP4_OK, "%s",
	             imap4_last_error(h)->message);
	imap4_free(&h);
	cr_assert_eq(fake_server_finish(fs, err, sizeof(err)), 0, "%s", err);
	close(fd);
}

/* A caller built against version 1 of the options has no cancel_fd: what
 * lies where it would be is never read. */
Test(open_cancel, version_1_options_have_no_cancel_fd)
{
	struct fake_server *fs;
	uint16_t port;
	imap4 *h = NULL;
	char err[512] = "";

	cr_assert_eq(fake_server_listen(&fs, &port,
	                                "S: * OK [CAPABILITY IMAP4rev1] hi\n"),
	             0);
	struct imap4_opts o = cancel_opts(-1);
	o.version = 1;
	o.cancel_fd = 9999; /* not open: EINVAL if it were looked at */
	cr_assert_eq(imap4_open(&h, "127.0.0.1", port, &o), 0, "%s",
	             imap4_open_error());
	imap4_free(&h);
	cr_assert_eq(fake_server_finish(fs, err, sizeof(err)), 0, "%s", err);

	o.version = IMAP4_OPTS_VERSION + 1;
	cr_assert_eq(imap4_open(&h, "127.0.0.1", port, &o), IMAP4_EINVAL);
}

Test(open_cancel, error_code_is_abort_class)
{
	cr_assert_eq(imap4_error_class(IMAP4_ECANCELED), IMAP4_CLASS_ABORT);
}

/* Every code the library returns has a name: a caller that logs
 * imap4_strerror() must never print "unknown error". */
Test(errors, every_code_has_a_name)
{
	static const int codes[] = {
	        IMAP4_EINVAL,  IMAP4_ESTATE,    IMAP4_EBAD,     IMAP4_ENO,
	        IMAP4_ECAPA,   IMAP4_ECALLBACK, IMAP4_ENOMEM,   IMAP4_EIO,
	        IMAP4_EEOF,    IMAP4_ECONNECT,  IMAP4_ERESOLVE, IMAP4_ETLS,
	        IMAP4_ECERT,   IMAP4_ETIMEOUT,  IMAP4_EPROTO,   IMAP4_ELIMIT,
	        IMAP4_EBYE,    IMAP4_EINJECT,   IMAP4_ETLSREQ,  IMAP4_ECOMPRESS,
	        IMAP4_ECLOSED, IMAP4_ECANCELED, IMAP4_EREADONLY};
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		cr_assert_str_neq(imap4_strerror(codes[i]), "unknown error",
		                  "code %d", codes[i]);
	cr_assert_str_eq(imap4_strerror(IMAP4_ECANCELED), "cancelled");
}

/* A command that greets at once (PREAUTH) after a word on stderr. */
#define GREETS_AFTER_A_WORD                                                    \
	"echo said-on-stderr >&2; printf '* PREAUTH [CAPABILITY IMAP4rev1] "  \
	"hi\\r\\n'; exec cat >/dev/null"

/* stderr_fd: what the command says on stderr goes there, for a daemon to
 * log as its own lines; without it, it is ours. */
Test(open_stream, stderr_goes_where_asked)
{
	int p[2];
	cr_assert_eq(pipe(p), 0);
	struct imap4_opts o;
	imap4_opts_init(&o);
	cr_assert_eq(o.stderr_fd, -1);
	o.stderr_fd = p[1];
	imap4 *h = NULL;
	cr_assert_eq(imap4_open_stream(&h, GREETS_AFTER_A_WORD, &o), 0, "%s",
	             imap4_open_error());
	close(p[1]);
	imap4_free(&h);
	char buf[64] = "";
	size_t n = 0;
	ssize_t got;
	while (n < sizeof(buf) - 1 &&
	       (got = read(p[0], buf + n, sizeof(buf) - 1 - n)) > 0)
		n += (size_t)got;
	close(p[0]);
	cr_assert_str_eq(buf, "said-on-stderr\n");
}

/* A caller built against version 2 has no stderr_fd: what lies where it
 * would be is never read (a bad descriptor there would fail the spawn). */
Test(open_stream, version_2_options_have_no_stderr_fd)
{
	struct imap4_opts o;
	imap4_opts_init(&o);
	o.version = 2;
	o.stderr_fd = 9999;
	imap4 *h = NULL;
	cr_assert_eq(imap4_open_stream(&h,
	                               "{ " GREETS_AFTER_A_WORD "; } 2>/dev/null",
	                               &o),
	             0, "%s", imap4_open_error());
	imap4_free(&h);
}

/* stream_envp: the command's whole environment, for a daemon that keeps
 * its own variables (NOTIFY_SOCKET) from what it runs. */
#define GREETS_WITH_ITS_ENV                                                    \
	"printf '* PREAUTH [CAPABILITY IMAP4rev1] %s %s\\r\\n' "               \
	"\"${MM_PASSED-unset}\" \"${MM_KEPT-unset}\"; exec cat >/dev/null"

static void expect_greeting(const struct imap4_opts *o, const char *want)
{
	imap4 *h = NULL;
	cr_assert_eq(imap4_open_stream(&h, GREETS_WITH_ITS_ENV, o), 0, "%s",
	             imap4_open_error());
	cr_assert(strstr(imap4_welcome(h), want) != NULL, "%s",
	          imap4_welcome(h));
	imap4_free(&h);
}

Test(open_stream, the_environment_is_the_callers_choice)
{
	char *const env[] = {"MM_PASSED=yes", "PATH=/usr/bin:/bin", NULL};
	struct imap4_opts o;

	cr_assert_eq(setenv("MM_KEPT", "leaked", 1), 0);
	imap4_opts_init(&o);
	cr_assert_null(o.stream_envp);
	expect_greeting(&o, "] unset leaked");
	o.stream_envp = env;
	expect_greeting(&o, "] yes unset");
	/* Built against version 3, a caller has no stream_envp: what lies
	 * there is never read. */
	o.version = 3;
	expect_greeting(&o, "] unset leaked");
	unsetenv("MM_KEPT");
}

/* A stream cannot begin with TLS here; taking the option and ignoring it
 * would send a password in clear. Nothing is started. */
Test(open_stream, implicit_tls_is_refused)
{
	struct imap4_opts o;
	imap4_opts_init(&o);
	o.tls = IMAP4_TLS_IMPLICIT;
	imap4 *h = NULL;
	cr_assert_eq(imap4_open_stream(&h, "echo started >&2", &o),
	             IMAP4_EINVAL);
	cr_assert_null(h);
	cr_assert(strstr(imap4_open_error(), "implicit TLS") != NULL, "%s",
	          imap4_open_error());
}

/* A tls mode outside the enum (memory never set, a bad cast, a mode
 * of a later version) is refused by every open before anything starts:
 * read as IMAP4_TLS_NONE, it would send the password in clear. */
Test(open_opts, tls_mode_outside_the_enum_is_refused)
{
	static const int modes[] = {3, -1};
	uint16_t port;
	int lfd = silent_listener(4, &port);

	cr_assert_geq(lfd, 0);
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		struct imap4_opts o;
		struct fake_server *fs;
		struct imap4_transport *t;
		imap4 *h = NULL;
		char err[512] = "", want[64];
		int fd;

		imap4_opts_init(&o);
		o.tls = (enum imap4_tls_mode)modes[i];
		o.connect_timeout_ms = 1000; /* what an open that went on
		                                would wait for a greeting */
		snprintf(want, sizeof(want), "invalid opts.tls %d", modes[i]);

		cr_assert_eq(imap4_open(&h, "127.0.0.1", port, &o),
		             IMAP4_EINVAL, "tls %d", modes[i]);
		cr_assert_null(h);
		cr_assert(strstr(imap4_open_error(), want), "%s",
		          imap4_open_error());
		cr_assert_eq(imap4_open_ssl(&h, "127.0.0.1", port, &o),
		             IMAP4_EINVAL, "tls %d", modes[i]);
		cr_assert(strstr(imap4_open_error(), want), "%s",
		          imap4_open_error());
		cr_assert_eq(imap4_open_stream(&h,
		                               "printf '* PREAUTH [CAPABILITY "
		                               "IMAP4rev1] hi\\r\\n'; exec cat "
		                               ">/dev/null",
		                               &o),
		             IMAP4_EINVAL, "tls %d", modes[i]);
		cr_assert(strstr(imap4_open_error(), want), "%s",
		          imap4_open_error());

		cr_assert_eq(fake_server_start(&fs, &fd,
		                               "S: * OK [CAPABILITY IMAP4rev1] "
		                               "hi\n"),
		             0);
		cr_assert_eq(imap4_fd_open(&t, fd), 0);
		cr_assert_eq(imap4_open_transport(&h, t, &o), IMAP4_EINVAL,
		             "tls %d", modes[i]);
		cr_assert_null(h);
		cr_assert(strstr(imap4_open_error(), want), "%s",
		          imap4_open_error());
		cr_assert_eq(fake_server_finish(fs, err, sizeof(err)), 0, "%s",
		             err);
	}
	close(lfd);
}

/* explore37: a tunnel that greets without capabilities and goes quiet
 * held the open for timeout_ms (120 s by default): its first CAPABILITY is
 * part of the open, under connect_timeout_ms. */
Test(open_cancel, the_opens_capability_is_under_the_connect_timeout,
     .timeout = 20)
{
	struct imap4_opts o;
	imap4 *h = NULL;
	imap4_opts_init(&o);
	o.connect_timeout_ms = 500;
	o.timeout_ms = 15000;
	int64_t start = imap4_now_ms();
	int rc = imap4_open_stream(&h, "printf '* OK hi\\r\\n'; sleep 60", &o);
	int64_t took = imap4_now_ms() - start;
	cr_assert_null(h);
	cr_assert_eq(rc, IMAP4_ETIMEOUT, "%d", rc);
	cr_assert_lt(took, 3000, "%lld ms", (long long)took);
	assert_no_child();
}
