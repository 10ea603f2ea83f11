/*
 * fuzz_json.c: libFuzzer target for the CLI's text decoders in agent/:
 * JSON objects, CSV records and the line reader.  Compiled against the
 * production sources; reads only the input (through fmemopen).
 *
 * The first byte b picks mode (b - 1) % 3 + 1 (modulo 256 first), so both
 * the bytes 1, 2, 3 and the digits '1', '2', '3' name modes 1, 2, 3:
 *
 *   1  json_parse_object() on the rest.  On success every key and value
 *      is written back with json_put_str()/json_put_val() as one object,
 *      which must parse to the same pairs and print to the same bytes.
 *   2  CSV: the second byte L sets the record limit (L, or 1 MiB when L is
 *      0); csv_next() runs on the rest until end of file or an error,
 *      whose stickiness is checked, as are the field lengths and NULs.
 *   3  line_reader over the rest with max_len set as in mode 2, checked
 *      line by line against a model: split at '\n', drop one '\r' before
 *      it, no line after the final '\n', error iff a line is too long.
 */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/codec/csv.h"
#include "agent/codec/json.h"
#include "store/schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* A FILE reading the ${len} bytes at ${s}; fmemopen() wants len > 0. */
static FILE *
open_bytes(const uint8_t *s, size_t len)
{
	FILE *f;

	f = (len == 0) ? fopen("/dev/null", "r") :
	    fmemopen((void *)(uintptr_t)s, len, "r");
	if (f == NULL)
		abort();
	return (f);
}

/* Write ${o} as one JSON object into a new buffer; set ${len}. */
static char *
print_obj(const struct json_obj *o, size_t *len)
{
	FILE *f;
	char *buf = NULL;
	size_t i;

	if ((f = open_memstream(&buf, len)) == NULL)
		abort();
	putc('{', f);
	for (i = 0; i < o->n; i++) {
		if (i > 0)
			putc(',', f);
		json_put_str(f, o->kv[i].key, o->kv[i].key_len);
		putc(':', f);
		json_put_val(f, &o->kv[i].v);
	}
	putc('}', f);
	if (ferror(f) || fclose(f) != 0)
		abort();
	return (buf);
}

static void
fuzz_json(const uint8_t *in, size_t len)
{
	struct json_obj o, o2;
	const struct json_kv *a, *b;
	char err[256], *out, *out2;
	size_t out_len, out2_len, i;

	memset(err, 'x', sizeof(err));
	if (json_parse_object((const char *)in, len, &o, err,
	    sizeof(err)) != 0) {
		/* One line, NUL-terminated, and nothing held. */
		assert(memchr(err, '\0', sizeof(err)) != NULL);
		assert(strchr(err, '\n') == NULL);
		assert(err[0] != '\0');
		assert(o.n == 0 && o.kv == NULL && o.buf == NULL);
		return;
	}
	assert(o.n <= JSON_MAX_KEYS);
	for (i = 0; i < o.n; i++) {
		a = &o.kv[i];
		assert(a->key[a->key_len] == '\0');
		assert(schema_utf8_valid(a->key, a->key_len));
		if (a->v.t == VAL_STR)
			assert(schema_utf8_valid(a->v.s, a->v.len));
	}

	out = print_obj(&o, &out_len);
	if (json_parse_object(out, out_len, &o2, err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz_json: own output refused: %s\n", err);
		abort();
	}
	assert(o2.n == o.n);
	for (i = 0; i < o.n; i++) {
		a = &o.kv[i];
		b = &o2.kv[i];
		assert(a->key_len == b->key_len);
		assert(memcmp(a->key, b->key, a->key_len) == 0);
		assert(a->v.t == b->v.t);
		if (a->v.t == VAL_STR) {
			assert(a->v.len == b->v.len);
			assert(memcmp(a->v.s, b->v.s, a->v.len) == 0);
		} else if (a->v.t != VAL_NIL)
			assert(a->v.i == b->v.i);
	}
	/* Output depends only on the pairs: printing again is a fixed point. */
	out2 = print_obj(&o2, &out2_len);
	assert(out_len == out2_len && memcmp(out, out2, out_len) == 0);
	free(out2);
	free(out);
	json_obj_fini(&o2);
	json_obj_fini(&o);
	json_obj_fini(&o);
}

static void
fuzz_csv(const uint8_t *in, size_t len, size_t max)
{
	FILE *f;
	struct csv *c;
	char **fields, err[256];
	size_t *lens, n, i, total, records = 0;
	int r;

	f = open_bytes(in, len);
	if ((c = csv_new(f, max)) == NULL)
		abort();
	while ((r = csv_next(c, &fields, &lens, &n, err, sizeof(err))) == 1) {
		records++;
		assert(n >= 1);
		assert(csv_lineno(c) >= records);
		for (i = total = 0; i < n; i++) {
			assert(fields[i][lens[i]] == '\0');
			if (i > 0)
				assert(fields[i] == fields[i - 1] +
				    lens[i - 1] + 1);
			total += lens[i] + 1;
		}
		assert(total <= max);
	}
	if (r == -1) {
		assert(memchr(err, '\0', sizeof(err)) != NULL);
		assert(strchr(err, '\n') == NULL);
		/* Errors are sticky. */
		assert(csv_next(c, &fields, &lens, &n, err, sizeof(err)) == -1);
	} else {
		assert(r == 0);
		/* End of file stays the end. */
		assert(csv_next(c, &fields, &lens, &n, err, sizeof(err)) == 0);
	}
	csv_free(c);
	fclose(f);
}

static void
fuzz_lines(const uint8_t *in, size_t len, size_t max)
{
	FILE *f;
	struct line_reader *lr;
	const char *line, *nl;
	size_t got, want, pos = 0, lineno = 0;
	int r;

	f = open_bytes(in, len);
	if ((lr = line_reader_new(f, max)) == NULL)
		abort();
	for (;;) {
		r = line_reader_next(lr, &line, &got);
		/* The model. */
		if (pos == len) {
			assert(r == 0);
			break;
		}
		nl = memchr(in + pos, '\n', len - pos);
		want = (nl != NULL) ? (size_t)((const uint8_t *)nl -
		    (in + pos)) : len - pos;
		lineno++;
		assert(line_reader_lineno(lr) == lineno);
		if (want > 0 && in[pos + want - 1] == '\r')
			want--;
		if (want > max) {
			assert(r == -1);
			assert(got == max + 1);
			assert(line_reader_next(lr, &line, &got) == -1);
			break;
		}
		assert(r == 1);
		assert(got == want);
		assert(line[got] == '\0');
		assert(memcmp(line, in + pos, got) == 0);
		pos = (nl != NULL) ? (size_t)((const uint8_t *)nl - in) + 1 :
		    len;
	}
	line_reader_free(lr);
	fclose(f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t max;

	if (size < 1)
		return (0);
	switch ((uint8_t)(data[0] - 1) % 3u + 1) {
	case 1:
		fuzz_json(data + 1, size - 1);
		break;
	case 2:
	case 3:
		if (size < 2)
			break;
		max = (data[1] == 0) ? 1024 * 1024 : data[1];
		if ((uint8_t)(data[0] - 1) % 3u + 1 == 2)
			fuzz_csv(data + 2, size - 2, max);
		else
			fuzz_lines(data + 2, size - 2, max);
		break;
	}
	return (0);
}
