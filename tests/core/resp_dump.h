/* resp_dump.h - a canonical text form of a parsed response, for tests.
 *
 * Two responses parsed from the same bytes by different paths (whole,
 * byte by byte, copied to another arena) must dump to the same text.
 */
#ifndef TESTS_CORE_RESP_DUMP_H
#define TESTS_CORE_RESP_DUMP_H

#include "imap4.h"

/* A malloc'ed dump of r (the caller frees), or NULL when out of memory.
 * with_raw adds the raw bytes. */
char *test_resp_dump(const imap4_resp *r, bool with_raw);

/* The transcripts the tests share: real responses (RFC 3501, 9051, 7162
 * examples, Dovecot), each one complete response. */
struct test_transcript {
	const char *name;
	const char *data;
	size_t len;
};
extern const struct test_transcript test_transcripts[];
extern const size_t test_ntranscripts;

#endif
