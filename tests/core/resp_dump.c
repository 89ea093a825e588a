/* resp_dump.c - see resp_dump.h. */
#include "resp_dump.h"

#include "util/buf.h"

#include <stdlib.h>
#include <string.h>

static void dump_bytes(struct imap4_buf *b, const char *s, size_t len)
{
	imap4_buf_putc(b, '"');
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
			imap4_buf_printf(b, "\\x%02x", c);
		else
			imap4_buf_putc(b, (char)c);
	}
	imap4_buf_putc(b, '"');
}

static void dump_str(struct imap4_buf *b, const char *label, const char *s)
{
	imap4_buf_printf(b, " %s=", label);
	if (s)
		dump_bytes(b, s, strlen(s));
	else
		imap4_buf_puts(b, "-");
}

static void dump_args(struct imap4_buf *b, const imap4_arg *a)
{
	static const char *const types[] = {"nil", "atom", "str", "lit",
	                                    "list"};
	for (; a; a = a->next) {
		imap4_buf_printf(b, " %s", types[a->type]);
		if (a->type == IMAP4_ARG_LIST) {
			imap4_buf_printf(b, "%zu(", a->count);
			size_t n = 0;
			for (const imap4_arg *c = a->list; c; c = c->next)
				n++;
			if (n != a->count)
				imap4_buf_puts(b, "COUNT-MISMATCH");
			dump_args(b, a->list);
			imap4_buf_puts(b, " )");
		} else if (a->streamed) {
			imap4_buf_printf(b, ":streamed:%zu", a->len);
		} else {
			imap4_buf_printf(b, ":%zu:", a->len);
			dump_bytes(b, a->str, a->len);
			if (a->str[a->len] != '\0')
				imap4_buf_puts(b, "NOT-TERMINATED");
		}
	}
}

char *test_resp_dump(const imap4_resp *r, bool with_raw)
{
	struct imap4_buf b;
	imap4_buf_init(&b, 0);
	imap4_buf_printf(&b, "type=%d", (int)r->type);
	dump_str(&b, "tag", r->tag);
	dump_str(&b, "name", r->name);
	if (r->has_number)
		imap4_buf_printf(&b, " number=%u", (unsigned)r->number);
	imap4_buf_printf(&b, " status=%d", r->is_status);
	dump_str(&b, "code", r->code);
	dump_str(&b, "code_text", r->code_text);
	imap4_buf_puts(&b, " code_args=[");
	dump_args(&b, r->code_args);
	imap4_buf_puts(&b, " ]");
	dump_str(&b, "text", r->text);
	imap4_buf_printf(&b, " nargs=%zu args=[", r->nargs);
	dump_args(&b, r->args);
	imap4_buf_puts(&b, " ]");
	if (with_raw) {
		imap4_buf_puts(&b, " raw=");
		dump_bytes(&b, r->raw, r->raw_len);
	}
	return imap4_buf_steal(&b, NULL);
}

#define T(name, s)                                                             \
	{                                                                      \
		name, s, sizeof(s) - 1                                         \
	}

const struct test_transcript test_transcripts[] = {
        T("greeting-capability",
          "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE "
          "LITERAL+ STARTTLS AUTH=PLAIN] Dovecot (Debian) ready.\r\n"),
        T("capability",
          "* CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT "
          "SORT=DISPLAY THREAD=REFERENCES THREAD=REFS THREAD=ORDEREDSUBJECT "
          "MULTIAPPEND URL-PARTIAL CATENATE UNSELECT CHILDREN NAMESPACE "
          "UIDPLUS LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH ESORT "
          "SEARCHRES WITHIN CONTEXT=SEARCH LIST-STATUS BINARY MOVE "
          "SNIPPET=FUZZY PREVIEW=FUZZY PREVIEW STATUS=SIZE SAVEDATE "
          "LITERAL+ NOTIFY SPECIAL-USE\r\n"),
        T("login-ok",
          "a1 OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE "
          "SORT] Logged in\r\n"),
        T("list-hasnochildren", "* LIST (\\HasNoChildren) \"/\" INBOX\r\n"),
        T("list-quoted",
          "* LIST (\\HasNoChildren \\Sent) \"/\" \"Sent Messages\"\r\n"),
        T("list-literal",
          "* LIST (\\HasChildren) \"/\" {10}\r\nfoo \"bar\"/\r\n"),
        T("list-nil-delim", "* LIST (\\Noselect) NIL \"\"\r\n"),
        T("list-extended",
          "* LIST (\\Subscribed \\NonExistent) \"/\" \"Fruit/Peach\" "
          "(\"CHILDINFO\" (\"SUBSCRIBED\"))\r\n"),
        T("lsub", "* LSUB () \".\" #news.comp.mail.misc\r\n"),
        T("status", "* STATUS blurdybloop (MESSAGES 231 UIDNEXT 44292)\r\n"),
        T("status-modseq",
          "* STATUS \"INBOX\" (MESSAGES 17 UIDNEXT 18 UIDVALIDITY 1700000000 "
          "UNSEEN 2 HIGHESTMODSEQ 90060115205545359)\r\n"),
        T("search", "* SEARCH 2 84 882\r\n"),
        T("search-empty", "* SEARCH\r\n"),
        T("search-modseq",
          "* SEARCH 2 5 6 7 11 12 18 19 20 23 (MODSEQ 917162500)\r\n"),
        T("esearch", "* ESEARCH (TAG \"A282\") MIN 2 COUNT 3\r\n"),
        T("esearch-uid-all",
          "* ESEARCH (TAG \"A283\") UID ALL 43:90,95,97:99\r\n"),
        T("vanished-earlier",
          "* VANISHED (EARLIER) 41,43:116,118,120:211,214:540\r\n"),
        T("vanished", "* VANISHED 405,407,410,425\r\n"),
        T("exists", "* 172 EXISTS\r\n"),
        T("recent", "* 1 RECENT\r\n"),
        T("expunge", "* 22 EXPUNGE\r\n"),
        T("flags",
          "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded "
          "$MDNSent)\r\n"),
        T("permanentflags",
          "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft "
          "\\*)] Flags permitted.\r\n"),
        T("uidvalidity", "* OK [UIDVALIDITY 3857529045] UIDs valid\r\n"),
        T("uidnext", "* OK [UIDNEXT 4392] Predicted next UID\r\n"),
        T("highestmodseq", "* OK [HIGHESTMODSEQ 715194045007] Highest\r\n"),
        T("nomodseq",
          "* OK [NOMODSEQ] Sorry, this mailbox format doesn't support "
          "modsequences\r\n"),
        T("select-done", "A142 OK [READ-WRITE] SELECT completed\r\n"),
        T("appenduid", "A003 OK [APPENDUID 38505 3955] APPEND completed\r\n"),
        T("copyuid", "A004 OK [COPYUID 38505 304,319:320 3956:3958] Done\r\n"),
        T("no-trycreate", "A003 NO [TRYCREATE] No such mailbox\r\n"),
        T("bad", "A005 BAD Error in IMAP command: Unknown command\r\n"),
        T("bye", "* BYE Autologout; idle for too long\r\n"),
        T("preauth", "* PREAUTH [CAPABILITY IMAP4rev2] Logged in as Smith\r\n"),
        T("ok-no-text", "A6 OK\r\n"),
        T("code-free-text",
          "* NO [BADURL imap://joe@example.com/INBOX;UIDVALIDITY=785799047/;"
          "UID=113330;section=1.5.9] CATENATE failed\r\n"),
        T("code-untokenizable", "* OK [XPROPRIETARY \"a b] what\r\n"),
        T("continue-idling", "+ idling\r\n"),
        T("continue-base64",
          "+ PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+\r\n"),
        T("continue-empty", "+\r\n"),
        T("continue-ready", "+ Ready for literal data\r\n"),
        T("enabled", "* ENABLED CONDSTORE QRESYNC\r\n"),
        T("namespace",
          "* NAMESPACE ((\"\" \"/\")) ((\"~\" \"/\")) ((\"#shared/\" \"/\")"
          "(\"#public/\" \"/\")(\"#ftp/\" \"/\")(\"#news.\" \".\"))\r\n"),
        T("id", "* ID (\"name\" \"Dovecot\" \"version\" \"2.3.19\")\r\n"),
        T("fetch-flags", "* 12 FETCH (FLAGS (\\Seen \\Flagged) UID 4827)\r\n"),
        T("fetch-modseq",
          "* 50 FETCH (UID 50 MODSEQ (12111230047) FLAGS (\\Seen))\r\n"),
        T("fetch-envelope",
          "* 12 FETCH (FLAGS (\\Seen) INTERNALDATE \"17-Jul-1996 02:44:25 "
          "-0700\" RFC822.SIZE 4286 ENVELOPE (\"Wed, 17 Jul 1996 02:23:25 "
          "-0700 (PDT)\" \"IMAP4rev1 WG mtg summary and minutes\" ((\"Terry "
          "Gray\" NIL \"gray\" \"cac.washington.edu\")) ((\"Terry Gray\" NIL "
          "\"gray\" \"cac.washington.edu\")) ((\"Terry Gray\" NIL \"gray\" "
          "\"cac.washington.edu\")) ((NIL NIL \"imap\" "
          "\"cac.washington.edu\")) ((NIL NIL \"minutes\" "
          "\"CNRI.Reston.VA.US\")"
          "(\"John Klensin\" NIL \"KLENSIN\" \"MIT.EDU\")) NIL NIL "
          "\"<B27397-0100000@cac.washington.edu>\") BODY (\"TEXT\" \"PLAIN\" "
          "(\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 3028 92))\r\n"),
        T("fetch-envelope-literal-subject",
          "* 3 FETCH (UID 103 ENVELOPE (\"Mon, 7 Feb 1994 21:52:25 -0800\" "
          "{21}\r\n=?utf-8?q?caf=C3=A9?= ((\"Fred \\\"F\\\" Foobar\" NIL "
          "\"foobar\" \"Blurdybloop.example\")) NIL NIL NIL NIL NIL NIL "
          "\"<B27397-0100000@Blurdybloop.example>\"))\r\n"),
        T("fetch-bodystructure",
          "* 1 FETCH (UID 1 BODYSTRUCTURE ((\"TEXT\" \"PLAIN\" (\"CHARSET\" "
          "\"US-ASCII\") NIL NIL \"7BIT\" 1152 23)(\"TEXT\" \"PLAIN\" "
          "(\"CHARSET\" \"US-ASCII\" \"NAME\" \"cc.diff\") "
          "\"<960723163407.20117h@cac.washington.edu>\" \"Compiler diff\" "
          "\"BASE64\" 4554 73) \"MIXED\" (\"BOUNDARY\" \"xx\") NIL NIL "
          "NIL))\r\n"),
        T("fetch-body-literal",
          "* 2 FETCH (UID 7 BODY[] {40}\r\nFrom: a@b.example\r\nSubject: "
          "hi\r\n\r\nbody\r\n FLAGS (\\Seen))\r\n"),
        T("fetch-header-fields",
          "* 4 FETCH (UID 9 BODY[HEADER.FIELDS (FROM TO)]<0> {21}\r\n"
          "From: x@y.example\r\n\r\n)\r\n"),
        T("fetch-binary-literal8",
          "* 5 FETCH (BINARY[1] ~{4}\r\n\x01\x00\xff\r)\r\n"),
        T("fetch-empty-literal", "* 6 FETCH (BODY[TEXT] {0}\r\n)\r\n"),
        T("fetch-two-literals",
          "* 7 FETCH (BODY[1] {3}\r\nabc BODY[2] {3}\r\ndef)\r\n"),
        T("fetch-utf8-quoted",
          "* 8 FETCH (ENVELOPE (NIL \"Caf\xc3\xa9 \xe2\x82\xac\" NIL NIL NIL "
          "NIL NIL NIL NIL NIL))\r\n"),
        T("fetch-gmail",
          "* 9 FETCH (X-GM-THRID 1278455344230334865 X-GM-MSGID "
          "1278455344230334865 X-GM-LABELS (\\Inbox \\Sent Important "
          "\"Muy Importante\") UID 9)\r\n"),
        T("quoted-escapes", "* LIST () \"\\\\\" \"a\\\"b\\\\c\"\r\n"),
        T("thread", "* THREAD (2)(3 6 (4 23)(44 7 96))\r\n"),
        T("myrights", "* MYRIGHTS INBOX lrswipkxtecda\r\n"),
        T("quota", "* QUOTA \"\" (STORAGE 10 512)\r\n"),
        T("metadata-alert", "* OK [ALERT] System shutdown in 10 minutes\r\n"),
        T("tag-bracket", "A]1 OK done\r\n"),
};

const size_t test_ntranscripts =
        sizeof(test_transcripts) / sizeof(test_transcripts[0]);
