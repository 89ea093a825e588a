/* failstreak.c - an account's repeated failure, once an hour as a
 * warning; see failstreak.h. */
#include "mailmirrord/failstreak.h"

#include "mailmirrord/log.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

void failstreak_reset(struct failstreak *fs)
{
	*fs = (struct failstreak){0};
}

/* Whether why is the streak's kind of failure: the same text up to its
 * first colon ("connect", "authentication", "cache"), so that what varies
 * from one attempt to the next (the address a rotating DNS name gave, a
 * server's timestamp) does not make each one a new streak. */
static size_t kind_len(const char *text, size_t max)
{
	size_t n = strcspn(text, ":");
	return n < max ? n : max;
}

static bool same_text(const struct failstreak *fs, const char *why)
{
	size_t max = sizeof(fs->why) - 1, kind = kind_len(why, max);
	return kind_len(fs->why, max) == kind &&
	       strncmp(fs->why, why, kind) == 0;
}

/* "09:12", local time; "2026-11-03 09:12" when that was another day
 * than now, since a streak may outlast one. */
static void format_since(char *dst, size_t dstsz, time_t since, time_t now)
{
	struct tm t, n;

	if (localtime_r(&since, &t) == NULL || localtime_r(&now, &n) == NULL)
		snprintf(dst, dstsz, "?");
	else if (t.tm_year == n.tm_year && t.tm_yday == n.tm_yday)
		strftime(dst, dstsz, "%H:%M", &t);
	else
		strftime(dst, dstsz, "%Y-%m-%d %H:%M", &t);
}

int failstreak_recovery(struct failstreak *fs, char *msg, size_t msgsz,
                        time_t now)
{
	unsigned n = fs->attempts;
	char since[32];
	if (msgsz)
		msg[0] = '\0';
	if (!n || fs->recovery_told)
		return 0;
	fs->recovery_told = true;
	format_since(since, sizeof(since), fs->since, now);
	snprintf(msg, msgsz,
	         "mirroring again after %u failed attempt%s since %s", n,
	         n == 1 ? "" : "s", since);
	return LOG_LEVEL_NOTICE;
}

int failstreak_sentence_len(const char *why)
{
	size_t n = strlen(why);
	if (n > 0 && why[n - 1] == '.' && (n < 2 || why[n - 2] != '.'))
		n--;
	return n > INT_MAX ? INT_MAX : (int)n;
}

int failstreak_note(struct failstreak *fs, char *msg, size_t msgsz,
                    const char *why, unsigned retry_s, int64_t now_ms,
                    time_t now)
{
	char when[32];

	if (why == NULL)
		why = "";
	if (fs->attempts == 0 || !same_text(fs, why)) {
		snprintf(fs->why, sizeof(fs->why), "%s", why);
		fs->attempts = 1;
		fs->since = now;
		fs->warned_ms = now_ms;
		fs->recovery_told = false;
		if (msgsz > 0)
			snprintf(msg, msgsz, "%.*s; retrying in %u s",
			         failstreak_sentence_len(why), why, retry_s);
		return LOG_LEVEL_WARNING;
	}

	fs->attempts++;
	int level = LOG_LEVEL_INFO;
	if (now_ms - fs->warned_ms >= FAILSTREAK_WARN_MS) {
		level = LOG_LEVEL_WARNING;
		fs->warned_ms = now_ms;
		fs->recovery_told = false;
	}
	format_since(when, sizeof(when), fs->since, now);
	if (msgsz > 0)
		snprintf(msg, msgsz,
		         "still failing since %s (%u attempts): %.*s; "
		         "retrying in %u s",
		         when, fs->attempts, failstreak_sentence_len(why), why,
		         retry_s);
	return level;
}
