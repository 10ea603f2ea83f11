/*
 * pidlock.c: whether this node's agent runs (agent/daemon/pidlock.h).
 *
 * The lock is an open file description lock (F_OFD_SETLK), not a
 * classic fcntl one: a process drops all its classic locks on a file
 * when it closes ANY descriptor of it, and the agent itself asks
 * agent_running() (the web UI's status runs ops_status() in the agent),
 * which opens and closes the file; it also could not see its own
 * classic lock.  OFD locks conflict with classic ones, so another
 * process's F_GETLK sees it the same.
 */
#define _GNU_SOURCE		/* F_OFD_SETLK, F_OFD_GETLK (Linux). */
#include "agent/daemon/pidlock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
agent_lock(const char *dir, uint64_t now, char *why, size_t len)
{
	struct flock fl;
	char path[4096], buf[64];
	int fd, n, held;

	snprintf(path, sizeof(path), "%s/%s", dir, AGENT_LOCK_FILE);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0600)) == -1) {
		snprintf(why, len, "open %s: %s", path, strerror(errno));
		return (-1);
	}
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, F_OFD_SETLK, &fl) != 0) {
		held = errno == EAGAIN || errno == EACCES;
		if (held)
			snprintf(why, len, "%s", path);
		else
			snprintf(why, len, "lock %s: %s", path,
			    strerror(errno));
		close(fd);
		return (held ? AGENT_LOCK_HELD : -1);
	}
	n = snprintf(buf, sizeof(buf), "%llu %ld\n", (unsigned long long)now,
	    (long)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, buf, (size_t)n, 0) != n) {
		snprintf(why, len, "write %s: %s", path, strerror(errno));
		close(fd);
		return (-1);
	}
	return (fd);
}

int
agent_running(const char *dir, uint64_t *since)
{
	struct flock fl;
	char path[4096], buf[64];
	ssize_t n;
	int fd, r = 0;

	*since = 0;
	snprintf(path, sizeof(path), "%s/%s", dir, AGENT_LOCK_FILE);
	if ((fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return (0);
	if ((n = pread(fd, buf, sizeof(buf) - 1, 0)) > 0) {
		buf[n] = '\0';
		*since = strtoull(buf, NULL, 10);
	}
	/* GETLK takes nothing: an agent starting now is never refused. */
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK)
		r = 1;
	close(fd);
	return (r);
}
