/* SPDX-License-Identifier: MIT */
#ifndef SCORPI_UNIX_SOCKET_H
#define SCORPI_UNIX_SOCKET_H

/*
 * The Unix sockets the VMM listens on (the control socket, console
 * ports): made mode 0600 whatever the umask, and answering only the
 * VMM's own user and root (docs/running-as-user.md).
 */
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

/*
 * A listening socket (non-blocking, close-on-exec) at path, which the
 * caller has made sure is free; its file is mode 0600. -1 with errno on
 * failure, with no file left behind.
 * (unix_socket.c says why this is not done with umask.)
 */
int unix_listen_private(const char *path, int backlog);

/*
 * Whether the peer of an accepted connection may use the socket: it is
 * the VMM's own effective uid, or root. The file's mode keeps the others
 * out already; this holds where it does not (the mode changed by hand, a
 * process with CAP_DAC_OVERRIDE that is not root). *uid is the peer's,
 * (uid_t)-1 when it cannot be read, which is refused.
 */
bool unix_peer_allowed(int fd, uid_t *uid);

/* Who may connect, for messages: "root", or "uid 1000 and root". */
void unix_allowed_users(char *buf, size_t len);

/*
 * Refused peers of one socket, for the log: the first refusal gets a
 * line, later ones at most one a minute, which counts those that got
 * none, so that a flood of connections never floods the log. Used by
 * the thread that accepts on the socket only.
 */
struct unix_refusals {
	bool logged;
	time_t last; /* CLOCK_MONOTONIC seconds of the last line */
	unsigned long quiet; /* refused since then without a line */
};

/* what: the kind of socket ("vm-control"), path: where it is. */
void unix_log_refusal(struct unix_refusals *r, const char *what,
		      const char *path, uid_t uid);

#endif
