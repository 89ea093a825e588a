/* dovecot_env.h - the throwaway Dovecot's coordinates, for criterion tests.
 *
 * tests/harness/with-dovecot.sh exports IMAP_HOST, IMAP_PORT, IMAPS_PORT,
 * IMAP_USER, IMAP_PASS, IMAP_USER2, IMAP_PASS2, IMAP_USER3, IMAP_PASS3,
 * IMAP_RAWLOG3, IMAP_CA, IMAP_PREAUTH_CMD, DOVECOT_DIR, DOVECOT_CONF and
 * MAILDIR_ROOT (see dovecot.sh). IMAP_USER3 is the user whose sessions
 * offer IMAP4rev1 alone after login; what its clients send after login is
 * recorded in IMAP_RAWLOG3 (Dovecot's rawlog_dir). These calls
 * are for the inside of a criterion test: a missing or malformed variable
 * fails the running test with "run under tests/harness/with-dovecot.sh"
 * and does not return.
 */
#ifndef HARNESS_DOVECOT_ENV_H
#define HARNESS_DOVECOT_ENV_H

#include <stdint.h>

/* The variable's value (borrowed from the environment; valid while it is
 * not changed), never NULL or empty. */
const char *harness_env(const char *key);

/* The variable as a TCP port, 1..65535. */
uint16_t harness_env_port(const char *key);

#endif
