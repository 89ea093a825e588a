/* hook.h - the on_new_mail command.
 *
 * For each message that arrives while a mailbox is watched, the account's
 * on_new_mail command runs through /bin/sh with the message's fields in its
 * environment (MM_ACCOUNT, MM_MAILBOX, MM_UID, MM_FROM, MM_SUBJECT,
 * MM_DATE, MM_MESSAGE_ID). The fields are server text: they are passed only
 * as environment values, never spliced into the command line, and control
 * characters are replaced first (a subject cannot inject a shell command or
 * a terminal escape).
 *
 * The command runs detached: it never delays the sync and is not waited
 * for; a helper shell started with posix_spawn backgrounds it and exits at
 * once, so no zombie is left and no fork() runs in our threaded process.
 * The backgrounded shell waits for the command and, when it fails, writes
 * one warning line to our log fd in the log's own form (log_head): nobody
 * else ever sees that exit status.
 *
 * A burst of mail starts a bounded number of commands. Runs come from a
 * budget of the whole process: HOOK_RUNS_PER_BATCH at most, refilled at
 * HOOK_RUNS_PER_SECOND. The messages of one batch (those that arrive
 * together) get a run each when the budget covers them; otherwise all but
 * the last run it gives are of one message, and that last run stands for
 * the rest, for the last of them, with MM_COUNT saying how many messages
 * (1 in every other run). An empty budget still gives a batch that run. A mailing list's
 * burst of 300 messages used to start 300 shells at once, and 150 messages
 * arriving 20 ms apart kept 71 running.
 */
#ifndef MAILMIRRORD_HOOK_H
#define MAILMIRRORD_HOOK_H

#include "mailmirrord/config.h"
#include "mailmirrord/store.h"

#define HOOK_RUNS_PER_BATCH  10
#define HOOK_RUNS_PER_SECOND 1

/* Starts acct->on_new_mail for the n messages of rows, which arrived
 * together in mailbox (a no-op when no command is configured). Failures
 * are logged, never returned: a broken notifier must not stop the
 * mirror. */
void hook_new_mail(const struct conf_account *acct, const char *mailbox,
                   const struct store_msg *const *rows, size_t n);

#endif
