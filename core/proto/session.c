/* session.c - capabilities, ENABLE state and imaplib's response cache. */
#include "proto/session.h"
#include "proto/flat.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void imap4_session_init(struct imap4_session *s)
{
	memset(s, 0, sizeof(*s));
}

static void entry_clear(struct imap4_session_entry *e)
{
	free(e->text);
	memset(e, 0, sizeof(*e));
}

void imap4_session_forget_cache(struct imap4_session *s)
{
	for (size_t i = 0; i < IMAP4_SESSION_MAX_NAMES; i++)
		entry_clear(&s->cache[i]);
}

void imap4_session_forget(struct imap4_session *s)
{
	free(s->caps);
	s->caps = NULL;
	s->ncaps = 0;
	s->caps_gen++;
	imap4_session_forget_cache(s);
}

void imap4_session_clear(struct imap4_session *s)
{
	imap4_session_forget(s);
	free(s->enabled);
	s->enabled = NULL;
	s->nenabled = 0;
}

/* One block: the pointer array, then the strings, upper-cased. Only atoms
 * count; a server sending strings in a capability list is ignored there. */
static int make_list(char ***out, size_t *count, const imap4_arg *first,
                     char *const *keep, size_t nkeep)
{
	size_t n = nkeep, bytes = 0;
	char **list, *p;

	for (size_t i = 0; i < nkeep; i++)
		bytes += strlen(keep[i]) + 1;
	for (const imap4_arg *a = first; a; a = a->next) {
		if (a->type != IMAP4_ARG_ATOM)
			continue;
		if (++n > IMAP4_SESSION_MAX_CAPS)
			return IMAP4_ELIMIT;
		bytes += a->len + 1;
	}
	list = malloc((n + 1) * sizeof(*list) + bytes);
	if (list == NULL)
		return IMAP4_ENOMEM;
	p = (char *)(list + n + 1);
	n = 0;
	for (size_t i = 0; i < nkeep; i++) {
		list[n++] = strcpy(p, keep[i]);
		p += strlen(p) + 1;
	}
	for (const imap4_arg *a = first; a; a = a->next) {
		if (a->type != IMAP4_ARG_ATOM)
			continue;
		list[n++] = p;
		for (size_t i = 0; i < a->len; i++)
			*p++ = (char)toupper((unsigned char)a->str[i]);
		*p++ = '\0';
	}
	list[n] = NULL;
	*out = list;
	*count = n;
	return 0;
}

int imap4_session_set_caps(struct imap4_session *s, const imap4_arg *first)
{
	char **caps;
	size_t n;
	int rc = make_list(&caps, &n, first, NULL, 0);

	if (rc)
		return rc;
	free(s->caps);
	s->caps = caps;
	s->ncaps = n;
	s->caps_gen++;
	return 0;
}

static bool in_list(char *const *list, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(list[i], name) == 0)
			return true;
	return false;
}

bool imap4_session_has_cap(const struct imap4_session *s, const char *name)
{
	return in_list(s->caps, s->ncaps, name);
}

bool imap4_session_is_enabled(const struct imap4_session *s, const char *name)
{
	return in_list(s->enabled, s->nenabled, name);
}

/* RFC 5161 3.2: "* ENABLED" lists what this ENABLE turned on; what was on
 * before stays on. */
static int add_enabled(struct imap4_session *s, const imap4_arg *first)
{
	char **list;
	size_t n;
	int rc = make_list(&list, &n, first, s->enabled, s->nenabled);

	if (rc)
		return rc;
	free(s->enabled);
	s->enabled = list;
	s->nenabled = n;
	s->utf8 = in_list(list, n, "UTF8=ACCEPT") ||
	          in_list(list, n, "UTF8=ONLY");
	return 0;
}

static struct imap4_session_entry *
find(struct imap4_session *s, const char *name, size_t len, bool create)
{
	struct imap4_session_entry *free_slot = NULL;

	if (len == 0 || len >= sizeof(s->cache[0].name))
		return NULL;
	/* The first letters, compared as strncasecmp would, spare a
	 * strncasecmp per entry on every response (a FETCH of a whole
	 * mailbox passes here once per message). */
	int first = tolower((unsigned char)name[0]);
	for (size_t i = 0; i < IMAP4_SESSION_MAX_NAMES; i++) {
		struct imap4_session_entry *e = &s->cache[i];

		if (e->name[0] == '\0') {
			if (free_slot == NULL)
				free_slot = e;
			continue;
		}
		if (tolower((unsigned char)e->name[0]) == first &&
		    strncasecmp(e->name, name, len) == 0 &&
		    e->name[len] == '\0')
			return e;
	}
	if (!create || free_slot == NULL)
		return NULL;
	for (size_t i = 0; i < len; i++)
		free_slot->name[i] = (char)toupper((unsigned char)name[i]);
	free_slot->name[len] = '\0';
	return free_slot;
}

/* What a value of len bytes counts against IMAP4_SESSION_MAX_TEXT: its
 * bytes, its NUL and its pointer in imap4_session_pop_all()'s array, so
 * that neither the cache nor that array passes the bound (a flood of
 * empty values costs something too). */
static size_t value_cost(size_t len)
{
	return len + 1 + sizeof(char *);
}

static void drop_oldest(struct imap4_session_entry *e)
{
	size_t n = strlen(e->text + e->start);

	e->start += n + 1;
	e->cost -= value_cost(n);
	if (--e->count == 0)
		e->start = e->end = e->newest = 0;
}

/* Room for need more bytes after the values. The buffer is kept at least
 * twice what it holds, so a move of the values to its start (after the
 * oldest were dropped) is paid for by as many bytes appended since: a
 * flood of one name costs a constant per byte, not a move of 64 KiB per
 * response. */
static int make_room(struct imap4_session_entry *e, size_t need)
{
	size_t live = e->end - e->start;

	if (e->end + need <= e->alloc)
		return 0;
	if (2 * (live + need) > e->alloc) {
		size_t n = 2 * (live + need);
		char *t = realloc(e->text, n < 64 ? 64 : n);

		if (t == NULL)
			return IMAP4_ENOMEM;
		e->text = t;
		e->alloc = n < 64 ? 64 : n;
	}
	if (e->start) {
		memmove(e->text, e->text + e->start, live);
		e->newest -= e->start;
		e->end = live;
		e->start = 0;
	}
	return 0;
}

/* Adds a datum under name, after the ones kept already (imaplib appends
 * to a list per name). When the values would pass the bound, the oldest
 * go first; a datum that passes it alone is not kept, and neither are
 * the older ones: imap4_response() would give one of them as the newest. */
static int cache_put(struct imap4_session *s, const char *name, const char *a,
                     size_t alen, const char *b, size_t blen)
{
	struct imap4_session_entry *e = find(s, name, strlen(name), true);
	int rc;

	/* Values are C strings, one after another: a NUL a literal carried
	 * would end one early and shift every later one. They end there,
	 * as imap4_response()'s string always did. */
	const char *nul = memchr(a, '\0', alen);
	if (nul) {
		alen = (size_t)(nul - a);
		blen = 0;
	} else if (blen && (nul = memchr(b, '\0', blen)) != NULL) {
		blen = (size_t)(nul - b);
	}
	size_t len = alen + (blen ? 1 + blen : 0);

	if (e == NULL)
		return 0;
	if (value_cost(len) > IMAP4_SESSION_MAX_TEXT) {
		entry_clear(e);
		return 0;
	}
	while (e->count && e->cost + value_cost(len) > IMAP4_SESSION_MAX_TEXT)
		drop_oldest(e);
	rc = make_room(e, len + 1);
	if (rc)
		return rc;
	char *t = e->text + e->end;
	memcpy(t, a, alen);
	if (blen) {
		t[alen] = ' ';
		memcpy(t + alen + 1, b, blen);
	}
	t[len] = '\0';
	e->newest = e->end;
	e->end += len + 1;
	e->count++;
	e->cost += value_cost(len);
	return 0;
}

static size_t trim_crlf(const char *p, size_t n)
{
	while (n && (p[n - 1] == '\n' || p[n - 1] == '\r'))
		n--;
	return n;
}

/* The value of a status response ("[ALERT] text" under OK, as imaplib
 * keeps it) is text: a literal in its code is written as code_text has
 * it (flat.h), not with its CRLF. The data of other responses is kept as
 * sent, literals and all, as imaplib hands a literal's bytes over. A
 * code's literal is never streamed (only a FETCH section's value is), so
 * its data is in raw; the offsets of streamed literals are not known
 * here, and what is kept stays one line in any case. */
static int cache_text(struct imap4_session *s, const imap4_resp *resp,
                      const char *num, size_t numlen, const char *p,
                      const char *end)
{
	struct imap4_flat f = {resp->raw, NULL, 0};
	size_t n = (size_t)(end - p);

	if (!memchr(p, '\r', n))
		return num ? cache_put(s, resp->name, num, numlen, p, n)
		           : cache_put(s, resp->name, p, n, NULL, 0);
	n = imap4_flat_write(NULL, &f, p, end);
	char *t = malloc(n + 1);
	if (t == NULL)
		return IMAP4_ENOMEM;
	imap4_flat_write(t, &f, p, end);
	int rc = num ? cache_put(s, resp->name, num, numlen, t, n)
	             : cache_put(s, resp->name, t, n, NULL, 0);
	free(t);
	return rc;
}

/* imaplib keeps, for "* 3 EXISTS", "3" under EXISTS; for "* 3 FETCH (..)",
 * "3 (..)" under FETCH; for "* FLAGS (..)", "(..)" under FLAGS; and for a
 * status response with a code, the code's data under the code's name. */
static int cache_resp(struct imap4_session *s, const imap4_resp *resp)
{
	const char *p = resp->raw, *end, *num = NULL, *rest;
	size_t numlen = 0;
	int rc;

	if (resp->type == IMAP4_RESP_UNTAGGED && resp->name && p &&
	    resp->raw_len > 2) {
		end = p + trim_crlf(p, resp->raw_len);
		p += 2;
		if (resp->has_number) {
			num = p;
			while (p < end && *p >= '0' && *p <= '9')
				p++;
			numlen = (size_t)(p - num);
			while (p < end && *p == ' ')
				p++;
		}
		while (p < end && *p != ' ')
			p++;
		rest = p < end ? p + 1 : end;
		if (resp->is_status)
			rc = cache_text(s, resp, num, numlen, rest, end);
		else if (num)
			rc = cache_put(s, resp->name, num, numlen, rest,
			               (size_t)(end - rest));
		else
			rc = cache_put(s, resp->name, rest,
			               (size_t)(end - rest), NULL, 0);
		if (rc)
			return rc;
	}
	if (resp->is_status && resp->code) {
		const char *t = resp->code_text ? resp->code_text : "";
		size_t n = strlen(t);

		while (*t == ' ')
			t++, n--;
		while (n && t[n - 1] == ' ')
			n--;
		return cache_put(s, resp->code, t, n, NULL, 0);
	}
	return 0;
}

int imap4_session_observe(struct imap4_session *s, const imap4_resp *resp,
                          bool remember)
{
	int rc = 0;

	if (resp->type == IMAP4_RESP_CONTINUE)
		return 0;
	if (resp->is_status && resp->code &&
	    strcmp(resp->code, "CAPABILITY") == 0)
		rc = imap4_session_set_caps(s, resp->code_args);
	else if (resp->type == IMAP4_RESP_UNTAGGED && resp->name &&
	         strcmp(resp->name, "CAPABILITY") == 0)
		rc = imap4_session_set_caps(s, resp->args);
	else if (resp->type == IMAP4_RESP_UNTAGGED && resp->name &&
	         strcmp(resp->name, "ENABLED") == 0)
		rc = add_enabled(s, resp->args);
	if (rc || !remember)
		return rc;
	return cache_resp(s, resp);
}

int imap4_session_remember(struct imap4_session *s, const imap4_resp *resp)
{
	return cache_resp(s, resp);
}

int imap4_session_pop(struct imap4_session *s, const char *name, char **out)
{
	struct imap4_session_entry *e = find(s, name, strlen(name), false);

	*out = NULL;
	if (e == NULL || e->count == 0)
		return 0;
	/* The newest value, moved to the start of the buffer it lives in:
	 * the caller's without a copy. */
	memmove(e->text, e->text + e->newest, strlen(e->text + e->newest) + 1);
	*out = e->text;
	memset(e, 0, sizeof(*e));
	return 0;
}

int imap4_session_pop_all(struct imap4_session *s, const char *name,
                          char ***out, size_t *count)
{
	struct imap4_session_entry *e = find(s, name, strlen(name), false);

	*out = NULL;
	*count = 0;
	if (e == NULL || e->count == 0)
		return 0;
	size_t live = e->end - e->start;
	char **v = malloc((e->count + 1) * sizeof(*v) + live);
	if (v == NULL)
		return IMAP4_ENOMEM;
	char *p = memcpy(v + e->count + 1, e->text + e->start, live);
	for (size_t i = 0; i < e->count; i++) {
		v[i] = p;
		p += strlen(p) + 1;
	}
	v[e->count] = NULL;
	*out = v;
	*count = e->count;
	entry_clear(e);
	return 0;
}

void imap4_session_discard(struct imap4_session *s, const char *name)
{
	struct imap4_session_entry *e = find(s, name, strlen(name), false);

	if (e)
		entry_clear(e);
}

bool imap4_session_has(const struct imap4_session *s, const char *name)
{
	return find((struct imap4_session *)s, name, strlen(name), false) !=
	       NULL;
}
