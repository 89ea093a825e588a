/* test_conngate.c - at most a few connections to one server are set up at
 * once; the others wait their turn, and a stop ends their wait (explore35:
 * 400 accounts connecting at once to one Dovecot). */
#include "mailmirrord/conngate.h"
#include "mailmirrord/monotime.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

struct waiter {
	struct conngate *g;
	const char *server;
	atomic_bool stop;
	atomic_bool entered;
	atomic_bool returned;
	atomic_int waits; /* calls of the waiting callback */
	bool result;
};

static void on_wait(void *payload)
{
	struct waiter *w = payload;
	atomic_fetch_add(&w->waits, 1);
}

static void *enter(void *arg)
{
	struct waiter *w = arg;
	w->result = conngate_enter(w->g, w->server, &w->stop, on_wait, w);
	atomic_store(&w->entered, w->result);
	atomic_store(&w->returned, true);
	return NULL;
}

static void start(pthread_t *t, struct waiter *w, struct conngate *g,
                  const char *server)
{
	w->g = g;
	w->server = server;
	atomic_init(&w->stop, false);
	atomic_init(&w->entered, false);
	atomic_init(&w->returned, false);
	atomic_init(&w->waits, 0);
	cr_assert_eq(pthread_create(t, NULL, enter, w), 0);
}

/* Whether flag becomes true within ms. */
static bool within(atomic_bool *flag, int ms)
{
	int64_t until = mono_ms() + ms;
	while (!atomic_load(flag) && mono_ms() < until)
		usleep(2000);
	return atomic_load(flag);
}

Test(conngate, one_server_takes_turns_others_pass)
{
	struct conngate *g = NULL;
	cr_assert_eq(conngate_new(&g, 2), 0);
	pthread_t t[4];
	struct waiter w[4];
	start(&t[0], &w[0], g, "imap.example.org:993");
	start(&t[1], &w[1], g, "imap.example.org:993");
	cr_assert(within(&w[0].entered, 2000));
	cr_assert(within(&w[1].entered, 2000));
	/* A third to the same server waits; one to another server (or
	 * another port of it) does not. */
	start(&t[2], &w[2], g, "imap.example.org:993");
	start(&t[3], &w[3], g, "imap.example.org:143");
	cr_assert(within(&w[3].entered, 2000));
	cr_assert_not(within(&w[2].returned, 300));
	conngate_leave(g, "imap.example.org:993");
	cr_assert(within(&w[2].entered, 2000), "a freed turn is taken");
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	conngate_leave(g, "imap.example.org:993");
	conngate_leave(g, "imap.example.org:993");
	conngate_leave(g, "imap.example.org:143");
	conngate_free(&g);
	cr_assert_null(g);
}

Test(conngate, a_stop_ends_the_wait_and_the_wait_is_said)
{
	struct conngate *g = NULL;
	cr_assert_eq(conngate_new(&g, 1), 0);
	pthread_t t[2];
	struct waiter w[2];
	start(&t[0], &w[0], g, "s:1");
	cr_assert(within(&w[0].entered, 2000));
	start(&t[1], &w[1], g, "s:1");
	/* Said once a second while it waits. */
	sleep(2);
	cr_assert_geq(atomic_load(&w[1].waits), 1);
	cr_assert_not(atomic_load(&w[1].returned));
	atomic_store(&w[1].stop, true);
	conngate_wake(g);
	cr_assert(within(&w[1].returned, 500), "the stop is seen at once");
	cr_assert_not(w[1].result);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	/* The stopped one took no turn: the next enters once the first
	 * leaves. */
	conngate_leave(g, "s:1");
	start(&t[0], &w[0], g, "s:1");
	cr_assert(within(&w[0].entered, 2000));
	pthread_join(t[0], NULL);
	conngate_leave(g, "s:1");
	conngate_free(&g);
}

Test(conngate, no_gate_lets_all_through_unless_stopped)
{
	atomic_bool stop;
	atomic_init(&stop, false);
	for (int i = 0; i < 100; i++)
		cr_assert(conngate_enter(NULL, "s:1", &stop, NULL, NULL));
	conngate_leave(NULL, "s:1");
	conngate_wake(NULL);
	atomic_store(&stop, true);
	cr_assert_not(conngate_enter(NULL, "s:1", &stop, NULL, NULL));
	conngate_free(NULL);
}
