/* childenv.h - the environment the daemon's own commands start with.
 *
 * password_command, token_command and on_new_mail run with the daemon's
 * environment less what is the daemon's alone: systemd's NOTIFY_SOCKET,
 * WATCHDOG_USEC and WATCHDOG_PID (sd_notify(3): a child that finds them
 * would speak for the service), and every MM_ variable, which the hook
 * sets itself and which must not be forged from outside.
 */
#ifndef MAILMIRRORD_CHILDENV_H
#define MAILMIRRORD_CHILDENV_H

#include <stddef.h>

/* A NULL-terminated array: the inherited entries that pass, then the
 * n_own entries of own (not copied; they must outlive the array). The
 * inherited strings are environ's own. NULL when out of memory; free()
 * the array alone. Not thread-safe against setenv(), which the daemon
 * never calls once threads run. */
char **childenv_new(char *const *own, size_t n_own);

#endif
