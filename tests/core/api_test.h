/* api_test.h - a libimap4 handle talking to the scripted fake server.
 *
 * Shared by the command-layer tests (test_commands.c, test_auth.c,
 * test_idle.c, test_starttls.c). Each test writes the whole conversation
 * as a fake_server script: what the server sends and the exact lines the
 * client must send; api_open() connects a handle to it over a socketpair,
 * api_done() frees the handle and fails the test if the server saw
 * anything but the script.
 */
#ifndef TESTS_CORE_API_TEST_H
#define TESTS_CORE_API_TEST_H

#include "api/internal.h"
#include "harness/fake_server.h"
#include "imap4.h"
#include "io/transport.h"

#include <criterion/criterion.h>
#include <string.h>

#define GREETING                                                               \
	"S: * OK [CAPABILITY IMAP4rev1 IDLE LITERAL+ ENABLE "                  \
	"UIDPLUS MOVE SASL-IR AUTH=PLAIN] ready\n"

struct api_test {
	struct fake_server *fs;
	imap4 *h;
	int rc; /* of imap4_open_transport */
};

/* Starts the script and opens a handle on it with opts (NULL: defaults
 * with a 5 s timeout); t->rc holds the open's result, t->h the handle. */
static inline void api_start(struct api_test *t, const char *script,
                             const struct imap4_opts *opts)
{
	struct imap4_opts o;
	struct imap4_transport *tr = NULL;
	int fd = -1;

	if (opts == NULL) {
		imap4_opts_init(&o);
		o.timeout_ms = 5000;
		o.connect_timeout_ms = 5000;
		opts = &o;
	}
	cr_assert_eq(fake_server_start(&t->fs, &fd, script), 0);
	cr_assert_eq(imap4_fd_open(&tr, fd), 0);
	t->rc = imap4_open_transport(&t->h, tr, opts);
}

/* Same, requiring the open to succeed. */
static inline imap4 *api_open(struct api_test *t, const char *script,
                              const struct imap4_opts *opts)
{
	char err[2048] = "";

	api_start(t, script, opts);
	if (t->rc != 0) {
		fake_server_finish(t->fs, err, sizeof(err));
		cr_assert_fail("open: %d %s; server: %s", t->rc,
		               imap4_open_error(), err);
	}
	return t->h;
}

/* Frees the handle (closing the connection) and checks the script. */
static inline void api_done(struct api_test *t)
{
	char err[2048] = "";

	imap4_free(&t->h);
	cr_assert_eq(fake_server_finish(t->fs, err, sizeof(err)), 0, "%s", err);
}

/* The raw text of untagged response i of the last command, without CRLF. */
static inline char *api_data(const imap4 *h, size_t i, char *buf, size_t cap)
{
	const imap4_resp *r = imap4_data_at(h, i);
	size_t n;

	cr_assert_not_null(r, "no data %zu", i);
	n = r->raw_len;
	while (n && (r->raw[n - 1] == '\n' || r->raw[n - 1] == '\r'))
		n--;
	if (n >= cap)
		n = cap - 1;
	memcpy(buf, r->raw, n);
	buf[n] = '\0';
	return buf;
}

#endif
