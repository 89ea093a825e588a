/* internal.h - the imap4 handle and the command runner shared by api/.
 *
 * api/ is the only layer that joins the sans-I/O protocol code (proto/) to
 * the transports (io/): io.c reads bytes from the transport, feeds the
 * reader, shows each response to the session and routes it, and writes the
 * segments the encoder produced, all under one deadline per command.
 */
#ifndef IMAP4_API_INTERNAL_H
#define IMAP4_API_INTERNAL_H

#include "imap4.h"
#include "io/transport.h"
#include "proto/encode.h"
#include "proto/reader.h"
#include "proto/session.h"
#include "util/arena.h"

#include <stdbool.h>
#include <stdint.h>

#define IMAP4_RBUF_SIZE (64u * 1024)

/* A command's result; views live in arena. */
struct result {
	struct imap4_arena arena;
	const imap4_resp **data;
	size_t ndata, adata;
	size_t data_bytes; /* counted against limits.max_untagged */
	/* What passed max_untagged in this command (OVER_*); the responses
	 * from there on are read and dropped, counted in dropped. */
	unsigned over_limit;
	size_t dropped;
	const imap4_resp *completion;
};

struct imap4 {
	struct imap4_opts opts; /* strings below point to owned copies */
	char *ca_file, *pin_sha256, *servername, *host;
	struct imap4_transport *t; /* NULL once closed */
	struct imap4_reader rd;
	char *rbuf; /* bytes read, not yet fed: [rpos, rlen) */
	size_t rpos, rlen;
	uint64_t bytes_in; /* read from the transport since the handle began */
	int wake_fd; /* eventfd written by imap4_wake() */

	enum imap4_state state;
	bool dead; /* an abort-class error happened */
	bool logged_out; /* imap4_logout ended the session */
	int dead_code;
	bool tls, compressed, readonly;
	/* A READ-ONLY came with the mailbox selected read-write: the command
	 * under way ends with IMAP4_EREADONLY (imaplib's readonly). */
	bool became_readonly;
	bool trace_secret; /* an AUTHENTICATE exchange: "+" lines are
	                      traced as "+ ***" */
	char *welcome;
	struct imap4_session sess;

	char tag_prefix[17];
	unsigned long tag_num;
	char tag[40]; /* tag of the command in flight */
	struct imap4_cmd cmd;
	char cmd_name[24]; /* its name, for the refusals below */
	/* A command, IDLE or imap4_wait is in progress: the caller's
	 * callbacks run inside it, and a call they make on the handle would
	 * send a command in the middle of this one (imap4_enter refuses). */
	bool busy;
	/* The command begun by imap4_cmd_start has not written a byte yet:
	 * its first write forgets the cached OK, NO and BAD (imap4_write). */
	bool unsent;
	/* A DONE went out, and the IDLE's completion came back: a server
	 * that had ended the IDLE on its own before the DONE reached it
	 * reads that DONE as a command tagged "DONE" and answers it
	 * ("DONE BAD ..."), after the completion. The next tagged response
	 * says whether that happened; until then one tagged "DONE" is
	 * dropped (imap4_next_response). */
	bool done_answer;

	struct result res; /* the last command's */

	struct imap4_error_info err;
	char errmsg[512];
	char *server_code, *server_text;

	imap4_untagged_cb unsol;
	void *unsol_payload;
	imap4_literal_sink sink;
	void *sink_payload;
};

/* What a command expects and how its responses are routed. */
/* How long LOGOUT waits for its tagged OK (or the close) after the
 * server's BYE: a server that keeps the connection open past its farewell
 * costs this, not the whole command timeout. */
#define BYE_GRACE_MS 2000

struct imap4_run {
	/* Untagged names (upper case) this command asked for; NULL-terminated.
	 * NULL means every response is the command's. Others go to the
	 * unsolicited callback first. */
	const char *const *expect;
	/* Names popped from imap4_response()'s cache when the server
	 * completes the command with OK (imaplib's _untagged_response);
	 * NULL-terminated, or NULL. See imap4_imaplib_pops(). */
	const char *const *pops;
	imap4_untagged_cb cb; /* the command's own callback, or NULL */
	void *payload;
	imap4_msg_cb msg_cb; /* imap4_fetch_each: typed FETCH */
	void *msg_payload;
	bool no_is_error; /* NO is IMAP4_ENO (login, starttls, ...) */
	bool bye_ok;      /* LOGOUT: BYE is the expected farewell */
	bool secret_cont; /* the exchange is secret: trace "***" */
	bool selects;     /* SELECT/EXAMINE: READ-ONLY is its answer */
	/* Its success changes the session (LOGIN, AUTHENTICATE, SELECT,
	 * STARTTLS, COMPRESS): passing max_untagged aborts, since returning
	 * IMAP4_ELIMIT would leave our state behind the server's. */
	bool limit_aborts;
	/* Called for each "+" once the command's segments are sent (the
	 * AUTHENTICATE exchange); writes what it wants and returns 0, or < 0
	 * to end the command with that error. NULL: a "+" then is EPROTO. */
	int (*on_cont)(imap4 *h, struct imap4_run *run, const imap4_resp *resp);
	void *cont_state;
	/* The contents of a streamed literal (APPEND's message, its line
	 * ends made CRLF on the way), sent after segment body_after
	 * (counted from 1) of the command. */
	imap4_read_cb body_cb;
	size_t body_after;
	void *body_payload;
	uint64_t body_size;
	/* filled by the runner */
	int cb_error;     /* first failure of a callback */
	bool unsol_failed; /* the unsolicited callback failed: not called
	                      again for this command */
	char cb_why[128]; /* the response a typed view refused, quoted */
	int64_t deadline;
	/* Set by the caller: each untagged response moves the deadline to
	 * timeout_ms after it, never past end (an imap4_deadline, -1 none).
	 * Unset: the deadline is timeout_ms after the start. */
	bool renews;
	int64_t end;
};

#define IMAP4_ANY_STATE                                                        \
	((1u << IMAP4_STATE_NONAUTH) | (1u << IMAP4_STATE_AUTH) |              \
	 (1u << IMAP4_STATE_SELECTED))
#define IMAP4_AUTHED   ((1u << IMAP4_STATE_AUTH) | (1u << IMAP4_STATE_SELECTED))
#define IMAP4_SELECTED (1u << IMAP4_STATE_SELECTED)
#define IMAP4_NONAUTH  (1u << IMAP4_STATE_NONAUTH)

/* ---- imap4.c */

/* For tests over a socketpair: a handle on transport t (owned, also on
 * failure), reading the greeting, CAPABILITY and STARTTLS as opts says
 * (IMAP4_TLS_IMPLICIT is taken as already done by the caller). */
int imap4_open_transport(imap4 **out, struct imap4_transport *t,
                         const struct imap4_opts *opts);

/* Reads capabilities again with a CAPABILITY command. */
int imap4_refresh_caps(imap4 *h);

/* The same after a command (LOGIN, AUTHENTICATE, STARTTLS) whose result
 * stays the last command's: its completion, [ALERT] and all, is what its
 * caller reads, as imaplib's method returns it. The CAPABILITY's own
 * error, if it fails, is the last error. */
int imap4_refresh_caps_after(imap4 *h);

/* ---- io.c */

#define OVER_DATA       1u /* the untagged responses kept */
#define OVER_COMPLETION 2u /* the copy of the tagged completion */

/* The door of every public call that sends, reads or resets the result:
 * 0, and the last error cleared; IMAP4_EINVAL for a NULL handle;
 * IMAP4_ESTATE when a command of h is in progress (what is named: a call
 * from one of its callbacks), with only the last error set. */
int imap4_enter(imap4 *h, const char *what);

/* imap4_enter, then the previous result reset. */
int imap4_begin(imap4 *h, const char *what);

/* Clears the last error (a call that succeeded leaves none) and returns
 * IMAP4_OK. */
int imap4_ok(imap4 *h);

/* IMAP4_ELIMIT for what passed max_untagged in this command (OVER_*):
 * the handle stays usable unless abort is set. */
int imap4_limit_fail(imap4 *h, bool abort);

/* Starts a command: imap4_begin, checks the handle is alive and in one of
 * states, and begins h->cmd with a new tag and name. The caller adds
 * arguments and calls imap4_run(). */
int imap4_cmd_start(imap4 *h, unsigned states, const char *name);

/* Ends h->cmd, sends it and reads to its tagged completion. Returns
 * IMAP4_OK, IMAP4_NO (or IMAP4_ENO with run->no_is_error), IMAP4_EBAD,
 * IMAP4_ECALLBACK, or an abort-class error (the handle is then dead). */
int imap4_run(imap4 *h, struct imap4_run *run);

/* Takes the tagged completion of the command in flight: keeps a copy for
 * imap4_completion() and turns OK / NO / BAD into the command's result. */
int imap4_complete(imap4 *h, struct imap4_run *run, const imap4_resp *resp);

/* imap4_cmd_start + imap4_run for a command with no arguments. */
int imap4_simple(imap4 *h, unsigned states, const char *name,
                 const char *const *expect);

/* The next response within deadline. wake >= 0 also returns 2 when the
 * wake fd fires; 1 with *out set; IMAP4_ETIMEOUT; or < 0 (abort-class;
 * the handle is then dead). */
int imap4_next_response(imap4 *h, const imap4_resp **out, int64_t deadline,
                        bool wake);

/* Writes bytes to the transport, traced as the client ('C') unless
 * redact_from < len, in which case the bytes from there are "***". */
int imap4_write(imap4 *h, const void *data, size_t len, size_t redact_from,
                int64_t deadline);

/* Shows a response to the session (capabilities, cache) and checks BYE:
 * 0, or an abort-class error. */
int imap4_observe(imap4 *h, const imap4_resp *resp, bool bye_ok, bool remember);
/* Keeps resp's data for imap4_response(), for one observed without
 * remember: 0, or an abort-class error. */
int imap4_remember(imap4 *h, const imap4_resp *resp);

/* Keeps a copy of resp in the command's data. One that would pass
 * max_untagged is dropped instead, as is every later one of the command,
 * and noted in over_limit: 0 either way, or an abort-class error. */
int imap4_keep(imap4 *h, const imap4_resp *resp);

/* Routes one untagged response of a command (see struct imap4_run). */
int imap4_route(imap4 *h, struct imap4_run *run, const imap4_resp *resp);

/* Records an error in the handle: abort-class codes kill it. Returns code.
 * fmt may be NULL for the code's standard message. */
int imap4_fail(imap4 *h, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Records a NO or BAD completion's code and text in the last error. */
void imap4_set_server_error(imap4 *h, int code, const imap4_resp *resp);

/* Resets the last command's data, completion and error. */
void imap4_result_reset(imap4 *h);

/* Sets up the reader again (after a transport change). */
void imap4_drop_transport(imap4 *h);

/* The encoder flags for the server's capabilities and ENABLE state. */
unsigned imap4_cmd_flags(const imap4 *h);

/* ---- commands.c */

/* The names imaplib's method for command pops from response()'s cache
 * once the server said OK (command as sent, upper case; UID's as "UID
 * FETCH", "UID SEARCH", ...), NULL-terminated, or NULL when it pops none. */
const char *const *imap4_imaplib_pops(const char *command);

/* ---- trace.c */

/* Hands a line to the trace callback with control characters escaped and
 * bytes from redact_from on shown as "***"; nothing when no trace is set. */
void imap4_trace(imap4 *h, char dir, const char *data, size_t len,
                 size_t redact_from);

/* ---- auth.c / idle.c helpers used elsewhere */

/* After LOGIN or AUTHENTICATE succeeded: state AUTH, capabilities from
 * [CAPABILITY] if the completion carried them, else asked again. */
int imap4_after_auth(imap4 *h, unsigned caps_gen_before);

#endif
