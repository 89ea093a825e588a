/* test_mime_text.c - the readable text of MIME messages (proto/mime_text.h):
 * transfer encodings, charsets, multipart structure, HTML, file names,
 * limits, and what hostile input must not do. */
#include "imap4.h"
#include "mime_test.h"
#include "proto/charset.h"
#include "proto/mime_text.h"
#include "util/buf.h"

#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

Test(mime_text, plain_us_ascii)
{
	expect("From: a@example.org\r\n"
	       "Subject: hello\r\n"
	       "Content-Type: text/plain; charset=us-ascii\r\n"
	       "\r\n"
	       "Hello,\r\n\r\nthe report is attached.\r\n",
	       "Hello,\n\nthe report is attached.");
	/* no Content-Type at all: text/plain us-ascii (RFC 2045 5.2) */
	expect("Subject: x\r\n\r\nbody\r\n", "body");
	/* header only */
	expect("Subject: x\r\n\r\n", "");
	expect("", "");
}

Test(mime_text, header_unfolding_and_case)
{
	expect("content-TYPE: text/html;\r\n"
	       "\tcharset=\"utf-8\"\r\n"
	       "\r\n"
	       "<b>x</b>\r\n",
	       "x");
	/* comments and odd spacing in the value (RFC 2045 5.1) */
	expect("Content-Type: (c) text (d) / (e) html (f) ; charset = utf-8\r\n"
	       "\r\n<i>y</i>",
	       "y");
}

Test(mime_text, quoted_printable)
{
	expect("Content-Type: text/plain; charset=utf-8\r\n"
	       "Content-Transfer-Encoding: quoted-printable\r\n"
	       "\r\n"
	       "Gr=C3=BC=c3=9fe, this line is long and was wrapped by the "
	       "sen=\r\n"
	       "der with a soft break.=20\r\n"
	       "A trailing soft break with padding=  \r\n"
	       "joins.\r\n"
	       "1+1=3D2, and a stray = stays, =XY too.\r\n",
	       "Gr\xc3\xbc\xc3\x9f"
	       "e, this line is long and was wrapped by the sender with a "
	       "soft break. \n"
	       "A trailing soft break with padding"
	       "joins.\n"
	       "1+1=2, and a stray = stays, =XY too.");
}

Test(mime_text, base64_charsets)
{
	/* "Caf\xe9 na\xefve" in ISO-8859-1 */
	expect("Content-Type: text/plain; charset=ISO-8859-1\r\n"
	       "Content-Transfer-Encoding: base64\r\n\r\n"
	       "Q2Fm6SBuYe92ZQ==\r\n",
	       "Caf\xc3\xa9 na\xc3\xafve");
	/* "\x93quoted\x94 \x80 5" in windows-1252 */
	expect("Content-Type: text/plain; charset=windows-1252\r\n"
	       "Content-Transfer-Encoding: BASE64\r\n\r\n"
	       "k3F1b3RlZJQggCA1\r\n",
	       "\xe2\x80\x9cquoted\xe2\x80\x9d \xe2\x82\xac 5");
	/* "H\xc3\xa9llo w\xc3\xb6rld\n" in UTF-8, split over lines */
	expect("Content-Type: text/plain; charset=\"UTF-8\"\r\n"
	       "Content-Transfer-Encoding: base64\r\n\r\n"
	       "SMOp\r\nbGxv\r\nIHfDtnJs\r\nZAo=\r\n",
	       "H\xc3\xa9llo w\xc3\xb6rld");
	/* ISO-8859-2 goes through iconv: "\xbf\xf3\xb3w" = "żółw" */
	expect("Content-Type: text/plain; charset=iso-8859-2\r\n"
	       "Content-Transfer-Encoding: base64\r\n\r\n"
	       "v/Ozdw==\r\n",
	       "\xc5\xbc\xc3\xb3\xc5\x82w");
}

Test(mime_text, iconv_charsets)
{
	/* stateful (escape sequences) and not ASCII-compatible at all */
	expect("Content-Type: text/plain; charset=ISO-2022-JP\r\n"
	       "Content-Transfer-Encoding: base64\r\n\r\n"
	       "GyRCRnxLXDhsJE4lRiUtJTklSBsoQg==\r\n",
	       "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae"
	       "\xe3\x83\x86\xe3\x82\xad\xe3\x82\xb9\xe3\x83\x88");
	expect("Content-Type: text/plain; charset=utf-16\r\n"
	       "Content-Transfer-Encoding: base64\r\n\r\n"
	       "//5HAHIA/ADfAGUA\r\n",
	       "Gr\xc3\xbc\xc3\x9f"
	       "e");
}

/* explore46: UTF-16 without a byte order mark was read little-endian
 * (glibc's iconv takes the machine's order): RFC 2781 4.3 says
 * big-endian. A mark of either order is read and dropped; UTF-32 alike. */
static void expect_grusse(const char *charset, const char *base64)
{
	char msg[512];
	snprintf(msg, sizeof(msg),
	         "Content-Type: text/plain; charset=%s\r\n"
	         "Content-Transfer-Encoding: base64\r\n\r\n%s\r\n",
	         charset, base64);
	expect(msg, "Gr\xc3\xbc\xc3\x9f"
	            "e");
}

Test(mime_text, utf16_and_utf32_without_a_mark_are_big_endian)
{
	expect_grusse("utf-16", "AEcAcgD8AN8AZQ==");
	expect_grusse("UTF-16", "/v8ARwByAPwA3wBl");
	expect_grusse("utf-16", "//5HAHIA/ADfAGUA");
	expect_grusse("utf-32", "AAAARwAAAHIAAAD8AAAA3wAAAGU=");
	expect_grusse("utf-32", "//4AAEcAAAByAAAA/AAAAN8AAABlAAAA");
	expect_grusse("utf-16le", "RwByAPwA3wBlAA==");

	struct imap4_buf b;
	imap4_buf_init(&b, 0);
	cr_assert_eq(imap4_charset_convert(&b, "utf-16", "\0G\0r", 4), 1);
	cr_assert_str_eq(b.data, "Gr");
	imap4_buf_reset(&b);
	cr_assert_eq(imap4_charset_convert(&b, "utf-16", "\xff\xfeG\0r\0", 6),
	             1);
	cr_assert_str_eq(b.data, "Gr");
	imap4_buf_clear(&b);
}

/* explore66: one unit that is no character (an unpaired surrogate)
 * stepped back into the text a byte at a time, and every UTF-16 character
 * after it was read out of step; a bad byte in UTF-7 left iconv in base64
 * for the rest of the part. */
static void expect_after_a_bad_unit(const char *charset, const char *base64,
                                    const char *want)
{
	char msg[512];
	snprintf(msg, sizeof(msg),
	         "Content-Type: text/plain; charset=%s\r\n"
	         "Content-Transfer-Encoding: base64\r\n\r\n%s\r\n",
	         charset, base64);
	expect(msg, want);
}

Test(mime_text, text_goes_on_after_a_unit_that_is_no_character)
{
	expect_after_a_bad_unit(
	        "utf-16le",
	        "YgBlAGYAbwByAGUAIAAA2CAAYQBmAHQAZQByACAAdwBvAHIAZABzAA==",
	        "before \xef\xbf\xbd after words");
	expect_after_a_bad_unit(
	        "utf-16",
	        "/v8AYgBlAGYAbwByAGUAINwAACAAYQBmAHQAZQByACAAdwBvAHIAZABz",
	        "before \xef\xbf\xbd after words");
	expect_after_a_bad_unit("unicode",
	                        "//5iAGUAZgBvAHIAZQAgAADcIABhAGYAdABlAHIAIAB3"
	                        "AG8AcgBkAHMA",
	                        "before \xef\xbf\xbd after words");
	expect_after_a_bad_unit("utf-32le",
	                        "YgAAAGUAAABmAAAAbwAAAHIAAABlAAAAIAAAAP///"
	                        "38gAAAAYQAAAGYAAAB0AAAAZQAAAHIAAAAgAAAAdwAAAG8"
	                        "AAAByAAAAZAAAAHMAAAA=",
	                        "before \xef\xbf\xbd after words");
	expect("Content-Type: text/plain; charset=utf-7\r\n\r\n"
	       "+AOk- +ZZZ!- after words\r\n",
	       "\xc3\xa9 \xe6\x96\x96\xef\xbf\xbd- after words");
}

/* explore46: an image or a form field between two words glued them into
 * one, which no search found. */
Test(mime_text, an_image_between_words_keeps_them_apart)
{
	expect("Content-Type: text/html\r\n\r\n"
	       "word4<img src=x alt=\"altword\">word5 "
	       "<textarea>t1</textarea><textarea>t2</textarea> "
	       "in<b>one</b>word\r\n",
	       "word4 word5 t1 t2 inoneword");
}

Test(mime_text, characters_cut_between_pieces)
{
	/* base64 of 120,015 "é", in lines that end inside a character,
	 * laid out so that the first piece the text is decoded in (64 KiB
	 * of base64 through a line end) ends inside one too: it must wait
	 * for the next piece, not turn into U+FFFD */
	static const char first[] =
	        "w6nDqcOpw6nDqcOpw6nDqcOpw6nDqcOpw6nDqcOp\r\n";
	static const char lines[] =
	        "w6nDqcOpw6nDqcOpw6nDqcOpw6nDqcOpw6nDqcOpw6nDqcOpw6nDqcOpw6nD\r"
	        "\n"
	        "qcOpw6nDqcOpw6nDqcOpw6nDqcOpw6nDqcOpw6nDqcOpw6nDqcOpw6nDqcOp"
	        "w6nDqcOp\r\n";
	struct imap4_buf msg;
	imap4_buf_init(&msg, 0);
	put(&msg, "Content-Type: text/plain; charset=utf-8\r\n"
	          "Content-Transfer-Encoding: base64\r\n\r\n");
	put(&msg, first);
	for (int i = 0; i < 2500; i++)
		put(&msg, lines);
	char *got = text_n(msg.data, msg.len, 0, 0);
	size_t n = strlen(got);
	cr_assert_eq(n, 2 * (15 + 48 * 2500));
	for (size_t i = 0; i < n; i += 2)
		cr_assert(got[i] == '\xc3' && got[i + 1] == '\xa9', "byte %zu",
		          i);
	free(got);
	imap4_buf_clear(&msg);
}

Test(mime_text, unknown_charset_reads_as_unlabelled)
{
	/* a label nobody knows says nothing: UTF-8, else windows-1252 */
	expect("Content-Type: text/plain; charset=x-no-such-charset\r\n\r\n"
	       "ok \xc3\xa9 bad \xff end",
	       "ok \xc3\xa9 bad \xc3\xbf end");
	/* a known one that the bytes break gets U+FFFD */
	expect("Content-Type: text/plain; charset=utf-8\r\n\r\n"
	       "ok \xc3\xa9 bad \xff end",
	       "ok \xc3\xa9 bad \xef\xbf\xbd end");
	/* unlabelled 8-bit: UTF-8 where valid, windows-1252 elsewhere */
	expect("Subject: x\r\n\r\nutf \xc3\xa9, latin \xe9",
	       "utf \xc3\xa9, latin \xc3\xa9");
}

static const char pdf_mail[] =
        "From: a@example.org\r\n"
        "Content-Type: multipart/mixed; boundary=\"=_outer\"\r\n"
        "\r\n"
        "This is a multi-part message in MIME format.\r\n"
        "--=_outer\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "\r\n"
        "Please find the invoice attached.\r\n"
        "--=_outer\r\n"
        "Content-Type: application/pdf; name=\"ignored.pdf\"\r\n"
        "Content-Transfer-Encoding: base64\r\n"
        "Content-Disposition: attachment; filename=\"invoice-2024.pdf\"\r\n"
        "\r\n"
        "JVBERi0xLjQKJcOkw7zDtsOfCjIgMCBvYmoKPDwvTGVuZ3RoIDMgMCBSL0ZpbHRl\r\n"
        "ci9GbGF0ZURlY29kZT4+CnN0cmVhbQp4nDPQM1Qo5ypUMFAwALJMLU31jBQsTAz1\r\n"
        "--=_outer--\r\n"
        "epilogue text\r\n";

Test(mime_text, mixed_with_pdf_attachment)
{
	char *got = text_of(pdf_mail);
	cr_assert_str_eq(got, "Please find the invoice attached.\n\n"
	                      "invoice-2024.pdf");
	expect_lacks(got, "JVBERi0");
	free(got);
}

Test(mime_text, attachments_are_not_decoded)
{
	/* a text attachment is a file too; a multipart without a boundary
	 * is shown as it is */
	expect("Content-Type: multipart/mixed; boundary=b\r\n\r\n"
	       "--b\r\n"
	       "Content-Type: text/csv; name=data.csv\r\n"
	       "Content-Disposition: attachment\r\n\r\n"
	       "secret,column\r\n"
	       "--b\r\n"
	       "Content-Type: multipart/mixed\r\n\r\n"
	       "raw text\r\n"
	       "--b--\r\n",
	       "data.csv\n\nraw text");
}

Test(mime_text, name_parameter_when_no_filename)
{
	expect("Content-Type: multipart/mixed; boundary=b\r\n\r\n"
	       "--b\r\n"
	       "Content-Type: image/png; "
	       "name=\"=?utf-8?q?gr=C3=BC=C3=9Fe?=.png\"\r\n"
	       "Content-Transfer-Encoding: base64\r\n\r\n"
	       "iVBORw0KGgo=\r\n"
	       "--b--\r\n",
	       "gr\xc3\xbc\xc3\x9f"
	       "e.png");
}

static const char alt_mail[] =
        "Content-Type: multipart/alternative; boundary=\"alt\"\r\n"
        "\r\n"
        "--alt\r\n"
        "Content-Type: text/html; charset=utf-8\r\n"
        "\r\n"
        "<p>HTML version</p>\r\n"
        "--alt\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "\r\n"
        "Plain version\r\n"
        "--alt\r\n"
        "Content-Type: text/calendar\r\n"
        "\r\n"
        "BEGIN:VCALENDAR\r\n"
        "--alt--\r\n";

Test(mime_text, alternative_prefers_plain)
{
	expect(alt_mail, "Plain version");
	/* no text/plain: the HTML one */
	expect("Content-Type: multipart/alternative; boundary=a\r\n\r\n"
	       "--a\r\nContent-Type: image/gif\r\n\r\nR0lG\r\n"
	       "--a\r\nContent-Type: text/html\r\n\r\n<div>only html</div>\r\n"
	       "--a--\r\n",
	       "only html");
	/* neither: the first */
	expect("Content-Type: multipart/alternative; boundary=a\r\n\r\n"
	       "--a\r\nContent-Type: text/enriched\r\n\r\nfirst\r\n"
	       "--a\r\nContent-Type: text/x-other\r\n\r\nsecond\r\n"
	       "--a--\r\n",
	       "first");
}

/* explore66: Apple Mail sends a message written in rich text with its
 * attachment in the HTML branch alone. The plain part is shown, and the
 * attachment's name, which a search looks for, was nowhere. Parts not
 * shown give their attachments' names, not their text. */
Test(mime_text, attachments_of_the_alternative_not_shown_are_named)
{
	expect("Content-Type: multipart/alternative; boundary=alt\r\n\r\n"
	       "--alt\r\n"
	       "Content-Type: text/plain; charset=utf-8\r\n\r\n"
	       "Please sign the contract.\r\n"
	       "--alt\r\n"
	       "Content-Type: multipart/mixed; boundary=mix\r\n\r\n"
	       "--mix\r\n"
	       "Content-Type: text/html\r\n\r\n"
	       "<p>Please sign the <b>contract</b>.</p>\r\n"
	       "--mix\r\n"
	       "Content-Type: application/pdf; name=Contract2024.pdf\r\n"
	       "Content-Disposition: inline; filename=Contract2024.pdf\r\n"
	       "Content-Transfer-Encoding: base64\r\n\r\n"
	       "JVBERi0xLjQK\r\n"
	       "--mix\r\n"
	       "Content-Type: text/html\r\n\r\n"
	       "<p>Thanks</p>\r\n"
	       "--mix--\r\n"
	       "--alt--\r\n",
	       "Please sign the contract.\n\nContract2024.pdf");
	/* the HTML shown (no plain part): a calendar's file name after it;
	 * a forwarded message in the part not shown gives no text */
	expect("Content-Type: multipart/alternative; boundary=a\r\n\r\n"
	       "--a\r\nContent-Type: text/html\r\n\r\n<div>the html</div>\r\n"
	       "--a\r\nContent-Type: multipart/mixed; boundary=m\r\n\r\n"
	       "--m\r\nContent-Type: text/calendar; name=invite.ics\r\n\r\n"
	       "BEGIN:VCALENDAR\r\n"
	       "--m\r\nContent-Type: message/rfc822\r\n\r\n"
	       "Subject: hidden\r\n\r\nhidden text\r\n"
	       "--m--\r\n"
	       "--a--\r\n",
	       "the html\n\ninvite.ics");
}

Test(mime_text, alternative_inside_mixed)
{
	/* the usual shape: the alternative is followed by an attachment of
	 * the enclosing mixed, which must still be seen */
	expect("Content-Type: multipart/mixed; boundary=m\r\n\r\n"
	       "--m\r\n"
	       "Content-Type: multipart/alternative; boundary=a\r\n\r\n"
	       "--a\r\nContent-Type: text/plain\r\n\r\nplain\r\n"
	       "--a\r\nContent-Type: text/html\r\n\r\n<p>html</p>\r\n"
	       "--a--\r\n"
	       "--m\r\n"
	       "Content-Type: application/zip\r\n"
	       "Content-Disposition: attachment; filename=data.zip\r\n\r\n"
	       "UEsDBA==\r\n"
	       "--m--\r\n",
	       "plain\n\ndata.zip");
}

Test(mime_text, html_only)
{
	expect("Content-Type: text/html; charset=utf-8\r\n\r\n"
	       "<!DOCTYPE html><html><head><title>T</title>\r\n"
	       "<style type=\"text/css\">p { color: red; }</style>\r\n"
	       "<script>if (a < b && c > d) alert(\"</p>\");</SCRIPT >\r\n"
	       "</head><body>\r\n"
	       "<!-- a comment with <b>tags</b> -->"
	       "<h1>Title</h1><p>One   two\r\n three&nbsp;four</p>"
	       "<p>5 &lt; 6 &amp;&amp; 7 &gt; 3, &quot;q&quot; &apos;a&apos;"
	       " &#233;&#xE9;&#x20AC; &eacute; &hellip; &bogus; & x</p>"
	       "<div>a<br>b<br/>c</div>"
	       "<table><tr><td>c1</td><td>c2</td></tr><tr><td>d1</td></tr>"
	       "</table>"
	       "<ul><li>one</li><li>two</li></ul>"
	       "<a href=\"http://x/?a>b\" title='>'>link</a> 1 < 2"
	       "</body></html>\r\n",
	       "T\n"
	       "Title\n\n"
	       "One two three four\n\n"
	       "5 < 6 && 7 > 3, \"q\" 'a' \xc3\xa9\xc3\xa9\xe2\x82\xac "
	       "\xc3\xa9 \xe2\x80\xa6 &bogus; & x\n\n"
	       "a\nb\nc\n"
	       "c1 c2\nd1\n"
	       "one\ntwo\n"
	       "link 1 < 2");
}

/* explore66: HTML whose Content-Type names no charset, but whose <meta>
 * does, was read as windows-1252: mojibake no search found. A charset in
 * the Content-Type comes first, as in browsers. */
Test(mime_text, html_charset_from_its_meta)
{
	expect("Content-Type: text/html\r\n\r\n"
	       "<html><head><meta http-equiv=\"Content-Type\" "
	       "content=\"text/html; charset=koi8-r\"></head>"
	       "<body>\xf0\xd2\xc9\xd7\xc5\xd4</body></html>\r\n",
	       "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82");
	expect("Content-Type: text/html\r\n"
	       "Content-Transfer-Encoding: base64\r\n\r\n"
	       "PE1FVEEgQ0hBUlNFVD0nc2hpZnRfamlzJz6TjIuePGJyPg==\r\n",
	       "\xe6\x9d\xb1\xe4\xba\xac");
	expect("Content-Type: text/html; charset=utf-8\r\n\r\n"
	       "<meta charset=\"koi8-r\">caf\xc3\xa9\r\n",
	       "caf\xc3\xa9");
	/* explore68: the charset attribute, or content's when http-equiv is
	 * Content-Type: not a charset= in some other meta's content */
	expect("Content-Type: text/html\r\n\r\n"
	       "<meta name=description content=\"we set charset=koi8-r\">"
	       "<meta http-equiv=content-type content='text/html; "
	       "charset=koi8-r'>\xf0\xd2\xc9\xd7\xc5\xd4\r\n",
	       "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82");
	expect("Content-Type: text/html\r\n\r\n"
	       "<meta name=\"description\" content=\"charset=koi8-r\">"
	       "caf\xc3\xa9\r\n",
	       "caf\xc3\xa9");
	/* a meta that says UTF-16 was read as ASCII: UTF-8, as browsers */
	expect("Content-Type: text/html\r\n\r\n"
	       "<META CHARSET=\"UTF-16\"><p>Hello caf\xc3\xa9</p>\r\n",
	       "Hello caf\xc3\xa9");
	expect("Content-Type: text/html\r\n\r\n"
	       "<meta http-equiv=\"Content-Type\" content=\"text/html; "
	       "charset=unicode\">Hello\r\n",
	       "Hello");
	/* a meta past the prescan, or in no meta tag, is not looked at */
	expect("Content-Type: text/html\r\n\r\n"
	       "<p>charset=koi8-r caf\xc3\xa9</p>\r\n",
	       "charset=koi8-r caf\xc3\xa9");
}

Test(mime_text, html_pre_keeps_lines)
{
	expect("Content-Type: text/html\r\n\r\n"
	       "<p>x</p><pre>a  b\r\nc</pre>y",
	       "x\n\na  b\nc\ny");
}

static const char forwarded[] =
        "From: outer@example.org\r\n"
        "Subject: Fwd: plans\r\n"
        "Content-Type: multipart/mixed; boundary=\"o\"\r\n"
        "\r\n"
        "--o\r\n"
        "Content-Type: text/plain\r\n"
        "\r\n"
        "See below.\r\n"
        "--o\r\n"
        "Content-Type: message/rfc822\r\n"
        "\r\n"
        "From: =?utf-8?q?J=C3=B6rg?= <j@example.org>\r\n"
        "Subject: =?iso-8859-1?q?Pl=E4ne?=\r\n"
        " for Q3\r\n"
        "Content-Type: multipart/alternative; boundary=\"i\"\r\n"
        "\r\n"
        "--i\r\n"
        "Content-Type: text/plain\r\n"
        "\r\n"
        "Inner plain.\r\n"
        "--i\r\n"
        "Content-Type: text/html\r\n"
        "\r\n"
        "<p>Inner html.</p>\r\n"
        "--i--\r\n"
        "\r\n"
        "--o--\r\n";

/* explore66: a message forwarded in base64 inside one forwarded in base64
 * left no trace of its sender or subject. Its From and Subject come from
 * the start of its part; its text is not read (one decoded copy at a
 * time). */
Test(mime_text, a_message_encoded_inside_an_encoded_one_is_named)
{
	expect("Content-Type: multipart/mixed; boundary=t\r\n"
	       "\r\n"
	       "--t\r\n"
	       "Content-Type: text/plain\r\n"
	       "\r\n"
	       "top text\r\n"
	       "--t\r\n"
	       "Content-Type: message/rfc822\r\n"
	       "Content-Transfer-Encoding: base64\r\n"
	       "\r\n"
	       "RnJvbTogbWlkQGV4YW1wbGUuY29tDQpTdWJqZWN0OiBtaWRkbGUNCkNvbnRlbnQ"
	       "tVHlwZTogbXVs\r\n"
	       "dGlwYXJ0L21peGVkOyBib3VuZGFyeT1tDQoNCi0tbQ0KQ29udGVudC1UeXBlOiB"
	       "0ZXh0L3BsYWlu\r\n"
	       "DQoNCm1pZGRsZSB0ZXh0DQotLW0NCkNvbnRlbnQtVHlwZTogbWVzc2FnZS9yZmM"
	       "4MjINCkNvbnRl\r\n"
	       "bnQtVHJhbnNmZXItRW5jb2Rpbmc6IGJhc2U2NA0KDQpSbkp2YlRvZ1NXNXVaWEl"
	       "nUEdsdWJtVnlR\r\n"
	       "R1Y0WVcxd2JHVXVZMjl0UGcwS1UzVmlhbVZqZERvZ2FXNXVaWEp0YjNOMERRb05"
	       "DbWx1DQpibVZ5\r\n"
	       "SUdKdlpIa05DZz09DQotLW0tLQ0K\r\n"
	       "--t--\r\n",
	       "top text\n\nFrom: mid@example.com\nSubject: middle\n\n"
	       "middle text\n\nFrom: Inner <inner@example.com>\n"
	       "Subject: innermost");
}

Test(mime_text, message_rfc822_nested_multipart)
{
	expect(forwarded, "See below.\n\n"
	                  "From: J\xc3\xb6rg <j@example.org>\n"
	                  "Subject: Pl\xc3\xa4ne for Q3\n\n"
	                  "Inner plain.");
}

/* explore46: a forwarded message attached as a file lost its name, which
 * a search looks for as for any attachment's. */
Test(mime_text, a_message_attached_as_a_file_keeps_its_name)
{
	expect("Content-Type: multipart/mixed; boundary=o\r\n\r\n"
	       "--o\r\n"
	       "Content-Type: text/plain\r\n\r\n"
	       "See attached.\r\n"
	       "--o\r\n"
	       "Content-Type: message/rfc822; name=\"fwd.eml\"\r\n"
	       "Content-Disposition: attachment; filename=\"fwd.eml\"\r\n"
	       "\r\n"
	       "From: j@example.org\r\n"
	       "Subject: plans\r\n\r\n"
	       "Inner text.\r\n"
	       "--o--\r\n",
	       "See attached.\n\nfwd.eml\n\nFrom: j@example.org\n"
	       "Subject: plans\n\nInner text.");
	/* the one without a name reads as before */
	expect(forwarded, "See below.\n\n"
	                  "From: J\xc3\xb6rg <j@example.org>\n"
	                  "Subject: Pl\xc3\xa4ne for Q3\n\n"
	                  "Inner plain.");
}

Test(mime_text, digest_parts_default_to_messages)
{
	expect("Content-Type: multipart/digest; boundary=d\r\n\r\n"
	       "--d\r\n\r\n"
	       "Subject: first\r\n\r\none\r\n"
	       "--d\r\n\r\n"
	       "Subject: second\r\n\r\ntwo\r\n"
	       "--d--\r\n",
	       "Subject: first\n\none\n\nSubject: second\n\ntwo");
}

Test(mime_text, rfc2231_filename)
{
	char *got = text_of("Content-Type: multipart/mixed; boundary=b\r\n\r\n"
	                    "--b\r\n"
	                    "Content-Type: application/octet-stream\r\n"
	                    "Content-Disposition: attachment;\r\n"
	                    " filename*1*=%20%E2%82%AC.pdf;\r\n"
	                    " filename*0*=utf-8'de'Rechnung%20f%C3%BCr;\r\n"
	                    " filename=\"fallback.pdf\"\r\n"
	                    "\r\nAAAA\r\n"
	                    "--b\r\n"
	                    "Content-Type: application/octet-stream;\r\n"
	                    " name*0=\"long name \"; name*1=\"in two.txt\"\r\n"
	                    "\r\nAAAA\r\n"
	                    "--b\r\n"
	                    "Content-Type: application/octet-stream;\r\n"
	                    " name*=iso-8859-1''caf%E9.doc\r\n"
	                    "\r\nAAAA\r\n"
	                    "--b--\r\n");
	cr_assert_str_eq(got, "Rechnung f\xc3\xbcr \xe2\x82\xac.pdf\n\n"
	                      "long name in two.txt\n\n"
	                      "caf\xc3\xa9.doc");
	free(got);
}

Test(mime_text, missing_close_delimiter)
{
	expect("Content-Type: multipart/mixed; boundary=b\r\n\r\n"
	       "--b\r\n\r\nfirst\r\n"
	       "--b\r\n\r\nsecond, and the message ends here\r\n",
	       "first\n\nsecond, and the message ends here");
	/* an inner multipart that is never closed ends at the outer
	 * delimiter */
	expect("Content-Type: multipart/mixed; boundary=o\r\n\r\n"
	       "--o\r\nContent-Type: multipart/mixed; boundary=i\r\n\r\n"
	       "--i\r\n\r\ninner\r\n"
	       "--o\r\n\r\nouter\r\n"
	       "--o--\r\n",
	       "inner\n\nouter");
}

Test(mime_text, boundary_text_inside_a_part)
{
	expect("Content-Type: multipart/mixed; boundary=sep\r\n\r\n"
	       "--sep\r\n\r\n"
	       "the word sep alone:\r\n"
	       "sep\r\n"
	       "and --sep in the middle of a line, and\r\n"
	       " --sep after a space, and\r\n"
	       "--separator that only starts like it\r\n"
	       "--sep and trailing text\r\n"
	       "--sep\r\n\r\nsecond\r\n"
	       "--sep--\r\n",
	       "the word sep alone:\nsep\n"
	       "and --sep in the middle of a line, and\n"
	       " --sep after a space, and\n"
	       "--separator that only starts like it\n"
	       "--sep and trailing text\n\n"
	       "second");
}

Test(mime_text, transport_padding_after_delimiter)
{
	expect("Content-Type: multipart/mixed; boundary=b\r\n\r\n"
	       "--b \t \r\n\r\none\r\n"
	       "--b--  \r\n",
	       "one");
}

Test(mime_text, bare_lf)
{
	expect("Content-Type: multipart/mixed; boundary=b\n"
	       "\n"
	       "--b\n"
	       "Content-Type: text/plain\n"
	       "Content-Transfer-Encoding: quoted-printable\n"
	       "\n"
	       "soft=\n"
	       "break\n"
	       "line two\n"
	       "--b\n"
	       "Content-Type: text/html\n"
	       "\n"
	       "<p>html</p>\n"
	       "--b--\n",
	       "softbreak\nline two\n\nhtml");
	/* lone CR is a line end too */
	expect("Subject: x\n\na\rb\r\nc", "a\nb\nc");
}

/* explore46: an mbox "From " line before the header, or a stray line in
 * it, ended the header there: the whole message, boundaries and the
 * attachment's base64 with it, was taken for its text. The block goes on,
 * as Dovecot reads it. */
Test(mime_text, a_line_that_is_no_field_inside_a_header_is_passed_over)
{
	static const char rest[] =
	        "From: a@x\r\n"
	        "Content-Type: multipart/mixed; boundary=\"B\"\r\n\r\n"
	        "--B\r\n"
	        "Content-Type: text/plain; charset=utf-8\r\n"
	        "Content-Transfer-Encoding: base64\r\n\r\n"
	        "SGVsbG8gd8O2cmxk\r\n"
	        "--B\r\n"
	        "Content-Type: application/pdf; name=\"secret.pdf\"\r\n"
	        "Content-Transfer-Encoding: base64\r\n\r\n"
	        "JVBERi0xLjQKc2VjcmV0Y29udGVudA==\r\n"
	        "--B--\r\n";
	char msg[1024];

	snprintf(msg, sizeof(msg),
	         "From sender@example.org Mon Jan  1 "
	         "00:00:00 2024\r\n%s",
	         rest);
	expect(msg, "Hello w\xc3\xb6rld\n\nsecret.pdf");
	snprintf(msg, sizeof(msg), "Subject: x\r\nthis line has no colon\r\n%s",
	         rest);
	expect(msg, "Hello w\xc3\xb6rld\n\nsecret.pdf");
	/* no field after it: the text begins there */
	expect("Subject: x\r\nHello\r\nthere\r\n", "Hello\nthere");
	expect("From nobody\r\njust text\r\n", "From nobody\njust text");
}

Test(mime_text, part_without_header_block)
{
	expect("Content-Type: multipart/mixed; boundary=b\r\n\r\n"
	       "--b\r\n"
	       "\r\n"
	       "no header, empty line\r\n"
	       "--b\r\n"
	       "no header, no empty line either\r\n"
	       "--b\r\n"
	       "--b--\r\n",
	       "no header, empty line\n\nno header, no empty line either");
	/* a message that has no header at all */
	expect("just some text\r\nwith: a colon later\r\n",
	       "just some text\nwith: a colon later");
}

Test(mime_text, max_out_cuts_on_character_boundary)
{
	/* "é" is two bytes: a limit in its middle cuts before it */
	const char *msg = "Subject: x\r\n\r\nab\xc3\xa9\xc3\xa9";
	char *got = text_n(msg, strlen(msg), 3, 1);
	cr_assert_str_eq(got, "ab");
	free(got);
	got = text_n(msg, strlen(msg), 4, 1);
	cr_assert_str_eq(got, "ab\xc3\xa9");
	free(got);
	got = text_n(msg, strlen(msg), 6, 0);
	cr_assert_str_eq(got, "ab\xc3\xa9\xc3\xa9");
	free(got);
	/* "€" is three bytes */
	msg = "Subject: x\r\n\r\n\xe2\x82\xac\xe2\x82\xac";
	for (size_t max = 1; max < 6; max++) {
		got = text_n(msg, strlen(msg), max, 1);
		cr_assert_eq(strlen(got), max / 3 * 3, "max_out %zu", max);
		free(got);
	}
}

Test(mime_text, appends_and_keeps_out_on_error)
{
	struct imap4_buf out;
	imap4_buf_init(&out, 0);
	cr_assert_eq(imap4_buf_puts(&out, "before|"), 0);
	cr_assert_eq(imap4_mime_text(&out, "\r\nbody", 6, 4), 0);
	cr_assert_str_eq(out.data, "before|body");
	cr_assert_eq(imap4_mime_text(&out, "\r\nmore text", 11, 4), 1);
	cr_assert_str_eq(out.data, "before|bodymore");
	imap4_buf_clear(&out);

	/* out's own cap: ELIMIT, and out as it was */
	imap4_buf_init(&out, 10);
	cr_assert_eq(imap4_buf_puts(&out, "keep"), 0);
	cr_assert_eq(imap4_mime_text(&out, "\r\nmuch too long for it", 22, 0),
	             IMAP4_ELIMIT);
	cr_assert_str_eq(out.data, "keep");
	cr_assert_eq(out.len, 4);
	imap4_buf_clear(&out);

	cr_assert_eq(imap4_mime_text(NULL, "x", 1, 0), IMAP4_EINVAL);
	imap4_buf_init(&out, 0);
	cr_assert_eq(imap4_mime_text(&out, NULL, 1, 0), IMAP4_EINVAL);
	cr_assert_eq(imap4_mime_text(&out, NULL, 0, 0), 0);
	imap4_buf_clear(&out);
}

Test(mime_text, depth_bomb, .timeout = 60)
{
	struct imap4_buf msg;
	char line[128];
	imap4_buf_init(&msg, 0);
	for (int i = 0; i < 1000; i++) {
		snprintf(line, sizeof(line),
		         "Content-Type: multipart/mixed; "
		         "boundary=\"b%d\"\r\n\r\n"
		         "--b%d\r\n",
		         i, i);
		put(&msg, line);
		if (i == 10)
			put(&msg, "Content-Type: "
			          "text/plain\r\n\r\nshallow\r\n--b10\r\n");
	}
	put(&msg, "Content-Type: text/plain\r\n\r\ndeepest\r\n");
	for (int i = 999; i >= 0; i--) {
		snprintf(line, sizeof(line), "--b%d--\r\n", i);
		put(&msg, line);
	}
	char *got = text_n(msg.data, msg.len, 0, 0);
	/* the text at depth 11 is found; the one below the bound is not
	 * decoded, and nothing of the structure leaks into the text */
	cr_assert_str_eq(got, "shallow");
	free(got);

	/* message/rfc822 nested the same way */
	imap4_buf_reset(&msg);
	for (int i = 0; i < 1000; i++)
		put(&msg, "Content-Type: message/rfc822\r\n\r\n");
	put(&msg, "Subject: deep\r\n\r\ntext\r\n");
	got = text_n(msg.data, msg.len, 0, 0);
	expect_lacks(got, "deep");
	free(got);
	imap4_buf_clear(&msg);
}

Test(mime_text, alternative_bomb, .timeout = 60)
{
	/* each level of nested alternatives reads its chosen part twice:
	 * the depth bound keeps that a constant factor */
	struct imap4_buf msg;
	char line[128];
	imap4_buf_init(&msg, 0);
	for (int i = 0; i < 200; i++) {
		snprintf(line, sizeof(line),
		         "Content-Type: multipart/alternative; boundary=\"a%d\""
		         "\r\n\r\n--a%d\r\n",
		         i, i);
		put(&msg, line);
	}
	put(&msg, "\r\n");
	for (int i = 0; i < 100000; i++)
		put(&msg, "some text that is long enough to matter\r\n");
	char *got = text_n(msg.data, msg.len, 0, 0);
	cr_assert_str_eq(got, "");
	free(got);
	imap4_buf_clear(&msg);
}

Test(mime_text, many_empty_parts, .timeout = 60)
{
	struct imap4_buf msg;
	imap4_buf_init(&msg, 0);
	put(&msg, "Content-Type: multipart/mixed; boundary=e\r\n\r\n");
	for (int i = 0; i < 10000; i++)
		put(&msg, "--e\r\n\r\n");
	put(&msg, "--e\r\n\r\nlast\r\n--e--\r\n");
	char *got = text_n(msg.data, msg.len, 0, 0);
	cr_assert_str_eq(got, "last");
	free(got);

	/* and 100,000 parts of a multipart/alternative */
	imap4_buf_reset(&msg);
	put(&msg, "Content-Type: multipart/alternative; boundary=e\r\n\r\n");
	for (int i = 0; i < 100000; i++)
		put(&msg, "--e\r\nContent-Type: image/gif\r\n\r\n");
	put(&msg, "--e\r\n\r\nplain\r\n--e--\r\n");
	got = text_n(msg.data, msg.len, 0, 0);
	cr_assert_str_eq(got, "plain");
	free(got);
	imap4_buf_clear(&msg);
}

Test(mime_text, invalid_utf8_and_nul_sanitized)
{
	static const char msg[] = "Content-Type: text/plain; charset=utf-8\r\n"
	                          "\r\n"
	                          "a\0b \xc0\xaf \xed\xa0\x80 \xf8 \xe2\x82\r\n"
	                          "ctl\x01\x1b[31m";
	char *got = text_n(msg, sizeof(msg) - 1, 0, 0);
	cr_assert_str_eq(got, "a\xef\xbf\xbd"
	                      "b \xef\xbf\xbd\xef\xbf\xbd "
	                      "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd "
	                      "\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd\n"
	                      "ctl  [31m");
	free(got);
	/* NUL in a base64 body and in an HTML one */
	expect("Content-Transfer-Encoding: base64\r\n\r\nYQBi\r\n",
	       "a\xef\xbf\xbd"
	       "b");
	static const char html[] = "Content-Type: text/html\r\n\r\n<p>x\0y</p>";
	got = text_n(html, sizeof(html) - 1, 0, 0);
	cr_assert_str_eq(got, "x\xef\xbf\xbdy");
	free(got);
}

/* xorshift: reproducible, and the same on every platform */
static uint64_t next_random(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

Test(mime_text, garbage_never_fails)
{
	static const char *const pieces[] = {
	        "\r\n",
	        "\n",
	        "--",
	        "b",
	        "Content-Type: ",
	        "multipart/mixed; boundary=b",
	        "text/html",
	        "=",
	        "=?utf-8?b?",
	        "<",
	        ">",
	        "&#x",
	        "<!--",
	        "<script>",
	        "base64",
	        "Content-Transfer-Encoding: ",
	        ";",
	        "\"",
	        "*0*=",
	        "message/rfc822",
	        "\0",
	};
	uint64_t seed = 0x9e3779b97f4a7c15u;
	char buf[4096];
	for (int round = 0; round < 3000; round++) {
		size_t n = next_random(&seed) % sizeof(buf);
		for (size_t i = 0; i < n;) {
			uint64_t r = next_random(&seed);
			if (r % 3 == 0) {
				const char *s =
				        pieces[(r >> 8) % (sizeof(pieces) /
				                           sizeof(pieces[0]))];
				size_t l = *s ? strlen(s) : 1;
				if (l > n - i)
					l = n - i;
				memcpy(buf + i, s, l);
				i += l;
			} else {
				buf[i++] = (char)(r >> 16);
			}
		}
		/* an exact-size copy, so that ASan sees any read past it */
		char *msg = malloc(n ? n : 1);
		cr_assert_not_null(msg);
		memcpy(msg, buf, n);
		size_t max = round % 4 == 0 ? (size_t)(round % 50) + 1 : 0;
		struct imap4_buf out;
		imap4_buf_init(&out, 0);
		int rc = imap4_mime_text(&out, msg, n, max);
		cr_assert(rc == 0 || rc == 1, "round %d: rc %d", round, rc);
		cr_assert(valid_utf8(out.data ? out.data : "", out.len),
		          "round %d", round);
		if (max)
			cr_assert_leq(out.len, max);
		imap4_buf_clear(&out);
		free(msg);
	}
}

/* A mix like a mailbox's (mostly plain text, some HTML alternatives,
 * some attachments), checked for what must and must not be in the text.
 * Not timed here: tests/bench or the report measures speed. */
Test(mime_text, realistic_mix)
{
	struct imap4_buf msg;
	char line[160];
	imap4_buf_init(&msg, 0);
	put(&msg,
	    "Content-Type: multipart/mixed; boundary=\"=_m\"\r\n\r\n"
	    "--=_m\r\n"
	    "Content-Type: multipart/alternative; boundary=\"=_a\"\r\n\r\n"
	    "--=_a\r\nContent-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
	for (int i = 0; i < 2000; i++) {
		snprintf(line, sizeof(line),
		         "Line %d of the letter, with a soft break in the "
		         "mid=\r\n"
		         "dle and an =C3=A9 in it.\r\n",
		         i);
		put(&msg, line);
	}
	put(&msg, "--=_a\r\nContent-Type: text/html\r\n\r\n<p>html</p>\r\n"
	          "--=_a--\r\n"
	          "--=_m\r\nContent-Type: application/pdf\r\n"
	          "Content-Disposition: attachment; filename=report.pdf\r\n"
	          "Content-Transfer-Encoding: base64\r\n\r\n");
	for (int i = 0; i < 20000; i++)
		put(&msg,
		    "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9w"
		    "cXJzdHV2d3h5ejAx\r\n");
	put(&msg, "--=_m--\r\n");
	char *got = text_n(msg.data, msg.len, 0, 0);
	expect_has(got, "Line 0 of the letter, with a soft break in the "
	                "middle and an \xc3\xa9 in it.\n");
	expect_has(got, "Line 1999 of the letter");
	expect_has(got, "\n\nreport.pdf");
	expect_lacks(got, "QUJD");
	expect_lacks(got, "html");
	free(got);
	imap4_buf_clear(&msg);
}
