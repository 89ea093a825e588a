/* test_redact.c - a secret masked out of text meant for the log: a short
 * one only where it stands alone, a long one wherever it is. */
#include "mailmirrord/redact.h"

#include <criterion/criterion.h>
#include <string.h>

static void secret(char *s, const char *pw, bool cut)
{
	redact_secret(s, strlen(s), pw, strlen(pw), cut);
}

static void parts(char *s, const char *pw)
{
	redact_secret_parts(s, strlen(s), pw, strlen(pw));
}

/* A tester's finding: with password "a" every 'a' of every line was
 * masked ("m*ilbox"), which made the log unreadable and told the
 * secret all the same. Where a server echoes it, it stands alone. */
Test(redact, a_short_secret_is_masked_only_where_it_stands_alone)
{
	char s[] = "a NO [AUTHENTICATIONFAILED] mailbox \"a\" LOGIN me a "
	           "(a) a";
	secret(s, "a", false);
	cr_assert_str_eq(s, "* NO [AUTHENTICATIONFAILED] mailbox \"*\" LOGIN "
	                    "me * (*) *");

	char w[] = "NO bad password ab12 for mab12x, ab123 or xab12";
	secret(w, "ab12", false);
	cr_assert_str_eq(w, "NO bad password **** for mab12x, ab123 or xab12");

	/* The same of its pieces, and of its quoted form. */
	char p[] = "starting: pass or password, passw0 passw0rd";
	parts(p, "passw0");
	cr_assert_str_eq(p, "starting: **** or password, ****** passw0rd");
	char q[] = "NO \"a\\\"b\" a\\\"bc";
	secret(q, "a\"b", false);
	cr_assert_str_eq(q, "NO \"****\" a\\\"bc");
}

/* A secret's own punctuation does not join it to the word beside it:
 * only a letter or digit of the secret touching one of its script is
 * inside a word. Accented letters are Latin, as ASCII's are. */
Test(redact, a_short_secret_ends_where_its_letters_do)
{
	char s[] = "user:pw! pw!x xpw! \xc3\xa9pw! pw!";
	secret(s, "pw!", false);
	cr_assert_str_eq(s, "user:*** ***x xpw! \xc3\xa9pw! ***");
	char w[] = "caf\xc3\xa9 (\xc3\xa9) \xc3\xa9t\xc3\xa9";
	secret(w, "\xc3\xa9", false);
	cr_assert_str_eq(w, "caf\xc3\xa9 (**) \xc3\xa9t\xc3\xa9");
}

/* A tester's finding: quotes beyond ASCII, a no-break space, CJK text
 * (which has no spaces) and a byte that is not UTF-8 left a short
 * password beside them in clear, taken for letters of its word. */
Test(redact, a_short_secret_beside_wide_punctuation_or_another_script)
{
	char s[] = "bad password \xc2\xab"
	           "abc\xc2\xbb "
	           "(\xe2\x80\x9c"
	           "abc\xe2\x80\x9d) nbsp:\xc2\xa0"
	           "abc "
	           "\xe3\x80\x8c"
	           "abc\xe3\x80\x8d "
	           "\xe3\x83\x91\xe3\x82\xb9"
	           "abc\xe3\x81\x8c "
	           "inv\xff"
	           "abc abcd";
	secret(s, "abc", false);
	cr_assert_str_eq(s, "bad password \xc2\xab***\xc2\xbb "
	                    "(\xe2\x80\x9c***\xe2\x80\x9d) nbsp:\xc2\xa0*** "
	                    "\xe3\x80\x8c***\xe3\x80\x8d "
	                    "\xe3\x83\x91\xe3\x82\xb9***\xe3\x81\x8c "
	                    "inv\xff*** abcd");
}

/* A tester's finding: AUTHENTICATE PLAIN's credentials of a short user
 * and password are shorter than any base64 redact_encoded takes for
 * them; a server that quotes them back had them logged. */
Test(redact, short_credentials_in_base64_are_masked)
{
	/* base64 of "\0joe\0abc", and of "abc" alone */
	char s[] = "NO cannot decode AGpvZQBhYmM= or YWJj, nor AGpvZQBhYmM";
	redact_encoded_secret(s, strlen(s), "abc", 3);
	cr_assert_str_eq(s, "NO cannot decode ************ or YWJj, nor "
	                    "***********");
	char w[] = "NO AUTHENTICATIONFAILED Invalid credentials";
	redact_encoded_secret(w, strlen(w), "abc", 3);
	cr_assert_str_eq(w, "NO AUTHENTICATIONFAILED Invalid credentials");
}

/* A password of one letter was found in the bytes that ordinary words of
 * eight letters or more decode to, taken for base64: "BYE Disconnected
 * for inactivity" was logged as "BYE ************ for inactivity" for
 * the password "r", "Internal" lost to "v". Credentials decode to text,
 * where the secret stands alone. */
Test(redact, a_short_secret_in_base64_is_found_in_credentials_only)
{
	char r[] = "BYE Disconnected for inactivity";
	redact_encoded_secret(r, strlen(r), "r", 1);
	cr_assert_str_eq(r, "BYE Disconnected for inactivity");
	char v[] = "NO [SERVERBUG] Internal error occurred";
	redact_encoded_secret(v, strlen(v), "v", 1);
	cr_assert_str_eq(v, "NO [SERVERBUG] Internal error occurred");

	/* base64 of "\0joe\0r", of "\0joe\0rx" (the "r" inside a word)
	 * and of XOAUTH2's "user=joe^Aauth=Bearer v^A^A" */
	char c[] = "NO cannot decode AGpvZQBy, nor AGpvZQByeA==, nor "
	           "dXNlcj1qb2UBYXV0aD1CZWFyZXIgdgEB";
	redact_encoded_secret(c, strlen(c), "r", 1);
	cr_assert_str_eq(c, "NO cannot decode ********, nor AGpvZQByeA==, nor "
	                    "dXNlcj1qb2UBYXV0aD1CZWFyZXIgdgEB");
	redact_encoded_secret(c, strlen(c), "v", 1);
	cr_assert_str_eq(c, "NO cannot decode ********, nor AGpvZQByeA==, nor "
	                    "********************************");

	/* A long secret: in whatever the run decodes to, as before. */
	char l[] = "NO bad eGh1bnRlcjJzZWNyZXR4";
	redact_encoded_secret(l, strlen(l), "hunter2secret", 13);
	cr_assert_str_eq(l, "NO bad ********************");
}

/* At the end of text cut short, the start of a short secret is masked
 * where it starts a word: the rest may follow. */
Test(redact, a_short_secret_cut_at_the_end)
{
	char s[] = "LOGIN me sec";
	secret(s, "secret", true);
	cr_assert_str_eq(s, "LOGIN me ***");
	char w[] = "LOGIN me xsec";
	secret(w, "secret", true);
	cr_assert_str_eq(w, "LOGIN me xsec");
}

/* From REDACT_ANYWHERE_MIN bytes on, the secret is masked wherever it
 * is, inside a word too, and so are its pieces. */
Test(redact, a_long_secret_is_masked_everywhere)
{
	char s[] = "NO xhunter2secretx hunter2secret";
	secret(s, "hunter2secret", false);
	cr_assert_str_eq(s, "NO x*************x *************");
	char e[] = "x12345678y";
	secret(e, "12345678", false);
	cr_assert_str_eq(e, "x********y");
	char p[] = "pw expired: xhuntx";
	parts(p, "hunter2secret");
	cr_assert_str_eq(p, "pw expired: x****x");
}
