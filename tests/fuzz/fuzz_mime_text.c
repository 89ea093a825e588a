/* fuzz_mime_text.c - the text extractor over arbitrary messages.
 *
 * Properties: nothing crashes, leaks or reads past the input; the result
 * is 0 or 1 (never an error for what the message holds); the text is
 * valid UTF-8 without NUL (checked here independently of the library's
 * own validator) and within the limit, which the first input byte picks;
 * and so, read as the start of a longer message (a partial fetch).
 */
#include "imap4.h"
#include "proto/mime_text.h"
#include "util/buf.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int valid_utf8(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned c = s[i], len, cp;
		if (c == 0)
			return 0;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			len = 2;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			len = 3;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			len = 4;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if (n - i < len)
			return 0;
		for (unsigned k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += len;
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imap4_buf out;
	size_t max_out = 0;

	/* a first byte below 0x20 is a limit, so that cuts are exercised;
	 * the message itself still starts at data[0] otherwise */
	if (size > 0 && data[0] < 0x20) {
		max_out = (size_t)data[0] * 7;
		data++;
		size--;
	}
	imap4_buf_init(&out, 0);
	int rc = imap4_mime_text(&out, (const char *)data, size, max_out);
	if (rc != 0 && rc != 1)
		abort();
	if (!valid_utf8((const unsigned char *)(out.data ? out.data : ""),
	                out.len))
		abort();
	if (max_out && out.len > max_out)
		abort();
	if (rc == 1 && !max_out)
		abort();
	imap4_buf_clear(&out);

	/* the same bytes as the start of a longer message (a partial fetch
	 * cut it there) */
	imap4_buf_init(&out, 0);
	rc = imap4_mime_text_partial(&out, (const char *)data, size, max_out);
	if ((rc != 0 && rc != 1) || (rc == 1 && !max_out))
		abort();
	if (!valid_utf8((const unsigned char *)(out.data ? out.data : ""),
	                out.len))
		abort();
	if (max_out && out.len > max_out)
		abort();
	imap4_buf_clear(&out);
	return 0;
}
