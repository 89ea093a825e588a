/* config.h - mailmirrord's configuration: a plain, validated struct.
 *
 * conf_load() reads a libconfig file (syntax in mailmirror.conf(5)) and
 * either returns a configuration in which every field is set and valid, or
 * fails with the list of what is wrong, each as "FILE:LINE: message":
 *
 *	mailmirror.conf:12: account "work": unknown key "pasword" (did you
 *	mean "password"?)
 *
 * The list holds every error one load can find, in the order of the text
 * (an included file's at its @include), as a compiler gives them: each key
 * is judged, then the checks across keys that do not read a wrong value
 * (one mistake, one message), then across accounts. Only what stops
 * libconfig ends it early: a syntax error is its last entry; a file that
 * cannot be read, or an @include cycle, leaves the keys unjudged.
 *
 * It writes nothing and starts nothing; it only reads the file (and its
 * @include files) and stat()s the files the configuration names (a
 * password_file's mode, a ca_file's existence). The daemon exits 78
 * (EX_CONFIG) when it fails, before it touches the cache.
 *
 * Every unknown key, wrong type, out-of-range number, bad enumeration
 * value, duplicate key or duplicate account name is an error. Defaults are
 * filled in, so users of the struct never look for "unset".
 *
 * Reload (SIGHUP): load the new file into a second struct; if that fails,
 * keep running with the old one and log the errors; else conf_diff() tells
 * which accounts were added, removed or changed.
 *
 * Secrets: an inline password is held in the struct and wiped by
 * conf_free(). libconfig's own parse tree is destroyed (not wiped) before
 * conf_load() returns; operators who care keep passwords out of the file
 * (password_file, password_command).
 */
#ifndef MAILMIRRORD_CONFIG_H
#define MAILMIRRORD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum conf_tls {
	CONF_TLS_IMPLICIT, /* "implicit": TLS from the first byte */
	CONF_TLS_STARTTLS, /* "starttls": required, never optional */
	CONF_TLS_NONE,     /* "none": loopback, tunnel or
	                      allow_plaintext only */
};

enum conf_auth {
	CONF_AUTH_LOGIN,         /* "login": LOGIN, or SASL PLAIN when the
	                            server has LOGINDISABLED */
	CONF_AUTH_PLAIN,         /* "plain" */
	CONF_AUTH_CRAM_MD5,      /* "cram-md5" */
	CONF_AUTH_SCRAM_SHA_256, /* "scram-sha-256" */
	CONF_AUTH_XOAUTH2,       /* "xoauth2": token_command */
	CONF_AUTH_OAUTHBEARER,   /* "oauthbearer": token_command */
};

enum conf_bodies {
	CONF_BODIES_NONE,    /* envelope, flags and structure only */
	CONF_BODIES_HEADERS, /* plus the header section */
	CONF_BODIES_FULL,    /* the whole message */
};

/* Where the account's secret comes from; conf_account.secret holds it. */
enum conf_secret {
	CONF_SECRET_NONE,          /* no authentication (preauthenticated
	                              tunnel) */
	CONF_SECRET_PASSWORD,      /* secret is the password itself */
	CONF_SECRET_FILE,          /* secret is an absolute file path */
	CONF_SECRET_COMMAND,       /* secret is a password_command */
	CONF_SECRET_TOKEN_COMMAND, /* secret is a token_command */
};

/* Limits and defaults, also the ones mailmirror.conf(5) documents. */
#define CONF_MAX_ERRORS              20
#define CONF_ERROR_LEN               512
#define CONF_NAME_MAX                64
#define CONF_DEFAULT_POLL_INTERVAL   300
#define CONF_MIN_POLL_INTERVAL       10
#define CONF_MAX_POLL_INTERVAL       86400
/* RFC 2177 asks for a new IDLE within 29 minutes; ending one every ten
 * also bounds how long a server that stopped answering (a hung process
 * behind a live TCP stack, which keepalives cannot see) goes unnoticed. */
#define CONF_DEFAULT_IDLE_TIMEOUT    600
#define CONF_MIN_IDLE_TIMEOUT        60
#define CONF_MAX_IDLE_TIMEOUT        1740
#define CONF_DEFAULT_NOOP_INTERVAL   30
#define CONF_MIN_NOOP_INTERVAL       5
#define CONF_MAX_NOOP_INTERVAL       1740
#define CONF_DEFAULT_TIMEOUT         120
#define CONF_MIN_TIMEOUT             5
#define CONF_MAX_TIMEOUT             3600
#define CONF_DEFAULT_MAX_CONNECTIONS 2
#define CONF_MAX_MAX_CONNECTIONS     32

struct conf_account {
	char *name; /* [A-Za-z0-9._-]+, unique */
	char *file; /* where it is defined, for messages */
	int line;

	char *host;    /* NULL when tunnel is set */
	uint16_t port; /* 0 when tunnel is set */
	char *tunnel;  /* "/bin/sh -c" command speaking IMAP on its
	                  stdin/stdout, or NULL */
	enum conf_tls tls;
	bool allow_plaintext;
	char *ca_file;     /* absolute path, or NULL: system store */
	char *fingerprint; /* "sha256:" + 64 lower-case hex, or NULL */

	char *user; /* NULL only for a preauthenticated tunnel */
	enum conf_auth auth;
	enum conf_secret secret_kind;
	char *secret; /* see enum conf_secret; NULL for NONE */

	/* NULL-terminated lists (n excludes the NULL), as
	 * plan_mailbox_wanted() takes them */
	char **mailboxes; /* LIST patterns; default {"*"} */
	size_t n_mailboxes;
	char **exclude; /* LIST patterns; default {} */
	size_t n_exclude;
	char **idle; /* names watched with IDLE, or {"*"};
	                default {"INBOX"} */
	size_t n_idle;

	unsigned poll_interval; /* seconds */
	unsigned idle_timeout;  /* seconds */
	unsigned noop_interval; /* seconds; the watched mailbox without IDLE */
	unsigned timeout;       /* seconds, each command */
	enum conf_bodies bodies;
	uint64_t max_body_size; /* bytes; 0 = no limit */
	char *on_new_mail;      /* command, or NULL */
	/* LIST patterns of the mailboxes whose new mail runs on_new_mail;
	 * NULL: every mirrored one (the default) */
	char **on_new_mail_mailboxes;
	size_t n_on_new_mail_mailboxes;
	unsigned max_connections;
	bool enabled;
};

struct conf {
	char *path;    /* as given to conf_load() */
	char *cache;   /* absolute path of the SQLite file, or NULL:
	                  the default, which the daemon resolves
	                  with cache_default_path() (cache/paths.h)
	                  when it starts, since that may create a
	                  folder and loading writes nothing */
	char *cache_file; /* where the cache key was written, for */
	int cache_line;   /* messages; NULL and 0 without the key */
	int log_level; /* enum log_level */
	struct conf_account *accounts;
	size_t n_accounts;
};

/* What conf_load() found wrong: msg[0..n), each "FILE:LINE: message",
 * the first CONF_MAX_ERRORS in the order of the text; more is how many
 * later ones were not kept. Caller-owned (no heap), so the out-of-memory
 * path can still fill it. */
struct conf_errors {
	size_t n;
	size_t more;
	char msg[CONF_MAX_ERRORS][CONF_ERROR_LEN];
};

/* Loads and validates path. On success, 0 and *out (free with
 * conf_free()); errs->n is 0. On failure, -1, *out NULL and errs->n >= 1.
 * errs may not be NULL. */
int conf_load(struct conf **out, struct conf_errors *errs, const char *path);

/* Frees c (wiping inline passwords) and sets *c to NULL. NULL is a no-op. */
void conf_free(struct conf **c);

/* Whether a's password is written in its configuration file (*file, with
 * *mode) and that file may be read by its group or by anyone: the
 * daemon warns, as it refuses a password_file that others may read. */
bool conf_password_exposed(const struct conf *c, const struct conf_account *a,
                           const char **file, unsigned *mode);

/* The account named name, or NULL. Borrowed from c. */
const struct conf_account *conf_account_find(const struct conf *c,
                                             const char *name);

/* With max_body_size = 0, the most of one message held in memory: the
 * rest of a larger one is left on the server (the body is truncated). */
#define CONF_BODY_CAP ((uint64_t)32 << 20)
/* The largest max_body_size: more of one message than a cache has use
 * for, and than the daemon should hold in memory. */
#define CONF_MAX_BODY_SIZE ((uint64_t)1 << 30)

/* The most of one message a's body fetch asks for: max_body_size, or
 * CONF_BODY_CAP. */
uint64_t conf_body_cap(const struct conf_account *a);

/* Whether two accounts are configured alike: in every field that changes
 * what the worker does (not where it is written, nor max_connections). */
bool conf_account_equal(const struct conf_account *a,
                        const struct conf_account *b);

/* The SASL mechanism of auth ("PLAIN", "CRAM-MD5", ...), or NULL for
 * CONF_AUTH_LOGIN, where the caller chooses LOGIN or PLAIN. */
const char *conf_auth_mechanism(enum conf_auth auth);
/* The configuration spelling of each value ("scram-sha-256"). */
const char *conf_auth_name(enum conf_auth auth);
const char *conf_tls_name(enum conf_tls tls);
const char *conf_bodies_name(enum conf_bodies bodies);

/* ---- reload */

enum conf_change {
	CONF_ADDED,   /* only in the new configuration */
	CONF_REMOVED, /* only in the old one */
	CONF_CHANGED, /* in both, with a difference */
};

struct conf_diff_entry {
	enum conf_change change;
	const struct conf_account *old_acct; /* NULL when ADDED */
	const struct conf_account *new_acct; /* NULL when REMOVED */
};

/* Accounts that differ, removed ones first (in old order), then changed
 * and added ones (in new order); unchanged accounts are not listed.
 * Entries borrow from both configurations: keep them alive while using
 * it. cache_changed and log_level_changed report the top-level keys (the
 * cache cannot move while the daemon runs: the caller refuses such a
 * reload or restarts). */
struct conf_diff {
	struct conf_diff_entry *v;
	size_t n;
	bool cache_changed;
	bool log_level_changed;
};

/* Whether loading new_conf asks for another cache than in_use, the path
 * the running daemon opened when it started. The question is not answered
 * by conf_diff()'s cache_changed: after a reload that moved the cache
 * (which waits for a restart) and one that moved it back, the two last
 * configurations differ, yet the cache in use is the one asked for. A NULL
 * new_conf->cache stands for default_path, cache_default_path()'s answer
 * (cache/paths.h); pass NULL when that could not be found, which counts as
 * a change. Paths are compared as text. */
bool conf_cache_moved(const struct conf *new_conf, const char *in_use,
                      const char *default_path);

/* 0, or -1 when out of memory (*out then empty). */
int conf_diff(struct conf_diff *out, const struct conf *old_conf,
              const struct conf *new_conf);
void conf_diff_clear(struct conf_diff *d);

#endif
