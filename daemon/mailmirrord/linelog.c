/* linelog.c - a command's stderr as log lines; see linelog.h. */
#include "mailmirrord/linelog.h"

#include "mailmirrord/log.h"

#include <assert.h>
#include <stdbool.h>
#include <string.h>

/* One line, and the LF that ended it (lf 1) or none (lf 0). Lines past
 * the limit are sanitized too: only then is it known whether they are
 * blank, and a blank one is no more a line of the rest than of the shown
 * ones. Bytes are counted whatever they hold, so that with the bytes the
 * caller never gave they are all that was not shown. */
static void say(struct linelog *ll, const char *s, size_t len, size_t lf)
{
	char clean[LINELOG_LINE_MAX + 1];
	size_t size = ll->line_max < LINELOG_LINE_MAX ? ll->line_max + 1
	                                              : sizeof(clean);

	log_sanitize(clean, size, s, len);
	bool blank = clean[strspn(clean, " ")] == '\0';
	if (ll->shown == ll->max_lines) {
		ll->more_lines += !blank;
		ll->more_bytes += len + lf;
	} else if (!blank) {
		log_msg(ll->level, ll->account, NULL, "%s said: %s", ll->who,
		        clean);
		ll->shown++;
	}
}

size_t linelog_lines(struct linelog *ll, const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len, *nl;

	while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		say(ll, p, (size_t)(nl - p), 1);
		p = nl + 1;
	}
	return (size_t)(p - buf);
}

void linelog_line(struct linelog *ll, const char *s, size_t len)
{
	say(ll, s, len, 0);
}

void linelog_end(struct linelog *ll, uint64_t unread)
{
	assert(unread == 0 || ll->rest == LINELOG_REST_BYTES);
	if (ll->rest == LINELOG_REST_LINES) {
		if (ll->more_lines > 0)
			log_msg(ll->level, ll->account, NULL,
			        "%s said %llu more lines", ll->who,
			        (unsigned long long)ll->more_lines);
	} else if (ll->more_bytes + unread > 0) {
		log_msg(ll->level, ll->account, NULL,
		        "%s said %llu more bytes on its standard error, not "
		        "logged",
		        ll->who, (unsigned long long)(ll->more_bytes + unread));
	}
}
