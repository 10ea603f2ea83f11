/*
 * emfile_preload.c: test shim, loaded with LD_PRELOAD (t_slowloris.sh
 * builds it: cc -shared -fPIC).  While the file named by $HAMROH_EMFILE
 * exists, accept() and accept4() fail with EMFILE, and so does opening "/"
 * or "/dev/null", where libuv and the agent take their reserve
 * descriptors: the process is out of descriptors as far as its listener
 * can tell, and no reserve descriptor can be had back.  That is the case
 * in which libuv calls the listener's callback with UV_EMFILE for as long
 * as connections wait, and a callback that frees nothing spins.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

int accept(int, struct sockaddr *, socklen_t *);
int accept4(int, struct sockaddr *, socklen_t *, int);
int open(const char *, int, ...);
int open64(const char *, int, ...);

static int
out_of_fds(void)
{
	const char *f = getenv("HAMROH_EMFILE");

	return (f != NULL && access(f, F_OK) == 0);
}

static int
reserve_path(const char *path)
{

	return (strcmp(path, "/") == 0 || strcmp(path, "/dev/null") == 0);
}

int
accept(int fd, struct sockaddr *sa, socklen_t *len)
{
	int (*real)(int, struct sockaddr *, socklen_t *);

	if (out_of_fds()) {
		errno = EMFILE;
		return (-1);
	}
	*(void **)&real = dlsym(RTLD_NEXT, "accept");
	return (real(fd, sa, len));
}

int
accept4(int fd, struct sockaddr *sa, socklen_t *len, int flags)
{
	int (*real)(int, struct sockaddr *, socklen_t *, int);

	if (out_of_fds()) {
		errno = EMFILE;
		return (-1);
	}
	*(void **)&real = dlsym(RTLD_NEXT, "accept4");
	return (real(fd, sa, len, flags));
}

static int
open_as(const char *name, const char *path, int flags, mode_t mode)
{
	int (*real)(const char *, int, ...);

	if (reserve_path(path) && out_of_fds()) {
		errno = EMFILE;
		return (-1);
	}
	*(void **)&real = dlsym(RTLD_NEXT, name);
	return (real(path, flags, mode));
}

int
open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode = 0;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	return (open_as("open", path, flags, mode));
}

int
open64(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode = 0;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	return (open_as("open64", path, flags, mode));
}
