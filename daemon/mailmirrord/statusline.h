/* statusline.h - the daemon's STATUS= line (systemctl status): every
 * account's state while they fit, else a summary that does.
 *
 * sd_notify's STATUS is cut at NOTIFY_STATUS_MAX bytes: with 41 accounts
 * the line listed some 15, and an account that failed, listed last, never
 * showed (explore80). The summary counts the accounts by state and names
 * the failing ones first: "41 accounts: 1 failing (acct-bad), 39 idle,
 * 1 syncing (acct-u01 INBOX 4500/100000, mailbox 1 of 3292)".
 */
#ifndef MAILMIRRORD_STATUSLINE_H
#define MAILMIRRORD_STATUSLINE_H

#include "mailmirrord/account.h"

#include <stddef.h>
#include <stdint.h>

/* What systemd keeps of a STATUS line (notify.c cuts it there). */
#define STATUSLINE_MAX 256

/* One account: its name and its state (acct_status_get), said in the
 * words of acct_status_text. Borrowed. */
struct statusline_acct {
	const char *name;
	const struct acct_status *st;
};

/* The line for the n accounts of v, and to_index messages waiting for
 * the indexer (0: not said), into buf (STATUSLINE_MAX + 1 bytes or more;
 * the line fits STATUSLINE_MAX). */
void statusline_make(char *buf, size_t len, const struct statusline_acct *v,
                     size_t n, uint64_t to_index);

#endif
