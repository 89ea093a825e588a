/* fake_account.h - an account of a scripted server on 127.0.0.1: plain
 * TCP, LOGIN with a password, every mailbox, nothing watched, the
 * daemon's default intervals and a 5 s timeout. Tests change what they
 * need in the copy they get. */
#ifndef TESTS_DAEMON_FAKE_ACCOUNT_H
#define TESTS_DAEMON_FAKE_ACCOUNT_H

#include "mailmirrord/config.h"

#include <stdint.h>

/* name, user and password are borrowed: string literals, as a rule. */
struct conf_account fake_account(const char *name, uint16_t port,
                                 const char *user, const char *password);

#endif
