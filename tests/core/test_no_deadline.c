/* test_no_deadline.c - opts.timeout_ms and connect_timeout_ms of 0 or
 * less mean no deadline (imap4.h), not a deadline that has passed.
 */
#include "api_test.h"

#include <criterion/criterion.h>

/* The server takes its time with the greeting and with each answer;
 * with a deadline of "now" every read that found nothing buffered yet
 * timed out (explore75). */
#define SLOW_SERVER                                                            \
	"SLEEP 150\n" GREETING "C: $TAG NOOP\n"                                \
	"SLEEP 150\n"                                                          \
	"S: * 2 EXISTS\n"                                                      \
	"S: $TAG OK done\n"

static void no_deadline(int timeout_ms)
{
	struct api_test t;
	struct imap4_opts o;

	imap4_opts_init(&o);
	o.timeout_ms = timeout_ms;
	o.connect_timeout_ms = timeout_ms;
	imap4 *h = api_open(&t, SLOW_SERVER, &o);
	cr_assert_eq(imap4_noop(h), IMAP4_OK, "%s",
	             imap4_last_error(h)->message);
	cr_assert_eq(imap4_data_count(h), 1);
	api_done(&t);
}

Test(no_deadline, a_timeout_of_zero_waits, .timeout = 20)
{
	no_deadline(0);
}

Test(no_deadline, a_negative_timeout_waits, .timeout = 20)
{
	no_deadline(-1);
}
