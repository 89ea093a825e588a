/* secret.h - obtaining an account's password or OAuth token.
 *
 * A secret comes from the configuration (password), a file
 * (password_file), or the first line a command prints (password_command,
 * token_command). It is fetched right before authenticating, used, and
 * wiped: every buffer that ever held it is cleared with explicit_bzero()
 * before it is freed, including the command's read buffer, which is
 * allocated once at its limit so that no realloc() leaves a stale copy.
 *
 * Errors go to err (NUL-terminated, cut to errsz) as a sentence that says
 * what failed ("password_command exited with status 1"), for a line that
 * names the account; they never contain the secret nor any of the
 * command's standard output, so they are safe to log.
 *
 * The one thing logged here is a command's standard error, which carries
 * its own diagnostics ("gpg: decryption failed: No secret key"): each line
 * as one of the account's log lines, "password_command said: ...", after
 * log_sanitize() (control characters and escapes cannot reach the
 * terminal or forge a line), at most SECRET_STDERR_LINES lines of at most
 * SECRET_STDERR_LINE bytes from the first SECRET_STDERR_MAX bytes; the
 * rest is counted in one more line. Warning level when the command failed,
 * info when it succeeded. What the command printed on its first line of
 * output (the secret, or what would have been) is masked in those lines
 * first: a script run with "set -x" echoes it there.
 *
 * Functions are thread-safe (each account's thread fetches its own). The
 * command is started with posix_spawn(3), so no fork() runs in a threaded
 * process; it gets stdin from /dev/null, pipes for stdout and stderr, a
 * default signal disposition and mask, and a process group of its own so
 * that a timeout kills everything it started. The command (the shell) is
 * always reaped before return. Processes it leaves in the background are
 * not waited for: reading ends when the outputs are closed, or when the
 * shell has exited and a short grace (200 ms) has passed, whichever comes
 * first; what they print later is lost.
 */
#ifndef MAILMIRRORD_SECRET_H
#define MAILMIRRORD_SECRET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

struct conf_account;

/* A secret: data is NUL-terminated (len excludes the NUL) and contains no
 * NUL, CR or LF. Owned by whoever holds the struct; release with
 * secret_clear(). A zeroed struct is empty and valid to clear. */
struct secret {
	char *data;
	size_t len;
};

/* Bytes read from a password file; a longer file is an error. */
#define SECRET_FILE_MAX 4096
/* Bytes of a command's output kept; more is an error (OAuth access tokens
 * are a few KiB; anything this size is a misconfigured command). */
#define SECRET_COMMAND_MAX 16384
/* How long a password_command or token_command may run. */
#define SECRET_COMMAND_TIMEOUT_MS 30000
/* Of a command's standard error: the bytes kept, the lines logged, and
 * the size of each logged line (its text; longer lines end in "..."). */
#define SECRET_STDERR_MAX   2048
#define SECRET_STDERR_LINES 8
#define SECRET_STDERR_LINE  256

/* Wipes and frees s->data; s becomes empty. NULL is a no-op. */
void secret_clear(struct secret *s);

/* Copies an inline password. 0, or -1 with err set (out of memory, empty,
 * or CR/LF in it). */
int secret_from_string(struct secret *out, const char *account,
                       const char *password, char *err, size_t errsz);

/* Whether path may hold a secret: it exists, is a regular file (symbolic
 * links are followed, a FIFO or device is refused), no one but its owner
 * and the daemon's user may read it (trust_others_may_read(): a group
 * those two alone are in may, as in root:mailmirror 0640), neither group
 * nor others may write it, it is safe as trust_check() says, and the
 * daemon may read it. 0, or -1 with err set, saying who may read it and
 * what to do ("password_file /x is readable by anyone (mode 0644); chmod
 * 600 /x"). The configuration loader calls it so that a bad file is found
 * before the daemon starts. */
int secret_check_file(const char *path, char *err, size_t errsz);

/* Whether the file st describes is a service's while root runs
 * mailmirrord: root's, read through a group that one other user alone is
 * in (root:mailmirror 0640, as the units advise), that user not nobody.
 * That user's name goes into user (len bytes). For the advice of a
 * message: such a file is made private by running as that user, never by
 * chmod 600. */
bool secret_service_file(const struct stat *st, char *user, size_t len);

/* With on, and run as root, secret_check_file() judges a password_file
 * for the service rather than for root: one that its owner and one other
 * user alone may read, through its group (root:mailmirror 0640), passes,
 * as it does for a daemon run as that user. For --check-config, which
 * root runs for a service it cannot name; a daemon run as root, and
 * every login, judge for the user they run as. Call before the loader
 * runs, from one thread. */
void secret_check_for_service(bool on);

/* Reads path (checked as secret_check_file does, on the opened file so a
 * swap between check and open is caught). One trailing "\n" or "\r\n" is
 * stripped; an empty result, a NUL, CR or LF inside, or more than
 * SECRET_FILE_MAX bytes is an error. 0, or -1 with err set. */
int secret_from_file(struct secret *out, const char *account, const char *path,
                     char *err, size_t errsz);

/* Runs "/bin/sh -c command" and keeps the first line of its standard
 * output (without "\r\n"); its standard error is logged (see above). An
 * error (-1, err set, *out empty) when the command cannot start, exits
 * non-zero or by a signal, prints nothing on its first line, prints more
 * than SECRET_COMMAND_MAX bytes, or has not exited within timeout_ms (then
 * its process group is killed). what
 * names the setting in messages ("password_command"). timeout_ms <= 0
 * means SECRET_COMMAND_TIMEOUT_MS. */
int secret_from_command(struct secret *out, const char *account,
                        const char *what, const char *command, int timeout_ms,
                        char *err, size_t errsz);

/* The secret an account's configuration names (password, password_file,
 * password_command or token_command). An account that needs none (a
 * preauthenticated tunnel) gets an empty secret and 0. A command is given
 * up, its process group killed, as soon as cancel_fd (-1: none; the
 * account's stop) is readable: a command that hangs must not outlive the
 * daemon that started it. */
int secret_obtain(struct secret *out, const struct conf_account *acct,
                  int cancel_fd, char *err, size_t errsz);

#endif
