/* fuzz_sasl.c - SCRAM as seen by a hostile server.
 *
 * Input: one byte choosing SCRAM-SHA-256 (even) or SCRAM-SHA-1 (odd), then
 * the server-first message, "\n", and the server-final message. The client
 * nonce is fixed to "fuzz" so that inputs can extend it. Properties:
 * nothing crashes or leaks; the server is never "verified" without a
 * server-final message, and never after an error.
 */
#include "imap4.h"
#include "proto/sasl.h"
#include "util/buf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imap4_sasl *s = NULL;
	struct imap4_buf out;
	const char *mech;

	if (size < 1)
		return 0;
	mech = data[0] & 1 ? "SCRAM-SHA-1" : "SCRAM-SHA-256";
	data++;
	size--;
	if (imap4_sasl_new(&s, mech, NULL, "user", "pencil") != 0)
		return 0;
	if (imap4_sasl_set_nonce_for_test(s, "fuzz") != 0)
		abort();
	imap4_buf_init(&out, 0);
	if (imap4_sasl_step(s, NULL, 0, &out) != 0)
		abort();

	const uint8_t *nl = memchr(data, '\n', size);
	size_t first = nl ? (size_t)(nl - data) : size;
	int rc = imap4_sasl_step(s, data, first, &out);
	if (imap4_sasl_server_verified(s))
		abort();
	if (rc == 0 && nl) {
		rc = imap4_sasl_step(s, nl + 1, size - first - 1, &out);
		if (rc != 0 && imap4_sasl_server_verified(s))
			abort();
	}
	imap4_buf_wipe(&out);
	imap4_sasl_free(&s);
	return 0;
}
