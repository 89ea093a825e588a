/* config_keys.c - the value types of mailmirror.conf and one handler per
 * account key; config.c drives them and checks across keys. */
#include "mailmirrord/config_internal.h"
#include "mailmirrord/plan.h"
#include "mailmirrord/secret.h"
#include "mailmirrord/trust.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gnutls/gnutls.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* ------------------------------------------------------------- utilities */

char *conf_dup(struct loader *L, const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		conf_oom(L);
	return d;
}

void conf_free_list(char ***v, size_t *n)
{
	if (*v != NULL) {
		for (size_t i = 0; (*v)[i] != NULL; i++)
			free((*v)[i]);
		free(*v);
	}
	*v = NULL;
	*n = 0;
}

char **conf_list_of(struct loader *L, const char *const *src, size_t n)
{
	char **v = calloc(n + 1, sizeof(*v));

	if (v == NULL) {
		conf_oom(L);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		v[i] = conf_dup(L, src[i]);
		if (v[i] == NULL) {
			size_t k = i;
			conf_free_list(&v, &k);
			return NULL;
		}
	}
	return v;
}

void conf_set_str(char **field, char *value)
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

int conf_want_string(struct loader *L, struct acct_ctx *x,
                     const config_setting_t *s, const char **out)
{
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		conf_key_err(L, x, s, "%s must be a string",
		             config_setting_name(s));
		return -1;
	}
	*out = config_setting_get_string(s);
	if (**out == '\0') {
		conf_key_err(L, x, s, "%s is empty", config_setting_name(s));
		return -1;
	}
	if (has_control(*out)) {
		conf_key_err(L, x, s, "%s contains a control character",
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
		conf_key_err(L, x, s,
		             "%s must be an integer between %lld and %lld",
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
		conf_key_err(L, x, s, "%s must be true or false",
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
	conf_key_err(L, x, s, "%s must be %s", config_setting_name(s), choices);
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
		conf_key_err(L, x, s,
		             "%s must be a list of strings, e.g. [\"INBOX\"]",
		             config_setting_name(s));
		return -1;
	}
	if (n == 0 && !allow_empty) {
		conf_key_err(L, x, s, "%s is empty", config_setting_name(s));
		return -1;
	}
	tmp = calloc((size_t)n + 1, sizeof(*tmp));
	if (tmp == NULL) {
		conf_oom(L);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);
		if (config_setting_type(e) != CONFIG_TYPE_STRING ||
		    *config_setting_get_string(e) == '\0' ||
		    has_control(config_setting_get_string(e))) {
			conf_key_err(L, x, s,
			             "%s must be a list of non-empty strings",
			             config_setting_name(s));
			free(tmp);
			return -1;
		}
		tmp[i] = config_setting_get_string(e);
	}
	v = conf_list_of(L, tmp, (size_t)n);
	free(tmp);
	if (v == NULL)
		return -1;
	conf_free_list(out, nout);
	*out = v;
	*nout = (size_t)n;
	return 0;
}

/* A size in bytes: an integer, or a string with a k, M or G suffix
 * (binary multiples) in either case: "25m" is no less clear than "25k",
 * which was always taken. */
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
			else if (*p == 'M' || *p == 'm')
				mult = 1024 * 1024, p++;
			else if (*p == 'G' || *p == 'g')
				mult = 1024 * 1024 * 1024, p++;
			if (*p == '\0' && v <= UINT64_MAX / mult) {
				*out = v * mult;
				return 0;
			}
		}
	}
bad:
	conf_key_err(
	        L, x, s,
	        "%s must be a size in bytes: an integer, or a string such as "
	        "\"512k\" or \"25M\"",
	        config_setting_name(s));
	return -1;
}

/* A file name: relative ones are taken from the configuration's folder,
 * so that the daemon's working directory does not matter. */
int conf_want_path(struct loader *L, struct acct_ctx *x,
                   const config_setting_t *s, char **out)
{
	const char *v;
	char *p;

	if (conf_want_string(L, x, s, &v) < 0)
		return -1;
	if (v[0] == '/') {
		p = conf_dup(L, v);
	} else {
		size_t n = strlen(L->dir) + 1 + strlen(v) + 1;
		p = malloc(n);
		if (p == NULL)
			conf_oom(L);
		else
			snprintf(p, n, "%s/%s", L->dir, v);
	}
	if (p == NULL)
		return -1;
	conf_set_str(out, p);
	return 0;
}

/* ------------------------------------------------------ the account keys */

const char *const conf_tls_names[] = {"implicit", "starttls", "none", NULL};
const char *const conf_auth_names[] = {
        "login",   "plain",       "cram-md5", "scram-sha-256",
        "xoauth2", "oauthbearer", NULL};
const char *const conf_bodies_names[] = {"none", "headers", "full", NULL};

static bool valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > CONF_NAME_MAX || strcmp(s, ".") == 0 ||
	    strcmp(s, "..") == 0)
		return false;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	                 "0123456789._-") == n;
}

int conf_key_name(struct loader *L, struct acct_ctx *x,
                  const config_setting_t *s)
{
	const char *v;
	char *d;

	x->s_name = s;
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		conf_key_err(L, x, s, "name must be a string");
		return -1;
	}
	v = config_setting_get_string(s);
	if (!valid_name(v)) {
		conf_key_err(
		        L, x, s,
		        "name must be 1 to %d characters of A-Z a-z 0-9 . _ - "
		        "(not \".\" or \"..\")",
		        CONF_NAME_MAX);
		return -1;
	}
	if ((d = conf_dup(L, v)) == NULL)
		return -1;
	conf_set_str(&x->a->name, d);
	return 0;
}

static int key_host(struct loader *L, struct acct_ctx *x,
                    const config_setting_t *s)
{
	const char *v;
	char *d;

	x->s_host = s;
	if (conf_want_string(L, x, s, &v) < 0)
		return -1;
	if (strlen(v) > 253 || strpbrk(v, " /\\\"") != NULL) {
		conf_key_err(L, x, s,
		             "host \"%s\" is not a host name or address", v);
		return -1;
	}
	/* "[::1]" is how a URL writes an IPv6 address, not a name: the
	 * resolver would look it up and fail. Keep the address alone, so
	 * that the loopback check and the connection see the same text. */
	if (v[0] == '[') {
		size_t n = strlen(v);
		char inner[64] = "";
		unsigned char a[16];

		if (n >= 3 && v[n - 1] == ']' && n - 2 < sizeof(inner))
			memcpy(inner, v + 1, n - 2);
		if (inet_pton(AF_INET6, inner, a) != 1) {
			conf_key_err(L, x, s,
			             "host \"%s\": brackets may only enclose "
			             "an IPv6 address",
			             v);
			return -1;
		}
		d = conf_dup(L, inner);
	} else {
		d = conf_dup(L, v);
	}
	if (d == NULL)
		return -1;
	conf_set_str(&x->a->host, d);
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

	if (conf_want_string(L, x, s, &v) < 0 || (d = conf_dup(L, v)) == NULL)
		return -1;
	conf_set_str(field, d);
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
	if (want_enum(L, x, s, conf_tls_names, &v) < 0)
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
	if (want_enum(L, x, s, conf_auth_names, &v) < 0)
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
		if (conf_want_path(L, x, s, &path) < 0)
			return -1;
		if (secret_check_file(path, why, sizeof(why)) < 0) {
			conf_key_err(L, x, s, "%s", why);
			free(path);
			return -1;
		}
		free(path);
		return 0;
	}
	return conf_want_string(L, x, s, &v);
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

/* The file is read as the connection will read it (core/io/tls.c: a PEM
 * bundle given to gnutls_certificate_set_x509_trust_file), so that an
 * empty file, a DER file or any other text fails here with its line and
 * not at each connection. GnuTLS skips what is not a certificate between
 * the PEM blocks and counts the certificates it kept: none is the error. */
static int check_ca_file(struct loader *L, struct acct_ctx *x,
                         const config_setting_t *s, const char *path)
{
	gnutls_certificate_credentials_t cred;
	int n;

	if (gnutls_certificate_allocate_credentials(&cred) < 0) {
		conf_oom(L);
		return -1;
	}
	n = gnutls_certificate_set_x509_trust_file(cred, path,
	                                           GNUTLS_X509_FMT_PEM);
	gnutls_certificate_free_credentials(cred);
	if (n > 0)
		return 0;
	if (n == GNUTLS_E_MEMORY_ERROR)
		conf_oom(L);
	else if (n == GNUTLS_E_FILE_ERROR)
		conf_key_err(L, x, s, "ca_file %s cannot be read", path);
	else
		conf_key_err(L, x, s, "ca_file: no certificate in %s", path);
	return -1;
}

static int key_ca_file(struct loader *L, struct acct_ctx *x,
                       const config_setting_t *s)
{
	struct stat st;

	x->s_ca_file = s;
	if (conf_want_path(L, x, s, &x->a->ca_file) < 0)
		return -1;
	if (stat(x->a->ca_file, &st) < 0) {
		conf_key_err(L, x, s, "ca_file %s: %s", x->a->ca_file,
		             strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		conf_key_err(L, x, s, "ca_file %s is not a regular file",
		             x->a->ca_file);
		return -1;
	}
	/* Whoever may change it may add an authority of theirs, sign a
	 * certificate for the host, and read the password and the mail
	 * through a server of theirs: as the configuration, it is root's or
	 * ours alone. */
	char why[PATH_MAX + 512];
	if (trust_check_writers(x->a->ca_file, &st, "it",
	                        "make mailmirrord trust a certificate "
	                        "authority of theirs",
	                        why, sizeof(why)) < 0) {
		conf_key_err(L, x, s, "ca_file %s: %s", x->a->ca_file, why);
		return -1;
	}
	return check_ca_file(L, x, s, x->a->ca_file);
}

/* "sha256:" and the 32 bytes in hex, either run together or with a ':'
 * between every two bytes (as "openssl x509 -fingerprint" and "certtool
 * -i" print them); a digit pasted or cut in the middle of a grouped
 * fingerprint then shows as a misplaced ':' instead of passing. */
static int key_fingerprint(struct loader *L, struct acct_ctx *x,
                           const config_setting_t *s)
{
	char norm[7 + 64 + 1] = "sha256:";
	const char *v, *p;
	size_t n = 7;
	bool grouped;
	char *d;

	x->s_fingerprint = s;
	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		goto bad;
	v = config_setting_get_string(s);
	if (strncasecmp(v, "sha256:", 7) != 0)
		goto bad;
	grouped = strchr(v + 7, ':') != NULL;
	for (p = v + 7; *p; p++) {
		bool at_byte_end = n > 7 && (n - 7) % 2 == 0;

		if (grouped && at_byte_end && *p == ':' && p[-1] != ':' &&
		    p[1] != '\0')
			continue;
		if (grouped && at_byte_end && p[-1] != ':')
			goto bad;
		if (!strchr("0123456789abcdefABCDEF", *p) || n >= 7 + 64)
			goto bad;
		norm[n++] = (char)(*p | 0x20); /* lower case */
	}
	if (n != 7 + 64)
		goto bad;
	norm[n] = '\0';
	if ((d = conf_dup(L, norm)) == NULL)
		return -1;
	conf_set_str(&x->a->fingerprint, d);
	return 0;
bad:
	conf_key_err(L, x, s,
	             "fingerprint must be \"sha256:\" followed by the 64 "
	             "hexadecimal "
	             "digits of the certificate's SHA-256 digest");
	return -1;
}

static int key_mailboxes(struct loader *L, struct acct_ctx *x,
                         const config_setting_t *s)
{
	x->s_mailboxes = s;
	return want_list(L, x, s, false, &x->a->mailboxes, &x->a->n_mailboxes);
}

static int key_exclude(struct loader *L, struct acct_ctx *x,
                       const config_setting_t *s)
{
	x->s_exclude = s;
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

static int key_on_new_mail_mailboxes(struct loader *L, struct acct_ctx *x,
                                     const config_setting_t *s)
{
	x->s_hook_boxes = s;
	return want_list(L, x, s, true, &x->a->on_new_mail_mailboxes,
	                 &x->a->n_on_new_mail_mailboxes);
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

static int key_noop_interval(struct loader *L, struct acct_ctx *x,
                             const config_setting_t *s)
{
	return want_uint(L, x, s, CONF_MIN_NOOP_INTERVAL,
	                 CONF_MAX_NOOP_INTERVAL, &x->a->noop_interval);
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

	if (want_enum(L, x, s, conf_bodies_names, &v) < 0)
		return -1;
	x->a->bodies = (enum conf_bodies)v;
	return 0;
}

static int key_max_body_size(struct loader *L, struct acct_ctx *x,
                             const config_setting_t *s)
{
	if (want_size(L, x, s, &x->a->max_body_size) < 0)
		return -1;
	/* The value is held in memory whole and bounds every string of a
	 * server's answer: a typo such as "25G" would lift that bound and
	 * could not be met. */
	if (x->a->max_body_size > CONF_MAX_BODY_SIZE) {
		conf_key_err(L, x, s,
		             "max_body_size must be at most 1G (1073741824 "
		             "bytes)");
		return -1;
	}
	return 0;
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

static const struct key_def acct_keys[] = {
        {"name", false, conf_key_name},
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
        {"noop_interval", true, key_noop_interval},
        {"timeout", true, key_timeout},
        {"bodies", true, key_bodies},
        {"max_body_size", true, key_max_body_size},
        {"on_new_mail", true, key_on_new_mail},
        {"on_new_mail_mailboxes", true, key_on_new_mail_mailboxes},
        {"max_connections", true, key_max_connections},
        {"enabled", false, key_enabled},
};
#define N_ACCT_KEYS (sizeof(acct_keys) / sizeof(acct_keys[0]))

static const char *const top_only_keys[] = {"cache", "log_level", "accounts"};
#define N_TOP_ONLY (sizeof(top_only_keys) / sizeof(top_only_keys[0]))

const struct key_def *conf_find_key(const char *name)
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

const char *conf_unknown_key(struct loader *L, struct acct_ctx *x,
                             const config_setting_t *s, bool top)
{
	const char *name = config_setting_name(s);
	const char *hint = suggest(name, top);
	const struct key_def *k = conf_find_key(name);

	if (top && k != NULL) {
		conf_top_err(L, s, "%s is only allowed inside an account",
		             name);
		return NULL;
	}
	if (hint != NULL)
		conf_key_err(L, x, s,
		             "unknown key \"%s\" (did you mean \"%s\"?)", name,
		             hint);
	else
		conf_key_err(L, x, s, "unknown key \"%s\"", name);
	return hint;
}
