/* test_child.c - what the daemon's commands inherit (child.c). */
#include "mailmirrord/child.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

static bool has(char **env, const char *entry)
{
	for (size_t i = 0; env[i] != NULL; i++)
		if (strcmp(env[i], entry) == 0)
			return true;
	return false;
}

static bool has_name(char **env, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; env[i] != NULL; i++)
		if (strncmp(env[i], name, n) == 0 && env[i][n] == '=')
			return true;
	return false;
}

/* systemd's variables speak for the service and MM_ ones are the hook's
 * to set: neither passes; the rest does, and ours come last. */
Test(child, the_daemons_own_variables_stay_behind)
{
	cr_assert_eq(setenv("NOTIFY_SOCKET", "/run/systemd/notify", 1), 0);
	cr_assert_eq(setenv("WATCHDOG_USEC", "30000000", 1), 0);
	cr_assert_eq(setenv("WATCHDOG_PID", "1", 1), 0);
	cr_assert_eq(setenv("MM_SUBJECT", "forged", 1), 0);
	cr_assert_eq(setenv("KEEP_ME", "1", 1), 0);
	cr_assert_eq(setenv("NOTIFY_SOCKETS_ARE_FINE", "x", 1), 0);
	char *own[] = {"MM_SUBJECT=real", "MM_UID=7"};

	char **env = child_environ_new(own, 2);
	cr_assert_not_null(env);
	cr_assert(has(env, "KEEP_ME=1"));
	cr_assert(has(env, "NOTIFY_SOCKETS_ARE_FINE=x"));
	cr_assert(!has_name(env, "NOTIFY_SOCKET"));
	cr_assert(!has_name(env, "WATCHDOG_USEC"));
	cr_assert(!has_name(env, "WATCHDOG_PID"));
	cr_assert(!has(env, "MM_SUBJECT=forged"));
	size_t n = 0;
	while (env[n] != NULL)
		n++;
	cr_assert_geq(n, 3);
	cr_assert_str_eq(env[n - 2], "MM_SUBJECT=real");
	cr_assert_str_eq(env[n - 1], "MM_UID=7");
	free(env);

	env = child_environ_new(NULL, 0);
	cr_assert_not_null(env);
	cr_assert(has(env, "KEEP_ME=1"));
	cr_assert(!has_name(env, "MM_SUBJECT"));
	free(env);
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	unsetenv("MM_SUBJECT");
	unsetenv("KEEP_ME");
	unsetenv("NOTIFY_SOCKETS_ARE_FINE");
}
