#ifndef AGENT_WORK_H
#define AGENT_WORK_H

#include <stdbool.h>
#include <stddef.h>

#include "store/db.h"

/*
 * Jobs off the event loop, each on a database connection of its own.
 *
 * The agent's loop lives by one rule: one step takes at most
 * LOOP_STEP_MAX_MS and never waits for a lock.  Whatever may take longer
 * (a WAL checkpoint and its fsync; later Argon2id sign-ins, search-index
 * builds, reports, exports) is a job: ${fn} runs on a libuv worker thread
 * with a connection nobody else uses while it runs, and ${done} runs back
 * on the loop with what it returned.  Connections are opened on a worker
 * when none is idle, and kept for the next job; the loop thread hands
 * them out and takes them back, so no lock guards the list.
 *
 * A job's ${fn} may wait (SQLite's busy timeout is on for these
 * connections); it must not touch anything the loop owns, only ${arg},
 * which belongs to the job until ${done} is called.
 */
struct work_pool;
struct uv_loop_s;

/* Runs on a worker: 0 or -1 with ${err} filled. */
typedef int	work_fn(struct db *, void *, char[STORE_ERRLEN]);
/* Runs on the loop: ${rc} from work_fn (-1 too if no connection opened). */
typedef void	work_done_fn(void *, int, const char *);

/**
 * work_pool_new(loop, path):
 * A pool of jobs on ${loop} for the database at ${path}; NULL if out of
 * memory.
 */
struct work_pool *work_pool_new(struct uv_loop_s *, const char *);

/**
 * work_queue(wp, fn, done, arg):
 * Run ${fn}(db, arg, err) on a worker, then ${done}(arg, rc, err) on the
 * loop.  Return 0, or -1 (nothing queued, ${done} is not called).
 */
int work_queue(struct work_pool *, work_fn *, work_done_fn *, void *);

/* Jobs queued or running. */
size_t work_pending(const struct work_pool *);

/**
 * work_pool_free(wp):
 * Close the idle connections and free ${wp}; no job may be pending (run
 * the loop until work_pending() is 0).  NULL is a no-op.
 */
void work_pool_free(struct work_pool *);

#endif /* !AGENT_WORK_H */
