/* resp_copy.c - deep copy of a response into another arena (resp.h).
 *
 * The tree is walked with an explicit stack kept in the destination arena,
 * like the parser builds it: the depth of a tree comes from the server, and
 * a configuration with a large max_depth must not turn into a C stack
 * overflow here.
 */
#include "proto/resp.h"

#include <string.h>

static int dup_str(const char **out, struct imap4_arena *dst, const char *s,
                   size_t len)
{
	if (!s) {
		*out = NULL;
		return 0;
	}
	*out = imap4_arena_strndup(dst, s, len);
	return *out ? 0 : IMAP4_ENOMEM;
}

static int dup_cstr(const char **out, struct imap4_arena *dst, const char *s)
{
	return dup_str(out, dst, s, s ? strlen(s) : 0);
}

static struct imap4_arg *dup_node(struct imap4_arena *dst, const imap4_arg *src)
{
	struct imap4_arg *a;
	size_t len = src->str ? src->len : 0;
	if (len > SIZE_MAX - sizeof(*a) - 1)
		return NULL;
	a = imap4_arena_alloc(dst, sizeof(*a) + len + 1);
	if (!a)
		return NULL;
	*a = *src;
	a->next = NULL;
	a->list = NULL;
	if (src->str) {
		char *s = (char *)(a + 1);
		if (len)
			memcpy(s, src->str, len);
		s[len] = '\0';
		a->str = s;
	}
	return a;
}

/* A list whose children are being copied: its destination node and the
 * source sibling to resume with once they are done. */
struct frame {
	const imap4_arg *src;
	struct imap4_arg *list;
	struct frame *up;
};

static int copy_chain(const imap4_arg **out, struct imap4_arena *dst,
                      const imap4_arg *first)
{
	struct imap4_arg *head = NULL, *tail = NULL;
	struct frame *f = NULL, *spare = NULL;
	const imap4_arg *s = first;

	*out = NULL;
	for (;;) {
		if (!s) {
			if (!f)
				break;
			/* the children of f->list are copied: resume in the
			 * enclosing chain, after the list node */
			struct frame *up = f->up;
			s = f->src;
			tail = f->list;
			f->up = spare;
			spare = f;
			f = up;
			continue;
		}
		struct imap4_arg *a = dup_node(dst, s);
		if (!a)
			return IMAP4_ENOMEM;
		if (tail)
			tail->next = a;
		else if (f)
			f->list->list = a;
		else
			head = a;
		tail = a;
		if (s->type == IMAP4_ARG_LIST && s->list) {
			struct frame *nf = spare;
			if (nf)
				spare = nf->up;
			else if (!(nf = imap4_arena_alloc(dst, sizeof(*nf))))
				return IMAP4_ENOMEM;
			nf->src = s->next;
			nf->list = a;
			nf->up = f;
			f = nf;
			s = s->list;
			tail = NULL;
			continue;
		}
		s = s->next;
	}
	*out = head;
	return 0;
}

int imap4_resp_copy(const imap4_resp **out, struct imap4_arena *dst,
                    const imap4_resp *src)
{
	*out = NULL;
	if (!dst || !src)
		return IMAP4_EINVAL;
	imap4_resp *r = imap4_arena_alloc(dst, sizeof(*r));
	if (!r)
		return IMAP4_ENOMEM;
	*r = *src;
	r->arena = dst;
	if (dup_str(&r->raw, dst, src->raw, src->raw_len) < 0 ||
	    dup_cstr(&r->tag, dst, src->tag) < 0 ||
	    dup_cstr(&r->name, dst, src->name) < 0 ||
	    dup_cstr(&r->code, dst, src->code) < 0 ||
	    dup_cstr(&r->code_text, dst, src->code_text) < 0 ||
	    dup_cstr(&r->text, dst, src->text) < 0 ||
	    copy_chain(&r->code_args, dst, src->code_args) < 0 ||
	    copy_chain(&r->args, dst, src->args) < 0)
		return IMAP4_ENOMEM;
	*out = r;
	return 0;
}
