/*
 * log.c: one line per event on stderr.
 */
#include "agent/log.h"

#include <stdarg.h>
#include <stdio.h>

int log_level = LOG_LVL_INFO;

void
log_msg(int lvl, const char *mod, const char *fmt, ...)
{
	static const char *const names[] = { "ERROR", "WARN", "INFO",
	    "DEBUG" };
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s %s %s\n", names[lvl < 0 ? 0 : lvl > 3 ? 3 : lvl],
	    mod, line);
	fflush(stderr);
}
