/*
 * json.c: strict JSON Lines input (one flat object per line) and
 * deterministic JSON output for import and export.  No allocation grows
 * with anything but the input line, which the line reader bounds.
 */
#include "agent/codec/json.h"

#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/schema.h"

/* Bytes of a key quoted in a message, so one line stays readable. */
#define KEY_SHOWN	40

struct parser {
	const char	*s;
	size_t		len;
	size_t		pos;		/* Next byte of s. */
	char		*out;		/* Next free byte of o->buf. */
	char		*err;
	size_t		err_len;
	char		kname[KEY_SHOWN + 4];	/* Current key, printable. */
	char		who[KEY_SHOWN + 16];	/* "field 'x'" or "a key". */
};

static int fail(struct parser *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static int
fail(struct parser *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->err, p->err_len, fmt, ap);
	va_end(ap);
	return (-1);
}

/* Report the byte at p->pos (or the end of the line) as unexpected. */
static int
unexpected(struct parser *p)
{
	unsigned char c;

	if (p->pos >= p->len)
		return (fail(p, "invalid JSON (unexpected end of line)"));
	c = (unsigned char)p->s[p->pos];
	if (c >= 0x20 && c < 0x7f)
		return (fail(p, "invalid JSON (unexpected '%c' at column %zu)",
		    c, p->pos + 1));
	return (fail(p, "invalid JSON (unexpected byte 0x%02x at column %zu)",
	    c, p->pos + 1));
}

static void
ws(struct parser *p)
{

	while (p->pos < p->len && (p->s[p->pos] == ' ' ||
	    p->s[p->pos] == '\t' || p->s[p->pos] == '\n' ||
	    p->s[p->pos] == '\r'))
		p->pos++;
}

static bool
peek(const struct parser *p, char c)
{

	return (p->pos < p->len && p->s[p->pos] == c);
}

/* Consume ${c} or report what is there instead. */
static int
expect(struct parser *p, char c)
{

	ws(p);
	if (!peek(p, c))
		return (unexpected(p));
	p->pos++;
	return (0);
}

/* Remember the (valid UTF-8) key ${k} for messages, made printable. */
static void
name_key(struct parser *p, const char *k, size_t len)
{
	size_t i, n = len;

	if (n > KEY_SHOWN) {
		n = KEY_SHOWN;
		while (n > 0 && ((unsigned char)k[n] & 0xc0) == 0x80)
			n--;		/* Cut on a character boundary. */
	}
	for (i = 0; i < n; i++)
		p->kname[i] = ((unsigned char)k[i] < 0x20 || k[i] == 0x7f ||
		    k[i] == '\'') ? '?' : k[i];
	strcpy(p->kname + n, n < len ? "..." : "");
	snprintf(p->who, sizeof(p->who), "field '%s'", p->kname);
}

static int
hex4(const struct parser *p, size_t at, uint32_t *cp)
{
	size_t i;
	char c;

	if (p->len - at < 4)
		return (-1);
	for (*cp = 0, i = at; i < at + 4; i++) {
		c = p->s[i];
		if (c >= '0' && c <= '9')
			*cp = (*cp << 4) | (uint32_t)(c - '0');
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			*cp = (*cp << 4) | (uint32_t)((c | 0x20) - 'a' + 10);
		else
			return (-1);
	}
	return (0);
}

static char *
put_utf8(char *o, uint32_t cp)
{
	static const unsigned char lead[] = { 0x00, 0xc0, 0xe0, 0xf0 };
	int n = (cp < 0x80) ? 0 : (cp < 0x800) ? 1 : (cp < 0x10000) ? 2 : 3;

	*o++ = (char)(lead[n] | (cp >> (6 * n)));
	while (n-- > 0)
		*o++ = (char)(0x80 | ((cp >> (6 * n)) & 0x3f));
	return (o);
}

/*
 * Decode the string starting at the '"' at p->pos into p->out.  Every
 * form of a character in JSON is at least as long as its UTF-8, and the
 * two quotes pay for the NUL, so the output never outgrows the input.
 */
static int
parse_string(struct parser *p, char **sp, size_t *lenp)
{
	char *o = p->out;
	unsigned char c;
	uint32_t cp, lo;
	size_t at, i;

	for (p->pos++; ; ) {
		if (p->pos >= p->len)
			return (unexpected(p));
		c = (unsigned char)p->s[p->pos];
		if (c == '"')
			break;
		if (c < 0x20)
			return (fail(p, "invalid JSON (unescaped control "
			    "character at column %zu)", p->pos + 1));
		if (c != '\\') {
			*o++ = (char)c;
			p->pos++;
			continue;
		}
		at = p->pos;
		c = (p->pos + 1 < p->len) ? (unsigned char)p->s[p->pos + 1] : 0;
		p->pos += 2;
		switch (c) {
		case '"': case '\\': case '/':	*o++ = (char)c; continue;
		case 'b':	*o++ = '\b'; continue;
		case 'f':	*o++ = '\f'; continue;
		case 'n':	*o++ = '\n'; continue;
		case 'r':	*o++ = '\r'; continue;
		case 't':	*o++ = '\t'; continue;
		case 'u':
			if (hex4(p, p->pos, &cp) == 0)
				break;
			__attribute__((fallthrough));
		default:
			return (fail(p, "invalid JSON (bad escape at column "
			    "%zu)", at + 1));
		}
		p->pos += 4;
		if (cp >= 0xd800 && cp <= 0xdbff && p->len - p->pos >= 6 &&
		    p->s[p->pos] == '\\' && p->s[p->pos + 1] == 'u' &&
		    hex4(p, p->pos + 2, &lo) == 0 &&
		    lo >= 0xdc00 && lo <= 0xdfff) {
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			p->pos += 6;
		} else if (cp >= 0xd800 && cp <= 0xdfff)
			return (fail(p, "invalid UTF-8 in %s (unpaired "
			    "surrogate at column %zu)", p->who, at + 1));
		o = put_utf8(o, cp);
	}
	p->pos++;
	*o = '\0';
	*sp = p->out;
	*lenp = (size_t)(o - p->out);
	p->out = o + 1;

	if (!schema_utf8_valid(*sp, *lenp)) {
		for (i = 0; i < *lenp; i++) {
			c = (unsigned char)(*sp)[i];
			if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
				return (fail(p, "control character in %s",
				    p->who));
		}
		return (fail(p, "invalid UTF-8 in %s", p->who));
	}
	return (0);
}

/* Parse an integer; JSON's fractions and exponents are refused. */
static int
parse_number(struct parser *p, int64_t *ip)
{
	uint64_t m = 0, lim = INT64_MAX;
	unsigned d;
	bool neg = false;

	if (peek(p, '-')) {
		neg = true;
		lim = (uint64_t)INT64_MAX + 1;
		p->pos++;
	}
	if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9')
		return (unexpected(p));
	/* m stays 0 only after a leading "0", which ends the digits. */
	do {
		d = (unsigned)(p->s[p->pos++] - '0');
		if (m > (lim - d) / 10)
			return (fail(p, "%s: number is out of range "
			    "(64-bit integers only)", p->who));
		m = m * 10 + d;
	} while (m != 0 && p->pos < p->len && p->s[p->pos] >= '0' &&
	    p->s[p->pos] <= '9');
	if (peek(p, '.') || peek(p, 'e') || peek(p, 'E'))
		return (fail(p, "%s: numbers must be whole", p->who));
	if (!neg)
		*ip = (int64_t)m;
	else
		*ip = (m == lim) ? INT64_MIN : -(int64_t)m;
	return (0);
}

/* Consume ${word} or report the first byte that differs. */
static int
literal(struct parser *p, const char *word)
{

	for (; *word != '\0'; word++, p->pos++)
		if (p->pos >= p->len || p->s[p->pos] != *word)
			return (unexpected(p));
	return (0);
}

static int
parse_value(struct parser *p, struct val *v)
{
	char *s;

	memset(v, 0, sizeof(*v));
	ws(p);
	if (p->pos >= p->len)
		return (unexpected(p));
	switch (p->s[p->pos]) {
	case '"':
		v->t = VAL_STR;
		if (parse_string(p, &s, &v->len))
			return (-1);
		v->s = s;
		return (0);
	case '{': case '[':
		return (fail(p, "%s: nested values are not supported",
		    p->who));
	case 't':
		v->t = VAL_BOOL;
		v->i = 1;
		return (literal(p, "true"));
	case 'f':
		v->t = VAL_BOOL;
		return (literal(p, "false"));
	case 'n':
		v->t = VAL_NIL;
		return (literal(p, "null"));
	case '-': case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		v->t = VAL_INT;
		return (parse_number(p, &v->i));
	default:
		return (unexpected(p));
	}
}

/* Parse one "key": value and append it to ${o}, which has room for ${cap}. */
static int
parse_pair(struct parser *p, struct json_obj *o, size_t cap)
{
	struct json_kv kv;
	size_t i;

	ws(p);
	if (!peek(p, '"'))
		return (unexpected(p));
	if (o->n == JSON_MAX_KEYS)
		return (fail(p, "more than %d keys", JSON_MAX_KEYS));
	strcpy(p->who, "a key");
	if (parse_string(p, &kv.key, &kv.key_len))
		return (-1);
	name_key(p, kv.key, kv.key_len);
	for (i = 0; i < o->n; i++)
		if (o->kv[i].key_len == kv.key_len &&
		    memcmp(o->kv[i].key, kv.key, kv.key_len) == 0)
			return (fail(p, "duplicate key '%s'", p->kname));
	if (expect(p, ':') || parse_value(p, &kv.v))
		return (-1);
	assert(o->n < cap);
	o->kv[o->n++] = kv;
	return (0);
}

/**
 * json_parse_object(text, len, o, err, err_len):
 * Parse the ${len} bytes at ${text} (need not be NUL-terminated), which
 * must hold one JSON object whose values are all scalars, surrounded by
 * nothing but whitespace.  On success fill ${o}, whose keys and strings
 * stay valid until json_obj_fini(${o}), and return 0.  Otherwise write a
 * one-line reason such as "invalid JSON (unexpected '}' at column 17)" or
 * "field 'age': numbers must be whole" into ${err} and return -1; ${o}
 * then holds nothing.  ${o} is overwritten, not freed, on entry.
 */
int
json_parse_object(const char *text, size_t len, struct json_obj *o,
    char *err, size_t err_len)
{
	struct parser p = { .s = text, .len = len, .err = err,
	    .err_len = err_len };
	size_t cap;

	/*
	 * A pair takes at least 5 bytes ('"":0' and a comma or brace), so
	 * len / 5 + 1 entries always suffice.
	 */
	cap = len / 5 + 1;
	if (cap > JSON_MAX_KEYS)
		cap = JSON_MAX_KEYS;
	memset(o, 0, sizeof(*o));
	if ((o->buf = malloc(len + 1)) == NULL ||
	    (o->kv = calloc(cap, sizeof(*o->kv))) == NULL) {
		fail(&p, "out of memory");
		goto err;
	}
	p.out = o->buf;

	if (expect(&p, '{'))
		goto err;
	ws(&p);
	if (peek(&p, '}'))
		p.pos++;
	else {
		for (;;) {
			if (parse_pair(&p, o, cap))
				goto err;
			ws(&p);
			if (!peek(&p, ','))
				break;
			p.pos++;
		}
		if (expect(&p, '}'))
			goto err;
	}
	ws(&p);
	if (p.pos < p.len) {
		unexpected(&p);
		goto err;
	}

	/* Success! */
	return (0);

err:
	/* Failure! */
	json_obj_fini(o);
	return (-1);
}

/**
 * json_obj_fini(o):
 * Free what ${o} holds and zero it.  Safe on a zeroed or finished object.
 */
void
json_obj_fini(struct json_obj *o)
{

	free(o->kv);
	free(o->buf);
	memset(o, 0, sizeof(*o));
}

/**
 * json_put_str(f, s, len):
 * Write the ${len} bytes at ${s} to ${f} as a JSON string: '"', '\' and
 * control bytes escaped (\n \r \t \b \f, else \u00XX), every other byte
 * verbatim.  The output depends only on the input bytes.  Errors are left
 * in ferror(${f}).
 */
void
json_put_str(FILE *f, const char *s, size_t len)
{
	const char *e;
	size_t i, run = 0;
	unsigned char c;

	putc('"', f);
	for (i = 0; i < len; i++) {
		switch ((c = (unsigned char)s[i])) {
		case '"':	e = "\\\""; break;
		case '\\':	e = "\\\\"; break;
		case '\n':	e = "\\n"; break;
		case '\r':	e = "\\r"; break;
		case '\t':	e = "\\t"; break;
		case '\b':	e = "\\b"; break;
		case '\f':	e = "\\f"; break;
		default:
			if (c >= 0x20)
				continue;
			e = NULL;
		}
		fwrite(s + run, 1, i - run, f);
		if (e != NULL)
			fputs(e, f);
		else
			fprintf(f, "\\u%04x", c);
		run = i + 1;
	}
	fwrite(s + run, 1, len - run, f);
	putc('"', f);
}

/**
 * json_put_val(f, v):
 * Write ${v} to ${f} as null, a string, a decimal integer, or true/false.
 */
void
json_put_val(FILE *f, const struct val *v)
{

	switch (v->t) {
	case VAL_STR:
		json_put_str(f, v->s, v->len);
		break;
	case VAL_INT:
		fprintf(f, "%" PRId64, v->i);
		break;
	case VAL_BOOL:
		fputs(v->i ? "true" : "false", f);
		break;
	case VAL_NIL:
	default:
		fputs("null", f);
		break;
	}
}

struct line_reader {
	FILE		*f;
	size_t		max;
	char		*buf;
	size_t		cap;
	size_t		lineno;
	bool		failed;
};

/**
 * line_reader_new(f, max_len):
 * Return a reader of lines from ${f} (borrowed; not closed) that refuses
 * lines longer than ${max_len} bytes without buffering them, or NULL if
 * out of memory.  Free with line_reader_free().
 */
struct line_reader *
line_reader_new(FILE *f, size_t max_len)
{
	struct line_reader *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return (NULL);
	r->f = f;
	r->max = (max_len > SIZE_MAX / 2) ? SIZE_MAX / 2 : max_len;
	r->cap = (max_len < 254) ? max_len + 2 : 256;
	if ((r->buf = malloc(r->cap)) == NULL) {
		free(r);
		return (NULL);
	}
	return (r);
}

/**
 * line_reader_next(r, line, len):
 * Point ${line} at the next line, without its '\n' or a '\r' before it,
 * NUL-terminated and valid until the next call on ${r}; set ${len} and
 * return 1.  A last line without '\n' counts; nothing after the final
 * '\n' does.  Return 0 at end of file.  Return -1 if the line is longer
 * than max_len (${len} is then max_len + 1) or on a read error (then
 * ferror() on the FILE is set); every later call returns -1 too.
 */
int
line_reader_next(struct line_reader *r, const char **line, size_t *len)
{
	size_t n = 0, ncap;
	char *nb;
	int c;

	*len = 0;
	if (r->failed)
		return (-1);
	/* Hold at most max + 2 bytes: the line, a '\r' and the NUL. */
	while ((c = getc(r->f)) != EOF && c != '\n') {
		if (n > r->max)
			goto toolong;
		if (n + 2 > r->cap) {
			ncap = r->cap * 2;
			if (ncap > r->max + 2)
				ncap = r->max + 2;
			if ((nb = realloc(r->buf, ncap)) == NULL)
				goto fail;
			r->buf = nb;
			r->cap = ncap;
		}
		r->buf[n++] = (char)c;
	}
	if (ferror(r->f))
		goto fail;
	if (c == EOF && n == 0)
		return (0);
	if (n > 0 && r->buf[n - 1] == '\r')
		n--;
	if (n > r->max)
		goto toolong;
	r->lineno++;
	r->buf[n] = '\0';
	*line = r->buf;
	*len = n;
	return (1);

toolong:
	r->lineno++;
	*len = r->max + 1;
fail:
	r->failed = true;
	return (-1);
}

/**
 * line_reader_lineno(r):
 * The 1-based number of the line last returned or refused by ${r}.
 */
size_t
line_reader_lineno(const struct line_reader *r)
{

	return (r->lineno);
}

/**
 * line_reader_free(r):
 * Free ${r}; NULL is a no-op.
 */
void
line_reader_free(struct line_reader *r)
{

	if (r == NULL)
		return;
	free(r->buf);
	free(r);
}
