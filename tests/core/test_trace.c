/* test_trace.c - what the protocol trace shows of the bytes on the wire. */
#include "api_test.h"

#include <stdio.h>
#include <stdlib.h>

/* Every trace line, each after its direction and ended by '\n'. */
struct lines {
	char text[8192];
};

static void on_trace(void *payload, char dir, const char *line, size_t len)
{
	struct lines *tr = payload;
	size_t have = strlen(tr->text);

	cr_assert_eq(strlen(line), len);
	snprintf(tr->text + have, sizeof(tr->text) - have, "%c: %s\n", dir,
	         line);
}

/* The report's N9: "Back\\slash" on the wire was traced as
 * "Back\\\\slash", and \HasNoChildren as \\HasNoChildren. A backslash is
 * shown as it was sent; control bytes are still escaped. */
Test(trace, backslashes_are_shown_as_sent)
{
	struct api_test t;
	struct lines tr = {""};
	struct imap4_opts o;
	imap4 *h;

	imap4_opts_init(&o);
	o.timeout_ms = 5000;
	o.trace = on_trace;
	o.trace_payload = &tr;
	/* The script decodes "\\" to one backslash. */
	h = api_open(
	        &t,
	        "S: * OK [CAPABILITY IMAP4rev1] ready\n"
	        "C: $TAG NOOP\n"
	        "S: * LIST (\\\\HasNoChildren) \"/\" \"Back\\\\\\\\slash\"\n"
	        "S: * OK tab\\x09and\\x07bell\n"
	        "S: $TAG OK\n",
	        &o);

	cr_assert_eq(imap4_noop(h), IMAP4_OK);
	cr_assert(strstr(tr.text, "S: * LIST (\\HasNoChildren) \"/\" "
	                          "\"Back\\\\slash\"\n"),
	          "%s", tr.text);
	cr_assert(strstr(tr.text, "S: * OK tab\\x09and\\x07bell\n"), "%s",
	          tr.text);
	cr_assert_null(strchr(tr.text, '\t'));
	api_done(&t);
}
