/* store_sql.c - the SQL of the store's statements, one per stmt_id. The
 * tables are those of daemon/cache/schema.md. */
#include "mailmirrord/store_internal.h"

/* What an envelope weighs in a chunk's byte budget: about its text. */
#define ENVELOPE_BYTES "512"

#define MSG_COLUMNS                                                            \
	"mailbox_id, uid, modseq, flags, internaldate, size, date, subject, "  \
	"from_addr, sender_addr, reply_to_addr, to_addr, cc_addr, bcc_addr, "  \
	"message_id, in_reply_to"

/* A flag change that is news: SQLite writes a row it updates, equal or
 * not, and a listing of every flag (every poll of a server without
 * CONDSTORE) wrote every message of every mailbox again (explore51). */
#define FLAGS_NEWS "AND (flags IS NOT ?3 OR (?4 > 0 AND modseq IS NOT ?4)) "

/* clang-format off */
const char *const store_sql[ST_COUNT] = {
	[ST_ACCOUNT_UPSERT] =
		"INSERT INTO accounts (name, host, port, user) "
		"VALUES (?1, ?2, ?3, ?4) "
		"ON CONFLICT (name) DO UPDATE SET host = excluded.host, "
		"port = excluded.port, user = excluded.user RETURNING id",
	/* A port NULL was stored by a version that kept none: unknown,
	 * so not told as a change. */
	/* Host names are one in any case (RFC 4343): LOCALHOST is no
	 * other server than localhost. */
	[ST_ACCOUNT_SAME_SERVER] =
		"SELECT coalesce(host, '') = ?2 COLLATE NOCASE AND user IS ?4 "
		"AND (port IS NULL OR port IS ?3), id FROM accounts "
		"WHERE name = ?1",
	/* Each message's trigger takes it out of the full-text index and
	 * its queues, and its body and pieces go with it, as at a
	 * UIDVALIDITY change. */
	[ST_ACCOUNT_DROP_MESSAGES] =
		"DELETE FROM messages WHERE mailbox_id IN "
		"(SELECT id FROM mailboxes WHERE account_id = ?1)",
	[ST_ACCOUNT_DROP_MAILBOXES] =
		"DELETE FROM mailboxes WHERE account_id = ?1",
	[ST_ACCOUNT_FORGET] =
		"UPDATE accounts SET last_sync = NULL WHERE id = ?1",
	[ST_ACCOUNT_EXISTS] = "SELECT 1 FROM accounts WHERE id = ?1",
	[ST_MAILBOX_EXISTS] = "SELECT 1 FROM mailboxes WHERE id = ?1",
	[ST_ACCOUNT_STATE] = "UPDATE accounts SET state = ?2 WHERE id = ?1 "
			     "AND state IS NOT ?2",
	[ST_ACCOUNT_ERROR] = "UPDATE accounts SET last_error = ?2 WHERE id = "
			     "?1 AND last_error IS NOT ?2",
	[ST_ACCOUNT_LAST_SYNC] =
		"UPDATE accounts SET last_sync = ?2 WHERE id = ?1",
	[ST_ACCOUNT_CLEAR_LIVE] =
		"UPDATE mailboxes SET live = 0 WHERE account_id = ?1 AND live",
	[ST_ACCOUNT_CLEAR_RUN] =
		"UPDATE mailboxes SET live = 0, sync_progress = 0, "
		"sync_total = 0 WHERE account_id = ?1 AND "
		"(live OR sync_progress OR sync_total)",
	[ST_ACCOUNT_EACH] = "SELECT id, name FROM accounts ORDER BY id",
	[ST_ACCOUNT_DELETE] = "DELETE FROM accounts WHERE id = ?1",
	[ST_ACCOUNT_SOME_MAILBOX] =
		"SELECT id FROM mailboxes WHERE account_id = ?1 LIMIT 1",
	[ST_MESSAGE_DELETE_SOME] =
		"DELETE FROM messages WHERE id IN (SELECT id FROM messages "
		"WHERE mailbox_id = ?1 LIMIT ?2)",
	[ST_MAILBOX_UPSERT] =
		"INSERT INTO mailboxes (account_id, name, delimiter, "
		"attributes, special_use) VALUES (?1, ?2, ?3, ?4, ?5) "
		"ON CONFLICT (account_id, name) DO UPDATE SET "
		"delimiter = excluded.delimiter, "
		"attributes = excluded.attributes, "
		"special_use = excluded.special_use RETURNING id",
	[ST_MAILBOX_SAME] =
		"SELECT id, delimiter IS ?3 AND attributes = ?4 "
		"AND special_use IS ?5 FROM mailboxes "
		"WHERE account_id = ?1 AND name = ?2",
	[ST_MAILBOX_RELIST] =
		"UPDATE mailboxes SET delimiter = ?2, attributes = ?3, "
		"special_use = ?4 WHERE id = ?1",
	[ST_MAILBOX_FIND] =
		"SELECT id FROM mailboxes WHERE account_id = ?1 AND name = ?2",
	[ST_MAILBOX_GET_STATE] =
		"SELECT uidvalidity, uidnext, highestmodseq, exists_count, "
		"unseen_count, last_sync FROM mailboxes WHERE id = ?1",
	[ST_MAILBOX_SET_STATE] =
		"UPDATE mailboxes SET uidvalidity = ?2, uidnext = ?3, "
		"highestmodseq = ?4, exists_count = ?5, unseen_count = ?6, "
		"last_sync = ?7 WHERE id = ?1",
	[ST_MAILBOX_RESET_ROW] =
		"UPDATE mailboxes SET uidvalidity = ?2, uidnext = 0, "
		"highestmodseq = 0, exists_count = 0, unseen_count = 0, "
		"sync_progress = 0, sync_total = 0 WHERE id = ?1",
	[ST_MAILBOX_DELETE] = "DELETE FROM mailboxes WHERE id = ?1",
	[ST_MAILBOX_RENAME] = "UPDATE mailboxes SET name = ?2 WHERE id = ?1",
	[ST_MAILBOX_EACH] = "SELECT id, name FROM mailboxes "
			    "WHERE account_id = ?1 ORDER BY name",
	[ST_MAILBOX_LIVE] = "UPDATE mailboxes SET live = ?2 WHERE id = ?1 "
			    "AND live IS NOT ?2",
	[ST_MAILBOX_LAST_SYNC] =
		"UPDATE mailboxes SET last_sync = ?2 WHERE id = ?1",
	[ST_MAILBOX_PROGRESS] = "UPDATE mailboxes SET sync_progress = ?2, "
				"sync_total = ?3 WHERE id = ?1 AND "
				"(sync_progress IS NOT ?2 OR "
				"sync_total IS NOT ?3)",
	[ST_MAILBOX_ERROR] = "UPDATE mailboxes SET last_error = ?2 WHERE id = "
			     "?1 AND last_error IS NOT ?2",
	[ST_MAILBOX_GET_ERROR] =
		"SELECT last_error FROM mailboxes WHERE id = ?1",
	[ST_MAILBOX_DELIMITER] =
		"SELECT delimiter FROM mailboxes WHERE id = ?1",
	[ST_MAILBOX_RECOUNT] =
		"UPDATE mailboxes SET "
		"exists_count = (SELECT count(*) FROM messages "
		"  WHERE mailbox_id = ?1), "
		"unseen_count = (SELECT count(*) FROM messages "
		"  WHERE mailbox_id = ?1 AND seen = 0) "
		"WHERE id = ?1",
	[ST_MAILBOX_RECOUNT_UNSEEN] =
		"UPDATE mailboxes SET "
		"unseen_count = (SELECT count(*) FROM messages "
		"  WHERE mailbox_id = ?1 AND seen = 0) "
		"WHERE id = ?1",
	[ST_MESSAGE_UPSERT] =
		"INSERT INTO messages (mailbox_id, uid, modseq, flags, "
		"internaldate, size, date, subject, from_addr, sender_addr, "
		"reply_to_addr, to_addr, cc_addr, bcc_addr, message_id, "
		"in_reply_to) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
		"?10, ?11, ?12, ?13, ?14, ?15, ?16) "
		"ON CONFLICT (mailbox_id, uid) DO UPDATE SET "
		"modseq = excluded.modseq, flags = excluded.flags, "
		"internaldate = excluded.internaldate, size = excluded.size, "
		"date = excluded.date, subject = excluded.subject, "
		"from_addr = excluded.from_addr, "
		"sender_addr = excluded.sender_addr, "
		"reply_to_addr = excluded.reply_to_addr, "
		"to_addr = excluded.to_addr, cc_addr = excluded.cc_addr, "
		"bcc_addr = excluded.bcc_addr, "
		"message_id = excluded.message_id, "
		"in_reply_to = excluded.in_reply_to RETURNING id",
	/* A row of a batch that could not be stored at once (below), most
	 * likely a UID not cached yet. A plain INSERT is half the work of the
	 * upsert for SQLite: no RETURNING table, and no update trigger
	 * compiled in, so no statement journal and no FTS5 savepoint per row.
	 * A UID that is cached already fails here with a unique constraint
	 * and goes through the upsert. */
	[ST_MESSAGE_INSERT] =
		"INSERT INTO messages (" MSG_COLUMNS ") VALUES (?1, ?2, ?3, "
		"?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
	/* The batch's common case: rows not cached yet, all in one statement
	 * (store_rows.c). Being many rows, it is one that SQLite undoes by
	 * itself when a row breaks a constraint (its statement journal, once
	 * per batch): the batch then goes row by row, as above. */
	[ST_MESSAGE_INSERT_ALL] =
		"INSERT INTO messages (" MSG_COLUMNS ") SELECT ?2, uid, modseq, "
		"flags, internaldate, size, date, subject, from_addr, "
		"sender_addr, reply_to_addr, to_addr, cc_addr, bcc_addr, "
		"message_id, in_reply_to FROM store_rows(?1)",
	[ST_MESSAGE_MAX_ID] = "SELECT coalesce(max(id), 0) FROM messages",
	/* New rows wait for the indexer (store_index_chunk), one statement
	 * per batch: tokenising envelopes in the sync's transactions was a
	 * quarter of the CPU of a first sync. New rowids are above the largest
	 * one before the batch, so ?1 names exactly the batch's new rows. */
	[ST_QUEUE_NEW] =
		"INSERT INTO messages_unindexed (message_id) "
		"SELECT id FROM messages WHERE id > ?1",
	[ST_NEW_UNSEEN] =
		"SELECT count(*) FROM messages WHERE id > ?1 AND seen = 0",
	/* A body is stored unindexed, and ST_BODY_QUEUE puts it in
	 * bodies_unindexed; store_index_chunk() indexes it later, off the
	 * path of the sync: tokenising text is most of the cost of a
	 * full-body sync. A plain INSERT per row, as for messages: no update
	 * trigger compiled in, and a UID cached already goes through the
	 * upsert. No trigger at all (schema.c, migration 6): an INSERT that
	 * fires one journals each page it changes, to be undone alone. */
	[ST_BODY_INSERT] =
		"INSERT INTO bodies (message_id, headers, body, truncated) "
		"VALUES (?1, ?2, ?3, ?4)",
	[ST_BODY_QUEUE] =
		"INSERT OR IGNORE INTO bodies_unindexed (message_id) VALUES (?1)",
	/* The entries of a queue in order, at most ?1, each with what it
	 * weighs in a chunk's byte budget (store_index.c): RFC822.SIZE,
	 * known without reading the bodies, or ENVELOPE_BYTES for an
	 * envelope alone. A waiting message's body, if any, waits too
	 * (schema.c): bodies_unindexed, a table of ids, says whether it has
	 * one; looking into bodies instead read a whole body per message. */
/* The queue drives the join, looked up message by message. With a plain
 * JOIN, SQLite carried "q.message_id <= ?1" over to m.id and walked the
 * messages table from its start, looking each up in the queue: every
 * chunk of the indexer read the whole table (explore80: 82 ms and 2,046
 * pages for one new message in a cache of 150,000, inside the write
 * transaction other accounts wait for). CROSS JOIN is SQLite's documented
 * way to keep the left table outer. */
#define QUEUE_FIRST "CROSS JOIN "
#define CHUNK_ROWS(queue, len_expr, filter)                                    \
	"SELECT q.message_id, " len_expr " FROM " queue " q "                  \
	"LEFT JOIN messages m ON m.id = q.message_id " filter                  \
	" ORDER BY q.message_id LIMIT ?1"
	/* A waiting message enters the index whole, with its body if it has
	 * one; that body leaves its own queue with it. */
	[ST_MSG_CHUNK_ROWS] = CHUNK_ROWS("messages_unindexed",
		"CASE WHEN EXISTS (SELECT 1 FROM bodies_unindexed b "
		"WHERE b.message_id = q.message_id) THEN coalesce(m.size, 0) "
		"ELSE " ENVELOPE_BYTES " END", ""),
	[ST_MSG_FTS_ADD] =
		"INSERT INTO messages_fts (rowid, subject, from_addr, to_addr, "
		"cc_addr, body) SELECT m.id, m.subject, m.from_addr, m.to_addr, "
		"m.cc_addr, b.body FROM messages_unindexed q "
		QUEUE_FIRST "messages m ON m.id = q.message_id "
		"LEFT JOIN bodies b ON b.message_id = q.message_id "
		"WHERE q.message_id <= ?1",
	[ST_MSG_BODIES_DEQUEUE] =
		"DELETE FROM bodies_unindexed WHERE message_id IN (SELECT "
		"message_id FROM messages_unindexed WHERE message_id <= ?1)",
	[ST_MSG_DEQUEUE] =
		"DELETE FROM messages_unindexed WHERE message_id <= ?1",
	/* A chunk that took the whole queue: with nothing to filter (no
	 * WHERE, no trigger) SQLite drops the table's pages at once instead
	 * of deleting row by row, a tenth of the indexer's instructions. */
	[ST_MSG_DEQUEUE_ALL] = "DELETE FROM messages_unindexed",
	/* A waiting body of an indexed message: the index forgets the
	 * message as shown without its body and learns it with it. Bodies
	 * of waiting messages are left to the message's chunk. */
#define BODY_OF_INDEXED                                                        \
	" NOT EXISTS (SELECT 1 FROM messages_unindexed u "                     \
	"WHERE u.message_id = q.message_id)"
	[ST_BODY_CHUNK_ROWS] = CHUNK_ROWS("bodies_unindexed",
		"coalesce(m.size, 0)", "WHERE" BODY_OF_INDEXED),
	[ST_BODY_FTS_FORGET] =
		"INSERT INTO messages_fts (messages_fts, rowid, subject, "
		"from_addr, to_addr, cc_addr, body) SELECT 'delete', m.id, "
		"m.subject, m.from_addr, m.to_addr, m.cc_addr, NULL "
		"FROM bodies_unindexed q " QUEUE_FIRST "messages m "
		"ON m.id = q.message_id "
		"WHERE q.message_id <= ?1 AND" BODY_OF_INDEXED,
	[ST_BODY_FTS_ADD] =
		"INSERT INTO messages_fts (rowid, subject, from_addr, to_addr, "
		"cc_addr, body) SELECT m.id, m.subject, m.from_addr, m.to_addr, "
		"m.cc_addr, b.body FROM bodies_unindexed q "
		QUEUE_FIRST "messages m ON m.id = q.message_id "
		"LEFT JOIN bodies b ON b.message_id = q.message_id "
		"WHERE q.message_id <= ?1 AND" BODY_OF_INDEXED,
	[ST_BODY_DEQUEUE] =
		"DELETE FROM bodies_unindexed AS q WHERE message_id <= ?1 AND"
		BODY_OF_INDEXED,
	/* Whether anything waits at all: a read, which takes no lock. */
	[ST_ANY_UNINDEXED] =
		"SELECT EXISTS (SELECT 1 FROM messages_unindexed) OR "
		"EXISTS (SELECT 1 FROM bodies_unindexed)",
	/* Messages whose text is not yet all searchable. */
	[ST_UNINDEXED] =
		"SELECT (SELECT count(*) FROM messages_unindexed) + "
		"(SELECT count(*) FROM bodies_unindexed q WHERE" BODY_OF_INDEXED
		")",
	/* seen as the column computes it from flags (schema.c). ?5: a
	 * listing, whose MODSEQ may be below the cached one. */
	[ST_MESSAGE_FLAGS_KEEP_SEEN] =
		"UPDATE messages SET flags = ?3, "
		"modseq = CASE WHEN ?4 > 0 THEN ?4 ELSE modseq END "
		"WHERE mailbox_id = ?1 AND uid = ?2 "
		"AND (?5 OR modseq <= ?4 OR ?4 = 0) " FLAGS_NEWS
		"AND seen = (instr(' ' || lower(?3) || ' ', ' \\seen ') > 0)",
	[ST_MESSAGE_FLAGS] =
		"UPDATE messages SET flags = ?3, "
		"modseq = CASE WHEN ?4 > 0 THEN ?4 ELSE modseq END "
		"WHERE mailbox_id = ?1 AND uid = ?2 "
		"AND (?5 OR modseq <= ?4 OR ?4 = 0) " FLAGS_NEWS "RETURNING seen",
	[ST_MESSAGE_DELETE] =
		"DELETE FROM messages WHERE mailbox_id = ?1 AND uid = ?2",
	[ST_MESSAGE_DELETE_RANGE] = "DELETE FROM messages WHERE mailbox_id = "
				    "?1 AND uid BETWEEN ?2 AND ?3",
	[ST_MESSAGE_DELETE_ALL] = "DELETE FROM messages WHERE mailbox_id = ?1",
	[ST_MESSAGE_FORGET_MODSEQS] = "UPDATE messages SET modseq = 0 "
				      "WHERE mailbox_id = ?1 AND modseq != 0",
	[ST_MESSAGE_EACH_UID] = "SELECT uid FROM messages WHERE mailbox_id = "
				"?1 ORDER BY uid",
	/* A text cut at a lower max_body_size than ?4 is missing too: the
	 * message now comes whole. With headers alone (NOT ?3), a header
	 * block cut short (truncated without a text: cut inside the header,
	 * under "full" or "headers") is missing while ?4 bytes bring more of
	 * it than it holds. It holds the bytes that came as at least as many
	 * (each is one or more in UTF-8) less the character the cut split
	 * (three at most): so one cut at ?4 is not fetched again.
	 * Conditions, not a CASE: a CASE's value loads the column it tests,
	 * every body of the mailbox at each session's first pass, where
	 * "body IS NOT NULL" as a condition reads the row's type only. */
	[ST_MESSAGE_WITHOUT_BODY] =
		"SELECT uid, size FROM messages m WHERE mailbox_id = ?1 "
		"AND uid >= ?2 AND NOT EXISTS (SELECT 1 FROM bodies WHERE "
		"message_id = m.id AND ((?3 AND body IS NOT NULL AND "
		"NOT (truncated AND m.size IS NOT NULL AND m.size <= ?4)) "
		"OR (NOT ?3 AND NOT (truncated AND coalesce(body, '') = '' "
		"AND length(CAST(headers AS BLOB)) + 3 < ?4)))) "
		"ORDER BY uid",
	[ST_MESSAGE_MAX_UID] = "SELECT coalesce(max(uid), 0) FROM messages "
			       "WHERE mailbox_id = ?1",
	/* Rows 0, k, 2k, ... of the mailbox in UID order, and its last,
	 * with k such that about ?2 of them come (the last picked first,
	 * so that the LIMIT never drops it), in UID order. */
	[ST_MESSAGE_SAMPLE] =
		"SELECT uid, size, internaldate FROM ("
		"SELECT uid, size, internaldate FROM ("
		"SELECT uid, size, internaldate, "
		"row_number() OVER (ORDER BY uid) - 1 AS r, "
		"count(*) OVER () AS n FROM messages WHERE mailbox_id = ?1) "
		"WHERE r = n - 1 OR r % max(1, (n + ?2 - 2) / max(1, ?2 - 1)) = 0 "
		"ORDER BY r = n - 1 DESC, uid LIMIT ?2) ORDER BY uid",
	/* Bodies are inserted with VALUES, their message's id looked up
	 * first: an INSERT ... SELECT on a table with triggers goes through
	 * a temporary table, two more copies of every body in memory (three
	 * times a 30 MB message at once). */
	[ST_MESSAGE_ID_OF] = "SELECT id FROM messages "
			     "WHERE mailbox_id = ?1 AND uid = ?2",
	/* The size ?2 of message ?1: in place of the one cached when ?3
	 * (the length of the whole message), else where it has none */
	[ST_MESSAGE_SET_SIZE] = "UPDATE messages SET size = ?2 WHERE id = ?1 "
				"AND (size IS NULL OR (?3 AND size IS NOT ?2))",
	/* -1 for a row that holds flags ?3 and MODSEQ ?4 (0: any) already */
	[ST_MESSAGE_MODSEQ_OF] = "SELECT CASE WHEN flags IS ?3 AND (?4 = 0 OR "
				 "modseq = ?4) THEN -1 ELSE modseq END "
				 "FROM messages "
				 "WHERE mailbox_id = ?1 AND uid = ?2",
	/* The envelope columns a row lacks, where ?7-?16 has them (the
	 * columns of MSG_COLUMNS: ?7 date ... ?16 in_reply_to) */
	[ST_MESSAGE_FILL_ENVELOPE] =
		"UPDATE messages SET date = coalesce(date, ?7), "
		"subject = coalesce(subject, ?8), "
		"from_addr = coalesce(from_addr, ?9), "
		"sender_addr = coalesce(sender_addr, ?10), "
		"reply_to_addr = coalesce(reply_to_addr, ?11), "
		"to_addr = coalesce(to_addr, ?12), "
		"cc_addr = coalesce(cc_addr, ?13), "
		"bcc_addr = coalesce(bcc_addr, ?14), "
		"message_id = coalesce(message_id, ?15), "
		"in_reply_to = coalesce(in_reply_to, ?16) "
		"WHERE mailbox_id = ?1 AND uid = ?2 AND ("
		"(date IS NULL AND ?7 IS NOT NULL) OR "
		"(subject IS NULL AND ?8 IS NOT NULL) OR "
		"(from_addr IS NULL AND ?9 IS NOT NULL) OR "
		"(sender_addr IS NULL AND ?10 IS NOT NULL) OR "
		"(reply_to_addr IS NULL AND ?11 IS NOT NULL) OR "
		"(to_addr IS NULL AND ?12 IS NOT NULL) OR "
		"(cc_addr IS NULL AND ?13 IS NOT NULL) OR "
		"(bcc_addr IS NULL AND ?14 IS NOT NULL) OR "
		"(message_id IS NULL AND ?15 IS NOT NULL) OR "
		"(in_reply_to IS NULL AND ?16 IS NOT NULL))",
	[ST_BODY_PUT] =
		"INSERT INTO bodies (message_id, headers, body, truncated) "
		"VALUES (?1, ?2, ?3, ?4) ON CONFLICT (message_id) DO UPDATE SET "
		"headers = excluded.headers, body = excluded.body, "
		"truncated = excluded.truncated",
	/* In id order from ?2 on, so that each step starts where the last
	 * one ended instead of passing over what it emptied. CROSS JOIN
	 * keeps bodies the outer loop: left to itself, SQLite walked every
	 * message of the account to find no body (10 ms of a resync at
	 * 100,000 messages with bodies = "none"). */
	[ST_BODY_TRIM_ALL] =
		"DELETE FROM bodies WHERE message_id IN (SELECT b.message_id "
		"FROM bodies b CROSS JOIN messages m ON m.id = b.message_id "
		"CROSS JOIN mailboxes x ON x.id = m.mailbox_id "
		"WHERE x.account_id = ?1 AND b.message_id > ?2 "
		"ORDER BY b.message_id LIMIT ?3) RETURNING message_id",
	[ST_PIECE_ADD] = "INSERT INTO body_pieces (message_id, section, size, "
			 "offset, data) SELECT id, ?3, ?4, ?5, ?6 FROM messages "
			 "WHERE mailbox_id = ?1 AND uid = ?2 "
			 "ON CONFLICT (message_id, offset) DO UPDATE SET "
			 "section = excluded.section, size = excluded.size, "
			 "data = excluded.data",
	[ST_PIECES_OF] = "SELECT p.section, p.size, p.offset, p.data "
			 "FROM messages m JOIN body_pieces p "
			 "ON p.message_id = m.id "
			 "WHERE m.mailbox_id = ?1 AND m.uid = ?2 "
			 "ORDER BY p.offset",
	[ST_PIECES_ANY] = "SELECT EXISTS (SELECT 1 FROM body_pieces p "
			  "JOIN messages m ON m.id = p.message_id "
			  "WHERE m.mailbox_id = ?1)",
	[ST_PIECES_DROP] = "DELETE FROM body_pieces WHERE message_id = "
			   "(SELECT id FROM messages "
			   "WHERE mailbox_id = ?1 AND uid = ?2)",
	/* A text cut short keeps its mark only where no text came and the
	 * cut fell inside the header, which it cut too
	 * (ST_MESSAGE_WITHOUT_BODY fetches it again when the limit now
	 * brings more of it). A header block that ends with CRLF is whole
	 * (conv_body): the cut came right after it, and "headers" holds
	 * all there is to hold. */
	[ST_BODY_TRIM_TEXT] =
		"UPDATE bodies SET body = NULL, "
		"truncated = truncated AND body = '' AND "
		"coalesce(substr(headers, -2), '') != char(13, 10) "
		"WHERE message_id "
		"IN (SELECT b.message_id FROM bodies b CROSS JOIN messages m "
		"ON m.id = b.message_id CROSS JOIN mailboxes x "
		"ON x.id = m.mailbox_id "
		"WHERE x.account_id = ?1 AND b.message_id > ?2 "
		"AND b.body IS NOT NULL "
		"ORDER BY b.message_id LIMIT ?3) RETURNING message_id",
};
/* clang-format on */
