/* paths.c - the default cache path (see paths.h for the order). */
#include "cache/paths.h"

#include <errno.h>
#include <fcntl.h>
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
	/* systemd sets absolute paths only; a relative one is someone's
	 * mistake, and taking the XDG default instead would hide the cache
	 * where nobody looks. */
	if (state != NULL && state[0] != '\0' && state[0] != '/') {
		set_err(err, errlen,
		        "STATE_DIRECTORY=%s is not an absolute path (systemd's "
		        "StateDirectory= sets one; unset it for the default)",
		        state);
		return -1;
	}
	if (!cache_default_makes_dir()) {
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
	/* HOME=/ (a system user's): "/.local/...", not "//.local/...". */
	if (base_len == 1 && base[0] == '/' && sub[0] == '/')
		base_len = 0;
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

bool cache_default_makes_dir(void)
{
	const char *state = getenv("STATE_DIRECTORY");

	return state == NULL || state[0] != '/';
}

/* Whether we may create files in dir: the effective IDs decide, as for
 * the open that follows, and a read-only mount says EROFS here too. */
static int check_writable(const char *dir, char *err, size_t errlen)
{
	if (faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) == 0)
		return 0;
	set_err(err, errlen, "cannot create files in directory %s: %s", dir,
	        strerror(errno));
	return -1;
}

/* The directory that is to hold the cache: dir exists, or (when it may
 * be made) its nearest existing ancestor lets us create it. dir is
 * shortened in place while looking for that ancestor. */
static int check_dir(char *dir, bool may_be_made, char *err, size_t errlen)
{
	char *want = strdup(dir);
	struct stat sb;
	int rc = -1;

	if (want == NULL) {
		set_err(err, errlen, "out of memory");
		return -1;
	}
	while (stat(dir, &sb) < 0) {
		char *slash = strrchr(dir, '/');

		if (errno != ENOENT && errno != ENOTDIR) {
			set_err(err, errlen, "directory %s: %s", dir,
			        strerror(errno));
			goto out;
		}
		if (slash == NULL || strcmp(dir, "/") == 0) {
			set_err(err, errlen, "directory %s: %s", want,
			        strerror(errno));
			goto out;
		}
		if (slash == dir)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
	if (!S_ISDIR(sb.st_mode)) {
		set_err(err, errlen, "%s is not a directory", dir);
	} else if (strcmp(dir, want) == 0) {
		rc = check_writable(dir, err, errlen);
	} else if (!may_be_made) {
		set_err(err, errlen, "directory %s does not exist", want);
	} else if (check_writable(dir, err, errlen) == 0) {
		rc = 0;
	} else {
		set_err(err, errlen,
		        "directory %s does not exist and cannot be created: "
		        "%s is not writable",
		        want, dir);
	}
out:
	free(want);
	return rc;
}

int cache_check_path(const char *path, bool dir_may_be_made, char *err,
                     size_t errlen)
{
	const char *slash = strrchr(path, '/');
	struct stat sb;
	char *dir;
	int rc;

	if (path[0] != '/' || slash[1] == '\0') {
		set_err(err, errlen, "%s is not an absolute file name", path);
		return -1;
	}
	if (lstat(path, &sb) == 0) {
		/* The cache is opened with O_NOFOLLOW (cache/schema.c): a
		 * link planted where the cache goes must not redirect our
		 * writes, and a link the user made is refused just the
		 * same, so say it is the link. */
		if (S_ISLNK(sb.st_mode)) {
			set_err(err, errlen,
			        "%s is a symbolic link; the cache must be "
			        "named by its real path",
			        path);
			return -1;
		}
		if (S_ISDIR(sb.st_mode)) {
			set_err(err, errlen, "%s is a directory", path);
			return -1;
		}
		if (!S_ISREG(sb.st_mode)) {
			set_err(err, errlen, "%s is not a regular file", path);
			return -1;
		}
		if (faccessat(AT_FDCWD, path, R_OK | W_OK, AT_EACCESS) < 0) {
			set_err(err, errlen, "cannot open %s for writing: %s",
			        path, strerror(errno));
			return -1;
		}
	} else if (errno != ENOENT && errno != ENOTDIR) {
		set_err(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	dir = slash == path ? strdup("/")
	                    : strndup(path, (size_t)(slash - path));
	if (dir == NULL) {
		set_err(err, errlen, "out of memory");
		return -1;
	}
	rc = check_dir(dir, dir_may_be_made, err, errlen);
	free(dir);
	return rc;
}

int cache_file_id(const char *path, struct cache_file_id *out)
{
	struct stat sb;

	if (lstat(path, &sb) < 0)
		return -1;
	out->dev = sb.st_dev;
	out->ino = sb.st_ino;
	return 0;
}

bool cache_file_is(const char *path, const struct cache_file_id *id)
{
	struct cache_file_id now;

	if (cache_file_id(path, &now) < 0)
		return errno != ENOENT && errno != ENOTDIR;
	return now.dev == id->dev && now.ino == id->ino;
}

int cache_dir_of(char *buf, size_t len, const char *path)
{
	const char *slash = strrchr(path, '/');
	int n;
	if (!slash)
		n = snprintf(buf, len, ".");
	else if (slash == path)
		n = snprintf(buf, len, "/");
	else
		n = snprintf(buf, len, "%.*s", (int)(slash - path), path);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}
