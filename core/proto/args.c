/* args.c - accessors of the argument tree; see imap4.h for the contract.
 *
 * Every accessor takes untrusted trees: a NULL argument, a list where an
 * atom is expected or a number that does not fit is a "no", never a crash.
 */
#include "imap4.h"

#include <strings.h>

const imap4_arg *imap4_arg_after(const imap4_arg *first, const char *name)
{
	if (!name)
		return NULL;
	for (const imap4_arg *a = first; a; a = a->next)
		if (a->type == IMAP4_ARG_ATOM && !strcasecmp(a->str, name))
			return a->next;
	return NULL;
}

const imap4_arg *imap4_arg_nth(const imap4_arg *first, size_t n)
{
	const imap4_arg *a = first;
	while (a && n--)
		a = a->next;
	return a;
}

/* number = 1*DIGIT (RFC 3501 section 9). Leading zeros are allowed by the
 * grammar; the value is checked against max before each step so nothing
 * wraps. */
static bool get_number(const imap4_arg *arg, uint64_t max, uint64_t *out)
{
	if (!arg || arg->type != IMAP4_ARG_ATOM || !arg->len)
		return false;
	uint64_t n = 0;
	for (size_t i = 0; i < arg->len; i++) {
		unsigned char c = (unsigned char)arg->str[i];
		if (c < '0' || c > '9')
			return false;
		unsigned d = c - '0';
		if (n > (max - d) / 10)
			return false;
		n = n * 10 + d;
	}
	*out = n;
	return true;
}

bool imap4_arg_get_u32(const imap4_arg *arg, uint32_t *out)
{
	uint64_t n;
	if (!get_number(arg, UINT32_MAX, &n))
		return false;
	*out = (uint32_t)n;
	return true;
}

bool imap4_arg_get_nz32(const imap4_arg *arg, uint32_t *out)
{
	uint64_t n;
	if (!get_number(arg, UINT32_MAX, &n) || n == 0)
		return false;
	*out = (uint32_t)n;
	return true;
}

bool imap4_arg_get_u64(const imap4_arg *arg, uint64_t *out)
{
	return get_number(arg, UINT64_MAX, out);
}

const char *imap4_arg_string(const imap4_arg *arg)
{
	if (!arg)
		return NULL;
	switch (arg->type) {
	case IMAP4_ARG_ATOM:
	case IMAP4_ARG_STRING:
	case IMAP4_ARG_LITERAL:
		return arg->str; /* NULL for a streamed literal */
	case IMAP4_ARG_NIL:
	case IMAP4_ARG_LIST:
		break;
	}
	return NULL;
}
