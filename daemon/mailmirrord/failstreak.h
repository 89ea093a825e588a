/* failstreak.h - how an account's repeated failure is logged.
 *
 * A failing account retries with back-off, at most every five minutes or
 * so, and each attempt that fails again used to log the same warning: some
 * 300 a day per account in "journalctl -p warning". A streak is the run of
 * failures with one error text since the last success. Its first failure
 * is a warning in the words it always had:
 *
 *	connect to mail.example.org:993: Connection refused; retrying in 1 s
 *
 * and each next one says how long it has lasted,
 *
 *	still failing since 09:12 (14 attempts): connect to ...; retrying
 *	in 290 s
 *
 * as a warning once every FAILSTREAK_WARN_MS, at info level in between. A
 * different kind of error (its text up to the first colon: "connect",
 * which a login left unanswered is too, "authentication" for the
 * server's refusals) starts a new streak, a warning again; the rest of the
 * text may vary (a rotating address, a server's timestamp).
 *
 * Sans-I/O: the caller passes the clocks and logs what it is given, so
 * the decision is tested without a worker or a clock. Nothing is
 * allocated; one struct per worker thread, not shared.
 */
#ifndef MAILMIRRORD_FAILSTREAK_H
#define MAILMIRRORD_FAILSTREAK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* How often a streak is a warning again. */
#define FAILSTREAK_WARN_MS ((int64_t)3600 * 1000)
/* The error text kept to compare with the next (longer texts compare by
 * their start). */
#define FAILSTREAK_TEXT_MAX 512
/* Room for a message built from an error of FAILSTREAK_TEXT_MAX. */
#define FAILSTREAK_MSG_MAX (FAILSTREAK_TEXT_MAX + 128)

/* The length of why without one closing full stop: a server's sentence
 * ("Authentication failed.") goes on with "; retrying", which reads
 * badly after a stop. An ellipsis is kept whole. */
int failstreak_sentence_len(const char *why);

/* All zero (or failstreak_reset) is no streak. */
struct failstreak {
	char why[FAILSTREAK_TEXT_MAX]; /* the streak's error text */
	unsigned attempts;             /* failures in it; 0: no streak */
	time_t since;                  /* wall clock of its first failure */
	int64_t warned_ms;             /* monotonic ms of its last warning */
	bool recovery_told;            /* since the last warning */
};

/* A success: the next failure starts a streak. */
void failstreak_reset(struct failstreak *fs);

/* A success after a streak: writes into msg the line that says so
 * ("mirroring again after 14 failed attempts since 09:12"), for a log
 * whose last word on the account was its failure; returns its level,
 * LOG_LEVEL_NOTICE, or 0 (msg empty) when there is no streak or it was
 * told since the streak's last warning. The streak stays: whether the
 * success lasts is the caller's to judge (then failstreak_reset). A
 * flapping account thus says it once, and a failure that is a warning
 * again (another kind, or an hour later) gets its own line of recovery. */
int failstreak_recovery(struct failstreak *fs, char *msg, size_t msgsz,
                        time_t now);

/* One more failure, whose text is why, retried in retry_s seconds; now_ms
 * is a monotonic clock in ms (suspends may count or not), now the wall
 * clock: the streak's start is shown as local "HH:MM", with the date
 * ("YYYY-MM-DD HH:MM") when that was another day. Writes the line to log into
 * msg (msgsz bytes, cut to fit, always a string when msgsz > 0) and returns its
 * level: LOG_LEVEL_WARNING or LOG_LEVEL_INFO (log.h). */
int failstreak_note(struct failstreak *fs, char *msg, size_t msgsz,
                    const char *why, unsigned retry_s, int64_t now_ms,
                    time_t now);

#endif
