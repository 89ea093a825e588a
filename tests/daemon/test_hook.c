/* test_hook.c - the on_new_mail command: its environment, how many runs
 * a burst of mail starts, its failures in the log, and the end of the runs
 * at the daemon's stop. */
#include "harness/proc_alive.h"
#include "mailmirrord/hook.h"
#include "mailmirrord/log.h"
#include "mailmirrord/monotime.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64], log_path[128];

static void setup(void)
{
	strcpy(dir, "/tmp/mm-hook-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(log_path, sizeof(log_path), "%s/hook.log", dir);
}

static void teardown(void)
{
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(hook, .init = setup, .fini = teardown, .timeout = 30);

/* The lines the runs wrote so far, at most max. */
static int read_lines(char lines[][128], int max)
{
	int n = 0;
	FILE *f = fopen(log_path, "r");
	if (f) {
		while (n < max && fgets(lines[n], 128, f))
			n++;
		fclose(f);
	}
	return n;
}

/* The lines the detached runs wrote, once want of them are there. */
static int wait_lines(int want, char lines[][128], int max)
{
	for (int tries = 0; tries < 500 && read_lines(lines, max) < want;
	     tries++)
		usleep(10000);
	/* Runs that should not exist get the time to show up. */
	usleep(200000);
	return read_lines(lines, max);
}

/* A batch of n new messages, uids 1..n, each with the subject subject. */
static void run_batch_of(size_t n, const char *subject)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd),
	         "echo \"$MM_UID $MM_COUNT $MM_SUBJECT\" >> %s", log_path);
	struct conf_account acct = {.name = "a", .on_new_mail = cmd};
	struct store_msg *msgs = calloc(n, sizeof(*msgs));
	const struct store_msg **rows = calloc(n, sizeof(*rows));
	cr_assert(msgs && rows);
	for (size_t i = 0; i < n; i++) {
		msgs[i].uid = (uint32_t)(i + 1);
		msgs[i].subject = subject;
		msgs[i].date = STORE_NO_TIME;
		rows[i] = &msgs[i];
	}
	hook_new_mail(&acct, "INBOX", rows, n);
	free(rows);
	free(msgs);
}

static void run_batch(size_t n)
{
	run_batch_of(n, "s");
}

Test(hook, a_burst_starts_a_bounded_number_of_runs)
{
	char lines[64][128];
	run_batch(300);
	int n = wait_lines(HOOK_RUNS_PER_BATCH, lines, 64);
	cr_assert_eq(n, HOOK_RUNS_PER_BATCH, "%d runs for one batch", n);
	/* The runs are detached: they finish in any order. */
	int each = 0, rest = 0;
	for (int i = 0; i < n; i++) {
		unsigned uid, count;
		cr_assert_eq(sscanf(lines[i], "%u %u", &uid, &count), 2, "%s",
		             lines[i]);
		if (count == 1) {
			cr_assert_lt(uid, HOOK_RUNS_PER_BATCH);
			each++;
		} else {
			cr_assert_eq(uid, 300,
			             "the last message stands for them");
			cr_assert_eq(count, 300 - (HOOK_RUNS_PER_BATCH - 1));
			rest++;
		}
	}
	cr_assert_eq(each, HOOK_RUNS_PER_BATCH - 1);
	cr_assert_eq(rest, 1);
}

Test(hook, a_small_batch_runs_once_per_message)
{
	char lines[64][128];
	run_batch(HOOK_RUNS_PER_BATCH);
	int n = wait_lines(HOOK_RUNS_PER_BATCH, lines, 64);
	cr_assert_eq(n, HOOK_RUNS_PER_BATCH);
	for (int i = 0; i < n; i++) {
		unsigned uid, count;
		cr_assert_eq(sscanf(lines[i], "%u %u", &uid, &count), 2);
		cr_assert_eq(count, 1, "%s", lines[i]);
	}
}

/* The budget is the process's: a second batch right after a burst gets
 * one run for all of its messages, not one each. A run of the burst must
 * have ended first (no free slot, no run), and the budget refills by
 * HOOK_RUNS_PER_SECOND meanwhile: a loaded machine that takes seconds
 * over the burst may give the second batch one run more a second. */
Test(hook, batches_in_a_row_share_the_budget)
{
	char lines[64][128];
	int64_t burst = mono_ms();
	run_batch(300);
	cr_assert_eq(wait_lines(HOOK_RUNS_PER_BATCH, lines, 64),
	             HOOK_RUNS_PER_BATCH);
	int64_t waited = mono_ms() - burst;
	run_batch_of(5, "second");
	int n = wait_lines(HOOK_RUNS_PER_BATCH + 1, lines, 64);
	int64_t allowed = 1 + (mono_ms() - burst) / 1000 * HOOK_RUNS_PER_SECOND;
	int runs = 0, told = 0;
	for (int i = 0; i < n; i++) {
		unsigned uid, count;
		char subject[16];
		cr_assert_eq(
		        sscanf(lines[i], "%u %u %15s", &uid, &count, subject),
		        3);
		if (strcmp(subject, "second") != 0)
			continue;
		runs++;
		told += (int)count;
		if (count > 1)
			cr_assert_eq(uid, 5,
			             "the last message stands for them");
	}
	cr_assert_geq(runs, 1, "the second batch's run");
	cr_assert_lt(runs, 5, "%d runs, one each: the budget was not shared",
	             runs);
	cr_assert_leq(runs, allowed, "%d runs after %lld ms", runs,
	              (long long)waited);
	cr_assert_eq(told, 5, "every message of the batch is told");
}

Test(hook, no_command_no_run)
{
	struct conf_account acct = {.name = "a"};
	struct store_msg m = {.uid = 1, .date = STORE_NO_TIME};
	const struct store_msg *rows[] = {&m};
	hook_new_mail(&acct, "INBOX", rows, 1);
	usleep(100000);
	cr_assert_neq(access(log_path, F_OK), 0);
}

/* One run of cmd for account "a", mailbox INBOX. */
static void run_one(const char *cmd)
{
	struct conf_account acct = {.name = "a", .on_new_mail = (char *)cmd};
	struct store_msg m = {.uid = 1, .date = STORE_NO_TIME};
	const struct store_msg *rows[] = {&m};
	hook_new_mail(&acct, "INBOX", rows, 1);
}

/* The daemon's log, a regular file in dir, from here on. */
static FILE *log_to_file(int level)
{
	char name[160];
	snprintf(name, sizeof(name), "%s/daemon.log", dir);
	FILE *f = fopen(name, "w+");
	cr_assert_not_null(f);
	log_set_level(level);
	log_open(fileno(f), LOG_PREFIX_WORD);
	return f;
}

/* What the log file holds (fd-level writes: read through a fresh
 * stream). */
static char *log_text(void)
{
	static char text[8192];
	char name[160];
	snprintf(name, sizeof(name), "%s/daemon.log", dir);
	FILE *f = fopen(name, "r");
	cr_assert_not_null(f);
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	return text;
}

/* The number in dir/name, once the file holds one (10 s at most), or 0. */
static pid_t pid_in(const char *name)
{
	char path[160];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	for (int tries = 0; tries < 1000; tries++) {
		FILE *f = fopen(path, "r");
		long pid = 0;
		if (f) {
			int got = fscanf(f, "%ld", &pid);
			fclose(f);
			if (got == 1 && pid > 0)
				return (pid_t)pid;
		}
		usleep(10000);
	}
	return 0;
}

static int count(const char *text, const char *what)
{
	int n = 0;
	for (const char *p = text; (p = strstr(p, what)) != NULL; p++)
		n++;
	return n;
}

/* Killing a daemon run by hand (no systemd cgroup to end the rest) left
 * its running hooks behind. The stop ends each run's whole group: SIGTERM,
 * then SIGKILL for what ignores it, within the stop's budget, said at
 * info level; and no run starts after it. */
Test(hook, a_stop_ends_the_runs_and_what_they_started)
{
	char polite[512], stubborn[512], late[256];
	FILE *log = log_to_file(LOG_LEVEL_INFO);
	snprintf(polite, sizeof(polite),
	         "echo $$ > %s/shell.pid; "
	         "sh -c 'echo $$ > %s/child.pid; sleep 60; :'",
	         dir, dir);
	/* Ignored by the shell, and by the sleep it starts. */
	snprintf(stubborn, sizeof(stubborn),
	         "trap '' TERM; echo $$ > %s/deaf.pid; sleep 60; :", dir);
	run_one(polite);
	run_one(stubborn);
	pid_t shell = pid_in("shell.pid"), child = pid_in("child.pid"),
	      deaf = pid_in("deaf.pid");
	cr_assert(shell && child && deaf, "the runs did not start");
	cr_assert(proc_alive(shell) && proc_alive(child) && proc_alive(deaf));

	pid_t groups[] = {getpgid(shell), getpgid(deaf)};
	cr_assert(groups[0] > 0 && groups[1] > 0);

	int64_t t0 = mono_ms();
	hook_stop_begin();
	hook_stop_end();
	int64_t took = mono_ms() - t0;
	bool gone =
	        !proc_alive(shell) && !proc_alive(child) && !proc_alive(deaf);
	/* What this test started must not outlive it. */
	for (size_t i = 0; !gone && i < 2; i++)
		kill(-groups[i], SIGKILL);
	cr_assert(gone, "a run outlived the stop: shell %d, child %d, deaf %d",
	          proc_alive(shell), proc_alive(child), proc_alive(deaf));
	cr_assert_lt(took, HOOK_STOP_GRACE_MS + HOOK_REAP_MS + 500, "%lld ms",
	             (long long)took);

	const char *text = log_text();
	cr_assert_eq(count(text, "info: [a/INBOX] on_new_mail: the command "
	                         "still runs after "),
	             2, "%s", text);
	cr_assert_eq(count(text, "stopping it with the daemon"), 2, "%s", text);
	cr_assert_eq(count(text, "did not end within 0.5 s of SIGTERM: "
	                         "killed"),
	             1, "%s", text);

	/* Mail that comes while the workers stop starts nothing. */
	snprintf(late, sizeof(late), "touch %s/late", dir);
	run_one(late);
	usleep(200000);
	snprintf(late, sizeof(late), "%s/late", dir);
	cr_assert_neq(access(late, F_OK), 0, "a run started after the stop");
	log_open(2, LOG_PREFIX_AUTO);
	fclose(log);
}

/* A run that ended by itself is no news at the stop, and a stop with
 * nothing running returns at once. */
Test(hook, a_stop_with_nothing_running_is_quiet)
{
	char cmd[256];
	FILE *log = log_to_file(LOG_LEVEL_INFO);
	/* Its parent: the helper shell, which ends last. */
	snprintf(cmd, sizeof(cmd), "echo $PPID > %s/done.pid", dir);
	run_one(cmd);
	pid_t pid = pid_in("done.pid");
	cr_assert(pid);
	for (int i = 0; i < 500 && proc_alive(pid); i++)
		usleep(10000);
	cr_assert_not(proc_alive(pid));
	int64_t t0 = mono_ms();
	hook_stop_begin();
	hook_stop_end();
	cr_assert_lt(mono_ms() - t0, HOOK_STOP_GRACE_MS);
	cr_assert_str_eq(log_text(), "");
	log_open(2, LOG_PREFIX_AUTO);
	fclose(log);
}

/* The helper shell writes a failure's line itself, after we made its
 * head: in a dated log it dates the line as it writes it. */
Test(hook, a_failure_is_dated_in_a_dated_log)
{
	FILE *log = log_to_file(LOG_LEVEL_NOTICE);
	cr_assert(log_timed());
	setenv("TZ", "UTC0", 1);
	run_one("exit 3");
	const char *text = "";
	for (int i = 0; i < 500 && !strchr(text, '\n'); i++) {
		usleep(10000);
		text = log_text();
	}
	regex_t re;
	cr_assert_eq(regcomp(&re,
	                     "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:"
	                     "[0-9]{2}\\.[0-9]{3}\\+00:00 warning: "
	                     "\\[a/INBOX\\] on_new_mail: the command failed "
	                     "with exit status 3\n$",
	                     REG_EXTENDED),
	             0);
	bool ok = regexec(&re, text, 0, NULL, 0) == 0;
	regfree(&re);
	cr_assert(ok, "%s", text);
	log_open(2, LOG_PREFIX_AUTO);
	fclose(log);
}

/* A batch of n new messages in mailbox, uids first.., each with the
 * subject subject, for a command that notes "UID COUNT SUBJECT MAILBOX"
 * and, when the subject is "hold", runs until DIR/go exists. */
static void run_held_batch(const char *mailbox, uint32_t first, size_t n,
                           const char *subject)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd),
	         "echo \"$MM_UID $MM_COUNT $MM_SUBJECT $MM_MAILBOX\" >> %s; "
	         "[ \"$MM_SUBJECT\" != hold ] || "
	         "while [ ! -e %s/go ]; do sleep 0.02; done",
	         log_path, dir);
	struct conf_account acct = {.name = "a", .on_new_mail = cmd};
	struct store_msg *msgs = calloc(n, sizeof(*msgs));
	const struct store_msg **rows = calloc(n, sizeof(*rows));
	cr_assert(msgs && rows);
	for (size_t i = 0; i < n; i++) {
		msgs[i].uid = first + (uint32_t)i;
		msgs[i].subject = subject;
		msgs[i].date = STORE_NO_TIME;
		rows[i] = &msgs[i];
	}
	hook_new_mail(&acct, mailbox, rows, n);
	free(rows);
	free(msgs);
}

/* Every slot busy, mail of two mailboxes arrives (a resync after an
 * outage, mailbox after mailbox): when the runs end, one run for each
 * mailbox stands for what waited there. That mail used to start nothing
 * at all (explore78). */
Test(hook, mail_that_finds_every_slot_busy_waits_for_one)
{
	char lines[64][128];
	run_held_batch("INBOX", 1, HOOK_RUNNING_MAX, "hold");
	cr_assert_eq(wait_lines(HOOK_RUNNING_MAX, lines, 64), HOOK_RUNNING_MAX);
	run_held_batch("Sent", 100, 3, "late");
	run_held_batch("Lists", 200, 1, "late");
	run_held_batch("Sent", 103, 2, "late");

	char go[128];
	snprintf(go, sizeof(go), "%s/go", dir);
	int fd = open(go, O_CREAT | O_WRONLY, 0600);
	cr_assert_geq(fd, 0);
	close(fd);
	/* The supervisor's tick: slots free as the held runs end. */
	int n = 0;
	for (int64_t until = mono_ms() + 20000;
	     n < HOOK_RUNNING_MAX + 2 && mono_ms() < until;) {
		hook_tend();
		usleep(10000);
		n = read_lines(lines, 64);
	}
	usleep(200000); /* a run too many gets the time to show */
	hook_tend();
	n = read_lines(lines, 64);
	cr_assert_eq(n, HOOK_RUNNING_MAX + 2, "%d runs", n);
	bool sent = false, lists = false;
	for (int i = 0; i < n; i++) {
		unsigned uid, count;
		char subject[16], mailbox[16];
		cr_assert_eq(sscanf(lines[i], "%u %u %15s %15s", &uid, &count,
		                    subject, mailbox),
		             4, "%s", lines[i]);
		if (strcmp(subject, "late") != 0)
			continue;
		if (strcmp(mailbox, "Sent") == 0) {
			cr_assert_eq(uid, 104, "the last message stands");
			cr_assert_eq(count, 5, "all that waited: %s", lines[i]);
			sent = true;
		} else {
			cr_assert_str_eq(mailbox, "Lists");
			cr_assert_eq(uid, 200);
			cr_assert_eq(count, 1);
			lists = true;
		}
	}
	cr_assert(sent && lists);
	hook_stop_end();
}
