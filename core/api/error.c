/* error.c - error codes, their imaplib classes and their names. */
#include "imap4.h"

#include <string.h>

enum imap4_class imap4_error_class(int code)
{
	if (code >= 0)
		return IMAP4_CLASS_NONE;
	if (code == IMAP4_EREADONLY)
		return IMAP4_CLASS_READONLY;
	if (code > IMAP4_ENOMEM)
		return IMAP4_CLASS_ERROR;
	return IMAP4_CLASS_ABORT;
}

const char *imap4_strerror(int code)
{
	switch (code) {
	case IMAP4_OK:
		return "success";
	case IMAP4_NO:
		return "server said NO";
	case IMAP4_EINVAL:
		return "invalid argument";
	case IMAP4_ESTATE:
		return "command not allowed in this state";
	case IMAP4_EBAD:
		return "server said BAD";
	case IMAP4_ENO:
		return "server refused";
	case IMAP4_ECAPA:
		return "server lacks the capability";
	case IMAP4_ECALLBACK:
		return "callback failed";
	case IMAP4_ENOMEM:
		return "out of memory";
	case IMAP4_EIO:
		return "I/O error";
	case IMAP4_EEOF:
		return "connection closed by server";
	case IMAP4_ECONNECT:
		return "cannot connect";
	case IMAP4_ERESOLVE:
		return "cannot resolve host name";
	case IMAP4_ETLS:
		return "TLS error";
	case IMAP4_ECERT:
		return "certificate verification failed";
	case IMAP4_ETIMEOUT:
		return "timed out";
	case IMAP4_EPROTO:
		return "protocol violation by server";
	case IMAP4_ELIMIT:
		return "a configured limit was reached";
	case IMAP4_EBYE:
		return "server said BYE";
	case IMAP4_EINJECT:
		return "data injected before TLS handshake";
	case IMAP4_ETLSREQ:
		return "TLS required but not available";
	case IMAP4_ECOMPRESS:
		return "compression error";
	case IMAP4_ECLOSED:
		return "connection already aborted";
	case IMAP4_ECANCELED:
		return "cancelled";
	case IMAP4_EREADONLY:
		return "mailbox is read-only";
	}
	return "unknown error";
}

void imap4_memzero(void *p, size_t n)
{
	/* explicit_bzero is memset's kin: a NULL pointer is undefined even
	 * for 0 bytes, and an empty buffer never allocated is NULL. */
	if (!p || n == 0)
		return;
	explicit_bzero(p, n);
}
