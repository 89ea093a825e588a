/* prune.h - the cache forgets the accounts the configuration left out,
 * and what an account held of the server or user it left.
 *
 * The cache mirrors the configured accounts. One removed from the
 * configuration, or renamed (its name is its key), would otherwise stay in
 * the cache for good, its unread mail counted by every query. An account
 * that is only disabled (enabled = false) is still configured and kept.
 * One whose server or user changed under the same name starts again from
 * an empty cache: its mailboxes are known by name and UIDVALIDITY only, and
 * another user's mailbox of the same name and UIDVALIDITY kept the old
 * messages, shown as the new user's (explore73).
 */
#ifndef MAILMIRRORD_PRUNE_H
#define MAILMIRRORD_PRUNE_H

#include "mailmirrord/config.h"
#include "mailmirrord/store.h"

/* Deletes from s every account that conf does not name, with all it holds,
 * in short transactions (store_account_delete_step), and logs each one at
 * notice level. An account of a million messages takes minutes: between
 * steps, alive(payload) (may be NULL) lets the caller tell the service
 * manager it still lives, and returns whether to go on: false (a stop
 * asked for) ends the prune there, what was deleted staying deleted, the
 * rest left to the next call. *dropped (may be NULL) is the number of
 * messages deleted. 0, or -1 when the cache failed (logged; what was
 * deleted stays deleted, and the next call goes on). */
int prune_accounts(struct store *s, const struct conf *conf,
                   bool (*alive)(void *payload), void *payload,
                   int64_t *dropped);

/* The other half of the table following the configuration: gives every
 * disabled account of conf its row, in state "disabled" (one never synced
 * had none, and one synced before said "stopped"). What the cache holds
 * of one whose server or user changed stays: nothing logged in to the
 * new one (prune_account_keep). Failures are logged. */
void prune_mark_disabled(struct store *s, const struct conf *conf);

/* store_account_upsert of account a with its server (host or tunnel
 * command, port, user), in the caller's transaction or one of its own:
 * 1 when what the cache held of it was mirrored from another server or
 * user and is dropped (*dropped messages), for the caller to tell with
 * prune_tell_anew once committed; 0, or < 0 as store_account_upsert.
 * Called once the new server took the login. */
int prune_account_upsert(int64_t *id, int64_t *dropped, struct store *s,
                         const struct conf_account *a);
/* store_account_keep of a: before a login, 1 when the cache's rows of a
 * came from another server or user, which stays until the new one takes
 * the login; 0; < 0 on failure. */
int prune_account_keep(int64_t *id, struct store *s,
                       const struct conf_account *a);

/* Logs, at notice level, that the cache dropped the dropped messages it
 * held of a, mirrored from the server or user a had before. */
void prune_tell_anew(const struct conf_account *a, int64_t dropped);

#endif
