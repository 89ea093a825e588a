/* config_internal.h - what config.c (loading, checks across keys) and
 * config_keys.c (value types and one handler per key) share. Nothing here
 * is for other modules: they use config.h. */
#ifndef MAILMIRRORD_CONFIG_INTERNAL_H
#define MAILMIRRORD_CONFIG_INTERNAL_H

#include "mailmirrord/config.h"

#include <libconfig.h>
#include <stdbool.h>
#include <stddef.h>

/* A file the scan is in, and the one whose @include led there (up): an
 * @include of any of them is a cycle. */
struct include_frame {
	const struct include_frame *up;
	const char *real; /* its realpath() */
	const char *name; /* as the user wrote it: the configuration's path,
	                     else the @include's */
};

struct loader {
	struct conf *c;
	struct conf_errors *errs;
	const char *path;
	char *dir; /* of path, for relative file names */
	int depth; /* of @include, while scanning */
	const char *scanning; /* the file the scan reads, for its errors */
	const struct include_frame *including; /* the innermost, or NULL */
	/* The files the scan read, each once: a file that includes itself
	 * (or is included again and again) is not read at every turn, which
	 * took time exponential in the @include lines (explore41). */
	char **scanned;
	size_t n_scanned;
	/* The top level's idle, which accounts inherit: errors about the
	 * mailboxes it names point there. NULL when not written. */
	const config_setting_t *s_top_idle;
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
	/* idle was written neither in the account nor at the top level:
	 * a->idle holds the built-in default, which check_account() may
	 * empty (see there). */
	bool idle_default;
};

/* One key an account (or, for defaults, the top level) may hold. */
struct key_def {
	const char *name;
	bool is_default; /* also allowed at the top level */
	int (*parse)(struct loader *, struct acct_ctx *,
	             const config_setting_t *);
};

/* ---- errors (config.c): each adds "FILE:LINE: message" to L->errs */

/* An error at setting s, outside any account. */
void conf_top_err(struct loader *L, const config_setting_t *s, const char *fmt,
                  ...) __attribute__((format(printf, 3, 4)));
/* An error at setting s (or the account's group) of account x. */
void conf_acct_err(struct loader *L, const struct acct_ctx *x,
                   const config_setting_t *s, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
/* Either of the two: x is NULL (or has no group) at the top level. */
void conf_key_err(struct loader *L, const struct acct_ctx *x,
                  const config_setting_t *s, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
void conf_oom(struct loader *L);

/* ---- values and keys (config_keys.c) */

extern const char *const conf_tls_names[];
extern const char *const conf_auth_names[];
extern const char *const conf_bodies_names[];

char *conf_dup(struct loader *L, const char *s);
void conf_free_list(char ***v, size_t *n);
char **conf_list_of(struct loader *L, const char *const *src, size_t n);
void conf_set_str(char **field, char *value);
/* A string setting into *out (borrowed from libconfig); < 0 when the
 * setting is of another type (reported). */
int conf_want_string(struct loader *L, struct acct_ctx *x,
                     const config_setting_t *s, const char **out);
/* A file name, made absolute against the configuration's folder, into a
 * malloc'ed *out; < 0 when wrong (reported). */
int conf_want_path(struct loader *L, struct acct_ctx *x,
                   const config_setting_t *s, char **out);
int conf_key_name(struct loader *L, struct acct_ctx *x,
                  const config_setting_t *s);
/* The definition of the key called name, or NULL. */
const struct key_def *conf_find_key(const char *name);
/* Reports s as unknown, with the closest allowed key as a hint. */
void conf_unknown_key(struct loader *L, struct acct_ctx *x,
                      const config_setting_t *s, bool top);

#endif
