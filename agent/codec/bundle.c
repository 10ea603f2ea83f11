/*
 * bundle.c: the bundle file format.
 */
#include "agent/codec/bundle.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "protocol/mpcheck.h"
#include "store/commit.h"

#define ENTRY_MAX	(COMMIT_MAX_LEN + 128)

static void
be_put(uint8_t *p, uint64_t x, size_t n)
{

	while (n-- > 0) {
		p[n] = (uint8_t)x;
		x >>= 8;
	}
}

static uint64_t
be_get(const uint8_t *p, size_t n)
{
	uint64_t x = 0;

	while (n-- > 0)
		x = (x << 8) | *p++;
	return (x);
}

static int
wr(struct bundle_w *w, const void *p, size_t len)
{

	crypto_generichash_update(&w->h, p, len);
	return (fwrite(p, 1, len, w->f) == len ? 0 : -1);
}

int
bundle_w_init(struct bundle_w *w, FILE *f)
{

	w->f = f;
	w->n = 0;
	crypto_generichash_init(&w->h, NULL, 0, crypto_generichash_BYTES);
	return (wr(w, BUNDLE_MAGIC, 8));
}

int
bundle_w_add(struct bundle_w *w, const uint8_t *body, size_t len,
    const uint8_t *sig)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	uint8_t hdr[4];
	int r = -1;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	if (msgpack_pack_array(&pk, 2) ||
	    msgpack_pack_bin_with_body(&pk, body, len) ||
	    msgpack_pack_bin_with_body(&pk, sig, NODE_SIG_LEN)) {
		errno = ENOMEM;
		goto done;
	}
	be_put(hdr, sb.size, 4);
	if (wr(w, hdr, 4) || wr(w, sb.data, sb.size))
		goto done;
	w->n++;
	r = 0;
done:
	msgpack_sbuffer_destroy(&sb);
	return (r);
}

int
bundle_w_finish(struct bundle_w *w)
{
	uint8_t t[12], h[crypto_generichash_BYTES];

	be_put(t, 0, 4);
	be_put(t + 4, w->n, 8);
	if (wr(w, t, sizeof(t)))
		return (-1);
	crypto_generichash_final(&w->h, h, sizeof(h));
	if (fwrite(h, 1, sizeof(h), w->f) != sizeof(h))
		return (-1);
	return (fflush(w->f) == EOF ? -1 : 0);
}

long
bundle_read(FILE *f, int (*fn)(void *, const uint8_t *, size_t,
    const uint8_t *, char *), void *arg, char err[BUNDLE_ERRLEN])
{
	crypto_generichash_state hs;
	msgpack_unpacked up;
	msgpack_object *a;
	uint8_t hdr[12], h[crypto_generichash_BYTES], want[sizeof(h)];
	uint8_t *buf = NULL;
	size_t len, off;
	long n = 0;

	crypto_generichash_init(&hs, NULL, 0, crypto_generichash_BYTES);
	msgpack_unpacked_init(&up);
	if (fread(hdr, 1, 8, f) != 8 || memcmp(hdr, BUNDLE_MAGIC, 8) != 0) {
		snprintf(err, BUNDLE_ERRLEN, "not a hamroh bundle");
		goto fail;
	}
	crypto_generichash_update(&hs, hdr, 8);
	if ((buf = malloc(ENTRY_MAX)) == NULL) {
		snprintf(err, BUNDLE_ERRLEN, "out of memory");
		goto fail;
	}
	for (;;) {
		if (fread(hdr, 1, 4, f) != 4)
			goto truncated;
		crypto_generichash_update(&hs, hdr, 4);
		if ((len = (size_t)be_get(hdr, 4)) == 0)
			break;
		if (len > ENTRY_MAX) {
			snprintf(err, BUNDLE_ERRLEN, "commit %ld declares %zu "
			    "bytes (limit %d); the bundle is damaged", n + 1,
			    len, ENTRY_MAX);
			goto fail;
		}
		if (fread(buf, 1, len, f) != len)
			goto truncated;
		crypto_generichash_update(&hs, buf, len);
		off = 0;
		if (mpcheck(buf, len, 2) || msgpack_unpack_next(&up,
		    (const char *)buf, len, &off) != MSGPACK_UNPACK_SUCCESS ||
		    up.data.type != MSGPACK_OBJECT_ARRAY ||
		    up.data.via.array.size != 2 ||
		    (a = up.data.via.array.ptr)[0].type != MSGPACK_OBJECT_BIN ||
		    !mp_is_bin(&a[1]) ||
		    a[1].via.bin.size != NODE_SIG_LEN) {
			snprintf(err, BUNDLE_ERRLEN, "commit %ld is malformed; "
			    "the bundle is damaged", n + 1);
			goto fail;
		}
		n++;
		if (fn(arg, (const uint8_t *)a[0].via.bin.ptr,
		    a[0].via.bin.size, (const uint8_t *)a[1].via.bin.ptr, err))
			goto fail;
	}
	if (fread(hdr + 4, 1, 8, f) != 8)
		goto truncated;
	crypto_generichash_update(&hs, hdr + 4, 8);
	crypto_generichash_final(&hs, h, sizeof(h));
	if (fread(want, 1, sizeof(want), f) != sizeof(want))
		goto truncated;
	if (sodium_memcmp(h, want, sizeof(h)) != 0 ||
	    be_get(hdr + 4, 8) != (uint64_t)n) {
		snprintf(err, BUNDLE_ERRLEN, "checksum mismatch: the bundle "
		    "was altered or damaged");
		goto fail;
	}
	if (fgetc(f) != EOF) {
		snprintf(err, BUNDLE_ERRLEN, "unexpected bytes after the end "
		    "of the bundle");
		goto fail;
	}
	msgpack_unpacked_destroy(&up);
	free(buf);
	return (n);

truncated:
	snprintf(err, BUNDLE_ERRLEN, "%s after %ld commits: the bundle is "
	    "truncated", ferror(f) ? "read error" : "unexpected end", n);
fail:
	msgpack_unpacked_destroy(&up);
	free(buf);
	return (-1);
}
