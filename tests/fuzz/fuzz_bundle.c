/*
 * fuzz_bundle.c: libFuzzer target for bundle files (agent/codec/bundle.c), with
 * every commit body it yields fed on to commit_decode() (store/commit.c).
 * Compiled against the production sources; reads only the input.
 *
 * One mode only, so there is no mode byte: the whole input is the file,
 * and a bundle written by `hamroh bundle export` is a seed as it is.
 * Checked: bundle_read() returns the number of times it called back, or
 * -1 with a one-line reason (the callback's own when the callback failed;
 * a second read fails the first callback on purpose); every byte of each
 * body and signature it hands out is readable (ASan checks).
 */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "agent/codec/bundle.h"
#include "store/commit.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct ctx {
	long		calls;
	long		decoded;
	int		fail_at;	/* Fail the call with this number. */
};

static int
each(void *arg, const uint8_t *body, size_t len, const uint8_t *sig,
    char *err)
{
	struct ctx *x = arg;
	struct commit c;
	const char *why;
	uint8_t h[COMMIT_HASH_LEN];

	x->calls++;
	/* Touch every byte we were given: ASan checks the bounds. */
	commit_hash(body, len, h);
	commit_hash(sig, NODE_SIG_LEN, h);
	if (commit_decode(body, len, &c, &why) == 0) {
		x->decoded++;
		commit_fini(&c);
	}
	if (x->calls == x->fail_at) {
		snprintf(err, BUNDLE_ERRLEN, "callback failed");
		return (-1);
	}
	return (0);
}

/* Read the bundle once; return the number of callbacks. */
static long
read_once(const uint8_t *data, size_t size, int fail_at)
{
	struct ctx x = { 0, 0, fail_at };
	char err[BUNDLE_ERRLEN];
	FILE *f;
	long n;

	f = (size == 0) ? fopen("/dev/null", "r") :
	    fmemopen((void *)(uintptr_t)data, size, "r");
	if (f == NULL)
		abort();
	memset(err, 'x', sizeof(err));
	n = bundle_read(f, each, &x, err);
	if (n >= 0) {
		assert(n == x.calls);
		assert(fail_at == 0 || fail_at > x.calls);
	} else {
		assert(memchr(err, '\0', sizeof(err)) != NULL);
		assert(strchr(err, '\n') == NULL);
		if (fail_at > 0 && x.calls == fail_at)
			assert(strcmp(err, "callback failed") == 0);
	}
	fclose(f);
	return (x.calls);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;

	if (!init) {
		if (sodium_init() < 0)
			abort();
		init = 1;
	}
	/* If it called back, again with the callback failing the first. */
	if (read_once(data, size, 0) > 0)
		(void)read_once(data, size, 1);
	return (0);
}
