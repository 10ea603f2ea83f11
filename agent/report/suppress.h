#ifndef AGENT_REPORT_SUPPRESS_H
#define AGENT_REPORT_SUPPRESS_H

#include <stddef.h>
#include <stdint.h>

/*
 * suppress(ndim, n, count, mark, threshold):
 * Mark the cells of the extended table ${count} (ndim 0..3 dimensions of
 * n[d] values each plus a total along each, laid out as struct report's:
 * agent/report/report.h; margins must be the sums of their cells) that
 * must not be published: every cell or margin from 1 to threshold-1
 * CELL_PRIMARY ("<5"), and so is a 0 in a line whose total is "<5";
 * then enough others CELL_COMPLEMENT ("x", never 0 or small) that no
 * hidden value can be derived exactly from the shown cells and margins
 * and the marks.  ${mark} (same shape) is written whole.  In the rare
 * table no such marking protects (small, sparse 3-D ones), every entry
 * is CELL_COMPLEMENT: the table is withheld, and a caller should say so
 * rather than print a grid of "x".  The rule, and what a reader knows,
 * in full: agent/report/suppress.c.
 * Return 0, or -1 if out of memory (then ${mark} must not be published).
 */
int suppress(size_t, const size_t *, const uint64_t *, uint8_t *, unsigned);

#endif
