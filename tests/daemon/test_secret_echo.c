/* test_secret_echo.c - a secret's echoes masked by its fingerprint, after
 * the secret itself is gone: raw and quoted, overlapping, at the ends of
 * the text; nothing else; this thread's alone. */
#include "mailmirrord/secret_echo.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <string.h>

static void mask(char *s)
{
	secret_echo_mask(s, strlen(s));
}

Test(secret_echo, echoes_are_masked_after_the_secret_is_gone)
{
	char secret[] = "SeCrEt1";
	cr_assert_eq(secret_echo_remember(secret, strlen(secret)), 0);
	memset(secret, 0, sizeof(secret));

	char s[] = "SeCrEt1 your password SeCrEt1 is weak: SeCrEt1";
	mask(s);
	cr_assert_str_eq(s, "******* your password ******* is weak: *******");

	char near[] = "SeCrEt2 secret1 SeCrEt";
	mask(near);
	cr_assert_str_eq(near, "SeCrEt2 secret1 SeCrEt");
	secret_echo_forget();
}

Test(secret_echo, overlapping_and_quoted_echoes)
{
	cr_assert_eq(secret_echo_remember("abababab", 8), 0);
	char s[] = "xababababab";
	mask(s);
	cr_assert_str_eq(s, "x**********");

	/* LOGIN's quoted form of a password with '"' and '\\' */
	cr_assert_eq(secret_echo_remember("pa\"ss\\w", 7), 0);
	char q[] = "NO \"pa\\\"ss\\\\w\" and pa\"ss\\w";
	mask(q);
	cr_assert_str_eq(q, "NO \"*********\" and *******");
	secret_echo_forget();
	char after[] = "pa\"ss\\w";
	mask(after);
	cr_assert_str_eq(after, "pa\"ss\\w");
}

/* A short secret was not remembered at all (its masks would have hidden
 * common words), and a server's later echo of it was logged; one of four
 * to seven bytes hid the words that held it ("****box"). It is masked
 * where it stands alone, as redact_secret does. */
Test(secret_echo, a_short_secret_is_masked_where_it_stands_alone)
{
	cr_assert_eq(secret_echo_remember("abc", 3), 0);
	char s[] = "abc abcd xabc \"abc\" abc";
	mask(s);
	cr_assert_str_eq(s, "*** abcd xabc \"***\" ***");

	cr_assert_eq(secret_echo_remember("mail5", 5), 0);
	char m[] = "mail5box BYE mail5 is weak";
	mask(m);
	cr_assert_str_eq(m, "mail5box BYE ***** is weak");

	cr_assert_eq(secret_echo_remember("a", 1), 0);
	char a[] = "a mailbox: a";
	mask(a);
	cr_assert_str_eq(a, "* mailbox: *");
	secret_echo_forget();
}

static void *other_thread(void *arg)
{
	mask(arg);
	return NULL;
}

Test(secret_echo, the_fingerprint_is_this_threads)
{
	cr_assert_eq(secret_echo_remember("hunter22", 8), 0);
	char s[] = "is hunter22";
	pthread_t t;
	cr_assert_eq(pthread_create(&t, NULL, other_thread, s), 0);
	pthread_join(t, NULL);
	cr_assert_str_eq(s, "is hunter22");
	mask(s);
	cr_assert_str_eq(s, "is ********");
	secret_echo_forget();
}
