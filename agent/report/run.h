#ifndef AGENT_REPORT_RUN_H
#define AGENT_REPORT_RUN_H

/*
 * The report operation (issue 15): counts of consultations or of
 * distinct persons, filtered by clear fields and a period, grouped by up
 * to three fields (rows x columns x layers), with totals, small cells
 * suppressed and what was asked and as of when said under the table.
 * Like every operation it never prints or exits: ops_report() fills a
 * struct report (agent/report/report.h) the formats write.
 *
 * Groupings: any clear field of consultations, and the derived ones
 * below: month, quarter, year (of the --on date), age_band (client_age,
 * report_bands[]), region (the center's, from the managed list of
 * centers) and referred_kind (the kind of the directory record
 * referred_to names).  A missing value is the code "" ("not given").
 *
 * Filters: field=value on clear fields and on region; several values of
 * one field keep the records having any of them; "field=" keeps those
 * without it.
 *
 * Persons: each person (field person, or the consultation's own
 * case_number) counts once, in the cells of his newest consultation
 * among those the filters keep, so the table adds up.
 */
#include <stdbool.h>
#include <stddef.h>

#include "agent/ops/ops.h"
#include "agent/report/report.h"

/* Values of one dimension a table may have; a finer grouping is refused. */
#define REPORT_MAX_VALUES	500
#define REPORT_ACCESS_WHAT	"report_unsuppressed"	/* access log. */

struct report_args {
	const char	*name;		/* A named layout, or NULL. */
	const char *const *by;		/* Groupings (not with a layout). */
	size_t		nby;
	const struct ops_field *filters;	/* field=value. */
	size_t		nfilters;
	const char	*from, *to;	/* YYYY-MM-DD, inclusive; NULL: open. */
	const char	*on;		/* "opened_at" (NULL) or "closed_on". */
	const char	*count;		/* "consultations" (NULL), "persons". */
	bool		no_suppress;	/* Admins only; recorded. */
	/* Count who said no to statistics too (stats --all). */
	bool		all;
};

/*
 * What was asked must make sense (unknown or confidential fields, bad
 * dates, from after to, unknown layout: USAGE or BAD_INPUT), checked
 * before the node is opened.
 */
int ops_report_check(const struct report_args *, struct ops_err *);

/**
 * ops_report(o, a, r, e):
 * Build in ${r} the report ${a} asks for (report_free() it after, also
 * on failure).  --no-suppress needs a signed-in admin (DENIED otherwise)
 * and is written to the node's access log (REPORT_ACCESS_WHAT).
 */
int ops_report(struct ops *, const struct report_args *, struct report *,
    struct ops_err *);

/* A named layout: the reports asked for most. */
struct report_layout {
	const char	*name;
	enum ops_msg	desc;		/* One line, for report --list. */
	const char	*by[REPORT_MAX_DIMS];	/* NULL-ended. */
	const char	*count;		/* NULL: consultations. */
	bool		referred;	/* Only consultations referred_to. */
};

/* Every layout, ${*n} of them. */
const struct report_layout *report_layouts(size_t *);
/* The layout ${name}, or NULL. */
const struct report_layout *report_layout(const char *);

/* An age band: ages from ${lo} (to the next band's lo - 1). */
struct report_band {
	int64_t		lo;
	const char	*code;		/* "18-24". */
	const char	*label;		/* "18–24", "under 18". */
};
extern const struct report_band report_bands[];
extern const size_t report_nbands;

/*
 * What a value of dimension ${dim} reads as: "not given" for "", an age
 * band's label, else the code.
 */
const char *report_value_label(const char *, const char *);

/*
 * The unsuppressed reports this node's access log holds, newest first:
 * when, who (NULL: node only) and which report.  ${*n}: how many.
 */
typedef int (*report_audit_fn)(void *, uint64_t, const char *,
    const char *);
int ops_report_audit(struct ops *, report_audit_fn, void *, long *,
    struct ops_err *);

/* ---- Formats of this file's helper: agent/report/fmt_text.c. */

/* The terminal table, and under it the notes. */
int report_print_text(FILE *, const struct report *);
/* One JSON object: dims, values, counts, marks, totals, notes. */
int report_print_json(FILE *, const struct report *);

/*
 * The notes under a table, one line each, into ${fn}: filters and
 * period, what was counted, the suppression rule, what was left out,
 * as of.
 */
void report_notes(const struct report *, void (*)(void *, const char *),
    void *);

#endif /* !AGENT_REPORT_RUN_H */
