/* test_mime_reader.c - the text extractor (proto/mime_text.h) against what
 * mail readers show where the RFCs leave it open or senders break them: a
 * stub text/plain beside the HTML, a boundary that never comes, HTML's
 * named references, invisible characters, format=flowed, a forwarded
 * message in base64, raw 8-bit header bytes and unknown charsets. */
#include "imap4.h"
#include "mime_test.h"
#include "proto/mime_text.h"
#include "util/buf.h"

#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Base64 in lines of 76 characters, CRLF after each, appended to b. */
static void put_base64(struct imap4_buf *b, const char *p, size_t n)
{
	static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                             "abcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *u = (const unsigned char *)p;
	size_t col = 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)u[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)u[i + 1] << 8;
		if (i + 2 < n)
			v |= u[i + 2];
		char q[4] = {digits[v >> 18], digits[v >> 12 & 63],
		             i + 1 < n ? digits[v >> 6 & 63] : '=',
		             i + 2 < n ? digits[v & 63] : '='};
		cr_assert_eq(imap4_buf_append(b, q, 4), 0);
		if ((col += 4) == 76) {
			put(b, "\r\n");
			col = 0;
		}
	}
	put(b, "\r\n");
}

/* ------------------------------------------- multipart/alternative stubs */

/* An HTML part whose text (about 190 bytes without white space) is far
 * longer than a stub's. */
#define NEWS_HTML                                                              \
	"Content-Type: text/html; charset=utf-8\r\n\r\n"                       \
	"<html><head><style>h1 { color: red }</style></head><body>"            \
	"<h1>Spring sale</h1><p>All shoes are half price this week, in "       \
	"every one of our shops and online: boots, sandals, slippers and "     \
	"trainers alike, while stocks last.</p><p>Free delivery on every "     \
	"order.</p></body></html>\r\n"
#define NEWS_TEXT                                                              \
	"Spring sale\n\nAll shoes are half price this week, in every one of "  \
	"our shops and online: boots, sandals, slippers and trainers alike, "  \
	"while stocks last.\n\nFree delivery on every order."

Test(mime_reader, alternative_empty_plain_gives_way)
{
	expect("Content-Type: multipart/alternative; boundary=a\r\n\r\n"
	       "--a\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\r\n"
	       "--a\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
	       "<p>Only html has it</p>\r\n"
	       "--a--\r\n",
	       "Only html has it");
	/* white space alone is no text either */
	expect("Content-Type: multipart/alternative; boundary=a\r\n\r\n"
	       "--a\r\n\r\n \t\r\n   \r\n\r\n"
	       "--a\r\nContent-Type: text/html\r\n\r\n"
	       "<p>Only html has it</p>\r\n"
	       "--a--\r\n",
	       "Only html has it");
	/* both empty: nothing, and no blank lines for them */
	expect("Content-Type: multipart/mixed; boundary=m\r\n\r\n"
	       "--m\r\n\r\nbefore\r\n"
	       "--m\r\nContent-Type: multipart/alternative; boundary=a\r\n\r\n"
	       "--a\r\n\r\n\r\n"
	       "--a\r\nContent-Type: text/html\r\n\r\n<p> </p>\r\n"
	       "--a--\r\n"
	       "--m\r\n\r\nafter\r\n"
	       "--m--\r\n",
	       "before\n\nafter");
}

Test(mime_reader, alternative_stub_plain_gives_way)
{
	expect("Content-Type: multipart/alternative; boundary=a\r\n\r\n"
	       "--a\r\nContent-Type: text/plain\r\n\r\n"
	       "To view this email, open it in a browser.\r\n"
	       "--a\r\n" NEWS_HTML "--a--\r\n",
	       NEWS_TEXT);
	/* in a mixed, between other parts: one blank line on each side */
	expect("Content-Type: multipart/mixed; boundary=m\r\n\r\n"
	       "--m\r\n\r\nintro\r\n\r\n"
	       "--m\r\nContent-Type: multipart/alternative; boundary=a\r\n\r\n"
	       "--a\r\nContent-Type: text/plain\r\n\r\n"
	       "To view this email, open it in a browser.\r\n"
	       "--a\r\n" NEWS_HTML "--a--\r\n"
	       "--m\r\nContent-Type: application/zip\r\n"
	       "Content-Disposition: attachment; filename=data.zip\r\n\r\n"
	       "UEsDBA==\r\n"
	       "--m--\r\n",
	       "intro\n\n" NEWS_TEXT "\n\ndata.zip");
	/* the HTML in a multipart/related, with its image */
	expect("Content-Type: multipart/alternative; boundary=a\r\n\r\n"
	       "--a\r\nContent-Type: text/plain\r\n\r\n\r\n"
	       "--a\r\nContent-Type: multipart/related; boundary=r\r\n\r\n"
	       "--r\r\n" NEWS_HTML "--r\r\nContent-Type: image/png; "
	       "name=logo.png\r\n\r\niVBORw0K\r\n"
	       "--r--\r\n"
	       "--a--\r\n",
	       NEWS_TEXT "\n\nlogo.png");
}

Test(mime_reader, alternative_real_plain_stays)
{
	/* the same text in both: the plain one */
	expect("Content-Type: multipart/alternative; boundary=a\r\n\r\n"
	       "--a\r\nContent-Type: text/plain\r\n\r\n"
	       "Spring sale\r\n\r\nAll shoes are half price this week, in "
	       "every one of our shops and online: boots, sandals, slippers "
	       "and trainers alike, while stocks last.\r\n\r\n"
	       "Free delivery on every order. (plain)\r\n"
	       "--a\r\n" NEWS_HTML "--a--\r\n",
	       "Spring sale\n\nAll shoes are half price this week, in every "
	       "one of our shops and online: boots, sandals, slippers and "
	       "trainers alike, while stocks last.\n\n"
	       "Free delivery on every order. (plain)");
	/* a short plain text beside an HTML one not much longer: a length
	 * tells nothing here, and the plain part stays */
	expect("Content-Type: multipart/alternative; boundary=a\r\n\r\n"
	       "--a\r\nContent-Type: text/plain\r\n\r\n"
	       "To view this email, open it in a browser.\r\n"
	       "--a\r\nContent-Type: text/html\r\n\r\n"
	       "<h1>Spring sale</h1><p>All shoes 50% off</p>\r\n"
	       "--a--\r\n",
	       "To view this email, open it in a browser.");
	/* a short plain text, a long HTML part with little text in it */
	struct imap4_buf msg;
	imap4_buf_init(&msg, 0);
	put(&msg, "Content-Type: multipart/alternative; boundary=a\r\n\r\n"
	          "--a\r\n\r\nThanks, see you tomorrow.\r\n"
	          "--a\r\nContent-Type: text/html\r\n\r\n<style>");
	for (int i = 0; i < 2000; i++)
		put(&msg, "p.x { margin: 0 }\r\n");
	put(&msg, "</style><p>Thanks, see you tomorrow.</p>\r\n--a--\r\n");
	char *got = text_n(msg.data, msg.len, 0, 0);
	cr_assert_str_eq(got, "Thanks, see you tomorrow.");
	free(got);
	imap4_buf_clear(&msg);
}

Test(mime_reader, alternative_stub_and_the_limit)
{
	/* the HTML text is cut by the limit, and wins: what fits of it */
	static const char stub[] =
	        "Content-Type: multipart/alternative; boundary=a\r\n\r\n"
	        "--a\r\nContent-Type: text/plain\r\n\r\n\r\n"
	        "--a\r\nContent-Type: text/html\r\n\r\n"
	        "<p>Only html has it</p>\r\n"
	        "--a--\r\n";
	char *got = text_n(stub, strlen(stub), 10, 1);
	cr_assert_str_eq(got, "Only html");
	free(got);

	/* the HTML text, weighed and lost, met the limit on the way: the
	 * plain text stays, uncut, and the parts after it are still read */
	static const char lost[] =
	        "Content-Type: multipart/mixed; boundary=m\r\n\r\n"
	        "--m\r\nContent-Type: multipart/alternative; boundary=a\r\n\r\n"
	        "--a\r\nContent-Type: text/plain\r\n\r\n"
	        "To view this email, open it in a browser.\r\n"
	        "--a\r\nContent-Type: text/html\r\n\r\n"
	        "<p>Spring sale: all shoes are half price, and more.</p>\r\n"
	        "--a--\r\n"
	        "--m\r\nContent-Type: application/zip; name=a.zip\r\n\r\n"
	        "UEsDBA==\r\n"
	        "--m--\r\n";
	got = text_n(lost, strlen(lost), 60, 0);
	cr_assert_str_eq(got, "To view this email, open it in a browser.\n\n"
	                      "a.zip");
	free(got);
}

/* ---------------------------------------------- a boundary that never comes */

Test(mime_reader, boundary_never_found_keeps_the_body)
{
	/* no delimiter at all: the body is the text */
	expect("Content-Type: multipart/alternative; boundary=\"zz\"\r\n\r\n"
	       "Someone wrote plain text here without any parts.\r\n",
	       "Someone wrote plain text here without any parts.");
	/* delimiters of another boundary: shown as they are */
	expect("Content-Type: multipart/mixed; boundary=\"declared\"\r\n\r\n"
	       "--actual\r\n"
	       "Content-Type: text/plain\r\n\r\n"
	       "Text under the wrong boundary\r\n"
	       "--actual--\r\n",
	       "--actual\nContent-Type: text/plain\n\n"
	       "Text under the wrong boundary\n--actual--");
	/* inside a multipart that has its delimiters: up to the next */
	expect("Content-Type: multipart/mixed; boundary=o\r\n\r\n"
	       "--o\r\n\r\nfirst\r\n"
	       "--o\r\nContent-Type: multipart/mixed; boundary=i\r\n\r\n"
	       "inner text\r\n"
	       "--o\r\n\r\nlast\r\n"
	       "--o--\r\n",
	       "first\n\ninner text\n\nlast");
	/* its transfer encoding applies, as to any text */
	expect("Content-Type: multipart/mixed; boundary=x\r\n"
	       "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
	       "caf=C3=A9 au=\r\n lait\r\n",
	       "caf\xc3\xa9 au lait");
	/* a preamble before delimiters that do come is still no text */
	expect("Content-Type: multipart/mixed; boundary=b\r\n\r\n"
	       "This is a multi-part message in MIME format.\r\n"
	       "--b\r\n\r\npart\r\n"
	       "--b--\r\nepilogue\r\n",
	       "part");
}

/* ------------------------------------------------ HTML named references */

static void expect_html(const char *body, const char *want)
{
	struct imap4_buf msg;
	imap4_buf_init(&msg, 0);
	put(&msg, "Content-Type: text/html; charset=utf-8\r\n\r\n");
	put(&msg, body);
	char *got = text_n(msg.data, msg.len, 0, 0);
	cr_assert_str_eq(got, want, "%s", body);
	free(got);
	imap4_buf_clear(&msg);
}

Test(mime_reader, html_named_references)
{
	/* HTML 4's, beyond Latin-1: special, symbols and Greek */
	expect_html("<p>&oelig;uvre &OElig; &scaron;&Scaron; &Yuml; &hearts; "
	            "&ne; &alpha;&beta;&Omega; &thetasym; &lang;x&rang; "
	            "&dagger;&Dagger; &permil; &fnof;</p>",
	            "\xc5\x93uvre \xc5\x92 \xc5\xa1\xc5\xa0 \xc5\xb8 "
	            "\xe2\x99\xa5 \xe2\x89\xa0 \xce\xb1\xce\xb2\xce\xa9 "
	            "\xcf\x91 \xe2\x9f\xa8x\xe2\x9f\xa9 "
	            "\xe2\x80\xa0\xe2\x80\xa1 \xe2\x80\xb0 \xc6\x92");
	/* Latin Extended-A letters, the Living Standard's names */
	expect_html("&lstrok;&oacute;d&zacute; &Ccaron;esk&yacute; "
	            "&odblac;&udblac; &inodot;",
	            "\xc5\x82\xc3\xb3\x64\xc5\xba \xc4\x8c\x65sk\xc3\xbd "
	            "\xc5\x91\xc5\xb1 \xc4\xb1");
	/* the first, last and upper-case-only names of the table */
	expect_html("&AElig; &zwnj;|&zwj; &yuml; &AMP;&COPY;&QUOT;",
	            "\xc3\x86 | \xc3\xbf &\xc2\xa9\"");
	/* what the table lacks stays as written */
	expect_html("&check; &NotAnEntity; &foo;bar &Amp; &nbsp ;",
	            "&check; &NotAnEntity; &foo;bar &Amp; ;");
}

/* Every name of the table (mime_entity.c), each found: none stays as
 * it was written. */
Test(mime_reader, html_every_name_of_the_table)
{
	static const char names[] =
	        "AElig AMP Aacute Abreve Acirc Agrave Alpha Amacr Aogon "
	        "Aring Atilde Auml Beta COPY Cacute Ccaron Ccedil Ccirc "
	        "Cdot Chi Dagger Dcaron Delta Dstrok ENG ETH Eacute Ecaron "
	        "Ecirc Edot Egrave Emacr Eogon Epsilon Eta Euml GT Gamma "
	        "Gbreve Gcedil Gcirc Gdot Hcirc Hstrok IJlig Iacute Icirc "
	        "Idot Igrave Imacr Iogon Iota Itilde Iuml Jcirc Kappa "
	        "Kcedil LT Lacute Lambda Lcaron Lcedil Lmidot Lstrok Mu "
	        "Nacute Ncaron Ncedil Ntilde Nu OElig Oacute Ocirc Odblac "
	        "Ograve Omacr Omega Omicron Oslash Otilde Ouml Phi Pi Prime "
	        "Psi QUOT REG Racute Rcaron Rcedil Rho Sacute Scaron Scedil "
	        "Scirc Sigma THORN Tau Tcaron Tcedil Theta Tstrok Uacute "
	        "Ubreve Ucirc Udblac Ugrave Umacr Uogon Upsilon Uring "
	        "Utilde Uuml Wcirc Xi Yacute Ycirc Yuml Zacute Zcaron Zdot "
	        "Zeta aacute abreve acirc acute aelig agrave alefsym alpha "
	        "amacr amp and ang aogon apos aring asymp atilde auml bdquo "
	        "beta brvbar bull cacute cap ccaron ccedil ccirc cdot cedil "
	        "cent chi circ clubs cong copy crarr cup curren dArr dagger "
	        "darr dcaron deg delta diams divide dstrok eacute ecaron "
	        "ecirc edot egrave emacr empty emsp eng ensp eogon epsilon "
	        "equiv eta eth euml euro exist fnof forall frac12 frac14 "
	        "frac34 frasl gamma gbreve gcirc gdot ge gt hArr harr hcirc "
	        "hearts hellip hstrok iacute icirc iexcl igrave ijlig imacr "
	        "image imath infin inodot int iogon iota iquest isin itilde "
	        "iuml jcirc kappa kcedil kgreen lArr lacute lambda lang "
	        "laquo larr lcaron lcedil lceil ldquo le lfloor lmidot "
	        "lowast loz lrm lsaquo lsquo lstrok lt macr mdash micro "
	        "middot minus mu nabla nacute napos nbsp ncaron ncedil "
	        "ndash ne ni not notin nsub ntilde nu oacute ocirc odblac "
	        "oelig ograve oline omacr omega omicron oplus or ordf ordm "
	        "oslash otilde otimes ouml para part permil perp phi pi piv "
	        "plusmn pound prime prod prop psi quot rArr racute radic "
	        "rang raquo rarr rcaron rcedil rceil rdquo real reg rfloor "
	        "rho rlm rsaquo rsquo sacute sbquo scaron scedil scirc sdot "
	        "sect shy sigma sigmaf sim spades sub sube sum sup sup1 "
	        "sup2 sup3 supe szlig tau tcaron tcedil there4 theta "
	        "thetasym thinsp thorn tilde times trade tstrok uArr uacute "
	        "uarr ubreve ucirc udblac ugrave umacr uml uogon upsih "
	        "upsilon uring utilde uuml wcirc weierp xi yacute ycirc yen "
	        "yuml zacute zcaron zdot zeta zwj zwnj";
	size_t count = 0;
	for (const char *p = names; *p;) {
		size_t n = strcspn(p, " ");
		char body[32], lit[32];
		cr_assert_lt(n, 10);
		snprintf(body, sizeof(body), "<p>x&%.*s;x</p>", (int)n, p);
		snprintf(lit, sizeof(lit), "&%.*s;", (int)n, p);
		struct imap4_buf msg;
		imap4_buf_init(&msg, 0);
		put(&msg, "Content-Type: text/html\r\n\r\n");
		put(&msg, body);
		char *got = text_n(msg.data, msg.len, 0, 0);
		expect_lacks(got, lit);
		free(got);
		imap4_buf_clear(&msg);
		count++;
		p += n + (p[n] == ' ');
	}
	cr_assert_eq(count, 375);
}

Test(mime_reader, html_legacy_references_without_semicolon)
{
	expect_html("<p>Tom&nbspJerry, caf&eacute joined, caf&eacute; "
	            "&copy2024 &notit; &amp x &lt&gt &frac12cup &AMP</p>",
	            "Tom Jerry, caf\xc3\xa9 joined, caf\xc3\xa9 "
	            "\xc2\xa9"
	            "2024 \xc2\xacit; & x <> \xc2\xbd"
	            "cup &");
	/* only the legacy ones: the others need their ";" */
	expect_html("&hearts &oelig x &ne", "&hearts &oelig x &ne");
	/* at the end of the part */
	expect_html("caf&eacute", "caf\xc3\xa9");
	/* a run of letters too long for any name: the legacy one that
	 * starts it, then the letters as text */
	expect_html("&notaverylongwordindeed; &abcdefghijklmnopq;",
	            "\xc2\xac"
	            "averylongwordindeed; &abcdefghijklmnopq;");
}

Test(mime_reader, html_numeric_references)
{
	expect_html("&#233; &#xe9; &#XE9; &#233 &#x20ac x &#0065;",
	            "\xc3\xa9 \xc3\xa9 \xc3\xa9 \xc3\xa9 \xe2\x82\xac x A");
	/* not characters: U+FFFD */
	expect_html("&#0; &#xD800; &#xdfff; &#x110000; &#99999999999999; "
	            "&#x0000000000041;",
	            "\xef\xbf\xbd \xef\xbf\xbd \xef\xbf\xbd \xef\xbf\xbd "
	            "\xef\xbf\xbd A");
	/* 0x80..0x9F: windows-1252 */
	expect_html("&#150;&#x93;q&#x94;",
	            "\xe2\x80\x93\xe2\x80\x9cq\xe2\x80\x9d");
	/* no digits: text */
	expect_html("&#; &#x; &#xZ; &#a; & x &", "&#; &#x; &#xZ; &#a; & x &");
	/* digits then letters: the reference ends at the first non-digit */
	expect_html("&#65bc; &#x41g", "Abc; Ag");
	/* at the end of the part */
	expect_html("x&#233", "x\xc3\xa9");
	expect_html("x&#x", "x&#x");
}

Test(mime_reader, html_reference_cut_between_pieces)
{
	/* base64 pieces end anywhere: a reference cut by the end of one
	 * piece (the first ends after 47,937 decoded bytes) waits for the
	 * rest */
	size_t n = 48000;
	char *text = malloc(n + 1);
	cr_assert_not_null(text);
	for (size_t at = 47937 - 10; at < 47937 + 4; at++) {
		memset(text, 'x', n);
		text[n] = '\0';
		memcpy(text + at - 1, " &oelig;uvre &#233;t&eacute ", 28);
		struct imap4_buf msg;
		imap4_buf_init(&msg, 0);
		put(&msg, "Content-Type: text/html\r\n"
		          "Content-Transfer-Encoding: base64\r\n\r\n");
		put_base64(&msg, text, n);
		char *got = text_n(msg.data, msg.len, 0, 0);
		expect_has(got, " \xc5\x93uvre \xc3\xa9t\xc3\xa9 ");
		free(got);
		imap4_buf_clear(&msg);
	}
	free(text);
}

/* -------------------------------------------------- invisible characters */

Test(mime_reader, invisible_characters_dropped)
{
	/* soft hyphen, ZWSP, ZWNJ, ZWJ, word joiner, byte order mark */
	expect("Content-Type: text/plain; charset=utf-8\r\n\r\n"
	       "\xef\xbb\xbf"
	       "Donau\xc2\xad"
	       "dampf\xc2\xadschiff zero\xe2\x80\x8bwidth "
	       "non\xe2\x80\x8cjoiner jo\xe2\x80\x8diner "
	       "word\xe2\x81\xa0joiner b\xef\xbb\xbfom\r\n",
	       "Donaudampfschiff zerowidth nonjoiner joiner wordjoiner bom");
	/* their neighbours stay: (c), em dash, LRM, U+FEFE, U+200A */
	expect("Content-Type: text/plain; charset=utf-8\r\n\r\n"
	       "\xc2\xa9\xc2\xae \xe2\x80\x94 a\xe2\x80\x8e "
	       "\xef\xbb\xbe \xe2\x80\x8a\xe2\x80\x8e\r\n",
	       "\xc2\xa9\xc2\xae \xe2\x80\x94 a\xe2\x80\x8e "
	       "\xef\xbb\xbe \xe2\x80\x8a\xe2\x80\x8e");
	/* from windows-1252 (0xAD), in base64, and in a text cut by the
	 * limit (the sink's own path) */
	expect("Content-Type: text/plain; charset=iso-8859-1\r\n\r\n"
	       "Donau\xad"
	       "dampf\r\n",
	       "Donaudampf");
	expect("Content-Type: text/plain; charset=utf-8\r\n"
	       "Content-Transfer-Encoding: base64\r\n\r\n"
	       "RG9uYXXCrWRhbXBm4oCLc2NoaWZm\r\n",
	       "Donaudampfschiff");
	static const char cut[] = "Subject: x\r\n\r\n"
	                          "Donau\xc2\xad"
	                          "dampf\xc2\xadschiff fahrt\r\n";
	char *got = text_n(cut, sizeof(cut) - 1, 19, 1);
	cr_assert_str_eq(got, "Donaudampfschiff fa");
	free(got);
}

Test(mime_reader, invisible_characters_dropped_from_html)
{
	expect_html("<p>Hyph&shy;enation zero&#8203;width a&zwnj;b&zwj;c "
	            "wj&#x2060;x b&#xFEFF;om Donau\xc2\xad"
	            "dampf z\xe2\x80\x8bw &lrm;l&rlm;r</p>",
	            "Hyphenation zerowidth abc wjx bom Donaudampf zw lr");
	/* raw ones next to white space and markup */
	expect_html("a \xc2\xad b<b>\xe2\x80\x8b</b>c\xc2\xad<i>d</i> "
	            "\xc2\xa9\xe2\x80\x94",
	            "a bcd \xc2\xa9\xe2\x80\x94");
	/* the other spaces a reference names are white space */
	expect_html("a&ensp;b&emsp;c&thinsp;d", "a b c d");
}

/* ------------------------------------------------------- format=flowed */

Test(mime_reader, format_flowed)
{
	/* DelSp=yes: the space of a soft break is not the text's */
	expect("Content-Type: text/plain; charset=utf-8; format=flowed; "
	       "delsp=yes\r\n\r\n"
	       "Unbreakable verylongflowed \r\nwordkw end of paragraph.\r\n",
	       "Unbreakable verylongflowedwordkw end of paragraph.");
	/* DelSp=no (the default): it is */
	expect("Content-Type: text/plain; format=Flowed\r\n\r\n"
	       "This is a paragraph that \r\nwas wrapped by the \r\n"
	       "sender.\r\nA fixed line.\r\n\r\nNext paragraph.\r\n",
	       "This is a paragraph that was wrapped by the sender.\n"
	       "A fixed line.\n\nNext paragraph.");
	/* quoted: the marks begin each paragraph, a change of depth ends
	 * one */
	expect("Content-Type: text/plain; format=flowed\r\n\r\n"
	       "> quoted text that \r\n> goes on.\r\n"
	       ">> deeper \r\n>>still, \r\n> back.\r\n"
	       "plain\r\n",
	       "> quoted text that goes on.\n"
	       ">> deeper still, \n"
	       "> back.\n"
	       "plain");
	/* space-stuffing, and the signature separator, which is fixed */
	expect("Content-Type: text/plain; format=flowed\r\n\r\n"
	       " From here\r\n  indented\r\nText.\r\n-- \r\nSig line\r\n",
	       "From here\n indented\nText.\n-- \nSig line");
	/* a flowed last line, and one that ends the text without LF */
	expect("Content-Type: text/plain; format=flowed; delsp=yes\r\n\r\n"
	       "end \r\n",
	       "end");
	expect("Content-Type: text/plain; format=flowed\r\n\r\n"
	       "a \r\nb ",
	       "a b");
	/* format=fixed, and flowed on anything but text/plain: as is */
	expect("Content-Type: text/plain; format=fixed\r\n\r\n"
	       "a \r\nb\r\n",
	       "a \nb");
	expect("Content-Type: text/html; format=flowed\r\n\r\n"
	       "<p>a \r\nb</p>\r\n",
	       "a b");
	/* LF line ends, quoted-printable */
	expect("Content-Type: text/plain; format=flowed; delsp=yes\r\n"
	       "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
	       "caf=C3=A9 \nau \nlait=20\n",
	       "caf\xc3\xa9"
	       "aulait");
}

Test(mime_reader, format_flowed_cut_between_pieces)
{
	/* the soft break's space, CR and LF on either side of the end of a
	 * base64 piece (after 47,937 decoded bytes) */
	size_t n = 48100;
	char *text = malloc(n);
	cr_assert_not_null(text);
	for (size_t at = 47937 - 12; at < 47937 + 4; at++) {
		for (size_t i = 0; i < n; i++)
			text[i] = i % 50 == 49 ? '\n' : 'y';
		memcpy(text + at - 6, "\nsplit \r\nword\r\n", 15);
		struct imap4_buf msg;
		imap4_buf_init(&msg, 0);
		put(&msg,
		    "Content-Type: text/plain; format=flowed; delsp=yes\r\n"
		    "Content-Transfer-Encoding: base64\r\n\r\n");
		put_base64(&msg, text, n);
		char *got = text_n(msg.data, msg.len, 0, 0);
		expect_has(got, "\nsplitword\n");
		free(got);
		imap4_buf_clear(&msg);
	}
	free(text);
}

/* ------------------------------------------------ forwarded in base64 */

Test(mime_reader, message_rfc822_in_base64)
{
	static const char inner[] = "From: z@example.org\r\n"
	                            "Subject: inner subject\r\n\r\n"
	                            "inner body\r\n";
	struct imap4_buf msg;
	imap4_buf_init(&msg, 0);
	put(&msg, "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
	          "--b\r\n\r\nouter text\r\n"
	          "--b\r\nContent-Type: message/rfc822; name=fwd.eml\r\n"
	          "Content-Transfer-Encoding: base64\r\n\r\n");
	put_base64(&msg, inner, strlen(inner));
	put(&msg, "--b\r\n\r\nafter\r\n--b--\r\n");
	char *got = text_n(msg.data, msg.len, 0, 0);
	cr_assert_str_eq(got, "outer text\n\nfwd.eml\n\n"
	                      "From: z@example.org\nSubject: inner subject\n\n"
	                      "inner body\n\nafter");
	free(got);
	imap4_buf_clear(&msg);

	/* quoted-printable */
	expect("Content-Type: message/rfc822\r\n"
	       "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
	       "Subject: qp inner\r\n\r\nsoft=\r\nbreak caf=C3=A9\r\n",
	       "Subject: qp inner\n\nsoftbreak caf\xc3\xa9");
}

Test(mime_reader, message_rfc822_in_base64_nested)
{
	/* a message in base64 inside one in base64: the inner one shows by
	 * its name and its header's Subject (one decoded message at a time);
	 * and the inner message has a multipart of the outer boundary's
	 * name */
	static const char deepest[] = "Subject: deepest\r\n\r\ndeep text\r\n";
	struct imap4_buf mid, msg;
	imap4_buf_init(&mid, 0);
	imap4_buf_init(&msg, 0);
	put(&mid, "Subject: middle\r\n"
	          "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
	          "--b\r\n\r\nmiddle text\r\n"
	          "--b\r\nContent-Type: message/rfc822; name=deep.eml\r\n"
	          "Content-Transfer-Encoding: base64\r\n\r\n");
	put_base64(&mid, deepest, strlen(deepest));
	put(&mid, "--b--\r\n");
	put(&msg, "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
	          "--b\r\nContent-Type: message/rfc822\r\n"
	          "Content-Transfer-Encoding: base64\r\n\r\n");
	put_base64(&msg, mid.data, mid.len);
	put(&msg, "--b\r\n\r\nouter after\r\n--b--\r\n");
	char *got = text_n(msg.data, msg.len, 0, 0);
	cr_assert_str_eq(got, "Subject: middle\n\nmiddle text\n\ndeep.eml\n\n"
	                      "Subject: deepest\n\nouter after");
	free(got);
	imap4_buf_clear(&mid);
	imap4_buf_clear(&msg);
}

/* -------------------------------------------------- raw 8-bit headers */

Test(mime_reader, raw_8bit_headers_read_as_windows_1252)
{
	/* an attached message's From and Subject, as the envelope's */
	expect("Content-Type: message/rfc822\r\n\r\n"
	       "From: J\xfcrgen <j@example.de>\r\n"
	       "Subject: R\xe9sum\xe9 \x93q\x94 =?utf-8?q?caf=C3=A9?= "
	       "\xc3\xa9t\xc3\xa9\r\n\r\nbody\r\n",
	       "From: J\xc3\xbcrgen <j@example.de>\n"
	       "Subject: R\xc3\xa9sum\xc3\xa9 \xe2\x80\x9cq\xe2\x80\x9d "
	       "caf\xc3\xa9 \xc3\xa9t\xc3\xa9\n\nbody");
	/* file names, raw Latin-1 and raw UTF-8 */
	expect("Content-Type: multipart/mixed; boundary=b\r\n\r\n"
	       "--b\r\nContent-Type: application/pdf\r\n"
	       "Content-Disposition: attachment; "
	       "filename=\"\xdc"
	       "bersicht.pdf\"\r\n\r\nJVBE\r\n"
	       "--b\r\nContent-Type: application/pdf; "
	       "name=\"\xc3\x9c"
	       "bersicht 2.pdf\"\r\n\r\nJVBE\r\n"
	       "--b--\r\n",
	       "\xc3\x9c"
	       "bersicht.pdf\n\n\xc3\x9c"
	       "bersicht 2.pdf");
}

/* ------------------------------------------------------ charset labels */

Test(mime_reader, unknown_charset_labels)
{
	/* unknown: read as unlabelled text is */
	expect("Content-Type: text/plain; charset=unknown-8bit\r\n\r\n"
	       "Bytes: na\xefve \xc3\xa9t\xc3\xa9\r\n",
	       "Bytes: na\xc3\xafve \xc3\xa9t\xc3\xa9");
	/* Python's name for Latin-1, and the WHATWG labels of
	 * windows-1252 that iconv would read as ISO-8859-1 */
	static const char *const labels[] = {
	        "latin-1",     "LATIN1", "l1",         "ISO_8859-1", "cp819",
	        "csisolatin1", "ibm819", "iso-ir-100", "iso88591"};
	for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++) {
		char msg[200];
		snprintf(msg, sizeof(msg),
		         "Content-Type: text/plain; charset=%s\r\n\r\n"
		         "Caf\xe9 \x93q\x94\r\n",
		         labels[i]);
		char *got = text_of(msg);
		cr_assert_str_eq(got, "Caf\xc3\xa9 \xe2\x80\x9cq\xe2\x80\x9d",
		                 "%s", labels[i]);
		free(got);
	}
	/* an RFC 2231 file name in an unknown charset */
	expect("Content-Type: application/pdf; "
	       "name*=x-unknown''caf%E9%20%C3%A9t%C3%A9.pdf\r\n\r\nJVBE\r\n",
	       "caf\xc3\xa9 \xc3\xa9t\xc3\xa9.pdf");
}
