/* fake_tls.h - the fake server's certificate (internal).
 *
 * One self-signed certificate and key per process, made on first use with
 * the GnuTLS x509 API (no files needed to run a STARTTLS script); its PEM
 * and pin are published through fake_server_ca_file() and
 * fake_server_cert_pin() in fake_server.h.
 */
#ifndef HARNESS_FAKE_TLS_H
#define HARNESS_FAKE_TLS_H

#include <gnutls/gnutls.h>

/* Server credentials holding the certificate; NULL if generation failed.
 * Shared by every fake server of the process and never freed. Thread-safe.
 */
gnutls_certificate_credentials_t fake_tls_credentials(void);

#endif
