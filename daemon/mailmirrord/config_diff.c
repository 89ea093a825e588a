/* config_diff.c - what a reload changes, account by account. */
#include "mailmirrord/config.h"

#include <stdlib.h>
#include <string.h>

static bool str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static bool list_eq(char *const *a, size_t na, char *const *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (!str_eq(a[i], b[i]))
			return false;
	return true;
}

/* file and line are where the account is written, not what it is: moving
 * it in the file is not a change. Nor is max_connections, a bound that
 * one connection per account always meets. */
bool conf_account_equal(const struct conf_account *a,
                        const struct conf_account *b)
{
	return str_eq(a->name, b->name) && str_eq(a->host, b->host) &&
	       a->port == b->port && str_eq(a->tunnel, b->tunnel) &&
	       a->tls == b->tls && a->allow_plaintext == b->allow_plaintext &&
	       str_eq(a->ca_file, b->ca_file) &&
	       str_eq(a->fingerprint, b->fingerprint) &&
	       str_eq(a->user, b->user) && a->auth == b->auth &&
	       a->secret_kind == b->secret_kind &&
	       str_eq(a->secret, b->secret) &&
	       list_eq(a->mailboxes, a->n_mailboxes, b->mailboxes,
	               b->n_mailboxes) &&
	       list_eq(a->exclude, a->n_exclude, b->exclude, b->n_exclude) &&
	       list_eq(a->idle, a->n_idle, b->idle, b->n_idle) &&
	       a->poll_interval == b->poll_interval &&
	       a->idle_timeout == b->idle_timeout &&
	       a->noop_interval == b->noop_interval &&
	       a->timeout == b->timeout && a->bodies == b->bodies &&
	       a->max_body_size == b->max_body_size &&
	       str_eq(a->on_new_mail, b->on_new_mail) &&
	       /* NULL (every mailbox) is not [ ] (none) */
	       (a->on_new_mail_mailboxes == NULL) ==
	               (b->on_new_mail_mailboxes == NULL) &&
	       list_eq(a->on_new_mail_mailboxes, a->n_on_new_mail_mailboxes,
	               b->on_new_mail_mailboxes, b->n_on_new_mail_mailboxes) &&
	       a->enabled == b->enabled;
}

int conf_diff(struct conf_diff *out, const struct conf *old_conf,
              const struct conf *new_conf)
{
	size_t cap = old_conf->n_accounts + new_conf->n_accounts, n = 0;
	struct conf_diff_entry *v;

	*out = (struct conf_diff){0};
	v = calloc(cap ? cap : 1, sizeof(*v));
	if (v == NULL)
		return -1;
	for (size_t i = 0; i < old_conf->n_accounts; i++) {
		const struct conf_account *o = &old_conf->accounts[i];
		if (conf_account_find(new_conf, o->name) == NULL)
			v[n++] =
			        (struct conf_diff_entry){CONF_REMOVED, o, NULL};
	}
	for (size_t i = 0; i < new_conf->n_accounts; i++) {
		const struct conf_account *a = &new_conf->accounts[i];
		const struct conf_account *o =
		        conf_account_find(old_conf, a->name);
		if (o == NULL)
			v[n++] = (struct conf_diff_entry){CONF_ADDED, NULL, a};
		else if (!conf_account_equal(o, a))
			v[n++] = (struct conf_diff_entry){CONF_CHANGED, o, a};
	}
	out->v = v;
	out->n = n;
	out->cache_changed = !str_eq(old_conf->cache, new_conf->cache);
	out->log_level_changed = old_conf->log_level != new_conf->log_level;
	return 0;
}

bool conf_cache_moved(const struct conf *new_conf, const char *in_use,
                      const char *default_path)
{
	const char *want = new_conf->cache ? new_conf->cache : default_path;

	return want == NULL || in_use == NULL || strcmp(want, in_use) != 0;
}

void conf_diff_clear(struct conf_diff *d)
{
	if (d == NULL)
		return;
	free(d->v);
	*d = (struct conf_diff){0};
}

uint64_t conf_body_cap(const struct conf_account *a)
{
	return a->max_body_size ? a->max_body_size : CONF_BODY_CAP;
}
