/* procgroup.h - whether anything of a process group still runs.
 *
 * kill(-pgid, 0) succeeds while the group holds zombies, and a zombie
 * whose parent went waits for init, which in a container may never reap
 * it: a close or a stop that waited for kill() to fail would wait out
 * every grace for processes long ended. /proc tells a running member from
 * a zombie. Internal to libimap4 and its in-tree users (the tunnel's close,
 * mailmirrord's on_new_mail runs).
 */
#ifndef IMAP4_UTIL_PROCGROUP_H
#define IMAP4_UTIL_PROCGROUP_H

#include <stdbool.h>
#include <sys/types.h>

/* Whether /proc shows a process of group pgid that is not a zombie; true
 * when /proc cannot be read, as nothing then proves the group ended. */
bool imap4_procgroup_runs(pid_t pgid);

#endif
