/* paths.c - the default cache path (see paths.h for the order). */
#include "cache/paths.h"

#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

__attribute__((format(printf, 3, 4))) static void
set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* mkdir -p with mode 0700 for what it creates. An existing directory is
 * kept as it is: it may be the user's own ~/.local. */
static int make_dirs(char *path, char *err, size_t errlen)
{
	for (char *p = path + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;

		*p = '\0';
		if (mkdir(path, 0700) < 0 && errno != EEXIST) {
			set_err(err, errlen, "cannot create %s: %s", path,
			        strerror(errno));
			*p = c;
			return -1;
		}
		*p = c;
		if (c == '\0')
			break;
	}
	return 0;
}

/* $HOME, else the passwd entry: under sudo -u or in a bare service
 * environment HOME can be unset. */
static const char *home_dir(void)
{
	const char *home = getenv("HOME");
	struct passwd *pw;

	if (home != NULL && home[0] == '/')
		return home;
	pw = getpwuid(getuid());
	if (pw != NULL && pw->pw_dir != NULL && pw->pw_dir[0] == '/')
		return pw->pw_dir;
	return NULL;
}

int cache_default_path(char **out, bool create_dir, char *err, size_t errlen)
{
	const char *state = getenv("STATE_DIRECTORY");
	const char *xdg = getenv("XDG_STATE_HOME");
	const char *base, *sub;
	size_t base_len;
	char *dir, *path;
	int n;

	*out = NULL;
	if (state != NULL && state[0] == '/') {
		/* StateDirectory= may list several; ours is the first. */
		base = state;
		base_len = strcspn(state, ":");
		sub = "";
		create_dir = false;
	} else if (xdg != NULL && xdg[0] == '/') {
		/* The XDG spec says relative values are to be ignored. */
		base = xdg;
		base_len = strlen(xdg);
		sub = "/mailmirror";
	} else if ((base = home_dir()) != NULL) {
		base_len = strlen(base);
		sub = "/.local/state/mailmirror";
	} else {
		set_err(err, errlen,
		        "cannot find a home directory for the cache; "
		        "set HOME or XDG_STATE_HOME");
		return -1;
	}
	while (base_len > 1 && base[base_len - 1] == '/')
		base_len--;
	if (base_len > 4096) {
		set_err(err, errlen, "state directory path too long");
		return -1;
	}
	n = asprintf(&dir, "%.*s%s", (int)base_len, base, sub);
	if (n < 0) {
		set_err(err, errlen, "out of memory");
		return -1;
	}
	if (create_dir && make_dirs(dir, err, errlen) < 0) {
		free(dir);
		return -1;
	}
	n = asprintf(&path, "%s/%s", dir, CACHE_FILE_NAME);
	free(dir);
	if (n < 0) {
		set_err(err, errlen, "out of memory");
		return -1;
	}
	*out = path;
	return 0;
}
