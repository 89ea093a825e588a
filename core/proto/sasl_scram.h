/* sasl_scram.h - SCRAM client (RFC 5802, RFC 7677), used by sasl.c.
 *
 * Internal to libimap4. Without channel binding: the GS2 header is "n,,"
 * (or "n,a=<authzid>,"). Every key derived from the password lives on the
 * stack of one call and is wiped before it returns; only the expected
 * server signature is kept, and wiped by imap4_scram_clear.
 */
#ifndef IMAP4_PROTO_SASL_SCRAM_H
#define IMAP4_PROTO_SASL_SCRAM_H

#include "util/buf.h"

#include <stdbool.h>
#include <stddef.h>

#define IMAP4_SCRAM_NONCE_MAX 64
#define IMAP4_SCRAM_HASH_MAX  32

/* RFC 7677 4 asks for at least 4096 iterations. Fewer would let a fake
 * server collect a proof that is cheap to attack offline; far more would
 * let it pin our CPU. */
#define IMAP4_SCRAM_ITER_MIN 4096
#define IMAP4_SCRAM_ITER_MAX 1000000

struct imap4_scram {
	int mac;     /* gnutls_mac_algorithm_t */
	size_t hlen; /* bytes of its output */
	char nonce[IMAP4_SCRAM_NONCE_MAX + 1];
	struct imap4_buf gs2;  /* GS2 header, sent back in c= */
	struct imap4_buf auth; /* AuthMessage, built along the way */
	size_t bare_len;       /* client-first-message-bare within auth */
	unsigned char server_sig[IMAP4_SCRAM_HASH_MAX];
	const char *why; /* what was wrong with the last challenge refused
	                    (IMAP4_EPROTO), a static string; NULL */
};

/* sha256 picks SCRAM-SHA-256, else SCRAM-SHA-1. Draws a random nonce
 * (IMAP4_ENOMEM when the generator fails). The nonce may be replaced in
 * sc->nonce before imap4_scram_client_first. */
int imap4_scram_init(struct imap4_scram *sc, bool sha256);

/* Wipes and frees what sc holds. */
void imap4_scram_clear(struct imap4_scram *sc);

/* client-first-message appended to out; authzid NULL or "" for none.
 * 0, IMAP4_ENOMEM or IMAP4_ELIMIT. */
int imap4_scram_client_first(struct imap4_scram *sc, const char *authzid,
                             const char *user, struct imap4_buf *out);

/* Checks the server-first-message and appends the client-final-message.
 * IMAP4_EPROTO for a malformed message, a nonce that does not extend ours,
 * a mandatory extension, or an iteration count out of bounds. */
int imap4_scram_client_final(struct imap4_scram *sc, const char *password,
                             const void *challenge, size_t clen,
                             struct imap4_buf *out);

/* Checks the server-final-message. 0 with *verified true when v= matches;
 * 0 with *verified false for "e=" (the server refused: its tagged NO
 * follows); IMAP4_EPROTO for a wrong signature or a malformed message. */
int imap4_scram_server_final(struct imap4_scram *sc, const void *challenge,
                             size_t clen, bool *verified);

#endif
