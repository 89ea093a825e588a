/* hook.c - the on_new_mail command; see hook.h. */
#include "mailmirrord/hook.h"

#include "mailmirrord/child.h"
#include "mailmirrord/log.h"
#include "mailmirrord/monotime.h"
#include "util/procgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HOOK_FIELD_MAX 1024

/* Run by /bin/sh -c with MM_HOOK, MM_LOG_HEAD and MM_LOG_TIME in the
 * environment; the command sees neither MM_LOG_HEAD nor our stderr. The
 * shell waits for the command and reports a failure on the log's fd, in
 * the log's form (the head we made, after the time of the failure when
 * the log is timed: log_timed), one printf, so one write: we only reap
 * the shell. The time is GNU date's; any other output (a date without
 * %N) is left out rather than put in the log. */
static const char HOOK_SCRIPT[] =
        "h=$MM_LOG_HEAD; t=$MM_LOG_TIME; unset MM_LOG_HEAD MM_LOG_TIME\n"
        "say() {\n"
        "[ -z \"$t\" ] || { d=$(date +%Y-%m-%dT%H:%M:%S.%3N%:z 2>/dev/null)\n"
        "case $d in [0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:"
        "[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9][+-][0-9][0-9]:[0-9][0-9])\n"
        "h=\"$d $h\" ;; esac; }\n"
        "printf '%s%s\\n' \"$h\" \"$1\" >&2; }\n"
        "{ /bin/sh -c \"$MM_HOOK\" </dev/null >/dev/null 2>&1; s=$?\n"
        "[ \"$s\" = 0 ] || [ -z \"$h\" ] || case $s in\n"
        "126) say 'on_new_mail: the command cannot run (exit status 126)' ;;\n"
        "127) say 'on_new_mail: command not found (exit status 127)' ;;\n"
        "*) if [ \"$s\" -gt 128 ]; then\n"
        "say \"on_new_mail: the command was killed by signal $((s - 128))\"\n"
        "else say \"on_new_mail: the command failed with exit status $s\"; "
        "fi ;;\n"
        "esac; }\n";

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

/* ---- the runs under way, for the whole process */

/* A run is its process group: the helper shell leads it, and what the
 * command leaves behind ("notify-send ... &", a child that ignores
 * SIGTERM) stays in it once the shell is reaped, counted and stopped
 * with it (explore67). A group's number is not given to a new process
 * while the group has members. */
struct run {
	pid_t pid;   /* the helper shell: the group's number */
	bool reaped; /* the shell was; its group may live on */
	bool ending; /* told to end by the daemon's stop */
	int64_t started_ms, stopped_ms;
	char *account, *mailbox; /* for the log */
};

static pthread_mutex_t running_lock = PTHREAD_MUTEX_INITIALIZER;
/* Held by a thread that starts runs, from counting the free slots to the
 * last start: two accounts' bursts cannot overfill the table. */
static pthread_mutex_t start_lock = PTHREAD_MUTEX_INITIALIZER;
static struct run running[HOOK_RUNNING_MAX];
static size_t n_running;
static bool told_full;
/* The daemon stops (hook_stop_begin): no run starts. Set with start_lock
 * held, so that no start is half done; read with it held. */
static bool stopping;
static int64_t stopping_ms;

/* ---- new mail that found every slot busy. A resync after an outage or
 * a SIGCONT goes mailbox after mailbox: the first mailboxes' runs filled
 * the slots, and the unread mail of the others started nothing at all,
 * not even a run standing for it (explore78). Such mail now waits, a
 * count and the last message of each mailbox (not a queue of them all),
 * and when a slot frees one run stands for what waited there: the burst
 * rule, across the whole resync. Under start_lock, oldest first. */
struct waiting {
	struct waiting *next;
	char *account, *command, *mailbox;
	char *from, *subject, *message_id, *flags; /* of the last message */
	uint32_t uid;
	int64_t date, internaldate;
	size_t count;
};

static struct waiting *waiting_head;

static void waiting_free(struct waiting *w)
{
	free(w->account);
	free(w->command);
	free(w->mailbox);
	free(w->from);
	free(w->subject);
	free(w->message_id);
	free(w->flags);
	free(w);
}

static void run_forget(size_t i)
{
	free(running[i].account);
	free(running[i].mailbox);
	running[i] = running[--n_running];
	told_full = false;
}

/* Test switch: MAILMIRROR_HOOK_TIMEOUT_MS=N in the environment stops runs
 * after N ms instead of HOOK_TIMEOUT_MS, so that a test of it need not
 * wait five minutes. Called with running_lock held. */
static int64_t timeout_ms(void)
{
	static int64_t ms = -1;
	if (ms < 0) {
		const char *e = getenv("MAILMIRROR_HOOK_TIMEOUT_MS");
		long long v = e && *e ? strtoll(e, NULL, 10) : 0;
		ms = v > 0 ? (int64_t)v : HOOK_TIMEOUT_MS;
	}
	return ms;
}

/* Whether a process of the group pgid is alive, zombies aside
 * (imap4_procgroup_runs): a zombie left to an init that never reaps held
 * the run's slot, and a stop waited out its grace for it. */
static bool group_alive(pid_t pgid)
{
	if (kill(-pgid, 0) < 0 && errno == ESRCH)
		return false;
	return imap4_procgroup_runs(pgid);
}

/* Whether the run has ended: its shell reaped and nothing of its group
 * alive. */
static bool run_ended(struct run *r)
{
	int status;
	if (!r->reaped) {
		pid_t got = waitpid(r->pid, &status, WNOHANG);
		r->reaped = got == r->pid || (got < 0 && errno == ECHILD);
	}
	return r->reaped && !group_alive(r->pid);
}

/* Reaps the runs that ended, and stops those past their time: the group
 * gets SIGTERM, then SIGKILL HOOK_KILL_GRACE_MS later. Called with
 * running_lock held. */
static void tend_locked(int64_t now)
{
	int64_t limit = timeout_ms();
	for (size_t i = 0; i < n_running;) {
		struct run *r = &running[i];
		if (run_ended(r)) {
			run_forget(i);
			continue;
		}
		if (!r->stopped_ms && now - r->started_ms >= limit) {
			log_warning(r->account, r->mailbox,
			            "on_new_mail: the command still runs after "
			            "%" PRId64 " s: stopping it",
			            limit / 1000);
			kill(-r->pid, SIGTERM);
			r->stopped_ms = now;
		} else if (r->stopped_ms &&
		           now - r->stopped_ms >= HOOK_KILL_GRACE_MS) {
			kill(-r->pid, SIGKILL);
		}
		i++;
	}
}

static size_t waiting_start(size_t slots);

void hook_tend(void)
{
	pthread_mutex_lock(&running_lock);
	if (n_running)
		tend_locked(mono_ms());
	pthread_mutex_unlock(&running_lock);

	/* start_lock before running_lock, as every starter takes them. */
	pthread_mutex_lock(&start_lock);
	if (waiting_head && !stopping) {
		pthread_mutex_lock(&running_lock);
		size_t slots = HOOK_RUNNING_MAX - n_running;
		pthread_mutex_unlock(&running_lock);
		waiting_start(slots);
	}
	pthread_mutex_unlock(&start_lock);
}

/* ---- the daemon's stop. Under systemd the service's cgroup is killed
 * after the daemon exits, runs included; a daemon run by hand (cron,
 * runit, nohup) has no such net, and a run left behind went on for as
 * long as its command liked (a notifier hung on a dead D-Bus: for good). */

void hook_stop_begin(void)
{
	pthread_mutex_lock(&start_lock);
	bool first = !stopping;
	stopping = true;
	/* Mail that waited for a slot gets no run now. */
	while (waiting_head) {
		struct waiting *w = waiting_head;
		waiting_head = w->next;
		waiting_free(w);
	}
	pthread_mutex_unlock(&start_lock);

	pthread_mutex_lock(&running_lock);
	int64_t now = mono_ms();
	if (first)
		stopping_ms = now;
	for (size_t i = 0; i < n_running;) {
		struct run *r = &running[i];
		if (run_ended(r)) {
			run_forget(i);
			continue;
		}
		if (!r->ending) {
			log_info(r->account, r->mailbox,
			         "on_new_mail: the command still runs after "
			         "%.1f s: stopping it with the daemon",
			         (double)(now - r->started_ms) / 1000.0);
			kill(-r->pid, SIGTERM);
			r->ending = true;
		}
		i++;
	}
	pthread_mutex_unlock(&running_lock);
}

/* Waits (with running_lock held) until every run has ended or until is
 * reached; whether they all ended. */
static bool wait_runs_locked(int64_t until)
{
	for (;;) {
		for (size_t i = 0; i < n_running;) {
			if (run_ended(&running[i]))
				run_forget(i);
			else
				i++;
		}
		if (n_running == 0 || mono_ms() >= until)
			return n_running == 0;
		/* Nothing to wait on for a group whose members are not our
		 * children: a short nap between looks. */
		struct timespec pause = {0, 5 * 1000000L};
		nanosleep(&pause, NULL);
	}
}

void hook_stop_end(void)
{
	hook_stop_begin(); /* a no-op but for runs not told yet */
	pthread_mutex_lock(&running_lock);
	if (!wait_runs_locked(stopping_ms + HOOK_STOP_GRACE_MS)) {
		for (size_t i = 0; i < n_running; i++) {
			struct run *r = &running[i];
			log_info(r->account, r->mailbox,
			         "on_new_mail: the command did not end within "
			         "%.1f s of SIGTERM: killed",
			         (double)HOOK_STOP_GRACE_MS / 1000.0);
			kill(-r->pid, SIGKILL);
		}
		/* SIGKILL cannot be caught: they go as soon as the kernel
		 * (and, for what the shell left behind, init) reaps them. */
		wait_runs_locked(mono_ms() + HOOK_REAP_MS);
	}
	pthread_mutex_unlock(&running_lock);
}

static void running_add(pid_t pid, const char *account, const char *mailbox)
{
	pthread_mutex_lock(&running_lock);
	struct run *r = &running[n_running++]; /* free_slots counted it */
	*r = (struct run){.pid = pid, .reaped = false, .started_ms = mono_ms()};
	r->account = strdup(account);
	r->mailbox = mailbox ? strdup(mailbox) : NULL;
	pthread_mutex_unlock(&running_lock);
}

/* How many runs may start: HOOK_RUNNING_MAX less those under way. When
 * none, says so once until one ends. Called with start_lock held, so that
 * no other thread starts one meanwhile. */
static size_t free_slots(const struct conf_account *acct, const char *mailbox,
                         size_t messages)
{
	pthread_mutex_lock(&running_lock);
	int64_t now = mono_ms();
	tend_locked(now);
	size_t free = HOOK_RUNNING_MAX - n_running;
	if (free == 0 && !told_full) {
		int64_t oldest = now;
		for (size_t i = 0; i < n_running; i++)
			if (running[i].started_ms < oldest)
				oldest = running[i].started_ms;
		/* Runs of the last burst that have not ended yet are no
		 * fault; runs that last are. */
		int level = now - oldest >= HOOK_SLOW_MS ? LOG_LEVEL_WARNING
		                                         : LOG_LEVEL_INFO;
		log_msg(level, acct->name, mailbox,
		        "on_new_mail: %d commands still run (the oldest "
		        "for %" PRId64 " s): %zu new message%s wait%s for "
		        "one to end, then one run stands for them",
		        HOOK_RUNNING_MAX, (now - oldest) / 1000, messages,
		        messages == 1 ? "" : "s", messages == 1 ? "s" : "");
		told_full = true;
	}
	pthread_mutex_unlock(&running_lock);
	return free;
}

/* One run of the command, for row, standing for count messages. */
static void run_hook(const struct conf_account *acct, const char *mailbox,
                     const struct store_msg *row, size_t count)
{
	char uid[16], date[32], n[24];
	snprintf(n, sizeof(n), "%zu", count);
	snprintf(uid, sizeof(uid), "%" PRIu32, row->uid);
	/* As mailmirror ls and show date a message: its Date header, else
	 * when it arrived (explore64). */
	int64_t when =
	        row->date != STORE_NO_TIME ? row->date : row->internaldate;
	if (when != STORE_NO_TIME)
		snprintf(date, sizeof(date), "%" PRId64, when);
	else
		date[0] = '\0';
	char head[LOG_LINE_MAX / 2];
	log_head(head, sizeof(head), LOG_LEVEL_WARNING, acct->name, mailbox);
	const char *names[] = {"MM_HOOK",       "MM_LOG_HEAD", "MM_LOG_TIME",
	                       "MM_ACCOUNT",    "MM_MAILBOX",  "MM_UID",
	                       "MM_FROM",       "MM_SUBJECT",  "MM_DATE",
	                       "MM_MESSAGE_ID", "MM_FLAGS",    "MM_COUNT"};
	const char *values[] = {
	        acct->on_new_mail, head,         log_timed() ? "1" : "",
	        acct->name,        mailbox,      uid,
	        row->from,         row->subject, date,
	        row->message_id,   row->flags,   n};
	enum { NFIELDS = sizeof(names) / sizeof(names[0]) };

	char **env = NULL;
	char *own[NFIELDS] = {0};
	for (size_t i = 0; i < NFIELDS; i++) {
		/* The command and how to log are ours (the head already
		 * sanitized), not server text: unchanged. */
		if (i < 3) {
			if (asprintf(&own[i], "%s=%s", names[i], values[i]) < 0)
				own[i] = NULL;
		} else {
			own[i] = env_entry(names[i], values[i]);
		}
		if (!own[i])
			goto fail;
	}
	if ((env = child_environ_new(own, NFIELDS)) == NULL)
		goto fail;

	pid_t pid;
	int err = child_spawn_sh(&pid, HOOK_SCRIPT, env, -1, log_fd_get());
	if (err)
		log_warning(acct->name, mailbox,
		            "on_new_mail: cannot start: %s", strerror(err));
	else
		running_add(pid, acct->name, mailbox);
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

static bool same(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* strdup of s, NULL staying NULL; sets *oom when it fails. */
static char *dup_or_null(const char *s, bool *oom)
{
	char *d = s ? strdup(s) : NULL;
	if (s && !d)
		*oom = true;
	return d;
}

/* The n messages of rows wait, with those of the mailbox that wait
 * already. Called with start_lock held. */
static void waiting_add(const struct conf_account *acct, const char *mailbox,
                        const struct store_msg *const *rows, size_t n)
{
	struct waiting *w = waiting_head, **link = &waiting_head;
	for (; w; link = &w->next, w = w->next)
		if (same(w->account, acct->name) && same(w->mailbox, mailbox))
			break;
	bool oom = false;
	if (!w) {
		w = calloc(1, sizeof(*w));
		if (!w) {
			log_warning(acct->name, mailbox,
			            "on_new_mail: out of memory");
			return;
		}
		w->account = dup_or_null(acct->name, &oom);
		w->mailbox = dup_or_null(mailbox, &oom);
		*link = w;
	}
	const struct store_msg *last = rows[n - 1];
	/* The command of the latest configuration (a reload may change
	 * it while mail waits). */
	free(w->command);
	free(w->from);
	free(w->subject);
	free(w->message_id);
	free(w->flags);
	w->command = dup_or_null(acct->on_new_mail, &oom);
	w->from = dup_or_null(last->from, &oom);
	w->subject = dup_or_null(last->subject, &oom);
	w->message_id = dup_or_null(last->message_id, &oom);
	w->flags = dup_or_null(last->flags, &oom);
	w->uid = last->uid;
	w->date = last->date;
	w->internaldate = last->internaldate;
	w->count += n;
	if (oom || !w->command) {
		log_warning(acct->name, mailbox, "on_new_mail: out of memory");
		*link = w->next;
		waiting_free(w);
	}
}

/* Starts, oldest first, one run for each mailbox whose mail waits, slots
 * at most; how many slots are left. Called with start_lock held. */
static size_t waiting_start(size_t slots)
{
	while (waiting_head && slots > 0) {
		struct waiting *w = waiting_head;
		waiting_head = w->next;
		struct conf_account acct = {.name = w->account,
		                            .on_new_mail = w->command};
		struct store_msg row = {.uid = w->uid,
		                        .flags = w->flags,
		                        .internaldate = w->internaldate,
		                        .date = w->date,
		                        .subject = w->subject,
		                        .from = w->from,
		                        .message_id = w->message_id};
		/* The run of a batch that an empty budget still gives. */
		take_runs(1);
		run_hook(&acct, w->mailbox, &row, w->count);
		waiting_free(w);
		slots--;
	}
	return slots;
}

/* Whether flags (space-separated) hold \Seen, in any case (RFC 3501
 * 9: flags are case-insensitive). */
static bool seen(const char *flags)
{
	for (const char *p = flags ? flags : ""; *p;) {
		size_t n = strcspn(p, " ");
		if (n == 5 && strncasecmp(p, "\\Seen", 5) == 0)
			return true;
		p += n;
		p += strspn(p, " ");
	}
	return false;
}

void hook_new_mail(const struct conf_account *acct, const char *mailbox,
                   const struct store_msg *const *all, size_t n_all)
{
	if (!acct->on_new_mail || n_all == 0)
		return;
	/* Mail that arrives read (sent by the user, moved in after it was
	 * read) is no new mail (explore64). */
	const struct store_msg **rows = malloc(n_all * sizeof(*rows));
	if (!rows) {
		log_warning(acct->name, mailbox, "on_new_mail: out of memory");
		return;
	}
	size_t n = 0;
	for (size_t i = 0; i < n_all; i++)
		if (!seen(all[i]->flags))
			rows[n++] = all[i];
	if (n > 0) {
		pthread_mutex_lock(&start_lock);
		/* A run started now would be stopped at once, or outlive
		 * the daemon. */
		size_t slots = stopping ? 0 : free_slots(acct, mailbox, n);
		/* Mail that waited goes first; this batch waits while
		 * no slot is left for it. */
		slots = waiting_start(slots);
		if (slots == 0 && !stopping)
			waiting_add(acct, mailbox, rows, n);
		/* An empty budget still gives the burst one run; fewer
		 * slots than runs make the last one stand for more. */
		size_t runs = slots ? take_runs(n < slots ? n : slots) : 0;
		if (slots && runs == 0)
			runs = 1;
		/* Short of a run each, the last run stands for the rest. */
		size_t each = runs == n ? n : runs > 0 ? runs - 1 : 0;
		for (size_t i = 0; i < each; i++)
			run_hook(acct, mailbox, rows[i], 1);
		if (runs > 0 && each < n)
			run_hook(acct, mailbox, rows[n - 1], n - each);
		pthread_mutex_unlock(&start_lock);
	}
	free(rows);
}
