/*
 * test_json.c: agent/codec/json.c (JSON Lines in, JSON out, line reader) and
 * agent/codec/csv.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/codec/csv.h"
#include "agent/codec/json.h"

/* A FILE reading the ${len} bytes at ${s}; fmemopen() wants len > 0. */
static FILE *
open_bytes(const char *s, size_t len)
{
	FILE *f;

	f = (len == 0) ? fopen("/dev/null", "r") :
	    fmemopen((void *)(uintptr_t)s, len, "r");
	assert_non_null(f);
	return (f);
}

static const struct val *
get(const struct json_obj *o, const char *key)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		if (strcmp(o->kv[i].key, key) == 0)
			return (&o->kv[i].v);
	fail_msg("no key %s", key);
	return (NULL);
}

static void
parse_ok(const char *s, struct json_obj *o)
{
	char err[256] = "";

	if (json_parse_object(s, strlen(s), o, err, sizeof(err)) != 0)
		fail_msg("%s: %s", s, err);
}

/* Parsing ${len} bytes at ${s} fails with a message containing ${want}. */
static void
parse_bad_n(const char *s, size_t len, const char *want)
{
	struct json_obj o;
	char err[256] = "";

	if (json_parse_object(s, len, &o, err, sizeof(err)) == 0)
		fail_msg("accepted: %s", s);
	if (strstr(err, want) == NULL)
		fail_msg("%s: got \"%s\", want \"%s\"", s, err, want);
	assert_null(strchr(err, '\n'));
	assert_int_equal(o.n, 0);
	assert_null(o.kv);
	json_obj_fini(&o);
}

static void
parse_bad(const char *s, const char *want)
{

	parse_bad_n(s, strlen(s), want);
}

static void
test_types(void **state)
{
	struct json_obj o;
	const struct val *v;

	(void)state;
	parse_ok("{\"s\":\"hi\",\"i\":-42,\"t\":true,\"f\":false,\"n\":null,"
	    "\"z\":0,\"e\":\"\",\"max\":9223372036854775807,"
	    "\"min\":-9223372036854775808}", &o);
	assert_int_equal(o.n, 9);
	assert_string_equal(o.kv[0].key, "s");
	assert_int_equal(o.kv[0].key_len, 1);
	v = get(&o, "s");
	assert_int_equal(v->t, VAL_STR);
	assert_int_equal(v->len, 2);
	assert_memory_equal(v->s, "hi", 3);
	v = get(&o, "i");
	assert_int_equal(v->t, VAL_INT);
	assert_true(v->i == -42);
	v = get(&o, "t");
	assert_int_equal(v->t, VAL_BOOL);
	assert_int_equal(v->i, 1);
	v = get(&o, "f");
	assert_int_equal(v->t, VAL_BOOL);
	assert_int_equal(v->i, 0);
	assert_int_equal(get(&o, "n")->t, VAL_NIL);
	assert_true(get(&o, "z")->i == 0);
	assert_int_equal(get(&o, "e")->t, VAL_STR);
	assert_int_equal(get(&o, "e")->len, 0);
	assert_true(get(&o, "max")->i == INT64_MAX);
	assert_true(get(&o, "min")->i == INT64_MIN);
	json_obj_fini(&o);
	json_obj_fini(&o);
}

static void
test_whitespace(void **state)
{
	struct json_obj o;
	char err[128];

	(void)state;
	parse_ok(" \t{ \"a\" : 1 ,\r\n\"b\"\t:\"x\" } \t\r", &o);
	assert_int_equal(o.n, 2);
	assert_true(get(&o, "a")->i == 1);
	json_obj_fini(&o);
	parse_ok("{}", &o);
	assert_int_equal(o.n, 0);
	json_obj_fini(&o);
	parse_ok(" { } ", &o);
	assert_int_equal(o.n, 0);
	json_obj_fini(&o);

	/* Only ${len} bytes count: no NUL needed, none read past. */
	assert_int_equal(json_parse_object("{\"a\":1}xyz", 7, &o, err,
	    sizeof(err)), 0);
	assert_int_equal(o.n, 1);
	json_obj_fini(&o);
	parse_bad_n("{\"a\":12}", 6, "unexpected end of line");
}

static void
test_escapes(void **state)
{
	struct json_obj o;
	const struct val *v;

	(void)state;
	parse_ok("{\"a\":\"\\\"\\\\\\/\\n\\r\\t\","
	    "\"u\":\"\\u0041\\u00e9\\u20AC\\ud83d\\ude00\","
	    "\"raw\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\","
	    "\"k\\u00e9y\\n\":1}", &o);
	v = get(&o, "a");
	assert_int_equal(v->len, 6);
	assert_memory_equal(v->s, "\"\\/\n\r\t", 7);
	v = get(&o, "u");
	assert_int_equal(v->len, 10);
	assert_memory_equal(v->s, "A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 11);
	v = get(&o, "raw");
	assert_int_equal(v->len, 9);
	assert_memory_equal(v->s, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 10);
	assert_true(get(&o, "k\xc3\xa9y\n")->i == 1);
	assert_int_equal(o.kv[3].key_len, 5);
	json_obj_fini(&o);
}

static void
test_errors(void **state)
{
	static const struct {
		const char *in;
		const char *want;
	} t[] = {
		{ "{\"a\":1.5}", "field 'a': numbers must be whole" },
		{ "{\"a\":1e3}", "field 'a': numbers must be whole" },
		{ "{\"a\":-2E1}", "field 'a': numbers must be whole" },
		{ "{\"a\":9223372036854775808}", "field 'a': number is out "
		    "of range" },
		{ "{\"a\":-9223372036854775809}", "field 'a': number is out "
		    "of range" },
		{ "{\"a\":{\"b\":1}}", "field 'a': nested values are not "
		    "supported" },
		{ "{\"a\":[1]}", "field 'a': nested values are not "
		    "supported" },
		{ "{\"a\":1,\"b\":2,\"a\":3}", "duplicate key 'a'" },
		{ "{\"\\u0061\":1,\"a\":2}", "duplicate key 'a'" },
		{ "{\"a\":1} x", "invalid JSON (unexpected 'x' at column 9)" },
		{ "{\"a\":1}}", "invalid JSON (unexpected '}' at column 8)" },
		{ "{\"a\":1}{}", "invalid JSON (unexpected '{' at column 8)" },
		{ "{\"a\":1,}", "invalid JSON (unexpected '}' at column 8)" },
		{ "{\"a\":1", "invalid JSON (unexpected end of line)" },
		{ "{\"a\":\"x", "invalid JSON (unexpected end of line)" },
		{ "{\"a\":", "invalid JSON (unexpected end of line)" },
		{ "", "invalid JSON (unexpected end of line)" },
		{ "   ", "invalid JSON (unexpected end of line)" },
		{ "[1]", "invalid JSON (unexpected '[' at column 1)" },
		{ "{a:1}", "invalid JSON (unexpected 'a' at column 2)" },
		{ "{\"a\" 1}", "invalid JSON (unexpected '1' at column 6)" },
		{ "{\"a\":1 \"b\":2}", "unexpected '\"' at column 8" },
		{ "{\"a\":01}", "invalid JSON (unexpected '1' at column 7)" },
		{ "{\"a\":-}", "invalid JSON (unexpected '}' at column 7)" },
		{ "{\"a\":+1}", "invalid JSON (unexpected '+' at column 6)" },
		{ "{\"a\":tru}", "invalid JSON (unexpected '}' at column 9)" },
		{ "{\"a\":nul", "invalid JSON (unexpected end of line)" },
		{ "{\"a\":True}", "invalid JSON (unexpected 'T' at column 6)" },
		{ "{\"a\":truex}", "(unexpected 'x' at column 10)" },
		{ "{\"a\":'x'}", "unexpected ''' at column 6" },
		{ "{\"a\":\x01}", "unexpected byte 0x01 at column 6" },
		{ "{\"a\":\"\\q\"}", "invalid JSON (bad escape at column 7)" },
		{ "{\"a\":\"\\u12\"}", "(bad escape at column 7)" },
		{ "{\"a\":\"\\u12g4\"}", "bad escape at column 7" },
		{ "{\"a\":\"x\\", "bad escape at column 8" },
		{ "{\"a\":\"a\tb\"}", "unescaped control character at "
		    "column 8" },
		{ "{\"a\":\"\\ud800\"}", "invalid UTF-8 in field 'a'" },
		{ "{\"a\":\"\\ud800x\"}", "invalid UTF-8 in field 'a'" },
		{ "{\"a\":\"\\udc00\\ud800\"}", "invalid UTF-8 in field 'a'" },
		{ "{\"a\":\"\\ud800\\u0041\"}", "invalid UTF-8 in field 'a'" },
		{ "{\"a\":\"\\ud800\\ud800\"}", "invalid UTF-8 in field 'a'" },
		{ "{\"\\udfff\":1}", "invalid UTF-8 in a key" },
		{ "{\"a\":\"\xff\"}", "invalid UTF-8 in field 'a'" },
		{ "{\"a\":\"x\xc3\"}", "invalid UTF-8 in field 'a'" },
		{ "{\"a\":\"\xc0\xaf\"}", "invalid UTF-8 in field 'a'" },
		{ "{\"a\":\"\xed\xa0\x80\"}", "invalid UTF-8 in field 'a'" },
		{ "{\"a\xff\":1}", "invalid UTF-8 in a key" },
		{ "{\"a\":\"\\u0000\"}", "control character in field 'a'" },
		{ "{\"a\":\"\\u001b\"}", "control character in field 'a'" },
		{ "{\"a\":\"\\b\"}", "control character in field 'a'" },
		{ "{\"a\":\"x\\f\"}", "control character in field 'a'" },
		{ "{\"a\\u0001\":1}", "control character in a key" },
		{ "{\"it's\\n\":1,\"it's\\n\":1}", "duplicate key 'it?s?'" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		parse_bad(t[i].in, t[i].want);

	/* NUL bytes in the input are bytes like any other. */
	parse_bad_n("{\"a\":\"\0\"}", 9, "unescaped control character at "
	    "column 7");
	parse_bad_n("{\"a\":1}\0", 8, "unexpected byte 0x00 at column 8");
}

static void
test_key_limit(void **state)
{
	struct json_obj o;
	char *s, *p, err[128];
	int n;

	(void)state;
	assert_non_null(s = malloc(300 * 16));
	for (n = 256; n <= 257; n++) {
		p = s;
		*p++ = '{';
		for (int i = 0; i < n; i++)
			p += sprintf(p, "%s\"k%d\":%d", i ? "," : "", i, i);
		*p++ = '}';
		if (n == 256) {
			assert_int_equal(json_parse_object(s, (size_t)(p - s),
			    &o, err, sizeof(err)), 0);
			assert_int_equal(o.n, 256);
			assert_true(get(&o, "k255")->i == 255);
			json_obj_fini(&o);
		} else
			parse_bad_n(s, (size_t)(p - s), "more than 256 keys");
	}
	free(s);
}

/* Long keys are cut in messages, on a character boundary. */
static void
test_long_key_message(void **state)
{
	char in[256], err[256];
	struct json_obj o;

	(void)state;
	snprintf(in, sizeof(in), "{\"%s\xc3\xa9%s\":1.5}",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbb");
	assert_int_equal(json_parse_object(in, strlen(in), &o, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "field "
	    "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...': numbers must be "
	    "whole");
}

static char *
put_str(const char *s, size_t len, size_t *outlen)
{
	char *out = NULL;
	FILE *f;

	assert_non_null(f = open_memstream(&out, outlen));
	json_put_str(f, s, len);
	assert_int_equal(fclose(f), 0);
	return (out);
}

static void
test_put_str(void **state)
{
	static const char want[] = "\"a\\\"b\\\\c/\\n\\r\\t\\b\\f"
	    "\\u0000\\u0001\\u001f\x7f\xc3\xa9\"";
	char *out;
	size_t len;

	(void)state;
	out = put_str("a\"b\\c/\n\r\t\b\f\0\x01\x1f\x7f\xc3\xa9", 17, &len);
	assert_int_equal(len, sizeof(want) - 1);
	assert_memory_equal(out, want, len);
	free(out);
	out = put_str("", 0, &len);
	assert_string_equal(out, "\"\"");
	free(out);
}

static void
test_put_roundtrip(void **state)
{
	static const char text[] = "plain \"quoted\" back\\slash /\n"
	    "line\r\ttab \xd0\x9f\xd1\x80\xd0\xb8 \xe2\x82\xac \xf0\x9f\x98\x80"
	    " \x7f";
	const struct val *v;
	struct json_obj o;
	char line[512], err[128], *out;
	size_t len;

	(void)state;
	out = put_str(text, sizeof(text) - 1, &len);
	snprintf(line, sizeof(line), "{\"k\":%s}", out);
	free(out);
	assert_int_equal(json_parse_object(line, strlen(line), &o, err,
	    sizeof(err)), 0);
	v = get(&o, "k");
	assert_int_equal(v->len, sizeof(text) - 1);
	assert_memory_equal(v->s, text, sizeof(text));
	json_obj_fini(&o);

	/* Control bytes are written escaped and refused when read back. */
	out = put_str("a\x01", 2, &len);
	snprintf(line, sizeof(line), "{\"k\":%s}", out);
	free(out);
	parse_bad(line, "control character in field 'k'");
}

static void
test_put_val(void **state)
{
	struct val v[] = {
		{ .t = VAL_NIL },
		{ .t = VAL_STR, .s = "x\"y", .len = 3 },
		{ .t = VAL_STR, .s = "cut", .len = 2 },
		{ .t = VAL_INT, .i = INT64_MIN },
		{ .t = VAL_INT, .i = 120 },
		{ .t = VAL_BOOL, .i = 1 },
		{ .t = VAL_BOOL, .i = 0 },
	};
	char *out = NULL;
	size_t len, i;
	FILE *f;

	(void)state;
	assert_non_null(f = open_memstream(&out, &len));
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		json_put_val(f, &v[i]);
		putc(' ', f);
	}
	assert_int_equal(fclose(f), 0);
	assert_string_equal(out, "null \"x\\\"y\" \"cu\" "
	    "-9223372036854775808 120 true false ");
	free(out);
}

static void
test_lines(void **state)
{
	static const char in[] = "a\nbb\r\n\n\r\nccc";
	struct line_reader *r;
	const char *line;
	size_t len;
	FILE *f;

	(void)state;
	f = open_bytes(in, sizeof(in) - 1);
	assert_non_null(r = line_reader_new(f, 100));
	assert_int_equal(line_reader_next(r, &line, &len), 1);
	assert_int_equal(len, 1);
	assert_string_equal(line, "a");
	assert_int_equal(line_reader_lineno(r), 1);
	assert_int_equal(line_reader_next(r, &line, &len), 1);
	assert_string_equal(line, "bb");
	assert_int_equal(len, 2);
	assert_int_equal(line_reader_next(r, &line, &len), 1);
	assert_int_equal(len, 0);
	assert_int_equal(line_reader_next(r, &line, &len), 1);
	assert_int_equal(len, 0);
	assert_int_equal(line_reader_next(r, &line, &len), 1);
	assert_string_equal(line, "ccc");
	assert_int_equal(line_reader_lineno(r), 5);
	assert_int_equal(line_reader_next(r, &line, &len), 0);
	assert_int_equal(line_reader_next(r, &line, &len), 0);
	line_reader_free(r);
	fclose(f);

	/* Nothing after a final newline; an empty file has no lines. */
	f = open_bytes("x\n", 2);
	assert_non_null(r = line_reader_new(f, 100));
	assert_int_equal(line_reader_next(r, &line, &len), 1);
	assert_string_equal(line, "x");
	assert_int_equal(line_reader_next(r, &line, &len), 0);
	line_reader_free(r);
	fclose(f);
	f = open_bytes("", 0);
	assert_non_null(r = line_reader_new(f, 100));
	assert_int_equal(line_reader_next(r, &line, &len), 0);
	assert_int_equal(line_reader_lineno(r), 0);
	line_reader_free(r);
	fclose(f);
	line_reader_free(NULL);
}

static void
test_lines_too_long(void **state)
{
	static const char in[] = "abcd\nabc\r\nabcd\r\nabcde\nok\n";
	struct line_reader *r;
	const char *line;
	size_t len;
	FILE *f;
	char *big;

	(void)state;
	f = open_bytes(in, sizeof(in) - 1);
	assert_non_null(r = line_reader_new(f, 4));
	assert_int_equal(line_reader_next(r, &line, &len), 1);
	assert_string_equal(line, "abcd");
	assert_int_equal(line_reader_next(r, &line, &len), 1);
	assert_string_equal(line, "abc");
	assert_int_equal(line_reader_next(r, &line, &len), 1);
	assert_string_equal(line, "abcd");
	assert_int_equal(line_reader_next(r, &line, &len), -1);
	assert_int_equal(len, 5);
	assert_int_equal(line_reader_lineno(r), 4);
	assert_int_equal(ferror(f), 0);
	/* Refusal is final. */
	assert_int_equal(line_reader_next(r, &line, &len), -1);
	line_reader_free(r);
	fclose(f);

	/* A line far past the limit, with no newline at all. */
	assert_non_null(big = malloc(1 << 20));
	memset(big, 'x', 1 << 20);
	f = open_bytes(big, 1 << 20);
	assert_non_null(r = line_reader_new(f, 1000));
	assert_int_equal(line_reader_next(r, &line, &len), -1);
	assert_int_equal(len, 1001);
	assert_int_equal(line_reader_lineno(r), 1);
	line_reader_free(r);
	fclose(f);

	/* A line just at a large limit goes through the growing buffer. */
	big[5000] = '\n';
	f = open_bytes(big, 5001);
	assert_non_null(r = line_reader_new(f, 5000));
	assert_int_equal(line_reader_next(r, &line, &len), 1);
	assert_int_equal(len, 5000);
	assert_int_equal(line_reader_next(r, &line, &len), 0);
	line_reader_free(r);
	fclose(f);
	free(big);
}

/* Read one CSV record and check it equals the NULL-ended ${want}. */
static void
csv_want(struct csv *c, size_t lineno, const char *const *want)
{
	char **fields, err[128] = "";
	size_t *lens, n, i;

	if (csv_next(c, &fields, &lens, &n, err, sizeof(err)) != 1)
		fail_msg("csv_next: %s", err);
	assert_int_equal(csv_lineno(c), lineno);
	for (i = 0; want[i] != NULL; i++) {
		assert_true(i < n);
		assert_int_equal(lens[i], strlen(want[i]));
		assert_string_equal(fields[i], want[i]);
	}
	assert_int_equal(n, i);
}

static void
csv_eof(struct csv *c)
{
	char **fields, err[128];
	size_t *lens, n;

	assert_int_equal(csv_next(c, &fields, &lens, &n, err, sizeof(err)),
	    0);
}

static void
test_csv(void **state)
{
	static const char in[] = "\xef\xbb\xbfname,age,note\r\n"
	    "\"Doe, Jane\",34,\"said \"\"hi\"\"\"\r\n"
	    "x,,\"two\nlines\"\n"
	    "\"\",\"crlf\r\nkept\",\n"
	    "\n"
	    "a\rb,\"\"\"\"\n"
	    "last,no newline";
	struct csv *c;
	FILE *f;

	(void)state;
	f = open_bytes(in, sizeof(in) - 1);
	assert_non_null(c = csv_new(f, 1000));
	csv_want(c, 1, (const char *const[]){ "name", "age", "note", NULL });
	csv_want(c, 2, (const char *const[]){ "Doe, Jane", "34",
	    "said \"hi\"", NULL });
	csv_want(c, 3, (const char *const[]){ "x", "", "two\nlines", NULL });
	csv_want(c, 5, (const char *const[]){ "", "crlf\r\nkept", "", NULL });
	csv_want(c, 8, (const char *const[]){ "a\rb", "\"", NULL });
	csv_want(c, 9, (const char *const[]){ "last", "no newline", NULL });
	csv_eof(c);
	csv_eof(c);
	csv_free(c);
	fclose(f);
	csv_free(NULL);
}

static void
test_csv_edges(void **state)
{
	struct csv *c;
	FILE *f;

	(void)state;
	/* Blank final lines are not records; a bare BOM is no record. */
	f = open_bytes("a\n\n\r\n", 5);
	assert_non_null(c = csv_new(f, 100));
	csv_want(c, 1, (const char *const[]){ "a", NULL });
	csv_eof(c);
	csv_free(c);
	fclose(f);
	f = open_bytes("\xef\xbb\xbf", 3);
	assert_non_null(c = csv_new(f, 100));
	csv_eof(c);
	csv_free(c);
	fclose(f);
	f = open_bytes("", 0);
	assert_non_null(c = csv_new(f, 100));
	csv_eof(c);
	csv_free(c);
	fclose(f);

	/* Text that merely starts like a BOM is kept. */
	f = open_bytes("\xef\xbf\xbd,\xef\n", 6);
	assert_non_null(c = csv_new(f, 100));
	csv_want(c, 1, (const char *const[]){ "\xef\xbf\xbd", "\xef", NULL });
	csv_eof(c);
	csv_free(c);
	fclose(f);
	f = open_bytes("\xef\xbb", 2);
	assert_non_null(c = csv_new(f, 100));
	csv_want(c, 1, (const char *const[]){ "\xef\xbb", NULL });
	csv_free(c);
	fclose(f);

	/* A record just at the limit: 7 bytes and a NUL. */
	f = open_bytes("1234567\n", 8);
	assert_non_null(c = csv_new(f, 8));
	csv_want(c, 1, (const char *const[]){ "1234567", NULL });
	csv_eof(c);
	csv_free(c);
	fclose(f);

	/* Many fields grow the field arrays. */
	f = open_bytes(",,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,", 40);
	assert_non_null(c = csv_new(f, 100));
	csv_want(c, 1, (const char *const[]){ "", "", "", "", "", "", "", "",
	    "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "",
	    "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "",
	    "", NULL });
	csv_free(c);
	fclose(f);
}

/* ${in} is read with ${sep}, its first record ${want} on ${line}. */
static void
csv_sep_want(const char *in, size_t line, int sep, const char *const *want)
{
	struct csv *c;
	FILE *f;

	f = open_bytes(in, strlen(in));
	assert_non_null(c = csv_new(f, 1000));
	assert_int_equal(csv_sep(c), ',');
	csv_want(c, line, want);
	assert_int_equal(csv_sep(c), sep);
	csv_free(c);
	fclose(f);
}

static void
test_csv_separators(void **state)
{
	/* Excel in a Russian locale: BOM, ';', CRLF, quotes where needed. */
	static const char ru[] = "\xef\xbb\xbf" "center;summary;age\r\n"
	    "Khujand;\"\xd0\x94\xd0\xb0; \"\"x\"\"\r\ny\";34\r\n"
	    "\n"
	    "Kulob;a,b;\r\n";
	struct csv *c;
	FILE *f;

	(void)state;
	f = open_bytes(ru, sizeof(ru) - 1);
	assert_non_null(c = csv_new(f, 1000));
	csv_want(c, 1, (const char *const[]){ "center", "summary", "age",
	    NULL });
	assert_int_equal(csv_sep(c), ';');
	csv_want(c, 2, (const char *const[]){ "Khujand",
	    "\xd0\x94\xd0\xb0; \"x\"\r\ny", "34", NULL });
	csv_want(c, 5, (const char *const[]){ "Kulob", "a,b", "", NULL });
	csv_eof(c);
	csv_free(c);
	fclose(f);

	csv_sep_want("a\tb\tc\n1\t2\t3\n", 1, '\t',
	    (const char *const[]){ "a", "b", "c", NULL });
	/* The one it holds most; quoted separators do not count. */
	csv_sep_want("\"a;b;c\",d\n", 1, ',',
	    (const char *const[]){ "a;b;c", "d", NULL });
	csv_sep_want("a,b;c;d\n", 1, ';',
	    (const char *const[]){ "a,b", "c", "d", NULL });
	csv_sep_want("\"x\"\"y,z\";b\n", 1, ';',
	    (const char *const[]){ "x\"y,z", "b", NULL });
	/* A tie: comma first, then semicolon; none: comma (one column). */
	csv_sep_want("a,b;c\n", 1, ',', (const char *const[]){ "a", "b;c", NULL });
	csv_sep_want("a;b\tc\n", 1, ';', (const char *const[]){ "a", "b\tc",
	    NULL });
	csv_sep_want("one column\n", 1, ',', (const char *const[]){ "one column",
	    NULL });
	/* Leading blank lines, and a line break inside quotes, are skipped. */
	csv_sep_want("\r\n\n\"a\nb,c\";d\n", 3, ';',
	    (const char *const[]){ "a\nb,c", "d", NULL });
	/* Only the header chooses: a later line with more ';' changes nothing. */
	f = open_bytes("a,b\n1;2;3,4\n", 12);
	assert_non_null(c = csv_new(f, 100));
	csv_want(c, 1, (const char *const[]){ "a", "b", NULL });
	csv_want(c, 2, (const char *const[]){ "1;2;3", "4", NULL });
	assert_int_equal(csv_sep(c), ',');
	csv_free(c);
	fclose(f);
}

/* The first record of ${in} is refused with a message holding ${want}. */
static void
csv_bad(const char *in, size_t max, size_t lineno, const char *want)
{
	char **fields, err[128] = "";
	size_t *lens, n;
	struct csv *c;
	FILE *f;

	f = open_bytes(in, strlen(in));
	assert_non_null(c = csv_new(f, max));
	while (csv_next(c, &fields, &lens, &n, err, sizeof(err)) == 1)
		;
	if (strstr(err, want) == NULL)
		fail_msg("%s: got \"%s\", want \"%s\"", in, err, want);
	assert_int_equal(csv_lineno(c), lineno);
	assert_int_equal(csv_next(c, &fields, &lens, &n, err, sizeof(err)),
	    -1);
	csv_free(c);
	fclose(f);
}

static void
test_csv_errors(void **state)
{

	(void)state;
	csv_bad("a,\"bc\nd\n", 100, 1, "unterminated quoted field");
	csv_bad("ok\n\"", 100, 2, "unterminated quoted field");
	csv_bad("ok\nab,c\"d\n", 100, 2, "stray quote in unquoted field at "
	    "column 5");
	csv_bad("\"a\"b\n", 100, 1, "unexpected character after closing "
	    "quote at column 4");
	csv_bad("\"a\" ,b\n", 100, 1, "at column 4");
	csv_bad("12345678\n", 8, 1, "record longer than 8 bytes");
	csv_bad("a,b,c,d,e\n", 9, 1, "record longer than 9 bytes");
	csv_bad("\"1234\n5678\"\n", 8, 1, "record longer than 8 bytes");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_whitespace),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_key_limit),
		cmocka_unit_test(test_long_key_message),
		cmocka_unit_test(test_put_str),
		cmocka_unit_test(test_put_roundtrip),
		cmocka_unit_test(test_put_val),
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_lines_too_long),
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_csv_edges),
		cmocka_unit_test(test_csv_separators),
		cmocka_unit_test(test_csv_errors),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
