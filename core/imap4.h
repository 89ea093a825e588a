/* imap4.h - libimap4, an IMAP4rev1/rev2 client library.
 *
 * The C counterpart of Python's imaplib (every IMAP4 method is imap4_<name>),
 * with typed, streaming response parsing and bounded memory.
 *
 * The header is C99 (array parameters "[static N]", <stdint.h>, trailing
 * commas in enums) and C++11; older dialects are not supported.
 *
 * Conventions (see STYLE.md):
 * - Functions return int: 0 (IMAP4_OK) or a negative IMAP4_E* code. Commands
 *   return IMAP4_NO (1) when the server completed them with NO: a result,
 *   not a failure, except where imaplib raises (login, authenticate,
 *   starttls), which return IMAP4_ENO.
 * - Out parameters come first. An object returned through **out belongs to
 *   the caller; a pointer returned directly is borrowed from the handle and
 *   valid until the next call on that handle, unless its comment says
 *   otherwise. _free(NULL) is a no-op; _free takes ** and sets it to NULL.
 * - Strings from the caller are UTF-8 and NUL-terminated. Mailbox names are
 *   UTF-8 and encoded (modified UTF-7, or UTF-8 after ENABLE UTF8=ACCEPT) and
 *   quoted by the library. So are the other string arguments (a LIST
 *   reference and pattern, a quota root, ACL identifiers and rights,
 *   annotation entries and attributes): give their values, unquoted. For
 *   code written for imaplib, which quotes some of them itself (list()'s
 *   directory='""'), a LIST reference or pattern and a quota root that are
 *   one whole quoted string are taken as the string they quote. A
 *   mailbox name is not: imaplib code's select('"My Box"') must become
 *   imap4_select(h, &info, "My Box", false) when ported, since quotes are
 *   characters a mailbox name may hold, and a daemon must reach every
 *   mailbox a server lists. Raw
 *   arguments (search criteria, fetch items, STATUS items, quota limits,
 *   flags, STORE's item) go as written and may not contain CR, LF or NUL,
 *   nor end with a literal header ("{5}", "{5+}": the server would wait
 *   for bytes that never come; literals go with imap4_command's %l); the
 *   lists among them (flags, STATUS items, quota limits, SORT criteria,
 *   STORE's item) must also pair their parentheses and brackets outside
 *   quoted strings. Such an argument fails with IMAP4_EINVAL and nothing
 *   is sent.
 * - The library never prints, logs, exits or aborts, and keeps no caller
 *   pointer after a call returns (callback payloads aside).
 * - A handle is used by one thread at a time; imap4_wake() alone may be
 *   called from any thread. One command is in progress at a time, too:
 *   a callback of a command (imap4_command's and imap4_fetch_each's cb,
 *   the unsolicited callback, the literal sink, an AUTHENTICATE or
 *   APPEND source, IDLE's, imap4_idle_burst's and imap4_wait's cb, the
 *   trace) may read the handle (imap4_state, imap4_data_*, the
 *   capabilities, imap4_last_error, ...) and call imap4_wake, but any
 *   call that would send or read (a command, imap4_idle, imap4_wait,
 *   imap4_read, imap4_send, imap4_shutdown, ...) is refused with
 *   IMAP4_ESTATE ("... called from a callback of a command in
 *   progress ..." in imap4_last_error): nothing is sent, the command in
 *   progress and its data are untouched and it completes normally.
 *   imap4_set_literal_sink does nothing there, and imap4_free must not
 *   be called there.
 * - A NULL handle is refused, never read: a function returning int or
 *   ssize_t returns IMAP4_EINVAL, a bool false, a count 0, a pointer NULL,
 *   imap4_state IMAP4_STATE_LOGOUT, imap4_socket -1, imap4_debug 0; the
 *   setters do nothing. Two exceptions keep callers' reads safe:
 *   imap4_last_error gives a static record (code IMAP4_EINVAL, "no
 *   handle (NULL)") and imap4_capabilities an empty list. imap4_open*
 *   with a NULL out is IMAP4_EINVAL as well.
 */
#ifndef IMAP4_H
#define IMAP4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && defined(IMAP4_BUILDING)
#define IMAP4_API __attribute__((visibility("default")))
#else
#define IMAP4_API
#endif

/* buf[IMAP4_AT_LEAST(n)]: C's "at least n elements" hint, which C++
 * does not have (a plain array parameter there). */
#ifdef __cplusplus
#define IMAP4_AT_LEAST(n) n
#else
#define IMAP4_AT_LEAST(n) static n
#endif

#define IMAP4_VERSION_MAJOR 0
#define IMAP4_VERSION_MINOR 1

/* ---------------------------------------------------------------- errors */

enum imap4_code {
	IMAP4_OK = 0,
	IMAP4_NO = 1, /* completed with NO (a result) */

	/* class "error": the command failed, the handle is still usable */
	IMAP4_EINVAL = -1,    /* bad argument from the caller */
	IMAP4_ESTATE = -2,    /* command not allowed in this state, or
	                         called from a callback of a command in
	                         progress (nothing sent) */
	IMAP4_EBAD = -3,      /* the server answered BAD */
	IMAP4_ENO = -4,       /* NO where imaplib raises (login, ...) */
	IMAP4_ECAPA = -5,     /* the server lacks a needed capability */
	IMAP4_ECALLBACK = -6, /* a caller's callback returned an error */

	/* class "abort": the connection is unusable and must be dropped */
	IMAP4_ENOMEM = -20,    /* out of memory */
	IMAP4_EIO = -21,       /* read or write failed */
	IMAP4_EEOF = -22,      /* the server closed the connection */
	IMAP4_ECONNECT = -23,  /* could not connect */
	IMAP4_ERESOLVE = -24,  /* host name did not resolve */
	IMAP4_ETLS = -25,      /* TLS handshake or record failure */
	IMAP4_ECERT = -26,     /* certificate verification failed */
	IMAP4_ETIMEOUT = -27,  /* a deadline passed */
	IMAP4_EPROTO = -28,    /* the server broke the protocol */
	IMAP4_ELIMIT = -29,    /* a configured limit was reached (struct
	                          imap4_limits, an arena's cap); for
	                          max_untagged alone the connection stays
	                          usable: see there */
	IMAP4_EBYE = -30,      /* the server said BYE */
	IMAP4_EINJECT = -31,   /* bytes after STARTTLS OK, before TLS */
	IMAP4_ETLSREQ = -32,   /* TLS required but not possible (no
	                          STARTTLS, PREAUTH greeting, refused) */
	IMAP4_ECOMPRESS = -33, /* deflate stream error */
	IMAP4_ECLOSED = -34,   /* the handle was already aborted */
	IMAP4_ECANCELED = -35, /* opts.cancel_fd ended an imap4_open* */

	/* class "readonly": returned by the command during which the
	   server said [READ-ONLY] of a mailbox selected read-write (a
	   SELECT answered so included), where imaplib raises at the next
	   command; the connection stays usable, the mailbox selected */
	IMAP4_EREADONLY = -40, /* the mailbox became read-only */
};

enum imap4_class {
	IMAP4_CLASS_NONE = 0,	/* IMAP4_OK, IMAP4_NO */
	IMAP4_CLASS_ERROR,	/* imaplib's IMAP4.error */
	IMAP4_CLASS_ABORT,	/* imaplib's IMAP4.abort */
	IMAP4_CLASS_READONLY,	/* imaplib's IMAP4.readonly */
};

/* The class a code belongs to. IMAP4_ELIMIT is of class abort, though a
 * command that passed max_untagged leaves the connection usable: its
 * imap4_last_error()->klass, IMAP4_CLASS_ERROR, says so. */
IMAP4_API enum imap4_class imap4_error_class(int code);

/* A static English name for a code ("timeout", "server said BAD", ...). */
IMAP4_API const char *imap4_strerror(int code);

/* Overwrites n bytes at p with zeros in a way the compiler keeps; NULL p
 * (or n 0) does nothing. */
IMAP4_API void imap4_memzero(void *p, size_t n);

/* ------------------------------------------------- parsed responses (views)
 *
 * A response is parsed into a tree of arguments. Every pointer in it, and in
 * the typed views made from it, lives in the arena of the response and stays
 * valid until the next call on the handle that produced it (or, for a
 * response from imap4_parse_response, until that arena is reset).
 *
 * A literal may hold NUL (RFC 3501 forbids it, but a line is the only place
 * the reader can refuse it); the argument tree keeps it, with len. Views
 * hand out C strings, so: a text field (ENVELOPE and BODYSTRUCTURE
 * strings) comes with each NUL as a space, its text whole; a name (a
 * mailbox in LIST or STATUS, a flag or label, an ESEARCH tag), which would
 * name another thing cut at the NUL, makes the view IMAP4_EPROTO (in a
 * FETCH, leaves its item out: see imap4_msg_parse). Section
 * data (imap4_section) has its length and is given as sent.
 *
 * Text for people is one line: code_text and text below, imap4_welcome(),
 * imap4_last_error()'s message and server_text, and what imap4_response()
 * keeps of a status response or a response code never contain CR, LF or
 * NUL, whatever the server sent (a literal among a code's arguments
 * included). Other control bytes and 8-bit bytes may be there, as sent:
 * strip them before a terminal.
 */

enum imap4_arg_type {
	IMAP4_ARG_NIL,		/* NIL; str is "NIL" */
	IMAP4_ARG_ATOM,		/* atom, number, flag, fetch item name */
	IMAP4_ARG_STRING,	/* quoted string, unescaped */
	IMAP4_ARG_LITERAL,	/* {n} or ~{n} literal */
	IMAP4_ARG_LIST,		/* parenthesised list */
};

typedef struct imap4_arg {
	enum imap4_arg_type type;
	bool streamed;          /* literal handed to the literal sink (a
	                           body section's value only, see
	                           imap4_literal_sink): str is NULL and len
	                           its size */
	size_t len;		/* bytes of str (a literal may hold NUL) */
	const char *str;	/* NUL-terminated; NULL for lists */
	const struct imap4_arg *list;	/* first child of a list */
	size_t count;		/* number of children of a list */
	const struct imap4_arg *next;	/* next sibling, or NULL */
} imap4_arg;

enum imap4_resp_type {
	IMAP4_RESP_UNTAGGED,	/* "* ..." */
	IMAP4_RESP_TAGGED,	/* "A001 OK ..." */
	IMAP4_RESP_CONTINUE,	/* "+ ..." */
};

struct imap4_arena;

typedef struct imap4_resp {
	enum imap4_resp_type type;
	const char *tag;	/* tagged responses only */
	const char *name;	/* upper-cased keyword: OK NO BAD BYE PREAUTH
				   CAPABILITY FLAGS LIST LSUB STATUS SEARCH
				   ESEARCH FETCH EXISTS RECENT EXPUNGE
				   VANISHED ENABLED NAMESPACE ID ACL ...;
				   NULL for a continuation */
	bool has_number;	/* "* 12 FETCH": number = 12 */
	uint32_t number;
	bool is_status;		/* OK NO BAD BYE PREAUTH: code/text set */
	const char *code;	/* response code keyword, upper-cased, or NULL */
	const imap4_arg *code_args;	/* arguments after the code keyword,
					   linked by next, or NULL */
	const char *code_text;          /* text between the keyword and "]", as
	                                   sent, but each literal written as the
	                                   quoted string of its data ({5}\r\nUTF-8
	                                   as "UTF-8"; "" when streamed), CR, LF
	                                   and NUL in it as spaces */
	const char *text;       /* human text of a status response; the whole
	                           text (base64 or prose) of a continuation.
	                           A response whose text holds CR, LF or NUL
	                           is refused (IMAP4_EPROTO) */
	const imap4_arg *args;	/* data after name, linked by next */
	size_t nargs;
	const char *raw;	/* the response as received, literals inline
				   (streamed literals left out) */
	size_t raw_len;
	struct imap4_arena *arena;	/* private: where the views live */
} imap4_resp;

/* Memory for what imap4_parse_response and imap4_seqset_parse make: an
 * arena hands out at most cap bytes (0: no limit), and everything made in
 * it lives until imap4_arena_reset (which keeps one block for reuse) or
 * imap4_arena_free. NULL when out of memory; a reset or free of NULL does
 * nothing. */
IMAP4_API struct imap4_arena *imap4_arena_new(size_t cap);
IMAP4_API void imap4_arena_reset(struct imap4_arena *arena);
IMAP4_API void imap4_arena_free(struct imap4_arena **arena);

/* Parses one complete response (with its CRLF and literals) from memory.
 * The response and its views live in arena (imap4_arena_new).
 * 0, or IMAP4_EPROTO / IMAP4_ELIMIT / IMAP4_ENOMEM; IMAP4_EINVAL for a
 * NULL out or arena, or NULL data with len > 0. */
IMAP4_API int imap4_parse_response(const imap4_resp **out,
				   struct imap4_arena *arena, const char *data,
				   size_t len);

/* Finds the first argument of a list (or chain) that is an atom equal to
 * name, ignoring case, and returns the argument after it, or NULL. */
IMAP4_API const imap4_arg *imap4_arg_after(const imap4_arg *first,
					   const char *name);

/* The n-th argument of a chain starting at first, or NULL. */
IMAP4_API const imap4_arg *imap4_arg_nth(const imap4_arg *first, size_t n);

/* Number parsing with overflow checks: true when arg is an atom made only of
 * digits that fits. nz32 also rejects 0 (UIDs, sequence numbers). */
IMAP4_API bool imap4_arg_get_u32(const imap4_arg *arg, uint32_t *out);
IMAP4_API bool imap4_arg_get_nz32(const imap4_arg *arg, uint32_t *out);
IMAP4_API bool imap4_arg_get_u64(const imap4_arg *arg, uint64_t *out);

/* An nstring/astring: the string of an atom, quoted string or literal, NULL
 * for NIL or a list. */
IMAP4_API const char *imap4_arg_string(const imap4_arg *arg);

/* ---- sequence sets ("1:3,5,7:*"), RFC 3501 sequence-set / RFC 9051 */

typedef struct imap4_range {
	uint32_t lo, hi;	/* 0 stands for "*"; lo <= hi after parsing
				   unless one of them is "*" */
} imap4_range;

typedef struct imap4_seqset {
	const imap4_range *ranges;
	size_t count;
} imap4_seqset;

/* Parses a sequence set. Numbers are non-zero 32-bit; "*" becomes 0.
 * Ranges are kept in server order, each normalised to lo <= hi. */
IMAP4_API int imap4_seqset_parse(imap4_seqset *out, struct imap4_arena *arena,
				 const char *s, size_t len);

/* Whether n is in the set; star is the value "*" stands for. */
IMAP4_API bool imap4_seqset_contains(const imap4_seqset *set, uint32_t n,
				     uint32_t star);

/* Writes a sorted array of numbers as a compact set ("1:3,5") into a
 * malloc'ed string that the caller frees. */
IMAP4_API int imap4_seqset_format(char **out, const uint32_t *nums,
				  size_t count);

/* ---- response codes (RFC 3501 7.1, 4315, 7162, 5530 ...) */

/* The numeric argument of a code such as UIDVALIDITY, UIDNEXT, UNSEEN,
 * HIGHESTMODSEQ: true when resp carries that code with a valid number. */
IMAP4_API bool imap4_resp_code_u64(const imap4_resp *resp, const char *code,
				   uint64_t *out);

typedef struct imap4_copyuid {
	uint32_t uidvalidity;
	imap4_seqset src;	/* COPYUID only */
	imap4_seqset dst;	/* APPENDUID: the appended UIDs */
} imap4_copyuid;

/* [APPENDUID v uids] and [COPYUID v src dst] (RFC 4315): 0, IMAP4_EPROTO
 * when the code is malformed, IMAP4_ECAPA when resp carries no such code
 * (a server without UIDPLUS, or UIDNOTSTICKY), IMAP4_EINVAL for NULL. */
IMAP4_API int imap4_resp_appenduid(imap4_copyuid *out, const imap4_resp *resp);
IMAP4_API int imap4_resp_copyuid(imap4_copyuid *out, const imap4_resp *resp);

/* ---- FETCH (RFC 3501 7.4.2, 7162, Gmail X-GM-EXT-1) */

typedef struct imap4_address {
	const char *name;	/* phrase, raw (RFC 2047 encoded) or NULL */
	const char *adl;
	const char *mailbox;	/* local part; group name at group start */
	const char *host;	/* NULL marks group start/end */
	const struct imap4_address *next;
} imap4_address;

typedef struct imap4_envelope {
	const char *date;	/* raw strings, NULL for NIL */
	const char *subject;
	const imap4_address *from, *sender, *reply_to, *to, *cc, *bcc;
	const char *in_reply_to;
	const char *message_id;
	/* Not the server's: in an envelope built from a header
	 * (imap4_envelope_from_header) whose strings hold 8-bit bytes, the
	 * charset the message declares for its text, which
	 * imap4_header_decode() reads such bytes in; else NULL. */
	const char *charset;
} imap4_envelope;

typedef struct imap4_param {
	const char *name, *value;
	const struct imap4_param *next;
} imap4_param;

typedef struct imap4_body {
	const char *type;	/* "TEXT", "MULTIPART", ... as sent */
	const char *subtype;
	const imap4_param *params;
	const char *id, *description, *encoding;	/* single part */
	uint64_t size;		/* octets, single part */
	uint32_t lines;		/* text/ and message/rfc822 */
	const imap4_envelope *envelope;	/* message/rfc822 */
	const struct imap4_body *message;	/* message/rfc822 body */
	const struct imap4_body *parts;	/* multipart: first child */
	const struct imap4_body *next;	/* sibling inside a multipart */
	const char *md5;
	const char *disposition;
	const imap4_param *disposition_params;
	const imap4_arg *language;	/* string or list, or NULL */
	const char *location;
} imap4_body;

typedef struct imap4_section {
	const char *item;	/* "BODY[HEADER]" as sent, without <origin> */
	const char *section;	/* between the brackets: "HEADER", "1.2" */
	bool has_origin;
	uint32_t origin;	/* <origin> of a partial fetch; a length
				   echoed after it (<0.512>) is dropped */
	bool nil;		/* the server sent NIL */
	bool streamed;		/* handed to the literal sink, data NULL */
	const char *data;
	size_t len;
	const struct imap4_section *next;
} imap4_section;

enum imap4_msg_have {
	IMAP4_HAVE_UID = 1u << 0,
	IMAP4_HAVE_FLAGS = 1u << 1,
	IMAP4_HAVE_INTERNALDATE = 1u << 2,
	IMAP4_HAVE_SIZE = 1u << 3,
	IMAP4_HAVE_ENVELOPE = 1u << 4,
	IMAP4_HAVE_BODYSTRUCTURE = 1u << 5,
	IMAP4_HAVE_MODSEQ = 1u << 6,
	IMAP4_HAVE_SECTIONS = 1u << 7,
	IMAP4_HAVE_GM_MSGID = 1u << 8,
	IMAP4_HAVE_GM_THRID = 1u << 9,
	IMAP4_HAVE_GM_LABELS = 1u << 10,
	IMAP4_HAVE_SAVEDATE = 1u << 11,
	IMAP4_HAVE_EMAILID = 1u << 12,	/* EMAILID only; THREADID is there
					   when threadid is not NULL */
};

typedef struct imap4_msg {
	uint32_t seq;		/* message sequence number */
	unsigned have;		/* IMAP4_HAVE_* bits */
	uint32_t uid;
	const char *const *flags;	/* as the server spells them */
	size_t nflags;
	time_t internaldate;	/* Unix seconds (UTC) */
	int internaldate_tz;	/* zone of the INTERNALDATE, minutes east */
	uint64_t size;		/* RFC822.SIZE */
	uint64_t modseq;	/* MODSEQ (RFC 7162) */
	const imap4_envelope *envelope;
	const imap4_body *body;	/* BODYSTRUCTURE or BODY */
	const imap4_section *sections;
	uint64_t gm_msgid, gm_thrid;
	const char *const *gm_labels;
	size_t ngm_labels;
	const char *emailid, *threadid;	/* RFC 8474 */
	time_t savedate;	/* SAVEDATE (RFC 8514) as Unix seconds, set with
				   IMAP4_HAVE_SAVEDATE (not for NIL) */
	int savedate_tz;	/* its zone, minutes east */
} imap4_msg;

/* Types a "* n FETCH (...)" response. Items it does not know are skipped.
 * A known item whose value does not parse (an INTERNALDATE of "garbage",
 * an RFC822.SIZE of -5, an ENVELOPE of three fields) is left out of
 * `have` as if it had not come, and the rest of the message is typed: one
 * odd value must not cost a caller the message, nor a mirror the messages
 * after it. A caller that asked for an item and finds it missing can
 * tell the server left it out or garbled it. INTERNALDATE and SAVEDATE
 * are RFC 3501's date-time or a form servers send instead: an RFC 5322
 * date ("Mon, 02 Jan 2023 10:00:05 +0000", a zone named GMT) or a
 * date-time without a zone, taken as UTC; an impossible date, time or
 * zone is left out. IMAP4_EPROTO when the response is no FETCH's shape
 * (no item list, an item without a value, a name that is not an atom,
 * message number 0) or its UID does not parse: without it the message
 * cannot be named. */
IMAP4_API int imap4_msg_parse(imap4_msg *out, const imap4_resp *resp);

/* Whether msg has flag (ignoring case, as IMAP flags are). */
IMAP4_API bool imap4_msg_has_flag(const imap4_msg *msg, const char *flag);

/* The header fields an ENVELOPE is made of, for
 * BODY.PEEK[HEADER.FIELDS (" IMAP4_ENVELOPE_FIELDS ")]. */
#define IMAP4_ENVELOPE_FIELDS \
	"DATE SUBJECT FROM SENDER REPLY-TO TO CC BCC IN-REPLY-TO MESSAGE-ID"

/* Those and Content-Type, which names the charset that raw 8-bit text in
 * them is in (imap4_envelope.charset). */
#define IMAP4_ENVELOPE_FIELDS_CHARSET IMAP4_ENVELOPE_FIELDS " CONTENT-TYPE"

/* Of a header, the bytes of envelope fields imap4_envelope_from_header
 * reads at most. */
#define IMAP4_ENVELOPE_FIELDS_MAX (256u << 10)

/* The ENVELOPE a server would send (RFC 3501 7.4.2) for a message whose
 * header is the len bytes at header: a whole message, its header, or the
 * fields above (read up to the empty line that ends the header). Built
 * with Dovecot's conventions where RFC 3501 leaves them open: address
 * lists parsed with RFC 5322's obsolete forms, a name taken from a
 * comment when there is no phrase ("a@b (Name)"), a missing local part or
 * domain as "MISSING_MAILBOX" / "MISSING_DOMAIN", an address with junk in
 * its brackets on host "SYNTAX_ERROR"; strings unfolded, their white space
 * runs made one space and trimmed, encoded words left as they are. Where
 * it differs from Dovecot, it is on purpose: empty members of a list
 * ("a, , b") are skipped (RFC 5322 4.4), and words before an addr-spec
 * ("John Smith john@x") are its name. Fields past IMAP4_ENVELOPE_FIELDS_MAX
 * bytes are left out whole. When the strings hold 8-bit bytes, charset
 * is the charset parameter of the header's Content-Type or, for a
 * multipart message whose body is in the len bytes, of its first text
 * part that names one (NULL when none does); for imap4_header_decode().
 * *out lives in arena (imap4_arena_new). 0,
 * IMAP4_ENOMEM (out of memory or the arena's cap), IMAP4_EINVAL for NULL
 * arguments (a NULL header too when len is 0: no header is not an empty
 * one, whose envelope is all NIL). */
IMAP4_API int imap4_envelope_from_header(const imap4_envelope **out,
					 struct imap4_arena *arena,
					 const char *header, size_t len);

/* ---- LIST / LSUB (RFC 3501, 6154 SPECIAL-USE, 5258 LIST-EXTENDED) */

enum imap4_mbox_attr {
	IMAP4_MBOX_NOSELECT = 1u << 0,
	IMAP4_MBOX_NOINFERIORS = 1u << 1,
	IMAP4_MBOX_MARKED = 1u << 2,
	IMAP4_MBOX_UNMARKED = 1u << 3,
	IMAP4_MBOX_HASCHILDREN = 1u << 4,
	IMAP4_MBOX_HASNOCHILDREN = 1u << 5,
	IMAP4_MBOX_NONEXISTENT = 1u << 6,
	IMAP4_MBOX_SUBSCRIBED = 1u << 7,
	IMAP4_MBOX_REMOTE = 1u << 8,
};

typedef struct imap4_list_entry {
	const char *const *attrs;	/* as sent: "\\HasNoChildren", ... */
	size_t nattrs;
	unsigned attr_bits;	/* IMAP4_MBOX_* */
	const char *special_use;	/* the first special use among attrs
				   ("\\Sent", "\\Trash", ...) or NULL; RFC
				   6154 allows several: see
				   imap4_list_special_use */
	char delimiter;		/* 0 for NIL */
	const char *name;	/* as on the wire (modified UTF-7) */
	const char *name_utf8;	/* decoded; equal to name when not mUTF-7.
				   After ENABLE UTF8=ACCEPT the wire form is
				   UTF-8 already: use name (an ASCII name
				   with "&" would be decoded wrongly).
				   Functions that take a mailbox encode it:
				   a name_utf8 that is not valid mUTF-7
				   ("R&D" from a server that sent a raw
				   "&") would name another mailbox. Check
				   that imap4_mutf7_encode(name_utf8)
				   gives name back; if not, reach it with
				   imap4_command's %q, which sends name as
				   it is ("SELECT %q") */
	const char *oldname;	/* LIST-EXTENDED OLDNAME, UTF-8, or NULL */
} imap4_list_entry;

IMAP4_API int imap4_list_parse(imap4_list_entry *out, const imap4_resp *resp);

/* Whether the attribute attr (one of an entry's attrs) is a special use
 * (RFC 6154 2, \\Important of RFC 8457): its spelling as above, whatever
 * the case the server used, or NULL (also for NULL). A mailbox may have
 * several ("\\Archive \\All"). The string is static. */
IMAP4_API const char *imap4_list_special_use(const char *attr);

/* ---- NAMESPACE (RFC 2342, RFC 9051 7.2.2) */

enum imap4_namespace_class {
	IMAP4_NS_PERSONAL,	/* the user's own mailboxes */
	IMAP4_NS_OTHER_USERS,	/* other users' mailboxes shared with us */
	IMAP4_NS_SHARED,	/* public folders */
	IMAP4_NS_CLASSES
};

typedef struct imap4_namespace_descr {
	const char *prefix;	/* UTF-8 (decoded like a mailbox name); "" for
				   the root. Often ends in the delimiter
				   ("INBOX.", "#shared/") */
	char delimiter;		/* 0 for NIL */
} imap4_namespace_descr;

typedef struct imap4_namespace_info {
	/* by enum imap4_namespace_class, in server order; count 0 for NIL */
	const imap4_namespace_descr *ns[IMAP4_NS_CLASSES];
	size_t count[IMAP4_NS_CLASSES];
} imap4_namespace_info;

/* Types a "* NAMESPACE personal other shared" response. Extensions of a
 * namespace (RFC 2342 5: "X-PARAM" ("v")) are skipped; a malformed
 * description is IMAP4_EPROTO. */
IMAP4_API int imap4_namespace_parse(imap4_namespace_info *out,
				    const imap4_resp *resp);

/* ---- STATUS (RFC 3501, 7162, 8438) */

enum imap4_status_have {
	IMAP4_ST_MESSAGES = 1u << 0,
	IMAP4_ST_RECENT = 1u << 1,
	IMAP4_ST_UIDNEXT = 1u << 2,
	IMAP4_ST_UIDVALIDITY = 1u << 3,
	IMAP4_ST_UNSEEN = 1u << 4,
	IMAP4_ST_HIGHESTMODSEQ = 1u << 5,
	IMAP4_ST_SIZE = 1u << 6,
	IMAP4_ST_DELETED = 1u << 7,
};

typedef struct imap4_status_info {
	const char *mailbox;	/* UTF-8 */
	unsigned have;		/* IMAP4_ST_* */
	uint32_t messages, recent, uidnext, uidvalidity, unseen, deleted;
	uint64_t highestmodseq, size;
} imap4_status_info;

/* Types a STATUS response. An item whose value does not parse or is out
 * of its range (a UIDNEXT of 0) makes it IMAP4_EPROTO, with *out zeroed;
 * except a HIGHESTMODSEQ that is no number from 0 to 2^63-1 (RFC 7162's
 * mod-sequence-valzer), which is left out (IMAP4_ST_HIGHESTMODSEQ clear),
 * as from a mailbox without mod-sequences. */
IMAP4_API int imap4_status_parse(imap4_status_info *out,
				 const imap4_resp *resp);

/* ---- SEARCH / SORT / ESEARCH (RFC 3501, 4731, 5256, 7162) */

typedef struct imap4_search_result {
	const uint32_t *nums;	/* SEARCH/SORT: in server order */
	size_t count;
	bool has_modseq;	/* "(MODSEQ n)" of CONDSTORE */
	uint64_t modseq;
	/* ESEARCH */
	bool esearch;
	const char *tag;	/* (TAG "...") or NULL */
	bool uid;
	unsigned have;		/* 1 MIN, 2 MAX, 4 COUNT, 8 ALL */
	uint32_t min, max, n;
	imap4_seqset all;
} imap4_search_result;

IMAP4_API int imap4_search_parse(imap4_search_result *out,
				 const imap4_resp *resp);

/* ---- VANISHED (RFC 7162 3.2.10) */

typedef struct imap4_vanished {
	bool earlier;
	imap4_seqset uids;
} imap4_vanished;

IMAP4_API int imap4_vanished_parse(imap4_vanished *out,
				   const imap4_resp *resp);

/* ------------------------------------------------------------------ codecs */

/* Modified UTF-7 (RFC 3501 5.1.3). Results are malloc'ed; the caller frees.
 * Invalid input (bad UTF-8, bad base64, non-canonical encodings) is
 * IMAP4_EINVAL. */
IMAP4_API int imap4_mutf7_encode(char **out, const char *utf8);
IMAP4_API int imap4_mutf7_decode(char **out, const char *mutf7);

/* Decodes RFC 2047 encoded-words (B and Q, any charset iconv knows) into
 * UTF-8; bytes invalid in a word's charset become U+FFFD, and words that
 * cannot be decoded at all (bad B or Q text, an unknown charset) are kept
 * as they are. malloc'ed result. */
IMAP4_API int imap4_rfc2047_decode(char **out, const char *s, size_t len);

/* A header field's value in UTF-8, as mail readers show it: raw text
 * holding an ISO-2022 escape ("ESC $ B", 7-bit) read as ISO-2022-JP;
 * else raw text that is valid UTF-8 kept as it is; else, when charset
 * (the message's, imap4_envelope.charset; NULL for none) is an
 * ASCII-compatible charset in which the raw bytes are all valid, read in
 * it; else read as windows-1252 (its runs of valid UTF-8 kept); then the
 * encoded-words decoded as imap4_rfc2047_decode() does them. The result
 * is valid UTF-8, every NUL U+FFFD; nothing is dropped. malloc'ed. */
IMAP4_API int imap4_header_decode(char **out, const char *s, size_t len,
                                  const char *charset);

/* imaplib.Int2AP: num in the letters A..P, into buf (at least 17 bytes). */
IMAP4_API void imap4_int2ap(char buf[IMAP4_AT_LEAST(17)], uint64_t num);

/* imaplib.ParseFlags: "... FLAGS (\\Seen x) ..." -> the flags. *out is a
 * malloc'ed NULL-terminated array of strings, freed with one free(). */
IMAP4_API int imap4_parse_flags(char ***out, size_t *count, const char *s);

/* imaplib.Internaldate2tuple: parses an INTERNALDATE "dd-Mon-yyyy
 * hh:mm:ss +zzzz" into Unix seconds (UTC) and the zone in minutes east.
 * Unlike imaplib's local time tuple, the instant and its zone stay
 * separate and exact. The date is found where imaplib's expression
 * (`.*INTERNALDATE "..."`, matched from the start, case-sensitive, "."
 * not taking LF) finds it: on the first line (up to the first LF; a lone
 * CR does not end it), after `INTERNALDATE "` written so, with one space
 * (it may end another word: `XINTERNALDATE "`), the last such on the
 * line whose text has the expression's shape ("[ 0123][0-9]-[A-Z][a-z]
 * [a-z]-..." with its closing quote), whatever follows it. So of two
 * dates on a line the last counts, `internaldate "`, two spaces, no
 * quotes, a one-digit day and a date on the second line are no date
 * (IMAP4_EINVAL where imaplib gives None), and a last date of that shape
 * that does not parse (month "Xyz", year 0000: imaplib raises) is
 * IMAP4_EINVAL, not an earlier one. Beyond imaplib, a string with no
 * such match may be the date-time alone, quoted or not, after spaces,
 * with a one-digit day too ("1-Mar-2024 00:00:00 +0000"). As imaplib
 * reads the date: the month is written "Jan" ("jan" and "JAN" are
 * IMAP4_EINVAL), the day is 00 to 39, and a field past its range
 * carries into the next ("31-Feb-2020" is 2 March,
 * "25:61:99" and a zone of "-9999", -100:39, are taken as numbers), so
 * *tz_minutes is within +-6039. Year 0000, which imaplib fails on, is
 * IMAP4_EINVAL. None of this is garbage that matters for safety: the
 * fields are two digits each, the arithmetic cannot overflow, and the
 * result is only a number. What a server sends is parsed strictly
 * instead (imap4_msg.internaldate: real ranges, a month in any case,
 * the forms imap4_msg_parse lists, else left out), since the daemon
 * stores it. */
IMAP4_API int imap4_internaldate2tuple(time_t *out, int *tz_minutes,
				       const char *s);

/* imaplib.Time2Internaldate: t as "dd-Mon-yyyy hh:mm:ss +zzzz" in the zone
 * tz_minutes east, quoted, into buf (at least 29 bytes). 0, or
 * IMAP4_EINVAL and buf "" for what imaplib cannot write either: a zone
 * beyond +-23:59 (Python's timezone() stays under 24 hours), or a date in
 * that zone outside the years 0001 to 9999 (datetime's). Nothing is
 * clamped: what it writes is t, and imap4_append_internaldate takes it
 * and imap4_internaldate2tuple reads it back as t and tz_minutes. */
IMAP4_API int imap4_time2internaldate(char buf[IMAP4_AT_LEAST(29)], time_t t,
                                      int tz_minutes);

/* An RFC 5322 date-time such as an ENVELOPE's Date: ("Tue, 1 Jul 2003
 * 10:52:37 +0200"), with the obsolete forms of section 4.3 (two-digit
 * years, named zones, comments, no seconds): Unix seconds (UTC) and the
 * zone in minutes east (tz_minutes may be NULL). IMAP4_EINVAL when s is
 * NULL or not a valid date; unknown named zones count as UTC. */
IMAP4_API int imap4_rfc5322_date(time_t *out, int *tz_minutes, const char *s);

/* Local zone offset (minutes east) at t. */
IMAP4_API int imap4_local_tz(time_t t);

/* --------------------------------------------------------------- the handle */

typedef struct imap4 imap4;

enum imap4_state {
	IMAP4_STATE_NONAUTH,
	IMAP4_STATE_AUTH,
	IMAP4_STATE_SELECTED,
	IMAP4_STATE_IDLING,
	IMAP4_STATE_LOGOUT,
};

enum imap4_tls_mode {
	IMAP4_TLS_NONE,		/* cleartext (imap4_open default) */
	IMAP4_TLS_STARTTLS,	/* required: STARTTLS right after greeting */
	IMAP4_TLS_IMPLICIT,	/* TLS from the first byte (imap4_open_ssl) */
};

/* Trace of the protocol for imaplib's debug: dir is 'C' (client) or 'S';
 * secrets (LOGIN passwords, AUTHENTICATE exchanges) are replaced by "***"
 * before the callback sees them. */
typedef void (*imap4_trace_cb)(void *payload, char dir, const char *line,
			       size_t len);

/* Each untagged response as it arrives. Return 0 when consumed: it is
 * then kept nowhere, neither in the command's data nor for
 * imap4_response(); 1 to keep it in both (imap4_data_*); negative to fail
 * the command (the library still reads up to its completion, then returns
 * IMAP4_ECALLBACK; the response is kept for imap4_response(), not in the
 * data). resp is valid during the call only. */
typedef int (*imap4_untagged_cb)(void *payload, const imap4_resp *resp);

/* Streamed literal bytes: when a sink is set and a literal larger than
 * opts.stream_threshold is the value of a body section of a FETCH
 * response, its bytes go here as they arrive instead of into memory. A
 * body section is an item at the top of the FETCH's list named
 * BODY[...] (with or without an <origin>), BINARY[...], RFC822,
 * RFC822.HEADER or RFC822.TEXT, in any case; its imap4_section then has
 * streamed set and data NULL, which no other view ever shows. Every
 * other literal, however large (an ENVELOPE or BODYSTRUCTURE string, a
 * label, a mailbox name in LIST or STATUS, a response code's argument,
 * any literal of a response that is no "* n FETCH"), is held and parsed
 * as without a sink, bounded by max_literal and max_response: a big
 * subject comes whole, never as a hole that reads like NIL. prefix is the
 * response up to the literal ("* 4 FETCH (UID 9 BODY[] "), without the
 * data of its literals streamed before; offset counts bytes of this
 * literal already delivered; total is its announced size. */
struct imap4_literal_info {
	const char *prefix;
	size_t prefix_len;
	uint64_t total;
	uint64_t offset;
};
/* Return 0 to go on. A negative return stops the deliveries: the rest of
 * this command's streamed literals is read and dropped, the connection
 * stays in step, and the command returns IMAP4_ECALLBACK once complete.
 * IMAP4_ELIMIT returned from a literal's first call (offset 0) refuses
 * that literal instead: it is taken as without a sink, so one past
 * max_literal (or max_response) fails the response at once, before more
 * of it is read (IMAP4_ELIMIT, the connection dropped), and a smaller
 * one is held. */
typedef int (*imap4_literal_sink)(void *payload,
				  const struct imap4_literal_info *info,
				  const void *data, size_t len);

/* Resource limits and timeouts; every field has a safe default.
 *
 * What one connection may hold at worst, with sizes of a 64-bit system:
 * - the response being read, max_response (literals streamed to a sink
 *   excluded), and a 64 KiB read buffer;
 * - that response parsed: 3 * max_response for its strings (a status
 *   response keeps its text and its code's text, where a literal becomes
 *   a quoted string, up to twice its size), 64 bytes for each of
 *   max_args + max_depth + 16 nodes (an argument is a 48-byte imap4_arg
 *   and its string's NUL and alignment, 56 bytes measured, plus a
 *   margin), and 128 KiB;
 * - the last command's result: max_untagged for the copies of its
 *   untagged responses and as much again, at most, for the copy of its
 *   tagged completion. Both bounds hold during the copy: a response whose
 *   copy would pass them is not kept (IMAP4_ELIMIT);
 * - the data imap4_response() pops: 8 MiB (64 names of 64 KiB, held in
 *   buffers of twice that at most).
 * With the defaults: 128 MiB + 500 MiB + 2 * 256 MiB + 8 MiB, about
 * 1.1 GiB. A copy costs about what the parse did (64 bytes an argument)
 * plus the raw bytes, so max_untagged keeps fewer arguments than
 * max_args lets one response have.
 *
 * Passing a limit is IMAP4_ELIMIT, with the limit named in
 * imap4_last_error(). max_untagged (the copies of a command's result)
 * costs that command only: the response whose copy would pass it, and
 * every later untagged one of the command, is read whole and dropped
 * (the data holds those before it; a completion too big is read and not
 * kept: imap4_completion() NULL); the command returns IMAP4_ELIMIT once
 * complete, with last_error's klass IMAP4_CLASS_ERROR, a NO's text in
 * server_text, and the connection usable. Except for LOGIN,
 * AUTHENTICATE, STARTTLS, COMPRESS, SELECT and EXAMINE, whose success
 * changes the session (state, TLS, compression): there the connection is
 * dropped (class abort), as a session we could not follow is not
 * continued. The other limits (max_line, max_literal, max_response,
 * max_depth, max_args) stop a response half-read, leaving the stream at
 * an unknown point: the connection is dropped (class abort). */
struct imap4_limits {
	size_t max_line;	/* one line, literals excluded (8 MiB) */
	size_t max_literal;	/* one literal held in memory (64 MiB) */
	size_t max_response;    /* one response, all parts (128 MiB); its
	                           parsed form may take three times that, plus
	                           the cost of its arguments (above) */
	size_t max_depth;	/* list nesting (64) */
	size_t max_args;	/* arguments in one response (4,000,000),
				   64 bytes each parsed: 244 MiB at most.
				   A UID SEARCH of a large mailbox needs
				   one per message */
	size_t max_untagged;	/* memory that the untagged responses
				   kept for one command's result may take
				   (256 MiB): their parsed copies, about
				   600 bytes for a short FETCH line, so
				   some 400,000 of them, and 64 bytes an
				   argument besides the raw bytes, so a
				   kept SEARCH of seven-digit UIDs holds
				   some 3,500,000. Listings of a
				   whole large mailbox belong in
				   imap4_fetch_each or a callback, which
				   keep none */
	size_t stream_threshold; /* body sections above go to the sink
	                            (1 MiB): see imap4_literal_sink */
};

/* 2 added cancel_fd, 3 stderr_fd, 4 stream_envp; structs of versions 1
 * to 3 (without what came later) are still taken. */
#define IMAP4_OPTS_VERSION 4

struct imap4_opts {
	unsigned version;	/* IMAP4_OPTS_VERSION */
	enum imap4_tls_mode tls;	/* a value outside the enum fails
					   the open with IMAP4_EINVAL */
	int connect_timeout_ms; /* connect + greeting + TLS handshake, and
	                           the open's first CAPABILITY and STARTTLS
	                           (30 s); <= 0 means no deadline */
	int timeout_ms;		/* whole of each command (120 s), inactivity
				   included; <= 0 means no deadline */
	bool tcp_keepalive;	/* SO_KEEPALIVE with short probes (true) */
	/* TLS: the server's certificate is verified unless insecure is set:
	 * its chain, its dates, its name, keys and signatures of 112-bit
	 * security at least (RSA 2048 bits, EC 224), and its purpose (an
	 * Extended Key Usage, when it has one, must include TLS server
	 * authentication); a failure is IMAP4_ECERT. */
	const char *ca_file;	/* PEM bundle instead of the system store */
	const char *pin_sha256;	/* "sha256:<hex>" or "<hex>" of the DER
				   certificate: trusted instead of the chain,
				   name, dates, key sizes and purpose; it is
				   checked even when insecure is set */
	const char *servername;	/* name to verify, default the host */
	bool insecure;		/* no verification of the chain, name, dates,
				   key sizes or purpose (tests only); a
				   pin_sha256 is still required to match */
	struct imap4_limits limits;
	imap4_trace_cb trace;
	void *trace_payload;
	int debug;		/* imaplib's debug level, kept for callers
				   that port code: the library never prints,
				   so it changes nothing; the conversation
				   goes to trace */
	/* Since version 2: a descriptor that cancels an imap4_open* (an
	 * eventfd or a pipe's read end that another thread or a signal
	 * handler makes readable), or -1 (the default) for none. Once it is
	 * readable, or hung up, every wait of the open (resolving, connecting,
	 * the greeting, the TLS handshake, STARTTLS, the first CAPABILITY, a
	 * tunnel's first bytes) ends at once: the open returns
	 * IMAP4_ECANCELED, imap4_open_error() says "cancelled ...", and
	 * everything the open made is closed as imap4_free closes it (a
	 * tunnel's child included). Readable before the call, it cancels the
	 * open before anything is started. Borrowed for the call only: it
	 * must stay open until the open returns; the library polls it, never
	 * reads, drains or closes it, so it stays readable (and cancels every
	 * later open) until its owner drains it. The handle does not watch it
	 * after the open: imap4_wake() is for that. */
	int cancel_fd;
	/* imap4_open_stream: the command's standard error, or -1 (the
	 * default) for ours. Borrowed for the call: the command gets a copy
	 * of it. A daemon passes a pipe's write end, to log what the
	 * command says (ssh's warnings) as lines of its own. */
	int stderr_fd;
	/* Since version 4, imap4_open_stream: the command's environment, a
	 * NULL-terminated array of "NAME=value", or NULL (the default) for
	 * the process's environ. Borrowed for the call. A daemon leaves out
	 * what is its own (systemd's NOTIFY_SOCKET, say). */
	char *const *stream_envp;
};

/* Fills opts with the defaults. */
IMAP4_API void imap4_opts_init(struct imap4_opts *opts);

/* imaplib.IMAP4(host, port): connect (port 0 = 143), read the greeting,
 * CAPABILITY, and STARTTLS when opts->tls asks for it. opts may be NULL.
 * host "" is "localhost", as imaplib's default host '' is this machine.
 * On failure *out is NULL and the return says why; imap4_open_error()
 * gives the message. When opts->tls asks for TLS, the TLS options are
 * checked before connecting (also by imap4_open_ssl and
 * imap4_open_stream): a pin_sha256 that is not 64 hex digits is
 * IMAP4_EINVAL, and the ca_file that would be read (no pin, not
 * insecure) is read then, a missing or unreadable one IMAP4_ECERT
 * ("cannot load CA file <path>: <why>"; IMAP4_EIO when out of
 * descriptors or memory). */
IMAP4_API int imap4_open(imap4 **out, const char *host, uint16_t port,
			 const struct imap4_opts *opts);

/* imaplib.IMAP4_SSL: implicit TLS (port 0 = 993). */
IMAP4_API int imap4_open_ssl(imap4 **out, const char *host, uint16_t port,
			     const struct imap4_opts *opts);

/* imaplib.IMAP4_stream: IMAP over the stdin/stdout of "/bin/sh -c command".
 * opts->tls may be IMAP4_TLS_STARTTLS (verified against opts->servername,
 * or a pin: a stream has no host name); IMAP4_TLS_IMPLICIT is refused with
 * IMAP4_EINVAL, never ignored. The command's stderr is the caller's, or
 * opts->stderr_fd. When
 * the handle closes, the command gets EOF, then SIGTERM and SIGKILL if it
 * lingers; in a process without a terminal (a daemon) the command leads a
 * process group of its own and whatever it started ends with it: the
 * group gets the signals, SIGKILL while any of it is left after SIGTERM's
 * grace (a program that ignores SIGTERM, run by the shell or left in the
 * background). imap4_free waits for that about 1.1 s at most. */
IMAP4_API int imap4_open_stream(imap4 **out, const char *command,
				const struct imap4_opts *opts);

/* The message of the last failed imap4_open* in this thread. */
IMAP4_API const char *imap4_open_error(void);

/* When the last imap4_open* in this thread failed with IMAP4_ETIMEOUT
 * waiting for the completion of a command of its own (CAPABILITY,
 * STARTTLS): that command's name, as imap4_error_info's unanswered; else
 * NULL (the time ran out resolving, connecting, in a TLS handshake or
 * waiting for the greeting, or the open did not fail on a timeout). */
IMAP4_API const char *imap4_open_unanswered(void);

/* Closes the connection (no LOGOUT) and frees the handle. */
IMAP4_API void imap4_free(imap4 **h);

/* ---- state (imaplib attributes) */

IMAP4_API enum imap4_state imap4_state(const imap4 *h);
/* The greeting line, without its CRLF; a literal in it is written as in
 * code_text. */
IMAP4_API const char *imap4_welcome(const imap4 *h);
IMAP4_API const char *imap4_protocol_version(const imap4 *h);	/* IMAP4REV1
								   IMAP4REV2 */
IMAP4_API bool imap4_utf8_enabled(const imap4 *h);
IMAP4_API bool imap4_is_readonly(const imap4 *h);
IMAP4_API bool imap4_is_tls(const imap4 *h);
IMAP4_API bool imap4_is_compressed(const imap4 *h);
/* imaplib's debug attribute: stored and returned, nothing more (see
 * imap4_opts.debug; set a trace callback to see the conversation). */
IMAP4_API void imap4_set_debug(imap4 *h, int level);
IMAP4_API int imap4_debug(const imap4 *h);

/* Capabilities, upper-cased, current after STARTTLS, authentication and any
 * untagged CAPABILITY. The array is borrowed. */
IMAP4_API const char *const *imap4_capabilities(const imap4 *h, size_t *count);
IMAP4_API bool imap4_has_capability(const imap4 *h, const char *name);
/* Whether ENABLE succeeded for a capability (CONDSTORE, QRESYNC, ...);
 * CONDSTORE is enabled by QRESYNC as well (RFC 7162 3.2.3). */
IMAP4_API bool imap4_is_enabled(const imap4 *h, const char *name);

/* ---- the last command's outcome */

/* What the last call on the handle that sends or reads (a command,
 * imap4_idle, imap4_wait, the transport hooks) ended with: each such call
 * starts by clearing it, so after one that returned IMAP4_OK, code is 0
 * and message "" (also when a callback's refused call set it meanwhile);
 * after IMAP4_NO, code is IMAP4_NO with the server's text; after a
 * failure, why. Getters and setters leave it as it is. Borrowed until
 * the next such call. */
struct imap4_error_info {
	int code;		/* IMAP4_E*, or 0 */
	enum imap4_class klass;
	const char *message; /* what went wrong, for people; one line */
	const char *server_code;	/* response code of a NO/BAD, or NULL */
	const char *server_text;	/* text of a NO/BAD/BYE, or NULL */
	/* With IMAP4_ETIMEOUT, when the time ran out waiting for a
	 * command's completion: that command's name ("CAPABILITY" after a
	 * LOGIN whose OK brought none, "UID FETCH"); else NULL (the time
	 * ran out sending, in IDLE, or the failure is no timeout). */
	const char *unanswered;
};
IMAP4_API const struct imap4_error_info *imap4_last_error(const imap4 *h);

/* The tagged completion of the last command (name is OK, NO or BAD), or
 * NULL when the last call sent none: it failed before sending, or
 * imap4_recent answered from its cache; or when none came (a LOGOUT
 * answered with BYE and a close) or it was too big to keep (see
 * max_untagged). imap4_read, imap4_readline, imap4_send and
 * imap4_shutdown are no commands: after them this and imap4_data_* still
 * give the last command's result. */
IMAP4_API const imap4_resp *imap4_completion(const imap4 *h);

/* Bytes read from the server since the handle was opened (after TLS and
 * COMPRESS, as the protocol has them): whether a command that ran out of
 * time was hearing anything at all, as a slow link, or nothing, as a dead
 * one. */
IMAP4_API uint64_t imap4_bytes_in(const imap4 *h);

/* Untagged responses of the last command, in arrival order. */
IMAP4_API size_t imap4_data_count(const imap4 *h);
IMAP4_API const imap4_resp *imap4_data_at(const imap4 *h, size_t i);

/* imaplib.response(code). The handle keeps, per name, the data of every
 * untagged response and response code of that name (EXISTS, UIDVALIDITY,
 * READ-WRITE, ...) received since the name was last asked for, as raw
 * text ("3" for "* 3 EXISTS", "42" for "[UIDVALIDITY 42]"). A code's
 * value is its code_text and a status response's is text for people too
 * (one line: see the parsed responses); the data of the others is kept
 * as sent, literals and their CRLFs included, up to a NUL, which ends it
 * ("1 (BODY[] {5}\r\nhello)").
 * imap4_response() gives the most recent of them, imap4_responses() all
 * of them, oldest first, as imaplib's response() does (after three
 * EXISTS, response('EXISTS') is [b'0', b'1', b'2']); either pops every
 * value of the name. NULL (and *count 0) when none came.
 * imap4_response()'s string is malloc'ed, and so is imap4_responses()'
 * *out: a NULL-terminated array of *count strings (count may be NULL)
 * in one block with them, freed with one free() (as imap4_parse_flags
 * gives its flags). 0, IMAP4_EINVAL (NULL out, h or name) or
 * IMAP4_ENOMEM (the values then stay).
 * Bounded, unlike imaplib's lists: the values of one name count at most
 * 64 KiB, each its bytes, its NUL and its pointer in that array. One
 * more value that would pass that makes the oldest go, as many as needed,
 * so the newest are kept; a value that passes it alone (a big SEARCH
 * result) is not kept, and the older ones of its name are dropped with
 * it, since none of them is the most recent (it is in the command's data,
 * imap4_data_*). The messages that imap4_fetch_each() hands to its
 * callback are the callback's and are not kept here, nor is a response
 * that a callback consumed (an imap4_untagged_cb returning 0, the
 * callback of imap4_idle and imap4_wait, the batch of
 * imap4_idle_burst).
 * A command's own data is popped as imaplib's methods pop it
 * (_untagged_response), so that response() holds news, not what the
 * caller just asked for: when the server completes with OK (not NO, not
 * BAD), imap4_capability pops CAPABILITY (and so does imap4_open*, as
 * imaplib's constructor asks capability(); a LOGIN completion's
 * [CAPABILITY] stays, as in imaplib), imap4_expunge EXPUNGE,
 * imap4_fetch, imap4_store and imap4_partial FETCH, imap4_search
 * SEARCH, imap4_sort SORT, imap4_thread THREAD, imap4_status STATUS,
 * imap4_list LIST, imap4_lsub LSUB, imap4_namespace NAMESPACE,
 * imap4_getacl ACL, imap4_myrights MYRIGHTS, imap4_getquota and
 * imap4_setquota QUOTA, imap4_getquotaroot QUOTAROOT and QUOTA,
 * imap4_getannotation and imap4_setannotation ANNOTATION, imap4_uid
 * SEARCH, SORT or THREAD for those commands and FETCH for any other (so
 * a UID EXPUNGE's EXPUNGE stays, as in imaplib). Only those names go:
 * an EXISTS that came during a FETCH stays. The other calls pop nothing:
 * imap4_select keeps EXISTS (imaplib reads it with get()) but forgets
 * all before the SELECT, and imap4_xatom, imap4_command, imap4_copy,
 * imap4_close, imap4_move, imap4_uid_move, imap4_uid_expunge,
 * imap4_fetch_each and the others keep what they received.
 * As imaplib's _command does, every command deletes the values of OK, NO
 * and BAD (the text of untagged status responses) before it is sent, so
 * that imap4_response(h, "OK") is the last command's, never a SELECT's
 * "[HIGHESTMODSEQ 23] Highest" from commands ago; the values of their
 * response codes (HIGHESTMODSEQ, ALERT, ...) stay until asked for. A
 * call that sends nothing (a refused argument, imap4_recent from its
 * cache) deletes nothing. imap4_logout pops the BYE, as imaplib's
 * logout() does. */
IMAP4_API int imap4_response(char **out, imap4 *h, const char *name);
IMAP4_API int imap4_responses(char ***out, size_t *count, imap4 *h,
			      const char *name);

/* Untagged responses that no command asked for (EXISTS, EXPUNGE, FETCH
 * FLAGS, NOTIFY's STATUS/LIST, ...) go to cb before anything else. */
IMAP4_API void imap4_set_unsolicited(imap4 *h, imap4_untagged_cb cb,
				     void *payload);

/* Sends big body sections of FETCH responses to sink (see
 * imap4_literal_sink for which literals go there). */
IMAP4_API void imap4_set_literal_sink(imap4 *h, imap4_literal_sink sink,
				      void *payload);

/* ---- imaplib.IMAP4 methods. Each returns IMAP4_OK, IMAP4_NO or < 0. */

/* APPEND. flags like "(\\Seen $Label)" or NULL (parentheses are added
 * when missing; anything but one list of flags, "(\\Seen) (\\Draft)" or
 * an unbalanced "(\\Seen", is IMAP4_EINVAL and nothing is sent); date -1
 * for none, else the instant, written in the machine's local zone (an
 * instant outside the years 0001 to 9999 there is IMAP4_EINVAL and
 * nothing is sent: see imap4_time2internaldate). Like
 * imaplib (MapCRLF), every line end, CRLF, lone CR or lone LF, is sent as
 * CRLF, and the literal's size counts them so. [APPENDUID] via
 * imap4_resp_appenduid(imap4_completion()).
 * -1 is also an instant, 23:59:59 31-Dec-1969 UTC, which imap4_append
 * cannot send; imap4_append_internaldate can, in any zone. */
IMAP4_API int imap4_append(imap4 *h, const char *mailbox, const char *flags,
			   time_t date, const void *message, size_t len);

/* APPEND with the date-time as text, as imaplib's append() takes a string
 * ('"01-Jan-2020 10:00:00 +0530"'), NULL for none: RFC 3501's date-time
 * "dd-Mon-yyyy hh:mm:ss +zzzz", with or without its double quotes, the
 * day as two digits or a space and one, the month's three letters in any
 * case, every field within its range (a leap second's :60 allowed) and
 * nothing before or after it; year 0000, which imaplib can neither write
 * nor read, is refused. It is sent as given, its zone kept; anything
 * else is IMAP4_EINVAL and nothing is sent. imaplib's other forms of
 * date_time (seconds, a time tuple, an aware datetime) are a time_t and a
 * zone here: imap4_time2internaldate(buf, t, tz_minutes) writes the
 * string. The rest as imap4_append. */
IMAP4_API int imap4_append_internaldate(imap4 *h, const char *mailbox,
					const char *flags,
					const char *date_time,
					const void *message, size_t len);

/* APPEND of a message produced in pieces: read_cb fills buf with up to cap
 * bytes and returns the count (0 at the end, < 0 to cancel). Line ends are
 * made CRLF as imap4_append makes them, across pieces too (a piece ending
 * with CR and the next starting with LF give one CRLF), and size is the
 * exact length of the message after that: for a source that has CRLF
 * line ends already, its length. read_cb is called once more after size
 * bytes and must then say 0 (or give the LF of a final CRLF, then 0). A
 * source that ends early or goes on fails the APPEND before the server can
 * store anything: IMAP4_EINVAL (IMAP4_ECALLBACK when it cancelled), and,
 * unlike other errors of that class, the connection is dropped, since the
 * server holds half a command. */
typedef ssize_t (*imap4_read_cb)(void *payload, void *buf, size_t cap);
IMAP4_API int imap4_append_stream(imap4 *h, const char *mailbox,
				  const char *flags, time_t date, uint64_t size,
				  imap4_read_cb read_cb, void *payload);
/* imap4_append_stream with the date-time as text, NULL for none, checked
 * and sent as imap4_append_internaldate's. */
IMAP4_API int imap4_append_stream_internaldate(imap4 *h, const char *mailbox,
					       const char *flags,
					       const char *date_time,
					       uint64_t size,
					       imap4_read_cb read_cb,
					       void *payload);

/* AUTHENTICATE with a caller's exchange: for each server challenge (decoded
 * from base64) cb sets *resp to a malloc'ed response (the library base64s,
 * sends, wipes and frees it) and returns 0, or returns 1 to cancel ("*"),
 * or < 0 to fail. A NO is IMAP4_ENO. */
typedef int (*imap4_auth_cb)(void *payload, const void *challenge,
			     size_t clen, void **resp, size_t *rlen);
IMAP4_API int imap4_authenticate(imap4 *h, const char *mechanism,
				 imap4_auth_cb cb, void *payload);

/* SASL mechanisms built in: "PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-256",
 * "SCRAM-SHA-1", "XOAUTH2", "OAUTHBEARER" (secret is the password or the
 * access token). SCRAM refuses iteration counts outside 4096..1000000 and
 * a server that does not prove it knows the password (IMAP4_EPROTO).
 * Like imaplib, a mechanism the server does not list is still tried,
 * but its secret is not put at risk: the initial response goes in the
 * AUTHENTICATE line (SASL-IR) only when the server lists both SASL-IR
 * and AUTH=<mechanism>; otherwise "AUTHENTICATE <mechanism>" goes alone
 * and the initial response only after the server's "+", so a server that
 * refuses the mechanism (IMAP4_ENO) never sees it.
 * On a connection without TLS whose server advertises LOGINDISABLED,
 * the mechanisms that send the secret in clear (PLAIN, LOGIN, XOAUTH2,
 * OAUTHBEARER) are refused as imap4_login is, with IMAP4_ECAPA and
 * nothing sent (RFC 3501 6.2.3, 7.2.1), unless the server lists that
 * AUTH=<mechanism> itself; CRAM-MD5 and SCRAM are not affected.
 * imap4_authenticate applies the same rule to those mechanism names. */
IMAP4_API int imap4_authenticate_sasl(imap4 *h, const char *mechanism,
				      const char *authzid, const char *user,
				      const char *secret);

IMAP4_API int imap4_capability(imap4 *h);
IMAP4_API int imap4_check(imap4 *h);
IMAP4_API int imap4_close(imap4 *h);
IMAP4_API int imap4_copy(imap4 *h, const char *set, const char *mailbox);
IMAP4_API int imap4_create(imap4 *h, const char *mailbox);
IMAP4_API int imap4_delete(imap4 *h, const char *mailbox);
IMAP4_API int imap4_deleteacl(imap4 *h, const char *mailbox, const char *who);
IMAP4_API int imap4_enable(imap4 *h, const char *capability);
IMAP4_API int imap4_expunge(imap4 *h);
/* FETCH; the untagged FETCH responses are the command's data, kept until
 * the next command (bounded by limits.max_untagged; imap4_fetch_each
 * streams them instead). */
IMAP4_API int imap4_fetch(imap4 *h, const char *set, const char *items);
IMAP4_API int imap4_getacl(imap4 *h, const char *mailbox);
IMAP4_API int imap4_getannotation(imap4 *h, const char *mailbox,
				  const char *entry, const char *attribute);
IMAP4_API int imap4_getquota(imap4 *h, const char *root);
IMAP4_API int imap4_getquotaroot(imap4 *h, const char *mailbox);

/* IDLE (RFC 2177). Each untagged response goes to cb (return > 0 to end the
 * IDLE early), and only there: like imaplib 3.14's Idler, it is not kept
 * for imap4_response() (with cb NULL they go as any other untagged
 * response: to the unsolicited callback, else kept). Ends after
 * duration_ms (< 0: no limit), when cb asks, when imap4_wake() is called,
 * or when the server ends it; sends DONE and waits for the completion.
 * Returns IMAP4_OK when the IDLE completed with OK; IMAP4_NO when the
 * server refused it or ended it with NO, before or after its "+"
 * (imap4_last_error: code IMAP4_NO with the server's response code and
 * text; imap4_completion: the NO); or < 0 (IMAP4_EBAD for a BAD).
 * Without IDLE: IMAP4_ECAPA. */
IMAP4_API int imap4_idle(imap4 *h, int duration_ms, imap4_untagged_cb cb,
			 void *payload);

/* imaplib's Idler.burst(): IDLE until the first response arrives (or
 * duration_ms passes), then collect the responses that follow less than
 * interval_ms apart and hand them to cb as one batch of n responses; ends
 * the IDLE after one batch. Responses that come after DONE, before the
 * completion, are not in the batch: they stay in the command's data
 * (imap4_data_at, imap4_response), as imaplib keeps them. The batch is
 * kept in the data only (imap4_data_at), not for imap4_response(): it is
 * cb's, as imaplib 3.14's Idler takes it out of untagged_responses. */
/* A negative return from cb makes imap4_idle_burst return
 * IMAP4_ECALLBACK (the IDLE is ended all the same). Otherwise it returns
 * as imap4_idle: an IDLE ended with NO still hands its batch to cb (the
 * responses came before the NO), then returns IMAP4_NO with the NO in
 * imap4_last_error. */
typedef int (*imap4_burst_cb)(void *payload, const imap4_resp *const *resps,
			      size_t n);
IMAP4_API int imap4_idle_burst(imap4 *h, int duration_ms, int interval_ms,
			       imap4_burst_cb cb, void *payload);

/* Ends an IDLE or imap4_wait in progress on h; safe from any thread and
 * from signal handlers (also for a NULL h: IMAP4_EINVAL). A wake is a
 * flag, not an event: one that comes while no IDLE or wait is in
 * progress (between calls, during an ordinary command) is kept, and
 * ends the next imap4_idle, imap4_idle_burst or imap4_wait as soon as
 * it would wait: an IDLE is still started (IDLE, its "+", then DONE at
 * once), a wait first hands over the responses already received. Ordinary
 * commands in between leave it set; each of those three clears it when
 * it ends that way, and several wakes before count as one. So a wake
 * sent just before an IDLE starts is never lost: a supervisor asking a
 * worker to stop needs no knowledge of what the worker is doing. */
IMAP4_API int imap4_wake(imap4 *h);

IMAP4_API int imap4_list(imap4 *h, const char *reference, const char *pattern);
/* LIST reference pattern RETURN (options STATUS (names)) of RFC 5819 (ask
 * only where the server lists LIST-STATUS). reference and pattern are sent
 * as they are (NULL: "" and "*"), not imaplib-unquoted as imap4_list's;
 * options: other return options of RFC 5258 and 6154 ("SPECIAL-USE
 * CHILDREN": an extended LIST need not say \HasChildren nor the special
 * uses unless asked), or NULL; names: the STATUS items ("MESSAGES
 * UIDNEXT", parentheses added when missing; empty or NULL: IMAP4_EINVAL,
 * nothing sent). The data hold each LIST (imap4_list_parse) and each
 * STATUS (imap4_status_parse) as the server sent them: all the LISTs may
 * come first, and a mailbox's STATUS may be left out (a \Noselect one,
 * one the server could not look at: RFC 5819 2). A STATUS that NOTIFY
 * (RFC 5465) sends meanwhile is data too: nothing tells the two apart.
 * Other untagged responses go to the unsolicited callback, as during
 * imap4_list. Time: most_ms > 0 gives each response opts.timeout_ms after
 * the one before, and the whole command most_ms: the server looks at
 * every mailbox it lists, so a long list comes slowly yet steadily, and a
 * silence ends it, not its length; <= 0: opts.timeout_ms for the whole,
 * as for any command. */
IMAP4_API int imap4_list_status(imap4 *h, const char *reference,
                                const char *pattern, const char *options,
                                const char *names, int most_ms);
/* LOGIN. The capabilities are read again after it (from its [CAPABILITY],
 * else by a CAPABILITY command), yet its result stays the last command's:
 * imap4_completion() and the data are the login's, [ALERT]s included, as
 * after imap4_authenticate and imap4_starttls. */
IMAP4_API int imap4_login(imap4 *h, const char *user, const char *password);
IMAP4_API int imap4_login_cram_md5(imap4 *h, const char *user,
				   const char *password);
/* LOGOUT; the connection is closed afterwards whatever the answer. The
 * server's BYE is the command's data (imap4_data_at(h, 0)->text is its
 * farewell) and its tagged OK the completion, NULL when the server closed
 * without one, which counts as IMAP4_OK once the BYE came. Where imaplib's
 * logout() returns ('BYE', [farewell]), this returns IMAP4_OK (or < 0),
 * never a code for the BYE; like imaplib it pops the BYE from
 * imap4_response()'s cache, where imap4_response(h, "BYE") then finds
 * none. */
IMAP4_API int imap4_logout(imap4 *h);
IMAP4_API int imap4_lsub(imap4 *h, const char *reference, const char *pattern);
IMAP4_API int imap4_myrights(imap4 *h, const char *mailbox);
IMAP4_API int imap4_namespace(imap4 *h);
IMAP4_API int imap4_noop(imap4 *h);
IMAP4_API int imap4_partial(imap4 *h, uint32_t num, const char *part,
			    uint32_t start, uint32_t length);
IMAP4_API int imap4_proxyauth(imap4 *h, const char *user);
/* imaplib.recent(): the last RECENT count, else a NOOP for it; *count is
 * the number, or -1 when the server sent none. A count from the cache
 * sends nothing, and then leaves no completion, data or error behind
 * (imap4_completion() is NULL), like a command that was not sent. */
IMAP4_API int imap4_recent(imap4 *h, long *count);
IMAP4_API int imap4_rename(imap4 *h, const char *oldname, const char *newname);
/* SEARCH; charset may be NULL; criteria raw ("UNSEEN FROM x"), sent as
 * written, as imaplib sends them. A word with non-ASCII bytes is no atom
 * (a server answers BAD, Dovecot "8bit data in atom"), nor a quoted
 * string before ENABLE UTF8=ACCEPT: give it as a literal, with
 * imap4_command(h, NULL, NULL, "SEARCH CHARSET UTF-8 FROM %s", name),
 * whose %s chooses one, or with %l. The library does not rewrite the
 * criteria: telling a string from a keyword or a flag needs the grammar
 * of every search key, extensions included.
 * The answer is the command's data (imap4_data_*). No match is still an
 * answer: "* SEARCH" with no numbers (RFC 3501 7.2.5), or an ESEARCH
 * without ALL (RFC 4731 3.1), whose imap4_search_parse gives count 0 and
 * no ALL. An OK with neither (imap4_data_count 0) means the answer was
 * lost, not that nothing matched; the same holds for imap4_uid SEARCH and
 * a UID SEARCH through imap4_command, whose callback then sees no SEARCH
 * or ESEARCH. */
IMAP4_API int imap4_search(imap4 *h, const char *charset,
			   const char *criteria);

/* SELECT / EXAMINE of mailbox, INBOX when mailbox is NULL (imaplib's
 * default); what the server said about the mailbox, in *out (may be
 * NULL), which is zeroed first: all zero after a failure, IMAP4_EREADONLY
 * included. Its flags are borrowed from the handle until the next
 * command.
 * exists is 0 both for "* 0 EXISTS" and when no EXISTS came; has_exists
 * tells them apart (imaplib's select() gives [None] for the latter). RFC
 * 3501 6.3.1 says the server MUST send EXISTS: a completed OK without one
 * is still IMAP4_OK here, and whether the mailbox's size is then unknown
 * or a failure is the caller's call. */
typedef struct imap4_mailbox_info {
	uint32_t exists, recent, unseen;	/* unseen: first unseen seq */
	uint32_t uidvalidity, uidnext;
	/* highestmodseq: 0 when NOMODSEQ or absent, or when not a number
	 * of 64 bits; one past RFC 7162's 2^63-1 is given as sent, for the
	 * caller to refuse. */
	uint64_t highestmodseq;
	bool nomodseq;
	bool readonly;
	bool has_exists;                /* an EXISTS came; else exists is 0 */
	const char *const *flags;	/* FLAGS, borrowed */
	size_t nflags;
	const char *const *permanentflags;	/* PERMANENTFLAGS, borrowed */
	size_t npermanentflags;
} imap4_mailbox_info;

IMAP4_API int imap4_select(imap4 *h, imap4_mailbox_info *out,
			   const char *mailbox, bool readonly);

/* SELECT with CONDSTORE or QRESYNC (RFC 7162). qresync_uidvalidity = 0
 * means plain CONDSTORE. VANISHED (EARLIER) and FETCH responses of the
 * resync go to cb. */
struct imap4_select_params {
	bool readonly;
	bool condstore;
	uint32_t qresync_uidvalidity;
	uint64_t qresync_modseq;
	const char *qresync_known_uids;	/* optional UID set */
};
IMAP4_API int imap4_select_ex(imap4 *h, imap4_mailbox_info *out,
			      const char *mailbox,
			      const struct imap4_select_params *params,
			      imap4_untagged_cb cb, void *payload);

IMAP4_API int imap4_setacl(imap4 *h, const char *mailbox, const char *who,
			   const char *what);
/* SETANNOTATION with raw arguments (imaplib's *args joined by spaces). */
IMAP4_API int imap4_setannotation(imap4 *h, const char *args);
IMAP4_API int imap4_setquota(imap4 *h, const char *root, const char *limits);
/* SORT (RFC 5256): criteria raw ("DATE" or "(REVERSE DATE)"; parentheses
 * are added when missing, as imaplib adds them), search raw as in
 * imap4_search. The command requires a charset, and imaplib's sort()
 * takes one without a default; here charset NULL sends "UTF-8", which
 * RFC 5256 requires of every server (a server that does not take it
 * answers NO [BADCHARSET]). */
IMAP4_API int imap4_sort(imap4 *h, const char *criteria, const char *charset,
			 const char *search);
/* STARTTLS: refused (IMAP4_ETLSREQ, which aborts, as imaplib does) when
 * not advertised or already on TLS; bytes after the OK before the
 * handshake are IMAP4_EINJECT, a failed handshake IMAP4_ETLS or
 * IMAP4_ECERT (both abort); capabilities are read again. A server that
 * answers NO or BAD makes it IMAP4_ENO or IMAP4_EBAD with its text in
 * imap4_last_error(), like imaplib's error: the handle stays usable, in
 * its state and in clear, and nothing else was sent. A caller that needs
 * TLS must then give up the connection; imap4_open with
 * IMAP4_TLS_STARTTLS does so (IMAP4_ETLSREQ). */
IMAP4_API int imap4_starttls(imap4 *h);
IMAP4_API int imap4_status(imap4 *h, const char *mailbox, const char *names);
IMAP4_API int imap4_store(imap4 *h, const char *set, const char *command,
			  const char *flags);
IMAP4_API int imap4_subscribe(imap4 *h, const char *mailbox);
/* THREAD (RFC 5256): algorithm an atom ("REFERENCES",
 * "ORDEREDSUBJECT"), search raw as in imap4_search; charset NULL sends
 * "UTF-8", as imap4_sort does. */
IMAP4_API int imap4_thread(imap4 *h, const char *algorithm,
			   const char *charset, const char *search);
/* UID <command> <args>: args raw, as imaplib joins them. */
IMAP4_API int imap4_uid(imap4 *h, const char *command, const char *args);
IMAP4_API int imap4_unselect(imap4 *h);
IMAP4_API int imap4_unsubscribe(imap4 *h, const char *mailbox);
/* Any command: name is an atom, args raw (may be NULL). */
IMAP4_API int imap4_xatom(imap4 *h, const char *name, const char *args);

/* ---- transport hooks (imaplib's open/read/readline/send/shutdown/socket) */

/* Reads exactly n bytes (unless EOF) bypassing the parser. Returns the
 * count, or < 0. It waits up to opts.timeout_ms for them; a read that
 * times out leaves the stream at an unknown point and aborts the handle
 * (IMAP4_ETIMEOUT), as any failed read does. */
IMAP4_API ssize_t imap4_read(imap4 *h, void *buf, size_t n);
/* Reads one line with its CRLF (up to and including the LF) into a
 * malloc'ed string, *len its length; at end of stream, what came before it
 * (maybe ""). Bytes past the line stay buffered for the next read. Bounded
 * in size by limits.max_line (IMAP4_ELIMIT) and in time by opts.timeout_ms
 * for the whole line, however the server spaces its bytes
 * (IMAP4_ETIMEOUT); either leaves the stream at an unknown point and
 * aborts the handle, as any failed read does. */
IMAP4_API int imap4_readline(imap4 *h, char **out, size_t *len);
IMAP4_API int imap4_send(imap4 *h, const void *data, size_t len);
/* Closes the connection; the handle stays until imap4_free. */
IMAP4_API int imap4_shutdown(imap4 *h);
/* The file descriptor to poll for reading, or -1. */
IMAP4_API int imap4_socket(const imap4 *h);
/* Cuts the connection from another thread (or a signal handler) once fd
 * (an eventfd or a pipe's read end) is made readable or hung up: from
 * this call on, every wait of h (a command's reads and writes, IDLE,
 * imap4_wait, STARTTLS's handshake, LOGOUT's) ends at once with
 * IMAP4_ECANCELED, which aborts the handle; imap4_free is still the
 * owner's. Unlike a shutdown(2) of imap4_socket(), it reaches every
 * transport (a command's pipes too, and a TLS layer above) and never
 * touches a descriptor the handle may have closed meanwhile. fd is
 * borrowed: it stays open while set, and is polled, never read or closed
 * (readable once, it cuts every later wait too). -1 stops watching. 0,
 * IMAP4_ECLOSED without a connection, IMAP4_EINVAL for a NULL h. Called
 * by the owner of h, as other setters. */
IMAP4_API int imap4_set_cancel(imap4 *h, int fd);

/* ---- beyond imaplib */

/* UID FETCH/FETCH each message to cb as it completes, typed; memory stays
 * bounded whatever the number of messages. Other untagged responses go to
 * the unsolicited callback or the command's data. */
/* cb returns 0 (or > 0: the same) to go on; a negative return makes the
 * command return IMAP4_ECALLBACK once complete, and cb is not called
 * again. msg and resp are valid during the call only. A FETCH that
 * cannot be typed (IMAP4_EPROTO, a UID 0, say) ends the delivery the same
 * way: the command is read to its end and returns that code, quoting the
 * response, and since the connection is in step the last error's class
 * is IMAP4_CLASS_ERROR and the handle goes on. After either, the
 * command's FETCHes are not delivered; other responses (EXPUNGE, EXISTS)
 * still go to the unsolicited callback, or are kept. */
typedef int (*imap4_msg_cb)(void *payload, const imap4_msg *msg,
			    const imap4_resp *resp);
IMAP4_API int imap4_fetch_each(imap4 *h, bool uid, const char *set,
			       const char *items, imap4_msg_cb cb,
			       void *payload);

/* Any command with a format: %a atom, %s astring, %m mailbox, %q quoted,
 * %l literal (const char *, size_t), %r raw, %u uint32_t, %U uint64_t,
 * %S sequence set (validated), and %% for a "%" of the text ("LIST \"\"
 * %%" sends LIST "" %). The command name is fmt's first word and
 * must be written there literally ("NOOP", "UID FETCH %S %r"): a %
 * conversion in its place is no atom and fails with IMAP4_EINVAL before
 * anything is sent (imap4_xatom takes a name chosen at run time).
 * %s goes as an atom, a quoted string or, for CR, LF or an 8-bit byte
 * (before ENABLE UTF8=ACCEPT), a literal, which frames any byte safely
 * (RFC 3501 4.3), as the string arguments of the methods do (imap4_login's
 * user and password, imap4_setacl's identifier, imap4_getquota's root).
 * An argument the conversion cannot send (a space in %a, an 8-bit byte
 * in %q before ENABLE UTF8=ACCEPT, CR or LF in %a, %q, %m or %r, NULL)
 * is IMAP4_EINVAL: a mailbox name (%m, and every method's mailbox) with
 * CR or LF is refused although a literal could carry it, since servers
 * refuse such names and each LIST or log line naming one would break.
 * Then nothing is sent, and imap4_last_error() names the
 * argument, counted from 1, and what is wrong with it ("SELECT: argument
 * 1 (%q) refused: an 8-bit byte, ..."); so does an unknown conversion or
 * a lone % at the end.
 * Untagged responses go to cb (or are kept when cb is NULL). */
IMAP4_API int imap4_command(imap4 *h, imap4_untagged_cb cb, void *payload,
			    const char *fmt, ...);

IMAP4_API int imap4_move(imap4 *h, const char *set, const char *mailbox);
IMAP4_API int imap4_uid_move(imap4 *h, const char *set, const char *mailbox);
IMAP4_API int imap4_uid_expunge(imap4 *h, const char *set);
/* ID (RFC 2971): kv is NULL-terminated key, value, key, value, ... or NULL
 * for "ID NIL". The server's ID is in the command's data. */
IMAP4_API int imap4_id(imap4 *h, const char *const *kv);
/* COMPRESS DEFLATE (RFC 4978). */
IMAP4_API int imap4_compress(imap4 *h);
/* NOTIFY SET <spec> / NOTIFY NONE (spec NULL) (RFC 5465). spec is sent as
 * written ("(selected (MessageNew (UID) FlagChange)) (personal
 * (MailboxName))"); an empty one or one holding CR, LF or NUL is
 * IMAP4_EINVAL and nothing is sent. IMAP4_OK, IMAP4_NO, or IMAP4_EBAD for
 * a spec the server cannot parse; after a refusal the handle goes on
 * (Dovecot keeps the events set before). The news comes as untagged
 * responses, to imap4_idle's or imap4_wait's callback, or, during other
 * commands, to the unsolicited callback or the command's data: STATUS of
 * other mailboxes (imap4_status_parse), EXISTS, EXPUNGE and FETCH of the
 * selected one (imap4_msg_parse), LIST of a created, renamed (OLDNAME)
 * or deleted (\NonExistent) mailbox (imap4_list_parse). Dovecot 2.3
 * names mailboxes in this news in UTF-8, not modified UTF-7; the views
 * give UTF-8 for both. It sends the selected mailbox's news only while
 * idling (imap4_wait hears the other mailboxes'). NOTIFY NONE stops all
 * events, the selected mailbox's included: an IDLE then hears nothing. */
IMAP4_API int imap4_notify(imap4 *h, const char *spec);
/* Waits for unsolicited responses without a command (after NOTIFY), handing
 * each to cb until timeout_ms passes (< 0: no limit), cb returns > 0, or
 * imap4_wake(). Each of those ends it with IMAP4_OK; a negative return of
 * cb with IMAP4_ECALLBACK, after the response in hand. What cb is handed
 * is not kept for imap4_response(), as with imap4_idle. */
IMAP4_API int imap4_wait(imap4 *h, int timeout_ms, imap4_untagged_cb cb,
			 void *payload);

#ifdef __cplusplus
}
#endif
#endif
