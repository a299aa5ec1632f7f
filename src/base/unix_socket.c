// SPDX-License-Identifier: MIT
/* The VMM's listening Unix sockets: see unix_socket.h. */
#define _GNU_SOURCE /* struct ucred */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "unix_socket.h"

/*
 * Not umask(0177) around bind(): the umask is the whole process's, and
 * other threads run while devices are made (the I/O threads of the
 * devices made before, slirp's, the aio workers; with libscorpi, the
 * application's own threads and other VMs), which would make their
 * files under it. On Linux, bind() makes the file with the mode of the
 * socket's inode less the umask: the fchmod() before bind() makes that
 * 0600 or less, so the file is never open to anyone else, not for an
 * instant, whatever the umask. The chmod() after bind() gives back the
 * owner bits a umask such as 0277 takes, before listen(): until then,
 * no one can connect at all.
 */
int unix_listen_private(const char *path, int backlog)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len = strlen(path);
	struct stat st;
	int fd, err;

	if (!len || len >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sa.sun_path, path, len + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	if (fchmod(fd, 0600) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	if (lstat(path, &st) < 0)
		goto fail;
	if (!S_ISSOCK(st.st_mode)) {
		/* Someone else's file took the place: theirs, not removed. */
		close(fd);
		errno = EEXIST;
		return -1;
	}
	if ((st.st_mode & 07777) != 0600 && chmod(path, 0600) < 0)
		goto fail;
	if (listen(fd, backlog) < 0)
		goto fail;
	return fd;
fail:
	err = errno;
	close(fd);
	unlink(path);
	errno = err;
	return -1;
}

bool unix_peer_allowed(int fd, uid_t *uid)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	*uid = (uid_t)-1;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
	    len != sizeof(cred))
		return false;
	*uid = cred.uid;
	return cred.uid == geteuid() || cred.uid == 0;
}

void unix_allowed_users(char *buf, size_t len)
{
	if (geteuid() == 0)
		snprintf(buf, len, "root");
	else
		snprintf(buf, len, "uid %u and root", (unsigned int)geteuid());
}


void unix_log_refusal(struct unix_refusals *r, const char *what,
		      const char *path, uid_t uid)
{
	struct timespec now;
	char who[32] = "whose uid is unknown", allowed[32], more[64] = "";

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (r->logged && now.tv_sec - r->last < 60) {
		r->quiet++;
		return;
	}
	if (uid != (uid_t)-1)
		snprintf(who, sizeof(who), "of uid %u", (unsigned int)uid);
	if (r->quiet)
		snprintf(more, sizeof(more),
			 " (and %lu more since the last line)", r->quiet);
	unix_allowed_users(allowed, sizeof(allowed));
	log_warn("%s %s: refused a client %s: only %s may connect%s", what,
		 path, who, allowed, more);
	r->logged = true;
	r->last = now.tv_sec;
	r->quiet = 0;
}
