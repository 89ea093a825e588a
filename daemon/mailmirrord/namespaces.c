/* namespaces.c - see namespaces.h. */
#include "mailmirrord/namespaces.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

void ns_list_clear(struct ns_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].prefix);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int ns_list_from(struct ns_list *out, const imap4_namespace_info *info)
{
	*out = (struct ns_list){0};
	size_t total = 0;
	for (int k = 0; k < IMAP4_NS_CLASSES; k++)
		total += info->count[k];
	if (total > NS_MAX)
		return -1;
	if (total == 0)
		return 0;
	out->v = calloc(total, sizeof(*out->v));
	if (!out->v)
		return -1;
	for (int k = 0; k < IMAP4_NS_CLASSES; k++) {
		for (size_t i = 0; i < info->count[k]; i++) {
			struct ns_entry *e = &out->v[out->n];
			e->prefix = strdup(info->ns[k][i].prefix);
			if (!e->prefix) {
				ns_list_clear(out);
				return -1;
			}
			e->delimiter = info->ns[k][i].delimiter;
			e->personal = k == IMAP4_NS_PERSONAL;
			out->n++;
		}
	}
	return 0;
}

/* The first n bytes of name and p are equal, a leading INBOX in any case
 * (RFC 3501 5.1: "inbox/x" is below INBOX, and a prefix "INBOX." covers
 * it). */
static bool same_start(const char *name, const char *p, size_t n)
{
	if (n >= 5 && strncasecmp(name, "INBOX", 5) == 0 &&
	    strncasecmp(p, "INBOX", 5) == 0)
		return strncmp(name + 5, p + 5, n - 5) == 0;
	return strncmp(name, p, n) == 0;
}

/* Whether name lies under prefix p: starts with it, or is its root (p
 * without its trailing delimiter d). */
static bool under(const char *name, const char *p, char d)
{
	size_t len = strlen(p);
	if (strlen(name) >= len && same_start(name, p, len))
		return true;
	return d && len > 1 && p[len - 1] == d && strlen(name) == len - 1 &&
	       same_start(name, p, len - 1);
}

const struct ns_entry *ns_of(const struct ns_list *l, const char *name)
{
	const struct ns_entry *best = NULL;
	size_t best_len = 0;
	for (size_t i = 0; i < l->n; i++) {
		const struct ns_entry *e = &l->v[i];
		/* RFC 2342 5: INBOX itself is in a personal namespace, even
		 * when no prefix covers it ("INBOX." does not). */
		if (e->personal && strcasecmp(name, "INBOX") == 0)
			return e;
		size_t len = strlen(e->prefix);
		if (under(name, e->prefix, e->delimiter) &&
		    (!best || len > best_len)) {
			best = e;
			best_len = len;
		}
	}
	return best;
}

bool ns_is_personal(const struct ns_list *l, const char *name)
{
	if (l->n == 0)
		return true;
	const struct ns_entry *e = ns_of(l, name);
	return e && e->personal;
}

bool ns_root(char *buf, size_t len, const struct ns_entry *e)
{
	size_t n = strlen(e->prefix);
	if (n && e->delimiter && e->prefix[n - 1] == e->delimiter)
		n--;
	if (n == 0 || n >= len)
		return false;
	memcpy(buf, e->prefix, n);
	buf[n] = '\0';
	return true;
}
