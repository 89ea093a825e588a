/* config_internal.h - what config.c (loading, checks across keys) and
 * config_keys.c (value types and one handler per key) share. Nothing here
 * is for other modules: they use config.h. */
#ifndef MAILMIRRORD_CONFIG_INTERNAL_H
#define MAILMIRRORD_CONFIG_INTERNAL_H

#include "mailmirrord/config.h"

#include <libconfig.h>
#include <stdbool.h>
#include <stddef.h>

/* libconfig's depth of @include, which the scan follows as far. */
#define CONF_INCLUDE_DEPTH_MAX 10

/* A file the scan is in, and the one whose @include led there (up, at
 * line of it): an @include of any of them is a cycle. */
struct include_frame {
	const struct include_frame *up;
	int line;
	const char *real; /* its realpath() */
	const char *name; /* as the user wrote it: the configuration's path,
	                     else the @include's */
};

/* A file the scan read (or tried to), by the name errors give it. */
struct conf_file {
	char *name;
	/* Where its text stands in the configuration read as libconfig
	 * reads it, an included file in place of its @include line: the
	 * lines of the @include chain that leads to it, outermost first
	 * (none for the configuration itself). */
	int at[CONF_INCLUDE_DEPTH_MAX];
	size_t depth;
	/* Lines holding an integer libconfig truncates (config_scan.h),
	 * already reported: the truncated value is not judged again. */
	int *wide;
	size_t n_wide;
};

/* Where an error is, to list them in file order: its file's at[], then
 * its line; seq, the order they were found in, breaks ties. */
struct err_pos {
	int at[CONF_INCLUDE_DEPTH_MAX + 1];
	size_t depth;
	size_t seq;
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
	/* The same of on_new_mail_mailboxes. */
	const config_setting_t *s_top_hook_boxes;
	/* A top-level mailboxes, exclude or idle was invalid: an account
	 * that inherits it cannot be judged on what it mirrors. */
	bool top_bad_mailboxes, top_bad_exclude, top_bad_idle,
	        top_bad_hook_boxes;
	/* Something the scan found keeps libconfig from reading the files
	 * (one unreadable, an @include cycle): the checks stop there. */
	bool unparsable;
	/* Errors are not kept: they are about a value said wrong already. */
	bool mute;
	struct conf_file *files;
	size_t n_files;
	struct err_pos pos[CONF_MAX_ERRORS]; /* of errs->msg[i] */
	size_t seq;
};

/* What one account's keys said, for the checks across keys. */
struct acct_ctx {
	struct conf_account *a;
	const config_setting_t *group;
	size_t index; /* 1-based, for an account without a name */
	const config_setting_t *s_name, *s_host, *s_port, *s_tunnel, *s_tls,
	        *s_user, *s_auth, *s_ca_file, *s_fingerprint, *s_idle,
	        *s_allow_plaintext, *s_hook_boxes;
	const config_setting_t *s_secret[4]; /* password, _file, _command,
	                                        token_command */
	const config_setting_t *s_mailboxes, *s_exclude;
	/* idle was written neither in the account nor at the top level:
	 * a->idle holds the built-in default, which check_account() may
	 * empty (see there). */
	bool idle_default;
	/* The keys whose value was reported wrong (at most one of each
	 * key: libconfig refuses a duplicate). A check across keys that
	 * reads the value of one of them is skipped: the value it would
	 * read is a default, and the mistake is said once. */
	const config_setting_t *bad[32];
	size_t n_bad;
	/* The keys an unknown key was taken for ("did you mean"): one of
	 * them is not also said to be missing. */
	const char *meant[8];
	size_t n_meant;
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
/* An error in file (as the user can open it; line 0: the file as a
 * whole). */
void conf_file_err(struct loader *L, const char *file, int line,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void conf_oom(struct loader *L);
/* Whether s was written and reported wrong. */
bool conf_bad(const struct acct_ctx *x, const config_setting_t *s);

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
/* Reports s as unknown, with the closest allowed key as a hint, which it
 * returns (static), or NULL. */
const char *conf_unknown_key(struct loader *L, struct acct_ctx *x,
                             const config_setting_t *s, bool top);

#endif
