#ifndef AGENT_LOG_H
#define AGENT_LOG_H

/*
 * The agent's log: one line per event on stderr (journald under systemd):
 * level, module, then the fact and its consequence.  The level is tested
 * before the arguments are evaluated.  Never log keys, record fields or
 * payloads; name peers by key fingerprint and address.
 */
enum log_level { LOG_LVL_ERR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

extern int log_level;

void log_msg(int, const char *, const char *, ...)
    __attribute__((format(printf, 3, 4)));

#define LOG_AT(l, mod, ...) do {					\
	if ((l) <= log_level)						\
		log_msg((l), (mod), __VA_ARGS__);			\
} while (0)
#define LOG_ERR(mod, ...)	LOG_AT(LOG_LVL_ERR, mod, __VA_ARGS__)
#define LOG_WARN(mod, ...)	LOG_AT(LOG_LVL_WARN, mod, __VA_ARGS__)
#define LOG_INFO(mod, ...)	LOG_AT(LOG_LVL_INFO, mod, __VA_ARGS__)
#define LOG_DEBUG(mod, ...)	LOG_AT(LOG_LVL_DEBUG, mod, __VA_ARGS__)

#endif /* !AGENT_LOG_H */
