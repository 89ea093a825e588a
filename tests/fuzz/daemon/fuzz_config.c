/* fuzz_config.c - the daemon's configuration reader (conf_load, what a
 * start, --check-config and a reload call) on any file text.
 *
 * Checks beyond "no crash": a load that succeeds says no error and gives
 * a configuration that differs from itself in nothing (conf_diff, which a
 * reload relies on); one that fails gives at least one error, each a
 * NUL-terminated line. The text goes to a file in a private folder that
 * also holds files to include. Found by explore41's first version of it:
 * an @include scan exponential in the lines that include a file again.
 */
#include "mailmirrord/config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char path[96];

static void put(const char *dir, const char *name, const char *text)
{
	char p[160];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	if (f == NULL || fputs(text, f) == EOF || fclose(f) != 0 ||
	    chmod(p, 0600) != 0)
		abort();
}

static char dir[] = "/tmp/mm-fuzz-config-XXXXXX";

static void remove_dir(void)
{
	static const char *const names[] = {"m.conf", "inc.conf", "self.conf",
	                                    "pw"};
	char p[160];
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		unlink(p);
	}
	rmdir(dir);
}

/* The folder, made once per process (replay.c has no initialiser), and
 * gone at its exit. */
static void setup(void)
{
	if (path[0] != '\0')
		return;
	if (mkdtemp(dir) == NULL)
		abort();
	atexit(remove_dir);
	snprintf(path, sizeof(path), "%s/m.conf", dir);
	put(dir, "inc.conf", "poll_interval = 60;\n");
	put(dir, "self.conf", "@include \"self.conf\"\n");
	put(dir, "pw", "secret\n");
}

static void check_account(const struct conf *c, const struct conf_account *a)
{
	const char *file;
	unsigned mode;
	(void)conf_body_cap(a);
	(void)conf_password_exposed(c, a, &file, &mode);
	if (a->name != NULL && conf_account_find(c, a->name) == NULL)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct conf_errors errs;
	struct conf *c = NULL;

	setup();
	FILE *f = fopen(path, "w");
	if (f == NULL || fwrite(data, 1, size, f) != size || fclose(f) != 0 ||
	    chmod(path, 0600) != 0)
		abort();
	if (conf_load(&c, &errs, path) == 0) {
		if (c == NULL || errs.n != 0)
			abort();
		for (size_t i = 0; i < c->n_accounts; i++)
			check_account(c, &c->accounts[i]);
		struct conf_diff d;
		if (conf_diff(&d, c, c) == 0) {
			if (d.n != 0)
				abort();
			conf_diff_clear(&d);
		}
		conf_free(&c);
		return 0;
	}
	if (c != NULL || errs.n < 1)
		abort();
	for (size_t i = 0; i < errs.n; i++)
		if (memchr(errs.msg[i], '\0', CONF_ERROR_LEN) == NULL ||
		    strchr(errs.msg[i], '\n') != NULL)
			abort();
	return 0;
}
