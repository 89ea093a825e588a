/* trust.h - whether a file may speak for mailmirrord.
 *
 * The configuration (and what it includes) names the commands the daemon
 * runs (password_command, token_command, tunnel, on_new_mail); a
 * password_file holds what it logs in with. Whoever may change such a file
 * acts as the daemon. As sshd's StrictModes asks of a user's keys, it must
 * belong to root or to the daemon's own user, and so must every folder on
 * its path, none of which others may write to unless it is sticky (/tmp:
 * there only a file's owner may rename or remove it). "Others" are
 * everyone, and a group's users unless they are its owner alone. Mode bits of
 * the file itself are its caller's to judge: they differ (a configuration may
 * be read by all, a password file by no one else).
 *
 * The cache is the other way round: the daemon writes mail into it, which
 * must stay its user's alone (README, schema.md). Its file, -wal and -shm
 * must be the daemon's effective user's (not root's unless root runs it),
 * and its folders must be safe as above.
 */
#ifndef MAILMIRRORD_TRUST_H
#define MAILMIRRORD_TRUST_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

/* 0 when the file st describes, opened at path, and the folders above it
 * are safe as said above; else -1 with why (starting "it belongs to" or
 * "its folder ...") for the caller's message. */
int trust_check(const char *path, const struct stat *st, char *why,
                size_t whylen);

/* Whether no one but root and the daemon's user may change the file st
 * describes, opened at path: others may not write it
 * (trust_others_may_write()), and it is safe as trust_check() says. 0,
 * or -1 with why: "anyone may write WHAT (mode 0666), and so DOES; chmod
 * o-w PATH" ("its group's users", g-w), or trust_check()'s, whose owner
 * "could DOES". does: what whoever changes the file could do; NULL, the
 * configuration's ("run commands as mailmirrord", "change what
 * mailmirrord runs as ..."). */
int trust_check_writers(const char *path, const struct stat *st,
                        const char *what, const char *does, char *why,
                        size_t whylen);

/* Whether the users of group gid, by their primary group or listed in it,
 * are a or b and no one else, and there is one: the group gives no one
 * else a way to the file (a user's private group; the daemon's own, as
 * in root:mailmirror 0640). A group without users is not such: setgid
 * programs run in groups of their own. */
bool trust_group_only(gid_t gid, uid_t a, uid_t b);

/* Whether the users of group gid are a and at most one other user, and
 * there is one; *other is that user (a when there is none, or when the
 * group has more). */
bool trust_group_of_one_more(gid_t gid, uid_t a, uid_t *other);

/* Whether others than its owner (and the users of a group trust_group_only
 * finds its owner's alone) may write the file or folder st describes:
 * sshd's StrictModes refuses both, for the same reason. */
bool trust_others_may_write(const struct stat *st);

/* Whether others than its owner and the daemon's effective user may read
 * the file st describes: anyone (S_IROTH), or the users of its group
 * unless trust_group_only() finds them those two alone. The service's
 * root:mailmirror 0640 is private: the daemon, run as mailmirror, reads it
 * through a group no one else is in. */
bool trust_others_may_read(const struct stat *st);

/* trust_others_may_read() for a daemon run as reader. */
bool trust_others_may_read_but(const struct stat *st, uid_t reader);

/* "uid 1000 (alice)", or "uid 1000" for a uid without a name; cut to
 * outlen. */
void trust_name_uid(char *out, size_t outlen, uid_t uid);

/* The most problems trust_check_cache() keeps; it counts the rest. */
#define TRUST_MAX_PROBLEMS 8

/* What trust_check_cache() found wrong: msg[0..n), each a sentence that
 * starts with the file at fault and ends with what to do about it, the
 * files first, then the folders from the cache's up; more is how many
 * later ones were not kept. Caller-owned (no heap). */
struct trust_problems {
	size_t n;
	size_t more;
	char msg[TRUST_MAX_PROBLEMS][PATH_MAX + 1024];
};

/* 0 when the cache at path (absolute; it, its -wal and its -shm need not
 * exist yet) is the daemon's alone: each of the three files there is a
 * regular file of the effective user (the cache file's type aside, which
 * is cache_check_path()'s), and its folder, or the nearest one there when
 * the daemon is to make it, and every folder above, are safe as said
 * above. Else -1 with every problem found in *out, so that one run names
 * all there is to fix (a file whose owner another's advice names already,
 * "chown USER PATH*", is not said again). Reads the file system only. */
int trust_check_cache(struct trust_problems *out, const char *path);

#endif
