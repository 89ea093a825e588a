/* as_nobody.h - checks of permissions that mean something under root.
 *
 * CI runs the suites as root, for whom every directory is writable. A test
 * of what an unprivileged service sees takes the effective IDs of nobody
 * for the part that checks, and gives them back for its teardown. */
#ifndef MM_TESTS_AS_NOBODY_H
#define MM_TESTS_AS_NOBODY_H

#include <criterion/criterion.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <unistd.h>

#define NOBODY_ID 65534

/* Takes the effective IDs uid and gid when running as root; dir (the
 * test's own folder) is opened for that user to search, never to write. */
static inline void become_user(const char *dir, uid_t uid, gid_t gid)
{
	if (geteuid() != 0)
		return;
	cr_assert(chmod(dir, 0711) == 0);
	cr_assert(setegid(gid) == 0);
	cr_assert(seteuid(uid) == 0);
}

/* become_user() as nobody. */
static inline void become_nobody(const char *dir)
{
	become_user(dir, NOBODY_ID, NOBODY_ID);
}

/* Gives root back its effective IDs; a no-op when the test never had them
 * or has them already. */
static inline void become_self(void)
{
	if (getuid() != 0 || geteuid() == 0)
		return;
	cr_assert(seteuid(0) == 0);
	cr_assert(setegid(0) == 0);
}

/* The service's accounts, made once and kept, as the harness keeps its
 * mail user: SVC_USER with a group of its own, and SHARED_GROUP, which
 * lists SVC_USER and nobody (an admin's "usermod -aG mailmirror alice").
 * The harness's lock serialises the tools' edits of /etc/passwd. */
#define SVC_USER     "mm-pwfile-svc"
#define SHARED_GROUP "mm-pwfile-shared"

static inline void make_service_accounts(void)
{
	const char *sh =
	        "set -e; mkdir -p /run/lock; "
	        "exec 9>/run/lock/mailmirror-useradd.lock; flock 9; "
	        "getent passwd " SVC_USER " >/dev/null || "
	        "useradd --system --user-group --no-create-home --home-dir "
	        "/nonexistent --shell /usr/sbin/nologin --comment "
	        "'mailmirror test service' " SVC_USER "; "
	        "getent group " SHARED_GROUP " >/dev/null || "
	        "groupadd --system " SHARED_GROUP "; "
	        "[ \"$(getent group " SHARED_GROUP " | cut -d: -f4)\" = "
	        "" SVC_USER ",nobody ] || "
	        "gpasswd -M " SVC_USER ",nobody " SHARED_GROUP " >/dev/null";
	int rc = system(sh);
	cr_assert(WIFEXITED(rc) && WEXITSTATUS(rc) == 0,
	          "cannot make user " SVC_USER " and group " SHARED_GROUP
	          " (status %d)",
	          rc);
}

#endif
