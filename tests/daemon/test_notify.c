/* test_notify.c - the sd_notify datagrams, against a socket of our own. */
#include "mailmirrord/notify.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static char dir[] = "/tmp/mm-notify-XXXXXX";
static char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
static int sock = -1;

static void setup(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = 2};

	cr_assert(mkdtemp(dir) != NULL);
	snprintf(sock_path, sizeof(sock_path), "%s/notify", dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	cr_assert(sock >= 0);
	cr_assert(bind(sock, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	cr_assert(setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ==
	          0);
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
}

static void teardown(void)
{
	close(sock);
	unlink(sock_path);
	rmdir(dir);
}

TestSuite(notify, .init = setup, .fini = teardown);

/* The next datagram, or "" when none is waiting. */
static const char *next(void)
{
	static char buf[1024];
	ssize_t n = recv(sock, buf, sizeof(buf) - 1, MSG_DONTWAIT);

	if (n < 0) {
		cr_assert(errno == EAGAIN || errno == EWOULDBLOCK);
		n = 0;
	}
	buf[n] = '\0';
	return buf;
}

Test(notify, no_op_without_socket)
{
	cr_assert_eq(notify_ready(), 0);
	cr_assert_eq(notify_reloading(), 0);
	cr_assert_eq(notify_stopping(), 0);
	cr_assert_eq(notify_status("syncing %d accounts", 2), 0);
	cr_assert_eq(notify_watchdog(true), 0);
	cr_assert_eq(notify_watchdog_usec(), 0);
	cr_assert_str_eq(next(), "");
}

Test(notify, datagrams)
{
	const char *m;
	char *end;

	setenv("NOTIFY_SOCKET", sock_path, 1);
	cr_assert_eq(notify_ready(), 0);
	cr_assert_str_eq(next(), "READY=1");

	cr_assert_eq(notify_reloading(), 0);
	m = next();
	cr_assert_eq(strncmp(m, "RELOADING=1\nMONOTONIC_USEC=", 27), 0, "%s",
	             m);
	cr_assert_gt(strtoull(m + 27, &end, 10), 0);
	cr_assert_eq(*end, '\0');

	cr_assert_eq(notify_stopping(), 0);
	cr_assert_str_eq(next(), "STOPPING=1");

	/* a newline would smuggle in another assignment */
	cr_assert_eq(notify_status("2 accounts\nREADY=1"), 0);
	cr_assert_str_eq(next(), "STATUS=2 accounts READY=1");
	cr_assert_str_eq(next(), "");
}

Test(notify, status_capped)
{
	char big[1000];
	const char *m;

	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	setenv("NOTIFY_SOCKET", sock_path, 1);
	cr_assert_eq(notify_status("%s", big), 0);
	m = next();
	cr_assert_eq(strlen(m), 7 + 256);
	cr_assert_str_eq(m + strlen(m) - 3, "...");
}

Test(notify, watchdog_only_when_fresh)
{
	setenv("NOTIFY_SOCKET", sock_path, 1);
	cr_assert_eq(notify_watchdog(false), 0);
	cr_assert_str_eq(next(), "");
	cr_assert_eq(notify_watchdog(true), 0);
	cr_assert_str_eq(next(), "WATCHDOG=1");
}

Test(notify, watchdog_interval)
{
	char pid[32];

	setenv("WATCHDOG_USEC", "60000000", 1);
	cr_assert_eq(notify_watchdog_usec(), 60000000, "no WATCHDOG_PID: ours");
	snprintf(pid, sizeof(pid), "%d", (int)getpid() + 1);
	setenv("WATCHDOG_PID", pid, 1);
	cr_assert_eq(notify_watchdog_usec(), 0, "another process's watchdog");
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	setenv("WATCHDOG_PID", pid, 1);
	cr_assert_eq(notify_watchdog_usec(), 60000000);
}

Test(notify, send_failure_is_reported)
{
	setenv("NOTIFY_SOCKET", "/nonexistent/notify", 1);
	cr_assert_lt(notify_ready(), 0);
}
