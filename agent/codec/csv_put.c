/*
 * csv_put.c: one CSV field out (agent/codec/csv.h), the writers' half of
 * what csv.c reads back.
 */
#include "agent/codec/csv.h"

#include <stdbool.h>
#include <string.h>

/*
 * Both ',' and ';' are quoted whichever separates: a spreadsheet that
 * guesses the other one (Excel goes by the locale) still keeps each
 * field whole.
 */
void
csv_put(FILE *f, const char *s, size_t len, char sep)
{
	bool quote = false, tick = csv_formula_like(s, len);
	size_t i;

	if (len > 0 && (s[0] == ' ' || s[len - 1] == ' '))
		quote = true;
	for (i = 0; i < len && !quote; i++)
		if (s[i] == sep || s[i] == ',' || s[i] == ';' || s[i] == '"' ||
		    s[i] == '\r' || s[i] == '\n')
			quote = true;
	if (!quote) {
		if (tick)
			putc('\'', f);
		fwrite(s, 1, len, f);
		return;
	}
	putc('"', f);
	if (tick)
		putc('\'', f);
	for (i = 0; i < len; i++) {
		if (s[i] == '"')
			putc('"', f);
		putc(s[i], f);
	}
	putc('"', f);
}

bool
csv_formula_like(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len && s[i] == '\'')
		i++;
	return (i < len && strchr("=+-@\t\r", s[i]) != NULL && s[i] != '\0');
}
