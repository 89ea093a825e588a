/* fd_limit.h - a process short of file descriptors, for tests of what
 * the code does when an open fails with EMFILE. */
#ifndef HARNESS_FD_LIMIT_H
#define HARNESS_FD_LIMIT_H

#include <sys/resource.h>

/* Lowers the soft RLIMIT_NOFILE so that spare descriptors are free and
 * then none: the free ones below the highest in use are taken up with
 * /dev/null (and stay open), the limit is set just above it. *was gets
 * the limit before, to put back with harness_fd_limit_restore. 0, or -1
 * with errno. */
int harness_leave_descriptors(int spare, rlim_t *was);

/* Puts the soft RLIMIT_NOFILE back to was. 0, or -1 with errno. */
int harness_fd_limit_restore(rlim_t was);

#endif
