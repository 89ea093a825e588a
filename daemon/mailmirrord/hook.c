/* hook.c - the on_new_mail command; see hook.h. */
#include "mailmirrord/hook.h"

#include "mailmirrord/childenv.h"
#include "mailmirrord/log.h"
#include "mailmirrord/monotime.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HOOK_FIELD_MAX 1024

/* Run by /bin/sh -c with MM_HOOK and MM_LOG_HEAD in the environment; the
 * command sees neither MM_LOG_HEAD nor our stderr. */
static const char HOOK_SCRIPT[] =
        "h=$MM_LOG_HEAD; unset MM_LOG_HEAD\n"
        "{ /bin/sh -c \"$MM_HOOK\" </dev/null >/dev/null 2>&1; s=$?\n"
        "[ \"$s\" = 0 ] || [ -z \"$h\" ] || case $s in\n"
        "126) printf '%son_new_mail: the command cannot run "
        "(exit status 126)\\n' \"$h\" >&2 ;;\n"
        "127) printf '%son_new_mail: command not found "
        "(exit status 127)\\n' \"$h\" >&2 ;;\n"
        "*) if [ \"$s\" -gt 128 ]; then\n"
        "printf '%son_new_mail: the command was killed by signal %d\\n' "
        "\"$h\" $((s - 128)) >&2; else\n"
        "printf '%son_new_mail: the command failed with exit status %d\\n' "
        "\"$h\" \"$s\" >&2; fi ;;\n"
        "esac; } &\n";

/* "NAME=value" with value made printable and capped. */
static char *env_entry(const char *name, const char *value)
{
	char clean[HOOK_FIELD_MAX];
	const char *v = value ? value : "";
	log_sanitize(clean, sizeof(clean), v, strlen(v));
	char *e = NULL;
	if (asprintf(&e, "%s=%s", name, clean) < 0)
		return NULL;
	return e;
}

/* One run of the command, for row, standing for count messages. */
static void run_hook(const struct conf_account *acct, const char *mailbox,
                     const struct store_msg *row, size_t count)
{
	char uid[16], date[32], n[24];
	snprintf(n, sizeof(n), "%zu", count);
	snprintf(uid, sizeof(uid), "%" PRIu32, row->uid);
	if (row->date != STORE_NO_TIME)
		snprintf(date, sizeof(date), "%" PRId64, row->date);
	else
		date[0] = '\0';
	char head[LOG_LINE_MAX / 2];
	log_head(head, sizeof(head), LOG_LEVEL_WARNING, acct->name, mailbox);
	const char *names[] = {"MM_HOOK",    "MM_LOG_HEAD", "MM_ACCOUNT",
	                       "MM_MAILBOX", "MM_UID",      "MM_FROM",
	                       "MM_SUBJECT", "MM_DATE",     "MM_MESSAGE_ID",
	                       "MM_COUNT"};
	const char *values[] = {acct->on_new_mail, head,        acct->name,
	                        mailbox,           uid,         row->from,
	                        row->subject,      date,        row->message_id,
	                        n};
	enum { NFIELDS = sizeof(names) / sizeof(names[0]) };

	char **env = NULL;
	char *own[NFIELDS] = {0};
	for (size_t i = 0; i < NFIELDS; i++) {
		/* The command and the log line's head are ours (the head
		 * already sanitized), not server text: unchanged. */
		if (i < 2) {
			if (asprintf(&own[i], "%s=%s", names[i], values[i]) < 0)
				own[i] = NULL;
		} else {
			own[i] = env_entry(names[i], values[i]);
		}
		if (!own[i])
			goto fail;
	}
	if ((env = childenv_new(own, NFIELDS)) == NULL)
		goto fail;

	/* The helper shell backgrounds the hook and exits: we reap it at
	 * once, init adopts the hook. The background shell waits for the
	 * command and reports a failure on the log's fd, in the log's form
	 * (the head we made), since nobody else ever sees its exit status. */
	char *argv[] = {"/bin/sh", "-c", (char *)HOOK_SCRIPT, NULL};
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (log_fd_get() != 2)
		posix_spawn_file_actions_adddup2(&fa, log_fd_get(), 2);
	pid_t pid;
	int err = posix_spawn(&pid, "/bin/sh", &fa, NULL, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	if (err) {
		log_warning(acct->name, mailbox,
		            "on_new_mail: cannot start: %s", strerror(err));
	} else {
		int status;
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	for (size_t i = 0; i < NFIELDS; i++)
		free(own[i]);
	free(env);
	return;
fail:
	log_warning(acct->name, mailbox, "on_new_mail: out of memory");
	for (size_t i = 0; i < NFIELDS; i++)
		free(own[i]);
	free(env);
}

/* The budget of runs of one message, for the whole process: every
 * account's commands are processes of the same user. */
static pthread_mutex_t budget_lock = PTHREAD_MUTEX_INITIALIZER;
static double budget = HOOK_RUNS_PER_BATCH;
static int64_t budget_at_ms;

/* Takes up to n runs from the budget; how many it got. */
static size_t take_runs(size_t n)
{
	pthread_mutex_lock(&budget_lock);
	int64_t now = mono_ms();
	if (budget_at_ms)
		budget += (double)(now - budget_at_ms) / 1000.0 *
		          HOOK_RUNS_PER_SECOND;
	if (budget > HOOK_RUNS_PER_BATCH)
		budget = HOOK_RUNS_PER_BATCH;
	budget_at_ms = now;
	size_t got = budget < (double)n ? (size_t)budget : n;
	budget -= (double)got;
	pthread_mutex_unlock(&budget_lock);
	return got;
}

void hook_new_mail(const struct conf_account *acct, const char *mailbox,
                   const struct store_msg *const *rows, size_t n)
{
	if (!acct->on_new_mail || n == 0)
		return;
	size_t got = take_runs(n);
	/* Short of a run each, the last run stands for the rest. */
	size_t each = got == n ? n : got > 0 ? got - 1 : 0;
	for (size_t i = 0; i < each; i++)
		run_hook(acct, mailbox, rows[i], 1);
	if (each < n)
		run_hook(acct, mailbox, rows[n - 1], n - each);
}
