/* trust.c - whether a file may speak for mailmirrord; see trust.h. */
#include "mailmirrord/trust.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool ours(uid_t uid)
{
	return uid == 0 || uid == geteuid();
}

void trust_name_uid(char *out, size_t outlen, uid_t uid)
{
	struct passwd pw, *found = NULL;
	char buf[1024];

	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &found) == 0 && found)
		snprintf(out, outlen, "uid %u (%s)", (unsigned)uid,
		         found->pw_name);
	else
		snprintf(out, outlen, "uid %u", (unsigned)uid);
}

/* One more problem, or one more counted when *p is full. */
__attribute__((format(printf, 2, 3))) static void
problem(struct trust_problems *p, const char *fmt, ...)
{
	va_list ap;

	if (p->n == TRUST_MAX_PROBLEMS) {
		p->more++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(p->msg[p->n++], sizeof(p->msg[0]), fmt, ap);
	va_end(ap);
}

/* "X belongs to uid N (name), who could change what mailmirrord runs ...;
 * it must belong to root or to us" (or, given does, "who could " does);
 * for a folder of the cache (cache), what its owner could do there
 * instead, and the way out. Each problem starts with prefix. */
static void foreign_owner(struct trust_problems *p, const char *prefix,
                          const char *what, uid_t owner, bool cache,
                          const char *does)
{
	char them[300], us[300], could[400];

	trust_name_uid(them, sizeof(them), owner);
	trust_name_uid(us, sizeof(us), geteuid());
	if (cache)
		snprintf(could, sizeof(could),
		         "could put a file of theirs in the cache's place");
	else if (does)
		snprintf(could, sizeof(could), "could %s", does);
	else
		snprintf(could, sizeof(could),
		         "could change what mailmirrord runs as %s", us);
	problem(p, "%s%s belongs to %s, who %s; it must belong to %s%s%s",
	        prefix, what, them, could,
	        geteuid() == 0 ? "root" : "root or to ",
	        geteuid() == 0 ? "" : us,
	        cache ? ", or choose another cache" : "");
}

/* Whether uid is a or the one other user the group has: the first such
 * seen becomes *other. */
static bool one_more(uid_t uid, uid_t a, uid_t *other, bool *seen)
{
	if (uid == a)
		return true;
	if (!*seen) {
		*other = uid;
		*seen = true;
		return true;
	}
	return uid == *other;
}

bool trust_group_of_one_more(gid_t gid, uid_t a, uid_t *other)
{
	struct group gr, *g = NULL;
	char buf[4096];
	bool seen = false;
	*other = a;
	if (getgrgid_r(gid, &gr, buf, sizeof(buf), &g) != 0 || !g)
		return false;
	size_t users = 0;
	for (char **m = g->gr_mem; *m; m++, users++) {
		struct passwd pw, *found = NULL;
		char pwbuf[1024];
		if (getpwnam_r(*m, &pw, pwbuf, sizeof(pwbuf), &found) != 0 ||
		    !found || !one_more(found->pw_uid, a, other, &seen))
			return false;
	}
	/* Users whose primary group it is are not listed in it. The walk's
	 * place is the process's: two threads walking at once (a reload
	 * and an account's password_file) would each see part of it. */
	static pthread_mutex_t walking = PTHREAD_MUTEX_INITIALIZER;
	bool only = true;
	pthread_mutex_lock(&walking);
	setpwent();
	for (struct passwd *pw; only && (pw = getpwent()) != NULL;)
		if (pw->pw_gid == gid) {
			users++;
			only = one_more(pw->pw_uid, a, other, &seen);
		}
	endpwent();
	pthread_mutex_unlock(&walking);
	if (!only)
		*other = a;
	return only && users > 0;
}

bool trust_group_only(gid_t gid, uid_t a, uid_t b)
{
	uid_t other;
	return trust_group_of_one_more(gid, a, &other) &&
	       (other == a || other == b);
}

bool trust_others_may_write(const struct stat *st)
{
	return (st->st_mode & S_IWOTH) ||
	       ((st->st_mode & S_IWGRP) &&
	        !trust_group_only(st->st_gid, st->st_uid, st->st_uid));
}

bool trust_others_may_read_but(const struct stat *st, uid_t reader)
{
	return (st->st_mode & S_IROTH) ||
	       ((st->st_mode & S_IRGRP) &&
	        !trust_group_only(st->st_gid, st->st_uid, reader));
}

bool trust_others_may_read(const struct stat *st)
{
	return trust_others_may_read_but(st, geteuid());
}

/* real, a resolved absolute folder, and each folder above it up to "/":
 * each must be root's or ours, and none may be written by others unless it
 * is sticky. real is cut short in place. A file's folders (!cache): the
 * first problem alone. The cache's (cache): every problem, each starting
 * with prefix and saying what to do, so that one run names them all.
 * does: as foreign_owner() takes it. */
static void check_folders(struct trust_problems *p, char *real, bool cache,
                          const char *prefix, const char *does)
{
	const size_t had = p->n + p->more;
	char what[PATH_MAX + 16];

	for (;;) {
		struct stat dir;
		if (lstat(real, &dir) < 0) {
			problem(p, "%sits folder %s: %s", prefix, real,
			        strerror(errno));
		} else {
			if (!ours(dir.st_uid)) {
				snprintf(what, sizeof(what), "its folder %s",
				         real);
				foreign_owner(p, prefix, what, dir.st_uid,
				              cache, does);
			}
			/* Both for the cache's folder of another user's
			 * that anyone may write: made root's, it is still
			 * open to all. */
			if (trust_others_may_write(&dir) &&
			    !(dir.st_mode & S_ISVTX) &&
			    (cache || p->n + p->more == had)) {
				bool all = dir.st_mode & S_IWOTH;
				char fix[PATH_MAX + 64] = "";
				if (cache)
					snprintf(fix, sizeof(fix),
					         "; chmod %s %s, or choose "
					         "another cache",
					         all ? "o-w" : "g-w", real);
				problem(p,
				        "%s%s may write its folder %s (mode "
				        "%04o), and so put another file in its "
				        "place%s",
				        prefix,
				        all ? "anyone" : "its group's users",
				        real, (unsigned)(dir.st_mode & 07777),
				        fix);
			}
		}
		if ((!cache && p->n + p->more > had) || strcmp(real, "/") == 0)
			return;
		/* the folder above: "/a/b" for "/a/b/c", "/" for "/a" */
		char *slash = strrchr(real, '/');
		slash[slash == real ? 1 : 0] = '\0';
	}
}

/* trust_check(), its owners said to be able to do what does says. */
static int check_file(const char *path, const struct stat *st, const char *does,
                      char *why, size_t whylen)
{
	struct trust_problems p = {0};

	if (!ours(st->st_uid)) {
		foreign_owner(&p, "", "it", st->st_uid, false, does);
	} else {
		/* The folders as they are, links resolved: a link in the
		 * path is as safe as the folder it is in, which the walk
		 * meets. */
		char *real = realpath(path, NULL);
		if (real == NULL) {
			problem(&p, "cannot resolve its path: %s",
			        strerror(errno));
		} else {
			char *slash = strrchr(real, '/');
			slash[slash == real ? 1 : 0] = '\0';
			check_folders(&p, real, false, "", does);
			free(real);
		}
	}
	if (p.n == 0)
		return 0;
	snprintf(why, whylen, "%s", p.msg[0]);
	return -1;
}

int trust_check(const char *path, const struct stat *st, char *why,
                size_t whylen)
{
	return check_file(path, st, NULL, why, whylen);
}

int trust_check_writers(const char *path, const struct stat *st,
                        const char *what, const char *does, char *why,
                        size_t whylen)
{
	if (trust_others_may_write(st)) {
		bool all = st->st_mode & S_IWOTH;
		snprintf(why, whylen,
		         "%s may write %s (mode %04o), and so %s; chmod %s %s",
		         all ? "anyone" : "its group's users", what,
		         (unsigned)(st->st_mode & 07777),
		         does ? does : "run commands as mailmirrord",
		         all ? "o-w" : "g-w", path);
		return -1;
	}
	return check_file(path, st, does, why, whylen);
}

/* The cache's file (or its -wal, -shm) at name belongs to another user:
 * said with what to do. */
static void foreign_cache(struct trust_problems *p, const char *path,
                          const char *name, uid_t owner, bool file_ours)
{
	struct passwd pw, *found = NULL;
	char them[300], us[300], buf[1024], login[64];

	trust_name_uid(them, sizeof(them), owner);
	trust_name_uid(us, sizeof(us), geteuid());
	if (getpwuid_r(geteuid(), &pw, buf, sizeof(buf), &found) == 0 && found)
		snprintf(login, sizeof(login), "%s", found->pw_name);
	else
		snprintf(login, sizeof(login), "%u", (unsigned)geteuid());
	/* The cache ours, its journal another's: a run as another user
	 * (root's) made it, and the owner is no one to run as (explore74).
	 * A -wal may hold commits not yet in the file: not to remove. */
	if (file_ours) {
		problem(p,
		        "%s: it belongs to %s, not to %s, who runs mailmirrord "
		        "and owns the cache: a run as that user left it; "
		        "chown %s %s* (as root)",
		        name, them, us, login, path);
		return;
	}
	problem(p,
	        "%s: it belongs to %s, not to %s, who runs mailmirrord, and "
	        "the mail mirrored into it must be the runner's alone: run "
	        "mailmirrord as its owner if it is theirs (a service's "
	        "cache), chown %s %s* if it is yours, else remove it or "
	        "choose another cache",
	        name, them, us, login, path);
}

int trust_check_cache(struct trust_problems *out, const char *path)
{
	static const char *const suffixes[] = {"", "-wal", "-shm"};
	char name[PATH_MAX];
	struct stat st;
	bool file_ours = false, owner_told = false;
	uid_t told = 0;

	*out = (struct trust_problems){0};
	/* Even root's own file is no cache of ours when another user runs
	 * the daemon: only the owner may chmod it 0600 (schema.c), and
	 * root, running the daemon on a file another user owns, would
	 * write mail into a file that user reads, or holds open. */
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		if (snprintf(name, sizeof(name), "%s%s", path, suffixes[i]) >=
		    (int)sizeof(name)) {
			problem(out, "%s: file name too long", path);
			return -1;
		}
		if (lstat(name, &st) < 0) {
			if (errno != ENOENT && errno != ENOTDIR)
				problem(out, "%s: %s", name, strerror(errno));
			continue;
		}
		/* SQLite opens the -wal and -shm it finds, links followed:
		 * one planted as a link would take the mail elsewhere. The
		 * file itself is cache_check_path()'s to judge. */
		if (i > 0 && !S_ISREG(st.st_mode)) {
			problem(out,
			        "%s is not a regular file; remove it (SQLite "
			        "makes it anew)",
			        name);
			continue;
		}
		/* Each way out ends "chown USER PATH*", which gives the
		 * three files back at once: a second file of the owner
		 * already named would only repeat it. */
		if (st.st_uid != geteuid() &&
		    !(owner_told && told == st.st_uid)) {
			foreign_cache(out, path, name, st.st_uid, file_ours);
			owner_told = true;
			told = st.st_uid;
		}
		file_ours = i == 0 && st.st_uid == geteuid();
	}

	/* The folder that holds it, or that will (the nearest one there,
	 * for a directory the daemon makes), and every folder above: who
	 * may rename or replace what is in them may put a cache of theirs
	 * at the path, or a -wal, -shm that SQLite then opens. A sticky
	 * one (/tmp) lets no one replace what is ours. */
	char *dir = strdup(path), *real = NULL;
	if (dir == NULL) {
		problem(out, "out of memory");
		return -1;
	}
	for (;;) {
		char *slash = strrchr(dir, '/');
		if (slash == NULL)
			break;
		slash[slash == dir ? 1 : 0] = '\0';
		if ((real = realpath(dir, NULL)) != NULL ||
		    (errno != ENOENT && errno != ENOTDIR) ||
		    strcmp(dir, "/") == 0)
			break;
	}
	if (real == NULL) {
		problem(out, "%s: cannot resolve its folder %s: %s", path, dir,
		        strerror(errno));
		free(dir);
		return -1;
	}
	free(dir);
	char prefix[PATH_MAX + 8];
	snprintf(prefix, sizeof(prefix), "%s: ", path);
	check_folders(out, real, true, prefix, NULL);
	free(real);
	return out->n > 0 ? -1 : 0;
}
