/* as_nobody.h - checks of permissions that mean something under root.
 *
 * CI runs the suites as root, for whom every directory is writable. A test
 * of what an unprivileged service sees takes the effective IDs of nobody
 * for the part that checks, and gives them back for its teardown. */
#ifndef MM_TESTS_AS_NOBODY_H
#define MM_TESTS_AS_NOBODY_H

#include <criterion/criterion.h>
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

#endif
