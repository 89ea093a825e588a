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
 */
#ifndef MAILMIRRORD_TRUST_H
#define MAILMIRRORD_TRUST_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

/* 0 when the file st describes, opened at path, and the folders above it
 * are safe as said above; else -1 with why (starting "it belongs to" or
 * "its folder ...") for the caller's message. */
int trust_check(const char *path, const struct stat *st, char *why,
                size_t whylen);

/* Whether the users of group gid, by their primary group or listed in it,
 * are a or b and no one else, and there is one: the group gives no one
 * else a way to the file (a user's private group; the daemon's own, as
 * in root:mailmirror 0640). A group without users is not such: setgid
 * programs run in groups of their own. */
bool trust_group_only(gid_t gid, uid_t a, uid_t b);

/* Whether others than its owner (and the users of a group trust_group_only
 * finds its owner's alone) may write the file or folder st describes:
 * sshd's StrictModes refuses both, for the same reason. */
bool trust_others_may_write(const struct stat *st);

#endif
