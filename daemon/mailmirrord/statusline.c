/* statusline.c - the daemon's STATUS= line; see statusline.h. */
#include "mailmirrord/statusline.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

enum kind {
	K_FAILING,
	K_IDLE,
	K_SYNCING,
	K_POLLING,
	K_CONNECTING,
	K_OTHER,
	K_COUNT
};

static const char *const kind_word[K_COUNT] = {
        "failing", "idle", "syncing", "polling", "connecting", "waiting"};

static enum kind kind_of(const struct acct_status *st)
{
	switch (st->state) {
	case ACCT_RETRYING:
	case ACCT_DISK_FULL:
		return K_FAILING;
	case ACCT_IDLE:
		return K_IDLE;
	case ACCT_SYNCING:
		return K_SYNCING;
	case ACCT_POLLING:
		return K_POLLING;
	case ACCT_CONNECTING:
	case ACCT_WAITING:
		return K_CONNECTING;
	case ACCT_STARTING:
	case ACCT_RECONNECTING:
		return K_OTHER;
	}
	return K_OTHER;
}

/* Appends to buf at *at, never past len - 1; false once something did
 * not fit whole (what fitted stays). */
static bool add(char *buf, size_t len, size_t *at, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

static bool add(char *buf, size_t len, size_t *at, const char *fmt, ...)
{
	if (*at >= len - 1)
		return false;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf + *at, len - *at, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len - *at) {
		buf[*at] = '\0';
		return false;
	}
	*at += (size_t)n;
	return true;
}

/* Every account's state, "a: idle; b: INBOX 3/9"; false if it does not
 * fit in max bytes. */
static bool detailed(char *buf, size_t max, const struct statusline_acct *v,
                     size_t n, uint64_t to_index)
{
	size_t at = 0;
	buf[0] = '\0';
	char state[STATUSLINE_MAX + 1];
	for (size_t i = 0; i < n; i++) {
		acct_status_text(state, sizeof(state), v[i].st);
		if (!add(buf, max + 1, &at, "%s%s: %s", i ? "; " : "",
		         v[i].name, state))
			return false;
	}
	if (to_index) {
		char num[32];
		snprintf(num, sizeof(num), "%llu",
		         (unsigned long long)to_index);
		if (!add(buf, max + 1, &at, "; %s messages to index", num))
			return false;
	}
	return true;
}

/* The one syncing account, by name, and how far it is: whole, else
 * without the mailbox's name (its turn and messages are what tell how
 * long), else nothing. */
static void syncing_one(char *buf, size_t max, size_t *at,
                        const struct statusline_acct *a)
{
	char state[STATUSLINE_MAX + 1];
	acct_status_text(state, sizeof(state), a->st);
	if (add(buf, max + 1, at, " (%s %s)", a->name, state))
		return;
	struct acct_status st = *a->st;
	if (!st.mailbox[0])
		return;
	snprintf(st.mailbox, sizeof(st.mailbox), "...");
	acct_status_text(state, sizeof(state), &st);
	add(buf, max + 1, at, " (%s %s)", a->name, state);
}

void statusline_make(char *buf, size_t len, const struct statusline_acct *v,
                     size_t n, uint64_t to_index)
{
	size_t max = len - 1 < STATUSLINE_MAX ? len - 1 : STATUSLINE_MAX;
	if (n == 0) {
		snprintf(buf, len, "no accounts");
		return;
	}
	if (detailed(buf, max, v, n, to_index))
		return;
	size_t count[K_COUNT] = {0};
	for (size_t i = 0; i < n; i++)
		count[kind_of(v[i].st)]++;
	size_t at = 0;
	char num[32];
	snprintf(num, sizeof(num), "%zu", n);
	add(buf, max + 1, &at, "%s accounts", num);
	if (to_index) {
		snprintf(num, sizeof(num), "%llu",
		         (unsigned long long)to_index);
		add(buf, max + 1, &at, ", %s messages to index", num);
	}
	/* The failing ones first, each by name, so that a cut keeps
	 * them; then the counts; the one syncing account's progress. */
	bool first = true;
	for (int k = 0; k < K_COUNT; k++) {
		if (!count[k])
			continue;
		snprintf(num, sizeof(num), "%zu", count[k]);
		add(buf, max + 1, &at, "%s%s %s", first ? ": " : ", ", num,
		    kind_word[k]);
		first = false;
		if (k == K_FAILING) {
			size_t named = 0;
			for (size_t i = 0; i < n; i++)
				if (kind_of(v[i].st) == K_FAILING)
					add(buf, max + 1, &at, "%s%s",
					    named++ ? ", " : " (", v[i].name);
			add(buf, max + 1, &at, ")");
		} else if (k == K_SYNCING && count[k] == 1) {
			for (size_t i = 0; i < n; i++)
				if (kind_of(v[i].st) == K_SYNCING)
					syncing_one(buf, max, &at, &v[i]);
		}
	}
}
