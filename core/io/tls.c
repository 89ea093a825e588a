/* tls.c - a GnuTLS client layer over any lower transport.
 *
 * GnuTLS reads and writes through tls_pull/tls_push, which call the lower
 * transport with the deadline of the operation in progress; so TLS runs
 * over tcp, a stream command or a test's socketpair alike, and STARTTLS
 * can push it onto a live connection. A failure below is remembered in
 * lower_err so that a timeout is reported as IMAP4_ETIMEOUT, and a cancel
 * (imap4_transport_set_cancel on the stack) as IMAP4_ECANCELED, not as a
 * vague TLS error.
 */
#include "io/transport.h"

#include "imap4.h"
#include "util/quote.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* TLS 1.2 is the floor (RFC 8996 deprecates 1.0 and 1.1; RFC 8314 asks
 * mail clients for 1.2 or later); the rest is GnuTLS's NORMAL set, which
 * follows the system's crypto policy.
 *
 * NORMAL verifies certificates with the LOW profile (80-bit security), so an
 * RSA-1024 server key passes. PROFILE_MEDIUM asks 112 bits of every key
 * and signature of the chain: RSA and DSA of 2048 bits, EC of 224, what
 * Debian's OpenSSL asks at its default level 2. It also raises the floor
 * of a TLS 1.2 DHE group to 2048 bits, the smallest of RFC 7919. It is
 * set here, not with gnutls_certificate_set_verify_flags(): GnuTLS 3.7
 * ORs the profile bits of the credentials with those of the priority
 * string, and MEDIUM (5) | LOW (2) is ULTRA (7), which refuses P-256. */
#define TLS_PRIORITY                                                           \
	"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:%PROFILE_MEDIUM"
#define TLS_MIN_SEC_PARAM GNUTLS_SEC_PARAM_MEDIUM

/* close_notify is a courtesy; a peer that does not take it at once does not
 * hold up the close. */
enum { BYE_MS = 1000 };

struct tls_transport {
	struct imap4_transport base;
	gnutls_session_t session;
	gnutls_certificate_credentials_t cred;
	int64_t deadline; /* of the call in progress, for push/pull */
	int lower_err;    /* code of the last push/pull failure, or 0 */
	bool established;
	int fatal; /* code of a fatal error, repeated after it */
	/* The first bytes the server sent, kept until the handshake ends:
	 * a server that answers in cleartext is a wrong port or mode, and
	 * saying so helps more than GnuTLS's "unexpected packet". */
	char first[24];
	size_t first_len;
	/* What the certificate is verified against; GnuTLS keeps pointers
	 * to these for the life of the session. */
	gnutls_typed_vdata_st vdata[2];
	unsigned char ip[16]; /* the server's address, when named by one */
	char *vname;          /* its host name otherwise */
};

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_rc;

static void global_init(void)
{
	/* Reference-counted by GnuTLS and never undone: the library may be
	 * used until the process exits. */
	init_rc = gnutls_global_init();
}

static ssize_t tls_push(gnutls_transport_ptr_t p, const void *data, size_t len)
{
	struct tls_transport *t = p;
	int rc = imap4_transport_write(t->base.lower, data, len, t->deadline);

	if (rc < 0) {
		t->lower_err = rc;
		gnutls_transport_set_errno(t->session, EIO);
		return -1;
	}
	return (ssize_t)len;
}

static ssize_t tls_pull(gnutls_transport_ptr_t p, void *data, size_t len)
{
	struct tls_transport *t = p;
	ssize_t n = imap4_transport_read(t->base.lower, data, len, t->deadline);

	if (n > 0) {
		if (!t->established && t->first_len < sizeof(t->first)) {
			size_t k = sizeof(t->first) - t->first_len;

			k = k < (size_t)n ? k : (size_t)n;
			memcpy(t->first + t->first_len, data, k);
			t->first_len += k;
		}
		return n;
	}
	if (n == IMAP4_EEOF)
		return 0;
	t->lower_err = (int)n;
	/* EAGAIN keeps the session usable: GnuTLS keeps a partial record
	 * and the next call resumes it, so a read deadline (an IDLE that
	 * ends) does not break TLS. */
	gnutls_transport_set_errno(t->session,
	                           n == IMAP4_ETIMEOUT ? EAGAIN : EIO);
	return -1;
}

static int tls_pull_timeout(gnutls_transport_ptr_t p, unsigned int ms)
{
	struct tls_transport *t = p;
	int64_t deadline = t->deadline;
	int rc;

	if (ms != GNUTLS_INDEFINITE_TIMEOUT) {
		int64_t d = imap4_now_ms() + ms;

		if (deadline < 0 || d < deadline)
			deadline = d;
	}
	rc = imap4_transport_wait(t->base.lower, -1, deadline);
	if (rc == 1)
		return 1;
	if (rc == IMAP4_ETIMEOUT)
		return 0;
	t->lower_err = rc;
	gnutls_transport_set_errno(t->session, EIO);
	return -1;
}

/* Long messages are cut: a message is for people, and its head says it. */
static void __attribute__((format(printf, 3, 4)))
set_msg(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* The failure of GnuTLS call grc as an IMAP4 code, with its message. */
static int tls_error(struct tls_transport *t, int grc, const char *what)
{
	struct imap4_transport *lower = t->base.lower;
	char *msg = t->base.errmsg;
	size_t len = sizeof(t->base.errmsg);

	if (t->lower_err) {
		set_msg(msg, len, "%s: %s", what, lower->errmsg);
		return t->lower_err;
	}
	if (grc == GNUTLS_E_FATAL_ALERT_RECEIVED) {
		snprintf(msg, len, "%s: the server sent the alert \"%s\"", what,
		         gnutls_alert_get_name(gnutls_alert_get(t->session)));
		return IMAP4_ETLS;
	}
	if (grc == GNUTLS_E_PREMATURE_TERMINATION) {
		snprintf(msg, len, "%s: the connection was closed", what);
		return t->established ? IMAP4_EEOF : IMAP4_ETLS;
	}
	if (grc == GNUTLS_E_MEMORY_ERROR) {
		snprintf(msg, len, "%s: out of memory", what);
		return IMAP4_ENOMEM;
	}
	snprintf(msg, len, "%s: %s", what, gnutls_strerror(grc));
	return IMAP4_ETLS;
}

static void add_reason(char *buf, size_t len, const char *reason)
{
	size_t used = strlen(buf);

	snprintf(buf + used, len - used, "%s%s", used ? ", " : "", reason);
}

/* GnuTLS reports a key below the profile as an insecure algorithm, like a
 * SHA-1 signature; saying which key, and its size, tells the server's
 * administrator what to replace. false when no key the server sent is
 * too weak (the weak part is then a signature, or a trusted CA's key). */
static bool describe_weak_key(struct tls_transport *t, char *buf, size_t len)
{
	const gnutls_datum_t *certs;
	unsigned int n = 0, i;

	certs = gnutls_certificate_get_peers(t->session, &n);
	for (i = 0; certs && i < n; i++) {
		gnutls_x509_crt_t crt;
		gnutls_sec_param_t sec;
		unsigned int bits = 0;
		char reason[80];
		int pk;

		if (gnutls_x509_crt_init(&crt) < 0)
			return false;
		pk = gnutls_x509_crt_import(crt, &certs[i],
		                            GNUTLS_X509_FMT_DER);
		if (pk >= 0)
			pk = gnutls_x509_crt_get_pk_algorithm(crt, &bits);
		gnutls_x509_crt_deinit(crt);
		if (pk < 0)
			continue;
		sec = gnutls_pk_bits_to_sec_param((gnutls_pk_algorithm_t)pk,
		                                  bits);
		if (sec == GNUTLS_SEC_PARAM_UNKNOWN || sec >= TLS_MIN_SEC_PARAM)
			continue;
		snprintf(reason, sizeof(reason), "%s is too weak (%s, %u bits)",
		         i == 0 ? "its key" : "a key in its chain",
		         gnutls_pk_get_name((gnutls_pk_algorithm_t)pk), bits);
		add_reason(buf, len, reason);
		return true;
	}
	return false;
}

/* "the certificate is not trusted, the name does not match" */
static void describe_status(struct tls_transport *t, char *buf, size_t len,
                            unsigned status)
{
	static const struct {
		unsigned bit;
		const char *reason;
	} reasons[] = {
	        {GNUTLS_CERT_SIGNER_NOT_FOUND,
	         "the certificate is not trusted"},
	        {GNUTLS_CERT_SIGNER_NOT_CA, "its issuer is not a CA"},
	        {GNUTLS_CERT_SIGNER_CONSTRAINTS_FAILURE,
	         "its issuer's constraints forbid it"},
	        {GNUTLS_CERT_SIGNATURE_FAILURE, "its signature is invalid"},
	        {GNUTLS_CERT_INSECURE_ALGORITHM,
	         "it uses an insecure algorithm"},
	        {GNUTLS_CERT_REVOKED, "it was revoked"},
	        {GNUTLS_CERT_EXPIRED, "it has expired"},
	        {GNUTLS_CERT_NOT_ACTIVATED, "it is not yet valid"},
	        {GNUTLS_CERT_UNEXPECTED_OWNER, "the name does not match"},
	        {GNUTLS_CERT_PURPOSE_MISMATCH, "it is not for TLS servers"},
	        {GNUTLS_CERT_UNKNOWN_CRIT_EXTENSIONS,
	         "it has an unknown critical extension"},
	};
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		if (!(status & reasons[i].bit))
			continue;
		if (reasons[i].bit == GNUTLS_CERT_INSECURE_ALGORITHM &&
		    describe_weak_key(t, buf, len))
			continue;
		add_reason(buf, len, reasons[i].reason);
	}
	if (!buf[0])
		add_reason(buf, len, "the certificate is not trusted");
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "sha256:AB:cd..." or "abcd...": 32 bytes in 64 hex digits, case and
 * colons free. 0, or -1 for anything else. */
#define PIN_WHY "TLS: the pin is not 64 hex digits of SHA-256"

static int parse_pin(unsigned char out[32], const char *pin)
{
	size_t n = 0;
	int hi = -1;

	if (strncasecmp(pin, "sha256:", 7) == 0)
		pin += 7;
	for (; *pin; pin++) {
		int v;

		if (*pin == ':')
			continue;
		v = hexval(*pin);
		if (v < 0 || n == 32)
			return -1;
		if (hi < 0) {
			hi = v;
			continue;
		}
		out[n++] = (unsigned char)(hi << 4 | v);
		hi = -1;
	}
	return n == 32 && hi < 0 ? 0 : -1;
}

/* The pin replaces the chain: the leaf certificate the server sent must
 * hash to it, whoever signed it. It is checked with insecure too: a caller
 * who names the certificate to expect has asked for that check, and
 * dropping it in silence would be the fallback rule 3 forbids. */
static int check_pin(struct tls_transport *t, const unsigned char want[32],
                     const char *name)
{
	const gnutls_datum_t *certs;
	unsigned int n = 0;
	unsigned char got[32];
	char hex[65];
	size_t i;

	certs = gnutls_certificate_get_peers(t->session, &n);
	if (!certs || n == 0) {
		snprintf(t->base.errmsg, sizeof(t->base.errmsg),
		         "certificate verification failed for %s: the server "
		         "sent no certificate",
		         name);
		return IMAP4_ECERT;
	}
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, certs[0].data, certs[0].size,
	                     got) < 0) {
		snprintf(t->base.errmsg, sizeof(t->base.errmsg),
		         "certificate verification failed for %s: cannot "
		         "hash the certificate",
		         name);
		return IMAP4_ECERT;
	}
	if (memcmp(got, want, sizeof(got)) == 0)
		return 0;
	for (i = 0; i < sizeof(got); i++)
		snprintf(hex + 2 * i, 3, "%02x", got[i]);
	snprintf(t->base.errmsg, sizeof(t->base.errmsg),
	         "certificate verification failed for %s: the certificate "
	         "does not match the pin (it is sha256:%s)",
	         name, hex);
	return IMAP4_ECERT;
}

static bool is_ip_literal(const char *name)
{
	unsigned char addr[16];

	return inet_pton(AF_INET, name, addr) == 1 ||
	       inet_pton(AF_INET6, name, addr) == 1;
}

/* What the handshake checks besides the chain and the dates:
 * - the name: an address only against the iPAddress SANs (RFC 2818
 *   3.1), a host name against the DNS SANs (RFC 6125);
 * - the purpose: a certificate whose Extended Key Usage does not include
 *   TLS server authentication is another's, e.g. a client certificate of
 *   the same private CA (RFC 5280 4.2.1.12); one without the extension
 *   may serve any purpose, and GnuTLS takes it so.
 * GnuTLS keeps pointers to vdata, so everything lives in t. */
static int set_verify(struct tls_transport *t, const char *name)
{
	gnutls_typed_vdata_st *d = t->vdata;

	if (inet_pton(AF_INET, name, t->ip) == 1) {
		d[0].type = GNUTLS_DT_IP_ADDRESS;
		d[0].data = t->ip;
		d[0].size = 4;
	} else if (inet_pton(AF_INET6, name, t->ip) == 1) {
		d[0].type = GNUTLS_DT_IP_ADDRESS;
		d[0].data = t->ip;
		d[0].size = 16;
	} else {
		t->vname = strdup(name);
		if (!t->vname)
			return GNUTLS_E_MEMORY_ERROR;
		d[0].type = GNUTLS_DT_DNS_HOSTNAME;
		d[0].data = (unsigned char *)t->vname;
		d[0].size = 0; /* NUL-terminated */
	}
	d[1].type = GNUTLS_DT_KEY_PURPOSE_OID;
	d[1].data = (unsigned char *)GNUTLS_KP_TLS_WWW_SERVER;
	d[1].size = 0;
	gnutls_session_set_verify_cert2(t->session, d, 2, 0);
	return 0;
}

/* A CA bundle larger than this is no bundle (the system's whole store
 * is some 200 KB). */
#define CA_FILE_MAX (16 << 20)

/* The CA file's bytes, read here rather than by GnuTLS, which says "Error
 * while reading file" for every failure: out of descriptors or memory,
 * which passes, read as a file to mend (explore80). 0, or IMAP4_EIO for
 * what may pass and IMAP4_ECERT for the file itself, with errmsg set. */
static int read_ca_file(const char *path, gnutls_datum_t *out, char *errmsg,
                        size_t errlen)
{
	char why[64];
	const char *text = NULL;
	int e = 0;
	FILE *f = fopen(path, "rbe");
	if (!f) {
		e = errno;
	} else {
		size_t cap = 64 << 10, n = 0;
		unsigned char *data = malloc(cap + 1);
		while (data) {
			n += fread(data + n, 1, cap - n, f);
			if (n < cap || cap >= CA_FILE_MAX)
				break;
			unsigned char *more = realloc(data, cap * 2 + 1);
			if (!more) {
				free(data);
				data = NULL;
				break;
			}
			data = more;
			cap *= 2;
		}
		if (!data)
			e = ENOMEM;
		else if (ferror(f))
			e = EIO;
		else if (n >= CA_FILE_MAX)
			text = "larger than 16 MB";
		fclose(f);
		if (!e && !text) {
			data[n] = '\0';
			out->data = data;
			out->size = (unsigned)n;
			return 0;
		}
		free(data);
	}
	if (!text)
		text = imap4_errno_text(e, why, sizeof(why));
	snprintf(errmsg, errlen, "cannot load CA file %s: %s", path, text);
	return e == EMFILE || e == ENFILE || e == ENOMEM || e == EIO
	               ? IMAP4_EIO
	               : IMAP4_ECERT;
}

int imap4_tls_check_params(const struct imap4_tls_params *params, char *errbuf,
                           size_t errlen)
{
	unsigned char pin[32];
	gnutls_datum_t pem = {NULL, 0};
	int rc;

	if (params->pin_sha256) {
		if (parse_pin(pin, params->pin_sha256) < 0) {
			snprintf(errbuf, errlen, "%s", PIN_WHY);
			return IMAP4_EINVAL;
		}
		return 0; /* the pin replaces the chain: no CA file read */
	}
	if (params->insecure || params->ca_file == NULL)
		return 0;
	rc = read_ca_file(params->ca_file, &pem, errbuf, errlen);
	free(pem.data);
	return rc;
}

static int setup_cred(struct tls_transport *t,
                      const struct imap4_tls_params *params, bool verify_chain)
{
	int rc = gnutls_certificate_allocate_credentials(&t->cred);

	if (rc < 0)
		return tls_error(t, rc, "TLS setup");
	if (!verify_chain)
		return 0;
	if (params->ca_file) {
		gnutls_datum_t pem = {NULL, 0};
		if ((rc = read_ca_file(params->ca_file, &pem, t->base.errmsg,
		                       sizeof(t->base.errmsg))) < 0)
			return rc;
		rc = gnutls_certificate_set_x509_trust_mem(t->cred, &pem,
		                                           GNUTLS_X509_FMT_PEM);
		free(pem.data);
		if (rc <= 0) {
			snprintf(t->base.errmsg, sizeof(t->base.errmsg),
			         "cannot load CA file %s: %s", params->ca_file,
			         rc == 0 ? "no certificate in it"
			                 : gnutls_strerror(rc));
			return IMAP4_ECERT;
		}
		return 0;
	}
	rc = gnutls_certificate_set_x509_system_trust(t->cred);
	if (rc < 0) {
		snprintf(t->base.errmsg, sizeof(t->base.errmsg),
		         "cannot load the system's trusted certificates: %s",
		         gnutls_strerror(rc));
		return IMAP4_ECERT;
	}
	return 0;
}

static int setup_session(struct tls_transport *t, const char *name,
                         bool verify_chain)
{
	const char *where = NULL;
	int rc;

	rc = gnutls_init(&t->session, GNUTLS_CLIENT | GNUTLS_NONBLOCK);
	if (rc < 0) {
		t->session = NULL;
		return tls_error(t, rc, "TLS setup");
	}
	rc = gnutls_priority_set_direct(t->session, TLS_PRIORITY, &where);
	if (rc >= 0)
		rc = gnutls_credentials_set(t->session, GNUTLS_CRD_CERTIFICATE,
		                            t->cred);
	/* RFC 6066 3: SNI carries host names only, never an address. */
	if (rc >= 0 && name && !is_ip_literal(name))
		rc = gnutls_server_name_set(t->session, GNUTLS_NAME_DNS, name,
		                            strlen(name));
	/* Chain, dates, key sizes, the name and the purpose are checked
	 * inside the handshake, which fails before a byte of IMAP flows. */
	if (rc >= 0 && verify_chain)
		rc = set_verify(t, name);
	if (rc < 0)
		return tls_error(t, rc, "TLS setup");
	gnutls_transport_set_ptr(t->session, t);
	gnutls_transport_set_push_function(t->session, tls_push);
	gnutls_transport_set_pull_function(t->session, tls_pull);
	gnutls_transport_set_pull_timeout_function(t->session,
	                                           tls_pull_timeout);
	return 0;
}

/* A TLS record starts with a content type byte of 20 to 24 (RFC 8446
 * 5.1), never a printable character: a reply that begins with one is a
 * cleartext protocol ("* OK" of IMAP, "220" of SMTP, "HTTP/1.1"). */
static bool answered_in_cleartext(const struct tls_transport *t)
{
	return t->first_len >= 2 && t->first[0] >= 0x20 && t->first[0] < 0x7f;
}

/* "...: the server answered in cleartext ("* OK [CAPABILITY IMAP4rev1"),
 * not TLS" */
static void describe_cleartext(struct tls_transport *t, const char *what)
{
	char shown[sizeof(t->first) * 4 + 1];

	/* GnuTLS stopped at the 5 bytes of a record header; the rest of a
	 * greeting is usually in the socket already. Short: the session is
	 * over, this only improves its epitaph. */
	while (t->first_len < sizeof(t->first)) {
		ssize_t got = imap4_transport_read(
		        t->base.lower, t->first + t->first_len,
		        sizeof(t->first) - t->first_len, imap4_deadline(50));
		if (got <= 0)
			break;
		t->first_len += (size_t)got;
	}

	imap4_quote_start(shown, sizeof(shown), t->first, t->first_len);
	set_msg(t->base.errmsg, sizeof(t->base.errmsg),
	        "%s: the server answered in cleartext (\"%s\"), not TLS", what,
	        shown);
}

static int handshake(struct tls_transport *t, const char *name)
{
	char what[200];
	int rc;

	snprintf(what, sizeof(what), "TLS handshake with %s", name);
	do {
		t->lower_err = 0;
		rc = gnutls_handshake(t->session);
	} while (rc < 0 && rc != GNUTLS_E_AGAIN && !gnutls_error_is_fatal(rc));
	if (rc >= 0)
		return 0;
	if (rc == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR ||
	    rc == GNUTLS_E_CERTIFICATE_ERROR) {
		char reasons[160];

		describe_status(
		        t, reasons, sizeof(reasons),
		        gnutls_session_get_verify_cert_status(t->session));
		snprintf(t->base.errmsg, sizeof(t->base.errmsg),
		         "certificate verification failed for %s: %s", name,
		         reasons);
		return IMAP4_ECERT;
	}
	rc = tls_error(t, rc, what);
	if (rc == IMAP4_ETLS && answered_in_cleartext(t))
		describe_cleartext(t, what);
	return rc == IMAP4_EEOF ? IMAP4_ETLS : rc;
}

static ssize_t tls_read(struct imap4_transport *tt, void *buf, size_t len,
                        int64_t deadline)
{
	struct tls_transport *t = (struct tls_transport *)tt;

	if (t->fatal)
		return t->fatal;
	t->deadline = deadline;
	for (;;) {
		ssize_t n;

		t->lower_err = 0;
		n = gnutls_record_recv(t->session, buf, len);
		if (n > 0)
			return n;
		if (n == 0) {
			snprintf(t->base.errmsg, sizeof(t->base.errmsg),
			         "the server closed the TLS session");
			return IMAP4_EEOF;
		}
		/* A TLS 1.2 HelloRequest may be ignored (RFC 5246 7.4.1.1);
		 * a renegotiation mid-session is not worth its risks. */
		if (n == GNUTLS_E_INTERRUPTED || n == GNUTLS_E_REHANDSHAKE)
			continue;
		if (n == GNUTLS_E_AGAIN && t->lower_err == IMAP4_ETIMEOUT)
			return tls_error(t, (int)n, "TLS read");
		/* GnuTLS also says "again" after a record that carried no
		 * application data (a TLS 1.3 NewSessionTicket right after the
		 * handshake): nothing failed below, so read the next record.
		 * The pull function waits for it, so this does not spin. */
		if (n == GNUTLS_E_AGAIN && t->lower_err == 0)
			continue;
		if (n != GNUTLS_E_AGAIN && !gnutls_error_is_fatal((int)n))
			continue;
		t->fatal = tls_error(t, (int)n, "TLS read");
		return t->fatal;
	}
}

static int tls_write(struct imap4_transport *tt, const void *buf, size_t len,
                     int64_t deadline)
{
	struct tls_transport *t = (struct tls_transport *)tt;
	const char *p = buf;

	if (t->fatal)
		return t->fatal;
	t->deadline = deadline;
	while (len > 0) {
		ssize_t n;

		t->lower_err = 0;
		n = gnutls_record_send(t->session, p, len);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n == GNUTLS_E_INTERRUPTED)
			continue;
		/* A record cut short cannot be resumed with other data, so
		 * any failure here ends the session. */
		t->fatal = tls_error(t, (int)n, "TLS write");
		return t->fatal;
	}
	return 0;
}

static size_t tls_pending(const struct imap4_transport *tt)
{
	const struct tls_transport *t = (const struct tls_transport *)tt;

	return gnutls_record_check_pending(t->session) +
	       imap4_transport_pending(t->base.lower);
}

static void tls_free(struct tls_transport *t)
{
	if (t->session && t->established && !t->fatal) {
		t->deadline = imap4_deadline(BYE_MS);
		gnutls_bye(t->session, GNUTLS_SHUT_WR);
	}
	if (t->session)
		gnutls_deinit(t->session);
	if (t->cred)
		gnutls_certificate_free_credentials(t->cred);
	imap4_transport_close(&t->base.lower);
	free(t->vname);
	free(t);
}

static void tls_close(struct imap4_transport *tt)
{
	tls_free((struct tls_transport *)tt);
}

static const struct imap4_transport_ops tls_ops = {
        .name = "tls",
        .read = tls_read,
        .write = tls_write,
        .pending = tls_pending,
        .close = tls_close,
};

static int open_fail(struct tls_transport *t, struct imap4_transport *lower,
                     int rc, const char *msg, char *errbuf, size_t errlen)
{
	snprintf(errbuf, errlen, "%s", msg);
	if (t)
		tls_free(t);
	else
		imap4_transport_close(&lower);
	return rc;
}

int imap4_tls_open(struct imap4_transport **out, struct imap4_transport *lower,
                   const struct imap4_tls_params *params, int64_t deadline,
                   char *errbuf, size_t errlen)
{
	struct tls_transport *t;
	unsigned char pin[32];
	bool use_pin, verify_chain;
	const char *name;
	int rc;

	*out = NULL;
	if (!lower || !params)
		return open_fail(NULL, lower, IMAP4_EINVAL,
		                 "TLS: no transport or parameters", errbuf,
		                 errlen);
	name = params->servername;
	use_pin = params->pin_sha256 != NULL;
	verify_chain = !params->insecure && !use_pin;
	if (use_pin && parse_pin(pin, params->pin_sha256) < 0)
		return open_fail(NULL, lower, IMAP4_EINVAL, PIN_WHY, errbuf,
		                 errlen);
	/* Rule 3: no silent fallback to an unchecked name. */
	if (verify_chain && (!name || !*name))
		return open_fail(NULL, lower, IMAP4_EINVAL,
		                 "TLS: no server name to verify", errbuf,
		                 errlen);
	pthread_once(&init_once, global_init);
	if (init_rc < 0)
		return open_fail(NULL, lower, IMAP4_ETLS,
		                 "TLS: GnuTLS failed to initialise", errbuf,
		                 errlen);
	t = calloc(1, sizeof(*t));
	if (!t)
		return open_fail(NULL, lower, IMAP4_ENOMEM,
		                 "TLS: out of memory", errbuf, errlen);
	t->base.ops = &tls_ops;
	t->base.lower = lower;
	t->base.fd = lower->fd;
	if (!name || !*name)
		name = "the server";

	rc = setup_cred(t, params, verify_chain);
	if (rc == 0)
		rc = setup_session(t, params->servername, verify_chain);
	if (rc == 0) {
		t->deadline = deadline;
		rc = handshake(t, name);
	}
	if (rc == 0 && use_pin)
		rc = check_pin(t, pin, name);
	if (rc < 0) {
		t->fatal = rc;
		return open_fail(t, NULL, rc, t->base.errmsg, errbuf, errlen);
	}
	t->established = true;
	*out = &t->base;
	return 0;
}
