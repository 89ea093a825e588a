/* test_date.c - INTERNALDATE parsing and formatting. */
#include "imap4.h"
#include "proto/date.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <time.h>

static void expect_date(const char *s, time_t want, int want_tz)
{
	time_t t = 0;
	int tz = 12345;
	int rc = imap4_internaldate2tuple(&t, &tz, s);
	cr_assert_eq(rc, 0, "parse \"%s\" = %d", s, rc);
	cr_assert_eq(t, want, "\"%s\": %lld, want %lld", s, (long long)t,
	             (long long)want);
	cr_assert_eq(tz, want_tz);
}

Test(internaldate, forms)
{
	/* 1996-07-17 09:44:25 UTC */
	const time_t t = 837596665;
	expect_date("17-Jul-1996 02:44:25 -0700", t, -420);
	expect_date("\"17-Jul-1996 02:44:25 -0700\"", t, -420);
	expect_date("INTERNALDATE \"17-Jul-1996 02:44:25 -0700\"", t, -420);
	expect_date("* 12 FETCH (UID 3 INTERNALDATE \"17-Jul-1996 02:44:25 "
	            "-0700\" RFC822.SIZE 44)",
	            t, -420);
	expect_date("17-Jul-1996 09:44:25 +0000", t, 0);
	expect_date("17-Jul-1996 15:14:25 +0530", t, 330);
}

Test(internaldate, day_forms)
{
	/* 2024-03-01 00:00:00 UTC */
	const time_t t = 1709251200;
	expect_date("\" 1-Mar-2024 00:00:00 +0000\"", t, 0);
	expect_date("\"01-Mar-2024 00:00:00 +0000\"", t, 0);
	expect_date("1-Mar-2024 00:00:00 +0000", t, 0);
	expect_date("01-Mar-2024 01:00:00 +0100", t, 60);
}

Test(internaldate, calendar)
{
	expect_date("01-Jan-1970 00:00:00 +0000", 0, 0);
	expect_date("29-Feb-2000 12:00:00 +0000", 951825600, 0);
	expect_date("31-Dec-1969 23:59:59 +0000", -1, 0);
	expect_date("01-Jan-2100 00:00:00 +0000", 4102444800, 0);
	/* a leap second lands on the next second */
	expect_date("31-Dec-2016 23:59:60 +0000", 1483228800, 0);
}

static void bad_date(const char *s)
{
	time_t t = 77;
	int tz = 77;
	cr_assert_eq(imap4_internaldate2tuple(&t, &tz, s), IMAP4_EINVAL,
	             "accepted \"%s\"", s);
	cr_assert_eq(t, 77);
	cr_assert_eq(tz, 77);
}

Test(internaldate, invalid)
{
	bad_date("");
	bad_date("INTERNALDATE");
	bad_date("01-Foo-2020 00:00:00 +0000");
	bad_date("01-Jan-20 00:00:00 +0000");
	bad_date("01-Jan-2020 00:00:00 0000");
	bad_date("01-Jan-2020 00:00:00 +000");
	bad_date("01-Jan-2020 0:00:00 +0000");
	bad_date("\"01-Jan-2020 00:00:00 +0000"); /* unclosed quote */
	bad_date("01-Jan-2020 00:00:00 +00001");  /* trailing digit */
	bad_date("123-Jan-2020 00:00:00 +0000");
	cr_assert_eq(imap4_internaldate2tuple(NULL, NULL, "x"), IMAP4_EINVAL);
}

/* imaplib.Internaldate2tuple as Python 3.11 computes it (TZ=UTC,
 * time.mktime of its result): its regular expression wants "Jul" as
 * written and a day of 00 to 39, and calendar.timegm carries a field past
 * its range into the next one. */
Test(internaldate, out_of_range_fields_carry_like_imaplib)
{
	expect_date("INTERNALDATE \"31-Feb-2020 00:00:00 +0000\"", 1583107200,
	            0);
	expect_date("INTERNALDATE \"17-Jul-1996 02:44:25 -9999\"", 837933805,
	            -6039);
	expect_date("17-Jul-1996 02:44:25 +9999", 837209125, 6039);
	expect_date("32-Jan-2020 00:00:00 +0000", 1580515200, 0);
	expect_date("00-Jan-2020 00:00:00 +0000", 1577750400, 0);
	expect_date("\" 0-Mar-2024 00:00:00 +0000\"", 1709164800, 0);
	expect_date("29-Feb-2019 00:00:00 +0000", 1551398400, 0);
	expect_date("29-Feb-1900 00:00:00 +0000", -2203891200, 0);
	expect_date("31-Apr-2020 00:00:00 +0000", 1588291200, 0);
	expect_date("01-Jan-2020 24:00:00 +0000", 1577923200, 0);
	expect_date("01-Jan-2020 00:60:00 +0000", 1577840400, 0);
	expect_date("01-Jan-2020 00:00:61 +0000", 1577836861, 0);
	expect_date("01-Jan-2020 00:00:00 +0060", 1577833200, 60);
	expect_date("01-Jan-2020 00:00:00 +2400", 1577750400, 1440);
	expect_date("39-Dec-9999 99:99:99 -9999", 253403630379, -6039);
	expect_date("00-Jan-0001 00:00:00 +9999", -62136045540, 6039);
}

/* What imaplib gives None for (its expression does not match), or fails
 * on (year 0, which datetime refuses). */
Test(internaldate, refused_like_imaplib)
{
	bad_date("INTERNALDATE \"17-jul-1996 02:44:25 -0700\"");
	bad_date("INTERNALDATE \"17-JUL-1996 02:44:25 -0700\"");
	bad_date("17-jul-1996 09:44:25 +0000");
	bad_date("40-Jan-2020 00:00:00 +0000");
	bad_date("99-Jan-2020 00:00:00 +0000");
	bad_date("01-Jan-0000 00:00:00 +0000");
}

/* Where imaplib's InternalDate.match (`.*INTERNALDATE "..."`, greedy,
 * case-sensitive, no DOTALL) finds the date, as Python 3.11 answers for
 * each line (TZ=UTC). */
Test(internaldate, found_where_imaplib_finds_it)
{
	/* two on the first line: the last wins */
	expect_date("* 1 FETCH (INTERNALDATE \"01-Jan-2020 00:00:00 +0000\" "
	            "X INTERNALDATE \"02-Jan-2020 00:00:00 +0100\")",
	            1577919600, 60);
	/* ... of those that have the shape: the expression backtracks */
	expect_date("INTERNALDATE \"01-Jan-2020 00:00:00 +0000\" "
	            "INTERNALDATE \"garbage\"",
	            1577836800, 0);
	/* the word inside another one is no date; the next one is */
	expect_date("* 1 FETCH (X-INTERNALDATE-foo INTERNALDATE \"01-Jan-2020 "
	            "00:00:00 +0000\")",
	            1577836800, 0);
	/* ".*" takes any text before the word, a word's start too */
	expect_date("XINTERNALDATE \"01-Jan-2020 00:00:00 +0000\"", 1577836800,
	            0);
	/* "." takes a CR: only an LF ends the first line */
	expect_date("* 1 FETCH (UID 5\r INTERNALDATE \"01-Jan-2020 00:00:00 "
	            "+0000\")",
	            1577836800, 0);
	expect_date("INTERNALDATE \"01-Jan-2020 00:00:00 +0000\"\n"
	            "INTERNALDATE \"02-Jan-2020 00:00:00 +0000\"",
	            1577836800, 0);
	expect_date("INTERNALDATE \" 1-Jan-2020 00:00:00 +0000\"", 1577836800,
	            0);

	/* None from imaplib */
	bad_date("internaldate \"01-Jan-2020 00:00:00 +0000\"");
	bad_date("* 1 FETCH (internaldate \"01-Jan-2020 00:00:00 +0000\")");
	bad_date("* 1 FETCH (UID 5\r\n INTERNALDATE \"01-Jan-2020 00:00:00 "
	         "+0000\")");
	bad_date("* 1 FETCH (UID 5\n INTERNALDATE \"01-Jan-2020 00:00:00 "
	         "+0000\")");
	bad_date("INTERNALDATE  \"01-Jan-2020 00:00:00 +0000\"");
	bad_date("INTERNALDATE \"1-Jan-2020 00:00:00 +0000\"");
	bad_date("INTERNALDATE 01-Jan-2020 00:00:00 +0000");
	bad_date("INTERNALDATE\t\"01-Jan-2020 00:00:00 +0000\"");
	/* imaplib raises on the last date of the right shape (KeyError for
	 * the month, ValueError for year 0) rather than take an earlier
	 * one */
	bad_date("INTERNALDATE \"01-Jan-2020 00:00:00 +0000\" "
	         "INTERNALDATE \"01-Xyz-2020 00:00:00 +0000\"");
	bad_date("INTERNALDATE \"01-Jan-2020 00:00:00 +0000\" "
	         "INTERNALDATE \"02-Jan-0000 00:00:00 +0000\"");
}

Test(internaldate, tz_optional)
{
	time_t t;
	cr_assert_eq(imap4_internaldate2tuple(&t, NULL,
	                                      "01-Jan-1970 00:00:01 +0000"),
	             0);
	cr_assert_eq(t, 1);
}

Test(time2internaldate, format)
{
	char buf[29];

	imap4_time2internaldate(buf, 837596665, -420);
	cr_assert_str_eq(buf, "\"17-Jul-1996 02:44:25 -0700\"");
	imap4_time2internaldate(buf, 0, 0);
	cr_assert_str_eq(buf, "\"01-Jan-1970 00:00:00 +0000\"");
	imap4_time2internaldate(buf, -1, 330);
	cr_assert_str_eq(buf, "\"01-Jan-1970 05:29:59 +0530\"");
	imap4_time2internaldate(buf, 951825600, 0);
	cr_assert_str_eq(buf, "\"29-Feb-2000 12:00:00 +0000\"");
}

/* Like imaplib's Time2Internaldate, whose datetime holds the years 1 to
 * 9999 and whose timezone() offsets under 24 hours: what it cannot write
 * is IMAP4_EINVAL and an empty buf, never a clamped, other instant
 * (explore75 t12: a zone of +100000 minutes came out as another day). */
Test(time2internaldate, refuses_what_it_cannot_write)
{
	char buf[29] = "x";

	cr_assert_eq(imap4_time2internaldate(buf, (time_t)400000000000LL, 0),
	             IMAP4_EINVAL);
	cr_assert_str_eq(buf, "");
	cr_assert_eq(imap4_time2internaldate(buf, (time_t)-70000000000LL, 0),
	             IMAP4_EINVAL);
	cr_assert_eq(imap4_time2internaldate(buf, 0, 100000), IMAP4_EINVAL);
	cr_assert_eq(imap4_time2internaldate(buf, 0, 24 * 60), IMAP4_EINVAL);
	cr_assert_eq(imap4_time2internaldate(buf, 0, -24 * 60), IMAP4_EINVAL);
	cr_assert_str_eq(buf, "");

	/* the edges, written exactly */
	cr_assert_eq(imap4_time2internaldate(buf, 0, 23 * 60 + 59), 0);
	cr_assert_str_eq(buf, "\"01-Jan-1970 23:59:00 +2359\"");
	cr_assert_eq(imap4_time2internaldate(buf, 0, -(23 * 60 + 59)), 0);
	cr_assert_str_eq(buf, "\"31-Dec-1969 00:01:00 -2359\"");
	cr_assert_eq(imap4_time2internaldate(buf, -62135596800LL, 0), 0);
	cr_assert_str_eq(buf, "\"01-Jan-0001 00:00:00 +0000\"");
	cr_assert_eq(imap4_time2internaldate(buf, -62135596801LL, 0),
	             IMAP4_EINVAL);
	cr_assert_eq(imap4_time2internaldate(buf, 253402300799LL, 0), 0);
	cr_assert_str_eq(buf, "\"31-Dec-9999 23:59:59 +0000\"");
	cr_assert_eq(imap4_time2internaldate(buf, 253402300799LL, 1),
	             IMAP4_EINVAL);
	cr_assert_eq(imap4_time2internaldate(buf, 253402300799LL, -1), 0);
	cr_assert_str_eq(buf, "\"31-Dec-9999 23:58:59 -0001\"");
}

/* The three date helpers agree: whatever imap4_time2internaldate
 * writes, imap4_append_internaldate takes (its check is
 * imap4_date_time_quote) and imap4_internaldate2tuple reads back as the
 * same instant and zone; what it refuses, they refuse too. */
Test(time2internaldate, its_dates_are_taken_by_append_and_read_back)
{
	static const long long times[] = {
	        -62135596800LL,
	        -62135596800LL + 86399,
	        -1,
	        0,
	        951825600,
	        1700000000,
	        253402300799LL - 86400,
	        253402300799LL,
	};
	static const int zones[] = {-(23 * 60 + 59), -720, -1, 0, 1, 330, 840,
	                            23 * 60 + 59};
	char buf[29], quoted[29];

	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++)
		for (size_t j = 0; j < sizeof(zones) / sizeof(zones[0]); j++) {
			time_t t = (time_t)times[i], back;
			int tz = zones[j], btz;
			if (imap4_time2internaldate(buf, t, tz) != 0) {
				/* only past the years 1 to 9999 */
				long long local = times[i] + tz * 60LL;
				cr_assert(local < -62135596800LL ||
				                  local > 253402300799LL,
				          "%lld %d", times[i], tz);
				continue;
			}
			cr_assert_eq(imap4_date_time_quote(quoted, buf), 0,
			             "%s", buf);
			cr_assert_str_eq(quoted, buf);
			cr_assert_eq(imap4_internaldate2tuple(&back, &btz, buf),
			             0, "%s", buf);
			cr_assert_eq(back, t, "%s", buf);
			cr_assert_eq(btz, tz, "%s", buf);
		}
	/* year 0000, which imaplib can neither write nor read */
	cr_assert_eq(
	        imap4_date_time_quote(quoted, "01-Jan-0000 00:00:00 +0000"),
	        IMAP4_EINVAL);
	cr_assert_eq(
	        imap4_date_time_quote(quoted, "01-Jan-2020 00:00:00 +2400"),
	        IMAP4_EINVAL);
}

Test(time2internaldate, round_trip)
{
	unsigned seed = 42;
	char buf[29];

	for (int i = 0; i < 2000; i++) {
		time_t t = (time_t)((long long)rand_r(&seed) * 3 -
		                    (long long)RAND_MAX);
		int tz = rand_r(&seed) % (2 * 14 * 60 + 1) - 14 * 60;
		cr_assert_eq(imap4_time2internaldate(buf, t, tz), 0);
		time_t back;
		int btz;
		cr_assert_eq(imap4_internaldate2tuple(&back, &btz, buf), 0,
		             "%s", buf);
		cr_assert_eq(back, t, "%s", buf);
		cr_assert_eq(btz, tz);
	}
}

Test(local_tz, follows_tz)
{
	/* setenv changes this process only; the test runs in its own */
	setenv("TZ", "UTC", 1);
	tzset();
	cr_assert_eq(imap4_local_tz(0), 0);
	setenv("TZ", "Asia/Kolkata", 1);
	tzset();
	cr_assert_eq(imap4_local_tz(1700000000), 330);
	setenv("TZ", "America/New_York", 1);
	tzset();
	cr_assert_eq(imap4_local_tz(1700000000), -300); /* November: EST */
	cr_assert_eq(imap4_local_tz(1690000000), -240); /* July: EDT */
}

/* RFC 5322 3.3 and the obsolete forms of 4.3, as found in ENVELOPE dates. */
Test(rfc5322_date, forms)
{
	time_t t;
	int tz = 0;

	cr_assert_eq(
	        imap4_rfc5322_date(&t, &tz, "Tue, 1 Jul 2003 10:52:37 +0200"),
	        0);
	cr_assert_eq(t, 1057049557);
	cr_assert_eq(tz, 120);
	/* no day of week, no seconds, comments and folding */
	cr_assert_eq(imap4_rfc5322_date(
	                     &t, &tz, " 1 Jul 2003 (x) 10:52\r\n +0200 (CEST)"),
	             0);
	cr_assert_eq(t, 1057049520);
	/* two-digit years are 1950..2049; named zones */
	cr_assert_eq(imap4_rfc5322_date(&t, &tz, "Fri, 21 Nov 97 09:55:06 GMT"),
	             0);
	cr_assert_eq(t, 880106106);
	cr_assert_eq(tz, 0);
	cr_assert_eq(imap4_rfc5322_date(&t, &tz, "1 Jan 49 00:00:00 EST"), 0);
	cr_assert_eq(t, 2493090000);
	cr_assert_eq(tz, -300);
	/* an unknown named zone counts as UTC; tz_minutes may be NULL */
	cr_assert_eq(imap4_rfc5322_date(&t, NULL, "1 Jan 2000 00:00:00 XYZ"),
	             0);
	cr_assert_eq(t, 946684800);
	/* explore42: a fraction of a second is passed over, and the zone
	 * after it counts (it was read as an unknown zone, UTC) */
	const char *fractions[] = {"Tue, 01 Jul 2003 10:52:37.5 +0200",
	                           "Tue, 01 Jul 2003 10:52:37.123 +0200",
	                           "Tue, 01 Jul 2003 10:52:37,5 +0200"};
	for (size_t i = 0; i < 3; i++) {
		cr_assert_eq(imap4_rfc5322_date(&t, &tz, fractions[i]), 0, "%s",
		             fractions[i]);
		cr_assert_eq(t, 1057049557, "%s", fractions[i]);
		cr_assert_eq(tz, 120, "%s", fractions[i]);
	}
	/* the leap day exists only in leap years */
	cr_assert_eq(imap4_rfc5322_date(&t, &tz, "29 Feb 2024 12:00:00 +0000"),
	             0);
	cr_assert_eq(imap4_rfc5322_date(&t, &tz, "29 Feb 2023 12:00:00 +0000"),
	             IMAP4_EINVAL);
}

Test(rfc5322_date, garbage_is_einval)
{
	time_t t = 7;
	const char *bad[] = {
	        "",
	        "yesterday",
	        "32 Jan 2020 10:00 +0000",
	        "1 Foo 2020 10:00 +0000",
	        "1 Jan 2020 24:00 +0000",
	        "1 Jan 2020 10:60 +0000",
	        "1 Jan 2020 10:00 +0099",
	        "1 Jan 2020",
	        "1 Jan 10000 10:00 +0000",
	        "1 Jan 1899 10:00 +0000",
	        "123 Jan 2020 10:00 +0000",
	        "1 Jan 2020 10:00:00 .5 +0000",
	        "1 Jan 2020 10:00:00 #0000",
	};
	cr_assert_eq(imap4_rfc5322_date(&t, NULL, NULL), IMAP4_EINVAL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(imap4_rfc5322_date(&t, NULL, bad[i]), IMAP4_EINVAL,
		             "accepted \"%s\"", bad[i]);
	cr_assert_eq(t, 7, "nothing written on failure");
}

/* The forms the FETCH view takes besides RFC 3501's (test_fetch.c) are
 * for it alone: imaplib's parser and the Date: parser read as before. */
Test(rfc5322_date, fetch_forms_stay_in_the_fetch_view)
{
	time_t t = 7;
	int tz = 9;
	cr_assert_eq(imap4_internaldate2tuple(&t, &tz, "02-Jan-2023 10:00:05"),
	             IMAP4_EINVAL);
	cr_assert_eq(imap4_internaldate2tuple(
	                     &t, &tz, "Mon, 02 Jan 2023 10:00:05 +0000"),
	             IMAP4_EINVAL);
	cr_assert_eq(t, 7);
	/* an ENVELOPE's Date: may have anything after its zone */
	cr_assert_eq(imap4_rfc5322_date(&t, &tz,
	                                "Mon, 02 Jan 2023 10:00:05 +0100 junk"),
	             0);
	cr_assert_eq(t, 1672650005);
	cr_assert_eq(tz, 60);
	cr_assert_eq(imap4_rfc5322_date(&t, &tz, "Xyz, 2 Jan 2023 10:00 XYZ"),
	             0);
	cr_assert_eq(tz, 0);
}
