/* config.c - loading and validating mailmirror.conf (libconfig syntax). */
#include "mailmirrord/config.h"
#include "cache/paths.h"
#include "mailmirrord/config_internal.h"
#include "mailmirrord/config_scan.h"
#include "mailmirrord/conn.h"
#include "mailmirrord/log.h"
#include "mailmirrord/plan.h"
#include "mailmirrord/secret.h"
#include "mailmirrord/trust.h"

#include <arpa/inet.h>
#include <assert.h>
#include <netinet/in.h>
#include <errno.h>
#include <fcntl.h>
#include <libconfig.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* A configuration file larger than this is certainly not one. */
#define CONF_FILE_MAX (1024 * 1024)

/* ---------------------------------------------------------------- errors */

/* Errors are found key by key, then across keys, then across accounts;
 * they are listed as a compiler lists them, in the order of the text
 * (an included file's where its @include is), and the first ones are
 * kept when there are too many. */

static struct conf_file *find_file(const struct loader *L, const char *name)
{
	for (size_t i = 0; i < L->n_files; i++)
		if (strcmp(L->files[i].name, name) == 0)
			return &L->files[i];
	return NULL;
}

static struct err_pos pos_of(struct loader *L, const char *file, int line)
{
	const struct conf_file *f = find_file(L, file);
	struct err_pos p = {.seq = L->seq++};

	if (f != NULL) {
		memcpy(p.at, f->at, f->depth * sizeof(f->at[0]));
		p.depth = f->depth;
	} else {
		/* a file the scan did not read (libconfig's, past the
		 * depth the scan follows): after all the others */
		p.at[p.depth++] = INT_MAX;
	}
	p.at[p.depth++] = line;
	return p;
}

/* <0, 0, >0 as a comes before, with, after b: a file's place in its
 * includer comes before what its lines hold (a "cannot read" at the
 * @include before the errors inside). */
static int pos_cmp(const struct err_pos *a, const struct err_pos *b)
{
	for (size_t i = 0; i < a->depth && i < b->depth; i++)
		if (a->at[i] != b->at[i])
			return a->at[i] < b->at[i] ? -1 : 1;
	if (a->depth != b->depth)
		return a->depth < b->depth ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

__attribute__((format(printf, 5, 0))) static void
errors_vadd(struct loader *L, const char *file, int line, const char *prefix,
            const char *fmt, va_list ap)
{
	struct conf_errors *e = L->errs;
	struct err_pos p;
	char *m;
	size_t slot, n;
	int k;

	if (L->mute)
		return;
	p = pos_of(L, file, line);
	if (e->n < CONF_MAX_ERRORS) {
		slot = e->n++;
	} else {
		/* Full: the new one takes the place of the last kept, when
		 * it comes before it. Either way one is left out. */
		slot = 0;
		for (size_t i = 1; i < e->n; i++)
			if (pos_cmp(&L->pos[i], &L->pos[slot]) > 0)
				slot = i;
		e->more++;
		if (pos_cmp(&p, &L->pos[slot]) > 0)
			return;
	}
	L->pos[slot] = p;
	m = e->msg[slot];
	k = line > 0 ? snprintf(m, CONF_ERROR_LEN, "%s:%d: %s", file, line,
	                        prefix)
	             : snprintf(m, CONF_ERROR_LEN, "%s: %s", file, prefix);
	n = k < 0 ? 0 : (size_t)k < CONF_ERROR_LEN ? (size_t)k : CONF_ERROR_LEN;
	if (n < CONF_ERROR_LEN)
		vsnprintf(m + n, CONF_ERROR_LEN - n, fmt, ap);
}

/* Puts the kept errors in file order (found in another). */
static void errors_sort(struct loader *L)
{
	struct conf_errors *e = L->errs;
	char tmp[CONF_ERROR_LEN];

	for (size_t i = 1; i < e->n; i++) {
		for (size_t j = i;
		     j > 0 && pos_cmp(&L->pos[j - 1], &L->pos[j]) > 0; j--) {
			struct err_pos p = L->pos[j];
			L->pos[j] = L->pos[j - 1];
			L->pos[j - 1] = p;
			memcpy(tmp, e->msg[j], sizeof(tmp));
			memcpy(e->msg[j], e->msg[j - 1], sizeof(tmp));
			memcpy(e->msg[j - 1], tmp, sizeof(tmp));
		}
	}
}

/* libconfig stopped at file:line: what the scan found after it is left
 * for the next run, as a compiler stops at a syntax error (the text after
 * it may mean something else once it is mended). */
static void errors_drop_after(struct loader *L, const char *file, int line)
{
	struct conf_errors *e = L->errs;
	struct err_pos end = pos_of(L, file, line);
	size_t kept = 0;

	end.seq = SIZE_MAX;
	for (size_t i = 0; i < e->n; i++) {
		if (pos_cmp(&L->pos[i], &end) > 0)
			continue;
		if (kept != i) {
			L->pos[kept] = L->pos[i];
			memcpy(e->msg[kept], e->msg[i], CONF_ERROR_LEN);
		}
		kept++;
	}
	/* The errors not kept (more) come after every one kept
	 * (errors_vadd): after the end too, when one kept was. */
	if (kept < e->n)
		e->more = 0;
	e->n = kept;
}

__attribute__((format(printf, 4, 5))) void conf_file_err(struct loader *L,
                                                         const char *file,
                                                         int line,
                                                         const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	errors_vadd(L, file, line, "", fmt, ap);
	va_end(ap);
}

/* A file name as the user can open it. libconfig names an included file
 * as the @include wrote it, which it opened in the configuration's folder
 * (its include dir): "sub/inc.conf:1: ..." sent a reader elsewhere to
 * look. */
struct file_name {
	char s[PATH_MAX];
};

static struct file_name user_file(const struct loader *L, const char *f)
{
	struct file_name n;
	if (f == NULL)
		f = L->path;
	if (f[0] == '/' || strcmp(f, L->path) == 0)
		snprintf(n.s, sizeof(n.s), "%s", f);
	else
		snprintf(n.s, sizeof(n.s), "%s/%s", L->dir, f);
	return n;
}

static struct file_name file_of(const struct loader *L,
                                const config_setting_t *s)
{
	return user_file(L, s ? config_setting_source_file(s) : NULL);
}

/* Whether s is an integer on a line where the scan found one that
 * libconfig truncated: that was said, and the value libconfig kept is
 * not the one written. (By the line: another integer on it goes
 * unjudged, in a configuration that fails anyway.) */
static bool truncated(const struct loader *L, const config_setting_t *s)
{
	int type = config_setting_type(s), line;
	const struct conf_file *f;

	if (type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64)
		return false;
	f = find_file(L, file_of(L, s).s);
	line = (int)config_setting_source_line(s);
	for (size_t i = 0; f != NULL && i < f->n_wide; i++)
		if (f->wide[i] == line)
			return true;
	return false;
}

/* An error at setting s, outside any account. */
__attribute__((format(printf, 3, 4))) void
conf_top_err(struct loader *L, const config_setting_t *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	errors_vadd(L, file_of(L, s).s,
	            s ? (int)config_setting_source_line(s) : 0, "", fmt, ap);
	va_end(ap);
}

/* An error at setting s (or the account's group) of account x. */
__attribute__((format(printf, 4, 5))) void
conf_acct_err(struct loader *L, const struct acct_ctx *x,
              const config_setting_t *s, const char *fmt, ...)
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
	errors_vadd(L, file_of(L, s).s, (int)config_setting_source_line(s),
	            prefix, fmt, ap);
	va_end(ap);
}

/* Settings of the top level (the defaults) are reported without an
 * account; x is NULL there. */
__attribute__((format(printf, 4, 5))) void
conf_key_err(struct loader *L, const struct acct_ctx *x,
             const config_setting_t *s, const char *fmt, ...)
{
	char msg[CONF_ERROR_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (x != NULL && x->group != NULL)
		conf_acct_err(L, x, s, "%s", msg);
	else
		conf_top_err(L, s, "%s", msg);
}

void conf_oom(struct loader *L)
{
	conf_file_err(L, L->path, 0, "out of memory");
}

bool conf_bad(const struct acct_ctx *x, const config_setting_t *s)
{
	for (size_t i = 0; s != NULL && i < x->n_bad; i++)
		if (x->bad[i] == s)
			return true;
	return false;
}

/* ------------------------------------------------------ account checks */

/* Whether a cleartext connection to host stays on this machine, judged
 * from the text alone: an answer from DNS could change after the check.
 * Only literal loopback addresses count, and the name "localhost" itself,
 * which every resolver we run on answers from /etc/hosts or internally.
 * RFC 6761 6.3 says names under .localhost are loopback too, but glibc
 * does not know that: with "hosts: files dns" it sends "x.localhost" to
 * the name server (and through the search domains), whose answer may be
 * any address. key_host() has removed the brackets of an IPv6 literal. */
static bool is_loopback(const char *host)
{
	struct sockaddr_in in = {.sin_family = AF_INET};
	struct sockaddr_in6 in6 = {.sin6_family = AF_INET6};

	if (strcasecmp(host, "localhost") == 0)
		return true;
	/* inet_pton() takes only the dotted quad, unlike inet_aton(): no
	 * "127.1", octal or hexadecimal forms that other parsers read
	 * differently. The addresses that count are the ones conn.c
	 * accepts once connected. */
	if (inet_pton(AF_INET, host, &in.sin_addr) == 1)
		return conn_addr_is_loopback((const struct sockaddr *)&in);
	if (inet_pton(AF_INET6, host, &in6.sin6_addr) == 1)
		return conn_addr_is_loopback((const struct sockaddr *)&in6);
	return false;
}

static const char *const secret_keys[] = {"password", "password_file",
                                          "password_command", "token_command"};

/* Whether key is written, or an unknown key was taken for it: "unknown
 * key "pasword" (did you mean "password"?)" says enough, without "no
 * password source" after it. */
static bool written(const struct acct_ctx *x, const config_setting_t *s,
                    const char *key)
{
	if (s != NULL)
		return true;
	for (size_t i = 0; i < x->n_meant; i++)
		if (strcmp(x->meant[i], key) == 0)
			return true;
	return false;
}

static bool secret_meant(const struct acct_ctx *x)
{
	for (int i = 0; i < 4; i++)
		if (written(x, NULL, secret_keys[i]))
			return true;
	return false;
}

static void check_auth(struct loader *L, struct acct_ctx *x)
{
	struct conf_account *a = x->a;
	bool oauth = a->auth == CONF_AUTH_XOAUTH2 ||
	             a->auth == CONF_AUTH_OAUTHBEARER;
	const config_setting_t *first = NULL;
	int which = -1;

	if (x->s_user == NULL) {
		bool any = x->s_auth != NULL;
		for (int i = 0; i < 4; i++)
			any |= x->s_secret[i] != NULL;
		/* A tunnel to "imap" on a host we log in to over ssh starts
		 * preauthenticated: no user, nothing to send. */
		if (x->s_tunnel != NULL && !any) {
			a->secret_kind = CONF_SECRET_NONE;
			return;
		}
		if (!written(x, NULL, "user"))
			conf_acct_err(L, x, NULL,
			              "missing required key \"user\"");
		return;
	}
	/* Which sources fit depends on the mechanism. */
	if (conf_bad(x, x->s_auth))
		return;
	if (oauth) {
		for (int i = 0; i < 3; i++) {
			if (x->s_secret[i] != NULL)
				conf_acct_err(
				        L, x, x->s_secret[i],
				        "%s cannot be used with auth = \"%s\"; "
				        "use token_command",
				        secret_keys[i],
				        conf_auth_names[a->auth]);
		}
		if (x->s_secret[3] == NULL) {
			if (written(x, NULL, "token_command"))
				return;
			conf_acct_err(L, x, x->s_auth,
			              "auth = \"%s\" needs token_command",
			              conf_auth_names[a->auth]);
			return;
		}
		which = 3;
	} else {
		if (x->s_secret[3] != NULL)
			conf_acct_err(L, x, x->s_secret[3],
			              "token_command is only used with auth = "
			              "\"xoauth2\" or \"oauthbearer\"");
		for (int i = 0; i < 3; i++) {
			if (x->s_secret[i] == NULL)
				continue;
			if (first != NULL) {
				conf_acct_err(
				        L, x, x->s_secret[i],
				        "%s and %s are both set; keep one",
				        config_setting_name(first),
				        secret_keys[i]);
				return;
			}
			first = x->s_secret[i];
			which = i;
		}
		if (first == NULL) {
			if (secret_meant(x))
				return;
			conf_acct_err(
			        L, x, NULL,
			        "no password source: set one of password, "
			        "password_file or password_command");
			return;
		}
	}

	/* The load fails: nothing to keep (nor a string to read). */
	if (conf_bad(x, x->s_secret[which]))
		return;
	switch (which) {
	case 0:
		a->secret_kind = CONF_SECRET_PASSWORD;
		a->secret =
		        conf_dup(L, config_setting_get_string(x->s_secret[0]));
		break;
	case 1:
		a->secret_kind = CONF_SECRET_FILE;
		conf_want_path(L, x, x->s_secret[1], &a->secret);
		break;
	case 2:
		a->secret_kind = CONF_SECRET_COMMAND;
		a->secret =
		        conf_dup(L, config_setting_get_string(x->s_secret[2]));
		break;
	default:
		a->secret_kind = CONF_SECRET_TOKEN_COMMAND;
		a->secret =
		        conf_dup(L, config_setting_get_string(x->s_secret[3]));
		break;
	}
}

/* Whether a's exclude leaves out every mailbox its mailboxes name, all
 * plain names (explore41: mailboxes = ["INBOX"] with exclude = ["INBOX"]
 * mirrored nothing, without a word, where an empty mailboxes list is
 * refused). What a pattern matches is known from LIST alone: the sync
 * says when exclude leaves none of it (sync_list.c). */
static bool mirrors_nothing(const struct conf_account *a)
{
	for (size_t i = 0; i < a->n_mailboxes; i++)
		if (strpbrk(a->mailboxes[i], "*%") ||
		    plan_mailbox_wanted((const char *const *)a->mailboxes,
		                        (const char *const *)a->exclude,
		                        a->mailboxes[i], '\0'))
			return false;
	return a->n_mailboxes > 0;
}

/* Whether mailboxes, exclude or idle, the account's or the one it
 * inherits, was reported wrong: what it mirrors is not known. */
static bool lists_bad(const struct loader *L, const struct acct_ctx *x)
{
	return (x->s_mailboxes ? conf_bad(x, x->s_mailboxes)
	                       : L->top_bad_mailboxes) ||
	       (x->s_exclude ? conf_bad(x, x->s_exclude)
	                     : L->top_bad_exclude) ||
	       (x->s_idle ? conf_bad(x, x->s_idle) : L->top_bad_idle) ||
	       (x->s_hook_boxes ? conf_bad(x, x->s_hook_boxes)
	                        : L->top_bad_hook_boxes);
}

/* A plain name (no wildcard) in list, a key that names mailboxes among
 * the mirrored ones, that mailboxes and exclude leave out: a typo there
 * would leave it at nothing without a word. A pattern may match nothing
 * yet (mailboxes come and go); only a plain name can be found wrong
 * before LIST. The hierarchy delimiter is known only from LIST, so '%'
 * is taken as '*' here: the check may pass a name the sync then skips,
 * but never rejects a working configuration. */
static void check_mirrored(struct loader *L, struct acct_ctx *x,
                           char *const *list, size_t n,
                           const config_setting_t *where, const char *what)
{
	const struct conf_account *a = x->a;
	for (size_t i = 0; i < n; i++)
		if (!strpbrk(list[i], "*%") &&
		    !plan_mailbox_wanted((const char *const *)a->mailboxes,
		                         (const char *const *)a->exclude,
		                         list[i], '\0'))
			conf_acct_err(
			        L, x, where,
			        "%s mailbox \"%s\" is not among the synced "
			        "mailboxes (see mailboxes and exclude)",
			        what, list[i]);
}

/* Everything that involves more than one key. A check that reads the
 * value of a key reported wrong is skipped (what it would read is a
 * default, and one mistake gives one message); one that only asks
 * whether a key is written still runs. */
static void check_account(struct loader *L, struct acct_ctx *x)
{
	struct conf_account *a = x->a;
	bool tls_known = !conf_bad(x, x->s_tls);

	if (!written(x, x->s_name, "name"))
		conf_acct_err(L, x, NULL, "missing required key \"name\"");
	if (x->s_tunnel != NULL) {
		if (x->s_host != NULL || x->s_port != NULL)
			conf_acct_err(
			        L, x, x->s_host ? x->s_host : x->s_port,
			        "tunnel replaces host and port; remove %s",
			        x->s_host ? "host" : "port");
		/* The tunnel's command carries the session as it is (ssh
		 * encrypts it, a local imapd needs nothing). TLS inside it
		 * would have no host name to verify, and accepting the key
		 * while ignoring it sent the password in clear. */
		if (tls_known && x->s_tls != NULL && a->tls != CONF_TLS_NONE)
			conf_acct_err(L, x, x->s_tls,
			              "tls is not available over a tunnel: the "
			              "tunnel's command must secure the "
			              "connection (ssh does); remove tls or set "
			              "it to \"none\"");
		else if (tls_known) /* one error: not a second about ca_file */
			a->tls = CONF_TLS_NONE;
		a->port = 0;
	} else if (x->s_host == NULL) {
		if (!written(x, NULL, "host") && !written(x, NULL, "tunnel"))
			conf_acct_err(L, x, NULL,
			              "missing required key \"host\"");
	} else if (a->host != NULL) {
		if (x->s_port == NULL)
			a->port = a->tls == CONF_TLS_IMPLICIT ? 993 : 143;
		if (tls_known && !conf_bad(x, x->s_allow_plaintext) &&
		    a->tls == CONF_TLS_NONE && !a->allow_plaintext &&
		    !is_loopback(a->host))
			conf_acct_err(
			        L, x, x->s_tls,
			        "tls = \"none\" would send the password in "
			        "clear to %s; it is allowed for loopback hosts "
			        "only, unless allow_plaintext = true",
			        a->host);
	}
	if (tls_known && a->tls == CONF_TLS_NONE &&
	    (x->s_ca_file || x->s_fingerprint))
		conf_acct_err(L, x,
		              x->s_ca_file ? x->s_ca_file : x->s_fingerprint,
		              "%s is set but tls = \"none\"",
		              x->s_ca_file ? "ca_file" : "fingerprint");
	/* A pin trusts that one certificate instead of a chain: a ca_file
	 * beside it would be read by nobody, and its user would believe in
	 * a check that never runs. */
	else if (x->s_ca_file && x->s_fingerprint)
		conf_acct_err(L, x, x->s_ca_file,
		              "ca_file and fingerprint exclude each other: a "
		              "fingerprint trusts that certificate alone, "
		              "without a chain; remove one");
	check_auth(L, x);
	if (lists_bad(L, x))
		return;
	if (mirrors_nothing(a))
		conf_acct_err(L, x, NULL,
		              "exclude leaves out every mailbox that mailboxes "
		              "names: nothing would be mirrored");

	/* Unwritten, idle means "INBOX, when it is mirrored": a user who
	 * mirrors only some folders made an ordinary choice, and must not
	 * be told about a key they never wrote. Without INBOX nothing is
	 * watched and every mailbox is polled; watching the first folder
	 * LIST returns instead would depend on the server's order. */
	check_mirrored(L, x, a->on_new_mail_mailboxes,
	               a->n_on_new_mail_mailboxes,
	               x->s_hook_boxes ? x->s_hook_boxes : L->s_top_hook_boxes,
	               "on_new_mail_mailboxes");
	if (x->idle_default && x->s_idle == NULL) {
		if (!plan_mailbox_wanted((const char *const *)a->mailboxes,
		                         (const char *const *)a->exclude,
		                         "INBOX", '\0')) {
			conf_free_list(&a->idle, &a->n_idle);
			a->idle = conf_list_of(L, NULL, 0);
		}
		return;
	}
	check_mirrored(L, x, a->idle, a->n_idle,
	               x->s_idle ? x->s_idle : L->s_top_idle, "idle");
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
	conf_free_list(&a->mailboxes, &a->n_mailboxes);
	conf_free_list(&a->exclude, &a->n_exclude);
	conf_free_list(&a->idle, &a->n_idle);
	free(a->on_new_mail);
	conf_free_list(&a->on_new_mail_mailboxes, &a->n_on_new_mail_mailboxes);
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
	        .noop_interval = top->noop_interval,
	        .timeout = top->timeout,
	        .bodies = top->bodies,
	        .max_body_size = top->max_body_size,
	        .max_connections = top->max_connections,
	        .enabled = true,
	};
	a->mailboxes =
	        top->mailboxes
	                ? conf_list_of(L, (const char *const *)top->mailboxes,
	                               top->n_mailboxes)
	                : conf_list_of(L, all, 1);
	a->n_mailboxes = top->mailboxes ? top->n_mailboxes : 1;
	a->exclude =
	        top->exclude
	                ? conf_list_of(L, (const char *const *)top->exclude,
	                               top->n_exclude)
	                : conf_list_of(L, NULL, 0);
	a->n_exclude = top->exclude ? top->n_exclude : 0;
	a->idle = top->idle ? conf_list_of(L, (const char *const *)top->idle,
	                                   top->n_idle)
	                    : conf_list_of(L, inbox, 1);
	a->n_idle = top->idle ? top->n_idle : 1;
	if (top->on_new_mail != NULL)
		a->on_new_mail = conf_dup(L, top->on_new_mail);
	if (top->on_new_mail_mailboxes != NULL) {
		a->on_new_mail_mailboxes = conf_list_of(
		        L, (const char *const *)top->on_new_mail_mailboxes,
		        top->n_on_new_mail_mailboxes);
		a->n_on_new_mail_mailboxes = top->n_on_new_mail_mailboxes;
	}
	if (a->mailboxes == NULL || a->exclude == NULL || a->idle == NULL ||
	    (top->on_new_mail != NULL && a->on_new_mail == NULL) ||
	    (top->on_new_mail_mailboxes != NULL &&
	     a->on_new_mail_mailboxes == NULL))
		return -1;
	return 0;
}

/* Reads s, the key k, into x; notes it in x->bad when its value is
 * wrong. */
static void parse_key(struct loader *L, struct acct_ctx *x,
                      const struct key_def *k, const config_setting_t *s)
{
	/* A truncated integer is not judged again: it was said to be out
	 * of range. The handler still notes where the key is. */
	bool wide = truncated(L, s);
	int rc;

	L->mute = wide;
	rc = k->parse(L, x, s);
	L->mute = false;
	if (rc == 0 && !wide)
		return;
	assert(x->n_bad < sizeof(x->bad) / sizeof(x->bad[0]));
	x->bad[x->n_bad++] = s;
}

static void load_account(struct loader *L, const config_setting_t *g,
                         size_t index, const struct conf_account *top)
{
	struct conf_account *a = &L->c->accounts[L->c->n_accounts];
	struct acct_ctx x = {.a = a,
	                     .group = g,
	                     .index = index,
	                     .idle_default = top->idle == NULL};
	const config_setting_t *name;
	int n;

	if (account_defaults(L, a, top) < 0) {
		account_clear(a);
		return;
	}
	L->c->n_accounts++;
	a->line = (int)config_setting_source_line(g);
	a->file = conf_dup(L, file_of(L, g).s);
	/* The name first, so that every other message can say whose. */
	name = config_setting_get_member(g, "name");
	if (name != NULL)
		parse_key(L, &x, conf_find_key("name"), name);
	n = config_setting_length(g);
	for (int i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(g, i);
		const struct key_def *k = conf_find_key(config_setting_name(s));

		if (k == NULL) {
			const char *hint = conf_unknown_key(L, &x, s, false);
			if (hint != NULL &&
			    x.n_meant < sizeof(x.meant) / sizeof(x.meant[0]))
				x.meant[x.n_meant++] = hint;
		} else if (s != name) {
			parse_key(L, &x, k, s);
		}
	}
	check_account(L, &x);
}

/* The cache is checked here, where the key's line is known, rather than
 * when the daemon opens it: a path the daemon cannot use would otherwise
 * pass --check-config and then fail each start, which systemd's
 * Restart=on-failure repeats for ever (78 stops it). */
static void key_cache(struct loader *L, const config_setting_t *s)
{
	char why[CONF_ERROR_LEN];
	const char *v;
	char *d, *f;

	if (conf_want_string(L, NULL, s, &v) < 0)
		return;
	if (v[0] != '/') {
		conf_top_err(L, s, "cache must be an absolute path");
		return;
	}
	if (cache_check_path(v, false, why, sizeof(why)) < 0) {
		conf_top_err(L, s, "cache: %s", why);
		return;
	}
	if ((d = conf_dup(L, v)) == NULL)
		return;
	if ((f = conf_dup(L, file_of(L, s).s)) == NULL) {
		free(d);
		return;
	}
	conf_set_str(&L->c->cache, d);
	conf_set_str(&L->c->cache_file, f);
	L->c->cache_line = (int)config_setting_source_line(s);
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
		const struct key_def *k = conf_find_key(name);

		if (strcmp(name, "accounts") == 0) {
			accounts = s;
		} else if (strcmp(name, "cache") == 0) {
			if (!truncated(L, s))
				key_cache(L, s);
		} else if (strcmp(name, "log_level") == 0) {
			if (!truncated(L, s) &&
			    (config_setting_type(s) != CONFIG_TYPE_STRING ||
			     log_level_parse(&L->c->log_level,
			                     config_setting_get_string(s)) < 0))
				conf_top_err(
				        L, s,
				        "log_level must be \"err\", "
				        "\"warning\", \"notice\", \"info\" or "
				        "\"debug\"");
		} else if (k != NULL && k->is_default) {
			parse_key(L, &x, k, s);
			if (strcmp(name, "idle") == 0)
				L->s_top_idle = s;
			if (strcmp(name, "on_new_mail_mailboxes") == 0)
				L->s_top_hook_boxes = s;
		} else {
			conf_unknown_key(L, NULL, s, true);
		}
	}

	L->top_bad_mailboxes = conf_bad(&x, x.s_mailboxes);
	L->top_bad_exclude = conf_bad(&x, x.s_exclude);
	L->top_bad_idle = conf_bad(&x, x.s_idle);
	L->top_bad_hook_boxes = conf_bad(&x, x.s_hook_boxes);
	if (accounts == NULL) {
		conf_top_err(
		        L, NULL,
		        "no accounts: add accounts = ( { name = ...; ... } );");
		return;
	}
	if (config_setting_type(accounts) != CONFIG_TYPE_LIST) {
		conf_top_err(
		        L, accounts,
		        "accounts must be a list of groups: accounts = ( { ... "
		        "}, { ... } );");
		return;
	}
	n = config_setting_length(accounts);
	if (n == 0) {
		conf_top_err(L, accounts, "accounts is empty");
		return;
	}
	L->c->accounts = calloc((size_t)n, sizeof(*L->c->accounts));
	if (L->c->accounts == NULL) {
		conf_oom(L);
		return;
	}
	for (int i = 0; i < n; i++) {
		const config_setting_t *g =
		        config_setting_get_elem(accounts, i);
		if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
			conf_top_err(
			        L, g,
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
				conf_file_err(L, a->file ? a->file : L->path,
				              a->line,
				              "account \"%s\" is already "
				              "defined at line %d",
				              a->name, b->line);
				break;
			}
		}
	}
}

/* Reads the whole file for the integer scan; libconfig reads it again.
 * An error opening it is said at line of from, the file that names it
 * (NULL: the configuration itself), and ends the checks: libconfig could
 * not read the file either. judge: say whether the file may be trusted,
 * which does not stop the reading: nothing is run from it, and the
 * errors in it are worth as much. */
static char *read_text(struct loader *L, const char *from, const char *file,
                       int line, bool judge, size_t *len)
{
	/* O_NONBLOCK: a FIFO must not hold the load until someone writes
	 * to it; fstat then refuses it. */
	int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;
	const char *why = NULL;
	char distrust[PATH_MAX + 256];
	if (fd < 0)
		why = strerror(errno);
	else if (fstat(fd, &st) < 0)
		why = strerror(errno);
	else if (S_ISDIR(st.st_mode))
		why = "it is a directory";
	else if (!S_ISREG(st.st_mode))
		why = "it is not a regular file";
	/* Whoever may change it chooses the commands we run
	 * (password_command, tunnel, on_new_mail) and where the passwords
	 * go. */
	else if (judge && trust_check_writers(file, &st, "this file", NULL,
	                                      distrust, sizeof(distrust)) < 0)
		conf_file_err(L, file, 0, "%s", distrust);
	FILE *f = why ? NULL : fdopen(fd, "r");
	char *buf;

	if (f == NULL) {
		L->unparsable = true;
		conf_file_err(L, from ? from : L->path, line,
		              "cannot read %s: %s%s%s%s", file,
		              why ? why : strerror(errno),
		              line ? " (an included file is named relative to "
		                     "the folder of "
		                   : "",
		              line ? L->path : "", line ? ")" : "");
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	buf = malloc(CONF_FILE_MAX + 1);
	if (buf == NULL) {
		conf_oom(L);
		L->unparsable = true;
		fclose(f);
		return NULL;
	}
	*len = fread(buf, 1, CONF_FILE_MAX + 1, f);
	if (ferror(f) || *len > CONF_FILE_MAX) {
		L->unparsable = true;
		conf_file_err(L, file, 0,
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

static void scan_file(struct loader *L, const char *from, const char *file,
                      int line);

/* Whether file was scanned before in this load, by whatever name; else
 * it is now. */
static bool scanned_before(struct loader *L, const char *file)
{
	char *real = realpath(file, NULL);
	const char *key = real ? real : file;
	for (size_t i = 0; i < L->n_scanned; i++)
		if (strcmp(L->scanned[i], key) == 0) {
			free(real);
			return true;
		}
	char **v = realloc(L->scanned, (L->n_scanned + 1) * sizeof(*v));
	if (v == NULL) {
		free(real);
		return true; /* unscanned: libconfig still reads it */
	}
	L->scanned = v;
	if ((v[L->n_scanned] = real ? real : strdup(file)) != NULL)
		L->n_scanned++;
	return false;
}

/* Whether the file real, included by path at line, is one the scan is
 * in; it is then reported. libconfig would follow the cycle ten deep and
 * say "include file nesting too deep", which sent the reader looking for
 * ten files. */
static bool include_cycle(struct loader *L, const char *real, const char *path,
                          int line)
{
	/* The scan stops CONF_INCLUDE_DEPTH_MAX deep, below the
	 * configuration. */
	const char *names[CONF_INCLUDE_DEPTH_MAX + 1];
	const struct include_frame *f;
	size_t n = 0, len = 0;
	char chain[CONF_ERROR_LEN];

	for (f = L->including; f != NULL; f = f->up) {
		assert(n < CONF_INCLUDE_DEPTH_MAX + 1);
		names[n++] = f->name;
		if (strcmp(f->real, real) == 0)
			break;
	}
	if (f == NULL)
		return false;
	L->unparsable = true;
	if (n == 1) {
		conf_file_err(L, L->scanning, line,
		              "@include \"%s\": the file includes itself",
		              path);
		return true;
	}
	/* names runs inward from the file included again. */
	chain[0] = '\0';
	while (n-- > 0 && len < sizeof(chain)) {
		int k = snprintf(chain + len, sizeof(chain) - len, "%s -> ",
		                 names[n]);
		len += k > 0 ? (size_t)k : 0;
	}
	conf_file_err(L, L->scanning, line,
	              "@include \"%s\": include cycle: %s%s", path, chain,
	              f->name);
	return true;
}

/* libconfig 1.5 opens every included file, at any depth, in its include
 * dir, the configuration's folder: an absolute name too, with the folder
 * put in front of it. The scan opens what libconfig will, and says so of
 * an absolute name, where libconfig's error names no file. */
static void scan_include(void *payload, const char *path, int line)
{
	struct loader *L = payload;
	char full[4096];

	if (L->depth >= CONF_INCLUDE_DEPTH_MAX)
		return; /* libconfig reports the depth */
	if (path[0] == '/') {
		L->unparsable = true;
		conf_file_err(L, L->scanning, line,
		              "@include \"%s\": an included file is named "
		              "relative to the folder of %s (%s), whatever "
		              "its depth; an absolute name is not read",
		              path, L->path, L->dir);
		return;
	}
	snprintf(full, sizeof(full), "%s/%s", L->dir, path);
	/* A file that cannot be resolved cannot be open either: read_text
	 * says why. */
	char *real = realpath(full, NULL);
	if ((real != NULL && include_cycle(L, real, path, line)) ||
	    scanned_before(L, full)) {
		free(real);
		return;
	}
	const char *from = L->scanning;
	struct include_frame frame = {L->including, line, real ? real : full,
	                              path};
	L->including = &frame;
	L->depth++;
	scan_file(L, from, full, line);
	L->depth--;
	L->including = frame.up;
	L->scanning = from;
	free(real);
}

/* Notes file, which L->including leads to, in L->files. */
static struct conf_file *add_file(struct loader *L, const char *file)
{
	const struct include_frame *fr;
	struct conf_file *f, *v;
	size_t depth = 0;

	for (fr = L->including; fr != NULL && fr->up != NULL; fr = fr->up)
		depth++;
	assert(depth <= CONF_INCLUDE_DEPTH_MAX);
	v = realloc(L->files, (L->n_files + 1) * sizeof(*v));
	if (v == NULL) {
		conf_oom(L);
		return NULL;
	}
	L->files = v;
	f = &v[L->n_files];
	*f = (struct conf_file){.name = strdup(file), .depth = depth};
	if (f->name == NULL) {
		conf_oom(L);
		return NULL;
	}
	L->n_files++;
	for (fr = L->including; fr != NULL && fr->up != NULL; fr = fr->up)
		f->at[--depth] = fr->line;
	return f;
}

static void scan_wide(void *payload, const char *literal, int n, int line)
{
	struct loader *L = payload;
	struct conf_file *f = find_file(L, L->scanning);

	conf_file_err(L, L->scanning, line, "integer %.*s is out of range",
	              n > 40 ? 40 : n, literal);
	if (f != NULL) {
		int *v = realloc(f->wide, (f->n_wide + 1) * sizeof(*v));
		if (v == NULL) {
			conf_oom(L);
			return;
		}
		f->wide = v;
		f->wide[f->n_wide++] = line;
	}
}

static void scan_file(struct loader *L, const char *from, const char *file,
                      int line)
{
	size_t len;
	char *text;

	if (find_file(L, file) == NULL && add_file(L, file) == NULL) {
		L->unparsable = true;
		return;
	}
	text = read_text(L, from, file, line, true, &len);
	if (text == NULL)
		return;
	L->scanning = file;
	conf_scan_integers(text, len, scan_wide, scan_include, L);
	free(text);
}

/* libconfig's parse error, as it is, except "duplicate setting name",
 * which does not say which: the text is scanned again for it. */
static void report_syntax(struct loader *L, const char *file, int line,
                          const char *text)
{
	char name[256];
	int at = 0, first = 0;
	bool top = false;
	size_t len;
	char *t;

	if (text == NULL || strcmp(text, "duplicate setting name") != 0 ||
	    (t = read_text(L, NULL, file, 0, false, &len)) == NULL) {
		conf_file_err(L, file, line, "%s",
		              text ? text : "syntax error");
		return;
	}
	/* The top level is no group to the reader: "of the same group"
	 * would send them looking for braces. */
	if (conf_scan_duplicate(t, len, name, sizeof(name), &at, &first,
	                        &top) == 1)
		conf_file_err(L, file, at,
		              "duplicate setting \"%s\" (already set at line "
		              "%d%s)",
		              name, first, top ? "" : " of the same group");
	else
		conf_file_err(L, file, line, "%s", text);
	free(t);
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

static void free_files(struct loader *L)
{
	for (size_t i = 0; i < L->n_files; i++) {
		free(L->files[i].name);
		free(L->files[i].wide);
	}
	free(L->files);
	L->files = NULL;
	L->n_files = 0;
}

int conf_load(struct conf **out, struct conf_errors *errs, const char *path)
{
	struct conf_account top = {
	        .poll_interval = CONF_DEFAULT_POLL_INTERVAL,
	        .idle_timeout = CONF_DEFAULT_IDLE_TIMEOUT,
	        .noop_interval = CONF_DEFAULT_NOOP_INTERVAL,
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
		conf_oom(&L);
		goto fail;
	}
	L.c->log_level = LOG_LEVEL_DEFAULT;

	(void)scanned_before(&L, path);
	char *real = realpath(path, NULL);
	struct include_frame frame = {NULL, 0, real ? real : path, path};
	L.including = &frame;
	scan_file(&L, NULL, path, 0);
	L.including = NULL;
	free(real);
	for (size_t i = 0; i < L.n_scanned; i++)
		free(L.scanned[i]);
	free(L.scanned);
	/* The scan's other errors (an integer out of range, a file others
	 * may write) leave the text as libconfig reads it: the checks go on,
	 * so that every error is said in one run. */
	if (L.unparsable)
		goto fail;

	config_init(&cfg);
	config_set_include_dir(&cfg, L.dir);
	if (config_read_file(&cfg, path) != CONFIG_TRUE) {
		struct file_name file = user_file(&L, config_error_file(&cfg));
		errors_drop_after(&L, file.s, config_error_line(&cfg));
		report_syntax(&L, file.s, config_error_line(&cfg),
		              config_error_text(&cfg));
		config_destroy(&cfg);
		goto fail;
	}
	load_top(&L, config_root_setting(&cfg), &top);
	config_destroy(&cfg);
	account_clear(&top);
	if (errs->n > 0)
		goto fail;
	free_files(&L);
	free(L.dir);
	*out = L.c;
	return 0;
fail:
	errors_sort(&L);
	free_files(&L);
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
	free(c->cache_file);
	free(c);
	*cp = NULL;
}

/* ----------------------------------------------------------- the queries */

bool conf_password_exposed(const struct conf *c, const struct conf_account *a,
                           const char **file, unsigned *mode)
{
	struct stat st;
	*file = a->file ? a->file : c->path;
	if (a->secret_kind != CONF_SECRET_PASSWORD || stat(*file, &st) < 0)
		return false;
	*mode = (unsigned)(st.st_mode & 07777);
	/* root:mailmirror 0640, as the service's unit advises, exposes
	 * nothing: the rule a password_file's mode follows (secret.c). */
	return trust_others_may_read(&st);
}

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
	return (unsigned)auth < 6 ? conf_auth_names[auth] : "?";
}

const char *conf_tls_name(enum conf_tls tls)
{
	return (unsigned)tls < 3 ? conf_tls_names[tls] : "?";
}

const char *conf_bodies_name(enum conf_bodies bodies)
{
	return (unsigned)bodies < 3 ? conf_bodies_names[bodies] : "?";
}
