#ifndef STORE_HLC_H
#define STORE_HLC_H

#include <stdint.h>

/*
 * Hybrid logical clock: 48 bits of milliseconds since the epoch, then a
 * 16-bit counter.  Pure: the wall clock comes in as an argument.
 */
#define HLC_SHIFT	16
#define HLC_SKEW_MS	(5 * 60 * 1000)	/* Reported by `status` above this. */

/**
 * hlc_next(last, now_ms):
 * The stamp of a local write: max(${now_ms} << 16, ${last} + 1).
 */
uint64_t hlc_next(uint64_t, uint64_t);

/**
 * hlc_ms(h):
 * The milliseconds part of ${h}.
 */
uint64_t hlc_ms(uint64_t);

/**
 * hlc_span(ms, out):
 * How far apart two clocks are, for people: "3 days", "5 hours",
 * "12 minutes" (rounded to the nearest unit).
 */
void hlc_span(uint64_t, char[32]);

#endif /* !STORE_HLC_H */
