/* child.c - the commands the daemon runs; see child.h. */
#include "mailmirrord/child.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool is_daemons_own(const char *entry)
{
	return starts_with(entry, "MM_") ||
	       starts_with(entry, "NOTIFY_SOCKET=") ||
	       starts_with(entry, "WATCHDOG_USEC=") ||
	       starts_with(entry, "WATCHDOG_PID=");
}

char **child_environ_new(char *const *own, size_t n_own)
{
	size_t n = 0;

	while (environ[n] != NULL)
		n++;
	char **env = calloc(n + n_own + 1, sizeof(*env));
	if (env == NULL)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (!is_daemons_own(environ[i]))
			env[k++] = environ[i];
	for (size_t i = 0; i < n_own; i++)
		env[k++] = own[i];
	env[k] = NULL;
	return env;
}

static int spawn_with(pid_t *pid, const char *script, char *const *env,
                      int outfd, int errfd)
{
	char *argv[] = {"sh", "-c", (char *)script, NULL};
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, all;
	int rc;

	if ((rc = posix_spawn_file_actions_init(&fa)) != 0)
		return rc;
	if ((rc = posix_spawnattr_init(&attr)) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		return rc;
	}
	sigemptyset(&none);
	sigfillset(&all);
	rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (rc == 0 && outfd >= 0 && outfd != 1)
		rc = posix_spawn_file_actions_adddup2(&fa, outfd, 1);
	if (rc == 0 && errfd >= 0 && errfd != 2)
		rc = posix_spawn_file_actions_adddup2(&fa, errfd, 2);
	if (rc == 0)
		rc = posix_spawnattr_setflags(
		        &attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
		                       POSIX_SPAWN_SETSIGDEF);
	if (rc == 0)
		rc = posix_spawnattr_setpgroup(&attr, 0);
	if (rc == 0)
		rc = posix_spawnattr_setsigmask(&attr, &none);
	if (rc == 0)
		rc = posix_spawnattr_setsigdefault(&attr, &all);
	if (rc == 0)
		rc = posix_spawn(pid, "/bin/sh", &fa, &attr, argv, env);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	return rc;
}

int child_spawn_sh(pid_t *pid, const char *script, char *const *env, int outfd,
                   int errfd)
{
	if (env != NULL)
		return spawn_with(pid, script, env, outfd, errfd);
	char **own = child_environ_new(NULL, 0);
	if (own == NULL)
		return ENOMEM;
	int rc = spawn_with(pid, script, own, outfd, errfd);
	free(own);
	return rc;
}
