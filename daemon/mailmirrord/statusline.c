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

static bool starts(const char *s, const char *word)
{
	return strncmp(s, word, strlen(word)) == 0;
}

/* The states account.c sets (set_status, set_status_wait); a mailbox's
 * progress ("INBOX 4500/100000") is a sync. */
static enum kind kind_of(const char *state)
{
	if (starts(state, "error") || starts(state, "disk full"))
		return K_FAILING;
	if (starts(state, "idle"))
		return K_IDLE;
	if (starts(state, "polling"))
		return K_POLLING;
	if (starts(state, "connecting") || starts(state, "waiting to connect"))
		return K_CONNECTING;
	if (starts(state, "starting") || starts(state, "ended by the server"))
		return K_OTHER;
	return K_SYNCING;
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
	for (size_t i = 0; i < n; i++)
		if (!add(buf, max + 1, &at, "%s%s: %s", i ? "; " : "",
		         v[i].name, v[i].state))
			return false;
	if (to_index) {
		char num[32];
		snprintf(num, sizeof(num), "%llu",
		         (unsigned long long)to_index);
		if (!add(buf, max + 1, &at, "; %s messages to index", num))
			return false;
	}
	return true;
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
		count[kind_of(v[i].state)]++;
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
				if (kind_of(v[i].state) == K_FAILING)
					add(buf, max + 1, &at, "%s%s",
					    named++ ? ", " : " (", v[i].name);
			add(buf, max + 1, &at, ")");
		} else if (k == K_SYNCING && count[k] == 1) {
			for (size_t i = 0; i < n; i++)
				if (kind_of(v[i].state) == K_SYNCING)
					add(buf, max + 1, &at, " (%s %s)",
					    v[i].name, v[i].state);
		}
	}
}
