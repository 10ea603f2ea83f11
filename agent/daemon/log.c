/*
 * log.c: one line per event on stderr, and the escaping of text that
 * came from other nodes.
 */
#include "agent/daemon/log.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "protocol/msg.h"

int log_level = LOG_LVL_INFO;

/* Longest rendering of one character: "\u{10ffff}". */
#define ESC_MAX		11

/* Whether ${cp} must not print as itself (besides controls). */
static int
invisible(uint32_t cp)
{

	/* Line and paragraph separators; bidi embeddings and isolates. */
	return (cp == 0x2028 || cp == 0x2029 ||
	    (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069));
}

/*
 * The rendering of the character at ${p} (${n} > 0 bytes) into ${buf}:
 * its length there; the bytes it consumed in ${*used}.
 */
static size_t
esc_one(const uint8_t *p, size_t n, int flags, char buf[ESC_MAX + 1],
    size_t *used)
{
	uint32_t cp;
	size_t k;

	if ((k = msg_utf8_char(p, n, &cp)) == 0) {
		*used = 1;
		return ((size_t)snprintf(buf, ESC_MAX + 1, "\\x%02x", p[0]));
	}
	*used = k;
	if ((cp == '\n' || cp == '\t') && (flags & LOG_ESC_MULTILINE)) {
		buf[0] = (char)cp;
		return (1);
	}
	if (cp == '\n' || cp == '\r' || cp == '\t') {
		buf[0] = '\\';
		buf[1] = cp == '\n' ? 'n' : cp == '\r' ? 'r' : 't';
		return (2);
	}
	if (cp < 0x20 || cp == 0x7f)
		return ((size_t)snprintf(buf, ESC_MAX + 1, "\\x%02x", cp));
	if (msg_is_control(cp) || invisible(cp))
		return ((size_t)snprintf(buf, ESC_MAX + 1, "\\u{%x}",
		    (unsigned)cp));
	memcpy(buf, p, k);
	return (k);
}

char *
log_esc(char *out, size_t size, const char *s, size_t len, int flags)
{
	const uint8_t *p = (const uint8_t *)s;
	char one[ESC_MAX + 1];
	size_t o = 0, k, used;

	while (len > 0) {
		k = esc_one(p, len, flags, one, &used);
		if (o + k + 1 > size)
			break;
		memcpy(out + o, one, k);
		o += k;
		p += used;
		len -= used;
	}
	out[o] = '\0';
	return (out);
}

void
log_esc_put(FILE *f, const char *s, size_t len, int flags)
{
	const uint8_t *p = (const uint8_t *)s;
	char one[ESC_MAX + 1];
	size_t k, used;

	while (len > 0) {
		k = esc_one(p, len, flags, one, &used);
		fwrite(one, 1, k, f);
		p += used;
		len -= used;
	}
}

void
log_msg(int lvl, const char *mod, const char *fmt, ...)
{
	static const char *const names[] = { "ERROR", "WARN", "INFO",
	    "DEBUG" };
	char line[1024], esc[4 * sizeof(line)];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		line[0] = '\0';
	/* Peers' names and reasons are in it: one line, nothing more. */
	log_esc(esc, sizeof(esc), line, strlen(line), 0);
	fprintf(stderr, "%s %s %s\n", names[lvl < 0 ? 0 : lvl > 3 ? 3 : lvl],
	    mod, esc);
	fflush(stderr);
}
