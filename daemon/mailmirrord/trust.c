/* trust.c - whether a file may speak for mailmirrord; see trust.h. */
#include "mailmirrord/trust.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
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

/* "X belongs to uid N (name), who could change what mailmirrord runs ...;
 * it must belong to root or to us"; for a folder of the cache (cache), what
 * its owner could do there instead, and the way out. */
static int foreign_owner(char *why, size_t whylen, const char *what,
                         uid_t owner, bool cache)
{
	char them[300], us[300], could[400];

	trust_name_uid(them, sizeof(them), owner);
	trust_name_uid(us, sizeof(us), geteuid());
	if (cache)
		snprintf(could, sizeof(could),
		         "could put a file of theirs in the cache's place");
	else
		snprintf(could, sizeof(could),
		         "could change what mailmirrord runs as %s", us);
	snprintf(why, whylen,
	         "%s belongs to %s, who %s; it must belong to %s%s%s", what,
	         them, could, geteuid() == 0 ? "root" : "root or to ",
	         geteuid() == 0 ? "" : us,
	         cache ? ", or choose another cache" : "");
	return -1;
}

/* Whether name is the login name of a or of b. */
static bool named(const char *name, uid_t a, uid_t b)
{
	struct passwd pw, *found = NULL;
	char buf[1024];
	return getpwnam_r(name, &pw, buf, sizeof(buf), &found) == 0 && found &&
	       (found->pw_uid == a || found->pw_uid == b);
}

bool trust_group_only(gid_t gid, uid_t a, uid_t b)
{
	struct group gr, *g = NULL;
	char buf[4096];
	if (getgrgid_r(gid, &gr, buf, sizeof(buf), &g) != 0 || !g)
		return false;
	size_t users = 0;
	for (char **m = g->gr_mem; *m; m++, users++)
		if (!named(*m, a, b))
			return false;
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
			only = pw->pw_uid == a || pw->pw_uid == b;
		}
	endpwent();
	pthread_mutex_unlock(&walking);
	return only && users > 0;
}

bool trust_others_may_write(const struct stat *st)
{
	return (st->st_mode & S_IWOTH) ||
	       ((st->st_mode & S_IWGRP) &&
	        !trust_group_only(st->st_gid, st->st_uid, st->st_uid));
}

bool trust_others_may_read(const struct stat *st)
{
	return (st->st_mode & S_IROTH) ||
	       ((st->st_mode & S_IRGRP) &&
	        !trust_group_only(st->st_gid, st->st_uid, geteuid()));
}

/* real, a resolved absolute folder, and each folder above it up to "/":
 * each must be root's or ours, and none may be written by others unless it
 * is sticky. real is cut short in place. cache: the folders are the
 * cache's, and the message says what to do. */
static int check_folders(char *real, bool cache, char *why, size_t whylen)
{
	char what[PATH_MAX + 16];

	for (;;) {
		struct stat dir;
		if (lstat(real, &dir) < 0) {
			snprintf(why, whylen, "its folder %s: %s", real,
			         strerror(errno));
			return -1;
		}
		if (!ours(dir.st_uid)) {
			snprintf(what, sizeof(what), "its folder %s", real);
			return foreign_owner(why, whylen, what, dir.st_uid,
			                     cache);
		}
		if (trust_others_may_write(&dir) && !(dir.st_mode & S_ISVTX)) {
			bool all = dir.st_mode & S_IWOTH;
			int n = snprintf(
			        why, whylen,
			        "%s may write its folder %s (mode %04o), "
			        "and so put another file in its place",
			        all ? "anyone" : "its group's users", real,
			        (unsigned)(dir.st_mode & 07777));
			if (cache && n >= 0 && (size_t)n < whylen)
				snprintf(why + n, whylen - (size_t)n,
				         "; chmod %s %s, or choose another "
				         "cache",
				         all ? "o-w" : "g-w", real);
			return -1;
		}
		if (strcmp(real, "/") == 0)
			return 0;
		/* the folder above: "/a/b" for "/a/b/c", "/" for "/a" */
		char *slash = strrchr(real, '/');
		slash[slash == real ? 1 : 0] = '\0';
	}
}

int trust_check(const char *path, const struct stat *st, char *why,
                size_t whylen)
{
	if (!ours(st->st_uid))
		return foreign_owner(why, whylen, "it", st->st_uid, false);

	/* The folders as they are, links resolved: a link in the path is
	 * as safe as the folder it is in, which the walk meets. */
	char *real = realpath(path, NULL);
	if (real == NULL) {
		snprintf(why, whylen, "cannot resolve its path: %s",
		         strerror(errno));
		return -1;
	}
	char *slash = strrchr(real, '/');
	slash[slash == real ? 1 : 0] = '\0';
	int rc = check_folders(real, false, why, whylen);
	free(real);
	return rc;
}

/* The cache's file (or its -wal, -shm) at name belongs to another user:
 * said with what to do. */
static int foreign_cache(char *why, size_t whylen, const char *path,
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
		snprintf(
		        why, whylen,
		        "%s: it belongs to %s, not to %s, who runs mailmirrord "
		        "and owns the cache: a run as that user left it; "
		        "chown %s %s* (as root)",
		        name, them, us, login, path);
		return -1;
	}
	snprintf(why, whylen,
	         "%s: it belongs to %s, not to %s, who runs mailmirrord, and "
	         "the mail mirrored into it must be the runner's alone: run "
	         "mailmirrord as its owner if it is theirs (a service's "
	         "cache), chown %s %s* if it is yours, else remove it or "
	         "choose another cache",
	         name, them, us, login, path);
	return -1;
}

int trust_check_cache(const char *path, char *why, size_t whylen)
{
	static const char *const suffixes[] = {"", "-wal", "-shm"};
	char name[PATH_MAX];
	struct stat st;
	bool file_ours = false;

	/* Even root's own file is no cache of ours when another user runs
	 * the daemon: only the owner may chmod it 0600 (schema.c), and
	 * root, running the daemon on a file another user owns, would
	 * write mail into a file that user reads, or holds open. */
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		if (snprintf(name, sizeof(name), "%s%s", path, suffixes[i]) >=
		    (int)sizeof(name)) {
			snprintf(why, whylen, "%s: file name too long", path);
			return -1;
		}
		if (lstat(name, &st) < 0) {
			if (errno == ENOENT || errno == ENOTDIR)
				continue;
			snprintf(why, whylen, "%s: %s", name, strerror(errno));
			return -1;
		}
		/* SQLite opens the -wal and -shm it finds, links followed:
		 * one planted as a link would take the mail elsewhere. The
		 * file itself is cache_check_path()'s to judge. */
		if (i > 0 && !S_ISREG(st.st_mode)) {
			snprintf(why, whylen,
			         "%s is not a regular file; remove it (SQLite "
			         "makes it anew)",
			         name);
			return -1;
		}
		if (st.st_uid != geteuid())
			return foreign_cache(why, whylen, path, name, st.st_uid,
			                     file_ours);
		file_ours = i == 0;
	}

	/* The folder that holds it, or that will (the nearest one there,
	 * for a directory the daemon makes), and every folder above: who
	 * may rename or replace what is in them may put a cache of theirs
	 * at the path, or a -wal, -shm that SQLite then opens. A sticky
	 * one (/tmp) lets no one replace what is ours. */
	char *dir = strdup(path), *real = NULL;
	if (dir == NULL) {
		snprintf(why, whylen, "out of memory");
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
		snprintf(why, whylen, "%s: cannot resolve its folder %s: %s",
		         path, dir, strerror(errno));
		free(dir);
		return -1;
	}
	free(dir);
	char said[PATH_MAX + 512];
	int rc = check_folders(real, true, said, sizeof(said));
	free(real);
	if (rc < 0)
		snprintf(why, whylen, "%s: %s", path, said);
	return rc;
}
