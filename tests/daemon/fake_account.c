/* fake_account.c - see fake_account.h. */
#include "daemon/fake_account.h"

static char *every_mailbox[] = {"*", NULL};

struct conf_account fake_account(const char *name, uint16_t port,
                                 const char *user, const char *password)
{
	return (struct conf_account){
	        .name = (char *)name,
	        .host = "127.0.0.1",
	        .port = port,
	        .tls = CONF_TLS_NONE,
	        .user = (char *)user,
	        .auth = CONF_AUTH_LOGIN,
	        .secret_kind = CONF_SECRET_PASSWORD,
	        .secret = (char *)password,
	        .mailboxes = every_mailbox,
	        .n_mailboxes = 1,
	        .poll_interval = 300,
	        .idle_timeout = 1500,
	        .noop_interval = 60,
	        .timeout = 5,
	        .bodies = CONF_BODIES_NONE,
	        .max_connections = 1,
	        .enabled = true,
	};
}
