/* test_namespaces.c - where a mailbox lives among the server's namespaces
 * (namespaces.c), and when tree news brings the poll forward (relist.c). */
#include "mailmirrord/namespaces.h"
#include "mailmirrord/relist.h"

#include <criterion/criterion.h>
#include <string.h>

static struct ns_list dovecot(void)
{
	/* Dovecot with "INBOX." personal, "shared." other users', "Public."
	 * public. */
	static const imap4_namespace_descr personal[] = {{"INBOX.", '.'}};
	static const imap4_namespace_descr other[] = {{"shared.", '.'}};
	static const imap4_namespace_descr shared[] = {{"Public.", '.'},
	                                               {"Public.Sub.", '.'}};
	imap4_namespace_info info = {
	        .ns = {personal, other, shared},
	        .count = {1, 1, 2},
	};
	struct ns_list l;
	cr_assert_eq(ns_list_from(&l, &info), 0);
	cr_assert_eq(l.n, 4);
	return l;
}

Test(namespaces, personal_and_others)
{
	struct ns_list l = dovecot();
	static const struct {
		const char *name;
		bool personal;
		const char *prefix; /* NULL: in none */
	} t[] = {
	        {"INBOX", true, "INBOX."},
	        {"inbox", true, "INBOX."},
	        {"INBOX.Work", true, "INBOX."},
	        {"inbox.Work", true, "INBOX."},
	        {"Public.Announce", false, "Public."},
	        {"Public", false, "Public."}, /* the namespace's root */
	        {"Public.Sub.x", false, "Public.Sub."}, /* the longest */
	        {"Publicity", false, NULL},
	        {"shared.mmuser2.INBOX", false, "shared."},
	        {"Elsewhere", false, NULL},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(*t); i++) {
		const struct ns_entry *e = ns_of(&l, t[i].name);
		cr_assert_eq(ns_is_personal(&l, t[i].name), t[i].personal, "%s",
		             t[i].name);
		if (!t[i].prefix)
			cr_assert_null(e, "%s", t[i].name);
		else
			cr_assert_str_eq(e->prefix, t[i].prefix, "%s",
			                 t[i].name);
	}
	ns_list_clear(&l);
}

Test(namespaces, root_prefix_and_no_namespaces)
{
	static const imap4_namespace_descr personal[] = {{"", '/'}};
	static const imap4_namespace_descr shared[] = {{"#public/", '/'}};
	imap4_namespace_info info = {.ns = {personal, NULL, shared},
	                             .count = {1, 0, 1}};
	struct ns_list l;
	cr_assert_eq(ns_list_from(&l, &info), 0);
	cr_assert(ns_is_personal(&l, "Work/x"));
	cr_assert_not(ns_is_personal(&l, "#public/news"));
	char root[64];
	cr_assert(ns_root(root, sizeof(root), &l.v[1]));
	cr_assert_str_eq(root, "#public");
	cr_assert_not(ns_root(root, sizeof(root), &l.v[0]), "\"\" has none");
	cr_assert_not(ns_root(root, 4, &l.v[1]), "too small");
	ns_list_clear(&l);

	/* A server without NAMESPACE has one namespace: personal. */
	struct ns_list none = {0};
	cr_assert(ns_is_personal(&none, "anything"));
	cr_assert_null(ns_of(&none, "anything"));
}

Test(namespaces, too_many_are_refused)
{
	static imap4_namespace_descr many[NS_MAX + 1];
	for (size_t i = 0; i < NS_MAX + 1; i++)
		many[i] = (imap4_namespace_descr){"#x/", '/'};
	imap4_namespace_info info = {.ns = {many}, .count = {NS_MAX + 1}};
	struct ns_list l;
	cr_assert_eq(ns_list_from(&l, &info), -1);
	cr_assert_eq(l.n, 0);
	cr_assert_null(l.v);
}

Test(relist, settles_and_keeps_its_distance)
{
	/* Quiet for long: the burst settles, then the list. */
	cr_assert_eq(relist_at(100000, 0), 100000 + RELIST_SETTLE_MS);
	/* Just listed: not before the gap, whatever the news. */
	cr_assert_eq(relist_at(100000, 99000), 99000 + RELIST_GAP_MS);
	cr_assert_geq(RELIST_GAP_MS, RELIST_SETTLE_MS);
}

/* explore43: Dovecot's LIST in a NOTIFY session went stale for as long as
 * the session lasted; the list is read in a new session after an hour. */
Test(relist, a_notify_session_reads_the_list_for_an_hour)
{
	int64_t live = 5000;
	cr_assert_not(relist_in_new_session(true, live, live));
	cr_assert_not(relist_in_new_session(true, live,
	                                    live + NOTIFY_SESSION_MS - 1));
	cr_assert(relist_in_new_session(true, live, live + NOTIFY_SESSION_MS));
	cr_assert_eq(NOTIFY_SESSION_MS, 3600000);
	/* without NOTIFY the session's list is the server's */
	cr_assert_not(relist_in_new_session(false, live,
	                                    live + 10 * NOTIFY_SESSION_MS));
}
