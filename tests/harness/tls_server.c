/* tls_server.c - test certificates and a GnuTLS server in a thread. */
#include "harness/tls_server.h"

#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct keycert {
	gnutls_x509_privkey_t key;
	gnutls_x509_crt_t crt;
};

static void keycert_clear(struct keycert *kc)
{
	if (kc->crt)
		gnutls_x509_crt_deinit(kc->crt);
	if (kc->key)
		gnutls_x509_privkey_deinit(kc->key);
	kc->crt = NULL;
	kc->key = NULL;
}

/* A key and a certificate with the fields every certificate here shares;
 * the caller adds its extensions and signs. The key is EC P-256, or RSA
 * of rsa_bits when that is not 0. */
static int keycert_init(struct keycert *kc, const char *dn, unsigned serial,
                        unsigned rsa_bits)
{
	unsigned char sn[4] = {0, 0, 0, (unsigned char)serial};
	time_t now = time(NULL);
	int rc;

	memset(kc, 0, sizeof(*kc));
	if ((rc = gnutls_x509_privkey_init(&kc->key)) < 0 ||
	    (rc = gnutls_x509_privkey_generate(
	             kc->key, rsa_bits ? GNUTLS_PK_RSA : GNUTLS_PK_ECDSA,
	             rsa_bits
	                     ? rsa_bits
	                     : GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1),
	             0)) < 0 ||
	    (rc = gnutls_x509_crt_init(&kc->crt)) < 0 ||
	    (rc = gnutls_x509_crt_set_version(kc->crt, 3)) < 0 ||
	    (rc = gnutls_x509_crt_set_serial(kc->crt, sn, sizeof(sn))) < 0 ||
	    (rc = gnutls_x509_crt_set_activation_time(kc->crt, now - 3600)) <
	            0 ||
	    (rc = gnutls_x509_crt_set_expiration_time(kc->crt, now + 86400)) <
	            0 ||
	    (rc = gnutls_x509_crt_set_dn(kc->crt, dn, NULL)) < 0 ||
	    (rc = gnutls_x509_crt_set_key(kc->crt, kc->key)) < 0) {
		keycert_clear(kc);
		return rc;
	}
	return 0;
}

static int subject_key_id(gnutls_x509_crt_t crt, unsigned char *id, size_t *len)
{
	int rc = gnutls_x509_crt_get_key_id(crt, 0, id, len);

	if (rc < 0)
		return rc;
	return gnutls_x509_crt_set_subject_key_id(crt, id, *len);
}

static int make_ca(struct keycert *ca, unsigned char *id, size_t *idlen)
{
	int rc = keycert_init(ca, "CN=mailmirror test CA,O=mailmirror", 1, 0);

	if (rc < 0)
		return rc;
	if ((rc = gnutls_x509_crt_set_basic_constraints(ca->crt, 1, -1)) < 0 ||
	    (rc = gnutls_x509_crt_set_key_usage(
	             ca->crt, GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN)) <
	            0 ||
	    (rc = subject_key_id(ca->crt, id, idlen)) < 0 ||
	    (rc = gnutls_x509_crt_sign2(ca->crt, ca->crt, ca->key,
	                                GNUTLS_DIG_SHA256, 0)) < 0)
		keycert_clear(ca);
	return rc;
}

static int set_purpose(gnutls_x509_crt_t crt, enum tls_pki_kind kind)
{
	if (kind == TLS_PKI_NO_EKU)
		return 0;
	return gnutls_x509_crt_set_key_purpose_oid(
	        crt,
	        kind == TLS_PKI_CLIENT_ONLY ? GNUTLS_KP_TLS_WWW_CLIENT
	                                    : GNUTLS_KP_TLS_WWW_SERVER,
	        0);
}

static int make_server(struct keycert *srv, const struct keycert *ca,
                       const unsigned char *ca_id, size_t ca_idlen,
                       enum tls_pki_kind kind)
{
	static const unsigned char loopback[4] = {127, 0, 0, 1};
	static const unsigned char loopback6[16] = {[15] = 1};
	unsigned rsa_bits = kind == TLS_PKI_RSA1024   ? 1024
	                    : kind == TLS_PKI_RSA2048 ? 2048
	                                              : 0;
	unsigned char id[64];
	size_t idlen = sizeof(id);
	int rc = keycert_init(srv, "CN=localhost,O=mailmirror", 2, rsa_bits);

	if (rc < 0)
		return rc;
	/* RSA may also encrypt the premaster of a TLS 1.2 RSA key exchange */
	if ((rc = gnutls_x509_crt_set_basic_constraints(srv->crt, 0, -1)) < 0 ||
	    (rc = gnutls_x509_crt_set_key_usage(
	             srv->crt, GNUTLS_KEY_DIGITAL_SIGNATURE |
	                               (rsa_bits ? GNUTLS_KEY_KEY_ENCIPHERMENT
	                                         : 0))) < 0 ||
	    (rc = set_purpose(srv->crt, kind)) < 0 ||
	    (rc = gnutls_x509_crt_set_subject_alt_name(
	             srv->crt, GNUTLS_SAN_DNSNAME, "localhost", 9,
	             GNUTLS_FSAN_APPEND)) < 0 ||
	    (rc = gnutls_x509_crt_set_subject_alt_name(
	             srv->crt, GNUTLS_SAN_IPADDRESS, loopback, sizeof(loopback),
	             GNUTLS_FSAN_APPEND)) < 0 ||
	    (rc = gnutls_x509_crt_set_subject_alt_name(
	             srv->crt, GNUTLS_SAN_IPADDRESS, loopback6,
	             sizeof(loopback6), GNUTLS_FSAN_APPEND)) < 0 ||
	    (rc = subject_key_id(srv->crt, id, &idlen)) < 0 ||
	    (rc = gnutls_x509_crt_set_authority_key_id(srv->crt, ca_id,
	                                               ca_idlen)) < 0 ||
	    (rc = gnutls_x509_crt_sign2(srv->crt, ca->crt, ca->key,
	                                GNUTLS_DIG_SHA256, 0)) < 0)
		keycert_clear(srv);
	return rc;
}

static int write_pem(const char *path, gnutls_x509_crt_t crt)
{
	gnutls_datum_t pem = {NULL, 0};
	FILE *f;
	int rc = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &pem);

	if (rc < 0)
		return rc;
	f = fopen(path, "w");
	if (!f) {
		gnutls_free(pem.data);
		return GNUTLS_E_FILE_ERROR;
	}
	rc = fwrite(pem.data, 1, pem.size, f) == pem.size ? 0
	                                                  : GNUTLS_E_FILE_ERROR;
	if (fclose(f) != 0)
		rc = GNUTLS_E_FILE_ERROR;
	gnutls_free(pem.data);
	return rc;
}

static int make_pin(char *out, size_t len, gnutls_x509_crt_t crt)
{
	gnutls_datum_t der = {NULL, 0};
	unsigned char hash[32];
	size_t i, used;
	int rc = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der);

	if (rc < 0)
		return rc;
	rc = gnutls_hash_fast(GNUTLS_DIG_SHA256, der.data, der.size, hash);
	gnutls_free(der.data);
	if (rc < 0)
		return rc;
	used = (size_t)snprintf(out, len, "sha256:");
	for (i = 0; i < sizeof(hash) && used + 2 < len; i++)
		used += (size_t)snprintf(out + used, len - used, "%02x",
		                         hash[i]);
	return 0;
}

int tls_pki_new(struct tls_pki **out, char *err, size_t errlen)
{
	return tls_pki_new_kind(out, TLS_PKI_SERVER, err, errlen);
}

int tls_pki_new_kind(struct tls_pki **out, enum tls_pki_kind kind, char *err,
                     size_t errlen)
{
	struct keycert ca = {0}, srv = {0};
	gnutls_x509_crt_t chain[2];
	unsigned char ca_id[64];
	size_t ca_idlen = sizeof(ca_id);
	struct tls_pki *pki = calloc(1, sizeof(*pki));
	const char *step = "allocate";
	int rc = GNUTLS_E_MEMORY_ERROR;

	*out = NULL;
	if (!pki)
		goto fail;
	snprintf(pki->dir, sizeof(pki->dir), "/tmp/mailmirror-tls.XXXXXX");
	step = "mkdtemp";
	if (!mkdtemp(pki->dir)) {
		pki->dir[0] = '\0';
		rc = GNUTLS_E_FILE_ERROR;
		goto fail;
	}
	snprintf(pki->ca_file, sizeof(pki->ca_file), "%s/ca.pem", pki->dir);
	step = "make the CA";
	if ((rc = make_ca(&ca, ca_id, &ca_idlen)) < 0)
		goto fail;
	step = "make the server certificate";
	if ((rc = make_server(&srv, &ca, ca_id, ca_idlen, kind)) < 0)
		goto fail;
	step = "write the CA file";
	if ((rc = write_pem(pki->ca_file, ca.crt)) < 0)
		goto fail;
	step = "hash the certificate";
	if ((rc = make_pin(pki->pin, sizeof(pki->pin), srv.crt)) < 0)
		goto fail;
	step = "set up the server credentials";
	chain[0] = srv.crt;
	chain[1] = ca.crt;
	if ((rc = gnutls_certificate_allocate_credentials(&pki->server_cred)) <
	            0 ||
	    (rc = gnutls_certificate_set_x509_key(pki->server_cred, chain, 2,
	                                          srv.key)) < 0)
		goto fail;
	keycert_clear(&srv);
	keycert_clear(&ca);
	*out = pki;
	return 0;
fail:
	snprintf(err, errlen, "tls_pki_new: %s: %s", step, gnutls_strerror(rc));
	keycert_clear(&srv);
	keycert_clear(&ca);
	tls_pki_free(&pki);
	return -1;
}

void tls_pki_free(struct tls_pki **p)
{
	struct tls_pki *pki = p ? *p : NULL;

	if (!pki)
		return;
	if (pki->server_cred)
		gnutls_certificate_free_credentials(pki->server_cred);
	if (pki->ca_file[0])
		unlink(pki->ca_file);
	if (pki->dir[0])
		rmdir(pki->dir);
	free(pki);
	*p = NULL;
}

int tls_server_handshake(gnutls_session_t *out, const struct tls_pki *pki,
                         int fd, const char *priority)
{
	gnutls_session_t s;
	int rc;

	*out = NULL;
	/* A client that gives up mid-session must not kill the test with
	 * SIGPIPE. */
	if ((rc = gnutls_init(&s, GNUTLS_SERVER | GNUTLS_NO_SIGNAL)) < 0)
		return rc;
	if ((rc = gnutls_priority_set_direct(s, priority ? priority : "NORMAL",
	                                     NULL)) < 0 ||
	    (rc = gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE,
	                                 pki->server_cred)) < 0) {
		gnutls_deinit(s);
		return rc;
	}
	gnutls_transport_set_int(s, fd);
	gnutls_handshake_set_timeout(s, 10000);
	do
		rc = gnutls_handshake(s);
	while (rc < 0 && !gnutls_error_is_fatal(rc));
	if (rc < 0) {
		gnutls_deinit(s);
		return rc;
	}
	*out = s;
	return 0;
}

struct tls_server {
	pthread_t thread;
	const struct tls_pki *pki;
	int fd;
	enum tls_server_mode mode;
	int result;
};

static int serve_echo(struct tls_server *srv)
{
	gnutls_session_t s;
	char buf[16384];
	int rc = tls_server_handshake(&s, srv->pki, srv->fd, NULL);

	if (rc < 0)
		return rc;
	for (;;) {
		ssize_t n = gnutls_record_recv(s, buf, sizeof(buf));
		ssize_t off = 0;

		if (n == GNUTLS_E_INTERRUPTED || n == GNUTLS_E_AGAIN)
			continue;
		if (n == 0 || n == GNUTLS_E_PREMATURE_TERMINATION) {
			rc = 0;
			break;
		}
		if (n < 0) {
			rc = (int)n;
			break;
		}
		while (off < n) {
			ssize_t w = gnutls_record_send(s, buf + off,
			                               (size_t)(n - off));
			if (w < 0 && gnutls_error_is_fatal((int)w)) {
				rc = (int)w;
				goto out;
			}
			if (w > 0)
				off += w;
		}
	}
	gnutls_bye(s, GNUTLS_SHUT_WR);
out:
	gnutls_deinit(s);
	return rc;
}

/* Reads whatever the client sends until it closes. */
static int drain(int fd, bool once)
{
	char buf[4096];

	while (read(fd, buf, sizeof(buf)) > 0)
		if (once)
			break;
	return 0;
}

/* Handshake and one line in a record, then what mode says: raw bytes
 * that are no record (type 0x2a, a version of 0x2a2a), or a close with no
 * close_notify. */
static int serve_then_break(struct tls_server *srv)
{
	static const char line[] = "* OK hi\r\n";
	static const char junk[] = "****garbage that is no TLS record****";
	gnutls_session_t s;
	int rc = tls_server_handshake(&s, srv->pki, srv->fd, NULL);

	if (rc < 0)
		return rc;
	ssize_t n = gnutls_record_send(s, line, sizeof(line) - 1);
	if (n < 0) {
		gnutls_deinit(s);
		return (int)n;
	}
	if (srv->mode == TLS_SERVER_GARBAGE) {
		if (write(srv->fd, junk, sizeof(junk) - 1) < 0)
			rc = GNUTLS_E_PUSH_ERROR;
		else
			drain(srv->fd, false);
	}
	gnutls_deinit(s);
	return rc;
}

static void *serve(void *arg)
{
	struct tls_server *srv = arg;
	gnutls_session_t s;

	switch (srv->mode) {
	case TLS_SERVER_ECHO:
		srv->result = serve_echo(srv);
		break;
	case TLS_SERVER_STALL:
		srv->result = drain(srv->fd, false);
		break;
	case TLS_SERVER_HANGUP:
		srv->result = drain(srv->fd, true);
		break;
	case TLS_SERVER_CLEARTEXT: {
		static const char greeting[] =
		        "* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n";
		drain(srv->fd, true);
		srv->result = write(srv->fd, greeting, sizeof(greeting) - 1) < 0
		                      ? GNUTLS_E_PUSH_ERROR
		                      : drain(srv->fd, false);
		break;
	}
	case TLS_SERVER_GARBAGE:
	case TLS_SERVER_CUT:
		srv->result = serve_then_break(srv);
		break;
	case TLS_SERVER_TLS11:
		srv->result = tls_server_handshake(
		        &s, srv->pki, srv->fd, "NORMAL:-VERS-ALL:+VERS-TLS1.1");
		if (srv->result == 0) {
			gnutls_deinit(s);
			srv->result = GNUTLS_E_INTERNAL_ERROR;
		} else {
			srv->result = 0; /* refusing was the point */
		}
		break;
	}
	close(srv->fd);
	return NULL;
}

int tls_server_start(struct tls_server **out, const struct tls_pki *pki, int fd,
                     enum tls_server_mode mode)
{
	struct tls_server *srv = calloc(1, sizeof(*srv));

	*out = NULL;
	if (!srv) {
		close(fd);
		return -1;
	}
	srv->pki = pki;
	srv->fd = fd;
	srv->mode = mode;
	if (pthread_create(&srv->thread, NULL, serve, srv) != 0) {
		close(fd);
		free(srv);
		return -1;
	}
	*out = srv;
	return 0;
}

int tls_server_join(struct tls_server **p)
{
	struct tls_server *srv = *p;
	int rc;

	pthread_join(srv->thread, NULL);
	rc = srv->result;
	free(srv);
	*p = NULL;
	return rc;
}
