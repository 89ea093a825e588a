/* test_closed_pipe.c - output into a pipe whose reader has gone.
 *
 * "mailmirror ls | head -1" and "mailmirrord --help | true" end as any
 * program does when SIGPIPE has its default action: by the signal, with
 * nothing on stderr. A parent that ignores SIGPIPE (systemd's services,
 * many language runtimes) passes that on through exec; the tools then said
 * "writing the output failed: Broken pipe" and exited 6 (mailmirror) or 74
 * (mailmirrord). Run as the user runs them: the built programs beside this
 * test binary. */
#include "mailmirrord/store.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[] = "/tmp/mm-pipe-XXXXXX";
static char bindir[4096];
static char cache[4200];
static char said[4096]; /* what the last run wrote on stderr */

#define ROWS 1000 /* some 60 KB of ls output: more than a pipe holds */

static void setup(void)
{
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	cr_assert(n > 0);
	self[n] = '\0';
	snprintf(bindir, sizeof(bindir), "%s/..", dirname(self));
	cr_assert_not_null(mkdtemp(dir));
	snprintf(cache, sizeof(cache), "%s/cache.db", dir);
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		cr_log_warn("could not remove %s", dir);
}

TestSuite(closed_pipe, .init = setup, .fini = teardown);

/* work/INBOX with ROWS messages, all of them in the full-text index. */
static void make_cache(void)
{
	struct store *s;
	char err[256];
	int64_t acct, box;

	cr_assert_eq(store_open(&s, cache, err, sizeof(err)), STORE_OK, "%s",
	             err);
	cr_assert_eq(store_begin(s), STORE_OK);
	cr_assert_eq(store_account_upsert(&acct, NULL, s, "work",
	                                  "imap.example", 143, "me"),
	             STORE_OK);
	cr_assert_eq(
	        store_mailbox_upsert(&box, s, acct, "INBOX", "/", "", NULL),
	        STORE_OK);
	for (uint32_t uid = 1; uid <= ROWS; uid++) {
		char subject[64];
		snprintf(subject, sizeof(subject), "hello number %u", uid);
		struct store_msg m = {
		        .uid = uid,
		        .flags = "",
		        .internaldate = 1700000000 + uid,
		        .date = 1700000000 + uid,
		        .subject = subject,
		        .from = "Alice <alice@example.org>",
		};
		cr_assert_eq(store_message_upsert(NULL, s, box, &m), STORE_OK,
		             "%s", store_errmsg(s));
	}
	cr_assert_eq(store_commit(s), STORE_OK);
	size_t indexed;
	do
		cr_assert_eq(store_index_chunk(s, ROWS, 0, &indexed), STORE_OK);
	while (indexed > 0);
	store_close(&s);
}

/* Runs bindir/prog with args, SIGPIPE ignored (ignore) or at its default,
 * its stdout a pipe: closed by the reader before the program starts, or,
 * with one_line, after the first line (head -1). Returns the wait status;
 * what it wrote on stderr is in said. */
static int run(const char *prog, bool ignore, bool one_line,
               const char *const *args)
{
	char path[4200], errf[128];
	int fds[2];

	snprintf(path, sizeof(path), "%s/%s", bindir, prog);
	if (access(path, X_OK) != 0)
		cr_skip_test("%s is not built (make all)", path);
	snprintf(errf, sizeof(errf), "%s/stderr", dir);
	cr_assert_eq(pipe2(fds, O_CLOEXEC), 0);
	/* The smallest pipe: the output outgrows it whatever the system's
	 * default size. */
	(void)fcntl(fds[1], F_SETPIPE_SZ, 4096);
	if (!one_line)
		close(fds[0]);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int err = open(errf, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (err < 0 || dup2(fds[1], 1) < 0 || dup2(err, 2) < 0)
			_exit(120);
		signal(SIGPIPE, ignore ? SIG_IGN : SIG_DFL);
		char *argv[16] = {path};
		for (size_t i = 0; args[i] != NULL && i < 14; i++)
			argv[i + 1] = (char *)args[i];
		execv(path, argv);
		_exit(121);
	}
	close(fds[1]);
	if (one_line) {
		char c = 0;
		while (c != '\n' && read(fds[0], &c, 1) == 1)
			;
		cr_assert_eq(c, '\n', "no line came");
		close(fds[0]);
	}
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	FILE *f = fopen(errf, "r");
	cr_assert_not_null(f);
	size_t n = fread(said, 1, sizeof(said) - 1, f);
	said[n] = '\0';
	fclose(f);
	return st;
}

#define RUN(prog, ignore, one_line, ...)                                       \
	run((prog), (ignore), (one_line),                                      \
	    (const char *const[]){__VA_ARGS__, NULL})

/* Ended by SIGPIPE, with nothing said. */
static void expect_quiet_sigpipe(int st, const char *what, bool ignore)
{
	cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGPIPE,
	          "%s (SIGPIPE %s): status %d, exit %d, stderr: %s", what,
	          ignore ? "ignored" : "default", st,
	          WIFEXITED(st) ? WEXITSTATUS(st) : -1, said);
	cr_assert_str_eq(said, "", "%s (SIGPIPE %s)", what,
	                 ignore ? "ignored" : "default");
}

Test(closed_pipe, help_and_version_end_quietly)
{
	static const char *const progs[] = {"mailmirror", "mailmirrord"};
	static const char *const opts[] = {"--help", "--version"};

	for (int ignore = 0; ignore < 2; ignore++)
		for (size_t p = 0; p < 2; p++)
			for (size_t o = 0; o < 2; o++) {
				char what[64];
				snprintf(what, sizeof(what), "%s %s", progs[p],
				         opts[o]);
				expect_quiet_sigpipe(
				        RUN(progs[p], ignore, false, opts[o]),
				        what, ignore);
			}
}

/* Every command, its reader gone before it starts, or (those of many
 * lines) after the first line, as head -1 leaves it. */
Test(closed_pipe, the_query_commands_end_quietly)
{
	static const char *const cmds[][5] = {
	        {"ls", "--limit", "0"},
	        {"--json", "ls", "--limit", "0"},
	        {"search", "--limit", "0", "hello"},
	        {"--json", "search", "--limit", "0", "hello"},
	        {"status"},
	        {"--json", "accounts"},
	        {"count"},
	        {"show", "work/INBOX", "7"},
	        {"--json", "show", "work/INBOX", "7"},
	};
	make_cache();
	for (int ignore = 0; ignore < 2; ignore++)
		for (size_t c = 0; c < sizeof(cmds) / sizeof(cmds[0]); c++) {
			const char *args[8] = {"--db", cache};
			char what[128] = "mailmirror";
			for (size_t i = 0; i < 5 && cmds[c][i]; i++) {
				args[i + 2] = cmds[c][i];
				strcat(what, " ");
				strcat(what, cmds[c][i]);
			}
			bool many = strstr(what, "--limit") != NULL;
			expect_quiet_sigpipe(
			        run("mailmirror", ignore, false, args), what,
			        ignore);
			if (many)
				expect_quiet_sigpipe(
				        run("mailmirror", ignore, true, args),
				        what, ignore);
		}
}

/* What is not a closed pipe is still said: a full disk. */
Test(closed_pipe, a_full_disk_is_still_said)
{
	if (access("/dev/full", W_OK) != 0)
		cr_skip_test("no /dev/full");
	char cmd[8400];
	snprintf(cmd, sizeof(cmd), "'%s/mailmirror' --help >/dev/full 2>'%s/e'",
	         bindir, dir);
	int st = system(cmd);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 6, "status %d", st);
	snprintf(cmd, sizeof(cmd),
	         "grep -qx 'mailmirror: writing the output failed: No space "
	         "left on device' '%s/e'",
	         dir);
	cr_assert_eq(system(cmd), 0);
	snprintf(cmd, sizeof(cmd),
	         "'%s/mailmirrord' --help >/dev/full 2>'%s/e'", bindir, dir);
	st = system(cmd);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 74, "status %d", st);
	snprintf(cmd, sizeof(cmd),
	         "grep -qx 'mailmirrord: writing the output failed: No space "
	         "left on device' '%s/e'",
	         dir);
	cr_assert_eq(system(cmd), 0);
}
