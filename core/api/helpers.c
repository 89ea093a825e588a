/* helpers.c - COMPRESS, imap4_command() and imaplib's transport hooks. */
#include "api/internal.h"
#include "util/quote.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int imap4_compress(imap4 *h)
{
	struct imap4_run run = {
	        .expect = NULL, .no_is_error = false, .limit_aborts = true};
	struct imap4_transport *z = NULL;
	int rc = imap4_cmd_start(h, IMAP4_ANY_STATE, "COMPRESS");

	if (rc)
		return rc;
	if (h->compressed)
		return imap4_fail(h, IMAP4_EINVAL, "COMPRESS: already active");
	if (!imap4_session_has_cap(&h->sess, "COMPRESS=DEFLATE"))
		return imap4_fail(
		        h, IMAP4_ECAPA,
		        "the server does not support COMPRESS=DEFLATE");
	imap4_cmd_atom(&h->cmd, "DEFLATE");
	rc = imap4_run(h, &run);
	if (rc)
		return rc;
	/* RFC 4978 3: the server compresses from the byte after its OK. The
	 * reader stops right after a complete response, so nothing of what
	 * follows was parsed; bytes we already hold go to the new layer. */
	if (imap4_reader_pending(&h->rd))
		return imap4_fail(h, IMAP4_EPROTO,
		                  "COMPRESS: a response cut by the OK");
	rc = imap4_deflate_open(&z, h->t);
	/* The deflate layer owns the old stack now, also when it failed. */
	h->t = z;
	if (rc)
		return imap4_fail(h, rc, "COMPRESS: %s", imap4_strerror(rc));
	if (h->rpos < h->rlen) {
		rc = imap4_deflate_prime(z, h->rbuf + h->rpos, h->rlen - h->rpos);
		if (rc)
			return imap4_fail(h, rc, "COMPRESS: %s",
			                  imap4_strerror(rc));
		h->rpos = h->rlen = 0;
	}
	h->compressed = true;
	return IMAP4_OK;
}

/* imap4_command's format: spaces separate, "(" and ")" group, "%x" takes
 * a typed argument, "%%" is a "%" of the text (LIST's wildcard), any
 * other word is raw text; pieces written without a space between them
 * make one argument ("%u:*"). */
static int format_arg(imap4 *h, char spec, va_list *ap)
{
	struct imap4_cmd *c = &h->cmd;

	switch (spec) {
	case 'a':
		return imap4_cmd_atom(c, va_arg(*ap, const char *));
	case 's':
		return imap4_cmd_astring(c, va_arg(*ap, const char *));
	case 'm':
		return imap4_cmd_mailbox(c, va_arg(*ap, const char *));
	case 'q':
		return imap4_cmd_quoted(c, va_arg(*ap, const char *));
	case 'l': {
		const char *p = va_arg(*ap, const char *);
		size_t n = va_arg(*ap, size_t);

		return imap4_cmd_literal(c, p, n);
	}
	case 'r':
		return imap4_cmd_raw(c, va_arg(*ap, const char *));
	case 'u':
		return imap4_cmd_u32(c, va_arg(*ap, uint32_t));
	case 'U':
		return imap4_cmd_u64(c, va_arg(*ap, uint64_t));
	case 'S':
		return imap4_cmd_seqset(c, va_arg(*ap, const char *));
	}
	return IMAP4_EINVAL;
}

/* Where a format was refused: a caller with three %s needs to know which
 * one, and what is wrong with it, not only that one was. */
struct format_fault {
	enum {
		FAULT_NONE,
		FAULT_ARG,  /* argument argno, of conversion spec */
		FAULT_SPEC, /* "%" and spec, no conversion */
		FAULT_LONE, /* "%" at the end of the format */
		FAULT_TEXT, /* the format's own word text */
	} kind;
	unsigned argno; /* arguments taken so far, from 1 */
	char spec;
	const char *text;
	size_t textlen;
};

static int format_args(imap4 *h, const char *f, va_list *ap,
                       struct format_fault *fault)
{
	char word[256];
	int rc = 0;

	bool glued = false;

	while (*f && rc == 0) {
		size_t n = 0;

		fault->kind = FAULT_NONE;
		if (*f == ' ') {
			f++;
			glued = false;
			continue;
		}
		if (glued && *f != ')')
			imap4_cmd_glue(&h->cmd);
		glued = *f != '(';
		if (*f == '(') {
			rc = imap4_cmd_open(&h->cmd);
			f++;
		} else if (*f == ')') {
			rc = imap4_cmd_close(&h->cmd);
			f++;
		} else if (f[0] == '%' && f[1] == '%') {
			rc = imap4_cmd_raw(&h->cmd, "%");
			f += 2;
		} else if (*f == '%') {
			fault->spec = f[1];
			if (f[1] == '\0') {
				fault->kind = FAULT_LONE;
				return IMAP4_EINVAL;
			}
			if (!strchr("asmqlruUS", f[1])) {
				fault->kind = FAULT_SPEC;
				return IMAP4_EINVAL;
			}
			fault->kind = FAULT_ARG;
			fault->argno++;
			rc = format_arg(h, f[1], ap);
			f += 2;
		} else {
			while (f[n] && !strchr(" ()%", f[n]))
				n++;
			fault->kind = FAULT_TEXT;
			fault->text = f;
			fault->textlen = n;
			if (n >= sizeof(word))
				return IMAP4_EINVAL;
			memcpy(word, f, n);
			word[n] = '\0';
			rc = imap4_cmd_raw(&h->cmd, word);
			f += n;
		}
	}
	return rc;
}

/* Says why format_args refused, and which argument. */
static int format_fail(imap4 *h, const char *name, int rc,
                       const struct format_fault *fault)
{
	const char *why = h->cmd.why ? h->cmd.why : imap4_strerror(rc);
	char shown[64];

	if (rc != IMAP4_EINVAL)
		return imap4_fail(h, rc, "%s: %s; nothing was sent", name,
		                  imap4_strerror(rc));
	switch (fault->kind) {
	case FAULT_ARG:
		return imap4_fail(h, rc,
		                  "%s: argument %u (%%%c) refused: %s; nothing "
		                  "was sent",
		                  name, fault->argno, fault->spec, why);
	case FAULT_SPEC:
		return imap4_fail(h, rc,
		                  "%s: \"%%%c\" is no conversion of the format "
		                  "(%%a %%s %%m %%q %%l %%r %%u %%U %%S, and "
		                  "%%%% for a %%); nothing was sent",
		                  name, fault->spec);
	case FAULT_LONE:
		return imap4_fail(
		        h, rc,
		        "%s: a lone %% at the end of the format (%%%% "
		        "writes one); nothing was sent",
		        name);
	case FAULT_TEXT:
		imap4_quote_start(shown, sizeof(shown), fault->text,
		                  fault->textlen);
		return imap4_fail(h, rc,
		                  "%s: the format's text \"%s\" refused: %s; "
		                  "nothing was sent",
		                  name, shown,
		                  fault->textlen >= 256
		                          ? "a word of over 255 bytes (give "
		                            "it with %r)"
		                          : why);
	case FAULT_NONE:
		break;
	}
	return imap4_fail(h, rc, "%s: the format refused: %s; nothing was sent",
	                  name, why);
}

int imap4_command(imap4 *h, imap4_untagged_cb cb, void *payload,
                  const char *fmt, ...)
{
	struct imap4_run run = {.expect = NULL, .cb = cb, .payload = payload};
	struct format_fault fault = {0};
	char name[64];
	size_t n;
	va_list ap;
	int rc = imap4_begin(h, "imap4_command");

	if (rc)
		return rc;
	if (fmt == NULL)
		return imap4_fail(h, IMAP4_EINVAL, "command: no format");
	n = strcspn(fmt, " ");
	if (n == 0 || n >= sizeof(name))
		return imap4_fail(h, IMAP4_EINVAL, "command: bad name");
	memcpy(name, fmt, n);
	name[n] = '\0';
	rc = imap4_cmd_start(h, IMAP4_ANY_STATE, name);
	if (rc)
		return rc;
	va_start(ap, fmt);
	rc = format_args(h, fmt + n, &ap, &fault);
	va_end(ap);
	if (rc)
		return format_fail(h, name, rc, &fault);
	return imap4_run(h, &run);
}

/* ---- imaplib's transport hooks: bytes past the parser */

ssize_t imap4_read(imap4 *h, void *buf, size_t n)
{
	int64_t deadline;
	size_t got = 0;
	int rc = imap4_enter(h, "imap4_read");

	if (rc)
		return rc;
	deadline = imap4_deadline(h->opts.timeout_ms);
	if (h->dead || h->t == NULL)
		return imap4_fail(h, IMAP4_ECLOSED, NULL);
	while (got < n) {
		ssize_t r;

		if (h->rpos < h->rlen) {
			size_t k = h->rlen - h->rpos;

			if (k > n - got)
				k = n - got;
			memcpy((char *)buf + got, h->rbuf + h->rpos, k);
			h->rpos += k;
			got += k;
			continue;
		}
		r = imap4_transport_read(h->t, (char *)buf + got, n - got,
		                         deadline);
		if (r == IMAP4_EEOF)
			break;
		if (r < 0)
			return imap4_fail(h, (int)r, "read: %s",
			                  imap4_strerror((int)r));
		got += (size_t)r;
		h->bytes_in += (uint64_t)r;
	}
	return (ssize_t)got;
}

/* Refills the handle's buffer, which readline reads through: 0, IMAP4_EEOF,
 * or < 0 with the handle failed. */
static int fill_rbuf(imap4 *h, int64_t deadline)
{
	ssize_t r;

	/* A server that keeps bytes coming would never let the read below
	 * meet the deadline: it is checked before each one (RELIABILITY rule
	 * 5: a total deadline, not an inactivity timer). */
	if (deadline >= 0 && imap4_now_ms() >= deadline)
		r = IMAP4_ETIMEOUT;
	else
		r = imap4_transport_read(h->t, h->rbuf, IMAP4_RBUF_SIZE,
		                         deadline);
	if (r == IMAP4_EEOF)
		return IMAP4_EEOF;
	if (r == IMAP4_ETIMEOUT)
		return imap4_fail(h, IMAP4_ETIMEOUT,
		                  "readline: no whole line within %d ms",
		                  h->opts.timeout_ms);
	if (r < 0)
		return imap4_fail(h, (int)r, "read: %s",
		                  imap4_strerror((int)r));
	h->rpos = 0;
	h->rlen = (size_t)r;
	h->bytes_in += (uint64_t)r;
	return 0;
}

/* A block at a time through the handle's buffer, whose bytes past the line
 * stay there for the next read or response: a read(2) a byte made a 4 MB
 * line 2.5 million system calls (explore75). */
int imap4_readline(imap4 *h, char **out, size_t *len)
{
	struct imap4_buf line;
	int64_t deadline;
	bool eol = false;
	int rc = imap4_enter(h, "imap4_readline");

	if (rc)
		return rc;
	if (out == NULL)
		return imap4_fail(h, IMAP4_EINVAL, "readline: no out");
	*out = NULL;
	if (h->dead || h->t == NULL)
		return imap4_fail(h, IMAP4_ECLOSED, NULL);
	/* One deadline for the whole line: a server sending a byte just
	 * within each timeout held the call for ever. */
	deadline = imap4_deadline(h->opts.timeout_ms);
	imap4_buf_init(&line, h->opts.limits.max_line);
	while (!eol) {
		const char *p, *nl;
		size_t k;

		if (h->rpos == h->rlen) {
			rc = fill_rbuf(h, deadline);
			if (rc == IMAP4_EEOF) {
				rc = 0;
				break;
			}
			if (rc)
				break;
		}
		p = h->rbuf + h->rpos;
		nl = memchr(p, '\n', h->rlen - h->rpos);
		k = nl ? (size_t)(nl - p) + 1 : h->rlen - h->rpos;
		rc = imap4_buf_append(&line, p, k);
		if (rc == IMAP4_ELIMIT)
			rc = imap4_fail(h, rc,
			                "readline: line longer than "
			                "limits.max_line (%zu bytes)",
			                h->opts.limits.max_line);
		else if (rc)
			rc = imap4_fail(h, rc, "readline: %s",
			                imap4_strerror(rc));
		if (rc)
			break;
		h->rpos += k;
		eol = nl != NULL;
	}
	if (rc) {
		imap4_buf_clear(&line);
		return rc;
	}
	*out = imap4_buf_steal(&line, len);
	return *out ? 0 : imap4_fail(h, IMAP4_ENOMEM, NULL);
}

int imap4_send(imap4 *h, const void *data, size_t len)
{
	int rc = imap4_enter(h, "imap4_send");

	if (rc)
		return rc;
	if (data == NULL && len > 0)
		return imap4_fail(h, IMAP4_EINVAL, "send: no data");
	if (h->dead || h->t == NULL)
		return imap4_fail(h, IMAP4_ECLOSED, NULL);
	return imap4_write(h, data, len, SIZE_MAX,
	                   imap4_deadline(h->opts.timeout_ms));
}

int imap4_shutdown(imap4 *h)
{
	int rc = imap4_enter(h, "imap4_shutdown");

	if (rc)
		return rc;
	imap4_drop_transport(h);
	h->state = IMAP4_STATE_LOGOUT;
	return 0;
}

int imap4_set_cancel(imap4 *h, int fd)
{
	if (h == NULL)
		return IMAP4_EINVAL;
	if (h->dead || h->t == NULL)
		return imap4_fail(h, IMAP4_ECLOSED, "imap4_set_cancel: %s",
		                  h->dead ? imap4_strerror(h->dead_code)
		                          : "no connection");
	if (imap4_transport_set_cancel(h->t, fd) < 0)
		return imap4_fail(h, IMAP4_EINVAL,
		                  "imap4_set_cancel: this transport cannot "
		                  "watch a descriptor");
	return 0;
}

int imap4_socket(const imap4 *h)
{
	return h && h->t ? h->t->fd : -1;
}
