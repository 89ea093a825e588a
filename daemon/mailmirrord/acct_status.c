/* acct_status.c - an account's state in words (account.h). */
#include "mailmirrord/account.h"

#include <stdio.h>
#include <string.h>

static void syncing_text(char *buf, size_t len, const struct acct_status *st)
{
	int n;
	if (!st->mailbox[0])
		n = snprintf(buf, len, "syncing");
	else if (st->total)
		n = snprintf(buf, len, "%s %u/%u", st->mailbox, st->done,
		             st->total);
	else
		n = snprintf(buf, len, "syncing %s", st->mailbox);
	/* Which of the account's mailboxes, and how many more: a first sync
	 * of thousands of small ones said "syncing" for hours. */
	if (st->box_n && n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, ", mailbox %zu of %zu",
		         st->box_k, st->box_n);
}

void acct_status_text(char *buf, size_t len, const struct acct_status *st)
{
	if (!len)
		return;
	switch (st->state) {
	case ACCT_STARTING:
		snprintf(buf, len, "starting");
		return;
	case ACCT_WAITING:
		snprintf(buf, len,
		         "waiting to connect (%u connections to %s being set "
		         "up)",
		         st->gate_n, st->host ? st->host : "the server");
		return;
	case ACCT_CONNECTING:
		snprintf(buf, len, "connecting");
		return;
	case ACCT_SYNCING:
		syncing_text(buf, len, st);
		return;
	case ACCT_POLLING:
		snprintf(buf, len, "polling");
		return;
	case ACCT_IDLE:
		snprintf(buf, len, "idle");
		return;
	case ACCT_RETRYING:
		snprintf(buf, len, "error, retry in %lld s", st->wait_s);
		return;
	case ACCT_DISK_FULL:
		snprintf(buf, len, "disk full, next look in %lld s",
		         st->wait_s);
		return;
	case ACCT_RECONNECTING:
		snprintf(buf, len,
		         "ended by the server, reconnecting in %lld s",
		         st->wait_s);
		return;
	}
	snprintf(buf, len, "?");
}
