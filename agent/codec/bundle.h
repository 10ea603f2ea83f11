#ifndef AGENT_BUNDLE_H
#define AGENT_BUNDLE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <sodium.h>

/*
 * A bundle file carries signed commits between nodes that have no link:
 *
 *   "HAMROHB1"
 *   { u32be len; msgpack [bin body, bin sig] } ...  (len > 0)
 *   u32be 0; u64be count; BLAKE2b-256 of every byte before it
 *
 * The trailer makes truncation detectable; signatures make tampering with
 * a commit detectable.  Bundles are read in one pass, never whole.
 */
#define BUNDLE_MAGIC	"HAMROHB1"
#define BUNDLE_ERRLEN	512

struct bundle_w {
	FILE				*f;
	crypto_generichash_state	h;
	uint64_t			n;
};

/* Start a bundle on ${f}.  Return 0 or -1 (errno). */
int bundle_w_init(struct bundle_w *, FILE *);

/* Append one commit.  Return 0 or -1 (errno). */
int bundle_w_add(struct bundle_w *, const uint8_t *, size_t,
    const uint8_t *);

/* Write the trailer.  Return 0 or -1 (errno). */
int bundle_w_finish(struct bundle_w *);

/**
 * bundle_read(f, fn, arg, err):
 * Read a bundle, calling ${fn}(arg, body, len, sig) per commit (buffers
 * borrowed for the call).  Return the number of commits, or -1 with a
 * one-line reason in ${err} — also when ${fn} fails (it fills ${err}).
 * Callers apply inside a transaction and roll back on -1: the trailer is
 * checked only at the end.
 */
long bundle_read(FILE *, int (*)(void *, const uint8_t *, size_t,
    const uint8_t *, char *), void *, char[BUNDLE_ERRLEN]);

#endif /* !AGENT_BUNDLE_H */
