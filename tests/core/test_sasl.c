/* test_sasl.c - SASL client mechanisms against published vectors. */
#include "imap4.h"
#include "proto/sasl.h"
#include "util/buf.h"

#include <criterion/criterion.h>
#include <string.h>

/* One step whose message must be exactly want (wlen bytes). */
static void step_eq(struct imap4_sasl *s, const char *challenge,
                    const void *want, size_t wlen)
{
	struct imap4_buf out;
	imap4_buf_init(&out, 0);
	int rc = imap4_sasl_step(s, challenge,
	                         challenge ? strlen(challenge) : 0, &out);
	cr_assert_eq(rc, 0, "step(%s) = %d", challenge ? challenge : "NULL",
	             rc);
	cr_assert_eq(out.len, wlen, "message of %zu bytes, want %zu: %s",
	             out.len, wlen, out.data ? out.data : "");
	if (wlen)
		cr_assert_eq(memcmp(out.data, want, wlen), 0, "got %s",
		             out.data);
	imap4_buf_wipe(&out);
}

static void step_str(struct imap4_sasl *s, const char *challenge,
                     const char *want)
{
	step_eq(s, challenge, want, strlen(want));
}

static void step_fails(struct imap4_sasl *s, const char *challenge, int want)
{
	struct imap4_buf out;
	imap4_buf_init(&out, 0);
	imap4_buf_puts(&out, "kept");
	int rc = imap4_sasl_step(s, challenge,
	                         challenge ? strlen(challenge) : 0, &out);
	cr_assert_eq(rc, want, "step(%s) = %d, want %d",
	             challenge ? challenge : "NULL", rc, want);
	cr_assert_str_eq(out.data, "kept", "out changed on error");
	imap4_buf_clear(&out);
}

static struct imap4_sasl *make(const char *mech, const char *authzid,
                               const char *user, const char *secret)
{
	struct imap4_sasl *s = NULL;
	int rc = imap4_sasl_new(&s, mech, authzid, user, secret);
	cr_assert_eq(rc, 0, "new(%s) = %d", mech, rc);
	cr_assert_not_null(s);
	return s;
}

Test(sasl, plain_rfc4616)
{
	struct imap4_sasl *s = make("PLAIN", NULL, "tim", "tanstaaftanstaaf");
	cr_assert(imap4_sasl_client_first(s));
	step_eq(s, NULL, "\0tim\0tanstaaftanstaaf", 21);
	cr_assert(imap4_sasl_server_verified(s));
	step_fails(s, "", IMAP4_EPROTO); /* the exchange is over */
	imap4_sasl_free(&s);
	cr_assert_null(s);

	s = make("plain", "Ursel", "Kurt", "xipj3plmq");
	step_eq(s, "", "Ursel\0Kurt\0xipj3plmq", 20); /* no SASL-IR */
	imap4_sasl_free(&s);
}

Test(sasl, plain_rejects_nonempty_first_challenge)
{
	struct imap4_sasl *s = make("PLAIN", NULL, "u", "p");
	step_fails(s, "garbage", IMAP4_EPROTO);
	step_fails(s, "", IMAP4_EPROTO); /* failed stays failed */
	imap4_sasl_free(&s);
}

Test(sasl, login)
{
	struct imap4_sasl *s = make("LOGIN", NULL, "tim", "secret");
	cr_assert_not(imap4_sasl_client_first(s));
	step_str(s, "Username:", "tim");
	step_str(s, "Password:", "secret");
	step_fails(s, "More:", IMAP4_EPROTO);
	imap4_sasl_free(&s);
}

Test(sasl, cram_md5_rfc2195)
{
	struct imap4_sasl *s =
	        make("CRAM-MD5", NULL, "tim", "tanstaaftanstaaf");
	cr_assert_not(imap4_sasl_client_first(s));
	step_str(s, "<1896.697170952@postoffice.reston.mci.net>",
	         "tim b913a602c7eda7a495b4e6e7334d3890");
	imap4_sasl_free(&s);

	s = make("cram-md5", NULL, "tim", "tanstaaftanstaaf");
	step_fails(s, "", IMAP4_EPROTO); /* no challenge to sign */
	imap4_sasl_free(&s);
}

Test(sasl, xoauth2)
{
	struct imap4_sasl *s =
	        make("XOAUTH2", NULL, "someuser@example.com",
	             "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg");
	step_str(s, NULL,
	         "user=someuser@example.com\x01"
	         "auth=Bearer ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg"
	         "\x01\x01");
	/* an error challenge (JSON) is answered with an empty message */
	step_eq(s, "{\"status\":\"401\"}", "", 0);
	step_fails(s, "", IMAP4_EPROTO);
	imap4_sasl_free(&s);
}

Test(sasl, oauthbearer_rfc7628)
{
	struct imap4_sasl *s =
	        make("OAUTHBEARER", NULL, "user@example.com",
	             "vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg==");
	cr_assert(imap4_sasl_client_first(s));
	step_str(s, NULL,
	         "n,a=user@example.com,\x01"
	         "auth=Bearer vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg=="
	         "\x01\x01");
	step_str(s, "{\"status\":\"invalid_token\"}", "\x01");
	imap4_sasl_free(&s);

	/* "=" and "," in the name are escaped as a saslname */
	s = make("OAUTHBEARER", NULL, "a=b,c", "tok");
	step_str(s, NULL,
	         "n,a=a=3Db=2Cc,\x01"
	         "auth=Bearer tok\x01\x01");
	imap4_sasl_free(&s);
}

Test(sasl, new_rejects)
{
	struct imap4_sasl *s = (struct imap4_sasl *)1;
	cr_assert_eq(imap4_sasl_new(&s, "GSSAPI", NULL, "u", "p"),
	             IMAP4_EINVAL);
	cr_assert_null(s);
	cr_assert_eq(imap4_sasl_new(&s, NULL, NULL, "u", "p"), IMAP4_EINVAL);
	cr_assert_eq(imap4_sasl_new(&s, "PLAIN", NULL, NULL, "p"),
	             IMAP4_EINVAL);
	cr_assert_eq(imap4_sasl_new(&s, "PLAIN", NULL, "u", NULL),
	             IMAP4_EINVAL);
	cr_assert_eq(imap4_sasl_new(NULL, "PLAIN", NULL, "u", "p"),
	             IMAP4_EINVAL);
	/* ^A would split the OAuth message; a space would end the token */
	cr_assert_eq(imap4_sasl_new(&s, "XOAUTH2", NULL, "u\x01x", "t"),
	             IMAP4_EINVAL);
	cr_assert_eq(imap4_sasl_new(&s, "XOAUTH2", NULL, "u", "t\x01x"),
	             IMAP4_EINVAL);
	cr_assert_eq(imap4_sasl_new(&s, "OAUTHBEARER", NULL, "u", "a b"),
	             IMAP4_EINVAL);
	cr_assert_eq(imap4_sasl_new(&s, "OAUTHBEARER", NULL, "u", ""),
	             IMAP4_EINVAL);
	cr_assert_eq(imap4_sasl_new(&s, "OAUTHBEARER", NULL, "u", "=x"),
	             IMAP4_EINVAL);
	cr_assert_null(s);
	imap4_sasl_free(NULL);
	imap4_sasl_free(&s);
}

/* RFC 7677 section 3 */
#define S256_NONCE "rOprNGfwEbeRWgbNEkqO"
#define S256_SERVER_FIRST                                                      \
	"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"                \
	"s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
#define S256_CLIENT_FINAL                                                      \
	"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"         \
	"p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
#define S256_SERVER_FINAL "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="

static struct imap4_sasl *scram256(void)
{
	struct imap4_sasl *s = make("SCRAM-SHA-256", NULL, "user", "pencil");
	cr_assert_eq(imap4_sasl_set_nonce_for_test(s, S256_NONCE), 0);
	cr_assert(imap4_sasl_client_first(s));
	step_str(s, NULL, "n,,n=user,r=" S256_NONCE);
	return s;
}

Test(sasl, scram_sha256_rfc7677)
{
	struct imap4_sasl *s = scram256();
	step_str(s, S256_SERVER_FIRST, S256_CLIENT_FINAL);
	cr_assert_not(imap4_sasl_server_verified(s));
	step_eq(s, S256_SERVER_FINAL, "", 0);
	cr_assert(imap4_sasl_server_verified(s));
	step_fails(s, "", IMAP4_EPROTO);
	imap4_sasl_free(&s);
}

Test(sasl, scram_sha1_rfc5802)
{
	struct imap4_sasl *s = make("SCRAM-SHA-1", NULL, "user", "pencil");
	cr_assert_eq(
	        imap4_sasl_set_nonce_for_test(s, "fyko+d2lbbFgONRv9qkxdawL"),
	        0);
	step_str(s, "", "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL");
	step_str(s,
	         "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
	         "s=QSXCR+Q6sek8bf92,i=4096",
	         "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
	         "p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=");
	step_eq(s, "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=", "", 0);
	cr_assert(imap4_sasl_server_verified(s));
	imap4_sasl_free(&s);
}

Test(sasl, scram_wrong_server_signature)
{
	struct imap4_sasl *s = scram256();
	step_str(s, S256_SERVER_FIRST, S256_CLIENT_FINAL);
	step_fails(s, "v=7rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
	           IMAP4_EPROTO);
	cr_assert_not(imap4_sasl_server_verified(s));
	imap4_sasl_free(&s);

	/* the right bytes spelled with non-zero padding bits */
	s = scram256();
	step_str(s, S256_SERVER_FIRST, S256_CLIENT_FINAL);
	step_fails(s, "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G5=",
	           IMAP4_EPROTO);
	imap4_sasl_free(&s);

	/* a second message after the failure is refused too */
	s = scram256();
	step_str(s, S256_SERVER_FIRST, S256_CLIENT_FINAL);
	step_fails(s, "v=", IMAP4_EPROTO);
	step_fails(s, S256_SERVER_FINAL, IMAP4_EPROTO);
	cr_assert_not(imap4_sasl_server_verified(s));
	imap4_sasl_free(&s);

	s = scram256();
	step_str(s, S256_SERVER_FIRST, S256_CLIENT_FINAL);
	step_fails(s, "v=AAAA", IMAP4_EPROTO); /* too short */
	imap4_sasl_free(&s);
}

Test(sasl, scram_server_error)
{
	struct imap4_sasl *s = scram256();
	step_str(s, S256_SERVER_FIRST, S256_CLIENT_FINAL);
	step_eq(s, "e=invalid-proof", "", 0);
	cr_assert_not(imap4_sasl_server_verified(s));
	imap4_sasl_free(&s);
}

/* The server-first message is refused, and the reason says what of it. */
static void server_first_fails(const char *challenge, const char *why)
{
	struct imap4_sasl *s = scram256();
	step_fails(s, challenge, IMAP4_EPROTO);
	cr_assert_not(imap4_sasl_server_verified(s));
	cr_assert(strstr(imap4_sasl_why(s), why), "%s: %s", challenge,
	          imap4_sasl_why(s));
	imap4_sasl_free(&s);
}

Test(sasl, scram_bad_server_first)
{
	/* the nonce must extend ours */
	server_first_fails(
	        "r=XOprNGfwEbeRWgbNEkqO%hvY,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
	        "nonce");
	server_first_fails("r=" S256_NONCE ",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
	                   "nonce");
	server_first_fails("r=rOprNG,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
	                   "nonce");
	/* iteration counts */
	server_first_fails("r=" S256_NONCE
	                   "x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4095",
	                   "iteration count");
	server_first_fails("r=" S256_NONCE
	                   "x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=1000001",
	                   "iteration count");
	server_first_fails(
	        "r=" S256_NONCE
	        "x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=99999999999999999999",
	        "iteration count");
	server_first_fails("r=" S256_NONCE
	                   "x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=04096",
	                   "iteration count");
	server_first_fails("r=" S256_NONCE "x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=",
	                   "iteration count");
	server_first_fails("r=" S256_NONCE
	                   "x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=-4096",
	                   "iteration count");
	/* salt */
	server_first_fails("r=" S256_NONCE "x,s=,i=4096", "salt");
	server_first_fails(
	        "r=" S256_NONCE "x,s=W22Z*J0SNY7soEsUEjb6gQ==,i=4096", "salt");
	server_first_fails("r=" S256_NONCE "x,s=W22ZaJ0SNY7soEsUEjb6gQ,i=4096",
	                   "salt");
	/* structure */
	server_first_fails("m=ext,r=" S256_NONCE
	                   "x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
	                   "no r=, s= and i=");
	server_first_fails("s=W22ZaJ0SNY7soEsUEjb6gQ==,r=" S256_NONCE
	                   "x,i=4096",
	                   "no r=, s= and i=");
	server_first_fails("r=" S256_NONCE "x,s=W22ZaJ0SNY7soEsUEjb6gQ==",
	                   "no r=, s= and i=");
	server_first_fails("r=" S256_NONCE
	                   "x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,",
	                   "malformed server-first");
	server_first_fails("r=" S256_NONCE
	                   "x y,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
	                   "nonce");
	server_first_fails("", "empty");
}

Test(sasl, scram_accepts_extensions_and_big_counts)
{
	struct imap4_sasl *s = scram256();
	struct imap4_buf out;
	imap4_buf_init(&out, 0);
	const char *c = "r=" S256_NONCE "srv,s=c2FsdA==,i=100000,x=ext";
	cr_assert_eq(imap4_sasl_step(s, c, strlen(c), &out), 0);
	cr_assert_eq(strncmp(out.data, "c=biws,r=" S256_NONCE "srv,p=", 35), 0,
	             "%s", out.data);
	imap4_buf_wipe(&out);
	imap4_sasl_free(&s);
}

Test(sasl, scram_authzid_and_saslname)
{
	struct imap4_sasl *s = make("SCRAM-SHA-256", "ad,min", "us=er", "pw");
	cr_assert_eq(imap4_sasl_set_nonce_for_test(s, "abc"), 0);
	step_str(s, NULL, "n,a=ad=2Cmin,n=us=3Der,r=abc");
	/* c= carries the whole GS2 header back: base64("n,a=ad=2Cmin,") */
	struct imap4_buf out;
	imap4_buf_init(&out, 0);
	const char *c = "r=abcdef,s=c2FsdA==,i=4096";
	cr_assert_eq(imap4_sasl_step(s, c, strlen(c), &out), 0);
	cr_assert_eq(
	        strncmp(out.data, "c=bixhPWFkPTJDbWluLA==,r=abcdef,p=", 34), 0,
	        "%s", out.data);
	imap4_buf_wipe(&out);
	imap4_sasl_free(&s);
}

Test(sasl, scram_random_nonce)
{
	struct imap4_sasl *a = make("SCRAM-SHA-256", NULL, "u", "p");
	struct imap4_sasl *b = make("SCRAM-SHA-256", NULL, "u", "p");
	struct imap4_buf x, y;
	imap4_buf_init(&x, 0);
	imap4_buf_init(&y, 0);
	cr_assert_eq(imap4_sasl_step(a, NULL, 0, &x), 0);
	cr_assert_eq(imap4_sasl_step(b, NULL, 0, &y), 0);
	cr_assert_eq(strncmp(x.data, "n,,n=u,r=", 9), 0);
	cr_assert_eq(x.len, 9 + 24);
	cr_assert_str_neq(x.data, y.data);
	cr_assert_null(strchr(x.data + 9, ','));
	imap4_buf_clear(&x);
	imap4_buf_clear(&y);
	imap4_sasl_free(&a);
	imap4_sasl_free(&b);
}

Test(sasl, set_nonce_rules)
{
	struct imap4_sasl *s = make("PLAIN", NULL, "u", "p");
	cr_assert_eq(imap4_sasl_set_nonce_for_test(s, "abc"), IMAP4_EINVAL);
	imap4_sasl_free(&s);
	s = make("SCRAM-SHA-1", NULL, "u", "p");
	cr_assert_eq(imap4_sasl_set_nonce_for_test(s, "a,b"), IMAP4_EINVAL);
	cr_assert_eq(imap4_sasl_set_nonce_for_test(s, ""), IMAP4_EINVAL);
	cr_assert_eq(imap4_sasl_set_nonce_for_test(s, "ok"), 0);
	step_str(s, NULL, "n,,n=u,r=ok");
	cr_assert_eq(imap4_sasl_set_nonce_for_test(s, "late"), IMAP4_EINVAL);
	imap4_sasl_free(&s);
}
