/* proc_alive.h - whether a process still runs, as a test that checks what
 * the daemon stopped must ask it. */
#ifndef HARNESS_PROC_ALIVE_H
#define HARNESS_PROC_ALIVE_H

#include <stdbool.h>
#include <sys/types.h>

/* Whether pid is a live process. A zombie is not: kill(pid, 0) counts
 * it, and one whose parent went waits for init, which in a container
 * may never reap it. */
bool proc_alive(pid_t pid);

#endif
