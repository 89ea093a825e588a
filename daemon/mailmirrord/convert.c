/* convert.c - typed FETCH data to cache rows; see convert.h. */
#include "mailmirrord/convert.h"

#include "util/buf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static char *decode_header(const char *s)
{
	char *out = NULL;
	if (!s)
		return NULL;
	if (imap4_rfc2047_decode(&out, s, strlen(s)) < 0)
		return NULL;
	return out;
}

char *conv_flags(const imap4_msg *msg)
{
	struct imap4_buf b;
	imap4_buf_init(&b, 0);
	for (size_t i = 0; i < msg->nflags; i++) {
		/* \Recent belongs to one session (RFC 3501 2.3.2; gone in
		 * IMAP4rev2): the mirror would show whichever session
		 * happened to see it first. */
		if (strcasecmp(msg->flags[i], "\\Recent") == 0)
			continue;
		if ((b.len && imap4_buf_putc(&b, ' ') < 0) ||
		    imap4_buf_puts(&b, msg->flags[i]) < 0) {
			imap4_buf_clear(&b);
			return NULL;
		}
	}
	return imap4_buf_steal(&b, NULL);
}

static int put_address(struct imap4_buf *b, const imap4_address *a)
{
	char *name = decode_header(a->name);
	int rc = 0;
	if (name && *name) {
		rc = imap4_buf_printf(b, "%s <", name);
	} else if (a->name && !name) {
		rc = -1;
	}
	if (rc == 0)
		rc = imap4_buf_printf(b, "%s@%s", a->mailbox ? a->mailbox : "",
		                      a->host);
	if (rc == 0 && name && *name)
		rc = imap4_buf_putc(b, '>');
	free(name);
	return rc;
}

char *conv_addresses(const imap4_address *list)
{
	struct imap4_buf b;
	imap4_buf_init(&b, 0);
	bool first = true;
	int rc = 0;
	/* RFC 3501 7.4.2: a NIL host starts a group (mailbox is its name)
	 * and a NIL host with a NIL mailbox ends it. */
	for (const imap4_address *a = list; a && rc == 0; a = a->next) {
		if (!a->host) {
			if (a->mailbox) {
				char *g = decode_header(a->mailbox);
				rc = imap4_buf_printf(
				        &b, "%s%s:", first ? "" : ", ",
				        g ? g : a->mailbox);
				free(g);
				first = true;
				continue;
			}
			rc = imap4_buf_putc(&b, ';');
			first = false;
			continue;
		}
		if (!first)
			rc = imap4_buf_puts(&b, ", ");
		else if (b.len && b.data[b.len - 1] == ':')
			rc = imap4_buf_putc(&b, ' ');
		if (rc == 0)
			rc = put_address(&b, a);
		first = false;
	}
	if (rc < 0 || b.len == 0) {
		imap4_buf_clear(&b);
		return NULL;
	}
	return imap4_buf_steal(&b, NULL);
}

/* ---- RFC 5322 section 3.3 dates, with the obsolete syntax of 4.3 */

static const char *skip_cfws(const char *p)
{
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (*p != '(')
			return p;
		int depth = 0;
		do {
			if (*p == '\\' && p[1])
				p++;
			else if (*p == '(')
				depth++;
			else if (*p == ')')
				depth--;
			p++;
		} while (*p && depth > 0);
	}
}

static bool read_num(const char **pp, int min_digits, int max_digits, int *out)
{
	const char *p = *pp;
	int n = 0, d = 0;
	while (isdigit((unsigned char)*p) && d < max_digits) {
		n = n * 10 + (*p - '0');
		p++;
		d++;
	}
	if (d < min_digits || isdigit((unsigned char)*p))
		return false;
	*out = n;
	*pp = p;
	return true;
}

static int zone_minutes(const char *p, bool *ok)
{
	static const struct {
		const char *name;
		int minutes;
	} named[] = {
	        {"UT", 0},     {"GMT", 0},    {"Z", 0},      {"EST", -300},
	        {"EDT", -240}, {"CST", -360}, {"CDT", -300}, {"MST", -420},
	        {"MDT", -360}, {"PST", -480}, {"PDT", -420},
	};
	*ok = true;
	if (*p == '+' || *p == '-') {
		int sign = *p == '-' ? -1 : 1;
		p++;
		int hhmm;
		if (!read_num(&p, 4, 4, &hhmm) || hhmm % 100 > 59) {
			*ok = false;
			return 0;
		}
		return sign * ((hhmm / 100) * 60 + hhmm % 100);
	}
	size_t len = 0;
	while (isalpha((unsigned char)p[len]))
		len++;
	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		if (strlen(named[i].name) == len &&
		    strncasecmp(p, named[i].name, len) == 0)
			return named[i].minutes;
	/* RFC 5322 4.3: other alphabetic zones are "-0000", unknown. */
	return 0;
}

static int64_t days_from_civil(int y, int m, int d)
{
	/* Days since 1970-01-01 in the proleptic Gregorian calendar. */
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int64_t conv_rfc5322_date(const char *s)
{
	static const char months[] = "janfebmaraprmayjunjulaugsepoctnovdec";
	if (!s)
		return STORE_NO_TIME;
	const char *p = skip_cfws(s);
	/* optional day-of-week */
	if (isalpha((unsigned char)*p)) {
		while (isalpha((unsigned char)*p))
			p++;
		p = skip_cfws(p);
		if (*p == ',')
			p++;
		p = skip_cfws(p);
	}
	int day, year, hour, min, sec = 0;
	if (!read_num(&p, 1, 2, &day))
		return STORE_NO_TIME;
	p = skip_cfws(p);
	if (*p == '-') /* "1-Jan-2024", seen from some gateways */
		p++;
	int month = 0;
	for (int i = 0; i < 12; i++)
		if (strncasecmp(p, months + 3 * i, 3) == 0)
			month = i + 1;
	if (!month)
		return STORE_NO_TIME;
	while (isalpha((unsigned char)*p))
		p++;
	p = skip_cfws(p);
	if (*p == '-')
		p++;
	const char *ys = p;
	if (!read_num(&p, 2, 4, &year))
		return STORE_NO_TIME;
	/* RFC 5322 4.3: two-digit years are 1950-2049, three-digit ones
	 * are added to 1900. */
	if (p - ys == 2)
		year += year < 50 ? 2000 : 1900;
	else if (p - ys == 3)
		year += 1900;
	p = skip_cfws(p);
	if (!read_num(&p, 1, 2, &hour))
		return STORE_NO_TIME;
	p = skip_cfws(p);
	if (*p++ != ':')
		return STORE_NO_TIME;
	p = skip_cfws(p);
	if (!read_num(&p, 2, 2, &min))
		return STORE_NO_TIME;
	p = skip_cfws(p);
	if (*p == ':') {
		p = skip_cfws(p + 1);
		if (!read_num(&p, 2, 2, &sec))
			return STORE_NO_TIME;
	}
	p = skip_cfws(p);
	bool ok = true;
	int zone = *p ? zone_minutes(p, &ok) : 0;
	static const int mdays[] = {31, 29, 31, 30, 31, 30,
	                            31, 31, 30, 31, 30, 31};
	if (!ok || day < 1 || day > mdays[month - 1] || hour > 23 || min > 59 ||
	    sec > 60 || year < 1900 || year > 9999)
		return STORE_NO_TIME;
	if (sec == 60)
		sec = 59; /* a leap second: one second early is close */
	int64_t t = days_from_civil(year, month, day) * 86400 + hour * 3600 +
	            min * 60 + sec;
	return t - (int64_t)zone * 60;
}

/* ---- messages */

static char *own(struct conv_msg *c, char *s)
{
	if (s && c->nowned < (int)(sizeof(c->owned) / sizeof(c->owned[0])))
		c->owned[c->nowned++] = s;
	return s;
}

void conv_clear(struct conv_msg *c)
{
	for (int i = 0; i < c->nowned; i++)
		free(c->owned[i]);
	c->nowned = 0;
}

int conv_msg(struct conv_msg *out, const imap4_msg *msg)
{
	memset(out, 0, sizeof(*out));
	struct store_msg *r = &out->row;
	r->uid = msg->uid;
	r->modseq = (msg->have & IMAP4_HAVE_MODSEQ) ? msg->modseq : 0;
	r->internaldate = (msg->have & IMAP4_HAVE_INTERNALDATE)
	                          ? (int64_t)msg->internaldate
	                          : STORE_NO_TIME;
	r->size = (msg->have & IMAP4_HAVE_SIZE) ? (int64_t)msg->size : -1;
	r->date = STORE_NO_TIME;
	if (msg->have & IMAP4_HAVE_FLAGS) {
		r->flags = own(out, conv_flags(msg));
		if (!r->flags)
			goto nomem;
	}
	const imap4_envelope *e = msg->envelope;
	if (!(msg->have & IMAP4_HAVE_ENVELOPE) || !e)
		return 0;
	r->date = conv_rfc5322_date(e->date);
	struct {
		const char **dst;
		char *val;
		bool present;
	} fields[] = {
	        {&r->subject, decode_header(e->subject), e->subject != NULL},
	        {&r->from, conv_addresses(e->from), e->from != NULL},
	        {&r->sender, conv_addresses(e->sender), e->sender != NULL},
	        {&r->reply_to, conv_addresses(e->reply_to),
	         e->reply_to != NULL},
	        {&r->to, conv_addresses(e->to), e->to != NULL},
	        {&r->cc, conv_addresses(e->cc), e->cc != NULL},
	        {&r->bcc, conv_addresses(e->bcc), e->bcc != NULL},
	};
	bool failed = false;
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		*fields[i].dst = own(out, fields[i].val);
		out->bytes += fields[i].val ? strlen(fields[i].val) : 0;
		/* An address list of only empty groups gives NULL too; only
		 * a subject that was there and vanished means no memory. */
		if (i == 0 && fields[i].present && !fields[i].val)
			failed = true;
	}
	/* Copies, so that a row outlives the response it came from (sync.c
	 * writes rows after the FETCH completes). */
	if (e->message_id && !(r->message_id = own(out, strdup(e->message_id))))
		failed = true;
	if (e->in_reply_to &&
	    !(r->in_reply_to = own(out, strdup(e->in_reply_to))))
		failed = true;
	if (failed)
		goto nomem;
	return 0;
nomem:
	conv_clear(out);
	return -1;
}
