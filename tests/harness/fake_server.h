/* fake_server.h - a scripted IMAP server for tests.
 *
 * The server runs in a thread and plays a script against exactly what the
 * client sends, the way curl's transcript tests do: every line the client
 * must send is written down, and any difference fails the test with the
 * script line, what was expected and what arrived.
 *
 * Script: one step per line; blank lines and lines starting with "#" are
 * ignored, leading blanks are skipped.
 *
 *   S: text      send text + CRLF
 *   S+ text      send text without CRLF (partial lines, literal bodies)
 *                In both, \r \n \0 \xHH \\ are decoded and "$TAG" becomes
 *                the tag of the last client command.
 *   S* n text    send text + CRLF n times (escapes decoded, no $TAG): a
 *                flood. Ends early, without failing, when the client
 *                closes the connection; fails when the client stops
 *                reading for the TIMEOUT.
 *   C: text      read one client line (up to CRLF, which is not part of it)
 *                and require it to equal text. A leading "$TAG " matches any
 *                tag and remembers it.
 *   C~ regex     read one line and require it to match a POSIX extended
 *                regex (search semantics: anchor with ^ and $ to match the
 *                whole line). A leading "$TAG " takes the line's first word
 *                as the tag and matches the regex against the rest.
 *   C* n         read n raw bytes (a literal) and discard them.
 *   C= text      read raw bytes equal to text (escapes decoded as in S:).
 *   SLEEP ms     pause.
 *   TIMEOUT ms   deadline of each following read or write (default 5000);
 *                before any other step, also of the wait for the first
 *                connection, which gets six times it (it starts at the
 *                listen, before the test has readied its client).
 *   CLOSE        close the connection (later S/C steps then fail).
 *   EOF          require that the client closes the connection.
 *   ACCEPT       (fake_server_listen only) close the connection and accept
 *                the next one; the first connection is accepted implicitly.
 *   STARTTLS     server-side TLS handshake with the certificate of
 *                fake_server_ca_file(); the script continues encrypted. The
 *                client must not have sent anything the script has not
 *                read yet (RELIABILITY rule 2 seen from the other side).
 *   DEFLATE      RFC 4978 raw deflate in both directions from here on.
 *
 * When the client closes the connection, the remaining S, SLEEP and CLOSE
 * steps are skipped, and the first remaining C step fails; EOF succeeds.
 *
 * Threads: the server thread is the only one touching the connection; the
 * calls below are for the test's thread.
 */
#ifndef HARNESS_FAKE_SERVER_H
#define HARNESS_FAKE_SERVER_H

#include <stddef.h>
#include <stdint.h>

struct fake_server;

/* Serves one connection in a thread, following script (copied; the caller
 * keeps its string). *client_fd is the client end of a socketpair, owned by
 * the caller, who closes it. A script with a syntax error still starts (the
 * server end is closed at once) and fake_server_finish reports the error.
 * Returns 0, or -1 with errno set when the system refused (socketpair,
 * thread, memory). */
int fake_server_start(struct fake_server **out, int *client_fd,
                      const char *script);

/* Same over TCP: listens on 127.0.0.1, an ephemeral port written to *port.
 * Accepts one connection, then one more at every ACCEPT step. */
int fake_server_listen(struct fake_server **out, uint16_t *port,
                       const char *script);

/* Waits for the script to end (at its last step, or when a step fails) and
 * frees fs and every transcript snapshot. Returns 0 when every expectation
 * matched; -1 with "line N: ..." (expected vs received) in errbuf
 * otherwise. errbuf may be NULL when errlen is 0. */
int fake_server_finish(struct fake_server *fs, char *errbuf, size_t errlen);

/* The bytes the client has sent so far, after TLS and deflate decoding, as
 * a NUL-terminated snapshot (a NUL sent by the client ends it early). The
 * snapshot stays valid until fake_server_finish, also when the server
 * receives more; NULL when out of memory. */
const char *fake_server_transcript(const struct fake_server *fs);

/* PEM file of the self-signed certificate STARTTLS presents (EC P-256,
 * CA:TRUE, SAN DNS:localhost and IP:127.0.0.1, valid for a week), usable as
 * a ca_file with servername "localhost" or "127.0.0.1". Made once per
 * process as an in-memory file ("/proc/self/fd/N", inherited by children);
 * NULL if it could not be made. Thread-safe. */
const char *fake_server_ca_file(void);

/* "sha256:<hex>" of that certificate's DER, for pinning tests; NULL if the
 * certificate could not be made. */
const char *fake_server_cert_pin(void);

#endif
