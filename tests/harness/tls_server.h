/* tls_server.h - test certificates and a GnuTLS server in a thread.
 *
 * tls_pki_new() makes, in memory and in a temporary folder, a CA and a
 * server certificate it signed (EC P-256, valid from an hour ago for a day;
 * SAN DNS:localhost, IP:127.0.0.1 and IP:::1; Extended Key Usage TLS
 * server), with the CA's PEM in a file for ca_file and the server
 * certificate's SHA-256 pin; tls_pki_new_kind() makes variants of the
 * server certificate that a client must refuse, or take. tls_server_start()
 * runs a TLS server on one connected fd in a thread: it echoes, or misbehaves
 * on purpose. Test code only: failures are reported, never hidden, and every
 * object is freed by its _free/_join.
 */
#ifndef HARNESS_TLS_SERVER_H
#define HARNESS_TLS_SERVER_H

#include <gnutls/gnutls.h>
#include <stdbool.h>

struct tls_pki {
	char dir[64];     /* temporary folder, removed by _free */
	char ca_file[96]; /* PEM of the CA certificate */
	char pin[80];     /* "sha256:<64 lower-case hex>" of the server
	                     certificate's DER */
	gnutls_certificate_credentials_t server_cred; /* chain + key */
};

/* The server certificate of a pki: the CA and everything else are alike. */
enum tls_pki_kind {
	TLS_PKI_SERVER,      /* the one above */
	TLS_PKI_CLIENT_ONLY, /* Extended Key Usage TLS client only */
	TLS_PKI_NO_EKU,      /* no Extended Key Usage: any purpose */
	TLS_PKI_RSA1024,     /* an RSA key of 1024 bits (80-bit security) */
	TLS_PKI_RSA2048,     /* an RSA key of 2048 bits (112-bit security) */
};

/* 0 with *out, or -1 with a message in err. */
int tls_pki_new(struct tls_pki **out, char *err, size_t errlen);
int tls_pki_new_kind(struct tls_pki **out, enum tls_pki_kind kind, char *err,
                     size_t errlen);
/* Removes the files and frees everything; NULL is a no-op. */
void tls_pki_free(struct tls_pki **pki);

enum tls_server_mode {
	TLS_SERVER_ECHO,      /* handshake, echo until EOF, close_notify */
	TLS_SERVER_STALL,     /* read the ClientHello, answer nothing, wait
	                         for the client to close */
	TLS_SERVER_TLS11,     /* offer TLS 1.1 only */
	TLS_SERVER_HANGUP,    /* read the ClientHello, then close */
	TLS_SERVER_CLEARTEXT, /* read the ClientHello, answer with an IMAP
	                         greeting in cleartext, wait for the close */
	TLS_SERVER_GARBAGE,   /* handshake, send "* OK hi\r\n", then bytes
	                         that are no TLS record, wait for the close */
	TLS_SERVER_CUT,       /* handshake, send "* OK hi\r\n", then close
	                         without close_notify */
};

struct tls_server;

/* Starts a thread serving fd (a connected socket it owns from now on, also
 * on failure) in mode with pki's certificate. 0, or -1. */
int tls_server_start(struct tls_server **out, const struct tls_pki *pki, int fd,
                     enum tls_server_mode mode);

/* Waits for the thread to end and frees it. The server's result: 0 when it
 * did what its mode says (for ECHO: a handshake and echo until EOF), or
 * the GnuTLS error code that ended it. */
int tls_server_join(struct tls_server **s);

/* Server side handshake on a blocking connected fd (not owned), for fake
 * servers that speak cleartext first (STARTTLS). *out is the session for
 * gnutls_record_send/recv, freed with gnutls_deinit. priority NULL means
 * "NORMAL". 0, or the GnuTLS error code. */
int tls_server_handshake(gnutls_session_t *out, const struct tls_pki *pki,
                         int fd, const char *priority);

#endif
