#ifndef AGENT_LOG_H
#define AGENT_LOG_H

#include <stdio.h>

/*
 * The agent's log: one line per event on stderr (journald under systemd):
 * level, module, then the fact and its consequence.  The level is tested
 * before the arguments are evaluated.  Never log keys, record fields or
 * payloads; name peers by key fingerprint and address.  Each line goes
 * through log_esc(): whatever a peer managed to put into a name or a
 * reason, it cannot break the line or reach the terminal.
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

/*
 * Text from another node (names, reasons, record values) printed for a
 * person, in the log or by a command, is escaped: every control character
 * (C0, DEL, C1), line or paragraph separator and bidirectional control
 * is shown as an escape, \n \r \t, \x1b (C0 and DEL), \u{85} (the
 * others); every byte that is not part of well-formed UTF-8 as \xff.  The
 * rest, backslashes included, prints as it is, so ordinary text in any
 * script looks the same.  LOG_ESC_MULTILINE keeps \n and \t (a record's
 * summary or a guide's body, shown on its own).
 */
#define LOG_ESC_MULTILINE	0x1

/**
 * log_esc(out, size, s, len, flags):
 * ${s} (${len} bytes) escaped into ${out}, cut at an escape or character
 * boundary to fit ${size} bytes with its NUL (${size} > 0).  Return
 * ${out}.
 */
char *log_esc(char *, size_t, const char *, size_t, int);

/* ${s} (${len} bytes) escaped onto ${f}. */
void log_esc_put(FILE *, const char *, size_t, int);

#endif /* !AGENT_LOG_H */
