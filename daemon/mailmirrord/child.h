/* child.h - how the daemon starts the commands it runs.
 *
 * password_command, token_command, tunnel and on_new_mail run through
 * /bin/sh with the daemon's environment less what is the daemon's alone:
 * systemd's NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID (sd_notify(3):
 * a child that finds them would speak for the service), and every MM_
 * variable, which the hook sets itself and which must not be forged from
 * outside. They start as a new program would: in a process group of their
 * own (a timeout's kill reaches what they started), no signal blocked and
 * every signal at its default, whatever the daemon's threads block or
 * ignore (SIGPIPE, SIGTERM, SIGHUP).
 */
#ifndef MAILMIRRORD_CHILD_H
#define MAILMIRRORD_CHILD_H

#include <stddef.h>
#include <sys/types.h>

/* A NULL-terminated array: the inherited entries that pass, then the
 * n_own entries of own (not copied; they must outlive the array). The
 * inherited strings are environ's own. NULL when out of memory; free()
 * the array alone. Not thread-safe against setenv(), which the daemon
 * never calls once threads run. */
char **child_environ_new(char *const *own, size_t n_own);

/* Starts "/bin/sh -c script" with the environment env (NULL:
 * child_environ_new(NULL, 0)), /dev/null as its standard input, outfd and
 * errfd as its standard output and error (-1: the daemon's own), leading
 * a process group of its own. 0 with *pid set, or an errno value. */
int child_spawn_sh(pid_t *pid, const char *script, char *const *env, int outfd,
                   int errfd);

#endif
