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
 * only a letter or digit of the secret touching one of the text's is
 * inside a word. Bytes of UTF-8 letters are letters. */
Test(redact, a_short_secret_ends_where_its_letters_do)
{
	char s[] = "user:pw! pw!x xpw! \xc3\xa9pw! pw!";
	secret(s, "pw!", false);
	cr_assert_str_eq(s, "user:*** ***x xpw! \xc3\xa9pw! ***");
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
