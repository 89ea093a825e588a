/* fake_tls.c - a throwaway certificate for the fake server's STARTTLS. */
#include "harness/fake_tls.h"
#include "harness/fake_server.h"

#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static gnutls_certificate_credentials_t cred;
static char ca_path[64];
static char pin[8 + 64 + 1];

/* The PEM lives in a memfd: test processes that end in _exit (criterion's
 * workers do) would leave a temporary file behind. The fd has no
 * close-on-exec, so the same path works in a child, e.g. a daemon under
 * test. */
static int write_pem(gnutls_x509_crt_t crt)
{
	gnutls_datum_t pem = {NULL, 0};
	int rc = -1;

	if (gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &pem) < 0)
		return -1;
	int fd = memfd_create("fake-server-ca.pem", 0);
	if (fd < 0)
		goto out;
	if (write(fd, pem.data, pem.size) == (ssize_t)pem.size) {
		snprintf(ca_path, sizeof(ca_path), "/proc/self/fd/%d", fd);
		rc = 0;
	} else {
		close(fd);
	}
out:
	gnutls_free(pem.data);
	return rc;
}

static int make_pin(gnutls_x509_crt_t crt)
{
	gnutls_datum_t der = {NULL, 0};
	unsigned char digest[32];

	if (gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der) < 0)
		return -1;
	int rc =
	        gnutls_hash_fast(GNUTLS_DIG_SHA256, der.data, der.size, digest);
	gnutls_free(der.data);
	if (rc < 0)
		return -1;
	memcpy(pin, "sha256:", 7);
	for (size_t i = 0; i < sizeof(digest); i++)
		snprintf(pin + 7 + 2 * i, 3, "%02x", digest[i]);
	return 0;
}

static int fill_cert(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key)
{
	static const unsigned char loopback[4] = {127, 0, 0, 1};
	unsigned char serial[8];
	time_t now = time(NULL);

	if (gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof(serial)) < 0)
		return -1;
	serial[0] &= 0x7f; /* a positive INTEGER (RFC 5280 4.1.2.2) */
	if (gnutls_x509_crt_set_version(crt, 3) < 0 ||
	    gnutls_x509_crt_set_serial(crt, serial, sizeof(serial)) < 0 ||
	    gnutls_x509_crt_set_activation_time(crt, now - 3600) < 0 ||
	    gnutls_x509_crt_set_expiration_time(crt, now + 7 * 86400) < 0 ||
	    gnutls_x509_crt_set_dn(crt, "CN=localhost,O=mailmirror tests",
	                           NULL) < 0 ||
	    gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME,
	                                         "localhost", 9,
	                                         GNUTLS_FSAN_APPEND) < 0 ||
	    gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS,
	                                         loopback, sizeof(loopback),
	                                         GNUTLS_FSAN_APPEND) < 0 ||
	    gnutls_x509_crt_set_basic_constraints(crt, 1, -1) < 0 ||
	    gnutls_x509_crt_set_key_usage(
	            crt, GNUTLS_KEY_DIGITAL_SIGNATURE |
	                         GNUTLS_KEY_KEY_CERT_SIGN) < 0 ||
	    gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER,
	                                        0) < 0 ||
	    gnutls_x509_crt_set_key(crt, key) < 0 ||
	    gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0) < 0)
		return -1;
	return 0;
}

static void generate(void)
{
	gnutls_x509_privkey_t key = NULL;
	gnutls_x509_crt_t crt = NULL;
	gnutls_certificate_credentials_t c = NULL;

	/* EC P-256: generated in a millisecond, unlike RSA, so every test
	 * process can afford its own key. */
	if (gnutls_x509_privkey_init(&key) < 0 ||
	    gnutls_x509_privkey_generate(
	            key, GNUTLS_PK_ECDSA,
	            GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0) < 0 ||
	    gnutls_x509_crt_init(&crt) < 0 || fill_cert(crt, key) < 0 ||
	    gnutls_certificate_allocate_credentials(&c) < 0 ||
	    gnutls_certificate_set_x509_key(c, &crt, 1, key) < 0 ||
	    make_pin(crt) < 0 || write_pem(crt) < 0) {
		if (c)
			gnutls_certificate_free_credentials(c);
		pin[0] = '\0';
	} else {
		cred = c;
	}
	if (crt)
		gnutls_x509_crt_deinit(crt);
	if (key)
		gnutls_x509_privkey_deinit(key);
}

gnutls_certificate_credentials_t fake_tls_credentials(void)
{
	pthread_once(&once, generate);
	return cred;
}

const char *fake_server_ca_file(void)
{
	return fake_tls_credentials() ? ca_path : NULL;
}

const char *fake_server_cert_pin(void)
{
	return fake_tls_credentials() ? pin : NULL;
}
