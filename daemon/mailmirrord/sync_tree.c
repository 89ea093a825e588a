/* sync_tree.c - NOTIFY's news of the mailbox tree (RFC 5465 5.4).
 *
 * Asked for MailboxName, a server reports each mailbox created, renamed
 * or deleted as an untagged LIST: a rename with the old name in OLDNAME
 * (RFC 5258 / 9051 extended data), a delete with \NonExistent. The news
 * only tells the account's loop to read the mailbox list again soon
 * (the reconciliation the poll runs): it never changes the cache by
 * itself, so a server that lies in it can cost us a LIST, not data.
 *
 * A rename of a parent brings one LIST per child (1,200 for a big tree),
 * and a hostile server may send them without end. Once the news is
 * noted, the rest is not even parsed; nothing is allocated.
 */
#include "mailmirrord/sync_internal.h"

#include "mailmirrord/plan.h"

#include <string.h>
#include <strings.h>

/* Whether name is a mirrored box, an ancestor of one (the rename of a
 * \Noselect parent may come alone), or a name the mailboxes setting
 * wants (a mailbox new to us). */
static bool concerns(const struct sync_ctx *c, const char *name, char delim)
{
	/* RFC 3501 5.1: INBOX in any case is INBOX. */
	if (strcasecmp(name, "INBOX") == 0)
		name = "INBOX";
	if (sync_find(c, name))
		return true;
	size_t len = strlen(name);
	for (size_t i = 0; delim && i < c->nboxes; i++) {
		const char *n = c->boxes[i].name;
		if (strncmp(n, name, len) == 0 && n[len] == delim)
			return true;
	}
	return plan_mailbox_wanted((const char *const *)c->conf->mailboxes,
	                           (const char *const *)c->conf->exclude, name,
	                           delim);
}

int sync_tree_news(struct sync_ctx *c, const imap4_resp *resp)
{
	if (c->tree_news)
		return 0;
	imap4_list_entry e;
	bool news = imap4_list_parse(&e, resp) < 0 ||
	            concerns(c, e.name_utf8, e.delimiter) ||
	            (e.oldname && concerns(c, e.oldname, e.delimiter));
	c->tree_news = news;
	return news;
}
