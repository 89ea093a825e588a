/* sasl.h - sans-I/O SASL client mechanisms for AUTHENTICATE.
 *
 * The command layer owns the exchange: it base64-decodes each server
 * challenge, hands the raw bytes to imap4_sasl_step and base64-encodes what
 * comes out. Nothing here reads, writes, logs or keeps caller pointers.
 *
 *	imap4_sasl_new(&s, "SCRAM-SHA-256", NULL, user, password);
 *	if (imap4_sasl_client_first(s) && server has SASL-IR)
 *		imap4_sasl_step(s, NULL, 0, &msg);        // initial response
 *	for each "+ <base64>" challenge:
 *		imap4_sasl_step(s, decoded, n, &msg);     // send base64(msg)
 *	on the tagged OK: refuse it unless imap4_sasl_server_verified(s)
 *	imap4_sasl_free(&s);
 *
 * Messages appended to out may hold secrets (PLAIN carries the password):
 * the caller wipes out (imap4_buf_wipe) once it has been sent.
 */
#ifndef IMAP4_PROTO_SASL_H
#define IMAP4_PROTO_SASL_H

#include "imap4.h"
#include "util/buf.h"

#include <stdbool.h>
#include <stddef.h>

struct imap4_sasl;

/* mechanism: "PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-256", "SCRAM-SHA-1",
 * "XOAUTH2", "OAUTHBEARER" (case-insensitive); authzid may be NULL or ""
 * for none; secret is a password or an OAuth access token. Copies what it
 * needs (the secret into memory wiped on free). IMAP4_EINVAL for an unknown
 * mechanism, a NULL user or secret, a user containing ^A for the OAuth
 * mechanisms, or a token outside RFC 6750's b64token characters;
 * IMAP4_ENOMEM. On error *out is NULL. */
int imap4_sasl_new(struct imap4_sasl **out, const char *mechanism,
                   const char *authzid, const char *user, const char *secret);

/* Whether the mechanism sends first (usable with SASL-IR, RFC 4959):
 * PLAIN, SCRAM-*, XOAUTH2 and OAUTHBEARER. */
bool imap4_sasl_client_first(const struct imap4_sasl *s);

/* The next client message (raw bytes, not base64) appended to out, for the
 * decoded server challenge (NULL, 0 for the initial response; a
 * client-first mechanism also accepts an empty first challenge, as sent by
 * a server without SASL-IR). 0 on success (the message may be empty),
 * IMAP4_EPROTO for a malformed or unexpected challenge, a step after the
 * exchange ended, or a wrong server signature (SCRAM); IMAP4_ENOMEM or
 * IMAP4_ELIMIT from out. After an error the exchange is over: later steps
 * fail with IMAP4_EPROTO. */
int imap4_sasl_step(struct imap4_sasl *s, const void *challenge, size_t clen,
                    struct imap4_buf *out);

/* Whether the server proved itself where the mechanism can (SCRAM: its v=
 * signature was checked); true for mechanisms without server proof. The
 * command layer refuses a tagged OK when this is false. */
bool imap4_sasl_server_verified(const struct imap4_sasl *s);

/* After imap4_sasl_step failed with IMAP4_EPROTO: what was wrong with the
 * server's message, for people ("the server's nonce does not extend
 * ours"); a static string. */
const char *imap4_sasl_why(const struct imap4_sasl *s);

/* Wipes every secret and frees; NULL is a no-op; sets *s to NULL. */
void imap4_sasl_free(struct imap4_sasl **s);

/* Tests only: replaces the random SCRAM client nonce (printable ASCII
 * without ",", 1..64 characters) so that published test vectors can be
 * replayed. Must be called before the first step. IMAP4_EINVAL otherwise
 * or for a mechanism other than SCRAM. */
int imap4_sasl_set_nonce_for_test(struct imap4_sasl *s, const char *nonce);

#endif
