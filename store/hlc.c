/*
 * hlc.c: hybrid logical clock arithmetic.
 */
#include "store/hlc.h"

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
