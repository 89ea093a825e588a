/* test_charset.c - mailmirror's output under locales other than UTF-8
 * (daemon/mailmirror/charset.h), explore42's findings. */
#include "mailmirror/charset.h"
#include "mailmirror/output.h"

#include <criterion/criterion.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The C locale on a UTF-8 terminal (cron, ssh, containers): a CJK
 * character takes two cells, as the terminal draws it, where wcwidth in
 * the C locale said one and tables overflowed their lines. */
Test(charset, widths_under_the_c_locale_are_utf8s)
{
	cr_assert_not_null(setlocale(LC_ALL, "C"));
	cr_assert_eq(charset_init(), 0);
	cr_assert_not(charset_converts());
	cr_assert_eq(out_width("\xe6\xbc\xa2\xe5\xad\x97"), 4); /* 漢字 */
	cr_assert_eq(out_width("e\xcc\x81"), 1); /* e + combining acute */
	cr_assert_eq(out_width("abc"), 3);
	/* and the text stays UTF-8 */
	char *c = out_clean("caf\xc3\xa9", OUT_CLEAN_LINE);
	cr_assert_str_eq(c, "caf\xc3\xa9");
	free(c);
}

/* A private ISO-8859-1 locale (the locales package's sources, compiled
 * into a temporary LOCPATH); the test fails when it cannot be made. */
static char locdir[64];

static void latin1_locale(void)
{
	char cmd[256];
	strcpy(locdir, "/tmp/mm-charset-XXXXXX");
	cr_assert_not_null(mkdtemp(locdir));
	snprintf(cmd, sizeof(cmd),
	         "localedef -i en_US -f ISO-8859-1 %s/en_US.ISO-8859-1 "
	         ">/dev/null 2>&1",
	         locdir);
	cr_assert_eq(system(cmd), 0, "localedef (package locales) failed");
	setenv("LOCPATH", locdir, 1);
	cr_assert_not_null(setlocale(LC_ALL, "en_US.ISO-8859-1"));
	cr_assert_eq(charset_init(), 0);
	cr_assert(charset_converts());
}

static void remove_locale(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", locdir);
	cr_assert_eq(system(cmd), 0);
}

/* Written as UTF-8 to a Latin-1 terminal, U+00DB's second byte 0x9B was
 * CSI: a subject could drive the terminal. Text is cut down to the set's
 * characters and written in it. */
Test(charset, an_8bit_terminal_gets_its_own_set, .fini = remove_locale)
{
	latin1_locale();
	/* Û[2J, then a CJK character Latin-1 lacks */
	char *c = out_clean("\xc3\x9b[2J \xe6\xbc\xa2 ok", OUT_CLEAN_LINE);
	cr_assert_str_eq(c, "\xc3\x9b[2J ? ok");
	cr_assert_eq(out_width(c), 9);

	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	cr_assert_not_null(mem);
	FILE *s = charset_stream(mem);
	cr_assert_not_null(s);
	cr_assert_neq(s, mem);
	/* a character cut in two by the stream's flushes comes out whole */
	fputs(c, s);
	fputs(" \xc3", s);
	fflush(s);
	fputs("\xa9!", s);
	cr_assert_eq(fclose(s), 0);
	fclose(mem);
	cr_assert_eq(len, 12, "%zu", len);
	cr_assert_eq(memcmp(buf, "\xdb[2J ? ok \xe9!", 12), 0, "%.*s", (int)len,
	             buf);
	for (size_t i = 0; i < len; i++)
		cr_assert((unsigned char)buf[i] < 0x80 ||
		                  (unsigned char)buf[i] >= 0xa0,
		          "a C1 byte 0x%02x", (unsigned char)buf[i]);
	free(buf);
	free(c);
}

/* JSON stays UTF-8 by its standard: for such a terminal every non-ASCII
 * character is an escape, and one past the BMP a surrogate pair. */
Test(charset, json_for_an_8bit_terminal_is_ascii, .fini = remove_locale)
{
	latin1_locale();
	char *j = out_json_clean("{\"s\":\"\xc3\x9b \xf0\x9f\x98\x80 \xff\"}");
	cr_assert_str_eq(j, "{\"s\":\"\\u00db \\ud83d\\ude00 \\ufffd\"}");
	free(j);
}

/* explore42: a family emoji (four people joined by ZWJ) is one glyph of
 * two cells, which wcwidth counts as eight, and a table cut inside it
 * left a ZWJ joined to the "~" after it. A skin tone is part of its
 * emoji's glyph too. */
#define FAMILY                                                                 \
	"\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\x8d"             \
	"\xf0\x9f\x91\xa7\xe2\x80\x8d\xf0\x9f\x91\xa6"
#define THUMB_TONE "\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbb"

Test(charset, emoji_joined_by_zwj_are_one_glyph)
{
	cr_assert_not_null(setlocale(LC_ALL, "C"));
	cr_assert_eq(charset_init(), 0);
	cr_assert_eq(out_width(FAMILY), 2);
	cr_assert_eq(out_width(THUMB_TONE), 2);
	cr_assert_eq(out_width("a" FAMILY "b" THUMB_TONE "c"), 7);

	static const struct out_col cols[] = {{"S", 5, false, true}};
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	cr_assert_not_null(mem);
	struct out o;
	out_begin(&o, mem, OUT_TABLE, cols, 1);
	const char *rows[][1] = {{"ab" FAMILY "cd"}, {"abcd" FAMILY}};
	out_row(&o, rows[0]);
	out_row(&o, rows[1]);
	cr_assert_eq(out_end(&o), 0);
	fclose(mem);
	/* whole, or left out whole */
	cr_assert_str_eq(buf, "S\nab" FAMILY "~\nabcd~\n");
	free(buf);
}
