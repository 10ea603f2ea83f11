/*
 * fold.c: what a word is for search, folded (fold.h).
 */
#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "agent/search/fold.h"

#define CP_SEP		0		/* Separates tokens. */
#define CP_DROP		0xFFFFFFFFu	/* Vanishes (combining marks). */
#define CP_HYPHEN	0xFFFFFFFEu	/* Joins two letters or digits. */

/* Decode one code point of ${s} at *${i} (advanced); invalid: CP_SEP. */
static uint32_t
utf8_next(const unsigned char *s, size_t len, size_t *i)
{
	unsigned char b = s[*i];
	uint32_t c, min;
	size_t n, k;

	if (b < 0x80) {
		(*i)++;
		return (b);
	}
	if (b >= 0xC2 && b <= 0xDF) {
		n = 1;
		c = b & 0x1F;
		min = 0x80;
	} else if (b >= 0xE0 && b <= 0xEF) {
		n = 2;
		c = b & 0x0F;
		min = 0x800;
	} else if (b >= 0xF0 && b <= 0xF4) {
		n = 3;
		c = b & 0x07;
		min = 0x10000;
	} else {
		(*i)++;
		return (CP_SEP);
	}
	if (*i + n >= len) {
		(*i)++;
		return (CP_SEP);
	}
	for (k = 1; k <= n; k++) {
		if ((s[*i + k] & 0xC0) != 0x80) {
			(*i)++;
			return (CP_SEP);
		}
		c = (c << 6) | (s[*i + k] & 0x3F);
	}
	*i += n + 1;
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return (CP_SEP);
	return (c);
}

/* Lower case of a Cyrillic code point (U+0400-U+04FF). */
static uint32_t
cyr_lower(uint32_t c)
{

	if (c >= 0x0400 && c <= 0x040F)
		return (c + 0x50);
	if (c >= 0x0410 && c <= 0x042F)
		return (c + 0x20);
	if ((c >= 0x0460 && c <= 0x0481) || (c >= 0x048A && c <= 0x04BF) ||
	    (c >= 0x04D0 && c <= 0x04FF))
		return (c | 1);
	if (c >= 0x04C1 && c <= 0x04CE && (c & 1))
		return (c + 1);
	return (c);
}

/* What code point ${c} is to search: folded, CP_SEP, CP_DROP, CP_HYPHEN. */
static uint32_t
fold_cp(uint32_t c)
{

	if (c < 0x80) {
		if (c >= 'A' && c <= 'Z')
			return (c + 32);
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			return (c);
		return (c == '-' ? CP_HYPHEN : CP_SEP);
	}
	if (c >= 0x0400 && c <= 0x04FF) {
		if (c >= 0x0483 && c <= 0x0489)
			return (CP_DROP);
		switch ((c = cyr_lower(c))) {
		case 0x0451: case 0x0450:	/* ё ѐ */
			return (0x0435);	/* е */
		case 0x0493:			/* ғ */
			return (0x0433);	/* г */
		case 0x049B:			/* қ */
			return (0x043A);	/* к */
		case 0x04B3:			/* ҳ */
			return (0x0445);	/* х */
		case 0x04B7:			/* ҷ */
			return (0x0447);	/* ч */
		case 0x04EF: case 0x045E:	/* ӯ ў */
			return (0x0443);	/* у */
		case 0x04E3:			/* ӣ */
			return (0x0438);	/* и */
		}
		return (c);
	}
	if (c >= 0x0300 && c <= 0x036F)
		return (CP_DROP);
	if (c == 0x2010 || c == 0x2011)
		return (CP_HYPHEN);
	if (c <= 0x00BF || c == 0x00D7 || c == 0x00F7 ||
	    (c >= 0x2000 && c <= 0x2BFF) || (c >= 0x3000 && c <= 0x303F) ||
	    (c >= 0xFE00 && c <= 0xFE0F) || c == 0xFEFF ||
	    (c >= 0xFF00 && c <= 0xFF0F) || c >= 0x1F000)
		return (CP_SEP);
	if (c >= 0x00C0 && c <= 0x00DE)
		return (c + 0x20);
	return (c);
}

static size_t
utf8_put(uint32_t c, char *out)
{

	if (c < 0x80) {
		out[0] = (char)c;
		return (1);
	}
	if (c < 0x800) {
		out[0] = (char)(0xC0 | (c >> 6));
		out[1] = (char)(0x80 | (c & 0x3F));
		return (2);
	}
	if (c < 0x10000) {
		out[0] = (char)(0xE0 | (c >> 12));
		out[1] = (char)(0x80 | ((c >> 6) & 0x3F));
		out[2] = (char)(0x80 | (c & 0x3F));
		return (3);
	}
	out[0] = (char)(0xF0 | (c >> 18));
	out[1] = (char)(0x80 | ((c >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((c >> 6) & 0x3F));
	out[3] = (char)(0x80 | (c & 0x3F));
	return (4);
}

size_t
search_fold_room(size_t len)
{

	return (3 * len + 8);
}

/*
 * The word at *${i} of ${s}: its folded parts, each followed by a space,
 * into ${out} (when ${parts}), then the joined form when it had a hyphen
 * (or always when !${parts}).  Advances *${i} past the word; returns the
 * bytes written, 0 if no word starts there.
 */
static size_t
word(const unsigned char *s, size_t len, size_t *i, char *out, bool parts)
{
	char *joined;
	size_t j, at, jl = 0, o = 0, wstart, next;
	uint32_t c;
	bool hyph = false, in = false;

	/* First pass: the parts (if asked), and where the word ends. */
	wstart = *i;
	j = *i;
	while (j < len) {
		at = j;
		c = fold_cp(utf8_next(s, len, &j));
		if (c == CP_DROP)
			continue;
		if (c == CP_HYPHEN) {
			/* Joins only between two word characters. */
			if (!in)
				break;
			next = j;
			while (next < len) {
				size_t t = next;

				c = fold_cp(utf8_next(s, len, &t));
				if (c != CP_DROP)
					break;
				next = t;
			}
			if (next >= len || c == CP_SEP || c == CP_HYPHEN) {
				j = at;
				break;
			}
			hyph = true;
			if (parts)
				out[o++] = ' ';
			in = false;
			continue;
		}
		if (c == CP_SEP) {
			j = at;
			break;
		}
		if (parts)
			o += utf8_put(c, out + o);
		jl++;
		in = true;
	}
	if (jl == 0) {
		*i = j > wstart ? j : wstart + 1;
		return (0);
	}
	if (parts)
		out[o++] = ' ';
	if (hyph || !parts) {
		/* Second pass: the joined form. */
		joined = out + o;
		for (at = wstart; at < j;) {
			c = fold_cp(utf8_next(s, len, &at));
			if (c != CP_DROP && c != CP_HYPHEN && c != CP_SEP)
				joined += utf8_put(c, joined);
		}
		o = (size_t)(joined - out);
		out[o++] = ' ';
	}
	*i = j;
	return (o);
}

size_t
search_fold_words(const char *in, size_t len, char *out)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0, o = 0;

	while (i < len)
		o += word(s, len, &i, out + o, true);
	return (o);
}

static bool
phone_char(unsigned char b)
{

	return ((b >= '0' && b <= '9') || b == ' ' || b == '+' || b == '-' ||
	    b == '(' || b == ')' || b == '.');
}

/*
 * A phone run at ${i}: digits and notation, starting with a digit, '+' or
 * '('.  Set *${end} past its last digit and return its digit count.
 */
static size_t
phone_run(const unsigned char *s, size_t len, size_t i, size_t *end)
{
	size_t nd = 0;

	*end = i;
	if (!(s[i] >= '0' && s[i] <= '9') && s[i] != '+' && s[i] != '(')
		return (0);
	for (; i < len && phone_char(s[i]); i++)
		if (s[i] >= '0' && s[i] <= '9') {
			nd++;
			*end = i + 1;
		}
	return (nd);
}

/* The last 9 digits (or all, if fewer) of [from, end) into ${out}. */
static size_t
phone_token(const unsigned char *s, size_t from, size_t end, size_t nd,
    char *out)
{
	size_t skip = nd > SEARCH_PHONE_DIGITS ? nd - SEARCH_PHONE_DIGITS : 0;
	size_t o = 0;

	for (; from < end; from++) {
		if (!(s[from] >= '0' && s[from] <= '9'))
			continue;
		if (skip > 0)
			skip--;
		else
			out[o++] = (char)s[from];
	}
	return (o);
}

size_t
search_fold_phone(const char *in, size_t len, char *out)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0, o = 0, end, nd;

	while (i < len) {
		if ((nd = phone_run(s, len, i, &end)) == 0) {
			i++;
			continue;
		}
		o += phone_token(s, i, end, nd, out + o);
		out[o++] = ' ';
		i = end;
	}
	return (o);
}

/* Whether a letter or digit starts at ${i} (a phone run stops short). */
static bool
letter_at(const unsigned char *s, size_t len, size_t i)
{
	uint32_t c;

	if (i >= len)
		return (false);
	c = fold_cp(utf8_next(s, len, &i));
	return (c != CP_SEP && c != CP_HYPHEN && c != CP_DROP);
}

/* Keep token ${t} (${len} bytes, cut to SEARCH_TERM_MAX) in ${q}. */
static enum search_parse
add_term(struct search_terms *q, size_t *used, const char *t, size_t len)
{

	if (q->n == SEARCH_MAX_TERMS)
		return (SEARCH_PARSE_MANY);
	if (len > SEARCH_TERM_MAX) {
		/* Cut on a code point's boundary. */
		len = SEARCH_TERM_MAX;
		while (len > 0 && ((unsigned char)t[len] & 0xC0) == 0x80)
			len--;
	}
	memcpy(q->buf + *used, t, len);
	q->t[q->n] = q->buf + *used;
	q->len[q->n++] = len;
	*used += len;
	return (SEARCH_PARSE_OK);
}

enum search_parse
search_parse_query(const char *in, size_t len, struct search_terms *q)
{
	const unsigned char *s = (const unsigned char *)in;
	char tok[SEARCH_QUERY_MAX * 3 + 8];
	size_t i = 0, used = 0, end, nd, n;
	enum search_parse r;

	memset(q, 0, sizeof(*q));
	if (len > SEARCH_QUERY_MAX)
		return (SEARCH_PARSE_LONG);
	while (i < len) {
		nd = phone_run(s, len, i, &end);
		if (nd >= SEARCH_PHONE_DIGITS && !letter_at(s, len, end)) {
			n = phone_token(s, i, end, nd, tok);
			i = end;
		} else if ((n = word(s, len, &i, tok, false)) > 0)
			n--;	/* Its trailing space. */
		else
			continue;
		if ((r = add_term(q, &used, tok, n)) != SEARCH_PARSE_OK) {
			sodium_memzero(tok, sizeof(tok));
			return (r);
		}
	}
	sodium_memzero(tok, sizeof(tok));
	return (q->n == 0 ? SEARCH_PARSE_EMPTY : SEARCH_PARSE_OK);
}

void
search_terms_wipe(struct search_terms *q)
{

	sodium_memzero(q, sizeof(*q));
}
