/*
 * mkassets.c: the build step that embeds the web UI's files in hamroh.
 *
 *   mkassets OUT.c FILE... [--lang CATALOG...]
 *
 * writes OUT.c holding each file's bytes and the table ui_assets[]
 * (agent/ui/assets.h): path "/" and the file's name ("/lang/" and the
 * name for a CATALOG), Content-Type by its extension, an ETag from a hash
 * of its bytes.  Refuses (exit 1, one line) a file of an unknown kind, or
 * a page load over MAX_TOTAL bytes: issue 14's 150 KB before compression,
 * counted as what one load fetches, every FILE and the largest CATALOG
 * (a page loads one language; the three together are bigger than that).
 * A page file (.js, .css, .html) is embedded without the blanks that begin
 * its lines and without its empty lines, and a .js also without the lines
 * that are only a // comment: the source keeps its comments, the page does
 * not carry them.  (So a .js may not hold a string or template literal
 * over several lines; the UI's files hold none.)  A CATALOG (one entry a
 * line, agent/ui/lang/README.md) is embedded without its indent and
 * without the messages of what only the CLI does (cli_only[]): no API
 * answer carries them, and a page that met one would show the English
 * message the answer carries beside its key.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TOTAL	(150 * 1000)

static const char *
type_of(const char *name)
{
	const char *dot = strrchr(name, '.');

	if (dot == NULL)
		return (NULL);
	if (strcmp(dot, ".html") == 0)
		return ("text/html; charset=utf-8");
	if (strcmp(dot, ".css") == 0)
		return ("text/css; charset=utf-8");
	if (strcmp(dot, ".js") == 0)
		return ("text/javascript; charset=utf-8");
	if (strcmp(dot, ".json") == 0)
		return ("application/json; charset=utf-8");
	if (strcmp(dot, ".svg") == 0)
		return ("image/svg+xml");
	if (strcmp(dot, ".png") == 0)
		return ("image/png");
	return (NULL);
}

/*
 * The next byte of ${in} as the page gets it (above): trimmed when ${trim}
 * (a page file), // comment lines dropped too when ${js}; ${bol} says the
 * last byte given ended a line (1 at the start).
 */
static int
next_byte(FILE *in, int trim, int js, int *bol)
{
	int c, d;

	for (;;) {
		if ((c = getc(in)) == EOF || !trim)
			return (c);
		if (*bol && (c == ' ' || c == '\t' || c == '\r' || c == '\n'))
			continue;
		if (*bol && js && c == '/') {
			if ((d = getc(in)) == '/') {
				while ((c = getc(in)) != EOF && c != '\n')
					;
				if (c == EOF)
					return (EOF);
				continue;
			}
			if (d != EOF)
				ungetc(d, in);
		}
		*bol = c == '\n';
		return (c);
	}
}

static int is_page_file(const char *, int *);

/*
 * Catalog keys of what no API route runs: the CLI's own words, and init,
 * restore, join and the agent's start, which only the CLI does.
 */
static const char *const cli_only[] = { "CLI_", "INIT_", "RESTORE_",
    "JOIN_", "AGENT_", NULL };

struct buf {
	unsigned char	*p;
	size_t		n, cap;
};

static void
put(struct buf *b, int c)
{

	if (b->n == b->cap) {
		b->cap = b->cap ? 2 * b->cap : 65536;
		if ((b->p = realloc(b->p, b->cap)) == NULL) {
			fprintf(stderr, "mkassets: out of memory\n");
			exit(1);
		}
	}
	b->p[b->n++] = (unsigned char)c;
}

/* Whether the catalog line ${l} (indent gone) is an entry to leave out. */
static int
dropped(const char *l)
{
	size_t i, n;

	for (i = 0; cli_only[i] != NULL; i++) {
		n = strlen(cli_only[i]);
		if (l[0] == '"' && strncmp(l + 1, cli_only[i], n) == 0)
			return (1);
	}
	return (0);
}

/* ${in}, a catalog, as embedded (above) into ${b}. */
static void
catalog(FILE *in, struct buf *b)
{
	char line[65536], *l;
	size_t n, entries = 0;

	while (fgets(line, sizeof(line), in) != NULL) {
		for (l = line; *l == ' ' || *l == '\t'; l++)
			;
		n = strcspn(l, "\r\n");
		while (n > 0 && l[n - 1] == ',')
			n--;
		l[n] = '\0';
		if (n == 0 || dropped(l))
			continue;
		if (strcmp(l, "{") == 0 || strcmp(l, "}") == 0) {
			if (*l == '}')
				put(b, '\n');
			put(b, *l);
			put(b, '\n');
			continue;
		}
		if (entries++ > 0) {
			put(b, ',');
			put(b, '\n');
		}
		while (*l != '\0')
			put(b, (unsigned char)*l++);
	}
}

/* The bytes of ${path} as the page gets them, into ${b}. */
static void
load(const char *path, const char *base, int is_catalog, struct buf *b)
{
	FILE *in;
	int c, trim, js, bol = 1;

	if ((in = fopen(path, "rb")) == NULL) {
		perror(path);
		exit(1);
	}
	b->n = 0;
	if (is_catalog)
		catalog(in, b);
	else {
		trim = is_page_file(base, &js);
		while ((c = next_byte(in, trim, js, &bol)) != EOF)
			put(b, c);
	}
	if (ferror(in)) {
		perror(path);
		exit(1);
	}
	fclose(in);
}

static int
is_page_file(const char *name, int *js)
{
	const char *dot = strrchr(name, '.');

	*js = dot != NULL && strcmp(dot, ".js") == 0;
	return (dot != NULL && (*js || strcmp(dot, ".css") == 0 ||
	    strcmp(dot, ".html") == 0));
}

int
main(int argc, char **argv)
{
	FILE *out;
	struct buf b = { NULL, 0, 0 };
	size_t total = 0, lang_max = 0, n, i;
	uint64_t h;
	int k, lang_from = argc;
	const char *base;

	for (k = 2; k < argc; k++)
		if (strcmp(argv[k], "--lang") == 0) {
			lang_from = k;
			break;
		}
	if (argc < 3 || lang_from == 2) {
		fprintf(stderr, "usage: mkassets OUT.c FILE... "
		    "[--lang CATALOG...]\n");
		return (2);
	}
	if ((out = fopen(argv[1], "w")) == NULL) {
		perror(argv[1]);
		return (1);
	}
	fprintf(out, "/* Made by agent/ui/assets/mkassets.c: do not edit. */\n"
	    "#include \"agent/ui/assets.h\"\n\n");
	for (k = 2; k < argc; k++) {
		if (k == lang_from)
			continue;
		base = strrchr(argv[k], '/') ? strrchr(argv[k], '/') + 1 :
		    argv[k];
		if (type_of(base) == NULL) {
			fprintf(stderr, "mkassets: %s: not a kind of file the "
			    "UI serves (.html .css .js .json .svg .png)\n",
			    argv[k]);
			return (1);
		}
		load(argv[k], base, k > lang_from, &b);
		fprintf(out, "static const unsigned char a%d[] = {", k);
		for (n = 0; n < b.n; n++)
			fprintf(out, "%s%d,", n % 20 == 0 ? "\n" : "", b.p[n]);
		fprintf(out, "0\n};\n");
		if (k < lang_from)
			total += n;
		else if (n > lang_max)
			lang_max = n;
	}
	if (total + lang_max > MAX_TOTAL) {
		fprintf(stderr, "mkassets: one page load fetches %zu bytes "
		    "(the page's files and its largest catalog), over the %d "
		    "it may weigh; make them smaller\n", total + lang_max,
		    MAX_TOTAL);
		fclose(out);
		remove(argv[1]);
		return (1);
	}
	fprintf(out, "\nconst struct ui_asset ui_assets[] = {\n");
	for (k = 2; k < argc; k++) {
		if (k == lang_from)
			continue;
		base = strrchr(argv[k], '/') ? strrchr(argv[k], '/') + 1 :
		    argv[k];
		/* FNV-1a of the bytes: changes whenever they do. */
		h = 14695981039346656037ULL;
		load(argv[k], base, k > lang_from, &b);
		for (n = 0; n < b.n; n++)
			h = (h ^ (uint64_t)b.p[n]) * 1099511628211ULL;
		fprintf(out, "\t{ \"/%s%s\", \"%s\", a%d, %zu, "
		    "\"\\\"%016llx\\\"\" },\n", k > lang_from ? "lang/" : "",
		    base, type_of(base), k, n, (unsigned long long)h);
	}
	fprintf(out, "\t{ NULL, NULL, NULL, 0, NULL }\n};\n");
	i = (size_t)ferror(out);
	if (fclose(out) != 0 || i != 0) {
		fprintf(stderr, "mkassets: writing %s failed\n", argv[1]);
		return (1);
	}
	return (0);
}
