#ifndef AGENT_REPORT_SUPPRESS_H
#define AGENT_REPORT_SUPPRESS_H

#include <stddef.h>
#include <stdint.h>

/*
 * suppress(ndim, n, count, mark, threshold):
 * Mark the cells of the extended table ${count} (ndim 1..3 dimensions of
 * n[d] values each plus a total along each, laid out as struct report's:
 * agent/report/report.h) that must not be published: every cell or
 * margin from 1 to threshold-1 CELL_PRIMARY, then enough others
 * CELL_COMPLEMENT that no hidden value can be derived exactly from the
 * shown cells and margins.  ${mark} (same shape) is written whole.
 * Return 0, or -1 if out of memory.
 */
int suppress(size_t, const size_t *, const uint64_t *, uint8_t *, unsigned);

#endif
