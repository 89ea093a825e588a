/* hook.h - the on_new_mail command.
 *
 * For each message that arrives while the daemon runs, in a mailbox that
 * on_new_mail_mailboxes names (every mirrored one by default; the caller
 * checks, plan_hook_wanted), unread (one
 * that arrives \Seen, mail the user sent or moved in, is no new mail), the
 * account's on_new_mail command runs through /bin/sh with the message's
 * fields in its environment (MM_ACCOUNT, MM_MAILBOX, MM_UID, MM_FROM,
 * MM_SUBJECT, MM_DATE, MM_MESSAGE_ID, MM_FLAGS). The fields are server
 * text: they are passed only as environment values, never spliced into the
 * command line, and control characters are replaced first (a subject
 * cannot inject a shell command or a terminal escape).
 *
 * The command never delays the sync: a helper shell started with
 * posix_spawn (no fork() in our threaded process) runs it, waits for it
 * and, when it fails, writes one warning line to our log fd in the log's
 * own form (log_head): nobody else ever sees that exit status. Each run
 * is a process group the shell leads, which the daemon keeps until all of
 * it has ended (what the command left in the background too),
 * HOOK_RUNNING_MAX at most: while that many run, mail starts none (said
 * once until one ends) but waits, a count and the last message a mailbox,
 * and as slots free (at a start or hook_tend()) one run for each mailbox,
 * oldest first, stands for what waited there, MM_COUNT saying how many;
 * the daemon's stop forgets what waits. A run still going after HOOK_TIMEOUT_MS
 * is stopped, its whole group. A hook hung on a dead D-Bus used to leave one
 * process more for each message that came (explore64: 52 in 30 s). They are
 * reaped as runs start and at every hook_tend(). A SIGHUP reload leaves the
 * runs under way to finish; the daemon's stop ends them (hook_stop_begin,
 * hook_stop_end), since outside systemd, whose cgroup would, nothing else does.
 *
 * A burst of mail starts a bounded number of commands. Runs come from a
 * budget of the whole process: HOOK_RUNS_PER_BATCH at most, refilled at
 * HOOK_RUNS_PER_SECOND. The messages of one batch (those that arrive
 * together) get a run each when the budget covers them; otherwise all but
 * the last run it gives are of one message, and that last run stands for
 * the rest, for the last of them, with MM_COUNT saying how many messages
 * (1 in every other run). An empty budget still gives a batch that run. A
 * mailing list's burst of 300 messages used to start 300 shells at once, and
 * 150 messages arriving 20 ms apart kept 71 running.
 */
#ifndef MAILMIRRORD_HOOK_H
#define MAILMIRRORD_HOOK_H

#include "mailmirrord/config.h"
#include "mailmirrord/store.h"

#define HOOK_RUNS_PER_BATCH  10
#define HOOK_RUNS_PER_SECOND 1
#define HOOK_RUNNING_MAX     HOOK_RUNS_PER_BATCH
#define HOOK_TIMEOUT_MS      ((int64_t)300 * 1000)
#define HOOK_KILL_GRACE_MS   ((int64_t)10 * 1000)
/* A run this old is no longer part of a burst: told as a warning. */
#define HOOK_SLOW_MS ((int64_t)10 * 1000)
/* At the daemon's stop, a run's grace between SIGTERM and SIGKILL, and
 * the wait after SIGKILL for the processes to go: within the stop's 2 s
 * together with the workers' (main.c), the grace running meanwhile. */
#define HOOK_STOP_GRACE_MS ((int64_t)500)
#define HOOK_REAP_MS       ((int64_t)100)

/* Starts acct->on_new_mail for the n messages of rows, which arrived
 * together in mailbox (a no-op when no command is configured). Failures
 * are logged, never returned: a broken notifier must not stop the
 * mirror. */
void hook_new_mail(const struct conf_account *acct, const char *mailbox,
                   const struct store_msg *const *rows, size_t n);

/* Reaps the runs that ended and stops those that ran too long; the
 * supervisor calls it at every tick. Thread-safe. */
void hook_tend(void);

/* The daemon stops: from now on mail starts no run, and each run under
 * way gets SIGTERM, its whole process group (what the command left in the
 * background too), said at info level. Returns at once, so that the
 * grace runs while the workers stop. Thread-safe; again, it only tells
 * the runs not told yet. */
void hook_stop_begin(void);

/* Then: waits for the runs to end until HOOK_STOP_GRACE_MS after the first
 * hook_stop_begin() (called first if it was not), SIGKILLs the groups
 * still there (said at info level) and waits HOOK_REAP_MS at most for them
 * to go, the helper shells reaped. On the supervisor's thread, once the
 * workers have stopped or been given up on. */
void hook_stop_end(void);

#endif
