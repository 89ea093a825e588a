/* when.c - local time for people, by the C library (when.h). */
#include "mailmirror/when.h"

#include <stdio.h>
#include <time.h>

size_t when_local(char *buf, size_t len, int64_t t, int seconds)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (len > 0)
		buf[0] = '\0';
	if ((int64_t)tt != t || localtime_r(&tt, &tm) == NULL)
		return 0;
	/* tm_year + 1900 overflows an int for the last years time_t holds. */
	long long year = (long long)tm.tm_year + 1900;
	int n = seconds ? snprintf(buf, len, "%04lld-%02d-%02d %02d:%02d:%02d",
	                           year, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	                           tm.tm_min, tm.tm_sec)
	                : snprintf(buf, len, "%04lld-%02d-%02d %02d:%02d", year,
	                           tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	                           tm.tm_min);
	if (n < 0 || (size_t)n >= len) {
		if (len > 0)
			buf[0] = '\0';
		return 0;
	}
	return (size_t)n;
}

static void local_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	char buf[64];
	int seconds = *(const int *)sqlite3_user_data(ctx);

	(void)argc;
	if (sqlite3_value_type(argv[0]) != SQLITE_INTEGER)
		return; /* NULL, as strftime() gave for no time */
	size_t n = when_local(buf, sizeof(buf), sqlite3_value_int64(argv[0]),
	                      seconds);
	if (n > 0)
		sqlite3_result_text(ctx, buf, (int)n, SQLITE_TRANSIENT);
}

int when_register(sqlite3 *db)
{
	static const int minute = 0, second = 1;
	/* Not SQLITE_DETERMINISTIC: the answer depends on TZ. */
	int rc = sqlite3_create_function(db, "local_minute", 1,
	                                 SQLITE_UTF8 | SQLITE_INNOCUOUS,
	                                 (void *)&minute, local_fn, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_create_function(
		        db, "local_second", 1, SQLITE_UTF8 | SQLITE_INNOCUOUS,
		        (void *)&second, local_fn, NULL, NULL);
	return rc;
}
