/* tunnel_stderr.c - a tunnel command's stderr as log lines; see
 * tunnel_stderr.h. */
#include "mailmirrord/tunnel_stderr.h"

#include "mailmirrord/linelog.h"
#include "mailmirrord/log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A line longer than this is logged in pieces. */
#define LINE_MAX_BYTES 512

struct reader {
	int fd;
	int level;
	char *account;
};

static void *run(void *arg)
{
	struct reader *r = arg;
	struct linelog said = {
	        .account = r->account,
	        .who = "tunnel",
	        .level = r->level,
	        .max_lines = TUNNEL_STDERR_LINES,
	        .line_max = LINE_MAX_BYTES,
	        .rest = LINELOG_REST_LINES,
	};
	char buf[LINE_MAX_BYTES];
	size_t len = 0;
	for (;;) {
		ssize_t n = read(r->fd, buf + len, sizeof(buf) - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		size_t used = linelog_lines(&said, buf, len);
		len -= used;
		memmove(buf, buf + used, len);
		if (len == sizeof(buf)) {
			linelog_line(&said, buf, len);
			len = 0;
		}
	}
	linelog_line(&said, buf, len);
	linelog_end(&said, 0);
	close(r->fd);
	free(r->account);
	free(r);
	return NULL;
}

int tunnel_stderr_start(int *write_fd, const char *account, int level)
{
	int p[2];
	*write_fd = -1;
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	struct reader *r = calloc(1, sizeof(*r));
	if (r == NULL || (r->account = strdup(account)) == NULL) {
		free(r);
		close(p[0]);
		close(p[1]);
		return -1;
	}
	r->fd = p[0];
	r->level = level;
	pthread_attr_t attr;
	pthread_t t;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	int rc = pthread_create(&t, &attr, run, r);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		free(r->account);
		free(r);
		close(p[0]);
		close(p[1]);
		return -1;
	}
	*write_fd = p[1];
	return 0;
}
