/* test_readline.c - imap4_readline: bounded in size and time, read in
 * blocks through the handle's buffer.
 */
#include "api_test.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A layer over the fake server's socket that counts the reads made. */
struct counted {
	struct imap4_transport base;
	unsigned long reads;
};

static ssize_t counted_read(struct imap4_transport *t, void *buf, size_t len,
                            int64_t deadline)
{
	((struct counted *)t)->reads++;
	return imap4_transport_read(t->lower, buf, len, deadline);
}

static int counted_write(struct imap4_transport *t, const void *buf, size_t len,
                         int64_t deadline)
{
	return imap4_transport_write(t->lower, buf, len, deadline);
}

static size_t counted_pending(const struct imap4_transport *t)
{
	return imap4_transport_pending(t->lower);
}

static void counted_close(struct imap4_transport *t)
{
	imap4_transport_close(&t->lower);
	free(t);
}

static const struct imap4_transport_ops counted_ops = {
        .name = "counted",
        .read = counted_read,
        .write = counted_write,
        .pending = counted_pending,
        .close = counted_close,
};

/* api_open over a counting layer; *c lives as long as the handle. */
static imap4 *open_counted(struct api_test *t, const char *script,
                           const struct imap4_opts *o, struct counted **c)
{
	struct imap4_transport *fd_tr = NULL;
	int fd = -1;

	*c = calloc(1, sizeof(**c));
	cr_assert_not_null(*c);
	cr_assert_eq(fake_server_start(&t->fs, &fd, script), 0);
	cr_assert_eq(imap4_fd_open(&fd_tr, fd), 0);
	(*c)->base.ops = &counted_ops;
	(*c)->base.lower = fd_tr;
	(*c)->base.fd = fd_tr->fd;
	t->rc = imap4_open_transport(&t->h, &(*c)->base, o);
	cr_assert_eq(t->rc, 0, "%s", imap4_open_error());
	return t->h;
}

static void opts_with_timeout(struct imap4_opts *o, int ms)
{
	imap4_opts_init(o);
	o->timeout_ms = ms;
	o->connect_timeout_ms = 5000;
}

#define HELLO       "S: * PREAUTH [CAPABILITY IMAP4rev1] hi\n"
#define LONG_LINE_N (1024 * 1024)

/* explore75: a read(2) a byte once the buffer was empty, 2.5 million of
 * them for a 4 MB line. A 1 MiB line takes some 16 reads of the 64 KiB
 * buffer; 1000 leaves room for a server that sends it in pieces. The
 * bytes past the line stay buffered: the next command reads them. */
Test(readline, a_long_line_is_read_in_blocks)
{
	struct api_test t;
	struct imap4_opts o;
	struct counted *c;
	size_t cap = LONG_LINE_N + 256, n;
	char *script = malloc(cap);
	char *line = NULL;
	size_t len = 0;

	cr_assert_not_null(script);
	n = (size_t)snprintf(script, cap, HELLO "S: ");
	memset(script + n, 'x', LONG_LINE_N);
	n += LONG_LINE_N;
	snprintf(script + n, cap - n,
	         "\nS: * 3 EXISTS\nC: $TAG NOOP\nS: $TAG OK\n");
	opts_with_timeout(&o, 20000);
	imap4 *h = open_counted(&t, script, &o, &c);
	free(script);

	unsigned long before = c->reads;
	cr_assert_eq(imap4_readline(h, &line, &len), 0, "%s",
	             imap4_last_error(h)->message);
	unsigned long reads = c->reads - before;
	cr_assert_eq(len, (size_t)LONG_LINE_N + 2);
	cr_assert_eq(line[0], 'x');
	cr_assert_eq(line[LONG_LINE_N - 1], 'x');
	cr_assert_str_eq(line + LONG_LINE_N, "\r\n");
	free(line);
	cr_assert_lt(reads, 1000, "%lu reads for a line of 1 MiB", reads);
	cr_assert_eq(imap4_noop(h), IMAP4_OK);
	cr_assert_eq(imap4_data_count(h), 1);
	cr_assert_eq(imap4_data_at(h, 0)->number, 3);
	api_done(&t);
}

/* A line's deadline is one for the whole line: a server sending a byte
 * every 100 ms, well within timeout_ms each, held a readline as long as
 * it liked. The line would take 3 s; the timeout is 500 ms. */
Test(readline, a_trickled_line_meets_one_deadline, .timeout = 20)
{
	struct api_test t;
	struct imap4_opts o;
	struct counted *c;
	char script[2048];
	size_t n;
	char *line = NULL;
	size_t len = 0;

	n = (size_t)snprintf(script, sizeof(script), "%s", HELLO);
	for (int i = 0; i < 30; i++)
		n += (size_t)snprintf(script + n, sizeof(script) - n,
		                      "S+ x\nSLEEP 100\n");
	snprintf(script + n, sizeof(script) - n, "S: \n");
	opts_with_timeout(&o, 500);
	imap4 *h = open_counted(&t, script, &o, &c);

	int rc = imap4_readline(h, &line, &len);
	cr_assert_eq(rc, IMAP4_ETIMEOUT, "rc %d, line of %zu bytes", rc, len);
	cr_assert_null(line);
	cr_assert(strstr(imap4_last_error(h)->message, "no whole line"), "%s",
	          imap4_last_error(h)->message);
	/* The stream is at an unknown point. */
	cr_assert_eq(imap4_noop(h), IMAP4_ECLOSED);
	api_done(&t);
}

/* limits.max_line bounds the line's memory. */
Test(readline, a_line_past_max_line_aborts)
{
	struct api_test t;
	struct imap4_opts o;
	struct counted *c;
	char script[8192];
	size_t n;
	char *line = NULL;
	size_t len = 0;

	n = (size_t)snprintf(script, sizeof(script), HELLO "S: ");
	memset(script + n, 'y', 5000);
	n += 5000;
	snprintf(script + n, sizeof(script) - n, "\n");
	opts_with_timeout(&o, 5000);
	o.limits.max_line = 1000;
	imap4 *h = open_counted(&t, script, &o, &c);

	cr_assert_eq(imap4_readline(h, &line, &len), IMAP4_ELIMIT);
	cr_assert_null(line);
	cr_assert(strstr(imap4_last_error(h)->message, "max_line"), "%s",
	          imap4_last_error(h)->message);
	cr_assert_eq(imap4_noop(h), IMAP4_ECLOSED);
	api_done(&t);
}

/* At end of stream, what came: a last line without its LF, then "". */
Test(readline, end_of_stream_gives_what_came)
{
	struct api_test t;
	struct imap4_opts o;
	struct counted *c;
	char *line = NULL;
	size_t len = 0;

	opts_with_timeout(&o, 5000);
	imap4 *h = open_counted(&t, HELLO "S+ tail\nCLOSE\n", &o, &c);

	cr_assert_eq(imap4_readline(h, &line, &len), 0);
	cr_assert_str_eq(line, "tail");
	cr_assert_eq(len, 4);
	free(line);
	cr_assert_eq(imap4_readline(h, &line, &len), 0);
	cr_assert_str_eq(line, "");
	cr_assert_eq(len, 0);
	free(line);
	api_done(&t);
}

/* explore83: imap4_completion() and the data after imap4_send,
 * imap4_readline and imap4_shutdown are the last command's. The hooks
 * bypass the parser, so they are no command of their own, and the header
 * now says what stays. */
Test(readline, the_hooks_leave_the_last_commands_result)
{
	struct api_test t;
	char *line = NULL;
	size_t len = 0;
	imap4 *h = api_open(&t,
	                    "S: * PREAUTH [CAPABILITY IMAP4rev1] hi\n"
	                    "C: $TAG NOOP\n"
	                    "S: * 3 EXISTS\n"
	                    "S: $TAG OK noop done\n"
	                    "C: raw\n"
	                    "S: * raw answer\n",
	                    NULL);

	cr_assert_eq(imap4_noop(h), IMAP4_OK);
	cr_assert_eq(imap4_send(h, "raw\r\n", 5), IMAP4_OK);
	cr_assert_eq(imap4_readline(h, &line, &len), IMAP4_OK);
	cr_assert_str_eq(line, "* raw answer\r\n");
	free(line);
	cr_assert_eq(imap4_shutdown(h), IMAP4_OK);
	cr_assert_not_null(imap4_completion(h));
	cr_assert_str_eq(imap4_completion(h)->text, "noop done");
	cr_assert_eq(imap4_data_count(h), 1);
	cr_assert_eq(imap4_data_at(h, 0)->number, 3);
	api_done(&t);
}
