/* fuzz_envelope_header.c - envelopes built from arbitrary header bytes.
 *
 * Properties: nothing crashes or leaks; every string is shorter than the
 * input (nothing is made up beyond the MISSING_ and SYNTAX_ERROR names); a NULL
 * host appears only in group markers (a NULL host with a NULL mailbox ends a
 * group, and only after one started); Sender and Reply-To are never NULL
 * while From is not; the whole envelope stays within a small multiple of
 * the input in the arena (a capped arena fails cleanly instead).
 */
#include "imap4.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_string(const char *s, size_t size)
{
	if (s && strlen(s) > size && strcmp(s, "MISSING_MAILBOX") != 0 &&
	    strcmp(s, "MISSING_DOMAIN") != 0 && strcmp(s, "SYNTAX_ERROR") != 0)
		abort();
}

static void check_list(const imap4_address *a, size_t size)
{
	int depth = 0;
	for (; a; a = a->next) {
		check_string(a->name, size);
		check_string(a->adl, size);
		check_string(a->mailbox, size);
		check_string(a->host, size);
		if (a->host)
			continue;
		if (a->mailbox) {
			if (depth++ != 0)
				abort(); /* groups do not nest */
		} else if (depth-- != 1) {
			abort(); /* an end without a start */
		}
	}
	if (depth != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Each address costs its struct and a few strings: well under this
	 * many bytes for every input byte. */
	struct imap4_arena *arena = imap4_arena_new(64 * size + 4096);
	if (!arena)
		return 0;
	const imap4_envelope *e = NULL;
	int rc =
	        imap4_envelope_from_header(&e, arena, (const char *)data, size);
	if (rc != 0)
		abort();
	check_string(e->date, size);
	check_string(e->subject, size);
	check_string(e->in_reply_to, size);
	check_string(e->message_id, size);
	const imap4_address *lists[] = {e->from, e->sender, e->reply_to,
	                                e->to,   e->cc,     e->bcc};
	for (size_t i = 0; i < 6; i++)
		check_list(lists[i], size);
	if (e->from && (!e->sender || !e->reply_to))
		abort();
	imap4_arena_free(&arena);
	return 0;
}
