/* arena.c - bump allocator; see arena.h for the contract. */
#include "util/arena.h"

#include "imap4.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_MIN_BLOCK 4096u
/* Blocks made for small allocations stop doubling here: after one large
 * literal, the next flag list must not get a block twice its size. */
#define ARENA_MAX_GROWTH ((size_t)1 << 20)

struct imap4_arena_block {
	struct imap4_arena_block *next;
	size_t size; /* bytes of data[] */
	size_t fill; /* bytes of data[] handed out */
	alignas(max_align_t) unsigned char data[];
};

void imap4_arena_init(struct imap4_arena *a, size_t cap)
{
	memset(a, 0, sizeof(*a));
	a->cap = cap;
}

static void free_chain(struct imap4_arena_block *b)
{
	while (b) {
		struct imap4_arena_block *next = b->next;
		free(b);
		b = next;
	}
}

void imap4_arena_clear(struct imap4_arena *a)
{
	free_chain(a->head);
	free_chain(a->spare);
	a->head = a->spare = NULL;
	a->used = 0;
}

struct imap4_arena *imap4_arena_new(size_t cap)
{
	struct imap4_arena *a = malloc(sizeof(*a));

	if (a)
		imap4_arena_init(a, cap);
	return a;
}

void imap4_arena_free(struct imap4_arena **a)
{
	if (!a || !*a)
		return;
	imap4_arena_clear(*a);
	free(*a);
	*a = NULL;
}

void imap4_arena_reset(struct imap4_arena *a)
{
	/* imap4_arena_new may give NULL, and _free(NULL) is a no-op. */
	if (!a)
		return;
	/* Keep the largest block: a session that parses big responses once
	 * tends to do so again, and one block bounds what is kept idle. */
	struct imap4_arena_block *keep = NULL, *b = a->head;
	while (b) {
		struct imap4_arena_block *next = b->next;
		if (!keep || b->size > keep->size) {
			free(keep);
			keep = b;
		} else {
			free(b);
		}
		b = next;
	}
	free_chain(a->spare);
	a->spare = NULL;
	if (keep) {
		keep->next = NULL;
		keep->fill = 0;
	}
	a->head = keep;
	a->used = 0;
}

static size_t align_up(size_t n)
{
	const size_t al = alignof(max_align_t);
	return (n + al - 1) & ~(al - 1);
}

void *imap4_arena_alloc(struct imap4_arena *a, size_t n)
{
	if (n == 0)
		n = 1;
	if (n > SIZE_MAX / 2) {
		a->over_cap = a->cap != 0;
		return NULL;
	}
	n = align_up(n);
	if (a->cap && (n > a->cap || a->used > a->cap - n)) {
		a->over_cap = true;
		return NULL;
	}

	struct imap4_arena_block *b = a->head;
	if (!b || b->size - b->fill < n) {
		size_t size = a->next ? a->next : ARENA_MIN_BLOCK;
		if (size < n)
			size = n;
		else
			a->next = size < ARENA_MAX_GROWTH ? size * 2 : size;
		if (a->cap && size > a->cap)
			size = n > a->cap ? n : a->cap;
		b = malloc(sizeof(*b) + size);
		if (!b) {
			a->over_cap = false;
			return NULL;
		}
		b->size = size;
		b->fill = 0;
		b->next = a->head;
		a->head = b;
	}
	void *p = b->data + b->fill;
	b->fill += n;
	a->used += n;
	return p;
}

void *imap4_arena_calloc(struct imap4_arena *a, size_t count, size_t size)
{
	if (size && count > SIZE_MAX / size) {
		a->over_cap = a->cap != 0;
		return NULL;
	}
	void *p = imap4_arena_alloc(a, count * size);
	if (p)
		memset(p, 0, count * size);
	return p;
}

char *imap4_arena_strndup(struct imap4_arena *a, const char *s, size_t n)
{
	if (n == SIZE_MAX)
		return NULL;
	char *p = imap4_arena_alloc(a, n + 1);
	if (!p)
		return NULL;
	if (n)
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}
