/* namespaces.h - which namespace (RFC 2342) a mailbox name belongs to.
 *
 * NOTIFY's "personal" filter (RFC 5465 6) covers the personal namespaces
 * only: a watched mailbox of another user's or a public namespace must be
 * asked for by name or by its namespace's subtree, or it is not pushed.
 * These are the server's namespaces, copied out of a NAMESPACE response,
 * and the lookup that tells where a name lives. No I/O.
 */
#ifndef MAILMIRRORD_NAMESPACES_H
#define MAILMIRRORD_NAMESPACES_H

#include "imap4.h"

#include <stdbool.h>
#include <stddef.h>

/* More namespaces than this are a server we do not try to understand:
 * ns_list_from fails, and the caller goes on without them. */
#define NS_MAX 64

struct ns_entry {
	char *prefix; /* UTF-8, "" for the root */
	char delimiter;
	bool personal;
	bool used; /* free for the caller (sync_notify: its subtree is asked
	              for already) */
};

struct ns_list {
	struct ns_entry *v;
	size_t n;
};

/* Copies the namespaces of info into *out (zeroed first), which the
 * caller frees with ns_list_clear. 0, or -1 when out of memory or past
 * NS_MAX (*out is then empty). */
int ns_list_from(struct ns_list *out, const imap4_namespace_info *info);

void ns_list_clear(struct ns_list *l);

/* The namespace name lives in: the one with the longest prefix that name
 * starts with, or whose prefix is name and a trailing delimiter (the
 * namespace's own root, "Public" of "Public/"). INBOX, in any case, is
 * personal (RFC 2342 5) whatever the prefixes say. NULL when none fits;
 * borrowed from l. */
const struct ns_entry *ns_of(const struct ns_list *l, const char *name);

/* Whether name lies in a personal namespace. Without the server's
 * namespaces (l empty) everything is taken for personal: a server that
 * has no NAMESPACE has one namespace. */
bool ns_is_personal(const struct ns_list *l, const char *name);

/* The mailbox at the top of e's subtree: its prefix without the trailing
 * delimiter, written to buf ("Public/" -> "Public"). false when it has
 * none (the root "") or buf is too small. */
bool ns_root(char *buf, size_t len, const struct ns_entry *e);

#endif
