/* arena.h - bump allocator for the memory of one response.
 *
 * Every object a parsed response points to (strings, argument nodes, typed
 * views) is carved from one arena, so a response is released with one reset
 * and nothing on the error path needs freeing. Blocks come from malloc and
 * are kept across resets; a cap bounds the total so a hostile server cannot
 * grow it without limit.
 */
#ifndef IMAP4_UTIL_ARENA_H
#define IMAP4_UTIL_ARENA_H

#include <stdbool.h>
#include <stddef.h>

struct imap4_arena_block;

struct imap4_arena {
	struct imap4_arena_block *head; /* block being filled */
	struct imap4_arena_block
	        *spare; /* blocks kept for reuse after a reset */
	size_t used;    /* bytes handed out since the last reset */
	size_t cap;     /* limit on used; 0 means no limit */
	size_t next;    /* size of the next block for small allocations:
	                   doubles up to ARENA_MAX_GROWTH; a larger request
	                   gets a block of its own size and leaves it */
	bool over_cap;  /* the last failed allocation was refused by the
	                   cap, not by malloc: set only when one fails, so
	                   read it right after a failure */
};

/* An empty arena that may hand out at most cap bytes (0: unlimited). */
void imap4_arena_init(struct imap4_arena *a, size_t cap);

/* Frees every block. The arena may be initialised again afterwards. */
void imap4_arena_clear(struct imap4_arena *a);

/* Forgets every allocation but keeps one block for reuse (declared in
 * imap4.h too, for the library's users, with imap4_arena_new/_free). */
void imap4_arena_reset(struct imap4_arena *a);

/* n bytes aligned for any type, or NULL when out of memory or over the cap.
 * Valid until the next reset or clear. */
void *imap4_arena_alloc(struct imap4_arena *a, size_t n);

/* Same, zero-filled. */
void *imap4_arena_calloc(struct imap4_arena *a, size_t count, size_t size);

/* A NUL-terminated copy of n bytes of s (s may hold NUL bytes). */
char *imap4_arena_strndup(struct imap4_arena *a, const char *s, size_t n);

#endif
