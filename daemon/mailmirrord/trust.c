/* trust.c - whether a file may speak for mailmirrord; see trust.h. */
#include "mailmirrord/trust.h"

#include <errno.h>
#include <limits.h>
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
		} else if ((dir.st_mode & S_IWOTH) &&
		           !(dir.st_mode & S_ISVTX)) {
			snprintf(why, whylen,
			         "anyone may write its folder %s (mode %04o), "
			         "and so put another file in its place",
			         real, (unsigned)(dir.st_mode & 07777));
			rc = -1;
		}
		if (strcmp(real, "/") == 0)
			break;
	}
	free(real);
	return rc;
}
