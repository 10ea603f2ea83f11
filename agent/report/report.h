#ifndef AGENT_REPORT_H
#define AGENT_REPORT_H

/*
 * Reports (issue 15): counts of consultations or of persons, filtered and
 * grouped, with row and column totals and small cells suppressed, in the
 * shape a ministry's questionnaire asks for.  The operation (ops_report,
 * agent/report/run.c) builds a struct report; the formats
 * (agent/report/fmt_*.c) write one as a terminal table, JSON, CSV or
 * XLSX; the suppression (agent/report/suppress.c) marks the cells that
 * must not be published.  Nothing here prints or exits: the CLI and the
 * web UI run the same code.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define REPORT_MAX_DIMS		3	/* Rows x columns x layers. */
#define REPORT_MAX_FILTERS	16
#define REPORT_THRESHOLD	5	/* Cells 1..THRESHOLD-1 are hidden. */

/* What a published cell shows. */
enum cell_mark {
	CELL_SHOWN = 0,
	CELL_PRIMARY,		/* 1..4: printed "<5". */
	CELL_COMPLEMENT		/* Hidden so no primary can be derived: "x". */
};

/* One grouping: a field or a derived one, and its values in order. */
struct report_dim {
	char		name[48];	/* "client_sex", "quarter", "age_band". */
	size_t		n;		/* Values, without the total. */
	char		**value;	/* Codes as stored ("F", "2026-Q1"). */
};

/*
 * A table over ndim groupings.  The counts and marks are one array of
 * the "extended" table: along dimension d an index runs 0..dim[d].n,
 * dim[d].n being that dimension's total, so the grand total is the cell
 * whose every index is the total, and margins are where some are.  The
 * cell (i0, i1, i2) is at ((i0 * (n1 + 1)) + i1) * (n2 + 1) + i2
 * (report_at()).  With ndim 0 the table is the grand total alone.
 */
struct report {
	char		title[128];	/* The layout's name, or "". */
	char		coll[32];
	bool		persons;	/* Counts distinct persons. */
	size_t		ndim;
	struct report_dim dim[REPORT_MAX_DIMS];
	uint64_t	*count;		/* Extended table. */
	uint8_t		*mark;		/* enum cell_mark, same shape. */
	bool		suppressed;	/* The rule was applied. */
	/* What was asked, as a person reads it. */
	char		filters[REPORT_MAX_FILTERS][128];	/* "topic=entry_ban" */
	size_t		nfilters;
	char		from[11], to[11];	/* "" if open. */
	char		on[16];			/* "opened_at" or "closed_on". */
	/* As of: the newest commit this node holds, per center. */
	size_t		ncenters;
	struct report_asof {
		char		center[64];
		uint64_t	ms;
	}		*asof;
	uint64_t	left_out;	/* No consent to statistics. */
};

/* The number of cells of the extended table. */
size_t report_cells(const struct report *);
/* The offset of cell ${idx}[0..ndim-1] (an index == n: the total). */
size_t report_at(const struct report *, const size_t *);
void report_free(struct report *);
/*
 * Whether the table is withheld: suppression marked every entry
 * CELL_COMPLEMENT (agent/report/suppress.h), as it does when no marking
 * protects it.  A format says so (OPS_MSG_REPORT_WITHHELD) rather than
 * print a grid of "x".
 */
bool report_withheld(const struct report *);

#endif
