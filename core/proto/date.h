/* date.h - the library's own entry to the date-time parser (date.c). */
#ifndef IMAP4_PROTO_DATE_H
#define IMAP4_PROTO_DATE_H

#include <time.h>

/* A date-time value (RFC 3501 9) and nothing else, as a FETCH item holds
 * it: unlike imap4_internaldate2tuple, no text may lead or follow it.
 * 0, or IMAP4_EINVAL; *out and *tz_minutes (may be NULL) as there. */
int imap4_internaldate_value(time_t *out, int *tz_minutes, const char *s);

/* A date-time of a FETCH item (INTERNALDATE, SAVEDATE): the strict form
 * of imap4_internaldate_value first, else what real servers have sent
 * instead, read as an RFC 5322 date-time that must be the whole of s:
 * "Mon, 02 Jan 2023 10:00:05 +0000", "02-Jan-2023 10:00:05 GMT", and
 * without a zone "02-Jan-2023 10:00:05", taken as UTC. Impossible values
 * (31-Feb, hour 25, zone -9999 or +2400, an unknown zone name) are still
 * IMAP4_EINVAL. *out and *tz_minutes (may be NULL) as there. */
int imap4_fetch_date_value(time_t *out, int *tz_minutes, const char *s);

/* A date-time as a caller gives it for APPEND: RFC 3501's date-time, with
 * or without its quotes, and nothing else (the day as "dd" or " d", the
 * fields in their ranges, a leap second's :60 allowed), written into out
 * quoted ("\"01-Jan-2020 10:00:00 +0530\""), as given. 0, or IMAP4_EINVAL
 * (also for NULL s). */
int imap4_date_time_quote(char out[static 29], const char *s);

#endif
