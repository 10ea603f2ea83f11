/*
 * hlc.c: hybrid logical clock arithmetic.
 */
#include "store/hlc.h"

#include <stdio.h>

uint64_t
hlc_next(uint64_t last, uint64_t now_ms)
{
	uint64_t wall = (now_ms & 0xffffffffffffULL) << HLC_SHIFT;

	return (wall > last ? wall : last + 1);
}

uint64_t
hlc_ms(uint64_t h)
{

	return (h >> HLC_SHIFT);
}

void
hlc_span(uint64_t ms, char out[32])
{
	uint64_t m = (ms + 30000) / 60000;

	if (m >= 2 * 24 * 60)
		snprintf(out, 32, "%llu days", (unsigned long long)
		    ((m + 720) / 1440));
	else if (m >= 2 * 60)
		snprintf(out, 32, "%llu hours", (unsigned long long)
		    ((m + 30) / 60));
	else
		snprintf(out, 32, "%llu minute%s", (unsigned long long)m,
		    m == 1 ? "" : "s");
}
