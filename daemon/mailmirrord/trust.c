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
#include <unistd.h>

static bool ours(uid_t uid)
{
	return uid == 0 || uid == geteuid();
}

/* "uid 1000 (alice)", or the number alone for a uid without a name. */
static void name_uid(char *out, size_t outlen, uid_t uid)
{
	struct passwd pw, *found = NULL;
	char buf[1024];

	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &found) == 0 && found)
		snprintf(out, outlen, "uid %u (%s)", (unsigned)uid,
		         found->pw_name);
	else
		snprintf(out, outlen, "uid %u", (unsigned)uid);
}

static int foreign_owner(char *why, size_t whylen, const char *what,
                         uid_t owner)
{
	char them[300], us[300];

	name_uid(them, sizeof(them), owner);
	name_uid(us, sizeof(us), geteuid());
	snprintf(why, whylen,
	         "%s belongs to %s, who could change what mailmirrord runs "
	         "as %s; it must belong to %s%s",
	         what, them, us, geteuid() == 0 ? "root" : "root or to ",
	         geteuid() == 0 ? "" : us);
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

int trust_check(const char *path, const struct stat *st, char *why,
                size_t whylen)
{
	if (!ours(st->st_uid))
		return foreign_owner(why, whylen, "it", st->st_uid);

	/* The folders as they are, links resolved: a link in the path is
	 * as safe as the folder it is in, which the walk meets. */
	char *real = realpath(path, NULL);
	if (real == NULL) {
		snprintf(why, whylen, "cannot resolve its path: %s",
		         strerror(errno));
		return -1;
	}
	int rc = 0;
	char what[PATH_MAX + 16];
	for (char *slash; rc == 0 && (slash = strrchr(real, '/')) != NULL;) {
		/* the folder above: "/a/b" for "/a/b/c", "/" for "/a" */
		slash[slash == real ? 1 : 0] = '\0';
		struct stat dir;
		if (lstat(real, &dir) < 0) {
			snprintf(why, whylen, "its folder %s: %s", real,
			         strerror(errno));
			rc = -1;
		} else if (!ours(dir.st_uid)) {
			snprintf(what, sizeof(what), "its folder %s", real);
			rc = foreign_owner(why, whylen, what, dir.st_uid);
		} else if (trust_others_may_write(&dir) &&
		           !(dir.st_mode & S_ISVTX)) {
			snprintf(why, whylen,
			         "%s may write its folder %s (mode %04o), "
			         "and so put another file in its place",
			         (dir.st_mode & S_IWOTH) ? "anyone"
			                                 : "its group's users",
			         real, (unsigned)(dir.st_mode & 07777));
			rc = -1;
		}
		if (strcmp(real, "/") == 0)
			break;
	}
	free(real);
	return rc;
}
