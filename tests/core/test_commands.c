/* test_commands.c - imaplib's methods against the fake server: the exact
 * wire line of every command, its result, and how the handle reacts to a
 * server that misbehaves. */
#include "api_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

Test(commands, greeting_capability_login_select_fetch_logout)
{
	struct api_test t;
	imap4_mailbox_info mi;
	char buf[256];
	imap4 *h = api_open(
	        &t,
	        "S: * OK IMAP4rev1 ready\n"
	        "C: $TAG CAPABILITY\n"
	        "S: * CAPABILITY IMAP4rev1 IDLE LITERAL+\n"
	        "S: $TAG OK done\n"
	        "C: $TAG LOGIN joe \"s3cret\"\n"
	        "S: $TAG OK [CAPABILITY IMAP4rev1 IDLE MOVE] logged in\n"
	        "C: $TAG SELECT INBOX\n"
	        "S: * FLAGS (\\\\Answered \\\\Seen $Junk)\n"
	        "S: * 3 EXISTS\n"
	        "S: * 1 RECENT\n"
	        "S: * OK [UNSEEN 2] first unseen\n"
	        "S: * OK [UIDVALIDITY 1234] ok\n"
	        "S: * OK [UIDNEXT 9] ok\n"
	        "S: * OK [PERMANENTFLAGS (\\\\Seen \\\\*)] ok\n"
	        "S: * OK [HIGHESTMODSEQ 77] ok\n"
	        "S: $TAG OK [READ-WRITE] selected\n"
	        "C: $TAG FETCH 1:* (UID FLAGS)\n"
	        "S: * 1 FETCH (UID 4 FLAGS (\\\\Seen))\n"
	        "S: * 2 FETCH (UID 7 FLAGS ())\n"
	        "S: $TAG OK fetched\n"
	        "C: $TAG LOGOUT\n"
	        "S: * BYE see you\n"
	        "S: $TAG OK bye\n",
	        NULL);

	cr_assert_eq(imap4_state(h), IMAP4_STATE_NONAUTH);
	cr_assert_str_eq(imap4_welcome(h), "* OK IMAP4rev1 ready");
	cr_assert(imap4_has_capability(h, "idle"));
	cr_assert_not(imap4_has_capability(h, "MOVE"));
	cr_assert_str_eq(imap4_protocol_version(h), "IMAP4REV1");

	cr_assert_eq(imap4_login(h, "joe", "s3cret"), IMAP4_OK);
	cr_assert_eq(imap4_state(h), IMAP4_STATE_AUTH);
	/* capabilities re-read from the [CAPABILITY] of the completion */
	cr_assert(imap4_has_capability(h, "MOVE"));
	cr_assert_not(imap4_has_capability(h, "LITERAL+"));

	cr_assert_eq(imap4_select(h, &mi, "inbox", false), IMAP4_OK);
	cr_assert_eq(imap4_state(h), IMAP4_STATE_SELECTED);
	cr_assert_eq(mi.exists, 3);
	cr_assert_eq(mi.recent, 1);
	cr_assert_eq(mi.unseen, 2);
	cr_assert_eq(mi.uidvalidity, 1234);
	cr_assert_eq(mi.uidnext, 9);
	cr_assert_eq(mi.highestmodseq, 77);
	cr_assert_not(mi.readonly);
	cr_assert_eq(mi.nflags, 3);
	cr_assert_str_eq(mi.flags[2], "$Junk");
	cr_assert_eq(mi.npermanentflags, 2);
	cr_assert_str_eq(mi.permanentflags[1], "\\*");
	cr_assert_not(imap4_is_readonly(h));

	cr_assert_eq(imap4_fetch(h, "1:*", "(UID FLAGS)"), IMAP4_OK);
	cr_assert_eq(imap4_data_count(h), 2);
	cr_assert_str_eq(api_data(h, 1, buf, sizeof(buf)),
	                 "* 2 FETCH (UID 7 FLAGS ())");
	cr_assert_str_eq(imap4_completion(h)->name, "OK");
	cr_assert_str_eq(imap4_completion(h)->text, "fetched");

	cr_assert_eq(imap4_logout(h), IMAP4_OK);
	cr_assert_eq(imap4_state(h), IMAP4_STATE_LOGOUT);
	cr_assert_eq(imap4_noop(h), IMAP4_ECLOSED);
	api_done(&t);
}

/* What a daemon tells a slow link from a dead one by: the bytes read. */
Test(commands, bytes_in_counts_what_the_server_sent)
{
	struct api_test t;
	static const char greeting[] = "* OK [CAPABILITY IMAP4rev1] hi\r\n";
	imap4 *h = api_open(&t,
	                    "S: * OK [CAPABILITY IMAP4rev1] hi\n"
	                    "C: $TAG NOOP\n"
	                    "S: * 3 EXISTS\n"
	                    "S: $TAG OK done\n",
	                    NULL);

	cr_assert_eq(imap4_bytes_in(h), strlen(greeting));
	cr_assert_eq(imap4_noop(h), IMAP4_OK);
	/* "* 3 EXISTS\r\n" and the tagged "A0001 OK done\r\n" */
	size_t tag = strlen(imap4_completion(h)->tag);
	cr_assert_eq(imap4_bytes_in(h),
	             strlen(greeting) + 12 + tag + strlen(" OK done\r\n"));
	cr_assert_eq(imap4_bytes_in(NULL), 0);
	api_done(&t);
}

Test(commands, preauth_greeting_is_authenticated)
{
	struct api_test t;
	imap4 *h = api_open(&t,
	                    "S: * PREAUTH [CAPABILITY IMAP4rev2] hi joe\n"
	                    "C: $TAG NOOP\n"
	                    "S: $TAG OK\n",
	                    NULL);

	cr_assert_eq(imap4_state(h), IMAP4_STATE_AUTH);
	cr_assert_str_eq(imap4_protocol_version(h), "IMAP4REV2");
	cr_assert_eq(imap4_noop(h), IMAP4_OK);
	cr_assert_eq(imap4_login(h, "a", "b"), IMAP4_ESTATE);
	api_done(&t);
}

Test(commands, bye_or_garbage_greeting_fails_open)
{
	struct api_test t;

	api_start(&t, "S: * BYE too busy\n", NULL);
	cr_assert_eq(t.rc, IMAP4_EBYE);
	cr_assert_null(t.h);
	cr_assert(strstr(imap4_open_error(), "too busy"), "%s",
	          imap4_open_error());
	api_done(&t);

	api_start(&t, "S: HTTP/1.1 400 Bad Request\n", NULL);
	cr_assert_lt(t.rc, 0);
	cr_assert_eq(imap4_error_class(t.rc), IMAP4_CLASS_ABORT);
	api_done(&t);
}

Test(commands, wire_lines_of_every_method)
{
	struct api_test t;
	const char *kv[] = {"name", "mailmirror", "version", NULL, NULL};
	long recent;
	char *text;
	imap4 *h = api_open(
	        &t,
	        "S: * PREAUTH [CAPABILITY IMAP4rev1 ENABLE NOTIFY ACL QUOTA "
	        "COMPRESS=DEFLATE ID NAMESPACE] hi\n"
	        "C: $TAG CREATE \"Sent Items\"\n"
	        "S: $TAG OK\n"
	        "C: $TAG RENAME \"Sent Items\" Entw&APw-rfe\n"
	        "S: $TAG OK\n"
	        "C: $TAG DELETE Entw&APw-rfe\n"
	        "S: $TAG OK\n"
	        "C: $TAG SUBSCRIBE INBOX\n"
	        "S: $TAG OK\n"
	        "C: $TAG UNSUBSCRIBE INBOX\n"
	        "S: $TAG OK\n"
	        "C: $TAG LIST \"\" *\n"
	        "S: * LIST (\\\\HasNoChildren) \"/\" INBOX\n"
	        "S: $TAG OK\n"
	        "C: $TAG LSUB \"\" %\n"
	        "S: $TAG OK\n"
	        "C: $TAG STATUS INBOX (MESSAGES UIDNEXT)\n"
	        "S: * STATUS INBOX (MESSAGES 2 UIDNEXT 5)\n"
	        "S: $TAG OK\n"
	        "C: $TAG STATUS INBOX (UNSEEN)\n"
	        "S: $TAG OK\n"
	        "C: $TAG NAMESPACE\n"
	        "S: * NAMESPACE ((\"\" \"/\")) NIL NIL\n"
	        "S: $TAG OK\n"
	        "C: $TAG ENABLE CONDSTORE QRESYNC\n"
	        "S: * ENABLED CONDSTORE QRESYNC\n"
	        "S: $TAG OK\n"
	        "C: $TAG GETACL INBOX\n"
	        "S: $TAG OK\n"
	        "C: $TAG SETACL INBOX bob lrs\n"
	        "S: $TAG OK\n"
	        "C: $TAG DELETEACL INBOX bob\n"
	        "S: $TAG OK\n"
	        "C: $TAG MYRIGHTS INBOX\n"
	        "S: $TAG OK\n"
	        "C: $TAG GETQUOTA \"\"\n"
	        "S: $TAG OK\n"
	        "C: $TAG GETQUOTAROOT INBOX\n"
	        "S: $TAG OK\n"
	        "C: $TAG SETQUOTA \"\" (STORAGE 512)\n"
	        "S: $TAG OK\n"
	        "C: $TAG ID (\"name\" \"mailmirror\" \"version\" NIL)\n"
	        "S: * ID (\"name\" \"Dovecot\")\n"
	        "S: $TAG OK\n"
	        "C: $TAG ID NIL\n"
	        "S: $TAG OK\n"
	        "C: $TAG PROXYAUTH bob\n"
	        "S: $TAG NO not allowed\n"
	        "C: $TAG XFOO 1 2\n"
	        "S: $TAG BAD what\n"
	        "C: $TAG EXAMINE INBOX\n"
	        "S: * 4 EXISTS\n"
	        "S: * 2 RECENT\n"
	        "S: $TAG OK [READ-ONLY] done\n"
	        "C: $TAG SEARCH CHARSET UTF-8 UNSEEN\n"
	        "S: * SEARCH 1 3\n"
	        "S: $TAG OK\n"
	        "C: $TAG UID SEARCH ALL\n"
	        "S: * SEARCH 7 9\n"
	        "S: $TAG OK\n"
	        "C: $TAG STORE 1:2 +FLAGS.SILENT (\\Seen)\n"
	        "S: $TAG OK\n"
	        "C: $TAG COPY 1 Trash\n"
	        "S: $TAG OK [COPYUID 7 4 10] done\n"
	        "C: $TAG MOVE 2 Trash\n"
	        "S: * 2 EXPUNGE\n"
	        "S: $TAG OK\n"
	        "C: $TAG UID MOVE 9 Trash\n"
	        "S: $TAG OK\n"
	        "C: $TAG UID EXPUNGE 4:5\n"
	        "S: $TAG OK\n"
	        "C: $TAG SORT (DATE) UTF-8 ALL\n"
	        "S: $TAG OK\n"
	        "C: $TAG THREAD REFERENCES UTF-8 ALL\n"
	        "S: $TAG OK\n"
	        "C: $TAG PARTIAL 1 BODY[] 0 100\n"
	        "S: $TAG OK\n"
	        "C: $TAG CHECK\n"
	        "S: $TAG OK\n"
	        "C: $TAG EXPUNGE\n"
	        "S: $TAG OK\n"
	        "C: $TAG NOOP\n"
	        "S: * 5 RECENT\n"
	        "S: $TAG OK\n"
	        "C: $TAG UNSELECT\n"
	        "S: $TAG OK\n"
	        "C: $TAG NOTIFY SET (selected (MessageNew))\n"
	        "S: $TAG OK\n"
	        "C: $TAG NOTIFY NONE\n"
	        "S: $TAG OK\n",
	        NULL);

	cr_assert_eq(imap4_create(h, "Sent Items"), IMAP4_OK);
	cr_assert_eq(imap4_rename(h, "Sent Items", "Entw\xc3\xbcrfe"), 0);
	cr_assert_eq(imap4_delete(h, "Entw\xc3\xbcrfe"), IMAP4_OK);
	cr_assert_eq(imap4_subscribe(h, "INBOX"), IMAP4_OK);
	cr_assert_eq(imap4_unsubscribe(h, "Inbox"), IMAP4_OK);
	cr_assert_eq(imap4_list(h, NULL, NULL), IMAP4_OK);
	cr_assert_eq(imap4_data_count(h), 1);
	cr_assert_eq(imap4_lsub(h, "", "%"), IMAP4_OK);
	cr_assert_eq(imap4_status(h, "INBOX", "(MESSAGES UIDNEXT)"), 0);
	cr_assert_eq(imap4_data_count(h), 1);
	cr_assert_eq(imap4_status(h, "INBOX", "UNSEEN"), IMAP4_OK);
	cr_assert_eq(imap4_namespace(h), IMAP4_OK);
	cr_assert_eq(imap4_enable(h, "CONDSTORE QRESYNC"), IMAP4_OK);
	cr_assert(imap4_is_enabled(h, "qresync"));
	cr_assert_not(imap4_utf8_enabled(h));
	cr_assert_eq(imap4_getacl(h, "INBOX"), IMAP4_OK);
	cr_assert_eq(imap4_setacl(h, "INBOX", "bob", "lrs"), IMAP4_OK);
	cr_assert_eq(imap4_deleteacl(h, "INBOX", "bob"), IMAP4_OK);
	cr_assert_eq(imap4_myrights(h, "INBOX"), IMAP4_OK);
	cr_assert_eq(imap4_getquota(h, ""), IMAP4_OK);
	cr_assert_eq(imap4_getquotaroot(h, "INBOX"), IMAP4_OK);
	cr_assert_eq(imap4_setquota(h, "", "(STORAGE 512)"), IMAP4_OK);
	cr_assert_eq(imap4_id(h, kv), IMAP4_OK);
	cr_assert_eq(imap4_data_count(h), 1);
	cr_assert_eq(imap4_id(h, NULL), IMAP4_OK);

	/* NO is a result, BAD an error that keeps the handle */
	cr_assert_eq(imap4_proxyauth(h, "bob"), IMAP4_NO);
	cr_assert_str_eq(imap4_last_error(h)->server_text, "not allowed");
	cr_assert_eq(imap4_xatom(h, "XFOO", "1 2"), IMAP4_EBAD);
	cr_assert_eq(imap4_last_error(h)->klass, IMAP4_CLASS_ERROR);

	cr_assert_eq(imap4_select(h, NULL, "INBOX", true), IMAP4_OK);
	cr_assert(imap4_is_readonly(h));
	/* imaplib.recent(): the RECENT that EXAMINE brought, no NOOP */
	cr_assert_eq(imap4_recent(h, &recent), IMAP4_OK);
	cr_assert_eq(recent, 2);
	cr_assert_eq(imap4_search(h, "UTF-8", "UNSEEN"), IMAP4_OK);
	cr_assert_eq(imap4_data_count(h), 1);
	cr_assert_eq(imap4_uid(h, "SEARCH", "ALL"), IMAP4_OK);
	cr_assert_eq(imap4_store(h, "1:2", "+FLAGS.SILENT", "\\Seen"), 0);
	cr_assert_eq(imap4_copy(h, "1", "Trash"), IMAP4_OK);
	{
		imap4_copyuid cu;
		cr_assert_eq(imap4_resp_copyuid(&cu, imap4_completion(h)), 0);
		cr_assert_eq(cu.uidvalidity, 7);
	}
	cr_assert_eq(imap4_move(h, "2", "Trash"), IMAP4_OK);
	cr_assert_eq(imap4_data_count(h), 1);
	cr_assert_eq(imap4_uid_move(h, "9", "Trash"), IMAP4_OK);
	cr_assert_eq(imap4_uid_expunge(h, "4:5"), IMAP4_OK);
	cr_assert_eq(imap4_sort(h, "DATE", NULL, "ALL"), IMAP4_OK);
	cr_assert_eq(imap4_thread(h, "REFERENCES", NULL, "ALL"), IMAP4_OK);
	cr_assert_eq(imap4_partial(h, 1, "BODY[]", 0, 100), IMAP4_OK);
	cr_assert_eq(imap4_check(h), IMAP4_OK);
	cr_assert_eq(imap4_expunge(h), IMAP4_OK);

	/* nothing cached any more: a NOOP asks for it */
	cr_assert_eq(imap4_recent(h, &recent), IMAP4_OK);
	cr_assert_eq(recent, 5);
	cr_assert_eq(imap4_response(&text, h, "RECENT"), 0);
	cr_assert_null(text);
	cr_assert_eq(imap4_unselect(h), IMAP4_OK);
	cr_assert_eq(imap4_state(h), IMAP4_STATE_AUTH);
	cr_assert_eq(imap4_notify(h, "(selected (MessageNew))"), IMAP4_OK);
	cr_assert_eq(imap4_notify(h, NULL), IMAP4_OK);
	api_done(&t);
}

Test(commands, response_cache_is_popped_like_imaplib)
{
	struct api_test t;
	char *text;
	imap4 *h = api_open(&t,
	                    "S: * PREAUTH [CAPABILITY IMAP4rev1] hi\n"
	                    "C: $TAG SELECT INBOX\n"
	                    "S: * 3 EXISTS\n"
	                    "S: * OK [UIDVALIDITY 42] x\n"
	                    "S: $TAG OK [READ-WRITE] done\n",
	                    NULL);

	cr_assert_eq(imap4_select(h, NULL, NULL, false), IMAP4_OK);
	cr_assert_eq(imap4_response(&text, h, "uidvalidity"), 0);
	cr_assert_str_eq(text, "42");
	free(text);
	cr_assert_eq(imap4_response(&text, h, "UIDVALIDITY"), 0);
	cr_assert_null(text);
	cr_assert_eq(imap4_response(&text, h, "EXISTS"), 0);
	cr_assert_str_eq(text, "3");
	free(text);
	cr_assert_eq(imap4_response(&text, h, "READ-WRITE"), 0);
	cr_assert_str_eq(text, "");
	free(text);
	api_done(&t);
}

Test(commands, readonly_mailbox_when_write_was_asked)
{
	struct api_test t;
	imap4_mailbox_info mi;
	imap4 *h = api_open(&t,
	                    "S: * PREAUTH [CAPABILITY IMAP4rev1] hi\n"
	                    "C: $TAG SELECT shared\n"
	                    "S: * 1 EXISTS\n"
	                    "S: $TAG OK [READ-ONLY] no write for you\n"
	                    "C: $TAG NOOP\n"
	                    "S: $TAG OK\n",
	                    NULL);

	cr_assert_eq(imap4_select(h, &mi, "shared", false), IMAP4_EREADONLY);
	cr_assert_eq(imap4_error_class(IMAP4_EREADONLY), IMAP4_CLASS_READONLY);
	cr_assert(imap4_is_readonly(h));
	/* a failure: *out all zero (imap4.h); the responses are the data */
	cr_assert(!mi.readonly);
	cr_assert_eq(mi.exists, 0);
	cr_assert_null(mi.flags);
	cr_assert_eq(imap4_data_count(h), 1);
	/* readonly is not an abort: the handle goes on */
	cr_assert_eq(imap4_noop(h), IMAP4_OK);
	api_done(&t);
}

/* explore37: Dovecot lists a keyword named NIL among the mailbox's FLAGS;
 * the SELECT failed as "malformed FLAGS" and dropped the connection. */
Test(commands, a_keyword_named_nil_in_flags_selects)
{
	struct api_test t;
	imap4_mailbox_info mi;
	imap4 *h = api_open(&t,
	                    "S: * PREAUTH [CAPABILITY IMAP4rev1] hi\n"
	                    "C: $TAG SELECT NilBox\n"
	                    "S: * FLAGS (\\\\Answered \\\\Seen NIL k[1)\n"
	                    "S: * OK [PERMANENTFLAGS (\\\\Seen NIL k[1 "
	                    "\\\\*)] ok\n"
	                    "S: * 1 EXISTS\n"
	                    "S: * OK [UIDVALIDITY 7] ok\n"
	                    "S: $TAG OK [READ-WRITE] selected\n",
	                    NULL);

	cr_assert_eq(imap4_select(h, &mi, "NilBox", false), IMAP4_OK);
	cr_assert_eq(mi.nflags, 4);
	cr_assert_str_eq(mi.flags[2], "NIL");
	/* explore43: "[" is an ATOM-CHAR */
	cr_assert_str_eq(mi.flags[3], "k[1");
	cr_assert_eq(mi.npermanentflags, 4);
	cr_assert_str_eq(mi.permanentflags[1], "NIL");
	cr_assert_str_eq(mi.permanentflags[2], "k[1");
	cr_assert_eq(mi.exists, 1);
	api_done(&t);
}

/* explore37: a failed EXAMINE said "SELECT: malformed FLAGS". */
Test(commands, a_malformed_examine_is_named_examine)
{
	struct api_test t;
	imap4_mailbox_info mi;
	imap4 *h = api_open(&t,
	                    "S: * PREAUTH [CAPABILITY IMAP4rev1] hi\n"
	                    "C: $TAG EXAMINE Box\n"
	                    "S: * FLAGS (\"quoted\")\n"
	                    "S: $TAG OK [READ-ONLY] examined\n",
	                    NULL);

	cr_assert_lt(imap4_select(h, &mi, "Box", true), 0);
	cr_assert_str_eq(imap4_last_error(h)->message,
	                 "EXAMINE: malformed FLAGS");
	api_done(&t);
}

Test(commands, failed_select_leaves_selected_state)
{
	struct api_test t;
	imap4 *h = api_open(&t,
	                    "S: * PREAUTH [CAPABILITY IMAP4rev1] hi\n"
	                    "C: $TAG SELECT INBOX\n"
	                    "S: $TAG OK done\n"
	                    "C: $TAG SELECT nope\n"
	                    "S: $TAG NO [NONEXISTENT] no such mailbox\n",
	                    NULL);

	cr_assert_eq(imap4_select(h, NULL, "INBOX", false), IMAP4_OK);
	cr_assert_eq(imap4_select(h, NULL, "nope", false), IMAP4_NO);
	cr_assert_eq(imap4_state(h), IMAP4_STATE_AUTH);
	cr_assert_str_eq(imap4_last_error(h)->server_code, "NONEXISTENT");
	cr_assert_eq(imap4_fetch(h, "1", "FLAGS"), IMAP4_ESTATE);
	api_done(&t);
}

struct seen {
	uint32_t uids[8];
	size_t n;
	int fail_at;
};

static int on_msg(void *payload, const imap4_msg *msg, const imap4_resp *r)
{
	struct seen *s = payload;

	cr_assert(msg->have & IMAP4_HAVE_UID);
	s->uids[s->n++] = msg->uid;
	return (int)s->n == s->fail_at ? -1 : 0;
}

Test(commands, fetch_each_streams_typed_messages)
{
	struct api_test t;
	struct seen s = {.fail_at = -1};
	imap4 *h = api_open(&t,
	                    "S: * PREAUTH [CAPABILITY IMAP4rev1] hi\n"
	                    "C: $TAG SELECT INBOX\n"
	                    "S: $TAG OK done\n"
	                    "C: $TAG UID FETCH 1:* (UID FLAGS BODY.PEEK[])\n"
	                    "S: * 1 FETCH (UID 5 FLAGS (\\\\Seen) BODY[] {5}\n"
	                    "S+ hello)\\r\\n\n"
	                    "S: * 3 EXISTS\n"
	                    "S: * 2 FETCH (UID 8 FLAGS () BODY[] {0}\n"
	                    "S: )\n"
	                    "S: $TAG OK\n"
	                    "C: $TAG FETCH 1:2 UID\n"
	                    "S: * 1 FETCH (UID 5)\n"
	                    "S: * 2 FETCH (UID 8)\n"
	                    "S: $TAG OK\n",
	                    NULL);

	cr_assert_eq(imap4_select(h, NULL, "INBOX", false), IMAP4_OK);
	cr_assert_eq(imap4_fetch_each(h, true, "1:*", "(UID FLAGS BODY.PEEK[])",
	                              on_msg, &s),
	             IMAP4_OK);
	cr_assert_eq(s.n, 2);
	cr_assert_eq(s.uids[0], 5);
	cr_assert_eq(s.uids[1], 8);
	/* the EXISTS was not the command's: kept as data (no callback) */
	cr_assert_eq(imap4_data_count(h), 1);
	cr_assert_str_eq(imap4_data_at(h, 0)->name, "EXISTS");
	/* and for imap4_response(), unlike the messages the callback took */
	char *text;
	cr_assert_eq(imap4_response(&text, h, "EXISTS"), 0);
	cr_assert_str_eq(text, "3");
	free(text);
	cr_assert_eq(imap4_response(&text, h, "FETCH"), 0);
	cr_assert_null(text);

	/* a failing callback: read to the completion, then ECALLBACK */
	s.n = 0;
	s.fail_at = 1;
	cr_assert_eq(imap4_fetch_each(h, false, "1:2", "UID", on_msg, &s),
	             IMAP4_ECALLBACK);
	cr_assert_eq(s.n, 1);
	cr_assert_eq(imap4_last_error(h)->klass, IMAP4_CLASS_ERROR);
	/* what the callback no longer took is kept as imaplib would */
	cr_assert_eq(imap4_response(&text, h, "FETCH"), 0);
	cr_assert_str_eq(text, "2 (UID 8)");
	free(text);
	api_done(&t);
}

static int count_unsolicited(void *payload, const imap4_resp *resp)
{
	(*(int *)payload)++;
	return strcmp(resp->name, "EXPUNGE") == 0 ? 1 : 0;
}

Test(commands, unsolicited_callback_sees_what_no_command_asked_for)
{
	struct api_test t;
	int n = 0;
	imap4 *h = api_open(&t,
	                    "S: * PREAUTH [CAPABILITY IMAP4rev1] hi\n"
	                    "C: $TAG NOOP\n"
	                    "S: * 4 EXISTS\n"
	                    "S: * 2 EXPUNGE\n"
	                    "S: $TAG OK\n"
	                    "C: $TAG LIST \"\" *\n"
	                    "S: * LIST () \"/\" a\n"
	                    "S: * 5 EXISTS\n"
	                    "S: $TAG OK\n",
	                    NULL);

	imap4_set_unsolicited(h, count_unsolicited, &n);
	cr_assert_eq(imap4_noop(h), IMAP4_OK);
	cr_assert_eq(n, 2);
	/* the callback returned 1 for EXPUNGE: kept */
	cr_assert_eq(imap4_data_count(h), 1);
	cr_assert_eq(imap4_list(h, "", "*"), IMAP4_OK);
	cr_assert_eq(n, 3);
	cr_assert_eq(imap4_data_count(h), 1);
	cr_assert_str_eq(imap4_data_at(h, 0)->name, "LIST");
	api_done(&t);
}

Test(commands, append_with_synchronizing_literal)
{
	struct api_test t;
	imap4_copyuid cu;
	imap4 *h = api_open(&t,
	                    "S: * PREAUTH [CAPABILITY IMAP4rev1 UIDPLUS] hi\n"
	                    "C: $TAG APPEND INBOX (\\Seen) {14}\n"
	                    "S: + go ahead\n"
	                    "C= a: b\\r\\n\\r\\nbody\\r\\n\\r\\n\n"
	                    "S: $TAG OK [APPENDUID 38505 3955] done\n",
	                    NULL);

	/* bare LFs become CRLF; the literal size counts the CRs */
	cr_assert_eq(
	        imap4_append(h, "INBOX", "\\Seen", -1, "a: b\n\nbody\n", 11),
	        IMAP4_OK);
	cr_assert_eq(imap4_resp_appenduid(&cu, imap4_completion(h)), 0);
	cr_assert_eq(cu.uidvalidity, 38505);
	api_done(&t);
}

/* LITERAL+ offered or not, a literal waits for "+": a server that rejects
 * the command first would read the literal's lines as commands. */
Test(commands, append_waits_for_continuation_even_with_literal_plus)
{
	struct api_test t;
	imap4 *h = api_open(
	        &t,
	        "S: * PREAUTH [CAPABILITY IMAP4rev1 LITERAL+ LITERAL-] hi\n"
	        "C~ $TAG ^APPEND Drafts \"[ 0-9][0-9]-[A-Z][a-z]{2}-[0-9]{4} "
	        "[0-9]{2}:[0-9]{2}:[0-9]{2} [-+][0-9]{4}\" \\{3\\}$\n"
	        "S: + go ahead\n"
	        "C= x\\r\\n\\r\\n\n"
	        "S: $TAG OK done\n",
	        NULL);

	cr_assert_eq(imap4_append(h, "Drafts", NULL, time(NULL), "x\r\n", 3),
	             IMAP4_OK, "%s", imap4_last_error(h)->message);
	api_done(&t);
}

/* Dovecot 2.3 answers BAD to a flag it does not know before it reads the
 * literal: the message, whose lines could be commands, is never sent. */
Test(commands, append_refused_before_its_literal_sends_no_message)
{
	struct api_test t;
	imap4 *h = api_open(&t,
	                    "S: * PREAUTH [CAPABILITY IMAP4rev1 LITERAL+] hi\n"
	                    "C~ $TAG ^APPEND INBOX \\(\\\\Foo\\) \\{23\\}$\n"
	                    "S: $TAG BAD Invalid system flag\n"
	                    "C~ $TAG ^NOOP$\n"
	                    "S: $TAG OK noop\n",
	                    NULL);
	const char *msg = "x\r\nZ1 DELETE INBOX\r\nx\r\n";

	cr_assert_eq(strlen(msg), 23);
	cr_assert_eq(imap4_append(h, "INBOX", "(\\Foo)", -1, msg, strlen(msg)),
	             IMAP4_EBAD);
	cr_assert_eq(imap4_noop(h), IMAP4_OK, "%s",
	             imap4_last_error(h)->message);
	api_done(&t);
}

/* RFC 7162 3.2.3: QRESYNC enabled is CONDSTORE enabled, though Dovecot
 * names only QRESYNC in its ENABLED response. */
Test(commands, qresync_enables_condstore)
{
	struct api_test t;
	imap4 *h = api_open(&t,
	                    "S: * PREAUTH [CAPABILITY IMAP4rev1 ENABLE "
	                    "CONDSTORE QRESYNC] hi\n"
	                    "C: $TAG ENABLE QRESYNC\n"
	                    "S: * ENABLED QRESYNC\n"
	                    "S: $TAG OK\n",
	                    NULL);

	cr_assert_not(imap4_is_enabled(h, "CONDSTORE"));
	cr_assert_eq(imap4_enable(h, "QRESYNC"), IMAP4_OK);
	cr_assert(imap4_is_enabled(h, "QRESYNC"));
	cr_assert(imap4_is_enabled(h, "condstore"));
	api_done(&t);
}

/* A mailbox selected read-write that the server makes read-only (RFC 3501
 * 7.1, an untagged OK [READ-ONLY]): the command in which it comes ends with
 * IMAP4_EREADONLY, as imaplib raises readonly, and the handle says so; the
 * connection stays, and the next command is judged on its own. */
Test(commands, a_mailbox_turning_read_only_is_reported)
{
	struct api_test t;
	imap4 *h = api_open(&t,
	                    "S: * PREAUTH [CAPABILITY IMAP4rev1] hi\n"
	                    "C: $TAG SELECT INBOX\n"
	                    "S: $TAG OK [READ-WRITE] selected\n"
	                    "C: $TAG NOOP\n"
	                    "S: * OK [READ-ONLY] another session took it\n"
	                    "S: $TAG OK noop\n"
	                    "C: $TAG NOOP\n"
	                    "S: $TAG OK noop\n"
	                    "C: $TAG EXAMINE INBOX\n"
	                    "S: $TAG OK [READ-ONLY] examined\n",
	                    NULL);

	cr_assert_eq(imap4_select(h, NULL, "INBOX", false), IMAP4_OK);
	cr_assert_not(imap4_is_readonly(h));
	cr_assert_eq(imap4_noop(h), IMAP4_EREADONLY);
	cr_assert_eq(imap4_error_class(IMAP4_EREADONLY), IMAP4_CLASS_READONLY);
	cr_assert(imap4_is_readonly(h));
	cr_assert_eq(imap4_noop(h), IMAP4_OK);
	cr_assert_eq(imap4_select(h, NULL, "INBOX", true), IMAP4_OK);
	api_done(&t);
}

/* Arguments as imaplib's callers write them: list('""', '"A B*"'),
 * getquota('"User quota"'). A string that only starts with a quote, or
 * holds an unescaped one inside, is a value like any other. */
Test(commands, imaplib_quoted_arguments_are_their_strings)
{
	struct api_test t;
	imap4 *h = api_open(&t,
	                    "S: * PREAUTH [CAPABILITY IMAP4rev1 QUOTA] hi\n"
	                    "C: $TAG LIST \"\" \"A B*\"\n"
	                    "S: $TAG OK\n"
	                    "C: $TAG LSUB \"\" *\n"
	                    "S: $TAG OK\n"
	                    "C: $TAG GETQUOTA \"User quota\"\n"
	                    "S: $TAG OK\n"
	                    "C: $TAG SETQUOTA \"a\\\"b\" (STORAGE 9)\n"
	                    "S: $TAG OK\n"
	                    "C: $TAG GETQUOTA \"\\\"x\\\"y\\\"\"\n"
	                    "S: $TAG OK\n",
	                    NULL);

	cr_assert_eq(imap4_list(h, "\"\"", "\"A B*\""), IMAP4_OK);
	cr_assert_eq(imap4_lsub(h, "\"\"", NULL), IMAP4_OK);
	cr_assert_eq(imap4_getquota(h, "\"User quota\""), IMAP4_OK);
	cr_assert_eq(imap4_setquota(h, "\"a\\\"b\"", "STORAGE 9"), IMAP4_OK,
	             "%s", imap4_last_error(h)->message);
	cr_assert_eq(imap4_getquota(h, "\"x\"y\""), IMAP4_OK);
	api_done(&t);
}

/* A command name that is no atom (here one that would smuggle a second
 * command) is refused before anything is sent, and says why. */
Test(commands, xatom_with_a_line_break_sends_nothing)
{
	struct api_test t;
	imap4 *h = api_open(&t,
	                    "S: * PREAUTH [CAPABILITY IMAP4rev1] hi\n"
	                    "C: $TAG NOOP\n"
	                    "S: $TAG OK\n",
	                    NULL);

	cr_assert_eq(imap4_xatom(h, "NOOP\r\nX5 LOGOUT", NULL), IMAP4_EINVAL);
	cr_assert_eq(imap4_last_error(h)->code, IMAP4_EINVAL);
	cr_assert(strstr(imap4_last_error(h)->message,
	                 "invalid command name (not an atom): nothing was "
	                 "sent"),
	          "%s", imap4_last_error(h)->message);
	cr_assert_eq(imap4_noop(h), IMAP4_OK);
	api_done(&t);
}

struct src {
	const char *data;
	size_t off, len;
};

static ssize_t read_src(void *payload, void *buf, size_t cap)
{
	struct src *s = payload;
	size_t n = s->len - s->off;

	if (n > cap)
		n = cap;
	if (n > 3)
		n = 3; /* in small pieces */
	memcpy(buf, s->data + s->off, n);
	s->off += n;
	return (ssize_t)n;
}

Test(commands, append_stream_sends_pieces_after_continuation)
{
	struct api_test t;
	struct src s = {"Subject: x\r\n\r\nhi\r\n", 0, 18};
	imap4 *h = api_open(&t,
	                    "S: * PREAUTH [CAPABILITY IMAP4rev1] hi\n"
	                    "C: $TAG APPEND INBOX {18}\n"
	                    "S: + ok\n"
	                    "C= Subject: x\\r\\n\\r\\nhi\\r\\n\\r\\n\n"
	                    "S: $TAG OK done\n",
	                    NULL);

	cr_assert_eq(
	        imap4_append_stream(h, "INBOX", NULL, -1, 18, read_src, &s),
	        IMAP4_OK);
	api_done(&t);
}

/* A source with more than it announced: the message would be cut and
 * stored as if whole. The command is never finished, the connection is
 * dropped, and nothing after the announced bytes reaches the server. */
Test(commands, append_stream_source_longer_than_announced_is_refused)
{
	struct api_test t;
	struct src s = {"Subject: x\r\n\r\nhi\r\nmore", 0, 22};
	imap4 *h = api_open(&t,
	                    "S: * PREAUTH [CAPABILITY IMAP4rev1] hi\n"
	                    "C: $TAG APPEND INBOX {18}\n"
	                    "S: + ok\n"
	                    "C= Subject: x\\r\\n\\r\\nhi\\r\\n\n"
	                    "EOF\n",
	                    NULL);

	cr_assert_eq(
	        imap4_append_stream(h, "INBOX", NULL, -1, 18, read_src, &s),
	        IMAP4_EINVAL);
	cr_assert(strstr(imap4_last_error(h)->message,
	                 "went on after the 18 bytes it announced"),
	          "%s", imap4_last_error(h)->message);
	cr_assert_eq(imap4_noop(h), IMAP4_ECLOSED);
	api_done(&t);
}

static ssize_t overfill_src(void *payload, void *buf, size_t cap)
{
	(void)payload;
	(void)cap;
	memcpy(buf, "12345678", 8);
	return 8;
}

/* explore58: a source that gives more than the room it was given was said
 * to have "ended" early. */
Test(commands, append_stream_source_overfilling_its_buffer_is_named)
{
	struct api_test t;
	imap4 *h = api_open(&t,
	                    "S: * PREAUTH [CAPABILITY IMAP4rev1] hi\n"
	                    "C: $TAG APPEND INBOX {6}\n"
	                    "S: + ok\n"
	                    "EOF\n",
	                    NULL);

	cr_assert_eq(imap4_append_stream(h, "INBOX", NULL, -1, 6, overfill_src,
	                                 NULL),
	             IMAP4_EINVAL);
	cr_assert_str_eq(imap4_last_error(h)->message,
	                 "message source gave 8 bytes where 6 were asked for; "
	                 "connection dropped");
	api_done(&t);
}

Test(commands, refused_literal_sends_nothing_more)
{
	struct api_test t;
	imap4 *h = api_open(&t,
	                    "S: * PREAUTH [CAPABILITY IMAP4rev1] hi\n"
	                    "C: $TAG APPEND INBOX {3}\n"
	                    "S: $TAG NO [TOOBIG] no thanks\n"
	                    "C: $TAG NOOP\n"
	                    "S: $TAG OK\n",
	                    NULL);

	cr_assert_eq(imap4_append(h, "INBOX", NULL, -1, "x\r\n", 3), IMAP4_NO);
	cr_assert_str_eq(imap4_last_error(h)->server_code, "TOOBIG");
	cr_assert_eq(imap4_noop(h), IMAP4_OK);
	api_done(&t);
}

Test(commands, injection_attempts_send_nothing)
{
	struct api_test t;
	imap4 *h = api_open(&t,
	                    "S: * PREAUTH [CAPABILITY IMAP4rev1] hi\n"
	                    "C: $TAG SELECT INBOX\n"
	                    "S: $TAG OK\n"
	                    "C: $TAG NOOP\n"
	                    "S: $TAG OK\n",
	                    NULL);

	cr_assert_eq(imap4_create(h, "x\r\nA1 DELETE INBOX"), IMAP4_EINVAL);
	cr_assert_eq(imap4_select(h, NULL, "INBOX", false), IMAP4_OK);
	cr_assert_eq(imap4_search(h, NULL, "ALL\r\nA2 EXPUNGE"), IMAP4_EINVAL);
	cr_assert_eq(imap4_fetch(h, "1\r\n", "FLAGS"), IMAP4_EINVAL);
	cr_assert_eq(imap4_fetch(h, "1", "FLAGS\n"), IMAP4_EINVAL);
	cr_assert_eq(imap4_store(h, "1", "+FLAGS\r\nA4 EXPUNGE", "\\Seen"),
	             IMAP4_EINVAL);
	cr_assert_eq(imap4_xatom(h, "X\r\nY", NULL), IMAP4_EINVAL);
	cr_assert_eq(imap4_uid(h, "FETCH", "1 FLAGS\r\nA3 LOGOUT"),
	             IMAP4_EINVAL);
	cr_assert_eq(imap4_last_error(h)->klass, IMAP4_CLASS_ERROR);
	cr_assert_eq(imap4_noop(h), IMAP4_OK);
	{
		const char *sent = fake_server_transcript(t.fs);
		size_t lines = 0;

		for (const char *p = sent; (p = strchr(p, '\n')); p++)
			lines++;
		cr_assert_eq(lines, 2, "sent: %s", sent);
		cr_assert_null(strstr(sent, "DELETE"));
		cr_assert_null(strstr(sent, "EXPUNGE"));
		cr_assert_null(strstr(sent, "LOGOUT"));
		cr_assert_null(strstr(sent, "SEARCH"));
	}
	api_done(&t);
}

Test(commands, bye_mid_command_aborts_the_handle)
{
	struct api_test t;
	imap4 *h = api_open(&t,
	                    "S: * PREAUTH [CAPABILITY IMAP4rev1] hi\n"
	                    "C: $TAG NOOP\n"
	                    "S: * BYE shutting down for maintenance\n"
	                    "CLOSE\n",
	                    NULL);

	cr_assert_eq(imap4_noop(h), IMAP4_EBYE);
	cr_assert_eq(imap4_last_error(h)->klass, IMAP4_CLASS_ABORT);
	cr_assert_str_eq(imap4_last_error(h)->server_text,
	                 "shutting down for maintenance");
	cr_assert_eq(imap4_socket(h), -1);
	cr_assert_eq(imap4_noop(h), IMAP4_ECLOSED);
	cr_assert_eq(imap4_select(h, NULL, "INBOX", false), IMAP4_ECLOSED);
	/* explore58: the first cause, every time after (it said
	 * "connection already aborted" from the second refusal on) */
	cr_assert_str_eq(imap4_last_error(h)->message,
	                 "SELECT: not sent: the connection was given up "
	                 "earlier (server said BYE)");
	api_done(&t);
}

Test(commands, unknown_tag_is_a_protocol_error)
{
	struct api_test t;
	imap4 *h = api_open(&t,
	                    "S: * PREAUTH [CAPABILITY IMAP4rev1] hi\n"
	                    "C: $TAG NOOP\n"
	                    "S: ZZZ999 OK not yours\n",
	                    NULL);

	cr_assert_eq(imap4_noop(h), IMAP4_EPROTO);
	cr_assert_eq(imap4_noop(h), IMAP4_ECLOSED);
	api_done(&t);
}

Test(commands, unexpected_continuation_is_a_protocol_error)
{
	struct api_test t;
	imap4 *h = api_open(&t,
	                    "S: * PREAUTH [CAPABILITY IMAP4rev1] hi\n"
	                    "C: $TAG NOOP\n"
	                    "S: + more please\n",
	                    NULL);

	cr_assert_eq(imap4_noop(h), IMAP4_EPROTO);
	api_done(&t);
}

Test(commands, eof_mid_command)
{
	struct api_test t;
	imap4 *h = api_open(&t,
	                    "S: * PREAUTH [CAPABILITY IMAP4rev1] hi\n"
	                    "C: $TAG NOOP\n"
	                    "S+ * 1 EXI\n"
	                    "CLOSE\n",
	                    NULL);

	cr_assert_eq(imap4_noop(h), IMAP4_EEOF);
	cr_assert_eq(imap4_last_error(h)->klass, IMAP4_CLASS_ABORT);
	api_done(&t);
}

Test(commands, trickling_server_hits_the_command_deadline)
{
	struct api_test t;
	struct imap4_opts o;
	char script[4096] = "S: * PREAUTH [CAPABILITY IMAP4rev1] hi\n"
	                    "C: $TAG NOOP\n";
	int64_t start;
	imap4 *h;

	/* one byte every 100 ms, for 3 s: the 500 ms deadline is absolute,
	 * the server never goes quiet long enough for an idle timer */
	for (int i = 0; i < 30; i++)
		strcat(script, "S+ x\nSLEEP 100\n");
	imap4_opts_init(&o);
	o.timeout_ms = 500;
	h = api_open(&t, script, &o);
	start = imap4_now_ms();
	cr_assert_eq(imap4_noop(h), IMAP4_ETIMEOUT);
	cr_assert_lt(imap4_now_ms() - start, 1500);
	/* explore37: which command, and that the next one is refused for
	 * the earlier failure, not timed out itself */
	cr_assert_str_eq(imap4_last_error(h)->message,
	                 "NOOP: no completion within 500 ms");
	cr_assert_str_eq(imap4_last_error(h)->unanswered, "NOOP");
	cr_assert_eq(imap4_check(h), IMAP4_ECLOSED);
	cr_assert_str_eq(imap4_last_error(h)->message,
	                 "CHECK: not sent: the connection was given up "
	                 "earlier (timed out)");
	cr_assert_null(imap4_last_error(h)->unanswered);
	api_done(&t);
}

/* The command a timeout left unanswered, by name, where the caller sent
 * another: a LOGIN answered without [CAPABILITY] is followed by a
 * CAPABILITY of the library's own. A daemon said "did not answer LOGIN"
 * for the CAPABILITY after it. */
Test(commands, a_timeout_names_the_command_left_unanswered)
{
	struct api_test t;
	struct imap4_opts o;
	imap4_opts_init(&o);
	o.timeout_ms = 300;
	imap4 *h = api_open(&t,
	                    "S: * OK [CAPABILITY IMAP4rev1] hi\n"
	                    "C: $TAG LOGIN joe \"pw\"\n"
	                    "S: $TAG OK logged in\n"
	                    "C: $TAG CAPABILITY\n"
	                    "TIMEOUT 5000\n"
	                    "EOF\n",
	                    &o);
	cr_assert_eq(imap4_login(h, "joe", "pw"), IMAP4_ETIMEOUT);
	cr_assert_str_eq(imap4_last_error(h)->unanswered, "CAPABILITY");
	api_done(&t);
}

/* An open that waits in vain for the completion of a command of its own
 * says which (imap4_open_unanswered); one that fails elsewhere, or
 * succeeds, says none, whatever the open before it said. */
Test(commands, a_failed_open_names_its_command_left_unanswered)
{
	static const struct {
		const char *script, *unanswered;
		enum imap4_tls_mode tls;
	} cases[] = {
	        {"S: * OK hi\nC: $TAG CAPABILITY\n", "CAPABILITY",
	         IMAP4_TLS_NONE},
	        {"", NULL, IMAP4_TLS_NONE}, /* no greeting */
	        {"S: * OK [CAPABILITY IMAP4rev1 STARTTLS] hi\n"
	         "C: $TAG STARTTLS\n",
	         "STARTTLS", IMAP4_TLS_STARTTLS},
	};
	struct api_test t;
	struct imap4_opts o;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char script[256], err[2048] = "";
		imap4_opts_init(&o);
		o.connect_timeout_ms = 300;
		o.tls = cases[i].tls;
		snprintf(script, sizeof(script), "%sTIMEOUT 5000\nEOF\n",
		         cases[i].script);
		api_start(&t, script, &o);
		cr_assert_eq(t.rc, IMAP4_ETIMEOUT, "case %zu: %d", i, t.rc);
		if (cases[i].unanswered)
			cr_assert_str_eq(imap4_open_unanswered(),
			                 cases[i].unanswered, "case %zu", i);
		else
			cr_assert_null(imap4_open_unanswered(), "case %zu: %s",
			               i, imap4_open_unanswered());
		cr_assert_eq(fake_server_finish(t.fs, err, sizeof(err)), 0,
		             "case %zu: %s", i, err);
	}
	imap4_opts_init(&o);
	api_open(&t, "S: * PREAUTH [CAPABILITY IMAP4rev1] hi\n", &o);
	cr_assert_null(imap4_open_unanswered());
	api_done(&t);
}

static int answer_a(void *payload, const void *challenge, size_t clen,
                    void **resp, size_t *rlen)
{
	*resp = strdup("a");
	*rlen = 1;
	return 0;
}

Test(commands, endless_continuations_hit_the_deadline)
{
	struct api_test t;
	struct imap4_opts o;
	char script[8192] = "S: * OK [CAPABILITY IMAP4rev1] hi\n"
	                    "C: $TAG AUTHENTICATE X-PINGPONG\n";
	int64_t start;
	imap4 *h;

	for (int i = 0; i < 40; i++)
		strcat(script, "S: + \nSLEEP 50\n");
	imap4_opts_init(&o);
	o.timeout_ms = 600;
	h = api_open(&t, script, &o);
	start = imap4_now_ms();
	cr_assert_eq(imap4_authenticate(h, "X-PINGPONG", answer_a, NULL),
	             IMAP4_ETIMEOUT);
	cr_assert_lt(imap4_now_ms() - start, 1500);
	api_done(&t);
}

Test(commands, untagged_data_is_bounded)
{
	struct api_test t;
	struct imap4_opts o;
	char script[8192] = "S: * PREAUTH [CAPABILITY IMAP4rev1] hi\n"
	                    "C: $TAG LIST \"\" *\n";
	imap4 *h;

	for (int i = 0; i < 50; i++)
		strcat(script, "S: * LIST () \"/\" mailbox-with-a-long-name\n");
	strcat(script, "S: $TAG OK\n"
	               "C: $TAG NOOP\n"
	               "S: $TAG OK\n");
	imap4_opts_init(&o);
	o.timeout_ms = 5000;
	o.limits.max_untagged = 1024;
	h = api_open(&t, script, &o);
	cr_assert_eq(imap4_list(h, "", "*"), IMAP4_ELIMIT);
	/* the caller's limit costs the command, not the connection */
	cr_assert_eq(imap4_last_error(h)->klass, IMAP4_CLASS_ERROR);
	cr_assert_gt(imap4_data_count(h), 0);
	cr_assert_lt(imap4_data_count(h), 50);
	cr_assert_eq(imap4_noop(h), IMAP4_OK);
	api_done(&t);
}

static int collect_all(void *payload, const imap4_resp *resp)
{
	(*(int *)payload)++;
	return 0;
}

Test(commands, command_format)
{
	struct api_test t;
	int n = 0;
	imap4 *h = api_open(
	        &t,
	        "S: * PREAUTH [CAPABILITY IMAP4rev1] hi\n"
	        "C: $TAG SELECT INBOX\n"
	        "S: $TAG OK\n"
	        "C: $TAG UID FETCH 1:* (FLAGS) (CHANGEDSINCE 12345678901)\n"
	        "S: * 1 FETCH (UID 3 FLAGS ())\n"
	        "S: $TAG OK\n"
	        "C: $TAG SETMETADATA \"Sent Items\" (/private/comment {2}\n"
	        "S: + go\n"
	        "C: hi)\n"
	        "S: $TAG OK\n"
	        "C: $TAG GETMETADATA Entw&APw-rfe \"a b\" 7\n"
	        "S: $TAG OK\n"
	        "C: $TAG UID SEARCH UID 7:* (X-A)\n"
	        "S: $TAG OK\n",
	        NULL);

	cr_assert_eq(imap4_command(h, NULL, NULL, "SELECT %m", "inbox"), 0);
	cr_assert_eq(imap4_command(h, collect_all, &n,
	                           "UID FETCH %S (FLAGS) (CHANGEDSINCE %U)",
	                           "1:*", (uint64_t)12345678901ull),
	             IMAP4_OK);
	cr_assert_eq(n, 1);
	cr_assert_eq(imap4_data_count(h), 0);
	cr_assert_eq(imap4_command(h, NULL, NULL,
	                           "SETMETADATA %m (/private/comment %l)",
	                           "Sent Items", "hi", (size_t)2),
	             IMAP4_OK);
	cr_assert_eq(imap4_command(h, NULL, NULL, "GETMETADATA %m %s %u",
	                           "Entw\xc3\xbcrfe", "a b", (uint32_t)7),
	             IMAP4_OK);
	/* pieces without a space between them are one argument */
	cr_assert_eq(imap4_command(h, NULL, NULL, "UID SEARCH UID %u:* (X-%a)",
	                           (uint32_t)7, "A"),
	             IMAP4_OK);
	/* nothing of these reaches the server */
	cr_assert_eq(imap4_command(h, NULL, NULL, "BAD%z"), IMAP4_EINVAL);
	cr_assert_eq(imap4_command(h, NULL, NULL, "SELECT %m", "a\r\nb"),
	             IMAP4_EINVAL);
	cr_assert_eq(imap4_command(h, NULL, NULL, "FETCH %S FLAGS", "0"),
	             IMAP4_EINVAL);
	cr_assert_eq(imap4_command(h, NULL, NULL, "X %a", "two words"),
	             IMAP4_EINVAL);
	api_done(&t);
}

/* explore83: the header said CR or LF in any conversion but %l was
 * refused, yet %s sent it as a literal. It does, which frames it safely,
 * and the header says so; %m, %q and %r refuse it (see
 * command_format_refusals_name_the_argument). */
Test(commands, command_format_astring_with_cr_lf_goes_as_a_literal)
{
	struct api_test t;
	imap4 *h = api_open(&t,
	                    "S: * PREAUTH [CAPABILITY IMAP4rev1] hi\n"
	                    "C: $TAG X {4}\n"
	                    "S: + go\n"
	                    "C= a\\r\\nb Y\\r\\n\n"
	                    "S: $TAG OK\n",
	                    NULL);

	cr_assert_eq(imap4_command(h, NULL, NULL, "X %s Y", "a\r\nb"), IMAP4_OK,
	             "%s", imap4_last_error(h)->message);
	cr_assert_eq(imap4_command(h, NULL, NULL, "X %m", "a\rb"),
	             IMAP4_EINVAL);
	api_done(&t);
}

/* What the header promises of a NULL charset: SORT and THREAD require
 * one, and NULL sends UTF-8 (RFC 5256 makes every server take it). */
Test(commands, sort_and_thread_null_charset_is_utf8)
{
	struct api_test t;
	imap4 *h = api_open(&t,
	                    "S: * PREAUTH [CAPABILITY IMAP4rev1 SORT "
	                    "THREAD=REFERENCES] hi\n"
	                    "C: $TAG SELECT INBOX\n"
	                    "S: $TAG OK\n"
	                    "C: $TAG SORT (REVERSE DATE) UTF-8 ALL\n"
	                    "S: $TAG OK\n"
	                    "C: $TAG SORT (DATE) US-ASCII ALL\n"
	                    "S: $TAG OK\n"
	                    "C: $TAG THREAD REFERENCES UTF-8 UNSEEN\n"
	                    "S: $TAG OK\n",
	                    NULL);

	cr_assert_eq(imap4_select(h, NULL, NULL, false), IMAP4_OK);
	cr_assert_eq(imap4_sort(h, "(REVERSE DATE)", NULL, "ALL"), IMAP4_OK);
	cr_assert_eq(imap4_sort(h, "DATE", "US-ASCII", "ALL"), IMAP4_OK);
	cr_assert_eq(imap4_thread(h, "REFERENCES", NULL, "UNSEEN"), IMAP4_OK);
	api_done(&t);
}

/* "%%" is a "%" of the command's text, alone or inside a word: without
 * it, LIST's wildcard could not be written (explore75). */
Test(commands, command_format_percent_percent)
{
	struct api_test t;
	imap4 *h = api_open(&t,
	                    "S: * PREAUTH [CAPABILITY IMAP4rev1] hi\n"
	                    "C: $TAG LIST \"\" %\n"
	                    "S: * LIST () \"/\" INBOX\n"
	                    "S: $TAG OK\n"
	                    "C: $TAG LIST \"\" INBOX/%/x%\n"
	                    "S: $TAG OK\n"
	                    "C: $TAG X 100%\n"
	                    "S: $TAG OK\n",
	                    NULL);

	cr_assert_eq(imap4_command(h, NULL, NULL, "LIST \"\" %%"), IMAP4_OK,
	             "%s", imap4_last_error(h)->message);
	cr_assert_eq(imap4_data_count(h), 1);
	cr_assert_eq(
	        imap4_command(h, NULL, NULL, "LIST %q INBOX/%%/%a%%", "", "x"),
	        IMAP4_OK, "%s", imap4_last_error(h)->message);
	cr_assert_eq(imap4_command(h, NULL, NULL, "X %u%%", (uint32_t)100),
	             IMAP4_OK, "%s", imap4_last_error(h)->message);
	api_done(&t);
}

/* Each refusal of a format says which argument (counted from 1, with its
 * conversion) and what is wrong with it, as %r's always did: a bare
 * "invalid argument for the format" left the caller guessing. */
Test(commands, command_format_refusals_name_the_argument)
{
	static const struct {
		const char *fmt, *arg, *want[2];
	} cases[] = {
	        {"SELECT %q", "caf\xc3\xa9", {"argument 1 (%q)", "8-bit"}},
	        {"SELECT %q", "a\r\nb", {"argument 1 (%q)", "CR"}},
	        {"X %q %a", "two words", {"argument 2 (%a)", "space"}},
	        {"X %a", "", {"argument 1 (%a)", "empty"}},
	        {"X %a", "a(b", {"argument 1 (%a)", "parenthes"}},
	        {"X %a", "caf\xc3\xa9", {"argument 1 (%a)", "8-bit"}},
	        {"FETCH %S FLAGS", "0", {"argument 1 (%S)", "sequence set"}},
	        {"SELECT %m", "a\r\nb", {"argument 1 (%m)", "CR"}},
	        {"SELECT %m", "\xff", {"argument 1 (%m)", "UTF-8"}},
	        {"X %r", "a\r\nb", {"argument 1 (%r)", "CR, LF or NUL"}},
	        {"X %y", "", {"%y", "conversion"}},
	        {"X a%", "", {"%", "end of the format"}},
	};
	struct api_test t;
	imap4 *h = api_open(&t,
	                    "S: * PREAUTH [CAPABILITY IMAP4rev1] hi\n"
	                    "C: $TAG NOOP\n"
	                    "S: $TAG OK\n",
	                    NULL);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = strstr(cases[i].fmt, "%q %a")
		                 ? imap4_command(h, NULL, NULL, cases[i].fmt,
		                                 "x", cases[i].arg)
		                 : imap4_command(h, NULL, NULL, cases[i].fmt,
		                                 cases[i].arg);
		const char *m = imap4_last_error(h)->message;
		cr_assert_eq(rc, IMAP4_EINVAL, "%s", cases[i].fmt);
		for (size_t j = 0; j < 2; j++)
			cr_assert(strstr(m, cases[i].want[j]),
			          "%s: no \"%s\" in \"%s\"", cases[i].fmt,
			          cases[i].want[j], m);
		cr_assert(strstr(m, "nothing was sent"), "%s", m);
	}
	cr_assert_eq(imap4_noop(h), IMAP4_OK);
	api_done(&t);
}

Test(commands, compress_deflate_then_commands)
{
	struct api_test t;
	imap4 *h = api_open(&t,
	                    "S: * PREAUTH [CAPABILITY IMAP4rev1 "
	                    "COMPRESS=DEFLATE] hi\n"
	                    "C: $TAG COMPRESS DEFLATE\n"
	                    "S: $TAG OK compressing\n"
	                    "DEFLATE\n"
	                    "C: $TAG NOOP\n"
	                    "S: * 3 EXISTS\n"
	                    "S: $TAG OK\n",
	                    NULL);

	cr_assert_eq(imap4_compress(h), IMAP4_OK);
	cr_assert(imap4_is_compressed(h));
	cr_assert_eq(imap4_noop(h), IMAP4_OK);
	cr_assert_eq(imap4_data_count(h), 1);
	/* twice is a caller's mistake, caught before sending */
	cr_assert_eq(imap4_compress(h), IMAP4_EINVAL);
	api_done(&t);
}

Test(commands, transport_hooks_bypass_the_parser)
{
	struct api_test t;
	char *line = NULL;
	size_t len = 0;
	char buf[8];
	imap4 *h = api_open(&t,
	                    "S: * PREAUTH [CAPABILITY IMAP4rev1] hi\n"
	                    "C: X1 NOOP\n"
	                    "S: X1 OK done\n"
	                    "S+ raw!\n",
	                    NULL);

	cr_assert_geq(imap4_socket(h), 0);
	cr_assert_eq(imap4_send(h, "X1 NOOP\r\n", 9), 0);
	cr_assert_eq(imap4_readline(h, &line, &len), 0);
	cr_assert_str_eq(line, "X1 OK done\r\n");
	cr_assert_eq(len, 12);
	free(line);
	cr_assert_eq(imap4_read(h, buf, 4), 4);
	cr_assert_eq(memcmp(buf, "raw!", 4), 0);
	cr_assert_eq(imap4_shutdown(h), 0);
	cr_assert_eq(imap4_socket(h), -1);
	cr_assert_eq(imap4_noop(h), IMAP4_ECLOSED);
	api_done(&t);
}

static int body_len(void *payload, const imap4_msg *msg, const imap4_resp *r)
{
	cr_assert(msg->have & IMAP4_HAVE_SECTIONS);
	*(size_t *)payload = msg->sections->len;
	cr_assert_eq(msg->sections->data[msg->sections->len - 1], 'z');
	return 0;
}

Test(commands, fetch_each_literal_of_some_kilobytes)
{
	struct api_test t;
	static char script[16384];
	size_t len = 0;
	imap4 *h;

	/* a 5000-byte body: bigger than any small-token slab of the parser */
	strcpy(script, "S: * PREAUTH [CAPABILITY IMAP4rev1] hi\n"
	               "C: $TAG SELECT INBOX\n"
	               "S: $TAG OK\n"
	               "C: $TAG FETCH 1 BODY.PEEK[]\n"
	               "S: * 1 FETCH (BODY[] {5000}\n"
	               "S+ ");
	memset(script + strlen(script), 'z', 5000);
	strcat(script, ")\\r\\n\nS: $TAG OK\n");
	h = api_open(&t, script, NULL);
	cr_assert_eq(imap4_select(h, NULL, "INBOX", false), IMAP4_OK);
	cr_assert_eq(
	        imap4_fetch_each(h, false, "1", "BODY.PEEK[]", body_len, &len),
	        IMAP4_OK);
	cr_assert_eq(len, 5000);
	api_done(&t);
}

struct sunk {
	char data[64];
	size_t n;
	uint64_t total;
	char prefix[64];
};

static int sink(void *payload, const struct imap4_literal_info *info,
                const void *data, size_t len)
{
	struct sunk *s = payload;

	cr_assert_leq(s->n + len, sizeof(s->data));
	cr_assert_eq(info->offset, s->n);
	memcpy(s->data + s->n, data, len);
	s->n += len;
	s->total = info->total;
	snprintf(s->prefix, sizeof(s->prefix), "%.*s", (int)info->prefix_len,
	         info->prefix);
	return 0;
}

static int streamed_section(void *payload, const imap4_msg *msg,
                            const imap4_resp *r)
{
	cr_assert(msg->have & IMAP4_HAVE_SECTIONS);
	cr_assert(msg->sections->streamed);
	cr_assert_null(msg->sections->data);
	*(uint32_t *)payload = msg->uid;
	return 0;
}

Test(commands, big_literals_go_to_the_sink)
{
	struct api_test t;
	struct imap4_opts o;
	struct sunk s = {.n = 0};
	uint32_t uid = 0;
	imap4 *h;

	imap4_opts_init(&o);
	o.timeout_ms = 5000;
	o.limits.stream_threshold = 8;
	h = api_open(&t,
	             "S: * PREAUTH [CAPABILITY IMAP4rev1] hi\n"
	             "C: $TAG SELECT INBOX\n"
	             "S: $TAG OK\n"
	             "C: $TAG UID FETCH 9 (UID BODY.PEEK[])\n"
	             "S: * 1 FETCH (UID 9 BODY[] {20}\n"
	             "S+ 0123456789abcdefghij)\\r\\n\n"
	             "S: $TAG OK\n",
	             &o);
	imap4_set_literal_sink(h, sink, &s);
	cr_assert_eq(imap4_select(h, NULL, "INBOX", false), IMAP4_OK);
	cr_assert_eq(imap4_fetch_each(h, true, "9", "(UID BODY.PEEK[])",
	                              streamed_section, &uid),
	             IMAP4_OK);
	cr_assert_eq(uid, 9);
	cr_assert_eq(s.n, 20);
	cr_assert_eq(s.total, 20);
	cr_assert_eq(memcmp(s.data, "0123456789abcdefghij", 20), 0);
	cr_assert(strstr(s.prefix, "BODY[]"), "%s", s.prefix);
	api_done(&t);
}

static int envelope_whole(void *payload, const imap4_msg *msg,
                          const imap4_resp *r)
{
	cr_assert(msg->have & IMAP4_HAVE_ENVELOPE);
	cr_assert_str_eq(msg->envelope->subject,
	                 "a subject of 28 bytes, whole");
	cr_assert(msg->sections->streamed);
	*(uint32_t *)payload = msg->uid;
	return 0;
}

/* explore75 t15: with a sink set, a big ENVELOPE subject went to it, the
 * message still had IMAP4_HAVE_ENVELOPE and its subject was NULL, as for
 * NIL; a big mailbox name of LIST went there too, and imap4_list_parse
 * failed. The sink gets the value of a body section alone; the rest is
 * held, as without a sink. */
Test(commands, the_sink_gets_sections_only)
{
	struct api_test t;
	struct imap4_opts o;
	struct sunk s = {.n = 0};
	uint32_t uid = 0;
	imap4_list_entry e;
	imap4 *h;

	imap4_opts_init(&o);
	o.timeout_ms = 5000;
	o.limits.stream_threshold = 8;
	h = api_open(&t,
	             "S: * PREAUTH [CAPABILITY IMAP4rev1] hi\n"
	             "C: $TAG LIST \"\" *\n"
	             "S: * LIST () \"/\" {12}\n"
	             "S+ Archive/2024\\r\\n\n"
	             "S: $TAG OK\n"
	             "C: $TAG SELECT INBOX\n"
	             "S: $TAG OK\n"
	             "C: $TAG UID FETCH 9 (UID ENVELOPE BODY.PEEK[])\n"
	             "S: * 1 FETCH (UID 9 ENVELOPE (NIL {28}\n"
	             "S+ a subject of 28 bytes, whole NIL NIL NIL NIL NIL "
	             "NIL NIL NIL) BODY[] {20}\\r\\n\n"
	             "S+ 0123456789abcdefghij)\\r\\n\n"
	             "S: $TAG OK\n",
	             &o);
	imap4_set_literal_sink(h, sink, &s);
	cr_assert_eq(imap4_list(h, "", "*"), IMAP4_OK);
	cr_assert_eq(s.n, 0);
	cr_assert_eq(imap4_list_parse(&e, imap4_data_at(h, 0)), 0);
	cr_assert_str_eq(e.name, "Archive/2024");
	cr_assert_eq(imap4_select(h, NULL, "INBOX", false), IMAP4_OK);
	cr_assert_eq(imap4_fetch_each(h, true, "9",
	                              "(UID ENVELOPE BODY.PEEK[])",
	                              envelope_whole, &uid),
	             IMAP4_OK, "%s", imap4_last_error(h)->message);
	cr_assert_eq(uid, 9);
	cr_assert_eq(s.n, 20);
	cr_assert_eq(memcmp(s.data, "0123456789abcdefghij", 20), 0);
	api_done(&t);
}

static int failing_sink(void *payload, const struct imap4_literal_info *info,
                        const void *data, size_t len)
{
	(*(int *)payload)++;
	return -1;
}

static int count_msgs(void *payload, const imap4_msg *msg, const imap4_resp *r)
{
	(*(int *)payload)++;
	return 0;
}

/* A sink that fails gets nothing more; the rest of the literals is read
 * and dropped, the command completes with IMAP4_ECALLBACK, and the handle
 * is as good as before: the next command works. */
Test(commands, a_failing_sink_fails_the_command_not_the_handle)
{
	struct api_test t;
	struct imap4_opts o;
	int calls = 0, msgs = 0;
	imap4 *h;

	imap4_opts_init(&o);
	o.timeout_ms = 5000;
	o.limits.stream_threshold = 8;
	h = api_open(&t,
	             "S: * PREAUTH [CAPABILITY IMAP4rev1] hi\n"
	             "C: $TAG SELECT INBOX\n"
	             "S: $TAG OK\n"
	             "C: $TAG UID FETCH 9:10 (UID BODY.PEEK[])\n"
	             "S: * 1 FETCH (UID 9 BODY[] {20}\n"
	             "S+ 0123456789\n"
	             "S+ abcdefghij)\\r\\n\n"
	             "S: * 2 FETCH (UID 10 BODY[] {12}\n"
	             "S+ 0123456789ab)\\r\\n\n"
	             "S: $TAG OK\n"
	             "C: $TAG NOOP\n"
	             "S: $TAG OK\n",
	             &o);
	imap4_set_literal_sink(h, failing_sink, &calls);
	cr_assert_eq(imap4_select(h, NULL, "INBOX", false), IMAP4_OK);
	cr_assert_eq(imap4_fetch_each(h, true, "9:10", "(UID BODY.PEEK[])",
	                              count_msgs, &msgs),
	             IMAP4_ECALLBACK, "%s", imap4_last_error(h)->message);
	cr_assert_eq(calls, 1);
	cr_assert_eq(imap4_error_class(IMAP4_ECALLBACK), IMAP4_CLASS_ERROR);
	cr_assert_eq(imap4_noop(h), IMAP4_OK, "%s",
	             imap4_last_error(h)->message);
	api_done(&t);
}

/* A FETCH the typed view cannot take is named in the error, quoted
 * printably; the rest of the command is read, and no longer delivered.
 * The connection is in step: the handle goes on. */
Test(commands, malformed_fetch_is_quoted_in_the_error)
{
	struct api_test t;
	int msgs = 0;
	imap4 *h = api_open(&t,
	                    "S: * PREAUTH [CAPABILITY IMAP4rev1] hi\n"
	                    "C: $TAG SELECT INBOX\n"
	                    "S: $TAG OK\n"
	                    "C: $TAG UID FETCH 1:2 (UID FLAGS)\n"
	                    "S: * 1 FETCH (UID 0 FLAGS (\\\\Seen))\n"
	                    "S: * 2 FETCH (UID 2 FLAGS (\\\\Seen))\n"
	                    "S: $TAG OK\n"
	                    "C: $TAG NOOP\n"
	                    "S: $TAG OK\n",
	                    NULL);

	cr_assert_eq(imap4_select(h, NULL, "INBOX", false), IMAP4_OK);
	cr_assert_eq(imap4_fetch_each(h, true, "1:2", "(UID FLAGS)", count_msgs,
	                              &msgs),
	             IMAP4_EPROTO);
	cr_assert_eq(msgs, 0);
	cr_assert(strstr(imap4_last_error(h)->message,
	                 "malformed FETCH response (protocol violation by "
	                 "server): \"* 1 FETCH (UID 0 FLAGS (\\\\Seen))\""),
	          "%s", imap4_last_error(h)->message);
	cr_assert_eq(imap4_last_error(h)->klass, IMAP4_CLASS_ERROR);
	cr_assert_eq(imap4_state(h), IMAP4_STATE_SELECTED);
	cr_assert_eq(imap4_noop(h), IMAP4_OK, "%s",
	             imap4_last_error(h)->message);
	api_done(&t);
}

static int names_unsolicited(void *payload, const imap4_resp *resp)
{
	char *seen = payload;
	size_t n = strlen(seen);
	snprintf(seen + n, 64 - n, "%s%s", n ? " " : "",
	         resp->name ? resp->name : "?");
	return 0;
}

/* explore68: after a FETCH that could not be typed, the rest of the
 * command went nowhere: an EXPUNGE or EXISTS of another client's was
 * lost to a caller told to go on. They still reach the unsolicited
 * callback; the command's own FETCHes are not delivered. */
Test(commands, news_after_a_malformed_fetch_is_not_lost)
{
	struct api_test t;
	int msgs = 0;
	char seen[64] = "";
	imap4 *h = api_open(&t,
	                    "S: * PREAUTH [CAPABILITY IMAP4rev1] hi\n"
	                    "C: $TAG SELECT INBOX\n"
	                    "S: * 5 EXISTS\n"
	                    "S: $TAG OK\n"
	                    "C: $TAG UID FETCH 1:3 (UID FLAGS)\n"
	                    "S: * 1 FETCH (UID 1 FLAGS ())\n"
	                    "S: * 2 FETCH (UID 0 FLAGS ())\n"
	                    "S: * 6 EXISTS\n"
	                    "S: * 3 FETCH (UID 3 FLAGS ())\n"
	                    "S: * 1 EXPUNGE\n"
	                    "S: $TAG OK\n",
	                    NULL);

	cr_assert_eq(imap4_select(h, NULL, "INBOX", false), IMAP4_OK);
	imap4_set_unsolicited(h, names_unsolicited, seen);
	cr_assert_eq(imap4_fetch_each(h, true, "1:3", "(UID FLAGS)", count_msgs,
	                              &msgs),
	             IMAP4_EPROTO);
	cr_assert_eq(msgs, 1);
	cr_assert_str_eq(seen, "EXISTS EXPUNGE");
	api_done(&t);
}

/* RFC 6855, which Dovecot 2.3 lacks: after ENABLE UTF8=ACCEPT mailbox names
 * go out as UTF-8 (no modified UTF-7), come back as UTF-8, and a CHARSET is
 * refused before anything is sent. */
Test(commands, utf8_accept_mode)
{
	struct api_test t;
	imap4 *h = api_open(
	        &t,
	        "S: * PREAUTH [CAPABILITY IMAP4rev2 ENABLE UTF8=ACCEPT] hi\n"
	        "C: $TAG ENABLE UTF8=ACCEPT\n"
	        "S: * ENABLED UTF8=ACCEPT\n"
	        "S: $TAG OK\n"
	        "C: $TAG SELECT \"Entw\xc3\xbcrfe\"\n"
	        "S: * 0 EXISTS\n"
	        "S: * OK [UIDVALIDITY 9] x\n"
	        "S: $TAG OK [READ-WRITE] done\n"
	        "C: $TAG LIST \"\" *\n"
	        "S: * LIST () \"/\" \"Entw\xc3\xbcrfe\"\n"
	        "S: * LIST () \"/\" \"&-plain\"\n"
	        "S: $TAG OK\n",
	        NULL);
	cr_assert_not(imap4_utf8_enabled(h));
	cr_assert_eq(imap4_enable(h, "UTF8=ACCEPT"), IMAP4_OK);
	cr_assert(imap4_utf8_enabled(h));
	imap4_mailbox_info mb;
	cr_assert_eq(imap4_select(h, &mb, "Entw\xc3\xbcrfe", false), IMAP4_OK);
	cr_assert_eq(mb.uidvalidity, 9);
	cr_assert_eq(imap4_list(h, "", "*"), IMAP4_OK);
	cr_assert_eq(imap4_data_count(h), 2);
	imap4_list_entry e;
	cr_assert_eq(imap4_list_parse(&e, imap4_data_at(h, 0)), 0);
	cr_assert_str_eq(e.name_utf8, "Entw\xc3\xbcrfe");
	cr_assert_eq(imap4_search(h, "UTF-8", "ALL"), IMAP4_EINVAL);
	api_done(&t);
}

/* explore37: "CLOSE is not allowed in this state" did not say which. */
Test(commands, a_command_refused_by_the_state_names_it)
{
	struct api_test t;
	imap4 *h =
	        api_open(&t, "S: * PREAUTH [CAPABILITY IMAP4rev1] hi\n", NULL);
	cr_assert_eq(imap4_close(h), IMAP4_ESTATE);
	cr_assert_str_eq(imap4_last_error(h)->message,
	                 "CLOSE is not allowed in state AUTH (no mailbox "
	                 "selected)");
	api_done(&t);
}

/* explore37: after a clean LOGOUT, the next command said "connection
 * already aborted". */
Test(commands, a_command_after_logout_says_so)
{
	struct api_test t;
	imap4 *h = api_open(&t,
	                    "S: * PREAUTH [CAPABILITY IMAP4rev1] hi\n"
	                    "C: $TAG LOGOUT\n"
	                    "S: * BYE bye\n"
	                    "S: $TAG OK done\n",
	                    NULL);
	cr_assert_eq(imap4_logout(h), IMAP4_OK);
	cr_assert_eq(imap4_logout(h), IMAP4_ECLOSED);
	cr_assert_str_eq(imap4_last_error(h)->message,
	                 "LOGOUT: not sent: the session was logged out");
	api_done(&t);
}

/* RFC 5819: one LIST brings every mailbox's STATUS, with the return
 * options of RFC 5258 and 6154 beside it (an extended LIST says
 * \HasChildren and the special uses only when asked). Dovecot sends all
 * the LISTs first; an EXISTS meanwhile is news, not the LIST's. */
Test(commands, list_status_asks_each_mailbox_status_in_the_list)
{
	struct api_test t;
	int n = 0;
	imap4_list_entry e;
	imap4_status_info si;
	imap4 *h = api_open(
	        &t,
	        "S: * PREAUTH [CAPABILITY IMAP4rev1 LIST-STATUS] hi\n"
	        "C: $TAG LIST \"\" * RETURN (SPECIAL-USE CHILDREN STATUS "
	        "(MESSAGES UIDNEXT))\n"
	        "S: * LIST (\\\\HasNoChildren \\\\Sent) \"/\" a\n"
	        "S: * 5 EXISTS\n"
	        "S: * LIST (\\\\NonExistent \\\\HasChildren) \"/\" b\n"
	        "S: * STATUS a (MESSAGES 3 UIDNEXT 9)\n"
	        "S: $TAG OK\n"
	        "C: $TAG LIST \"\" % RETURN (STATUS (UIDNEXT))\n"
	        "S: $TAG OK\n",
	        NULL);

	imap4_set_unsolicited(h, count_unsolicited, &n);
	cr_assert_eq(imap4_list_status(h, NULL, NULL, NULL, "", 0),
	             IMAP4_EINVAL);
	cr_assert_eq(imap4_list_status(h, "", "*", "SPECIAL-USE CHILDREN",
	                               "MESSAGES UIDNEXT", 0),
	             IMAP4_OK);
	cr_assert_eq(n, 1);
	cr_assert_eq(imap4_data_count(h), 3);
	cr_assert_eq(imap4_list_parse(&e, imap4_data_at(h, 0)), 0);
	cr_assert_str_eq(e.name, "a");
	cr_assert_eq(imap4_list_parse(&e, imap4_data_at(h, 1)), 0);
	cr_assert_str_eq(e.name, "b");
	cr_assert_eq(imap4_status_parse(&si, imap4_data_at(h, 2)), 0);
	cr_assert_str_eq(si.mailbox, "a");
	cr_assert_eq(si.messages, 3);
	cr_assert_eq(si.uidnext, 9);
	cr_assert_eq(imap4_list_status(h, "", "%", "", "(UIDNEXT)", 0),
	             IMAP4_OK);
	api_done(&t);
}

/* A LIST-STATUS of many mailboxes comes slowly yet steadily (the server
 * looks at each): given a total, its wait starts anew at each response,
 * and a long answer is not cut at the command timeout, where without one
 * it is. A silence still ends it at the timeout, and the total ends a
 * server that never stops. */
#define SLOW_LIST_STATUS                                                       \
	"S: * PREAUTH [CAPABILITY IMAP4rev1 LIST-STATUS] hi\n"                 \
	"C: $TAG LIST \"\" * RETURN (STATUS (UIDNEXT))\n"                      \
	"SLEEP 150\nS: * LIST () \"/\" a\n"                                    \
	"SLEEP 150\nS: * LIST () \"/\" b\n"                                    \
	"SLEEP 150\nS: * LIST () \"/\" c\n"                                    \
	"SLEEP 150\nS: * STATUS a (UIDNEXT 1)\n"                               \
	"SLEEP 150\nS: * STATUS b (UIDNEXT 1)\n"                               \
	"SLEEP 150\nS: * STATUS c (UIDNEXT 1)\n"
Test(commands, a_list_status_waits_from_each_response_up_to_a_total)
{
	struct api_test t;
	struct imap4_opts o;
	imap4_opts_init(&o);
	o.timeout_ms = 400;

	imap4 *h = api_open(&t, SLOW_LIST_STATUS "S: $TAG OK listed\n", &o);
	cr_assert_eq(imap4_list_status(h, "", "*", NULL, "UIDNEXT", 30000),
	             IMAP4_OK, "%s", imap4_last_error(h)->message);
	cr_assert_eq(imap4_data_count(h), 6);
	api_done(&t);

	/* Without a total: the command timeout, as for any command. */
	h = api_open(&t, SLOW_LIST_STATUS "TIMEOUT 5000\nEOF\n", &o);
	cr_assert_eq(imap4_list_status(h, "", "*", NULL, "UIDNEXT", 0),
	             IMAP4_ETIMEOUT);
	cr_assert_str_eq(imap4_last_error(h)->message,
	                 "LIST: no completion within 400 ms");
	api_done(&t);

	/* Silent for longer than the timeout: ended then. */
	h = api_open(&t,
	             "S: * PREAUTH [CAPABILITY IMAP4rev1 LIST-STATUS] hi\n"
	             "C: $TAG LIST \"\" * RETURN (STATUS (UIDNEXT))\n"
	             "S: * LIST () \"/\" a\n"
	             "TIMEOUT 5000\nEOF\n",
	             &o);
	int64_t start = imap4_now_ms();
	cr_assert_eq(imap4_list_status(h, "", "*", NULL, "UIDNEXT", 30000),
	             IMAP4_ETIMEOUT);
	cr_assert_lt(imap4_now_ms() - start, 3000);
	cr_assert_str_eq(imap4_last_error(h)->message,
	                 "LIST: no response for 400 ms");
	api_done(&t);

	/* Never silent, never done: ended at the total. */
	char script[4096] =
	        "S: * PREAUTH [CAPABILITY IMAP4rev1 LIST-STATUS] hi\n"
	        "C: $TAG LIST \"\" * RETURN (STATUS (UIDNEXT))\n";
	for (int i = 0; i < 40; i++)
		strcat(script, "S: * LIST () \"/\" a\nSLEEP 100\n");
	h = api_open(&t, script, &o);
	start = imap4_now_ms();
	cr_assert_eq(imap4_list_status(h, "", "*", NULL, "UIDNEXT", 900),
	             IMAP4_ETIMEOUT);
	cr_assert_lt(imap4_now_ms() - start, 3000);
	cr_assert_str_eq(imap4_last_error(h)->message,
	                 "LIST: no completion within its deadline");
	api_done(&t);
}
#undef SLOW_LIST_STATUS
