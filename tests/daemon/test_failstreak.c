/* test_failstreak.c - an account that keeps failing with one error is a
 * warning at its first failure and once an hour after it, info between;
 * a new error or a success starts over (report explore14 #9). */
#include "mailmirrord/failstreak.h"
#include "mailmirrord/log.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void utc(void)
{
	setenv("TZ", "UTC0", 1);
	tzset();
}

TestSuite(failstreak, .init = utc);

#define REFUSED "connect to 127.0.0.1:1: Connection refused"
/* 2026-11-03 09:12:00 UTC */
#define T0  ((time_t)1793697120)
#define MIN ((int64_t)60 * 1000)

static char msg[FAILSTREAK_MSG_MAX];

static int note(struct failstreak *fs, const char *why, unsigned retry_s,
                int64_t ms)
{
	return failstreak_note(fs, msg, sizeof(msg), why, retry_s, ms,
	                       T0 + (time_t)(ms / 1000));
}

Test(failstreak, a_repeated_error_warns_once_an_hour)
{
	struct failstreak fs = {0};
	unsigned warnings = 0;

	cr_assert_eq(note(&fs, REFUSED, 1, 0), LOG_LEVEL_WARNING);
	cr_assert_str_eq(msg, REFUSED "; retrying in 1 s");
	cr_assert_eq(note(&fs, REFUSED, 2, 2000), LOG_LEVEL_INFO);
	cr_assert_str_eq(msg, "still failing since 09:12 (2 attempts): " REFUSED
	                      "; retrying in 2 s");

	/* every 5 minutes for a day: the first, then one an hour */
	struct failstreak day = {0};
	for (int64_t t = 0; t < 24 * 60 * MIN; t += 5 * MIN)
		warnings += note(&day, REFUSED, 300, t) == LOG_LEVEL_WARNING;
	cr_assert_eq(warnings, 24, "%u warnings in a day", warnings);
	cr_assert_eq(day.attempts, 24 * 12);
	/* a streak older than a day gives its date */
	cr_assert_eq(note(&day, REFUSED, 300, 24 * 60 * MIN),
	             LOG_LEVEL_WARNING);
	cr_assert_str_eq(msg, "still failing since 2026-11-03 09:12 (289 "
	                      "attempts): " REFUSED "; retrying in 300 s");
}

/* explore19 finding 10: "server said NO: Authentication failed.; retrying
 * in 164 s". One closing full stop goes; an ellipsis stays. */
#define AUTH_NO "authentication: server said NO: Authentication failed."
Test(failstreak, a_servers_full_stop_does_not_run_into_the_retry)
{
	struct failstreak fs = {0};

	note(&fs, AUTH_NO, 164, 0);
	cr_assert_str_eq(msg, "authentication: server said NO: "
	                      "Authentication failed; retrying in 164 s");
	note(&fs, AUTH_NO, 300, 2000);
	cr_assert_str_eq(msg, "still failing since 09:12 (2 attempts): "
	                      "authentication: server said NO: "
	                      "Authentication failed; retrying in 300 s");
	struct failstreak more = {0};
	note(&more, "connect: wait...", 1, 0);
	cr_assert_str_eq(msg, "connect: wait...; retrying in 1 s");
}

Test(failstreak, another_error_or_a_success_starts_over)
{
	struct failstreak fs = {0};

	note(&fs, REFUSED, 1, 0);
	cr_assert_eq(note(&fs, REFUSED, 2, 1000), LOG_LEVEL_INFO);
	cr_assert_eq(note(&fs, "authentication: server said NO", 4, 5 * MIN),
	             LOG_LEVEL_WARNING);
	cr_assert_str_eq(msg,
	                 "authentication: server said NO; retrying in 4 s");
	cr_assert_eq(note(&fs, "authentication: server said NO", 8, 6 * MIN),
	             LOG_LEVEL_INFO);
	cr_assert_str_eq(msg,
	                 "still failing since 09:17 (2 attempts): "
	                 "authentication: server said NO; retrying in 8 s");

	failstreak_reset(&fs);
	cr_assert_eq(note(&fs, "authentication: server said NO", 1, 7 * MIN),
	             LOG_LEVEL_WARNING);
	cr_assert_str_eq(msg,
	                 "authentication: server said NO; retrying in 1 s");
}

/* explore16: the connect error names the address tried, which a rotating
 * DNS name changes at every attempt: one streak all the same. */
Test(failstreak, what_varies_within_a_kind_is_one_streak)
{
	struct failstreak fs = {0};

	note(&fs, "connect: mail.example.org (192.0.2.1): refused", 1, 0);
	cr_assert_eq(note(&fs, "connect: mail.example.org (192.0.2.2): refused",
	                  2, 5 * MIN),
	             LOG_LEVEL_INFO);
	cr_assert(strstr(msg, "(2 attempts): connect: mail.example.org "
	                      "(192.0.2.2)"),
	          "%s", msg);
	cr_assert_eq(note(&fs, "connection: closed", 4, 6 * MIN),
	             LOG_LEVEL_WARNING);
	cr_assert_eq(note(&fs, "connect", 4, 7 * MIN), LOG_LEVEL_WARNING);
	cr_assert_eq(note(&fs, "connect: again", 4, 8 * MIN), LOG_LEVEL_INFO);
}

/* An error as long as the worker's (sync.err) still compares, and the
 * message is cut to the room given, a string all the same. */
Test(failstreak, long_texts)
{
	struct failstreak fs = {0};
	char big[FAILSTREAK_TEXT_MAX + 100], small[16];

	memset(big, 'e', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	cr_assert_eq(note(&fs, big, 1, 0), LOG_LEVEL_WARNING);
	cr_assert_eq(note(&fs, big, 1, 1000), LOG_LEVEL_INFO);
	cr_assert_eq(strlen(msg), sizeof(msg) - 1);
	cr_assert_eq(
	        failstreak_note(&fs, small, sizeof(small), big, 1, 2000, T0),
	        LOG_LEVEL_INFO);
	cr_assert_eq(strlen(small), sizeof(small) - 1);
}

/* The end of a streak is told at the default level: a log whose last word
 * on an account was its failure read as if it still failed. */
Test(failstreak, its_end_is_told)
{
	struct failstreak fs = {0};
	cr_assert_eq(failstreak_recovery(&fs, msg, sizeof(msg), T0), 0);
	cr_assert_str_eq(msg, "");
	note(&fs, REFUSED, 1, 0);
	note(&fs, REFUSED, 2, MIN);
	note(&fs, REFUSED, 4, 2 * MIN);
	cr_assert_eq(failstreak_recovery(&fs, msg, sizeof(msg), T0 + 600),
	             LOG_LEVEL_NOTICE);
	cr_assert_str_eq(msg,
	                 "mirroring again after 3 failed attempts since 09:12");
	/* The streak stays until the caller resets it, and its end is told
	 * once: a failure at info level is not told to have ended. */
	cr_assert_eq(note(&fs, REFUSED, 8, 3 * MIN), LOG_LEVEL_INFO);
	cr_assert_eq(failstreak_recovery(&fs, msg, sizeof(msg), T0 + 650), 0);
	cr_assert_str_eq(msg, "");
	failstreak_reset(&fs);
	cr_assert_eq(failstreak_recovery(&fs, msg, sizeof(msg), T0 + 700), 0);
	note(&fs, REFUSED, 1, 10 * MIN);
	cr_assert_eq(failstreak_recovery(&fs, msg, sizeof(msg), T0 + 86400),
	             LOG_LEVEL_NOTICE);
	cr_assert_str_eq(msg, "mirroring again after 1 failed attempt since "
	                      "2026-11-03 09:22");
}

/* A failure that is a warning again after a recovery was told (another
 * kind of failure, or the hourly reminder) gets its own recovery line:
 * a second disk full, told as a warning, had none (explore59). */
Test(failstreak, a_warning_after_a_recovery_is_told_to_end_too)
{
	struct failstreak fs = {0};
	note(&fs, REFUSED, 1, 0);
	cr_assert_eq(failstreak_recovery(&fs, msg, sizeof(msg), T0 + 60),
	             LOG_LEVEL_NOTICE);
	cr_assert_eq(note(&fs, "cache: database or disk is full", 1, MIN),
	             LOG_LEVEL_WARNING);
	cr_assert_eq(failstreak_recovery(&fs, msg, sizeof(msg), T0 + 120),
	             LOG_LEVEL_NOTICE);
	cr_assert_str_eq(msg,
	                 "mirroring again after 1 failed attempt since 09:13");
	cr_assert_eq(note(&fs, "cache: database or disk is full", 2, 2 * MIN),
	             LOG_LEVEL_INFO);
	cr_assert_eq(failstreak_recovery(&fs, msg, sizeof(msg), T0 + 180), 0);
	/* An hour on, the same failure is a warning once more. */
	cr_assert_eq(note(&fs, "cache: database or disk is full", 4, 62 * MIN),
	             LOG_LEVEL_WARNING);
	cr_assert_eq(failstreak_recovery(&fs, msg, sizeof(msg), T0 + 3800),
	             LOG_LEVEL_NOTICE);
}
