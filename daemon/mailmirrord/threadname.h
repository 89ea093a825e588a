/* threadname.h - names for the daemon's threads, as top -H, ps -L, gdb
 * and strace -f show them: every one was "mailmirrord" (explore80). */
#ifndef MAILMIRRORD_THREADNAME_H
#define MAILMIRRORD_THREADNAME_H

#include <pthread.h>
#include <stdio.h>

/* The kernel keeps 15 bytes of a name. */
#define THREADNAME_MAX 15

/* Names the calling thread role (a short word: "indexer") or, with acct,
 * role followed by the account's name, cut to fit ("w:acct-u02"). A name
 * that cannot be set is no failure: the thread runs as before. */
static inline void threadname_set(const char *role, const char *acct)
{
	char name[THREADNAME_MAX + 1];
	snprintf(name, sizeof(name), "%s%s", role, acct ? acct : "");
	(void)pthread_setname_np(pthread_self(), name);
}

#endif
