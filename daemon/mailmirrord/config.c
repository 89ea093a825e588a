/* config.c - loading and validating mailmirror.conf (libconfig syntax). */
#include "mailmirrord/config.h"
#include "mailmirrord/config_scan.h"
#include "mailmirrord/log.h"
#include "mailmirrord/plan.h"
#include "mailmirrord/secret.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libconfig.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* A configuration file larger than this is certainly not one. */
#define CONF_FILE_MAX     (1024 * 1024)
#define INCLUDE_DEPTH_MAX 10

struct loader {
	struct conf *c;
	struct conf_errors *errs;
	const char *path;
	char *dir; /* of path, for relative file names */
	int depth; /* of @include, while scanning */
};

/* What one account's keys said, for the checks across keys. */
struct acct_ctx {
	struct conf_account *a;
	const config_setting_t *group;
	size_t index; /* 1-based, for an account without a name */
	const config_setting_t *s_name, *s_host, *s_port, *s_tunnel, *s_tls,
	        *s_user, *s_auth, *s_ca_file, *s_fingerprint, *s_idle,
	        *s_allow_plaintext;
	const config_setting_t *s_secret[4]; /* password, _file, _command,
	                                        token_command */
};

/* ---------------------------------------------------------------- errors */

__attribute__((format(printf, 5, 0))) static void
errors_vadd(struct conf_errors *e, const char *file, int line,
            const char *prefix, const char *fmt, va_list ap)
{
	char *m;
	size_t n;
	int k;

	if (e->n >= CONF_MAX_ERRORS) {
		e->more++;
		return;
	}
	m = e->msg[e->n++];
	k = line > 0 ? snprintf(m, CONF_ERROR_LEN, "%s:%d: %s", file, line,
	                        prefix)
	             : snprintf(m, CONF_ERROR_LEN, "%s: %s", file, prefix);
	n = k < 0 ? 0 : (size_t)k < CONF_ERROR_LEN ? (size_t)k : CONF_ERROR_LEN;
	if (n < CONF_ERROR_LEN)
		vsnprintf(m + n, CONF_ERROR_LEN - n, fmt, ap);
}

void conf_errors_add(struct conf_errors *errs, const char *file, int line,
                     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	errors_vadd(errs, file, line, "", fmt, ap);
	va_end(ap);
}

static const char *file_of(const struct loader *L, const config_setting_t *s)
{
	return s != NULL && config_setting_source_file(s) != NULL
	               ? config_setting_source_file(s)
	               : L->path;
}

/* An error at setting s, outside any account. */
__attribute__((format(printf, 3, 4))) static void
top_err(struct loader *L, const config_setting_t *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	errors_vadd(L->errs, file_of(L, s),
	            s ? (int)config_setting_source_line(s) : 0, "", fmt, ap);
	va_end(ap);
}

/* An error at setting s (or the account's group) of account x. */
__attribute__((format(printf, 4, 5))) static void
acct_err(struct loader *L, const struct acct_ctx *x, const config_setting_t *s,
         const char *fmt, ...)
{
	char prefix[CONF_NAME_MAX + 32];
	va_list ap;

	if (s == NULL)
		s = x->group;
	if (x->a->name != NULL)
		snprintf(prefix, sizeof(prefix),
		         "account \"%s\": ", x->a->name);
	else
		snprintf(prefix, sizeof(prefix), "account #%zu: ", x->index);
	va_start(ap, fmt);
	errors_vadd(L->errs, file_of(L, s), (int)config_setting_source_line(s),
	            prefix, fmt, ap);
	va_end(ap);
}

/* Settings of the top level (the defaults) are reported without an
 * account; x is NULL there. */
__attribute__((format(printf, 4, 5))) static void
key_err(struct loader *L, const struct acct_ctx *x, const config_setting_t *s,
        const char *fmt, ...)
{
	char msg[CONF_ERROR_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (x != NULL && x->group != NULL)
		acct_err(L, x, s, "%s", msg);
	else
		top_err(L, s, "%s", msg);
}

static void oom(struct loader *L)
{
	conf_errors_add(L->errs, L->path, 0, "out of memory");
}

/* ------------------------------------------------------------- utilities */

static char *dup_or_oom(struct loader *L, const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		oom(L);
	return d;
}

static void free_list(char ***v, size_t *n)
{
	if (*v != NULL) {
		for (size_t i = 0; (*v)[i] != NULL; i++)
			free((*v)[i]);
		free(*v);
	}
	*v = NULL;
	*n = 0;
}

static char **list_of(struct loader *L, const char *const *src, size_t n)
{
	char **v = calloc(n + 1, sizeof(*v));

	if (v == NULL) {
		oom(L);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		v[i] = dup_or_oom(L, src[i]);
		if (v[i] == NULL) {
			size_t k = i;
			free_list(&v, &k);
			return NULL;
		}
	}
	return v;
}

static void set_str(char **field, char *value)
{
	free(*field);
	*field = value;
}

static bool has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

/* Levenshtein distance, capped: keys are short. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[33];

	if (la > 32 || lb > 32)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j],
			       best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[lb];
}

/* ---------------------------------------------------------- value types */

static int want_string(struct loader *L, struct acct_ctx *x,
                       const config_setting_t *s, const char **out)
{
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		key_err(L, x, s, "%s must be a string", config_setting_name(s));
		return -1;
	}
	*out = config_setting_get_string(s);
	if (**out == '\0') {
		key_err(L, x, s, "%s is empty", config_setting_name(s));
		return -1;
	}
	if (has_control(*out)) {
		key_err(L, x, s, "%s contains a control character",
		        config_setting_name(s));
		return -1;
	}
	return 0;
}

static int want_uint(struct loader *L, struct acct_ctx *x,
                     const config_setting_t *s, long long min, long long max,
                     unsigned *out)
{
	int type = config_setting_type(s);
	long long v;

	v = config_setting_get_int64(s);
	if ((type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64) || v < min ||
	    v > max) {
		key_err(L, x, s, "%s must be an integer between %lld and %lld",
		        config_setting_name(s), min, max);
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

static int want_bool(struct loader *L, struct acct_ctx *x,
                     const config_setting_t *s, bool *out)
{
	if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
		key_err(L, x, s, "%s must be true or false",
		        config_setting_name(s));
		return -1;
	}
	*out = config_setting_get_bool(s) != 0;
	return 0;
}

/* names is NULL-terminated; *out gets the index. */
static int want_enum(struct loader *L, struct acct_ctx *x,
                     const config_setting_t *s, const char *const *names,
                     int *out)
{
	char choices[256] = "";
	const char *v = NULL;

	if (config_setting_type(s) == CONFIG_TYPE_STRING) {
		v = config_setting_get_string(s);
		for (int i = 0; names[i] != NULL; i++) {
			if (strcmp(v, names[i]) == 0) {
				*out = i;
				return 0;
			}
		}
	}
	for (int i = 0; names[i] != NULL; i++) {
		size_t n = strlen(choices);
		snprintf(choices + n, sizeof(choices) - n, "%s\"%s\"",
		         i == 0         ? ""
		         : names[i + 1] ? ", "
		                        : " or ",
		         names[i]);
	}
	key_err(L, x, s, "%s must be %s", config_setting_name(s), choices);
	return -1;
}

/* A list of strings: ["a", "b"] or ("a", "b"). */
static int want_list(struct loader *L, struct acct_ctx *x,
                     const config_setting_t *s, bool allow_empty, char ***out,
                     size_t *nout)
{
	int type = config_setting_type(s), n = config_setting_length(s);
	const char **tmp;
	char **v;

	if (type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST) {
		key_err(L, x, s,
		        "%s must be a list of strings, e.g. [\"INBOX\"]",
		        config_setting_name(s));
		return -1;
	}
	if (n == 0 && !allow_empty) {
		key_err(L, x, s, "%s is empty", config_setting_name(s));
		return -1;
	}
	tmp = calloc((size_t)n + 1, sizeof(*tmp));
	if (tmp == NULL) {
		oom(L);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);
		if (config_setting_type(e) != CONFIG_TYPE_STRING ||
		    *config_setting_get_string(e) == '\0' ||
		    has_control(config_setting_get_string(e))) {
			key_err(L, x, s,
			        "%s must be a list of non-empty strings",
			        config_setting_name(s));
			free(tmp);
			return -1;
		}
		tmp[i] = config_setting_get_string(e);
	}
	v = list_of(L, tmp, (size_t)n);
	free(tmp);
	if (v == NULL)
		return -1;
	free_list(out, nout);
	*out = v;
	*nout = (size_t)n;
	return 0;
}

/* A size in bytes: an integer, or a string with a k, M or G suffix
 * (binary multiples). */
static int want_size(struct loader *L, struct acct_ctx *x,
                     const config_setting_t *s, uint64_t *out)
{
	int type = config_setting_type(s);
	uint64_t v = 0, mult = 1;
	const char *p;

	if (type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64) {
		long long ll = config_setting_get_int64(s);
		if (ll >= 0) {
			*out = (uint64_t)ll;
			return 0;
		}
	} else if (type == CONFIG_TYPE_STRING) {
		p = config_setting_get_string(s);
		if (*p >= '0' && *p <= '9') {
			for (; *p >= '0' && *p <= '9'; p++) {
				if (v > (UINT64_MAX - 9) / 10)
					goto bad;
				v = v * 10 + (uint64_t)(*p - '0');
			}
			if (*p == 'k' || *p == 'K')
				mult = 1024, p++;
			else if (*p == 'M')
				mult = 1024 * 1024, p++;
			else if (*p == 'G')
				mult = 1024 * 1024 * 1024, p++;
			if (*p == '\0' && v <= UINT64_MAX / mult) {
				*out = v * mult;
				return 0;
			}
		}
	}
bad:
	key_err(L, x, s,
	        "%s must be a size in bytes: an integer, or a string such as "
	        "\"512k\" or \"25M\"",
	        config_setting_name(s));
	return -1;
}

/* A file name: relative ones are taken from the configuration's folder,
 * so that the daemon's working directory does not matter. */
static int want_path(struct loader *L, struct acct_ctx *x,
                     const config_setting_t *s, char **out)
{
	const char *v;
	char *p;

	if (want_string(L, x, s, &v) < 0)
		return -1;
	if (v[0] == '/') {
		p = dup_or_oom(L, v);
	} else {
		size_t n = strlen(L->dir) + 1 + strlen(v) + 1;
		p = malloc(n);
		if (p == NULL)
			oom(L);
		else
			snprintf(p, n, "%s/%s", L->dir, v);
	}
	if (p == NULL)
		return -1;
	set_str(out, p);
	return 0;
}

/* ------------------------------------------------------ the account keys */

static const char *const tls_names[] = {"implicit", "starttls", "none", NULL};
static const char *const auth_names[] = {
        "login",   "plain",       "cram-md5", "scram-sha-256",
        "xoauth2", "oauthbearer", NULL};
static const char *const bodies_names[] = {"none", "headers", "full", NULL};

static bool valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > CONF_NAME_MAX || strcmp(s, ".") == 0 ||
	    strcmp(s, "..") == 0)
		return false;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	                 "0123456789._-") == n;
}

static int key_name(struct loader *L, struct acct_ctx *x,
                    const config_setting_t *s)
{
	const char *v;
	char *d;

	x->s_name = s;
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		key_err(L, x, s, "name must be a string");
		return -1;
	}
	v = config_setting_get_string(s);
	if (!valid_name(v)) {
		key_err(L, x, s,
		        "name must be 1 to %d characters of A-Z a-z 0-9 . _ - "
		        "(not \".\" or \"..\")",
		        CONF_NAME_MAX);
		return -1;
	}
	if ((d = dup_or_oom(L, v)) == NULL)
		return -1;
	set_str(&x->a->name, d);
	return 0;
}

static int key_host(struct loader *L, struct acct_ctx *x,
                    const config_setting_t *s)
{
	const char *v;
	char *d;

	x->s_host = s;
	if (want_string(L, x, s, &v) < 0)
		return -1;
	if (strlen(v) > 253 || strpbrk(v, " /\\\"") != NULL) {
		key_err(L, x, s, "host \"%s\" is not a host name or address",
		        v);
		return -1;
	}
	if ((d = dup_or_oom(L, v)) == NULL)
		return -1;
	set_str(&x->a->host, d);
	return 0;
}

static int key_port(struct loader *L, struct acct_ctx *x,
                    const config_setting_t *s)
{
	unsigned v;

	x->s_port = s;
	if (want_uint(L, x, s, 1, 65535, &v) < 0)
		return -1;
	x->a->port = (uint16_t)v;
	return 0;
}

static int key_command(struct loader *L, struct acct_ctx *x,
                       const config_setting_t *s, char **field)
{
	const char *v;
	char *d;

	if (want_string(L, x, s, &v) < 0 || (d = dup_or_oom(L, v)) == NULL)
		return -1;
	set_str(field, d);
	return 0;
}

static int key_tunnel(struct loader *L, struct acct_ctx *x,
                      const config_setting_t *s)
{
	x->s_tunnel = s;
	return key_command(L, x, s, &x->a->tunnel);
}

static int key_on_new_mail(struct loader *L, struct acct_ctx *x,
                           const config_setting_t *s)
{
	return key_command(L, x, s, &x->a->on_new_mail);
}

static int key_tls(struct loader *L, struct acct_ctx *x,
                   const config_setting_t *s)
{
	int v;

	x->s_tls = s;
	if (want_enum(L, x, s, tls_names, &v) < 0)
		return -1;
	x->a->tls = (enum conf_tls)v;
	return 0;
}

static int key_allow_plaintext(struct loader *L, struct acct_ctx *x,
                               const config_setting_t *s)
{
	x->s_allow_plaintext = s;
	return want_bool(L, x, s, &x->a->allow_plaintext);
}

static int key_user(struct loader *L, struct acct_ctx *x,
                    const config_setting_t *s)
{
	x->s_user = s;
	return key_command(L, x, s, &x->a->user);
}

static int key_auth(struct loader *L, struct acct_ctx *x,
                    const config_setting_t *s)
{
	int v;

	x->s_auth = s;
	if (want_enum(L, x, s, auth_names, &v) < 0)
		return -1;
	x->a->auth = (enum conf_auth)v;
	return 0;
}

/* The four secret sources; which one is kept is decided after all keys. */
static int key_secret(struct loader *L, struct acct_ctx *x,
                      const config_setting_t *s, int which)
{
	const char *v;

	x->s_secret[which] = s;
	if (which == 1) {
		char *path = NULL, why[CONF_ERROR_LEN];
		if (want_path(L, x, s, &path) < 0)
			return -1;
		if (secret_check_file(path, why, sizeof(why)) < 0) {
			key_err(L, x, s, "%s", why);
			free(path);
			return -1;
		}
		free(path);
		return 0;
	}
	return want_string(L, x, s, &v);
}

static int key_password(struct loader *L, struct acct_ctx *x,
                        const config_setting_t *s)
{
	return key_secret(L, x, s, 0);
}

static int key_password_file(struct loader *L, struct acct_ctx *x,
                             const config_setting_t *s)
{
	return key_secret(L, x, s, 1);
}

static int key_password_command(struct loader *L, struct acct_ctx *x,
                                const config_setting_t *s)
{
	return key_secret(L, x, s, 2);
}

static int key_token_command(struct loader *L, struct acct_ctx *x,
                             const config_setting_t *s)
{
	return key_secret(L, x, s, 3);
}

static int key_ca_file(struct loader *L, struct acct_ctx *x,
                       const config_setting_t *s)
{
	struct stat st;

	x->s_ca_file = s;
	if (want_path(L, x, s, &x->a->ca_file) < 0)
		return -1;
	if (stat(x->a->ca_file, &st) < 0) {
		key_err(L, x, s, "ca_file %s: %s", x->a->ca_file,
		        strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		key_err(L, x, s, "ca_file %s is not a regular file",
		        x->a->ca_file);
		return -1;
	}
	return 0;
}

/* "sha256:" and the 32 bytes in hex, with or without ':' between bytes
 * (as "openssl x509 -fingerprint" and "certtool -i" print them). */
static int key_fingerprint(struct loader *L, struct acct_ctx *x,
                           const config_setting_t *s)
{
	char norm[7 + 64 + 1] = "sha256:";
	const char *v, *p;
	size_t n = 7;
	char *d;

	x->s_fingerprint = s;
	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		goto bad;
	v = config_setting_get_string(s);
	if (strncasecmp(v, "sha256:", 7) != 0)
		goto bad;
	for (p = v + 7; *p; p++) {
		if (*p == ':' && p > v + 7 && (n - 7) % 2 == 0 &&
		    p[1] != '\0' && p[1] != ':')
			continue;
		if (!strchr("0123456789abcdefABCDEF", *p) || n >= 7 + 64)
			goto bad;
		norm[n++] = (char)(*p | 0x20); /* lower case */
	}
	if (n != 7 + 64)
		goto bad;
	norm[n] = '\0';
	if ((d = dup_or_oom(L, norm)) == NULL)
		return -1;
	set_str(&x->a->fingerprint, d);
	return 0;
bad:
	key_err(L, x, s,
	        "fingerprint must be \"sha256:\" followed by the 64 "
	        "hexadecimal "
	        "digits of the certificate's SHA-256 digest");
	return -1;
}

static int key_mailboxes(struct loader *L, struct acct_ctx *x,
                         const config_setting_t *s)
{
	return want_list(L, x, s, false, &x->a->mailboxes, &x->a->n_mailboxes);
}

static int key_exclude(struct loader *L, struct acct_ctx *x,
                       const config_setting_t *s)
{
	return want_list(L, x, s, true, &x->a->exclude, &x->a->n_exclude);
}

static int key_idle(struct loader *L, struct acct_ctx *x,
                    const config_setting_t *s)
{
	x->s_idle = s;
	if (want_list(L, x, s, true, &x->a->idle, &x->a->n_idle) < 0)
		return -1;
	return 0;
}

static int key_poll_interval(struct loader *L, struct acct_ctx *x,
                             const config_setting_t *s)
{
	return want_uint(L, x, s, CONF_MIN_POLL_INTERVAL,
	                 CONF_MAX_POLL_INTERVAL, &x->a->poll_interval);
}

static int key_idle_timeout(struct loader *L, struct acct_ctx *x,
                            const config_setting_t *s)
{
	return want_uint(L, x, s, CONF_MIN_IDLE_TIMEOUT, CONF_MAX_IDLE_TIMEOUT,
	                 &x->a->idle_timeout);
}

static int key_timeout(struct loader *L, struct acct_ctx *x,
                       const config_setting_t *s)
{
	return want_uint(L, x, s, CONF_MIN_TIMEOUT, CONF_MAX_TIMEOUT,
	                 &x->a->timeout);
}

static int key_bodies(struct loader *L, struct acct_ctx *x,
                      const config_setting_t *s)
{
	int v;

	if (want_enum(L, x, s, bodies_names, &v) < 0)
		return -1;
	x->a->bodies = (enum conf_bodies)v;
	return 0;
}

static int key_max_body_size(struct loader *L, struct acct_ctx *x,
                             const config_setting_t *s)
{
	return want_size(L, x, s, &x->a->max_body_size);
}

static int key_max_connections(struct loader *L, struct acct_ctx *x,
                               const config_setting_t *s)
{
	return want_uint(L, x, s, 1, CONF_MAX_MAX_CONNECTIONS,
	                 &x->a->max_connections);
}

static int key_enabled(struct loader *L, struct acct_ctx *x,
                       const config_setting_t *s)
{
	return want_bool(L, x, s, &x->a->enabled);
}

static const struct key_def {
	const char *name;
	bool is_default; /* also allowed at the top level */
	int (*parse)(struct loader *, struct acct_ctx *,
	             const config_setting_t *);
} acct_keys[] = {
        {"name", false, key_name},
        {"host", false, key_host},
        {"port", false, key_port},
        {"tunnel", false, key_tunnel},
        {"tls", false, key_tls},
        {"allow_plaintext", false, key_allow_plaintext},
        {"ca_file", false, key_ca_file},
        {"fingerprint", false, key_fingerprint},
        {"user", false, key_user},
        {"auth", false, key_auth},
        {"password", false, key_password},
        {"password_file", false, key_password_file},
        {"password_command", false, key_password_command},
        {"token_command", false, key_token_command},
        {"mailboxes", true, key_mailboxes},
        {"exclude", true, key_exclude},
        {"idle", true, key_idle},
        {"poll_interval", true, key_poll_interval},
        {"idle_timeout", true, key_idle_timeout},
        {"timeout", true, key_timeout},
        {"bodies", true, key_bodies},
        {"max_body_size", true, key_max_body_size},
        {"on_new_mail", true, key_on_new_mail},
        {"max_connections", true, key_max_connections},
        {"enabled", false, key_enabled},
};
#define N_ACCT_KEYS (sizeof(acct_keys) / sizeof(acct_keys[0]))

static const char *const top_only_keys[] = {"cache", "log_level", "accounts"};
#define N_TOP_ONLY (sizeof(top_only_keys) / sizeof(top_only_keys[0]))

static const struct key_def *find_key(const char *name)
{
	for (size_t i = 0; i < N_ACCT_KEYS; i++)
		if (strcmp(acct_keys[i].name, name) == 0)
			return &acct_keys[i];
	return NULL;
}

/* The closest allowed key, when it is close enough to be a typo. */
static const char *suggest(const char *name, bool top)
{
	const char *best = NULL;
	size_t best_d = SIZE_MAX, len = strlen(name);
	size_t max_d = len <= 4 ? 1 : len <= 8 ? 2 : 3;

	for (size_t i = 0; i < N_ACCT_KEYS + N_TOP_ONLY; i++) {
		const char *k;
		size_t d;

		if (i < N_ACCT_KEYS) {
			if (top && !acct_keys[i].is_default)
				continue;
			k = acct_keys[i].name;
		} else {
			if (!top)
				continue;
			k = top_only_keys[i - N_ACCT_KEYS];
		}
		d = edit_distance(name, k);
		if (d < best_d) {
			best_d = d;
			best = k;
		}
	}
	return best_d <= max_d ? best : NULL;
}

static void unknown_key(struct loader *L, struct acct_ctx *x,
                        const config_setting_t *s, bool top)
{
	const char *name = config_setting_name(s);
	const char *hint = suggest(name, top);
	const struct key_def *k = find_key(name);

	if (top && k != NULL)
		top_err(L, s, "%s is only allowed inside an account", name);
	else if (hint != NULL)
		key_err(L, x, s, "unknown key \"%s\" (did you mean \"%s\"?)",
		        name, hint);
	else
		key_err(L, x, s, "unknown key \"%s\"", name);
}

/* ------------------------------------------------------ account checks */

/* RFC 6761 6.3: "localhost" names resolve to loopback; anything else is
 * judged by its address alone, without asking DNS (whose answer could
 * change after the check). */
static bool is_loopback(const char *host)
{
	unsigned char a[16];
	char buf[64];
	size_t n = strlen(host);

	if (strcasecmp(host, "localhost") == 0 ||
	    strcasecmp(host, "localhost.") == 0 ||
	    (n > 10 && strcasecmp(host + n - 10, ".localhost") == 0))
		return true;
	if (inet_pton(AF_INET, host, a) == 1)
		return a[0] == 127;
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']' &&
	    n - 2 < sizeof(buf)) {
		memcpy(buf, host + 1, n - 2);
		buf[n - 2] = '\0';
		host = buf;
	}
	if (inet_pton(AF_INET6, host, a) == 1) {
		static const unsigned char v4mapped[12] = {
		        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
		static const unsigned char one[16] = {[15] = 1};
		return memcmp(a, one, 16) == 0 ||
		       (memcmp(a, v4mapped, 12) == 0 && a[12] == 127);
	}
	return false;
}

static const char *const secret_keys[] = {"password", "password_file",
                                          "password_command", "token_command"};

static void check_auth(struct loader *L, struct acct_ctx *x)
{
	struct conf_account *a = x->a;
	bool oauth = a->auth == CONF_AUTH_XOAUTH2 ||
	             a->auth == CONF_AUTH_OAUTHBEARER;
	const config_setting_t *first = NULL;
	int which = -1;

	if (a->user == NULL) {
		bool any = x->s_auth != NULL;
		for (int i = 0; i < 4; i++)
			any |= x->s_secret[i] != NULL;
		/* A tunnel to "imap" on a host we log in to over ssh starts
		 * preauthenticated: no user, nothing to send. */
		if (a->tunnel != NULL && !any) {
			a->secret_kind = CONF_SECRET_NONE;
			return;
		}
		acct_err(L, x, NULL, "missing required key \"user\"");
		return;
	}
	if (oauth) {
		for (int i = 0; i < 3; i++) {
			if (x->s_secret[i] != NULL)
				acct_err(
				        L, x, x->s_secret[i],
				        "%s cannot be used with auth = \"%s\"; "
				        "use token_command",
				        secret_keys[i], auth_names[a->auth]);
		}
		if (x->s_secret[3] == NULL) {
			acct_err(L, x, x->s_auth,
			         "auth = \"%s\" needs token_command",
			         auth_names[a->auth]);
			return;
		}
		which = 3;
	} else {
		if (x->s_secret[3] != NULL)
			acct_err(L, x, x->s_secret[3],
			         "token_command is only used with auth = "
			         "\"xoauth2\" or \"oauthbearer\"");
		for (int i = 0; i < 3; i++) {
			if (x->s_secret[i] == NULL)
				continue;
			if (first != NULL) {
				acct_err(L, x, x->s_secret[i],
				         "%s and %s are both set; keep one",
				         config_setting_name(first),
				         secret_keys[i]);
				return;
			}
			first = x->s_secret[i];
			which = i;
		}
		if (first == NULL) {
			acct_err(L, x, NULL,
			         "no password source: set one of password, "
			         "password_file or password_command");
			return;
		}
	}

	switch (which) {
	case 0:
		a->secret_kind = CONF_SECRET_PASSWORD;
		a->secret = dup_or_oom(
		        L, config_setting_get_string(x->s_secret[0]));
		break;
	case 1:
		a->secret_kind = CONF_SECRET_FILE;
		want_path(L, x, x->s_secret[1], &a->secret);
		break;
	case 2:
		a->secret_kind = CONF_SECRET_COMMAND;
		a->secret = dup_or_oom(
		        L, config_setting_get_string(x->s_secret[2]));
		break;
	default:
		a->secret_kind = CONF_SECRET_TOKEN_COMMAND;
		a->secret = dup_or_oom(
		        L, config_setting_get_string(x->s_secret[3]));
		break;
	}
}

/* Everything that involves more than one key. Runs only when each key on
 * its own was valid, so that one mistake gives one message. */
static void check_account(struct loader *L, struct acct_ctx *x)
{
	struct conf_account *a = x->a;

	if (a->name == NULL)
		acct_err(L, x, NULL, "missing required key \"name\"");
	if (a->tunnel != NULL) {
		if (x->s_host != NULL || x->s_port != NULL)
			acct_err(L, x, x->s_host ? x->s_host : x->s_port,
			         "tunnel replaces host and port; remove %s",
			         x->s_host ? "host" : "port");
		/* The tunnel is the transport: TLS inside it is possible,
		 * but not the default. */
		if (x->s_tls == NULL)
			a->tls = CONF_TLS_NONE;
		a->port = 0;
	} else if (a->host == NULL) {
		acct_err(L, x, NULL, "missing required key \"host\"");
	} else {
		if (x->s_port == NULL)
			a->port = a->tls == CONF_TLS_IMPLICIT ? 993 : 143;
		if (a->tls == CONF_TLS_NONE && !a->allow_plaintext &&
		    !is_loopback(a->host))
			acct_err(
			        L, x, x->s_tls,
			        "tls = \"none\" would send the password in "
			        "clear to %s; it is allowed for loopback hosts "
			        "only, unless allow_plaintext = true",
			        a->host);
	}
	if (a->tls == CONF_TLS_NONE && (x->s_ca_file || x->s_fingerprint))
		acct_err(L, x, x->s_ca_file ? x->s_ca_file : x->s_fingerprint,
		         "%s is set but tls = \"none\"",
		         x->s_ca_file ? "ca_file" : "fingerprint");
	check_auth(L, x);

	for (size_t i = 0; i < a->n_idle; i++) {
		const char *m = a->idle[i];
		/* The hierarchy delimiter is known only from LIST, so '%' is
		 * taken as '*' here: the check may pass a name the sync then
		 * skips, but never rejects a working configuration. */
		/* A pattern may match nothing yet (mailboxes come and go);
		 * only a plain name can be found wrong before LIST. */
		if (!strpbrk(m, "*%") &&
		    !plan_mailbox_wanted((const char *const *)a->mailboxes,
		                         (const char *const *)a->exclude, m,
		                         '\0'))
			acct_err(L, x, x->s_idle,
			         "idle mailbox \"%s\" is not among the synced "
			         "mailboxes (see mailboxes and exclude)",
			         m);
	}
}

/* ---------------------------------------------------------- the loading */

static void account_clear(struct conf_account *a)
{
	free(a->name);
	free(a->file);
	free(a->host);
	free(a->tunnel);
	free(a->ca_file);
	free(a->fingerprint);
	free(a->user);
	if (a->secret != NULL) {
		explicit_bzero(a->secret, strlen(a->secret));
		free(a->secret);
	}
	free_list(&a->mailboxes, &a->n_mailboxes);
	free_list(&a->exclude, &a->n_exclude);
	free_list(&a->idle, &a->n_idle);
	free(a->on_new_mail);
	memset(a, 0, sizeof(*a));
}

/* The built-in defaults, then the top level's. */
static int account_defaults(struct loader *L, struct conf_account *a,
                            const struct conf_account *top)
{
	static const char *const all[] = {"*"}, *const inbox[] = {"INBOX"};

	*a = (struct conf_account){
	        .tls = CONF_TLS_IMPLICIT,
	        .auth = CONF_AUTH_LOGIN,
	        .poll_interval = top->poll_interval,
	        .idle_timeout = top->idle_timeout,
	        .timeout = top->timeout,
	        .bodies = top->bodies,
	        .max_body_size = top->max_body_size,
	        .max_connections = top->max_connections,
	        .enabled = true,
	};
	a->mailboxes = top->mailboxes
	                       ? list_of(L, (const char *const *)top->mailboxes,
	                                 top->n_mailboxes)
	                       : list_of(L, all, 1);
	a->n_mailboxes = top->mailboxes ? top->n_mailboxes : 1;
	a->exclude = top->exclude
	                     ? list_of(L, (const char *const *)top->exclude,
	                               top->n_exclude)
	                     : list_of(L, NULL, 0);
	a->n_exclude = top->exclude ? top->n_exclude : 0;
	a->idle = top->idle ? list_of(L, (const char *const *)top->idle,
	                              top->n_idle)
	                    : list_of(L, inbox, 1);
	a->n_idle = top->idle ? top->n_idle : 1;
	if (top->on_new_mail != NULL)
		a->on_new_mail = dup_or_oom(L, top->on_new_mail);
	if (a->mailboxes == NULL || a->exclude == NULL || a->idle == NULL ||
	    (top->on_new_mail != NULL && a->on_new_mail == NULL))
		return -1;
	return 0;
}

static void load_account(struct loader *L, const config_setting_t *g,
                         size_t index, const struct conf_account *top)
{
	struct conf_account *a = &L->c->accounts[L->c->n_accounts];
	struct acct_ctx x = {.a = a, .group = g, .index = index};
	size_t before = L->errs->n + L->errs->more;
	const config_setting_t *name;
	int n;

	if (account_defaults(L, a, top) < 0) {
		account_clear(a);
		return;
	}
	L->c->n_accounts++;
	a->line = (int)config_setting_source_line(g);
	a->file = dup_or_oom(L, file_of(L, g));
	/* The name first, so that every other message can say whose. */
	name = config_setting_get_member(g, "name");
	if (name != NULL)
		key_name(L, &x, name);
	n = config_setting_length(g);
	for (int i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(g, i);
		const struct key_def *k = find_key(config_setting_name(s));

		if (k == NULL)
			unknown_key(L, &x, s, false);
		else if (s != name)
			k->parse(L, &x, s);
	}
	if (L->errs->n + L->errs->more == before)
		check_account(L, &x);
}

static void load_top(struct loader *L, const config_setting_t *root,
                     struct conf_account *top)
{
	struct acct_ctx x = {.a = top};
	const config_setting_t *accounts = NULL;
	int n = config_setting_length(root);

	for (int i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(root, i);
		const char *name = config_setting_name(s);
		const struct key_def *k = find_key(name);

		if (strcmp(name, "accounts") == 0) {
			accounts = s;
		} else if (strcmp(name, "cache") == 0) {
			const char *v;
			char *d;
			if (want_string(L, NULL, s, &v) < 0)
				continue;
			if (v[0] != '/') {
				top_err(L, s, "cache must be an absolute path");
				continue;
			}
			if ((d = dup_or_oom(L, v)) != NULL)
				set_str(&L->c->cache, d);
		} else if (strcmp(name, "log_level") == 0) {
			if (config_setting_type(s) != CONFIG_TYPE_STRING ||
			    log_level_parse(&L->c->log_level,
			                    config_setting_get_string(s)) < 0)
				top_err(L, s,
				        "log_level must be \"err\", "
				        "\"warning\", \"notice\", \"info\" or "
				        "\"debug\"");
		} else if (k != NULL && k->is_default) {
			k->parse(L, &x, s);
		} else {
			unknown_key(L, NULL, s, true);
		}
	}

	if (accounts == NULL) {
		top_err(L, NULL,
		        "no accounts: add accounts = ( { name = ...; ... } );");
		return;
	}
	if (config_setting_type(accounts) != CONFIG_TYPE_LIST) {
		top_err(L, accounts,
		        "accounts must be a list of groups: accounts = ( { ... "
		        "}, { ... } );");
		return;
	}
	n = config_setting_length(accounts);
	if (n == 0) {
		top_err(L, accounts, "accounts is empty");
		return;
	}
	L->c->accounts = calloc((size_t)n, sizeof(*L->c->accounts));
	if (L->c->accounts == NULL) {
		oom(L);
		return;
	}
	for (int i = 0; i < n; i++) {
		const config_setting_t *g =
		        config_setting_get_elem(accounts, i);
		if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
			top_err(L, g,
			        "accounts must contain groups: { name = ...; "
			        "}");
			continue;
		}
		load_account(L, g, (size_t)i + 1, top);
	}
	for (size_t i = 0; i < L->c->n_accounts; i++) {
		for (size_t j = 0; j < i; j++) {
			const struct conf_account *a = &L->c->accounts[i];
			const struct conf_account *b = &L->c->accounts[j];
			if (a->name && b->name &&
			    strcmp(a->name, b->name) == 0) {
				conf_errors_add(L->errs,
				                a->file ? a->file : L->path,
				                a->line,
				                "account \"%s\" is already "
				                "defined at line %d",
				                a->name, b->line);
				break;
			}
		}
	}
}

/* Reads the whole file for the integer scan; libconfig reads it again. */
static char *read_text(struct loader *L, const char *file, int line,
                       size_t *len)
{
	FILE *f = fopen(file, "re");
	char *buf;

	if (f == NULL) {
		conf_errors_add(L->errs, L->path, line, "cannot read %s: %s",
		                file, strerror(errno));
		return NULL;
	}
	buf = malloc(CONF_FILE_MAX + 1);
	if (buf == NULL) {
		oom(L);
		fclose(f);
		return NULL;
	}
	*len = fread(buf, 1, CONF_FILE_MAX + 1, f);
	if (ferror(f) || *len > CONF_FILE_MAX) {
		conf_errors_add(L->errs, file, 0,
		                ferror(f) ? "read error"
		                          : "larger than 1 MiB; not a "
		                            "configuration file");
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	return buf;
}

static void scan_file(struct loader *L, const char *file, int line);

static void scan_include(void *payload, const char *path, int line)
{
	struct loader *L = payload;
	char full[4096];

	if (L->depth >= INCLUDE_DEPTH_MAX)
		return; /* libconfig reports the loop */
	if (path[0] == '/')
		snprintf(full, sizeof(full), "%s", path);
	else
		snprintf(full, sizeof(full), "%s/%s", L->dir, path);
	L->depth++;
	scan_file(L, full, line);
	L->depth--;
}

static void scan_file(struct loader *L, const char *file, int line)
{
	size_t len;
	char *text = read_text(L, file, line, &len);

	if (text == NULL)
		return;
	conf_scan_integers(L->errs, file, text, len, scan_include, L);
	free(text);
}

/* The folder of path, absolute when it exists, so that the relative file
 * names resolved against it stay right whatever the working directory. */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir, *abs;

	if (slash == NULL)
		dir = strdup(".");
	else if (slash == path)
		dir = strdup("/");
	else
		dir = strndup(path, (size_t)(slash - path));
	if (dir == NULL)
		return NULL;
	abs = realpath(dir, NULL);
	if (abs == NULL)
		return dir;
	free(dir);
	return abs;
}

int conf_load(struct conf **out, struct conf_errors *errs, const char *path)
{
	struct conf_account top = {
	        .poll_interval = CONF_DEFAULT_POLL_INTERVAL,
	        .idle_timeout = CONF_DEFAULT_IDLE_TIMEOUT,
	        .timeout = CONF_DEFAULT_TIMEOUT,
	        .bodies = CONF_BODIES_NONE,
	        .max_connections = CONF_DEFAULT_MAX_CONNECTIONS,
	        .enabled = true,
	};
	struct loader L = {.errs = errs, .path = path};
	config_t cfg;

	*out = NULL;
	memset(errs, 0, sizeof(*errs));
	L.c = calloc(1, sizeof(*L.c));
	L.dir = dir_of(path);
	if (L.c == NULL || L.dir == NULL ||
	    (L.c->path = strdup(path)) == NULL) {
		oom(&L);
		goto fail;
	}
	L.c->log_level = LOG_LEVEL_DEFAULT;

	scan_file(&L, path, 0);
	if (errs->n > 0)
		goto fail;

	config_init(&cfg);
	config_set_include_dir(&cfg, L.dir);
	if (config_read_file(&cfg, path) != CONFIG_TRUE) {
		const char *f = config_error_file(&cfg);
		conf_errors_add(errs, f ? f : path, config_error_line(&cfg),
		                "%s", config_error_text(&cfg));
		config_destroy(&cfg);
		goto fail;
	}
	load_top(&L, config_root_setting(&cfg), &top);
	config_destroy(&cfg);
	account_clear(&top);
	if (errs->n > 0)
		goto fail;
	free(L.dir);
	*out = L.c;
	return 0;
fail:
	account_clear(&top);
	free(L.dir);
	conf_free(&L.c);
	return -1;
}

void conf_free(struct conf **cp)
{
	struct conf *c = cp ? *cp : NULL;

	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n_accounts; i++)
		account_clear(&c->accounts[i]);
	free(c->accounts);
	free(c->path);
	free(c->cache);
	free(c);
	*cp = NULL;
}

/* ----------------------------------------------------------- the queries */

const struct conf_account *conf_account_find(const struct conf *c,
                                             const char *name)
{
	for (size_t i = 0; i < c->n_accounts; i++)
		if (strcmp(c->accounts[i].name, name) == 0)
			return &c->accounts[i];
	return NULL;
}

const char *conf_auth_mechanism(enum conf_auth auth)
{
	switch (auth) {
	case CONF_AUTH_PLAIN:
		return "PLAIN";
	case CONF_AUTH_CRAM_MD5:
		return "CRAM-MD5";
	case CONF_AUTH_SCRAM_SHA_256:
		return "SCRAM-SHA-256";
	case CONF_AUTH_XOAUTH2:
		return "XOAUTH2";
	case CONF_AUTH_OAUTHBEARER:
		return "OAUTHBEARER";
	case CONF_AUTH_LOGIN:
		break;
	}
	return NULL;
}

const char *conf_auth_name(enum conf_auth auth)
{
	return (unsigned)auth < 6 ? auth_names[auth] : "?";
}

const char *conf_tls_name(enum conf_tls tls)
{
	return (unsigned)tls < 3 ? tls_names[tls] : "?";
}

const char *conf_bodies_name(enum conf_bodies bodies)
{
	return (unsigned)bodies < 3 ? bodies_names[bodies] : "?";
}
