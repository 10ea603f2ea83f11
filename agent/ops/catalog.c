/*
 * catalog.c: the operations' messages (catalog.def) and their rendering.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "agent/ops/ops.h"

static const char *const names[OPS_MSG_COUNT] = {
#define MSG(key, text)	[OPS_MSG_##key] = #key,
#include "agent/ops/catalog.def"
#undef MSG
};

static const char *const en[OPS_MSG_COUNT] = {
#define MSG(key, text)	[OPS_MSG_##key] = text,
#include "agent/ops/catalog.def"
#undef MSG
};

/*
 * The languages.  Another (Tajik, Russian: with the web UI) is a
 * catalog_LANG.def of MSG() lines beside catalog.def, a table read from
 * it as en[] is from catalog.def, and one line here.  A key it lacks is
 * shown in English; a key catalog.def lacks does not compile.
 */
static const struct lang {
	const char		*code;
	const char *const	*text;
} langs[] = {
	{ "en", en },
};

const char *
ops_key_name(enum ops_msg key)
{

	return ((unsigned)key < OPS_MSG_COUNT ? names[key] : "?");
}

const char *
ops_template(const char *lang, enum ops_msg key)
{
	size_t i;

	if ((unsigned)key >= OPS_MSG_COUNT)
		return ("");
	for (i = 0; lang != NULL && i < sizeof(langs) / sizeof(langs[0]); i++)
		if (strcmp(langs[i].code, lang) == 0 &&
		    langs[i].text[key] != NULL)
			return (langs[i].text[key]);
	return (en[key]);
}

/* Append template ${t} with ${e}'s arguments to ${buf} at ${*n}. */
static void
render(const char *t, const struct ops_err *e, char *buf, size_t len,
    size_t *n)
{
	const char *s;
	size_t sl;

	for (; *t != '\0'; t++) {
		if (t[0] == '{' && t[1] >= '1' && t[1] <= '0' + OPS_NARGS &&
		    t[2] == '}') {
			s = e->arg[t[1] - '1'];
			t += 2;
		} else
			s = NULL;
		sl = s != NULL ? strlen(s) : 1;
		if (*n + sl >= len)
			sl = len - 1 - *n;
		memcpy(buf + *n, s != NULL ? s : t, sl);
		*n += sl;
	}
	buf[*n] = '\0';
}

const char *
ops_text(const char *lang, const struct ops_err *e, char *buf, size_t len)
{
	struct ops_err ln;
	size_t n = 0;

	if (len == 0)
		return (buf);
	buf[0] = '\0';
	if (e->line > 0) {
		memset(&ln, 0, sizeof(ln));
		snprintf(ln.arg[0], sizeof(ln.arg[0]), "%zu", e->line);
		render(ops_template(lang, OPS_MSG_AT_LINE), &ln, buf, len, &n);
	}
	render(ops_template(lang, e->key), e, buf, len, &n);
	if (e->tail != OPS_MSG_NONE)
		render(ops_template(lang, e->tail), e, buf, len, &n);
	return (buf);
}

int
ops_vfail(struct ops_err *e, enum ops_code code, enum ops_msg key, int nargs,
    va_list ap)
{
	const char *s;
	int i;

	/* A whole error: no line, tail or cause of an earlier one stays. */
	e->code = code;
	e->key = key;
	e->tail = OPS_MSG_NONE;
	e->line = 0;
	e->cause[0] = '\0';
	for (i = 0; i < OPS_NARGS; i++) {
		s = i < nargs ? va_arg(ap, const char *) : "";
		snprintf(e->arg[i], sizeof(e->arg[i]), "%s", s ? s : "");
	}
	return (-1);
}

int
ops_fail(struct ops_err *e, enum ops_code code, enum ops_msg key, int nargs,
    ...)
{
	va_list ap;

	va_start(ap, nargs);
	ops_vfail(e, code, key, nargs, ap);
	va_end(ap);
	return (-1);
}
