/* date.h - the library's own entry to the date-time parser (date.c). */
#ifndef IMAP4_PROTO_DATE_H
#define IMAP4_PROTO_DATE_H

#include <time.h>

/* A date-time value (RFC 3501 9) and nothing else, as a FETCH item holds
 * it: unlike imap4_internaldate2tuple, no text may lead or follow it.
 * 0, or IMAP4_EINVAL; *out and *tz_minutes (may be NULL) as there. */
int imap4_internaldate_value(time_t *out, int *tz_minutes, const char *s);

#endif
