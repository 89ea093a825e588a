/* tunnel_stderr.h - what a tunnel command says on its standard error, as
 * the account's log lines.
 *
 * ssh tells its user what went wrong on stderr ("Host key verification
 * failed.", "Connection refused"). Inherited, those lines reached the
 * daemon's stderr raw: no priority prefix for the journal, no account, and
 * the control characters a remote end chose. Here a pipe takes them
 * instead, and a thread of its own logs each line at notice level,
 * "tunnel said: ...", made printable, blank lines skipped (linelog.h), at
 * most TUNNEL_STDERR_LINES lines a connection; the rest is counted in one
 * more.
 * The thread ends when the last holder of the pipe's write end (the
 * command and whatever it left behind) closes it.
 */
#ifndef MAILMIRRORD_TUNNEL_STDERR_H
#define MAILMIRRORD_TUNNEL_STDERR_H

#define TUNNEL_STDERR_LINES 50

/* Starts the reader for account's tunnel: 0 and *write_fd, the pipe end to
 * give the command as its stderr (close-on-exec; the caller closes it once
 * the command is started), or -1 when no pipe or thread could be had
 * (the command then keeps the daemon's stderr). Its lines are logged at
 * level (LOG_LEVEL_*). */
int tunnel_stderr_start(int *write_fd, const char *account, int level);

#endif
