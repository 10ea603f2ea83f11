#ifndef AGENT_PIDLOCK_H
#define AGENT_PIDLOCK_H

#include <stddef.h>
#include <stdint.h>

/*
 * DIR/agent.lock: the running agent holds a write lock (fcntl) on it for as long as
 * it runs, and it says since when ("<ms since the epoch> <pid>").  The
 * kernel drops the lock when the process ends, however it ends, so
 * `hamroh status` can tell whether THIS node's agent runs, without a pid
 * that a crash leaves behind.
 */
#define AGENT_LOCK_FILE	"agent.lock"

/*
 * agent_lock(dir, now_ms, why, why_len):
 * Take the lock (non-blocking) and write the start time.  The descriptor
 * (kept open until exit); AGENT_LOCK_HELD if another agent holds it (the
 * lock file's path in ${why}); or -1 with a reason: the file cannot be
 * made.
 */
#define AGENT_LOCK_HELD	(-2)
int agent_lock(const char *, uint64_t, char *, size_t);

/*
 * agent_running(dir, since_ms):
 * 1 if an agent holds DIR's lock now, 0 if not; ${since_ms} is when the
 * last agent started (0 if none ever did).
 */
int agent_running(const char *, uint64_t *);

#endif /* !AGENT_PIDLOCK_H */
