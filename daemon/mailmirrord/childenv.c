/* childenv.c - the environment of the daemon's commands; see childenv.h. */
#include "mailmirrord/childenv.h"

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

char **childenv_new(char *const *own, size_t n_own)
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
