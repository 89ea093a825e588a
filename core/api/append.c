/* append.c - APPEND from memory or from a stream of pieces. */
#include "api/internal.h"
#include "proto/date.h"
#include "util/quote.h"

#include <string.h>

/* mailbox [flags] [date] before the message literal (RFC 3501 6.3.11).
 * The date is date_time when not NULL (a caller's RFC 3501 date-time, sent
 * as given once checked), else date in the local zone unless it is -1. */
static int append_start(imap4 *h, const char *mailbox, const char *flags,
                        time_t date, const char *date_time)
{
	char when[29];
	int rc = imap4_cmd_start(h, IMAP4_AUTHED, "APPEND");

	if (rc)
		return rc;
	if (date_time) {
		/* Checked before anything is sent: the server would answer
		 * BAD, or read a date of another form as something else. */
		if (imap4_date_time_quote(when, date_time)) {
			char shown[64];

			imap4_quote_start(shown, sizeof(shown), date_time,
			                  strlen(date_time));
			return imap4_fail(h, IMAP4_EINVAL,
			                  "APPEND: \"%s\" is no RFC 3501 "
			                  "date-time (\"dd-Mon-yyyy hh:mm:ss "
			                  "+zzzz\"): nothing was sent",
			                  shown);
		}
	} else if (date != (time_t)-1 &&
	           imap4_time2internaldate(when, date, imap4_local_tz(date))) {
		return imap4_fail(h, IMAP4_EINVAL,
		                  "APPEND: the date %lld is past the years "
		                  "0001 to 9999 of an RFC 3501 date-time: "
		                  "nothing was sent",
		                  (long long)date);
	}
	imap4_cmd_mailbox(&h->cmd, mailbox);
	if (flags && *flags) {
		/* A list left open ("(\\Seen") would take in the literal's
		 * header, two lists ("(\\Seen) (\\Draft)") make the second
		 * the date; either way Dovecot then waits, with no "+", for
		 * the rest of the command (explore37). */
		if (!imap4_is_flag_list(flags)) {
			char shown[64];

			imap4_quote_start(shown, sizeof(shown), flags,
			                  strlen(flags));
			return imap4_fail(
			        h, IMAP4_EINVAL,
			        "APPEND: \"%s\" is no list of flags "
			        "(\"(\\\\Seen $Label)\"): nothing was "
			        "sent",
			        shown);
		}
		/* imaplib adds the parentheses the caller left out. */
		if (flags[0] == '(') {
			imap4_cmd_raw(&h->cmd, flags);
		} else {
			imap4_cmd_open(&h->cmd);
			imap4_cmd_raw(&h->cmd, flags);
			imap4_cmd_close(&h->cmd);
		}
	}
	if (date_time || date != (time_t)-1)
		imap4_cmd_raw(&h->cmd, when);
	return 0;
}

/* The message with its line ends made CRLF (imap4_crlf_map), in pieces
 * through a buffer on the stack. */
static void put_crlf(struct imap4_cmd *c, const char *m, size_t len)
{
	char out[2 * 4096];
	bool cr = false;

	for (size_t i = 0; i < len; i += sizeof(out) / 2) {
		size_t n =
		        len - i < sizeof(out) / 2 ? len - i : sizeof(out) / 2;

		imap4_cmd_bytes(c, out, imap4_crlf_map(out, m + i, n, &cr));
	}
}

static int append_mem(imap4 *h, const char *mailbox, const char *flags,
                      time_t date, const char *date_time, const void *message,
                      size_t len)
{
	static const char *const expect[] = {NULL};
	struct imap4_run run = {.expect = expect};
	int rc;

	rc = append_start(h, mailbox, flags, date, date_time);
	if (rc)
		return rc;
	if (message == NULL && len > 0)
		return imap4_fail(h, IMAP4_EINVAL, "APPEND: no message");
	imap4_cmd_literal_header(&h->cmd,
	                         len ? imap4_crlf_size(message, len) : 0);
	if (len)
		put_crlf(&h->cmd, message, len);
	return imap4_run(h, &run);
}

int imap4_append(imap4 *h, const char *mailbox, const char *flags, time_t date,
                 const void *message, size_t len)
{
	return append_mem(h, mailbox, flags, date, NULL, message, len);
}

int imap4_append_internaldate(imap4 *h, const char *mailbox, const char *flags,
                              const char *date_time, const void *message,
                              size_t len)
{
	return append_mem(h, mailbox, flags, (time_t)-1, date_time, message,
	                  len);
}

static int append_stream(imap4 *h, const char *mailbox, const char *flags,
                         time_t date, const char *date_time, uint64_t size,
                         imap4_read_cb read_cb, void *payload)
{
	static const char *const expect[] = {NULL};
	struct imap4_run run = {.expect = expect,
	                        .body_cb = read_cb,
	                        .body_payload = payload,
	                        .body_size = size};
	int rc;

	rc = append_start(h, mailbox, flags, date, date_time);
	if (rc)
		return rc;
	if (read_cb == NULL)
		return imap4_fail(h, IMAP4_EINVAL, "APPEND: no message source");
	imap4_cmd_literal_header(&h->cmd, size);
	imap4_cmd_cut(&h->cmd);
	run.body_after = h->cmd.nsegs;
	return imap4_run(h, &run);
}

int imap4_append_stream(imap4 *h, const char *mailbox, const char *flags,
                        time_t date, uint64_t size, imap4_read_cb read_cb,
                        void *payload)
{
	return append_stream(h, mailbox, flags, date, NULL, size, read_cb,
	                     payload);
}

int imap4_append_stream_internaldate(imap4 *h, const char *mailbox,
                                     const char *flags, const char *date_time,
                                     uint64_t size, imap4_read_cb read_cb,
                                     void *payload)
{
	return append_stream(h, mailbox, flags, (time_t)-1, date_time, size,
	                     read_cb, payload);
}
