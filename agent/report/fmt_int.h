#ifndef AGENT_REPORT_FMT_INT_H
#define AGENT_REPORT_FMT_INT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/ops/ops.h"
#include "agent/report/report.h"

/*
 * The formats' shared layout (agent/report/fmt.c): fmt_walk() lays a
 * report out as fmt.h describes, cell by cell, rows in order and, in a
 * row, columns in order, and a format (CSV, XLSX) writes each cell where
 * it goes.  A row without cells is an empty line.
 */
enum fmt_style {
	FMT_S_TITLE,		/* The first line. */
	FMT_S_NOTE,		/* The lines above and below the table. */
	FMT_S_HEAD,		/* Header rows and the layer's heading. */
	FMT_S_LABEL,		/* A row's value (first column). */
	FMT_S_HIDDEN		/* "<5", "x". */
};

struct fmt_sink {
	int	(*text)(void *, size_t, size_t, const char *,
		    enum fmt_style);
	int	(*number)(void *, size_t, size_t, uint64_t);
	void	*arg;
};

/* Walk ${r}; return the first non-zero a sink returned, else 0. */
int fmt_walk(const struct report *, const char *, const struct fmt_sink *);

/* Render catalog template ${key} with ${nargs} strings into ${buf}. */
const char *fmt_say(const char *, enum ops_msg, char *, size_t, int, ...);
const char *fmt_vsay(const char *, enum ops_msg, char *, size_t, int,
    va_list);

#endif /* !AGENT_REPORT_FMT_INT_H */
