/* dovecot_env.c - environment of tests/harness/with-dovecot.sh. */
#include "harness/dovecot_env.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>

const char *harness_env(const char *key)
{
	const char *v = getenv(key);

	if (!v || !*v)
		cr_assert_fail("%s is not set: run under "
		               "tests/harness/with-dovecot.sh",
		               key);
	return v;
}

uint16_t harness_env_port(const char *key)
{
	const char *v = harness_env(key);
	char *end;

	errno = 0;
	unsigned long port = strtoul(v, &end, 10);
	if (errno || *end || port == 0 || port > 65535)
		cr_assert_fail("%s=%s is not a port: run under "
		               "tests/harness/with-dovecot.sh",
		               key, v);
	return (uint16_t)port;
}
