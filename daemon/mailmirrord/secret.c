/* secret.c - passwords and tokens from the config, a file or a command. */
#include "mailmirrord/secret.h"
#include "mailmirrord/child.h"
#include "mailmirrord/config.h"
#include "mailmirrord/linelog.h"
#include "mailmirrord/log.h"
#include "mailmirrord/monotime.h"
#include "mailmirrord/redact.h"
#include "mailmirrord/trust.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* After the command exits, how long its output may still come; and, while
 * it runs, how often we look whether it has. */
#define EXIT_GRACE_MS 200
#define EXIT_CHECK_MS 20

/* Writes the message. The account's name is not in it: every line that
 * carries it (a log line, the status) names the account already. */
__attribute__((format(printf, 4, 5))) static int
fail(char *err, size_t errsz, const char *account, const char *fmt, ...)
{
	va_list ap;

	(void)account;
	if (errsz == 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
	return -1;
}

void secret_clear(struct secret *s)
{
	if (s == NULL)
		return;
	if (s->data != NULL) {
		explicit_bzero(s->data, s->len);
		free(s->data);
	}
	s->data = NULL;
	s->len = 0;
}

/* Makes *out an exact-size copy of src[0..len): the caller wipes src. */
static int keep(struct secret *out, const char *account, const char *what,
                const char *src, size_t len, char *err, size_t errsz)
{
	if (len == 0)
		return fail(err, errsz, account, "%s is empty", what);
	/* The secret goes into a LOGIN argument or a SASL exchange, where
	 * these bytes would end or corrupt the command. */
	for (size_t i = 0; i < len; i++) {
		if (src[i] == '\0' || src[i] == '\r' || src[i] == '\n')
			return fail(err, errsz, account,
			            "%s contains a NUL, CR or LF byte", what);
	}
	out->data = malloc(len + 1);
	if (out->data == NULL)
		return fail(err, errsz, account, "%s: out of memory", what);
	memcpy(out->data, src, len);
	out->data[len] = '\0';
	out->len = len;
	return 0;
}

int secret_from_string(struct secret *out, const char *account,
                       const char *password, char *err, size_t errsz)
{
	*out = (struct secret){0};
	if (password == NULL)
		return fail(err, errsz, account, "password is not set");
	return keep(out, account, "password", password, strlen(password), err,
	            errsz);
}

/* "staff", or the number of a group without a name. */
static void name_gid(char *out, size_t outlen, gid_t gid)
{
	struct group gr, *found = NULL;
	char buf[4096];

	if (getgrgid_r(gid, &gr, buf, sizeof(buf), &found) == 0 && found)
		snprintf(out, outlen, "%s", found->gr_name);
	else
		snprintf(out, outlen, "%u", (unsigned)gid);
}

/* Its fix is to run as that user, not to make the file root's alone,
 * which stops the service (explore81). */
bool secret_service_file(const struct stat *st, char *user, size_t len)
{
	uid_t other;
	struct passwd pw, *found = NULL;
	char buf[1024];

	/* nobody is no one service's user: its group (nogroup) is where
	 * anything may run. */
	if (geteuid() != 0 || st->st_uid != 0 || !(st->st_mode & S_IRGRP) ||
	    !trust_group_of_one_more(st->st_gid, st->st_uid, &other) ||
	    other == st->st_uid || other == 65534 ||
	    getpwuid_r(other, &pw, buf, sizeof(buf), &found) != 0 || !found)
		return false;
	snprintf(user, len, "%s", found->pw_name);
	return true;
}

/* Others may read the file st describes (trust_others_may_read()): says
 * who, and what makes it private while the daemon can still read it.
 * chmod 600 is that only when the daemon's user owns it; a service's file
 * of root's is read through the service's group (root:mailmirror 0640). */
static int exposed(const struct stat *st, const char *path, char *err,
                   size_t errsz)
{
	unsigned mode = (unsigned)(st->st_mode & 07777);
	bool own = st->st_uid == geteuid();
	char svc[256];
	bool service = secret_service_file(st, svc, sizeof(svc));

	if (st->st_mode & S_IROTH)
		return fail(err, errsz, NULL,
		            "password_file %s is readable by anyone (mode "
		            "%04o); chmod %s %s",
		            path, mode, own && !service ? "600" : "o-r", path);

	char group[256], owner[300], us[300], fix[PATH_MAX + 400];
	name_gid(group, sizeof(group), st->st_gid);
	if (service)
		return fail(err, errsz, NULL,
		            "password_file %s is readable by its group %s "
		            "(mode %04o), which %s alone is in: it is the file "
		            "of a service run as that user, and mailmirrord "
		            "runs as root; run it as that user, as the service "
		            "does (runuser -u %s -- env "
		            "STATE_DIRECTORY=/var/lib/mailmirror mailmirrord "
		            "...)",
		            path, group, mode, svc, svc);
	trust_name_uid(owner, sizeof(owner), st->st_uid);
	trust_name_uid(us, sizeof(us), geteuid());
	if (own) {
		snprintf(fix, sizeof(fix), "chmod 600 %s", path);
	} else if (trust_group_only(getegid(), st->st_uid, geteuid())) {
		char ours[256];
		name_gid(ours, sizeof(ours), getegid());
		snprintf(fix, sizeof(fix), "chgrp %s %s", ours, path);
	} else {
		snprintf(fix, sizeof(fix),
		         "give it a group no one but %s is in, or chown it to "
		         "that user and chmod 600 %s",
		         us, path);
	}
	/* "Others" may be no user at all: a group without users is where
	 * setgid programs run (trust_group_only()). */
	if (own)
		return fail(err, errsz, NULL,
		            "password_file %s is readable by its group %s "
		            "(mode %04o), which is open to others than %s, its "
		            "owner, who runs mailmirrord; %s",
		            path, group, mode, us, fix);
	return fail(err, errsz, NULL,
	            "password_file %s is readable by its group %s (mode %04o), "
	            "which is open to others than %s, its owner, and %s, who "
	            "runs mailmirrord; %s",
	            path, group, mode, owner, us, fix);
}

/* The checks shared by the loader (on the path) and the reader (on the
 * opened file, so that a file replaced in between is still checked): both
 * judge the group by the same rule, for a daemon run as reader, so a file
 * --check-config takes is read at login. */
static int check_stat(const struct stat *st, uid_t reader, const char *path,
                      char *err, size_t errsz)
{
	if (!S_ISREG(st->st_mode))
		return fail(err, errsz, NULL,
		            "password_file %s is not a regular file", path);
	if (trust_others_may_read_but(st, reader))
		return exposed(st, path, err, errsz);
	/* Whoever may write it may put their own password there, and read
	 * the mail it opens. */
	char svc[256];
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return fail(err, errsz, NULL,
		            "password_file %s is writable by others (chmod %s)",
		            path,
		            secret_service_file(st, svc, sizeof(svc)) ? "go-w"
		                                                      : "600");
	/* Its owner reads the password, and may put another in its place. */
	char why[PATH_MAX + 256];
	if (trust_check(path, st, why, sizeof(why)) < 0)
		return fail(err, errsz, NULL, "password_file %s: %s", path,
		            why);
	return 0;
}

static bool for_service;

void secret_check_for_service(bool on)
{
	for_service = on;
}

/* Whom the loader judges a password_file for: the daemon's user, which
 * is the one that loads it, but for a check as root that stands in for
 * the service. Root cannot tell which user the unit's User= names; the
 * file's group can: a file of root's that one user besides reads through
 * its group (root:mailmirror 0640) is that user's, as it would be if the
 * daemon, run as that user, judged it. A daemon run as root itself still
 * refuses it: that user is not the daemon. */
static uid_t judged_reader(const struct stat *st)
{
	uid_t other;
	if (for_service && geteuid() == 0 && (st->st_mode & S_IRGRP) &&
	    trust_group_of_one_more(st->st_gid, st->st_uid, &other))
		return other;
	return geteuid();
}

/* Reads the password from fd, the open password_file path: what
 * secret_from_file() keeps. */
static int read_secret(struct secret *out, const char *account, int fd,
                       const char *path, char *err, size_t errsz)
{
	size_t len = 0;
	int rc = -1;
	char *buf = malloc(SECRET_FILE_MAX + 1);

	if (buf == NULL)
		return fail(err, errsz, account,
		            "password_file: out of memory");
	while (len <= SECRET_FILE_MAX) {
		ssize_t n = read(fd, buf + len, SECRET_FILE_MAX + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fail(err, errsz, account, "password_file %s: %s", path,
			     strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > SECRET_FILE_MAX) {
		fail(err, errsz, account,
		     "password_file %s is larger than %d bytes", path,
		     SECRET_FILE_MAX);
		goto out;
	}
	/* Editors end files with a newline (LF or CR LF); it is not part of
	 * the password. A lone CR is: mailmirror.conf(5). */
	if (len > 0 && buf[len - 1] == '\n') {
		len--;
		if (len > 0 && buf[len - 1] == '\r')
			len--;
	}
	/* Said as such: "contains a NUL, CR or LF byte" did not tell the
	 * user of a file ending in an empty line what was wrong with it
	 * (explore81). */
	if (memchr(buf, '\n', len) != NULL) {
		fail(err, errsz, account,
		     "password_file %s has more than one line", path);
		goto out;
	}
	rc = keep(out, account, "password_file", buf, len, err, errsz);
out:
	explicit_bzero(buf, SECRET_FILE_MAX + 1);
	free(buf);
	return rc;
}

int secret_check_file(const char *path, char *err, size_t errsz)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return fail(err, errsz, NULL, "password_file %s: %s", path,
		            strerror(errno));
	if (check_stat(&st, judged_reader(&st), path, err, errsz) < 0)
		return -1;
	/* As the daemon will read it: a file it may not read is the
	 * configuration's error, found before anything is written, not a
	 * failure retried at every login. */
	if (faccessat(AT_FDCWD, path, R_OK, AT_EACCESS) < 0)
		return fail(err, errsz, NULL,
		            "password_file %s: %s (reading as uid %u)", path,
		            strerror(errno), (unsigned)geteuid());
	/* What it holds, too: a file that no login can use (empty, two
	 * lines) passed the check, then failed every login (explore81). */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return fail(err, errsz, NULL, "password_file %s: %s", path,
		            strerror(errno));
	struct secret s = {0};
	int rc = read_secret(&s, NULL, fd, path, err, errsz);
	secret_clear(&s);
	close(fd);
	return rc;
}

int secret_from_file(struct secret *out, const char *account, const char *path,
                     char *err, size_t errsz)
{
	struct stat st;
	int fd, rc = -1;
	char why[2 * PATH_MAX + 1024];

	*out = (struct secret){0};
	/* O_NONBLOCK: a FIFO put in the file's place must not hang us
	 * before fstat() refuses it. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return fail(err, errsz, account, "password_file %s: %s", path,
		            strerror(errno));
	if (fstat(fd, &st) < 0) {
		fail(err, errsz, account, "password_file %s: %s", path,
		     strerror(errno));
		goto out;
	}
	if (check_stat(&st, geteuid(), path, why, sizeof(why)) < 0) {
		fail(err, errsz, account, "%s", why);
		goto out;
	}
	rc = read_secret(out, account, fd, path, err, errsz);
out:
	close(fd);
	return rc;
}

/* ------------------------------------------------------------- commands */

/* Reaps pid, waiting until deadline; then kills its group and reaps it.
 * Returns the wait status, or -1 when it had to be killed. */
static int reap(pid_t pid, int64_t deadline)
{
	int status;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return status;
		if (r < 0 && errno != EINTR)
			return -2; /* not ours to reap: nothing left to do */
		if (mono_ms() >= deadline)
			break;
		nanosleep(&(struct timespec){.tv_nsec = 10 * 1000000}, NULL);
	}
	kill(-pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return -1;
}

/* What a running command has given so far. out holds the secret: it is
 * allocated once at its limit (SECRET_COMMAND_MAX + 1, one byte more to
 * tell an overflow) so that no realloc() leaves a copy behind. err keeps
 * the start of the standard error, which is logged; the rest is counted. */
struct run {
	pid_t pid;
	int status; /* valid once exited */
	bool exited;
	int fd[2]; /* stdout, stderr; -1 once at EOF or closed */
	char *out;
	size_t out_len;
	char err[SECRET_STDERR_MAX];
	size_t err_len;
	uint64_t err_dropped;
};

enum read_end {
	READ_DONE,
	READ_TOO_BIG,
	READ_TIMEOUT,
	READ_ERROR,
	READ_CANCELLED,
};

/* Reads what fd i has. false when it ended (EOF or an error, *failed then
 * set for an error on stdout). */
static bool read_some(struct run *r, int i, bool *failed)
{
	char sink[512];
	ssize_t n;

	if (i == 0)
		n = read(r->fd[0], r->out + r->out_len,
		         SECRET_COMMAND_MAX + 1 - r->out_len);
	else if (r->err_len < sizeof(r->err))
		n = read(r->fd[1], r->err + r->err_len,
		         sizeof(r->err) - r->err_len);
	else
		n = read(r->fd[1], sink, sizeof(sink));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n <= 0) {
		*failed = n < 0 && i == 0;
		return false;
	}
	if (i == 0)
		r->out_len += (size_t)n;
	else if (r->err_len < sizeof(r->err))
		r->err_len += (size_t)n;
	else
		r->err_dropped += (uint64_t)n;
	return true;
}

/* Reads both outputs until they end, or until the command has exited and
 * EXIT_GRACE_MS more have passed: a child it left in the background
 * ("agent &") may hold the pipes open for as long as it lives, and the
 * password was printed before the exit. */
static enum read_end collect(struct run *r, int64_t deadline, int cancel_fd)
{
	int64_t grace_end = INT64_MAX;

	while (r->fd[0] >= 0 || r->fd[1] >= 0) {
		struct pollfd p[3] = {{.fd = r->fd[0], .events = POLLIN},
		                      {.fd = r->fd[1], .events = POLLIN},
		                      {.fd = cancel_fd, .events = POLLIN}};
		int64_t now = mono_ms(), end = deadline, left;
		int n;

		if (!r->exited &&
		    waitpid(r->pid, &r->status, WNOHANG) == r->pid) {
			r->exited = true;
			grace_end = now + EXIT_GRACE_MS;
		}
		if (grace_end < end)
			end = grace_end;
		if (now >= end)
			return r->exited ? READ_DONE : READ_TIMEOUT;
		left = end - now;
		/* Until it exits, look at it now and then: poll() does not
		 * tell when a child ends. */
		if (!r->exited && left > EXIT_CHECK_MS)
			left = EXIT_CHECK_MS;
		n = poll(p, 3, (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return READ_ERROR;
		if (p[2].revents)
			return READ_CANCELLED;
		for (int i = 0; i < 2; i++) {
			bool failed = false;

			if (p[i].fd < 0 || p[i].revents == 0)
				continue;
			if (!read_some(r, i, &failed)) {
				close(r->fd[i]);
				r->fd[i] = -1;
				if (failed)
					return READ_ERROR;
			}
		}
		if (r->out_len > SECRET_COMMAND_MAX)
			return READ_TOO_BIG;
	}
	return READ_DONE;
}

/* The length of the first line of the command's output, without its
 * "\r\n": the secret. */
static size_t first_line(const struct run *r)
{
	size_t n = 0;
	while (n < r->out_len && r->out[n] != '\n')
		n++;
	if (n > 0 && r->out[n - 1] == '\r')
		n--;
	return n;
}

/* The command's diagnostics ("gpg: decryption failed: No secret key"),
 * one log line each, as the account's: sanitized like server text (the
 * command may print anything), cut, and at most a few. A warning when the
 * command failed, else only information: many helpers chat on stderr even
 * when all went well. */
static void log_stderr(const struct run *r, const char *account,
                       const char *what, bool failed)
{
	/* A command that echoes what it prints ("set -x") would log the
	 * secret: its first line of output is masked first, kept or not,
	 * and so is any piece of it the command printed. */
	char text[SECRET_STDERR_MAX];
	memcpy(text, r->err, r->err_len);
	redact_secret(text, r->err_len, r->out, first_line(r),
	              r->err_dropped > 0);
	redact_secret_parts(text, r->err_len, r->out, first_line(r));

	struct linelog said = {
	        .account = account,
	        .who = what,
	        .level = failed ? LOG_LEVEL_WARNING : LOG_LEVEL_INFO,
	        .max_lines = SECRET_STDERR_LINES,
	        .line_max = SECRET_STDERR_LINE - 1,
	        .rest = LINELOG_REST_BYTES,
	};
	size_t used = linelog_lines(&said, text, r->err_len);

	linelog_line(&said, text + used, r->err_len - used);
	linelog_end(&said, r->err_dropped);
	explicit_bzero(text, r->err_len);
}

/* secret_from_command, given up when cancel_fd (-1: none) is readable. */
static int from_command(struct secret *out, const char *account,
                        const char *what, const char *command, int timeout_ms,
                        int cancel_fd, char *err, size_t errsz)
{
	const size_t bufsz = SECRET_COMMAND_MAX + 1;
	int64_t deadline;
	enum read_end end;
	int outp[2], errp[2], rc, status;
	size_t line;
	struct run *r;

	*out = (struct secret){0};
	if (timeout_ms <= 0)
		timeout_ms = SECRET_COMMAND_TIMEOUT_MS;
	if (command == NULL || *command == '\0')
		return fail(err, errsz, account, "%s is empty", what);
	r = calloc(1, sizeof(*r));
	if (r == NULL || (r->out = malloc(bufsz)) == NULL) {
		free(r);
		return fail(err, errsz, account, "%s: out of memory", what);
	}
	if (pipe2(outp, O_CLOEXEC) < 0) {
		rc = errno;
		goto pipe_failed;
	}
	if (pipe2(errp, O_CLOEXEC) < 0) {
		rc = errno;
		close(outp[0]);
		close(outp[1]);
		goto pipe_failed;
	}
	rc = child_spawn_sh(&r->pid, command, NULL, outp[1], errp[1]);
	close(outp[1]);
	close(errp[1]);
	r->fd[0] = outp[0];
	r->fd[1] = errp[0];
	if (rc != 0) {
		close(r->fd[0]);
		close(r->fd[1]);
		free(r->out);
		free(r);
		return fail(err, errsz, account, "%s cannot be started: %s",
		            what, strerror(rc));
	}

	deadline = mono_ms() + timeout_ms;
	end = collect(r, deadline, cancel_fd);
	for (int i = 0; i < 2; i++)
		if (r->fd[i] >= 0)
			close(r->fd[i]);
	if (r->exited)
		status = r->status;
	else
		status = reap(r->pid, end == READ_DONE ? deadline : 0);

	rc = -1;
	if (end == READ_CANCELLED)
		fail(err, errsz, account, "%s stopped: the account stops",
		     what);
	else if (end == READ_TOO_BIG)
		fail(err, errsz, account, "%s printed more than %d bytes", what,
		     SECRET_COMMAND_MAX);
	else if (end == READ_TIMEOUT || (end == READ_DONE && status == -1))
		fail(err, errsz, account, "%s timed out after %d %s", what,
		     timeout_ms % 1000 ? timeout_ms : timeout_ms / 1000,
		     timeout_ms % 1000 ? "ms" : "s");
	else if (end == READ_ERROR)
		fail(err, errsz, account, "%s: reading its output failed",
		     what);
	else if (status == -2)
		fail(err, errsz, account,
		     "%s: its exit status was lost (SIGCHLD ignored?)", what);
	else if (WIFSIGNALED(status))
		fail(err, errsz, account, "%s was killed by signal %d", what,
		     WTERMSIG(status));
	else if (WEXITSTATUS(status) != 0)
		fail(err, errsz, account, "%s exited with status %d", what,
		     WEXITSTATUS(status));
	else
		rc = 0;

	if (rc == 0) {
		line = first_line(r);
		if (line == 0)
			rc = fail(err, errsz, account,
			          "%s printed nothing on its first line", what);
		else
			rc = keep(out, account, what, r->out, line, err, errsz);
	}
	log_stderr(r, account, what, rc < 0);
	explicit_bzero(r->out, bufsz);
	free(r->out);
	free(r);
	return rc;

pipe_failed:
	free(r->out);
	free(r);
	return fail(err, errsz, account, "%s: pipe: %s", what, strerror(rc));
}

int secret_from_command(struct secret *out, const char *account,
                        const char *what, const char *command, int timeout_ms,
                        char *err, size_t errsz)
{
	return from_command(out, account, what, command, timeout_ms, -1, err,
	                    errsz);
}

int secret_obtain(struct secret *out, const struct conf_account *acct,
                  int cancel_fd, char *err, size_t errsz)
{
	*out = (struct secret){0};
	switch (acct->secret_kind) {
	case CONF_SECRET_NONE:
		return 0;
	case CONF_SECRET_PASSWORD:
		return secret_from_string(out, acct->name, acct->secret, err,
		                          errsz);
	case CONF_SECRET_FILE:
		return secret_from_file(out, acct->name, acct->secret, err,
		                        errsz);
	case CONF_SECRET_COMMAND:
		return from_command(out, acct->name, "password_command",
		                    acct->secret, 0, cancel_fd, err, errsz);
	case CONF_SECRET_TOKEN_COMMAND:
		return from_command(out, acct->name, "token_command",
		                    acct->secret, 0, cancel_fd, err, errsz);
	}
	return fail(err, errsz, acct->name, "no password source configured");
}
