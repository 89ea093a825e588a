/* secret_echo.h - a secret's echoes masked after the secret is wiped.
 *
 * The secret lives only while its login does (secret.h), and what the
 * server says meanwhile is masked with it (redact.h). A server may still
 * echo it later ("* BYE your password SeCrEt1 is weak" after the LOGIN,
 * explore55), into the log and the account's last_error. This thread
 * keeps a fingerprint of it instead: its length, a keyed rolling hash
 * that finds where it may be, and a salted SHA-256 that says it is.
 * Thread-local: an account's thread logs in and logs its session, and
 * the log masks each line with the fingerprint of the thread writing it.
 */
#ifndef MAILMIRRORD_SECRET_ECHO_H
#define MAILMIRRORD_SECRET_ECHO_H

#include <stddef.h>

/* Remembers secret[0..n), raw and in the quoted form LOGIN sends it in,
 * for this thread, in place of the one before (a NULL or empty secret:
 * none). 0, or -1 when nothing could be remembered (no random numbers). */
int secret_echo_remember(const char *secret, size_t n);
void secret_echo_forget(void);

/* Masks with '*' every occurrence in s[0..len) of the secret this thread
 * remembers; of one shorter than REDACT_ANYWHERE_MIN, only those that
 * stand alone (redact.h says why). */
void secret_echo_mask(char *s, size_t len);

#endif
