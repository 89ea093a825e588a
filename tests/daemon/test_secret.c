/* test_secret.c - password files and commands. */
#include "as_nobody.h"
#include "mailmirrord/config.h"
#include "mailmirrord/log.h"
#include "mailmirrord/redact.h"
#include "mailmirrord/secret.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char dir[] = "/tmp/mm-secret-XXXXXX";
static char err[512];

static void setup(void)
{
	cr_assert(mkdtemp(dir) != NULL);
	cr_assert(chdir(dir) == 0);
}

static void teardown(void)
{
	char cmd[128];

	become_self();

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		cr_log_warn("could not remove %s", dir);
}

TestSuite(secret, .init = setup, .fini = teardown);

static void write_file(const char *name, const char *data, size_t len,
                       mode_t mode)
{
	int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, mode);

	cr_assert(fd >= 0);
	cr_assert(write(fd, data, len) == (ssize_t)len);
	close(fd);
	cr_assert(chmod(name, mode) == 0);
}

/* Every child was reaped: nothing is left to wait for. */
static void assert_no_children(void)
{
	errno = 0;
	cr_assert_eq(waitpid(-1, NULL, WNOHANG), -1);
	cr_assert_eq(errno, ECHILD);
}

static double elapsed_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) +
	       (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

Test(secret, file_trailing_newline_stripped)
{
	struct secret s = {0};

	write_file("pw", "hunter2\n", 8, 0600);
	cr_assert_eq(secret_from_file(&s, "work", "pw", err, sizeof(err)), 0,
	             "%s", err);
	cr_assert_str_eq(s.data, "hunter2");
	cr_assert_eq(s.len, 7);
	secret_clear(&s);
	cr_assert_null(s.data);
	cr_assert_eq(s.len, 0);

	write_file("pw", "crlf\r\n", 6, 0400);
	cr_assert_eq(secret_from_file(&s, "work", "pw", err, sizeof(err)), 0);
	cr_assert_str_eq(s.data, "crlf");
	secret_clear(&s);

	write_file("pw", "no newline", 10, 0600);
	cr_assert_eq(secret_from_file(&s, "work", "pw", err, sizeof(err)), 0);
	cr_assert_str_eq(s.data, "no newline");
	secret_clear(&s);
	secret_clear(NULL);
}

Test(secret, file_refused)
{
	struct secret s = {0};
	char big[SECRET_FILE_MAX + 2];

	/* Its group's users may read it: nogroup is nobody's (a group the
	 * daemon's user alone is in may: see below). */
	cr_assert_eq(geteuid(), 0, "this test gives files away: run as root");
	write_file("pw", "x\n", 2, 0640);
	cr_assert_eq(chown("pw", 0, NOBODY_ID), 0);
	cr_assert_eq(secret_from_file(&s, "work", "pw", err, sizeof(err)), -1);
	cr_assert_str_eq(err, "password_file pw is readable by its group "
	                      "nogroup (mode 0640), which is open to others "
	                      "than uid 0 (root), its owner, who runs "
	                      "mailmirrord; chmod 600 pw");
	cr_assert_null(s.data);
	cr_assert_eq(chown("pw", 0, 0), 0);

	write_file("pw", "x\n", 2, 0604);
	cr_assert_eq(secret_from_file(&s, "work", "pw", err, sizeof(err)), -1);
	cr_assert_str_eq(err, "password_file pw is readable by anyone (mode "
	                      "0604); chmod 600 pw");

	/* explore33: whoever may write it may put their own password in */
	write_file("pw", "x\n", 2, 0620);
	cr_assert_eq(secret_from_file(&s, "work", "pw", err, sizeof(err)), -1);
	cr_assert_str_eq(err, "password_file pw is writable "
	                      "by others (chmod 600)");
	cr_assert_eq(secret_check_file("pw", err, sizeof(err)), -1);
	write_file("pw", "x\n", 2, 0602);
	cr_assert_eq(secret_check_file("pw", err, sizeof(err)), -1);

	/* A lone CR is no newline (mailmirror.conf(5)): part of the file's
	 * one line, which may not hold it. */
	write_file("pw", "pw\r", 3, 0600);
	cr_assert_eq(secret_from_file(&s, "work", "pw", err, sizeof(err)), -1);
	cr_assert_str_eq(err, "password_file contains a NUL, "
	                      "CR or LF byte");

	cr_assert(mkfifo("fifo", 0600) == 0);
	cr_assert_eq(secret_from_file(&s, "work", "fifo", err, sizeof(err)),
	             -1);
	cr_assert_str_eq(err, "password_file fifo is not a "
	                      "regular file");
	cr_assert_eq(secret_check_file("fifo", err, sizeof(err)), -1);
	cr_assert_str_eq(err, "password_file fifo is not a regular file");

	write_file("pw", "\n", 1, 0600);
	cr_assert_eq(secret_from_file(&s, "work", "pw", err, sizeof(err)), -1);
	cr_assert_str_eq(err, "password_file is empty");

	write_file("pw", "two\nlines\n", 10, 0600);
	cr_assert_eq(secret_from_file(&s, "work", "pw", err, sizeof(err)), -1);
	cr_assert_str_eq(err, "password_file pw has more than one line");

	memset(big, 'a', sizeof(big));
	write_file("pw", big, sizeof(big), 0600);
	cr_assert_eq(secret_from_file(&s, "work", "pw", err, sizeof(err)), -1);
	cr_assert(strstr(err, "is larger than 4096 bytes"));

	cr_assert_eq(secret_from_file(&s, "work", "missing", err, sizeof(err)),
	             -1);
	cr_assert_str_eq(err, "password_file missing: No "
	                      "such file or directory");
	cr_assert_null(s.data);
}

/* explore81: a file ending in an empty line ("pw\n\n") passed the check,
 * then failed every login with "contains a NUL, CR or LF byte", which did
 * not say what was wrong. Both say it now, and so does an empty file. */
Test(secret, a_second_line_is_said_and_checked)
{
	struct secret s = {0};

	write_file("pw", "pw\n\n", 4, 0600);
	cr_assert_eq(secret_check_file("pw", err, sizeof(err)), -1);
	cr_assert_str_eq(err, "password_file pw has more than one line");
	cr_assert_eq(secret_from_file(&s, "work", "pw", err, sizeof(err)), -1);
	cr_assert_str_eq(err, "password_file pw has more than one line");
	cr_assert_null(s.data);

	write_file("pw", "pw\r\n\r\n", 6, 0600);
	cr_assert_eq(secret_check_file("pw", err, sizeof(err)), -1);
	cr_assert_str_eq(err, "password_file pw has more than one line");

	write_file("pw", "", 0, 0600);
	cr_assert_eq(secret_check_file("pw", err, sizeof(err)), -1);
	cr_assert_str_eq(err, "password_file is empty");

	write_file("pw", "pw\n", 3, 0600);
	cr_assert_eq(secret_check_file("pw", err, sizeof(err)), 0, "%s", err);
}

/* The service runs as its own user: a root-owned 0600 file passed the
 * configuration check, then failed every login, retried for ever. */
Test(secret, a_file_the_daemon_cannot_read_is_the_configurations_error)
{
	write_file("pw", "x\n", 2, 0600);
	cr_assert_eq(chmod(dir, 0755), 0);
	pid_t pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		if (setgid(65534) < 0 || setuid(65534) < 0)
			_exit(2);
		int rc = secret_check_file("pw", err, sizeof(err));
		_exit(rc == -1 && strstr(err, "password_file pw: Permission "
		                              "denied (reading as uid 65534)")
		              ? 0
		              : 1);
	}
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	          "status %d (2: no setuid; 1: not refused)", st);
	cr_assert_eq(secret_check_file("pw", err, sizeof(err)), 0, "%s", err);
}

/* As the service's unit runs it (User=mailmirror) on a secret root keeps:
 * "install -o root -g mailmirror -m 0640". A password_file had to be
 * 0600, which the service cannot read: a group no one but the file's
 * owner and the daemon's user is in now lets the daemon read it, as it
 * does for the configuration (trust_group_only()), at the check and at
 * login alike. One that holds another user still exposes the secret. */
Test(secret, a_group_the_service_alone_is_in_may_read_it)
{
	struct secret s = {0};
	char want[1024];

	cr_assert_eq(geteuid(), 0, "this test gives files away: run as root");
	make_service_accounts();
	struct passwd *pw = getpwnam(SVC_USER);
	cr_assert_not_null(pw);
	uid_t svc = pw->pw_uid;
	gid_t svc_group = pw->pw_gid;
	struct group *gr = getgrnam(SHARED_GROUP);
	cr_assert_not_null(gr);
	gid_t shared = gr->gr_gid;
	/* The groups systemd gives User=: SHARED_GROUP among them, so that
	 * the refusal below is the rule's, not a read the kernel denied.
	 * Kept by root's part of the test too, which runs in a process of
	 * its own. */
	cr_assert_eq(initgroups(SVC_USER, svc_group), 0);

	write_file("pw", "hunter2\n", 8, 0640);
	cr_assert_eq(chown("pw", 0, svc_group), 0);
	become_user(dir, svc, svc_group);
	cr_assert_eq(secret_check_file("pw", err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(secret_from_file(&s, "work", "pw", err, sizeof(err)), 0,
	             "%s", err);
	cr_assert_str_eq(s.data, "hunter2");
	secret_clear(&s);
	become_self();

	/* The service may read it through that group too, but so may
	 * nobody: the message names the group, and the way out. */
	cr_assert_eq(chown("pw", 0, shared), 0);
	become_user(dir, svc, svc_group);
	snprintf(want, sizeof(want),
	         "password_file pw is readable by its group " SHARED_GROUP
	         " (mode 0640), which is open to others than uid 0 (root), "
	         "its owner, and uid %u (" SVC_USER "), who runs mailmirrord; "
	         "chgrp " SVC_USER " pw",
	         (unsigned)svc);
	cr_assert_eq(secret_check_file("pw", err, sizeof(err)), -1);
	cr_assert_str_eq(err, want);
	cr_assert_eq(secret_from_file(&s, "work", "pw", err, sizeof(err)), -1);
	cr_assert_str_eq(err, want);
	cr_assert_null(s.data);
	become_self();

	/* Whose primary group it is counts as well: nogroup is nobody's. */
	cr_assert_eq(chown("pw", 0, NOBODY_ID), 0);
	become_user(dir, svc, svc_group);
	cr_assert_eq(secret_check_file("pw", err, sizeof(err)), -1);
	cr_assert(strstr(err, "readable by its group nogroup (mode 0640)"),
	          "%s", err);
	cr_assert_eq(secret_from_file(&s, "work", "pw", err, sizeof(err)), -1);
	become_self();

	/* Anyone: never, whatever the group. */
	cr_assert_eq(chown("pw", 0, svc_group), 0);
	cr_assert_eq(chmod("pw", 0644), 0);
	become_user(dir, svc, svc_group);
	cr_assert_eq(secret_check_file("pw", err, sizeof(err)), -1);
	cr_assert_str_eq(err, "password_file pw is readable by anyone (mode "
	                      "0644); chmod o-r pw");
	cr_assert_eq(secret_from_file(&s, "work", "pw", err, sizeof(err)), -1);
	become_self();
}

/* A tester's finding: "mailmirrord --check-config" run as root refused
 * the root:mailmirror 0640 password_file that the service, run as
 * mailmirror, reads, since root is not in that group. The check as root
 * judges it for the one user besides its owner whom the group lets read
 * it; a group of more users, or a file anyone may read, is still
 * refused, and so is the file for a daemon that runs as root. */
Test(secret, a_check_as_root_judges_for_the_service)
{
	struct secret s = {0};

	cr_assert_eq(geteuid(), 0, "this test gives files away: run as root");
	make_service_accounts();
	struct passwd *pw = getpwnam(SVC_USER);
	cr_assert_not_null(pw);
	gid_t svc_group = pw->pw_gid;
	struct group *gr = getgrnam(SHARED_GROUP);
	cr_assert_not_null(gr);

	write_file("pw", "hunter2\n", 8, 0640);
	cr_assert_eq(chown("pw", 0, svc_group), 0);
	cr_assert_eq(secret_check_file("pw", err, sizeof(err)), -1,
	             "a daemon run as root");
	secret_check_for_service(true);
	cr_assert_eq(secret_check_file("pw", err, sizeof(err)), 0, "%s", err);
	/* A login is the daemon's own, run as root here. */
	cr_assert_eq(secret_from_file(&s, "work", "pw", err, sizeof(err)), -1);
	cr_assert_null(s.data);

	cr_assert_eq(chown("pw", 0, gr->gr_gid), 0);
	cr_assert_eq(secret_check_file("pw", err, sizeof(err)), -1);
	cr_assert_str_eq(err, "password_file pw is readable by its group "
	                      "" SHARED_GROUP " (mode 0640), which is open to "
	                      "others than uid 0 (root), its owner, who runs "
	                      "mailmirrord; chmod 600 pw");
	/* The service's file: what makes it private keeps it the
	 * service's (chmod 600 would stop the service). */
	cr_assert_eq(chown("pw", 0, svc_group), 0);
	cr_assert_eq(chmod("pw", 0644), 0);
	cr_assert_eq(secret_check_file("pw", err, sizeof(err)), -1);
	cr_assert_str_eq(err, "password_file pw is readable by anyone (mode "
	                      "0644); chmod o-r pw");
	cr_assert_eq(chmod("pw", 0660), 0);
	cr_assert_eq(secret_check_file("pw", err, sizeof(err)), -1);
	cr_assert_str_eq(err, "password_file pw is writable "
	                      "by others (chmod go-w)");
	secret_check_for_service(false);
}

/* explore81: root running mailmirrord by hand on the service's files
 * (root:mailmirror 0640) was told "chmod 600", which stops the service,
 * whose user then cannot read them. It is told to run as that user. */
Test(secret, a_service_file_run_as_root_says_run_as_the_service)
{
	struct secret s = {0};

	cr_assert_eq(geteuid(), 0, "this test gives files away: run as root");
	make_service_accounts();
	struct passwd *pw = getpwnam(SVC_USER);
	cr_assert_not_null(pw);
	write_file("pw", "hunter2\n", 8, 0640);
	cr_assert_eq(chown("pw", 0, pw->pw_gid), 0);
	static const char want[] =
	        "password_file pw is readable by its group " SVC_USER
	        " (mode 0640), which " SVC_USER " alone is in: it is the "
	        "file of a service run as that user, and mailmirrord runs as "
	        "root; run it as that user, as the service does (runuser "
	        "-u " SVC_USER
	        " -- env STATE_DIRECTORY=/var/lib/mailmirror mailmirrord ...)";
	cr_assert_eq(secret_check_file("pw", err, sizeof(err)), -1);
	cr_assert_str_eq(err, want);
	cr_assert_eq(secret_from_file(&s, "work", "pw", err, sizeof(err)), -1);
	cr_assert_str_eq(err, want);
	cr_assert_null(s.data);
	cr_assert_eq(chmod("pw", 0644), 0);
	cr_assert_eq(secret_check_file("pw", err, sizeof(err)), -1);
	cr_assert_str_eq(err, "password_file pw is readable by anyone (mode "
	                      "0644); chmod o-r pw");
}

Test(secret, command_first_line)
{
	struct secret s = {0};

	cr_assert_eq(secret_from_command(&s, "work", "password_command",
	                                 "printf 's3cret\\r\\nsecond line\\n'",
	                                 0, err, sizeof(err)),
	             0, "%s", err);
	cr_assert_str_eq(s.data, "s3cret");
	cr_assert_eq(s.len, 6);
	secret_clear(&s);
	assert_no_children();

	/* no newline at all; stderr is not part of the secret */
	cr_assert_eq(secret_from_command(&s, "work", "password_command",
	                                 "echo noise >&2; printf tok", 0, err,
	                                 sizeof(err)),
	             0);
	cr_assert_str_eq(s.data, "tok");
	secret_clear(&s);
	assert_no_children();
}

Test(secret, command_stdin_is_dev_null)
{
	struct secret s = {0};

	/* cat would hang on an inherited terminal or pipe */
	cr_assert_eq(secret_from_command(&s, "work", "password_command", "cat",
	                                 2000, err, sizeof(err)),
	             -1);
	cr_assert_str_eq(err, "password_command printed "
	                      "nothing on its first line");
	assert_no_children();
}

Test(secret, command_exit_status_without_output)
{
	struct secret s = {0};

	cr_assert_eq(secret_from_command(&s, "work", "password_command",
	                                 "echo topsecret; exit 3", 0, err,
	                                 sizeof(err)),
	             -1);
	cr_assert_str_eq(err, "password_command exited with "
	                      "status 3");
	cr_assert_null(strstr(err, "topsecret"));
	cr_assert_null(s.data);
	assert_no_children();

	cr_assert_eq(secret_from_command(&s, "work", "token_command",
	                                 "kill -TERM $$", 0, err, sizeof(err)),
	             -1);
	cr_assert_str_eq(err, "token_command was killed by "
	                      "signal 15");
	assert_no_children();
}

Test(secret, command_timeout_kills_the_group)
{
	struct secret s = {0};
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* the shell's child holds the pipe open: only a kill of the whole
	 * group ends it */
	cr_assert_eq(secret_from_command(&s, "work", "password_command",
	                                 "sleep 20; echo late", 300, err,
	                                 sizeof(err)),
	             -1);
	cr_assert_lt(elapsed_since(&t0), 5.0);
	cr_assert_str_eq(err, "password_command timed out "
	                      "after 300 ms");
	assert_no_children();

	/* stdout closed but the command lingers */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cr_assert_eq(secret_from_command(&s, "work", "password_command",
	                                 "echo pw; exec >&-; sleep 20", 300,
	                                 err, sizeof(err)),
	             -1);
	cr_assert_lt(elapsed_since(&t0), 5.0);
	cr_assert(strstr(err, "timed out"));
	assert_no_children();
}

/* The log, from log_open() to log_done(), in a pipe large enough for the
 * few lines a test writes. */
static int log_pipe[2];

static void log_start(int level)
{
	cr_assert(pipe(log_pipe) == 0);
	cr_assert(fcntl(log_pipe[0], F_SETFL, O_NONBLOCK) == 0);
	log_open(log_pipe[1], LOG_PREFIX_WORD);
	log_set_level(level);
}

static char *log_done(void)
{
	static char buf[65536];
	ssize_t n = read(log_pipe[0], buf, sizeof(buf) - 1);

	buf[n < 0 ? 0 : n] = '\0';
	log_open(2, LOG_PREFIX_AUTO);
	close(log_pipe[0]);
	close(log_pipe[1]);
	return buf;
}

/* stderr carries the command's own diagnostics: logged as the account's,
 * one line each, escaped; stdout (the secret) never is. */
Test(secret, command_stderr_is_logged_as_the_accounts_lines)
{
	struct secret s = {0};
	char *log;

	log_start(LOG_LEVEL_INFO);
	cr_assert_eq(
	        secret_from_command(
	                &s, "work", "password_command",
	                "echo topsecret; echo 'gpg: decryption failed' >&2;"
	                " printf 'bad \\033[31mred\\033[0m\\r\\n\\n"
	                "fake: [other] forged\\n' >&2; exit 2",
	                0, err, sizeof(err)),
	        -1);
	log = log_done();
	cr_assert_str_eq(err, "password_command exited with "
	                      "status 2");
	cr_assert_str_eq(log,
	                 "warning: [work] password_command said: gpg: "
	                 "decryption failed\n"
	                 "warning: [work] password_command said: bad red \n"
	                 "warning: [work] password_command said: fake: [other] "
	                 "forged\n",
	                 "%s", log);
	cr_assert_null(strstr(log, "topsecret"));
	assert_no_children();

	/* success: the chatter is only information */
	log_start(LOG_LEVEL_INFO);
	cr_assert_eq(secret_from_command(&s, "work", "password_command",
	                                 "echo 'gpg: using key 0xAB' >&2; "
	                                 "echo pw",
	                                 0, err, sizeof(err)),
	             0, "%s", err);
	log = log_done();
	cr_assert_str_eq(s.data, "pw");
	secret_clear(&s);
	cr_assert_str_eq(log, "info: [work] password_command said: gpg: using "
	                      "key 0xAB\n");
	log_start(LOG_LEVEL_NOTICE);
	cr_assert_eq(secret_from_command(&s, "work", "password_command",
	                                 "echo chatter >&2; echo pw", 0, err,
	                                 sizeof(err)),
	             0);
	cr_assert_str_eq(log_done(), "");
	secret_clear(&s);
	assert_no_children();
}

/* A command that echoes what it runs ("set -x") echoes the secret on
 * stderr: masked there, whether the command then succeeds or fails, and
 * when the kept stderr ends in the middle of it. */
Test(secret, command_stderr_never_shows_the_secret)
{
	struct secret s = {0};
	char *log;

	log_start(LOG_LEVEL_INFO);
	cr_assert_eq(secret_from_command(&s, "work", "password_command",
	                                 "set -x; P='Pa\\\"ss5w0rd'; "
	                                 "echo \"$P\"",
	                                 0, err, sizeof(err)),
	             0, "%s", err);
	log = log_done();
	cr_assert_str_eq(s.data, "Pa\\\"ss5w0rd");
	secret_clear(&s);
	cr_assert(strstr(log, "password_command said: + P="), "%s", log);
	cr_assert_null(strstr(log, "ss5w0rd"), "%s", log);

	log_start(LOG_LEVEL_INFO);
	cr_assert_eq(secret_from_command(&s, "work", "password_command",
	                                 "echo hunter2secret; echo "
	                                 "hunter2secret >&2; exit 3",
	                                 0, err, sizeof(err)),
	             -1);
	log = log_done();
	cr_assert(strstr(log, "warning: [work] password_command said: "
	                      "*************"),
	          "%s", log);
	cr_assert_null(strstr(log, "hunter2"), "%s", log);

	/* Its start at the end of what is kept of stderr (2048 bytes). */
	log_start(LOG_LEVEL_INFO);
	cr_assert_eq(secret_from_command(&s, "work", "password_command",
	                                 "head -c 2044 /dev/zero | tr '\\0' x "
	                                 ">&2; echo hunter2secret >&2; "
	                                 "echo hunter2secret",
	                                 0, err, sizeof(err)),
	             0, "%s", err);
	log = log_done();
	secret_clear(&s);
	cr_assert_null(strstr(log, "hunt"), "%s", log);

	/* A piece of it (explore25: "echo ${PW:0:12} >&2"). */
	log_start(LOG_LEVEL_INFO);
	cr_assert_eq(secret_from_command(&s, "work", "password_command",
	                                 "echo 'starting: OfeGbLEs2egO' >&2; "
	                                 "echo OfeGbLEs2egOzq81XWpk",
	                                 0, err, sizeof(err)),
	             0, "%s", err);
	log = log_done();
	secret_clear(&s);
	cr_assert(strstr(log, "password_command said: starting: ************"),
	          "%s", log);
	cr_assert_null(strstr(log, "OfeG"), "%s", log);
	assert_no_children();
}

/* A command that hangs is given up, its group killed, when the account
 * stops: it must not outlive the daemon. */
Test(secret, command_stops_with_the_account)
{
	struct conf_account a = {.name = "work"};
	struct secret s = {0};
	struct timespec t0;
	int cancel = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	cr_assert_geq(cancel, 0);
	cr_assert_eq(eventfd_write(cancel, 1), 0);
	a.secret_kind = CONF_SECRET_COMMAND;
	a.secret = "sleep 20; echo late";
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cr_assert_eq(secret_obtain(&s, &a, cancel, err, sizeof(err)), -1);
	cr_assert_lt(elapsed_since(&t0), 5.0);
	cr_assert_str_eq(err, "password_command stopped: the account stops");
	assert_no_children();
	close(cancel);
}

Test(secret, command_stderr_is_bounded)
{
	struct secret s = {0};
	char *log, *line;
	size_t lines = 0;

	/* 100 lines of 100 digits: 8 are logged, the rest counted */
	log_start(LOG_LEVEL_INFO);
	cr_assert_eq(secret_from_command(
	                     &s, "work", "password_command",
	                     "i=0; while [ $i -lt 100 ]; do printf '%0100d\\n' "
	                     "$i >&2; i=$((i+1)); done; exit 1",
	                     0, err, sizeof(err)),
	             -1);
	log = log_done();
	for (line = log; (line = strchr(line, '\n')) != NULL; line++)
		lines++;
	cr_assert_eq(lines, SECRET_STDERR_LINES + 1, "%s", log);
	cr_assert(strstr(log, "warning: [work] password_command said 9292 "
	                      "more bytes on its standard error, not logged\n"),
	          "%s", log);
	assert_no_children();

	/* one long line is cut */
	log_start(LOG_LEVEL_INFO);
	cr_assert_eq(secret_from_command(&s, "work", "password_command",
	                                 "printf '%01500d' 7 >&2; exit 1", 0,
	                                 err, sizeof(err)),
	             -1);
	log = log_done();
	cr_assert(strncmp(log, "warning: [work] password_command said: 000",
	                  42) == 0,
	          "%s", log);
	cr_assert_eq(strlen(log),
	             strlen("warning: [work] password_command said: ") +
	                     SECRET_STDERR_LINE - 1 + 1,
	             "%s", log);
	cr_assert(strstr(log, "...\n"));
	assert_no_children();
}

/* A helper that starts something in the background (an agent) exits at
 * once, but the child keeps the pipes: the password is what the command
 * printed before it exited, not a timeout 30 s later. */
Test(secret, command_background_child_does_not_hold_us)
{
	struct secret s = {0};
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	cr_assert_eq(secret_from_command(&s, "work", "password_command",
	                                 "echo pw; sleep 3 &", 10000, err,
	                                 sizeof(err)),
	             0, "%s", err);
	cr_assert_lt(elapsed_since(&t0), 2.0);
	cr_assert_str_eq(s.data, "pw");
	secret_clear(&s);
	assert_no_children();

	/* stderr held as well, and a failing exit still counts */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cr_assert_eq(secret_from_command(&s, "work", "password_command",
	                                 "sleep 3 2>&1 & exit 4", 10000, err,
	                                 sizeof(err)),
	             -1);
	cr_assert_lt(elapsed_since(&t0), 2.0);
	cr_assert_str_eq(err, "password_command exited with "
	                      "status 4");
	assert_no_children();
}

Test(secret, command_huge_output)
{
	struct secret s = {0};

	cr_assert_eq(secret_from_command(&s, "work", "password_command",
	                                 "yes aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	                                 5000, err, sizeof(err)),
	             -1);
	cr_assert_str_eq(err, "password_command printed more "
	                      "than 16384 bytes");
	cr_assert_null(s.data);
	assert_no_children();
}

Test(secret, command_cannot_start_or_empty)
{
	struct secret s = {0};

	cr_assert_eq(secret_from_command(&s, "work", "password_command", "", 0,
	                                 err, sizeof(err)),
	             -1);
	cr_assert_str_eq(err, "password_command is empty");
	cr_assert_eq(secret_from_command(&s, "work", "password_command",
	                                 "/nonexistent/helper", 0, err,
	                                 sizeof(err)),
	             -1);
	cr_assert_str_eq(err, "password_command exited with "
	                      "status 127");
	assert_no_children();
}

Test(secret, obtain_by_kind)
{
	struct conf_account a = {.name = "work"};
	struct secret s = {0};

	a.secret_kind = CONF_SECRET_NONE;
	cr_assert_eq(secret_obtain(&s, &a, -1, err, sizeof(err)), 0);
	cr_assert_null(s.data);

	a.secret_kind = CONF_SECRET_PASSWORD;
	a.secret = "inline";
	cr_assert_eq(secret_obtain(&s, &a, -1, err, sizeof(err)), 0);
	cr_assert_str_eq(s.data, "inline");
	cr_assert_neq(s.data, a.secret, "a copy");
	secret_clear(&s);

	write_file("pw", "fromfile\n", 9, 0600);
	a.secret_kind = CONF_SECRET_FILE;
	a.secret = "pw";
	cr_assert_eq(secret_obtain(&s, &a, -1, err, sizeof(err)), 0);
	cr_assert_str_eq(s.data, "fromfile");
	secret_clear(&s);

	a.secret_kind = CONF_SECRET_TOKEN_COMMAND;
	a.secret = "echo ya29.token";
	cr_assert_eq(secret_obtain(&s, &a, -1, err, sizeof(err)), 0);
	cr_assert_str_eq(s.data, "ya29.token");
	secret_clear(&s);

	a.secret_kind = CONF_SECRET_COMMAND;
	a.secret = "false";
	cr_assert_eq(secret_obtain(&s, &a, -1, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "password_command exited with "
	                      "status 1");
}

/* Pieces of a secret overlapping in the text: each is looked for in the
 * text as it was, so masking one does not hide the rest of the next. */
Test(secret, parts_are_masked_whole)
{
	char text[] = "xabcdefgy abc pass";
	redact_secret_parts(text, strlen(text), "abcdXcdefg", 10);
	cr_assert_str_eq(text, "x*******y abc pass");

	/* A short one where it stands alone (redact.h). */
	char tiny[] = "a pin 42 or 421";
	redact_secret_parts(tiny, strlen(tiny), "42", 2);
	cr_assert_str_eq(tiny, "a pin ** or 421");
}
