/* address.c - RFC 5322 address lists into the addresses of an ENVELOPE.
 *
 * RFC 5322 3.4 and 4.4 (the obsolete forms every reader still meets):
 *	address-list = address *("," address)	; empty members allowed
 *	address      = mailbox / group
 *	group        = display-name ":" [mailbox-list] ";"
 *	mailbox      = name-addr / addr-spec
 *	name-addr    = [display-name] "<" [obs-route] addr-spec ">"
 *	obs-route    = "@" domain *("," ["@" domain]) ":"
 *	addr-spec    = local-part "@" domain	; CFWS around each dot
 *	display-name = 1*(atom / quoted-string)	; obs-phrase: dots too
 * with comments and folding white space between any two tokens.
 *
 * What comes out is what an IMAP server sends for the header (RFC 3501
 * 7.4.2): the phrase with its quotes and escapes taken out and words one
 * space apart, encoded words left for the caller; the local part and the
 * domain without their comments and white space; a group as a start marker
 * (its name as mailbox, NULL host) and an end marker (all NULL). Like
 * Dovecot and UW-IMAP before it: an addr-spec without a phrase is named by
 * its last comment ("a@b (Real Name)"); a part that is missing is given as
 * MISSING_MAILBOX or MISSING_DOMAIN, so that a host is NULL only in group
 * markers. Where the grammar is broken, the bytes are read the way people
 * wrote them: a lone word is a local part, words without "@" or "<" a
 * name, and junk between members is skipped. Each loop moves forward, so a
 * list is read in linear time; strings are allocated by the length of
 * their own member, so the arena use is linear too.
 */
#include "proto/header.h"

#include <string.h>

#define MISSING_MAILBOX "MISSING_MAILBOX"
#define MISSING_DOMAIN  "MISSING_DOMAIN"
#define SYNTAX_ERROR    "SYNTAX_ERROR"

struct lex {
	const char *p, *end;
	/* The last comment passed, inside its parentheses (NULL: none);
	 * a caller clears it where the comments it wants begin. */
	const char *comment;
	size_t comment_len;
};

/* Characters that end an atom. "." is not one of them: the phrase of
 * obs-phrase and the dot-atoms of addr-spec both keep it, and the local
 * part and domain are made by taking white space and comments out. A
 * table, since every byte of every address list is looked up here. */
#define SPECIALS                                                               \
	['('] = true, [')'] = true, ['<'] = true, ['>'] = true, [':'] = true,  \
	[';'] = true, ['@'] = true, [','] = true, ['"'] = true, [' '] = true,  \
	['\t'] = true, ['\r'] = true, ['\n'] = true
static const bool specials[256] = {SPECIALS};
/* The specials, and ESC and SO, which may open an ISO-2022 run
 * (atom_end): one lookup a byte, as before such runs were read. */
static const bool atom_stops[256] = {SPECIALS, [0x1b] = true, [0x0e] = true};

static inline bool is_special(unsigned char c)
{
	return specials[c];
}

#define ISO2022_RUN_MAX 512
#define ISO2022_SO      0x0e
#define ISO2022_SI      0x0f

/* Where the ISO-2022 double-byte run that starts at p (len bytes left)
 * ends: an ESC "$" run past the escape that shifts back (ESC "(" and its
 * final byte), a run shifted out by SO past its SI; p when none follows
 * on the line (within ISO2022_RUN_MAX bytes), so that a broken run reads
 * as bytes. Old Japanese mail writes names in raw ISO-2022-JP, whose
 * characters have halves such as ";", "(" or "\"" (";3ED" is "Yamada"):
 * inside a run they are text, not the grammar's. So are Korean and
 * Chinese ones (RFC 1557's ISO-2022-KR, RFC 1922's ISO-2022-CN): there
 * the escape (ESC "$" ")" "C") only designates a set, whose characters
 * come between SO and SI (">" of "GQ19>n", "Hangugeo"). */
static const char *iso2022_run_end(const char *p, const char *end)
{
	/* A run is a name's few characters: the bound keeps a line of
	 * escapes without a shift back from costing a scan each. */
	if (end - p > ISO2022_RUN_MAX)
		end = p + ISO2022_RUN_MAX;
	bool shifted = *p == ISO2022_SO;
	/* A designation into G1, G2 or G3, its final byte one of ISO 2022's
	 * (never a quote or a line's end, which it would hide) */
	if (!shifted && end - p >= 4 &&
	    (p[2] == ')' || p[2] == '*' || p[2] == '+') && p[3] >= 0x30 &&
	    p[3] <= 0x7e)
		return p + 4;
	for (const char *q = p + (shifted ? 1 : 2);
	     q < end && *q != '\r' && *q != '\n'; q++) {
		if (shifted && *q == ISO2022_SI)
			return q + 1;
		if (!shifted && q[0] == 0x1b && end - q >= 3 && q[1] == '(')
			return q + 3;
	}
	return p;
}

static inline bool iso2022_run_at(const char *p, const char *end)
{
	return (*p == 0x1b && end - p > 1 && p[1] == '$') || *p == ISO2022_SO;
}

/* The end of the atom that starts at p: the first special outside an
 * ISO-2022 run. */
static const char *atom_end(const char *p, const char *end)
{
	for (;;) {
		while (p < end && !atom_stops[(unsigned char)*p])
			p++;
		if (p == end || is_special((unsigned char)*p))
			return p;
		const char *q;
		if (iso2022_run_at(p, end) && (q = iso2022_run_end(p, end)) > p)
			p = q;
		else
			p++; /* an ESC or SO that opens no run is a byte
			      * of the atom */
	}
}

static bool is_fws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

const char *imap4_comment_end(const char *p, const char *end, bool *closed)
{
	size_t depth = 0;
	do {
		if (*p == '\\' && (end ? end - p > 1 : p[1] != '\0'))
			p++;
		else if (*p == '(')
			depth++;
		else if (*p == ')')
			depth--;
		p++;
	} while (depth > 0 && (end ? p < end : *p != '\0'));
	if (closed)
		*closed = depth == 0;
	return p;
}

/* Past a comment that starts at l->p, remembering what it says. */
static void skip_comment(struct lex *l)
{
	const char *start = l->p + 1;
	bool closed;
	l->p = imap4_comment_end(l->p, l->end, &closed);
	l->comment = start;
	l->comment_len = (size_t)(l->p - start) - closed;
}

static void skip_cfws(struct lex *l)
{
	while (l->p < l->end) {
		if (is_fws(*l->p))
			l->p++;
		else if (*l->p == '(')
			skip_comment(l);
		else
			return;
	}
}

/* Past a quoted string that starts at l->p; an unterminated one runs to
 * the end (false). */
static bool skip_quoted(struct lex *l)
{
	for (l->p++; l->p < l->end && *l->p != '"'; l->p++) {
		const char *run;
		if (*l->p == '\\' && l->end - l->p > 1)
			l->p++;
		else if (iso2022_run_at(l->p, l->end) &&
		         (run = iso2022_run_end(l->p, l->end)) > l->p)
			l->p = run - 1;
	}
	if (l->p >= l->end)
		return false;
	l->p++;
	return true;
}

/* Past one word (an atom or a quoted string); false when l->p is at a
 * special character. */
static bool skip_bare_word(struct lex *l)
{
	if (l->p >= l->end)
		return false;
	if (*l->p == '"') {
		skip_quoted(l);
		return true;
	}
	const char *start = l->p;
	l->p = atom_end(l->p, l->end);
	return l->p > start;
}

/* Past one word and the CFWS after it. */
static bool skip_word(struct lex *l)
{
	if (!skip_bare_word(l))
		return false;
	skip_cfws(l);
	return true;
}

/* Past one run of words that make a local part or a domain: words joined
 * by dots, with CFWS around the dots allowed (obs-local-part,
 * obs-domain), and the CFWS after the run. A word after white space with
 * no dot between starts another run: in "John Smith john@x" only "john"
 * is the local part, and in "john@x John" only "x" the domain. How many
 * words. */
static size_t skip_dot_run(struct lex *l)
{
	size_t n = 0;
	const char *word_end = NULL;
	while (l->p < l->end) {
		if (n > 0 && l->p > word_end && word_end[-1] != '.' &&
		    *l->p != '.')
			break;
		if (!skip_bare_word(l))
			break;
		word_end = l->p;
		n++;
		skip_cfws(l);
	}
	return n;
}

/* Past words and CFWS; how many words. */
static size_t skip_words(struct lex *l)
{
	size_t n = 0;
	while (skip_word(l))
		n++;
	return n;
}

/* Copies the bytes of s..end to d unfolded (CR and LF taken out), a tab
 * made a space as Dovecot sends it, and a NUL too (no C string holds one;
 * libimap4's ENVELOPE view does the same), with quoted pairs unescaped
 * when quoted (a
 * quoted string's or a comment's inside); where it stopped in d. */
static char *put_unfolded(char *d, const char *s, const char *end, bool quoted)
{
	for (; s < end; s++) {
		const char *run;
		if (quoted && iso2022_run_at(s, end) &&
		    (run = iso2022_run_end(s, end)) > s) {
			/* its "\\" halves are no quoted pairs */
			memcpy(d, s, (size_t)(run - s));
			d += run - s;
			s = run - 1;
			continue;
		}
		if (quoted && *s == '\\' && end - s > 1)
			s++;
		else if (*s == '\r' || *s == '\n')
			continue;
		*d++ = *s == '\t' || *s == '\0' ? ' ' : *s;
	}
	return d;
}

/* The words of s..end without their comments, in arena: one space apart
 * (a phrase) or run together (a local part or a domain, where white space
 * and comments may surround the dots). NULL when there are none (or, for
 * a phrase, only empty ones: '"" <a@b>' has no name, where '""@b' has an
 * empty local part), or out of memory (*failed set). */
static const char *render(struct imap4_arena *arena, const char *s,
                          const char *end, bool spaced, bool *failed)
{
	char *out = imap4_arena_alloc(arena, (size_t)(end - s) + 1);
	if (!out) {
		*failed = true;
		return NULL;
	}
	struct lex l = {.p = s, .end = end};
	char *d = out;
	bool any = false;
	skip_cfws(&l);
	while (l.p < l.end) {
		const char *w = l.p;
		any = true;
		if (*l.p == '"') {
			const char *close = skip_quoted(&l) ? l.p - 1 : l.p;
			if (spaced && d > out)
				*d++ = ' ';
			d = put_unfolded(d, w + 1, close, true);
		} else if (!is_special((unsigned char)*l.p)) {
			if (spaced && d > out)
				*d++ = ' ';
			/* An atom holds no white space; a NUL is a space. */
			const char *atom = l.p;
			l.p = atom_end(l.p, l.end);
			size_t len = (size_t)(l.p - atom);
			memcpy(d, atom, len);
			for (char *z = memchr(d, '\0', len); z;
			     z = memchr(z, '\0', (size_t)(d + len - z)))
				*z = ' ';
			d += len;
		} else {
			l.p++; /* a special the caller left in: dropped */
		}
		skip_cfws(&l);
	}
	if (!any || (spaced && d == out))
		return NULL;
	*d = '\0';
	return out;
}

static const char *copy_of(struct imap4_arena *arena, const char *s, size_t n,
                           bool *failed)
{
	char *out = imap4_arena_alloc(arena, n + 1);
	if (!out) {
		*failed = true;
		return NULL;
	}
	char *d = put_unfolded(out, s, s + n, true);
	if (d == out)
		return NULL;
	*d = '\0';
	return out;
}

/* s..end without its white space and comments, in arena (an obs-route:
 * "@a,@b"); NULL for nothing or out of memory (*failed set). */
static const char *strip_cfws(struct imap4_arena *arena, const char *s,
                              const char *end, bool *failed)
{
	char *out = imap4_arena_alloc(arena, (size_t)(end - s) + 1);
	if (!out) {
		*failed = true;
		return NULL;
	}
	struct lex l = {.p = s, .end = end};
	char *d = out;
	for (skip_cfws(&l); l.p < l.end; skip_cfws(&l)) {
		const char *w = l.p;
		if (*l.p == '"')
			skip_quoted(&l);
		else
			l.p++;
		d = put_unfolded(d, w, l.p, false);
	}
	if (d == out)
		return NULL;
	*d = '\0';
	return out;
}

struct list_out {
	struct imap4_arena *arena;
	imap4_address **tail; /* where the next address goes */
	bool failed;
};

static imap4_address *add(struct list_out *o)
{
	imap4_address *a = imap4_arena_calloc(o->arena, 1, sizeof(*a));
	if (!a) {
		o->failed = true;
		return NULL;
	}
	*o->tail = a;
	o->tail = (imap4_address **)&a->next;
	return a;
}

static void fill_missing(imap4_address *a)
{
	if (!a->mailbox)
		a->mailbox = MISSING_MAILBOX;
	if (!a->host)
		a->host = MISSING_DOMAIN;
}

/* Past quoted strings, comments and other bytes up to one of stops (or
 * the end). */
static void skip_until(struct lex *l, const char *stops)
{
	while (l->p < l->end && !strchr(stops, *l->p)) {
		if (*l->p == '"')
			skip_quoted(l);
		else if (*l->p == '(')
			skip_comment(l);
		else
			l->p++;
	}
}

/* A domain's labels are not empty: "a@b." and "a@.b" have none usable. */
static bool domain_is_whole(const char *d)
{
	size_t n = strlen(d);
	return n > 0 && d[0] != '.' && d[n - 1] != '.' && !strstr(d, "..");
}

/* The domain after the "@" at l->p, past it and the CFWS after it; NULL
 * when there is none or it is not whole. */
static const char *domain(struct lex *l, struct list_out *o)
{
	const char *start = ++l->p;
	skip_cfws(l);
	skip_dot_run(l);
	const char *d = render(o->arena, start, l->p, false, &o->failed);
	return d && domain_is_whole(d) ? d : NULL;
}

/* "<" [obs-route] addr-spec ">", from l->p at "<", into a. */
static void angle_addr(struct lex *l, struct list_out *o, imap4_address *a)
{
	l->p++;
	skip_cfws(l);
	if (l->p < l->end && *l->p == '@') {
		/* obs-route: kept as written, less white space and comments */
		const char *route = l->p;
		skip_until(l, ":>");
		a->adl = strip_cfws(o->arena, route, l->p, &o->failed);
		if (l->p < l->end && *l->p == ':')
			l->p++;
		skip_cfws(l);
	}
	const char *local = l->p;
	skip_words(l);
	a->mailbox = render(o->arena, local, l->p, false, &o->failed);
	if (l->p < l->end && *l->p == '@')
		a->host = domain(l, o);
	/* Anything else inside the brackets ("a@b@c") makes the address
	 * unusable: Dovecot's name for its host then. */
	const char *rest = l->p;
	skip_until(l, ">,");
	if (l->p > rest)
		a->host = SYNTAX_ERROR;
	if (l->p < l->end && *l->p == '>')
		l->p++;
}

/* Past anything up to the end of the member: "," or, in a group, ";". */
static void skip_member_rest(struct lex *l, bool in_group)
{
	skip_until(l, in_group ? ",;" : ",");
}

/* An addr-spec whose local part ends at words_end, at the "@" at l->p.
 * Words before the local part's own run are what the sender meant as a
 * name ("John Smith john@x"); without them the name is the last comment
 * after the local part's first word ("a@b (Real Name)": those before it
 * were passed before start). */
static void addr_spec(struct lex *l, struct list_out *o, imap4_address *a,
                      const char *start, const char *words_end)
{
	struct lex runs = {.p = start, .end = words_end};
	const char *local = start;
	while (runs.p < runs.end) {
		const char *run = runs.p;
		if (!skip_dot_run(&runs)) {
			runs.p++; /* not a word: cannot happen before "@" */
			continue;
		}
		local = run;
	}
	a->mailbox = render(o->arena, local, words_end, false, &o->failed);
	a->name = local > start
	                  ? render(o->arena, start, local, true, &o->failed)
	                  : NULL;
	l->comment = local > start ? NULL : runs.comment;
	l->comment_len = runs.comment_len;
	a->host = domain(l, o);
	if (!a->name && l->comment)
		a->name = copy_of(o->arena, l->comment, l->comment_len,
		                  &o->failed);
}

/* One mailbox (or, outside a group, a group) from l->p, past its leading
 * CFWS. */
static void member(struct lex *l, struct list_out *o, bool in_group);

static void group(struct lex *l, struct list_out *o, const char *name,
                  const char *name_end)
{
	imap4_address *start = add(o);
	if (!start)
		return;
	start->mailbox = render(o->arena, name, name_end, true, &o->failed);
	if (!start->mailbox && !o->failed)
		start->mailbox = "";
	l->p++; /* ":" */
	for (;;) {
		skip_cfws(l);
		if (l->p >= l->end || o->failed)
			break;
		if (*l->p == ';') {
			l->p++;
			break;
		}
		if (*l->p == ',' || *l->p == ':') {
			l->p++;
			continue;
		}
		member(l, o, true);
	}
	add(o); /* the end marker: all NULL */
}

static void member(struct lex *l, struct list_out *o, bool in_group)
{
	const char *start = l->p;
	size_t words = skip_words(l);
	const char *words_end = l->p;
	char c = l->p < l->end ? *l->p : ',';

	if (c == ':' && !in_group) {
		group(l, o, start, words_end);
		return;
	}
	if (words == 0 && c != '<' && c != '@') {
		l->p++; /* junk: ">", ")", a stray ":" */
		return;
	}
	imap4_address *a = add(o);
	if (!a)
		return;
	if (c == '<') {
		a->name = render(o->arena, start, words_end, true, &o->failed);
		l->comment = NULL;
		angle_addr(l, o, a);
		skip_cfws(l);
		if (!a->name && l->comment)
			a->name = copy_of(o->arena, l->comment, l->comment_len,
			                  &o->failed);
	} else if (c == '@') {
		addr_spec(l, o, a, start, words_end);
	} else if (words == 1 && *start != '"') {
		/* a lone atom ("MAILER-DAEMON"): a local part */
		a->mailbox =
		        render(o->arena, start, words_end, false, &o->failed);
	} else {
		/* words without an address: what the sender meant as a name */
		a->name = render(o->arena, start, words_end, true, &o->failed);
	}
	fill_missing(a);
	skip_member_rest(l, in_group);
}

int imap4_address_list_parse(const imap4_address ***tail,
                             struct imap4_arena *arena, const char *v, size_t n)
{
	struct lex l = {.p = v, .end = v + n};
	struct list_out o = {.arena = arena, .tail = (imap4_address **)*tail};
	for (;;) {
		skip_cfws(&l);
		if (l.p >= l.end || o.failed)
			break;
		if (*l.p == ',' || *l.p == ';') {
			l.p++; /* empty members are skipped (RFC 5322 4.4) */
			continue;
		}
		member(&l, &o, false);
	}
	*tail = (const imap4_address **)o.tail;
	return o.failed ? IMAP4_ENOMEM : 0;
}
