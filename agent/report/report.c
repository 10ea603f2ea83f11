/*
 * report.c: the shape of a report's extended table (agent/report/report.h).
 */
#include "agent/report/report.h"

#include <stdlib.h>

size_t
report_cells(const struct report *r)
{
	size_t d, n = 1;

	for (d = 0; d < r->ndim; d++)
		n *= r->dim[d].n + 1;
	return (n);
}

size_t
report_at(const struct report *r, const size_t *idx)
{
	size_t d, off = 0;

	/* Row-major, each dimension one longer for its total. */
	for (d = 0; d < r->ndim; d++)
		off = off * (r->dim[d].n + 1) + idx[d];
	return (off);
}

bool
report_withheld(const struct report *r)
{
	size_t i, n;

	if (r->mark == NULL || r->count == NULL)
		return (false);
	n = report_cells(r);
	for (i = 0; i < n; i++)
		if (r->mark[i] != CELL_COMPLEMENT)
			return (false);
	return (n > 0);
}

void
report_free(struct report *r)
{
	size_t d, i;

	for (d = 0; d < REPORT_MAX_DIMS; d++) {
		for (i = 0; r->dim[d].value != NULL && i < r->dim[d].n; i++)
			free(r->dim[d].value[i]);
		free(r->dim[d].value);
		r->dim[d].value = NULL;
		r->dim[d].n = 0;
	}
	free(r->count);
	free(r->mark);
	free(r->asof);
	r->count = NULL;
	r->mark = NULL;
	r->asof = NULL;
	r->ndim = r->ncenters = 0;
}
