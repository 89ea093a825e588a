/* trust.h - whether a file may speak for mailmirrord.
 *
 * The configuration (and what it includes) names the commands the daemon
 * runs (password_command, token_command, tunnel, on_new_mail); a
 * password_file holds what it logs in with. Whoever may change such a file
 * acts as the daemon. As sshd's StrictModes asks of a user's keys, it must
 * belong to root or to the daemon's own user, and so must every folder on
 * its path, none of which others may write to unless it is sticky (/tmp:
 * there only a file's owner may rename or remove it). Mode bits of the
 * file itself are its caller's to judge: they differ (a configuration
 * may be read by all, a password file by no one else).
 */
#ifndef MAILMIRRORD_TRUST_H
#define MAILMIRRORD_TRUST_H

#include <stddef.h>
#include <sys/stat.h>

/* 0 when the file st describes, opened at path, and the folders above it
 * are safe as said above; else -1 with why (starting "it belongs to" or
 * "its folder ...") for the caller's message. */
int trust_check(const char *path, const struct stat *st, char *why,
                size_t whylen);

#endif
