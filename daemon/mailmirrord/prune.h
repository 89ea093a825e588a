/* prune.h - the cache forgets the accounts the configuration left out.
 *
 * The cache mirrors the configured accounts. One removed from the
 * configuration, or renamed (its name is its key), would otherwise stay in
 * the cache for good, its unread mail counted by every query. An account
 * that is only disabled (enabled = false) is still configured and kept.
 */
#ifndef MAILMIRRORD_PRUNE_H
#define MAILMIRRORD_PRUNE_H

#include "mailmirrord/config.h"
#include "mailmirrord/store.h"

/* Deletes from s every account that conf does not name, with all it holds,
 * in short transactions (store_account_delete_step), and logs each one at
 * notice level. An account of a million messages takes minutes: between
 * steps, alive(payload) (may be NULL) lets the caller tell the service
 * manager it still lives. *dropped (may be NULL) is the number of messages
 * deleted. 0, or -1 when the cache failed (logged; what was deleted stays
 * deleted, and the next call goes on). */
int prune_accounts(struct store *s, const struct conf *conf,
                   void (*alive)(void *payload), void *payload,
                   int64_t *dropped);

/* The other half of the table following the configuration: gives every
 * disabled account of conf its row, in state "disabled" (one never synced
 * had none, and one synced before said "stopped"). Failures are logged. */
void prune_mark_disabled(struct store *s, const struct conf *conf);

#endif
