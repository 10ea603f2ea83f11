/*
 * work.c: jobs on libuv's worker threads, each with a database connection
 * of its own, their results handed back to the loop (agent/daemon/work.h).
 *
 * A connection is used by one thread at a time: the loop thread takes an
 * idle one from the list (or none: the worker opens one) before queueing,
 * and puts it back in the after-work callback, which libuv runs on the
 * loop thread.  The handover goes through libuv's queue, so the list
 * needs no lock of its own.
 */
#include "agent/daemon/work.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#define WORK_IDLE_MAX	4	/* Connections kept open between jobs. */
#define WORK_CACHE_KIB	16384	/* The page cache of each (db_cache_kib()). */

struct work_pool {
	uv_loop_t	*loop;
	char		*path;
	struct db	*idle[WORK_IDLE_MAX];
	size_t		nidle, pending;
};

struct job {
	uv_work_t	req;
	struct work_pool *wp;
	struct db	*db;
	work_fn		*fn;
	work_done_fn	*done;
	void		*arg;
	int		rc;
	char		err[STORE_ERRLEN];
};

struct work_pool *
work_pool_new(uv_loop_t *loop, const char *path)
{
	struct work_pool *wp;

	if ((wp = calloc(1, sizeof(*wp))) == NULL)
		return (NULL);
	if ((wp->path = strdup(path)) == NULL) {
		free(wp);
		return (NULL);
	}
	wp->loop = loop;
	return (wp);
}

/* On a worker: open a connection if the job came without one, run it. */
static void
job_run(uv_work_t *req)
{
	struct job *j = req->data;

	j->err[0] = '\0';
	if (j->db == NULL) {
		if (db_open(&j->db, j->wp->path, false, j->err)) {
			j->db = NULL;
			j->rc = -1;
			return;
		}
		/*
		 * Up to WORK_IDLE_MAX of these beside the loop's own, and the
		 * kernel caches the file anyway: 16 MiB of pages each, not 64.
		 */
		(void)db_cache_kib(j->db, WORK_CACHE_KIB, j->err);
	}
	j->rc = j->fn(j->db, j->arg, j->err);
}

/* Back on the loop: keep the connection for the next job, report. */
static void
job_done(uv_work_t *req, int status)
{
	struct job *j = req->data;
	struct work_pool *wp = j->wp;

	if (status == UV_ECANCELED) {
		j->rc = -1;
		snprintf(j->err, sizeof(j->err), "job cancelled");
	}
	if (j->db != NULL && wp->nidle < WORK_IDLE_MAX)
		wp->idle[wp->nidle++] = j->db;
	else
		db_close(j->db);
	wp->pending--;
	j->done(j->arg, j->rc, j->err);
	free(j);
}

int
work_queue(struct work_pool *wp, work_fn *fn, work_done_fn *done, void *arg)
{
	struct job *j;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return (-1);
	j->wp = wp;
	j->fn = fn;
	j->done = done;
	j->arg = arg;
	j->req.data = j;
	if (wp->nidle > 0)
		j->db = wp->idle[--wp->nidle];
	if (uv_queue_work(wp->loop, &j->req, job_run, job_done) != 0) {
		if (j->db != NULL)
			wp->idle[wp->nidle++] = j->db;
		free(j);
		return (-1);
	}
	wp->pending++;
	return (0);
}

size_t
work_pending(const struct work_pool *wp)
{

	return (wp->pending);
}

void
work_pool_free(struct work_pool *wp)
{

	if (wp == NULL)
		return;
	while (wp->nidle > 0)
		db_close(wp->idle[--wp->nidle]);
	free(wp->path);
	free(wp);
}
