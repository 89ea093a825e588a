/* fuzz_rfc2047.c - encoded-word decoding of arbitrary header bytes, and
 * of raw header text in a message's charset (imap4_header_decode).
 *
 * Properties: nothing crashes or leaks, and the output is always valid
 * UTF-8 without NUL (checked here independently of the library's own
 * validator).
 */
#include "imap4.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int valid_utf8(const unsigned char *s)
{
	while (*s) {
		unsigned c = *s, n, cp;
		if (c < 0x80) {
			s++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return 0;
		}
		for (unsigned i = 1; i <= n; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		s += n + 1;
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* raw header text is read in the message's charset first: one of
	 * these, chosen by the first byte, the rest being the text */
	static const char *const charsets[] = {
	        NULL,     "shift_jis",   "euc-jp",       "gbk",
	        "koi8-r", "utf-8",       "utf-16",       "big5",
	        "bogus",  "iso-2022-jp", "latin1",       "gb18030",
	        "euc-kr", "utf-7",       "windows-1251", "cp932",
	};
	char *out = NULL;

	/* data is not NUL-terminated: the decoder must respect size */
	if (imap4_rfc2047_decode(&out, (const char *)data, size) == 0) {
		if (!valid_utf8((const unsigned char *)out))
			abort();
		free(out);
	}
	if (size > 0 &&
	    imap4_header_decode(&out, (const char *)data + 1, size - 1,
	                        charsets[data[0] % 16]) == 0) {
		if (!valid_utf8((const unsigned char *)out))
			abort();
		free(out);
	}
	return 0;
}
