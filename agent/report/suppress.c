/*
 * suppress.c: small-cell suppression (agent/report/suppress.h).
 *
 * replaced by h/suppress: this is the primary marks alone, so that the
 * report operation links and runs on its own branch; the complementary
 * suppression (cells hidden so no primary can be worked out from the
 * totals) is the h/suppress branch's, which the merge takes.
 */
#include "agent/report/suppress.h"

#include "agent/report/report.h"

int
suppress(size_t ndim, const size_t *n, const uint64_t *count, uint8_t *mark,
    unsigned threshold)
{
	size_t d, i, cells = 1;

	for (d = 0; d < ndim; d++)
		cells *= n[d] + 1;
	for (i = 0; i < cells; i++)
		mark[i] = count[i] >= 1 && count[i] < threshold ?
		    CELL_PRIMARY : CELL_SHOWN;
	return (0);
}
