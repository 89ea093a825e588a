/* fuzz_mutf7.c - modified UTF-7 both ways.
 *
 * Properties: nothing crashes; whatever decode accepts, encode gives back
 * byte for byte (one spelling per name); whatever encode produces, decode
 * accepts and returns the input.
 */
#include "imap4.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	char *a = NULL, *b = NULL;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	if (imap4_mutf7_decode(&a, s) == 0) {
		if (imap4_mutf7_encode(&b, a) != 0 || strcmp(b, s) != 0)
			abort();
		free(b);
		b = NULL;
	}
	free(a);
	a = NULL;

	if (imap4_mutf7_encode(&a, s) == 0) {
		if (imap4_mutf7_decode(&b, a) != 0 || strcmp(b, s) != 0)
			abort();
	}
	free(a);
	free(b);
	free(s);
	return 0;
}
