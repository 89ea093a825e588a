/* view.c - helpers shared by the typed views; see view.h for the contract. */
#include "proto/view.h"
#include "proto/utf8.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

bool imap4_view_is_atom(const imap4_arg *arg, const char *name)
{
	return arg && arg->type == IMAP4_ARG_ATOM && arg->str &&
	       strcasecmp(arg->str, name) == 0;
}

bool imap4_view_is_nil(const imap4_arg *arg)
{
	return arg && arg->type == IMAP4_ARG_NIL;
}

/* A string the server sent with NUL in it: only a literal can (a line with
 * one is refused by the reader), and RFC 3501 9 forbids it there too
 * (CHAR8 is %x01-ff). As a C string it would end at the first NUL, and
 * what follows would be lost without a trace ("Re: offer\0 expired" read
 * as "Re: offer"), so the view gets a copy with each NUL as a space: the
 * text keeps its length and the rest of its words. Only such a string is
 * copied. */
static const char *without_nul(struct imap4_arena *arena, const imap4_arg *arg)
{
	if (!memchr(arg->str, '\0', arg->len))
		return arg->str;
	char *s = imap4_arena_strndup(arena, arg->str, arg->len);
	if (!s)
		return NULL;
	for (size_t i = 0; i < arg->len; i++)
		if (s[i] == '\0')
			s[i] = ' ';
	return s;
}

int imap4_view_nstring(const char **out, struct imap4_arena *arena,
		       const imap4_arg *arg)
{
	*out = NULL;
	if (!arg)
		return IMAP4_EPROTO;
	switch (arg->type) {
	case IMAP4_ARG_NIL:
		return 0;
	case IMAP4_ARG_ATOM:
	case IMAP4_ARG_STRING:
		*out = arg->str;
		return 0;
	case IMAP4_ARG_LITERAL:
		/* A streamed literal's bytes went to the caller's sink; the
		 * view cannot hold them and says so with NULL. */
		if (arg->streamed)
			return 0;
		*out = without_nul(arena, arg);
		return *out ? 0 : IMAP4_ENOMEM;
	case IMAP4_ARG_LIST:
		break;
	}
	return IMAP4_EPROTO;
}

int imap4_view_strings(const char *const **out, size_t *count,
		       struct imap4_arena *arena, const imap4_arg *list,
		       bool atoms_only)
{
	*out = NULL;
	*count = 0;
	if (!list || list->type != IMAP4_ARG_LIST)
		return IMAP4_EPROTO;

	/* count + 1 cannot overflow: the parser allocated count nodes. */
	const char **v = imap4_arena_calloc(arena, list->count + 1, sizeof(*v));
	if (!v)
		return IMAP4_ENOMEM;
	size_t n = 0;
	for (const imap4_arg *a = list->list; a && n < list->count;
	     a = a->next) {
		/* NIL in a list of names is the name: a keyword "NIL" is
		 * an atom (RFC 3501 flag-keyword), and Dovecot keeps one. */
		bool ok = a->type == IMAP4_ARG_ATOM ||
		          a->type == IMAP4_ARG_NIL ||
		          (!atoms_only && (a->type == IMAP4_ARG_STRING ||
		                           a->type == IMAP4_ARG_LITERAL));
		/* A name is not text: cut at a NUL, or with the NUL made a
		 * space, it would be another flag or label. */
		if (!ok || !a->str || memchr(a->str, '\0', a->len))
			return IMAP4_EPROTO;
		v[n++] = a->str;
	}
	v[n] = NULL;
	*out = v;
	*count = n;
	return 0;
}

int imap4_view_mailbox(const char **out, struct imap4_arena *arena,
		       const char *name)
{
	*out = name;
	/* ASCII without '&' decodes to itself, and a byte above 0x7f cannot
	 * be modified UTF-7 (RFC 3501 5.1.3) but is a UTF-8 name (RFC 6855):
	 * neither needs the codec. Such a name (quoted, or an atom as some
	 * servers send it) must be UTF-8 indeed: a caller takes it for one,
	 * and raw Latin-1 would be no name it could store or send back. */
	bool plain = true;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if (*p >= 0x80)
			return imap4_utf8_valid(name, strlen(name))
			               ? 0
			               : IMAP4_EPROTO;
		if (*p == '&')
			plain = false;
	}
	if (plain)
		return 0;

	char *utf8 = NULL;
	int rc = imap4_mutf7_decode(&utf8, name);
	if (rc == IMAP4_ENOMEM)
		return rc;
	if (rc < 0 || !utf8) {
		free(utf8);
		return 0;
	}
	char *copy = imap4_arena_strndup(arena, utf8, strlen(utf8));
	free(utf8);
	if (!copy)
		return IMAP4_ENOMEM;
	*out = copy;
	return 0;
}
