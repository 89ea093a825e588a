/* date.c - INTERNALDATE text (RFC 3501 date-time) and Unix time.
 *
 *	date-time = DQUOTE date-day-fixed "-" date-month "-" date-year
 *	            SP time SP zone DQUOTE
 *	date-day-fixed = (SP DIGIT) / 2DIGIT
 *	zone = ("+" / "-") 4DIGIT
 *
 * imaplib.Internaldate2tuple returns a local struct_time; a C caller is
 * better served by what the server meant: the instant (Unix seconds) and
 * the zone it was written in (minutes east of UTC). The arithmetic is done
 * on the proleptic Gregorian calendar by hand, not with mktime or timegm,
 * so it neither depends on TZ nor on the range of struct tm. The same
 * arithmetic serves the Date: header of an ENVELOPE (RFC 5322).
 */
#include "proto/date.h"
#include "proto/header.h"

#include "imap4.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

static const char month_names[12][4] = {"Jan", "Feb", "Mar", "Apr",
                                        "May", "Jun", "Jul", "Aug",
                                        "Sep", "Oct", "Nov", "Dec"};

/* The month named by the three letters at p: 1-12, or 0. RFC 3501's
 * grammar matches them in any case; imaplib's regular expression only as
 * "Jan" is written (exact). */
static int month_number(const char *p, bool exact)
{
	char m[3];
	for (int i = 0; i < 3; i++) {
		if (!p[i])
			return 0;
		m[i] = p[i];
		/* ASCII only: a byte that is no letter stays unequal. */
		if (!exact)
			m[i] = (char)(p[i] >= 'A' && p[i] <= 'Z' ? p[i] + 32
			                                         : p[i]);
	}
	if (!exact)
		m[0] = (char)(m[0] - 32);
	for (int i = 0; i < 12; i++)
		if (memcmp(m, month_names[i], 3) == 0)
			return i + 1;
	return 0;
}

static bool is_leap(long y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(long y, int m)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30,
	                             31, 31, 30, 31, 30, 31};
	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Days from 1970-01-01 to y-m-d (m 1..12), after H. Hinnant's
 * days_from_civil: shifting the year to start in March puts the leap day
 * last, so every era of 400 years has the same shape. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* Reads exactly n digits at *p. */
static bool digits(const char **p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		char c = (*p)[i];
		if (c < '0' || c > '9')
			return false;
		v = v * 10 + (c - '0');
	}
	*p += n;
	*out = v;
	return true;
}

static bool expect(const char **p, char c)
{
	if (**p != c)
		return false;
	(*p)++;
	return true;
}

/* How parse_date_time reads: a FETCH item (the whole string, strict),
 * what a caller gives APPEND (the same, and the day only in RFC 3501's
 * forms), or imaplib's Internaldate2tuple (text around it, lenient about
 * ranges). */
enum date_mode {
	DATE_VALUE,
	DATE_RFC3501,
	DATE_IMAPLIB,
};

/* The date-time at p. DATE_VALUE follows RFC 3501 and nothing may follow
 * the date. DATE_IMAPLIB follows imaplib's InternalDate expression
 * ("[ 0123][0-9]-[A-Z][a-z][a-z]-[0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2}
 * [-+][0-9]{4}") and its arithmetic, calendar.timegm's: a field past its
 * range (31-Feb, 25:61:99, a zone of -9999) carries into the next one
 * instead of being refused. */
static int parse_date_time(time_t *out, int *tz_minutes, const char *p,
                           enum date_mode mode)
{
	int day, mon = 0, year, hh, mm, ss, zh, zm, sign;
	bool quoted = *p == '"', lenient = mode == DATE_IMAPLIB;

	if (quoted)
		p++;

	/* date-day-fixed, and the one-digit day some servers send; what we
	 * send is date-day-fixed alone (SP DIGIT / 2DIGIT) */
	if (mode == DATE_RFC3501) {
		if (!(*p == ' ' ? (p++, digits(&p, 1, &day))
		                : digits(&p, 2, &day)))
			return IMAP4_EINVAL;
	} else {
		if (*p == ' ')
			p++;
		if (!digits(&p, 2, &day) && !digits(&p, 1, &day))
			return IMAP4_EINVAL;
	}
	if (!expect(&p, '-'))
		return IMAP4_EINVAL;
	if (!(mon = month_number(p, lenient)))
		return IMAP4_EINVAL;
	p += 3;
	if (!expect(&p, '-') || !digits(&p, 4, &year) || !expect(&p, ' ') ||
	    !digits(&p, 2, &hh) || !expect(&p, ':') || !digits(&p, 2, &mm) ||
	    !expect(&p, ':') || !digits(&p, 2, &ss) || !expect(&p, ' '))
		return IMAP4_EINVAL;
	if (*p != '+' && *p != '-')
		return IMAP4_EINVAL;
	sign = *p++ == '-' ? -1 : 1;
	if (!digits(&p, 2, &zh) || !digits(&p, 2, &zm))
		return IMAP4_EINVAL;
	if (quoted && !expect(&p, '"'))
		return IMAP4_EINVAL;
	/* Unquoted, the date must end where a token ends. */
	if (!lenient ? *p != '\0'
	             : !quoted && *p && *p != ' ' && *p != ')' && *p != '\r' &&
	                       *p != '\n')
		return IMAP4_EINVAL;

	if (lenient) {
		/* imaplib takes a day of 00 to 39 ("[ 0123][0-9]") and no
		 * year 0000 (datetime.date raises). */
		if (day > 39 || year == 0)
			return IMAP4_EINVAL;
	} else if (day < 1 || day > month_days(year, mon) || hh > 23 ||
	           mm > 59 || ss > 60 || zh > 23 || zm > 59) {
		/* A leap second (:60) is accepted and lands on the next
		 * second, as mktime would put it. */
		return IMAP4_EINVAL;
	} else if (mode == DATE_RFC3501 && year == 0) {
		/* What we send: imaplib can neither write year 0000
		 * (datetime starts at 1) nor read it back, nor can
		 * imap4_time2internaldate and imap4_internaldate2tuple. */
		return IMAP4_EINVAL;
	}

	/* Every field has two digits (the year four): whatever it carries,
	 * the sum stays far inside 64 bits. */
	int tz = sign * (zh * 60 + zm);
	int64_t t = (days_from_civil(year, mon, 1) + day - 1) * 86400 +
	            hh * 3600 + mm * 60 + ss - (int64_t)tz * 60;
	if ((time_t)t != t)
		return IMAP4_EINVAL; /* a 32-bit time_t */
	*out = (time_t)t;
	if (tz_minutes)
		*tz_minutes = tz;
	return 0;
}

/* Whether p has the shape of what imaplib's InternalDate expression wants
 * after its `.*INTERNALDATE `: `"[ 0123][0-9]-[A-Z][a-z][a-z]-[0-9]{4}
 * [0-9]{2}:[0-9]{2}:[0-9]{2} [-+][0-9]{4}"`. The shape alone, as the
 * expression sees it: a month "Xyz" has it, and imaplib then fails on the
 * month rather than look for another date. */
static bool imaplib_shape(const char *p)
{
	/* d: [ 0123], 9: a digit, A: [A-Z], a: [a-z], s: [-+] */
	static const char shape[] = "\"d9-Aaa-9999 99:99:99 s9999\"";

	for (const char *t = shape; *t; t++, p++) {
		char c = *p;
		bool ok;

		switch (*t) {
		case 'd':
			ok = c == ' ' || (c >= '0' && c <= '3');
			break;
		case '9':
			ok = c >= '0' && c <= '9';
			break;
		case 'A':
			ok = c >= 'A' && c <= 'Z';
			break;
		case 'a':
			ok = c >= 'a' && c <= 'z';
			break;
		case 's':
			ok = c == '-' || c == '+';
			break;
		default:
			ok = c == *t;
		}
		if (!ok) /* the NUL too: it matches nothing */
			return false;
	}
	return true;
}

int imap4_internaldate2tuple(time_t *out, int *tz_minutes, const char *s)
{
	static const char word[] = "INTERNALDATE ";
	const char *line_end, *date = NULL;

	if (!out || !s)
		return IMAP4_EINVAL;
	/* imaplib: InternalDate.match(resp), `.*INTERNALDATE "date"`, without
	 * DOTALL and case-sensitive. The match begins at the start and "."
	 * takes anything but LF, so the date is on the first line; ".*" is
	 * greedy, so of several dates there the last that has the shape wins
	 * (it backtracks past those that do not); and INTERNALDATE may end
	 * another word ("XINTERNALDATE"), but is followed by exactly one
	 * space and the quote. */
	line_end = strchr(s, '\n');
	if (line_end == NULL)
		line_end = s + strlen(s);
	for (const char *p = s;
	     (p = memmem(p, (size_t)(line_end - p), word, strlen(word))); p++)
		if (imaplib_shape(p + strlen(word)))
			date = p + strlen(word);
	if (date)
		return parse_date_time(out, tz_minutes, date, DATE_IMAPLIB);
	/* Beyond imaplib, which gives None there: a date-time alone, quoted
	 * or not, the day "1" too. */
	while (*s == ' ')
		s++;
	return parse_date_time(out, tz_minutes, s, DATE_IMAPLIB);
}

int imap4_internaldate_value(time_t *out, int *tz_minutes, const char *s)
{
	if (!out || !s)
		return IMAP4_EINVAL;
	return parse_date_time(out, tz_minutes, s, DATE_VALUE);
}

int imap4_date_time_quote(char out[static 29], const char *s)
{
	time_t t;
	size_t len;

	if (!s || parse_date_time(&t, NULL, s, DATE_RFC3501))
		return IMAP4_EINVAL;
	if (*s == '"')
		s++;
	/* Checked above: the 26 bytes of date-time between the quotes. */
	len = strlen("dd-Mon-yyyy hh:mm:ss +zzzz");
	out[0] = '"';
	memcpy(out + 1, s, len);
	out[len + 1] = '"';
	out[len + 2] = '\0';
	return 0;
}

/* What imaplib's Time2Internaldate can write: datetime's years 1 to 9999
 * and timezone()'s offsets, under 24 hours, which are also what
 * imap4_append_internaldate takes. Outside, the date is refused, not
 * clamped: a clamp names another instant, and an APPEND would store it
 * without a word. */
#define YEAR_MIN_SECONDS (-62135596800LL) /* 0001-01-01 00:00:00 */
#define YEAR_MAX_SECONDS (253402300799LL) /* 9999-12-31 23:59:59 */
#define TZ_MAX_MINUTES   (23 * 60 + 59)

/* Writes v as exactly width decimal digits (v < 10^width). */
static char *put_digits(char *p, unsigned v, int width)
{
	for (int i = width - 1; i >= 0; i--, v /= 10)
		p[i] = (char)('0' + v % 10);
	return p + width;
}

int imap4_time2internaldate(char buf[static 29], time_t t, int tz_minutes)
{
	buf[0] = '\0';
	if (tz_minutes > TZ_MAX_MINUTES || tz_minutes < -TZ_MAX_MINUTES)
		return IMAP4_EINVAL;
	/* t first, alone: t plus the zone must not overflow. */
	if ((int64_t)t < YEAR_MIN_SECONDS - 86400 ||
	    (int64_t)t > YEAR_MAX_SECONDS + 86400)
		return IMAP4_EINVAL;
	int64_t local = (int64_t)t + (int64_t)tz_minutes * 60;
	if (local < YEAR_MIN_SECONDS || local > YEAR_MAX_SECONDS)
		return IMAP4_EINVAL;

	int64_t days = local >= 0 ? local / 86400 : (local - 86399) / 86400;
	int64_t secs = local - days * 86400;
	int64_t year;
	int mon, day;
	civil_from_days(days, &year, &mon, &day);

	unsigned tz = (unsigned)(tz_minutes < 0 ? -tz_minutes : tz_minutes);
	char *p = buf;
	*p++ = '"';
	p = put_digits(p, (unsigned)day, 2);
	*p++ = '-';
	memcpy(p, month_names[mon - 1], 3);
	p += 3;
	*p++ = '-';
	p = put_digits(p, (unsigned)year, 4);
	*p++ = ' ';
	p = put_digits(p, (unsigned)(secs / 3600), 2);
	*p++ = ':';
	p = put_digits(p, (unsigned)(secs / 60 % 60), 2);
	*p++ = ':';
	p = put_digits(p, (unsigned)(secs % 60), 2);
	*p++ = ' ';
	*p++ = tz_minutes < 0 ? '-' : '+';
	p = put_digits(p, tz / 60, 2);
	p = put_digits(p, tz % 60, 2);
	*p++ = '"';
	*p = '\0';
	return 0;
}

int imap4_local_tz(time_t t)
{
	struct tm tm;

	if (!localtime_r(&t, &tm))
		return 0;
	return (int)(tm.tm_gmtoff / 60);
}

/* ---- RFC 5322 3.3 date-time (an ENVELOPE's Date:), with the obsolete
 * syntax of 4.3: two-digit years, named zones, comments, missing seconds. */

static const char *skip_cfws(const char *p)
{
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (*p != '(')
			return p;
		/* to the NUL (a strlen at each comment of a hostile
		 * "()()()..." would make this quadratic) */
		p = imap4_comment_end(p, NULL, NULL);
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

/* The zone at *pp, in minutes east; *pp after it. *ok is false for a
 * numeric zone whose minutes pass 59 and for what is no zone, *known false for
 * a name the table does not hold (RFC 5322 4.3: "-0000", unknown, counted as
 * UTC). */
static int zone_minutes(const char **pp, bool *ok, bool *known)
{
	const char *p = *pp;
	static const struct {
		const char *name;
		int minutes;
	} named[] = {
	        {"UT", 0},     {"GMT", 0},    {"Z", 0},      {"EST", -300},
	        {"EDT", -240}, {"CST", -360}, {"CDT", -300}, {"MST", -420},
	        {"MDT", -360}, {"PST", -480}, {"PDT", -420},
	};
	*ok = *known = true;
	if (*p == '+' || *p == '-') {
		int sign = *p == '-' ? -1 : 1;
		p++;
		int hhmm;
		if (!read_num(&p, 4, 4, &hhmm) || hhmm % 100 > 59) {
			*ok = false;
			return 0;
		}
		*pp = p;
		return sign * ((hhmm / 100) * 60 + hhmm % 100);
	}
	size_t len = 0;
	while (isalpha((unsigned char)p[len]))
		len++;
	/* Neither a number nor a name: not a zone at all. */
	if (len == 0) {
		*ok = false;
		return 0;
	}
	*pp = p + len;
	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		if (strlen(named[i].name) == len &&
		    strncasecmp(p, named[i].name, len) == 0)
			return named[i].minutes;
	/* RFC 5322 4.3: other alphabetic zones are "-0000", unknown. */
	*known = false;
	return 0;
}

/* day-name = "Mon" / "Tue" / "Wed" / "Thu" / "Fri" / "Sat" / "Sun" */
static bool is_day_name(const char *p, size_t len)
{
	static const char days[7][4] = {"Mon", "Tue", "Wed", "Thu",
	                                "Fri", "Sat", "Sun"};
	for (int i = 0; i < 7; i++)
		if (len == 3 && strncasecmp(p, days[i], 3) == 0)
			return true;
	return false;
}

/* The date-time at s. whole asks for a date and nothing else (a FETCH
 * item's value): a day of the week that is one, a zone that is a number
 * of at most 23:59 or a name the table holds (or none), and nothing but
 * CFWS after it. Else, as an ENVELOPE's Date: is read, any word may stand
 * for the day and anything may follow the zone. */
static int rfc5322_date(time_t *out, int *tz_minutes, const char *s, bool whole)
{
	const char *p = skip_cfws(s);
	/* optional day-of-week */
	if (isalpha((unsigned char)*p)) {
		const char *w = p;
		while (isalpha((unsigned char)*p))
			p++;
		if (whole && !is_day_name(w, (size_t)(p - w)))
			return IMAP4_EINVAL;
		p = skip_cfws(p);
		if (*p == ',')
			p++;
		p = skip_cfws(p);
	}
	int day, year, hour, min, sec = 0;
	if (!read_num(&p, 1, 2, &day))
		return IMAP4_EINVAL;
	p = skip_cfws(p);
	if (*p == '-') /* "1-Jan-2024", seen from some gateways */
		p++;
	int month = month_number(p, false);
	if (!month)
		return IMAP4_EINVAL;
	while (isalpha((unsigned char)*p))
		p++;
	p = skip_cfws(p);
	if (*p == '-')
		p++;
	const char *ys = p;
	if (!read_num(&p, 2, 4, &year))
		return IMAP4_EINVAL;
	/* RFC 5322 4.3: two-digit years are 1950-2049, three-digit ones
	 * are added to 1900. */
	if (p - ys == 2)
		year += year < 50 ? 2000 : 1900;
	else if (p - ys == 3)
		year += 1900;
	p = skip_cfws(p);
	if (!read_num(&p, 1, 2, &hour))
		return IMAP4_EINVAL;
	p = skip_cfws(p);
	if (*p++ != ':')
		return IMAP4_EINVAL;
	p = skip_cfws(p);
	if (!read_num(&p, 2, 2, &min))
		return IMAP4_EINVAL;
	p = skip_cfws(p);
	if (*p == ':') {
		p = skip_cfws(p + 1);
		if (!read_num(&p, 2, 2, &sec))
			return IMAP4_EINVAL;
		/* "10:52:37.5 +0200": a fraction RFC 5322 has no room for,
		 * which some programs write; the zone after it counts. */
		if (!whole && (*p == '.' || *p == ',') &&
		    isdigit((unsigned char)p[1]))
			for (p++; isdigit((unsigned char)*p); p++)
				;
	}
	p = skip_cfws(p);
	bool ok = true, known = true;
	int zone = *p ? zone_minutes(&p, &ok, &known) : 0;
	if (!ok || day < 1 || day > month_days(year, month) || hour > 23 ||
	    min > 59 || sec > 60 || year < 1900 || year > 9999)
		return IMAP4_EINVAL;
	if (whole && (!known || zone > 23 * 60 + 59 || zone < -(23 * 60 + 59) ||
	              *skip_cfws(p) != '\0'))
		return IMAP4_EINVAL;
	if (sec == 60)
		sec = 59; /* a leap second: one second early is close */
	int64_t t = days_from_civil(year, month, day) * 86400 + hour * 3600 +
	            min * 60 + sec;
	*out = (time_t)(t - (int64_t)zone * 60);
	if (tz_minutes)
		*tz_minutes = zone;
	return 0;
}

int imap4_rfc5322_date(time_t *out, int *tz_minutes, const char *s)
{
	if (!s)
		return IMAP4_EINVAL;
	return rfc5322_date(out, tz_minutes, s, false);
}

int imap4_fetch_date_value(time_t *out, int *tz_minutes, const char *s)
{
	if (!out || !s)
		return IMAP4_EINVAL;
	if (imap4_internaldate_value(out, tz_minutes, s) == 0)
		return 0;
	return rfc5322_date(out, tz_minutes, s, true);
}
