/* conngate.c - how many connections to one server are set up at once; see
 * conngate.h. */
#include "mailmirrord/conngate.h"

#include "mailmirrord/deadline.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A server with connections being set up; servers with none are dropped. */
struct server_count {
	char *server;
	unsigned active;
};

struct conngate {
	pthread_mutex_t lock; /* guards all below */
	pthread_cond_t freed; /* a slot was freed, or a stop was asked */
	unsigned per_server;
	struct server_count *v;
	size_t n, cap;
};

int conngate_new(struct conngate **out, unsigned per_server)
{
	*out = NULL;
	struct conngate *g = calloc(1, sizeof(*g));
	if (!g)
		return -1;
	cond_init_monotonic(&g->freed);
	pthread_mutex_init(&g->lock, NULL);
	g->per_server = per_server ? per_server : 1;
	*out = g;
	return 0;
}

void conngate_free(struct conngate **gp)
{
	struct conngate *g = gp ? *gp : NULL;
	if (!g)
		return;
	for (size_t i = 0; i < g->n; i++)
		free(g->v[i].server);
	free(g->v);
	pthread_cond_destroy(&g->freed);
	pthread_mutex_destroy(&g->lock);
	free(g);
	*gp = NULL;
}

/* The entry of server, or NULL; under the lock. */
static struct server_count *find(struct conngate *g, const char *server)
{
	for (size_t i = 0; i < g->n; i++)
		if (strcmp(g->v[i].server, server) == 0)
			return &g->v[i];
	return NULL;
}

/* The entry of server, added with no connection when missing; NULL when
 * out of memory. Under the lock. */
static struct server_count *find_or_add(struct conngate *g, const char *server)
{
	struct server_count *s = find(g, server);
	if (s)
		return s;
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 8;
		struct server_count *v = realloc(g->v, cap * sizeof(*v));
		if (!v)
			return NULL;
		g->v = v;
		g->cap = cap;
	}
	char *name = strdup(server);
	if (!name)
		return NULL;
	g->v[g->n] = (struct server_count){.server = name};
	return &g->v[g->n++];
}

bool conngate_enter(struct conngate *g, const char *server,
                    const atomic_bool *stop, void (*waiting)(void *payload),
                    void *payload)
{
	if (!g)
		return !atomic_load(stop);
	pthread_mutex_lock(&g->lock);
	for (;;) {
		if (atomic_load(stop)) {
			pthread_mutex_unlock(&g->lock);
			return false;
		}
		struct server_count *s = find_or_add(g, server);
		/* Out of memory: let it through rather than wait for ever. */
		if (!s || s->active < g->per_server) {
			if (s)
				s->active++;
			pthread_mutex_unlock(&g->lock);
			return true;
		}
		struct timespec until;
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += 1;
		if (pthread_cond_timedwait(&g->freed, &g->lock, &until) ==
		            ETIMEDOUT &&
		    waiting) {
			/* Said without the lock: it may log or take others. */
			pthread_mutex_unlock(&g->lock);
			waiting(payload);
			pthread_mutex_lock(&g->lock);
		}
	}
}

void conngate_leave(struct conngate *g, const char *server)
{
	if (!g)
		return;
	pthread_mutex_lock(&g->lock);
	struct server_count *s = find(g, server);
	if (s && s->active && --s->active == 0) {
		free(s->server);
		*s = g->v[--g->n];
	}
	pthread_cond_broadcast(&g->freed);
	pthread_mutex_unlock(&g->lock);
}

void conngate_wake(struct conngate *g)
{
	if (!g)
		return;
	pthread_mutex_lock(&g->lock);
	pthread_cond_broadcast(&g->freed);
	pthread_mutex_unlock(&g->lock);
}
