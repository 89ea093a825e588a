/* when.h - times as people read them: local time, from Unix seconds.
 *
 * SQLite's own 'localtime' modifier takes the zone's offset of a year
 * near 2000 for any year outside 1970-2037 (its documentation says so),
 * and its strftime gives nothing past the year 9999: a message of 1969
 * showed an hour off in London, one dated 31 Dec 9999 -1200 showed no
 * date at all (explore42). These use the C library's localtime_r, as
 * --since's mktime does, so that what is shown and what is filtered
 * agree.
 */
#ifndef MAILMIRROR_WHEN_H
#define MAILMIRROR_WHEN_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

/* The local time of t as "YYYY-MM-DD HH:MM", with ":SS" when seconds is
 * set, into buf; the year as long as it takes. Returns the length, or 0
 * when the C library cannot represent t (buf is then ""). */
size_t when_local(char *buf, size_t len, int64_t t, int seconds);

/* Registers local_minute(t) and local_second(t) on db: when_local of an
 * integer t, NULL for anything else. SQLITE_OK or SQLite's error. */
int when_register(sqlite3 *db);

#endif
