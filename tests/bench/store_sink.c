/* store_sink.c - literals stored untouched in SQLite, on a thread of
 * their own; see store_sink.h. */
#include "store_sink.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH 2000
/* The reader waits while this much is queued: bounded memory, and a
 * writer that falls behind slows the transfer as a real client's would. */
#define QUEUE_MAX_BYTES (64u << 20)

struct literal {
	struct literal *next;
	size_t len;
	char bytes[];
};

struct store_sink {
	sqlite3 *db;
	sqlite3_stmt *insert;
	pthread_t writer;
	/* the literal being read */
	char *cur;
	size_t cur_len, cur_cap;
	bool failed_alloc;
	/* the queue, under lock */
	pthread_mutex_t lock;
	pthread_cond_t changed;
	struct literal *head, **tail;
	size_t queued_bytes;
	bool done;
	/* the writer's */
	long stored;
	bool failed;
};

static bool exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return true;
	fprintf(stderr, "store_sink: %s: %s\n", sql, msg ? msg : "?");
	sqlite3_free(msg);
	return false;
}

static struct literal *next_literal(struct store_sink *s)
{
	pthread_mutex_lock(&s->lock);
	while (!s->head && !s->done)
		pthread_cond_wait(&s->changed, &s->lock);
	struct literal *l = s->head;
	if (l) {
		s->head = l->next;
		if (!s->head)
			s->tail = &s->head;
		s->queued_bytes -= l->len;
		pthread_cond_broadcast(&s->changed);
	}
	pthread_mutex_unlock(&s->lock);
	return l;
}

static bool insert(struct store_sink *s, const struct literal *l)
{
	sqlite3_bind_blob64(s->insert, 1, l->bytes, l->len, SQLITE_STATIC);
	int rc = sqlite3_step(s->insert);
	sqlite3_reset(s->insert);
	if (rc != SQLITE_DONE) {
		fprintf(stderr, "store_sink: insert: %s\n",
		        sqlite3_errmsg(s->db));
		return false;
	}
	if (++s->stored % BATCH == 0)
		return exec(s->db, "COMMIT; BEGIN");
	return true;
}

/* Stores what comes until the queue is closed; after a failure it only
 * drains the queue, so that the reader never waits for ever. */
static void *write_all(void *arg)
{
	struct store_sink *s = arg;
	struct literal *l;
	while ((l = next_literal(s)) != NULL) {
		if (!s->failed && !insert(s, l))
			s->failed = true;
		free(l);
	}
	if (!s->failed && !exec(s->db, "COMMIT"))
		s->failed = true;
	return NULL;
}

struct store_sink *store_sink_open(const char *path)
{
	struct store_sink *s = calloc(1, sizeof(*s));
	if (!s) {
		fprintf(stderr, "store_sink: out of memory\n");
		return NULL;
	}
	s->tail = &s->head;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->changed, NULL);
	if (sqlite3_open(path, &s->db) != SQLITE_OK) {
		fprintf(stderr, "store_sink: %s: %s\n", path,
		        sqlite3_errmsg(s->db));
		goto fail;
	}
	if (!exec(s->db, "PRAGMA page_size = 16384;"
	                 "PRAGMA journal_mode = WAL;"
	                 "PRAGMA synchronous = NORMAL;"
	                 "CREATE TABLE literals (id INTEGER PRIMARY KEY, "
	                 "bytes BLOB NOT NULL);"
	                 "BEGIN"))
		goto fail;
	if (sqlite3_prepare_v2(s->db,
	                       "INSERT INTO literals (bytes) VALUES (?1)", -1,
	                       &s->insert, NULL) != SQLITE_OK) {
		fprintf(stderr, "store_sink: %s\n", sqlite3_errmsg(s->db));
		goto fail;
	}
	if (pthread_create(&s->writer, NULL, write_all, s) != 0) {
		fprintf(stderr, "store_sink: cannot start the writer\n");
		goto fail;
	}
	return s;
fail:
	sqlite3_finalize(s->insert);
	sqlite3_close(s->db);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->changed);
	free(s);
	return NULL;
}

/* done is set by the reader's own thread: it needs no lock here. */
void store_sink_add(struct store_sink *s, const char *p, size_t n)
{
	if (s->failed_alloc || s->done)
		return;
	if (n > s->cur_cap - s->cur_len) {
		size_t cap = (s->cur_len + n) * 2;
		char *v = realloc(s->cur, cap);
		if (!v) {
			s->failed_alloc = true;
			return;
		}
		s->cur = v;
		s->cur_cap = cap;
	}
	memcpy(s->cur + s->cur_len, p, n);
	s->cur_len += n;
}

void store_sink_end_literal(struct store_sink *s)
{
	struct literal *l = NULL;
	if (s->done)
		return;
	if (!s->failed_alloc && (l = malloc(sizeof(*l) + s->cur_len)) != NULL) {
		l->next = NULL;
		l->len = s->cur_len;
		memcpy(l->bytes, s->cur, s->cur_len);
	}
	s->cur_len = 0;
	if (!l) {
		s->failed_alloc = true;
		return;
	}
	pthread_mutex_lock(&s->lock);
	while (s->queued_bytes > QUEUE_MAX_BYTES)
		pthread_cond_wait(&s->changed, &s->lock);
	*s->tail = l;
	s->tail = &l->next;
	s->queued_bytes += l->len;
	pthread_cond_broadcast(&s->changed);
	pthread_mutex_unlock(&s->lock);
}

long store_sink_finish(struct store_sink *s)
{
	pthread_mutex_lock(&s->lock);
	s->done = true;
	pthread_cond_broadcast(&s->changed);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->writer, NULL);
	if (s->failed_alloc)
		fprintf(stderr, "store_sink: out of memory\n");
	return s->failed || s->failed_alloc ? -1 : s->stored;
}

void store_sink_free(struct store_sink *s)
{
	if (!s)
		return;
	if (!s->done)
		(void)store_sink_finish(s);
	sqlite3_finalize(s->insert);
	sqlite3_close(s->db);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->changed);
	free(s->cur);
	free(s);
}
