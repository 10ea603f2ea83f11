/*
 * help.c: the command table (cmds.h) told to its readers.  The overview,
 * the listing of what each command does, one command's help, the
 * hamroh(1) man page and the bash completion all come from the same rows,
 * so none of them can list a command or an option the others do not.
 */
#include "agent/cli/help.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "agent/access/confidential.h"
#include "agent/cli/cli.h"
#include "store/db.h"
#include "store/schema.h"

#define WIDTH	79	/* The longest line of help text. */
#define NBSP	'\1'	/* In a synopsis: a space that never breaks. */
#define WORDMAX	64	/* Longer words are near no command. */

#define FOR_OPTS(o, c)							\
	for ((o) = (c)->opts; (o) < (c)->opts + CMD_MAX_OPTS &&		\
	    (o)->name != NULL; (o)++)

static const char *const group_title[CG_N] = {
	"Records (consultations, pocket guides, the hotline directory)",
	"Sync with the other offices",
	"The network of offices (members, invites, keys)",
	"This node (setting up, checking, backups)",
	"Help",
};

/* Under both listings of the commands. */
static const char trailer[] =
	"Every command takes --data DIR (default $HAMROH_DATA, else "
	"~/.local/share/hamroh), --user NAME to sign a staff account in "
	"(--passphrase-fd N: its passphrase) and --verbose; listings take "
	"--json.";

static void cat(char *, size_t, size_t *, const char *, ...)
    __attribute__((format(printf, 4, 5)));

/* Append to ${b} (${len} bytes, ${*n} of them used); truncate silently. */
static void
cat(char *b, size_t len, size_t *n, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (*n + 1 >= len)
		return;
	va_start(ap, fmt);
	r = vsnprintf(b + *n, len - *n, fmt, ap);
	va_end(ap);
	if (r < 0)
		return;
	*n += (size_t)r;
	if (*n >= len)
		*n = len - 1;
}

/*
 * Row ${c}'s synopsis after "hamroh": command, subcommand, arguments, then
 * options ("[--x ARG]" if optional, "..." if repeatable).  The words of
 * one option, and anything inside brackets, are joined by NBSP.
 */
static void
synopsis(const struct cmd *c, char *b, size_t len)
{
	const struct cmd_opt *o;
	size_t n = 0, i;
	int depth = 0;

	cat(b, len, &n, "%s", c->name);
	if (c->sub != NULL)
		cat(b, len, &n, " %s", c->sub);
	if (c->args != NULL && *c->args)
		cat(b, len, &n, " %s", c->args);
	FOR_OPTS(o, c) {
		if (o->flags & CO_REQUIRED)
			cat(b, len, &n, " %s", o->name);
		else
			cat(b, len, &n, " [%s", o->name);
		if (o->arg != NULL)
			cat(b, len, &n, "%c%s", NBSP, o->arg);
		cat(b, len, &n, "%s%s", o->flags & CO_REQUIRED ? "" : "]",
		    o->flags & CO_REPEAT ? "..." : "");
	}
	for (i = 0; b[i] != '\0'; i++) {
		if (b[i] == '[')
			depth++;
		else if (b[i] == ']')
			depth--;
		else if (b[i] == ' ' && depth > 0)
			b[i] = NBSP;
	}
}

/*
 * Print the ${len} bytes at ${s} on ${f}, starting at column ${col},
 * breaking lines at spaces to keep them to WIDTH; continuation lines start
 * with ${indent} spaces.  No newline at the end.
 */
static void
wrap(FILE *f, const char *s, size_t len, size_t col, size_t indent)
{
	const char *end = s + len;
	bool first = true;
	size_t w, i;

	for (;;) {
		while (s < end && *s == ' ')
			s++;
		if (s == end)
			break;
		for (w = 0; s + w < end && s[w] != ' '; w++)
			;
		if (!first && col + 1 + w > WIDTH) {
			fprintf(f, "\n%*s", (int)indent, "");
			col = indent;
		} else if (!first) {
			fputc(' ', f);
			col++;
		}
		for (i = 0; i < w; i++)
			fputc(s[i] == NBSP ? ' ' : s[i], f);
		col += w;
		s += w;
		first = false;
	}
}

/* Text ${s} as paragraphs ('\n' between them) indented by ${indent}. */
static void
paras(FILE *f, const char *s, size_t indent)
{
	size_t n;

	for (;;) {
		n = strcspn(s, "\n");
		fprintf(f, "%*s", (int)indent, "");
		wrap(f, s, n, indent, indent);
		fputc('\n', f);
		if (s[n] == '\0')
			return;
		fputc('\n', f);
		s += n + 1;
	}
}

/* Whether an earlier row than ${c} is of the same command. */
static bool
seen_before(const struct cmd *tab, const struct cmd *c)
{
	const struct cmd *r;

	for (r = tab; r < c; r++)
		if (strcmp(r->name, c->name) == 0)
			return (true);
	return (false);
}

/* How many rows command ${name} has. */
static size_t
nrows(const struct cmd *tab, const char *name)
{
	const struct cmd *r;
	size_t n = 0;

	for (r = tab; r->name != NULL; r++)
		n += strcmp(r->name, name) == 0;
	return (n);
}

/* "name" or "name sub|sub..." for the overview. */
static void
name_subs(const struct cmd *c, char *b, size_t len)
{
	const struct cmd *r;
	size_t n = 0;

	cat(b, len, &n, "%s", c->name);
	for (r = c; r->name != NULL; r++)
		if (strcmp(r->name, c->name) == 0 && r->sub != NULL)
			cat(b, len, &n, "%s%s", r == c ? " " : "|", r->sub);
}

void
help_usage(FILE *f, const struct cmd *tab)
{
	const struct cmd *c;
	char line[1024], ns[128];
	size_t n;
	int g;

	fprintf(f, "usage: hamroh [--data DIR] COMMAND [ARGS]\n");
	for (g = 0; g < CG_N; g++) {
		n = 0;
		line[0] = '\0';
		for (c = tab; c->name != NULL; c++) {
			if ((int)c->group != g || seen_before(tab, c))
				continue;
			name_subs(c, ns, sizeof(ns));
			cat(line, sizeof(line), &n, "%s%s", n ? "  " : "",
			    ns);
		}
		if (n == 0)
			continue;
		fprintf(f, "\n%s:\n  ", group_title[g]);
		wrap(f, line, n, 2, 2);
		fputc('\n', f);
	}
	fprintf(f, "\nA first node:  hamroh init --name NAME --center "
	    "CENTER --user NAME\n");
	wrap(f, trailer, strlen(trailer), 0, 0);
	fprintf(f, "\n'hamroh help' says what each command does; "
	    "'hamroh COMMAND --help' shows one.\n");
}

/* "hamroh help": every row with its summary, by group. */
static void
help_list(const struct cmd *tab)
{
	const struct cmd *c;
	char ns[128];
	size_t w = 0, n;
	int g;

	for (c = tab; c->name != NULL; c++) {
		n = strlen(c->name) + (c->sub ? 1 + strlen(c->sub) : 0);
		w = n > w ? n : w;
	}
	w += 2;
	printf("usage: hamroh [--data DIR] COMMAND [ARGS]\n");
	for (g = 0; g < CG_N; g++) {
		printf("\n%s:\n", group_title[g]);
		for (c = tab; c->name != NULL; c++) {
			if ((int)c->group != g)
				continue;
			snprintf(ns, sizeof(ns), "%s%s%s", c->name,
			    c->sub ? " " : "", c->sub ? c->sub : "");
			printf("  %-*s", (int)w, ns);
			wrap(stdout, c->summary, strlen(c->summary), 2 + w,
			    2 + w);
			putchar('\n');
		}
	}
	putchar('\n');
	paras(stdout, trailer, 0);
	printf("'hamroh help COMMAND' (or 'hamroh COMMAND --help') shows one "
	    "command,\n'hamroh help --man' the manual page, "
	    "'hamroh help --completion bash'\nthe shell completion.\n");
}

/* "usage: hamroh [--data DIR] SYNOPSIS", or aligned below one. */
static void
usage_line(const struct cmd *c, bool first)
{
	static const char pre[] = "hamroh [--data DIR] ";
	char syn[1024];

	synopsis(c, syn, sizeof(syn));
	printf("%s%s", first ? "usage: " : "       ", pre);
	wrap(stdout, syn, strlen(syn), 7 + sizeof(pre) - 1, 11);
	putchar('\n');
}

/* "--name ARG" of option ${o}. */
static void
opt_words(const struct cmd_opt *o, char *b, size_t len)
{

	snprintf(b, len, "%s%s%s", o->name, o->arg ? " " : "",
	    o->arg ? o->arg : "");
}

static void
opts_block(const struct cmd *c)
{
	const struct cmd_opt *o;
	char w[128], text[512];
	size_t col = 0, n;

	FOR_OPTS(o, c) {
		opt_words(o, w, sizeof(w));
		n = strlen(w);
		col = n > col ? n : col;
	}
	if (col == 0)
		return;
	col = 2 + (col > 20 ? 20 : col) + 2;
	printf("\nOptions:\n");
	FOR_OPTS(o, c) {
		opt_words(o, w, sizeof(w));
		printf("  %s", w);
		if (2 + strlen(w) + 2 > col)
			printf("\n%*s", (int)col, "");
		else
			printf("%*s", (int)(col - 2 - strlen(w)), "");
		snprintf(text, sizeof(text), "%s%s", o->text,
		    o->flags & CO_REPEAT ? " (repeatable)" : "");
		wrap(stdout, text, strlen(text), col, col);
		putchar('\n');
	}
}

/*
 * What field ${f} of ${c} takes, from the schema table: its kind, values
 * or limits, and the record rules on it (store/schema.h, RULE_*).
 */
static void
field_text(const struct coll_def *c, const struct field_def *f, char *b,
    size_t len)
{
	const struct rule_def *r;
	char list[1024];
	size_t n = 0;

	list[0] = '\0';
	if ((r = schema_rule(c, f, RULE_ONE_OF)) != NULL) {
		schema_list(r->list, list, sizeof(list));
		cat(b, len, &n, "one of %s", list);
	} else switch (f->kind) {
	case FK_ENUM:
		schema_list(f->enums, list, sizeof(list));
		cat(b, len, &n, "%s", list);
		break;
	case FK_INT:
		cat(b, len, &n, "a whole number, %lld to %lld",
		    (long long)f->min, (long long)f->max);
		break;
	case FK_DATE:
		cat(b, len, &n, "a date YYYY-MM-DD");
		break;
	case FK_COUNTRY:
		cat(b, len, &n, "a country: its ISO 3166-1 alpha-2 code (RU, "
		    "KZ, TR, AE...)");
		break;
	case FK_RECID:
		cat(b, len, &n, "a record id");
		break;
	default:
		cat(b, len, &n, "text, up to %zu bytes", f->max_len);
		break;
	}
	if ((r = schema_rule(c, f, RULE_REFERS)) != NULL)
		cat(b, len, &n, " of %s, or a part of its %s", r->other,
		    r->value);
	if (schema_rule(c, f, RULE_NOT_FUTURE) != NULL)
		cat(b, len, &n, ", at most a day from now");
	if ((r = schema_rule(c, f, RULE_NOT_BEFORE)) != NULL)
		cat(b, len, &n, ", not before %s", r->other);
	if ((r = schema_rule(c, f, RULE_NEEDED_WHEN)) != NULL)
		cat(b, len, &n, "; required when %s=%s", r->other, r->value);
	if (conf_secret(c, f))
		cat(b, len, &n, "; confidential (encrypted to the center's "
		    "key)");
}

/*
 * The collections and the fields a "field=value" argument may name (a
 * "*" marks those a new record needs); internal fields (written by hamroh
 * itself) left out.  On one screen with the rest of the help: each
 * field's values are in coll_fields().
 */
static void
fields_block(const struct cmd *row)
{
	const struct coll_def *cd;
	const struct field_def *f;
	char line[2048];
	size_t n;

	printf("\nFields (* required on a new record):\n");
	for (cd = schema_colls; cd->name != NULL; cd++) {
		n = 0;
		cat(line, sizeof(line), &n, "%s:", cd->name);
		for (f = cd->fields; f->name != NULL; f++)
			if (f->name[0] != '_' && !schema_internal(cd, f))
				cat(line, sizeof(line), &n, " %s%s", f->name,
				    schema_rule(cd, f, RULE_REQUIRED) ? "*" : "");
		if (n == strlen(cd->name) + 1)
			continue;	/* All hamroh's own. */
		printf("  ");
		wrap(stdout, line, n, 2, 4);
		putchar('\n');
	}
	printf("'hamroh %s COLLECTION --help' lists each field's values.\n",
	    row->name);
}

/* Each field of ${cd} a user writes, with what it takes. */
static void
coll_fields(const struct cmd *row, const struct coll_def *cd)
{
	const struct field_def *f;
	char text[2048];
	size_t w;
	bool any = false;

	usage_line(row, true);
	printf("\nThe fields of %s (* required on a new record):\n",
	    cd->name);
	for (f = cd->fields; f->name != NULL; f++) {
		if (f->name[0] == '_' || schema_internal(cd, f))
			continue;
		w = strlen(f->name) + 1;
		printf("  %s%s", f->name, schema_rule(cd, f, RULE_REQUIRED) !=
		    NULL ? "*" : " ");
		if (2 + w + 2 > 20)
			printf("\n%20s", "");
		else
			printf("%*s", (int)(20 - 2 - w), "");
		field_text(cd, f, text, sizeof(text));
		wrap(stdout, text, strlen(text), 20, 20);
		putchar('\n');
		any = true;
	}
	if (!any)
		printf("  none: hamroh writes each of them itself\n");
}

void
help_cmd_args(const struct cmd *tab, const struct cmd *c,
    const struct cmd *row, int argc, char **argv)
{
	const struct coll_def *cd;

	if (row == NULL && nrows(tab, c->name) == 1)
		row = c;
	if (row != NULL && row->fields && argc >= 2 &&
	    (cd = schema_coll(argv[1])) != NULL) {
		coll_fields(row, cd);
		return;
	}
	help_cmd(tab, c, row);
}

void
help_cmd(const struct cmd *tab, const struct cmd *c, const struct cmd *row)
{
	const struct cmd *r;
	size_t w = 0, n;
	bool first = true;

	if (row == NULL && nrows(tab, c->name) == 1)
		row = c;
	if (row != NULL) {
		usage_line(row, true);
		putchar('\n');
		paras(stdout, row->summary, 0);
		if (row->desc != NULL) {
			putchar('\n');
			paras(stdout, row->desc, 0);
		}
		opts_block(row);
		if (row->fields)
			fields_block(row);
		return;
	}
	for (r = tab; r->name != NULL; r++)
		if (strcmp(r->name, c->name) == 0) {
			usage_line(r, first);
			first = false;
			n = strlen(r->sub ? r->sub : "");
			w = n > w ? n : w;
		}
	putchar('\n');
	for (r = tab; r->name != NULL; r++)
		if (strcmp(r->name, c->name) == 0) {
			printf("  %-*s", (int)w + 2, r->sub ? r->sub : "");
			wrap(stdout, r->summary, strlen(r->summary), w + 4,
			    w + 4);
			putchar('\n');
		}
	printf("\n'hamroh %s SUBCOMMAND --help' shows one in full.\n",
	    c->name);
}

const struct cmd *
help_find(const struct cmd *tab, int argc, char **argv,
    const struct cmd **row)
{
	const struct cmd *c, *first = NULL;

	*row = NULL;
	if (argc < 1)
		return (NULL);
	for (c = tab; c->name != NULL; c++) {
		if (strcmp(c->name, argv[0]) != 0)
			continue;
		if (first == NULL)
			first = c;
		if (c->sub == NULL)
			*row = c;
		else if (argc > 1 && strcmp(c->sub, argv[1]) == 0)
			*row = c;
	}
	return (first);
}

/* Edit distance, a swap of two neighbours counting as one edit. */
static size_t
distance(const char *a, const char *b)
{
	size_t d[WORDMAX + 1][WORDMAX + 1], la = strlen(a), lb = strlen(b);
	size_t i, j, v;

	if (la > WORDMAX || lb > WORDMAX)
		return (SIZE_MAX);
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++)
		for (j = 1; j <= lb; j++) {
			v = d[i - 1][j - 1] + (tolower((unsigned char)a[i - 1])
			    != tolower((unsigned char)b[j - 1]));
			if (d[i - 1][j] + 1 < v)
				v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	return (d[la][lb]);
}

/*
 * The command (or, with ${cmd}, the subcommand of ${cmd}) nearest to
 * ${word}: one it begins ("net": "network"), else one or two edits away
 * (one for short words), of two as near the one of its length (a swap:
 * "stauts" is "status", not "stats"); NULL if none is near.
 */
static const char *
nearest(const struct cmd *tab, const char *cmd, const char *word)
{
	const struct cmd *c;
	const char *best = NULL, *cand;
	size_t len = strlen(word), limit = len <= 3 ? 1 : 2, d, rank;
	size_t best_rank = SIZE_MAX;

	for (c = tab; c->name != NULL; c++) {
		if (cmd != NULL && (strcmp(c->name, cmd) != 0 ||
		    c->sub == NULL))
			continue;
		cand = cmd != NULL ? c->sub : c->name;
		d = distance(word, cand);
		if (len >= 3 && strncmp(word, cand, len) == 0)
			d = 0;
		rank = 2 * d + (strlen(cand) != len);
		if (d <= limit && rank < best_rank) {
			best_rank = rank;
			best = cand;
		}
	}
	return (best);
}

void
help_unknown(const struct cmd *tab, const char *name)
{
	const char *near = nearest(tab, NULL, name);
	char cut[48];

	if (near != NULL)
		cli_die(EXIT_USAGE, NULL, OPS_MSG_CLI_CMD_UNKNOWN_NEAR, 2,
		    cli_cut(cut, sizeof(cut), name, 40), near);
	cli_die(EXIT_USAGE, NULL, OPS_MSG_CLI_CMD_UNKNOWN, 1,
	    cli_cut(cut, sizeof(cut), name, 40));
}

/* --- the man page ------------------------------------------------------ */

/* Text for roff: escape what roff would read as its own. */
static void
roff(FILE *f, const char *s, size_t len)
{
	const char *end = s + len;

	if (s < end && (*s == '.' || *s == '\''))
		fputs("\\&", f);
	for (; s < end; s++)
		switch (*s) {
		case '\\':
			fputs("\\e", f);
			break;
		case '-':
			fputs("\\-", f);
			break;
		case NBSP:
			fputs("\\ ", f);
			break;
		case '\n':
			fputs("\n.PP\n", f);
			if (s + 1 < end && (s[1] == '.' || s[1] == '\''))
				fputs("\\&", f);
			break;
		default:
			fputc(*s, f);
		}
}

static void
roffs(FILE *f, const char *s)
{

	roff(f, s, strlen(s));
}

/* A synopsis for roff: --options bold, PLACEHOLDERS italic. */
static void
roff_syn(FILE *f, const char *s)
{
	const char *p = s;
	size_t n;

	while (*p != '\0') {
		if (p[0] == '-' && p[1] == '-' && (p == s ||
		    !isalnum((unsigned char)p[-1]))) {
			n = 2 + strspn(p + 2, "abcdefghijklmnopqrstuvwxyz-");
			fputs("\\fB", f);
			roff(f, p, n);
			fputs("\\fR", f);
		} else if (isupper((unsigned char)*p)) {
			n = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_:0123456789");
			fputs("\\fI", f);
			roff(f, p, n);
			fputs("\\fR", f);
		} else {
			n = 1;
			roff(f, p, n);
		}
		p += n;
	}
}

static void
man_row(const struct cmd *c)
{
	const struct cmd_opt *o;
	char syn[1024];
	size_t skip;

	synopsis(c, syn, sizeof(syn));
	skip = strlen(c->name) + (c->sub ? 1 + strlen(c->sub) : 0);
	printf(".PP\n\\fBhamroh %s%s%s\\fR", c->name, c->sub ? " " : "",
	    c->sub ? c->sub : "");
	roff_syn(stdout, syn + skip);
	printf("\n.RS\n");
	roffs(stdout, c->summary);
	if (c->desc != NULL) {
		printf("\n.PP\n");
		roffs(stdout, c->desc);
	}
	putchar('\n');
	FOR_OPTS(o, c) {
		printf(".TP\n\\fB");
		roffs(stdout, o->name);
		printf("\\fR");
		if (o->arg != NULL) {
			printf(" \\fI");
			roffs(stdout, o->arg);
			printf("\\fR");
		}
		/* The one-line texts are lower case: one sentence here. */
		printf("\n%c", toupper((unsigned char)o->text[0]));
		roffs(stdout, o->text + 1);
		printf("%s.\n", o->flags & CO_REPEAT ? " (repeatable)" : "");
	}
	printf(".RE\n");
}

/* A tagged paragraph: ${tag} is roff already, ${text} plain text. */
static void
man_item(const char *tag, const char *text)
{

	printf(".TP\n%s\n", tag);
	roffs(stdout, text);
	putchar('\n');
}

static void
man_file(const char *name, const char *text)
{

	printf(".TP\n.IR DIR /");
	roffs(stdout, name);
	putchar('\n');
	roffs(stdout, text);
	putchar('\n');
}

static void
help_man(const struct cmd *tab)
{
	const char *sep;
	const struct coll_def *cd;
	const struct field_def *f;
	const struct cmd *c;
	int g;

	printf(".\\\" hamroh(1), made by 'hamroh help --man' from the "
	    "command table.\n"
	    ".TH HAMROH 1 \"\" hamroh \"hamroh manual\"\n"
	    ".\\\" Words are not hyphenated: they are commands and names.\n"
	    ".nh\n.ad l\n"
	    ".SH NAME\n"
	    "hamroh \\- the records of legal\\-aid centers for labor "
	    "migrants, kept in sync between their offices, with or without "
	    "a link\n"
	    ".SH SYNOPSIS\n"
	    ".B hamroh\n"
	    ".RB [ \\-\\-data\n.IR DIR ]\n"
	    ".RB [ \\-\\-json ]\n"
	    ".I COMMAND\n.RI [ ARGS ]\n"
	    ".br\n"
	    ".B hamroh\n.I COMMAND\n.B \\-\\-help\n"
	    ".br\n"
	    ".B hamroh help\n.RI [ COMMAND ]\n"
	    ".SH DESCRIPTION\n");
	roffs(stdout, "hamroh keeps the working data of the information and "
	    "legal-aid centers that serve labor migrants (the consultations "
	    "their lawyers log, the pocket guides the coordinating office "
	    "publishes and the hotline directory) in a database on each "
	    "office's computer, so that every office can work with no link "
	    "at all.  Every change is signed with the key of the office "
	    "that made it.\n"
	    "Each office runs hamroh agent, which finds the other offices "
	    "and exchanges the changes each side lacks whenever a link "
	    "exists, directly or through any other office; where there is "
	    "no link, bundle files on a USB stick carry the same changes.  "
	    "Two edits made without seeing each other are both kept and "
	    "listed by hamroh conflicts: nothing is silently overwritten.\n"
	    "A first node: hamroh init --name NAME --center CENTER --user "
	    "NAME (its first user, an admin).  To "
	    "make a network, the coordinating office runs hamroh network "
	    "create --name NAME once, then hamroh invite for each new "
	    "office, with the key hamroh id prints there; the new office "
	    "runs hamroh join TOKEN, then hamroh agent.  hamroh status "
	    "shows every other office: connected or not, when it was last "
	    "in sync, and how many changes each side lacks.\n"
	    "Errors are one line on standard error.");
	printf("\n.SH OPTIONS\n"
	    "These go before or after the command.\n");
	man_item("\\fB\\-\\-data\\fR \\fIDIR\\fR", "The node's data dir "
	    "(default: $HAMROH_DATA, else ~/.local/share/hamroh).");
	man_item("\\fB\\-\\-json\\fR", "Listings print JSON Lines: one object "
	    "per line, keys sorted.");
	man_item("\\fB\\-\\-help\\fR, \\fB\\-h\\fR", "After a command: how "
	    "to use it.  Alone: the list of commands.");
	man_item("\\fB\\-\\-version\\fR", "Alone: print \"hamroh\" and "
	    "the version, from the source tree's file VERSION.");
	man_item("\\fB\\-\\-verbose\\fR", "After an error, a second line: "
	    "the message's key and what lay behind it (the database's own "
	    "words, say).");
	man_item("\\fB\\-\\-user\\fR \\fINAME\\fR", "The staff account "
	    "that acts (default: $HAMROH_USER).  Commands that show or write "
	    "a confidential field (client name, phone, summary) ask its "
	    "passphrase; the others run without one, as the node only.");
	man_item("\\fB\\-\\-passphrase\\-fd\\fR \\fIN\\fR", "Read the "
	    "passphrase (one line; then a new one, where a command sets one) "
	    "from file descriptor N instead of the terminal, for scripts.  "
	    "A passphrase is never taken from the command line or the "
	    "environment.");
	printf(".SH COMMANDS\n");
	for (g = 0; g < CG_N; g++) {
		printf(".SS ");
		roffs(stdout, group_title[g]);
		putchar('\n');
		for (c = tab; c->name != NULL; c++)
			if ((int)c->group == g)
				man_row(c);
	}
	printf(".SH COLLECTIONS\n"
	    "The fields a field=value argument may name:\n");
	for (cd = schema_colls; cd->name != NULL; cd++) {
		printf(".TP\n.B %s\n", cd->name);
		sep = "";
		for (f = cd->fields; f->name != NULL; f++)
			if (f->name[0] != '_' && !schema_internal(cd, f)) {
				printf("%s%s", sep, f->name);
				sep = " ";
			}
		if (*sep == '\0')
			printf("(written by hamroh itself)");
		putchar('\n');
	}
	printf(".SH ENVIRONMENT\n");
	man_item(".B HAMROH_DATA", "The data dir, when --data is not given.");
	man_item(".B HAMROH_USER", "The staff account, when --user is not "
	    "given.");
	man_item(".B HOME", "Without --data or HAMROH_DATA the data dir is "
	    "$HOME/.local/share/hamroh.");
	man_item(".B DISPLAY", "Set (or WAYLAND_DISPLAY): hamroh ui opens the "
	    "address it prints with xdg-open, if installed.");
	man_item(".B WAYLAND_DISPLAY", "As DISPLAY.");
	man_item(".B PATH", "Where hamroh ui looks for xdg-open.");
	man_item(".B HAMROH_CLOCK_OFFSET_MS", "For tests only: shift this "
	    "node's clock by that many milliseconds, to run an office "
	    "whose clock is off.");
	man_item(".B HAMROH_MAX_PAGES", "For tests only: the database may "
	    "not grow past that many pages, to run an office whose disk is "
	    "full.");
	printf(".SH FILES\n"
	    "In the data dir \\fIDIR\\fR; the key files are mode 0600, and "
	    "a backup holds none of them: keep copies apart, and safe.\n");
	man_file(KEY_FILE, "This node's secret key, made by hamroh init.  "
	    "Keep a copy apart from backups: a restore needs it.");
	man_file(DB_FILE, "The database: every change, and the tables "
	    "derived from it.");
	man_file("ui.sock", "The socket (mode 0600) on which a "
	    "running agent takes hamroh ui's sign-ins; removed when it "
	    "stops.");
	man_file("network.key", "The key every member of the network "
	    "shares (an invite token carries it), written by hamroh network "
	    "create and hamroh join.");
	man_file(CONF_FILE, "The center keys this node holds, which open the "
	    "confidential fields (client name, phone, summary).");
	man_file("other-centers.jsonl", "Written by hamroh join: "
	    "consultations logged here for another center, for an admin's "
	    "node to hamroh import.");
	man_file(KEY_FILE ".new", "For a moment, while hamroh join or "
	    "network create moves this node to a new key.");
	printf(".SH EXIT STATUS\n");
	man_item(".B 0", "Done.");
	printf(".TP\n.B %d\nThe operation failed or was refused; the error "
	    "line says why.\n", EXIT_REFUSED);
	printf(".TP\n.B %d\nA usage or environment error: a wrong argument "
	    "or option, no node in the data dir, a key file that cannot "
	    "be read.\n", EXIT_USAGE);
	printf(".SH SEE ALSO\n"
	    ".BR systemctl (1)\n"
	    "for the hamroh.service unit that runs the agent;\n"
	    ".I protocol/PROTOCOL.md\n"
	    "in hamroh's source, for the formats and the rules every node "
	    "enforces.\n");
}

/* --- the bash completion ----------------------------------------------- */

/* Every command's (or, with ${cmd}, subcommand's) name, once, spaced. */
static void
comp_names(const struct cmd *tab, const char *cmd)
{
	const struct cmd *c;
	bool first = true;

	for (c = tab; c->name != NULL; c++) {
		if (cmd == NULL ? seen_before(tab, c) :
		    strcmp(c->name, cmd) != 0 || c->sub == NULL)
			continue;
		printf("%s%s", first ? "" : " ", cmd ? c->sub : c->name);
		first = false;
	}
}

/* Whether option ${name} of an earlier row than ${c} takes a value. */
static bool
opt_before(const struct cmd *tab, const struct cmd *c, const char *name)
{
	const struct cmd *r;
	const struct cmd_opt *o;

	for (r = tab; r < c; r++)
		FOR_OPTS(o, r)
			if (o->arg != NULL && strcmp(o->name, name) == 0)
				return (true);
	return (false);
}

/* A value that is one of a few words: "admin|center|office", "bash". */
static bool
is_choice(const char *arg)
{
	const char *p;

	for (p = arg; *p != '\0'; p++)
		if (!islower((unsigned char)*p) && *p != '|')
			return (false);
	return (true);
}

/*
 * The argument a row's args name first (0: COLLECTION first) as ${word}
 * ("COLLECTION", "field=value"), or -1 if they do not.
 */
static int
arg_index(const struct cmd *c, const char *word)
{
	const char *p = c->args;
	int i = 0;

	if (p == NULL)
		return (-1);
	for (;;) {
		p += strspn(p, " [");
		if (*p == '\0')
			return (-1);
		if (strncmp(p, word, strlen(word)) == 0)
			return (i);
		p += strcspn(p, " ");
		i++;
	}
}

/*
 * "case $cmd/$sub in" patterns (printed if ${print}): the rows whose args
 * have ${word} at ${i}.  Whether there are any.
 */
static bool
comp_rows_at(const struct cmd *tab, const char *word, int i, bool print)
{
	const struct cmd *c;
	const char *sep = "";

	for (c = tab; c->name != NULL; c++)
		if (arg_index(c, word) == i) {
			if (print)
				printf("%s%s/%s", sep, c->name,
				    c->sub ? c->sub : "");
			sep = "|";
		}
	return (*sep != '\0');
}

static void
comp_values(const struct cmd *tab)
{
	const struct cmd_opt *o;
	const struct cmd *c;
	const char *p, *sep = "\t";

	printf("\t# The value of an option: one of its words, else a file.\n"
	    "\tcase $prev in\n"
	    "\t--data)\n\t\tCOMPREPLY=($(compgen -d -- \"$cur\"))\n"
	    "\t\treturn 0 ;;\n");
	for (c = tab; c->name != NULL; c++)
		FOR_OPTS(o, c) {
			if (o->arg == NULL || !is_choice(o->arg) ||
			    opt_before(tab, c, o->name))
				continue;
			printf("\t%s)\n\t\tCOMPREPLY=($(compgen -W \"",
			    o->name);
			for (p = o->arg; *p != '\0'; p++)
				putchar(*p == '|' ? ' ' : *p);
			printf("\" -- \"$cur\"))\n\t\treturn 0 ;;\n");
		}
	for (c = tab; c->name != NULL; c++)
		FOR_OPTS(o, c)
			if (o->arg != NULL && !is_choice(o->arg) &&
			    !opt_before(tab, c, o->name)) {
				printf("%s%s", sep, o->name);
				sep = "|";
			}
	if (*sep == '|')
		printf(")\n\t\treturn 0 ;;\n");
	printf("\tesac\n");
}

/* Walk the words before the cursor: command, subcommand, arguments. */
static void
comp_walk(const struct cmd *tab)
{
	const struct cmd_opt *o;
	const struct cmd *c;
	const char *sep = "";

	printf("\tfor ((i = 1; i < COMP_CWORD; i++)); do\n"
	    "\t\tw=${COMP_WORDS[i]}\n"
	    "\t\tcase $w in\n\t\t--data");
	for (c = tab; c->name != NULL; c++)
		FOR_OPTS(o, c)
			if (o->arg != NULL && !opt_before(tab, c, o->name))
				printf("|%s", o->name);
	printf(")\n\t\t\ti=$((i + 1)) ;;\n"
	    "\t\t-*)\n\t\t\t;;\n"
	    "\t\t*)\n"
	    "\t\t\tif [ -z \"$cmd\" ]; then\n\t\t\t\tcmd=$w\n"
	    "\t\t\t\tcontinue\n\t\t\tfi\n"
	    "\t\t\tcase $cmd in\n\t\t\t");
	for (c = tab; c->name != NULL; c++)
		if (c->sub != NULL && !seen_before(tab, c)) {
			printf("%s%s", sep, c->name);
			sep = "|";
		}
	printf(")\n\t\t\t\tif [ -z \"$sub\" ]; then\n\t\t\t\t\tsub=$w\n"
	    "\t\t\t\t\tcontinue\n\t\t\t\tfi ;;\n\t\t\tesac\n"
	    "\t\t\t[ $npos -gt 0 ] || pos1=$w\n"
	    "\t\t\tnpos=npos+1 ;;\n"
	    "\t\tesac\n\tdone\n");
}

/* After "hamroh help": a command, then one of its subcommands. */
static void
comp_help(const struct cmd *tab)
{
	const struct cmd *c;

	printf("\t\thelp)\n\t\t\tcase $npos in\n\t\t\t0)\n"
	    "\t\t\t\twords=\"");
	comp_names(tab, NULL);
	printf("\" ;;\n\t\t\t1)\n\t\t\t\tcase $pos1 in\n");
	for (c = tab; c->name != NULL; c++) {
		if (c->sub == NULL || seen_before(tab, c))
			continue;
		printf("\t\t\t\t%s)\n\t\t\t\t\twords=\"", c->name);
		comp_names(tab, c->name);
		printf("\" ;;\n");
	}
	printf("\t\t\t\tesac ;;\n\t\t\tesac ;;\n");
}

/* field=value arguments: the fields of the collection named first. */
static void
comp_fields(const struct cmd *tab)
{
	const struct coll_def *cd;
	const struct field_def *f;
	const char *sep;
	int i;

	printf("\t\tif [[ $cur != *=* && $prev != = ]]; then\n"
	    "\t\t\tcase $cmd/$sub in\n");
	for (i = 0; i < 4; i++) {
		if (!comp_rows_at(tab, "field=value", i, false))
			continue;
		printf("\t\t\t");
		comp_rows_at(tab, "field=value", i, true);
		printf(")\n\t\t\t\t[ $npos -lt %d ] || fields=1 ;;\n", i);
	}
	printf("\t\t\tesac\n\t\tfi\n"
	    "\t\tif [ -n \"$fields\" ]; then\n"
	    "\t\t\tcase $pos1 in\n");
	for (cd = schema_colls; cd->name != NULL; cd++) {
		printf("\t\t\t%s)\n\t\t\t\twords=\"", cd->name);
		sep = "";
		for (f = cd->fields; f->name != NULL; f++)
			if (f->name[0] != '_' && !schema_internal(cd, f)) {
				printf("%s%s=", sep, f->name);
				sep = " ";
			}
		printf("\" ;;\n");
	}
	printf("\t\t\tesac\n"
	    "\t\t\tcompopt -o nospace 2>/dev/null || true\n"
	    "\t\tfi\n");
}

static void
help_completion(const struct cmd *tab)
{
	const struct coll_def *cd;
	const struct cmd_opt *o;
	const struct cmd *c;

	printf("# bash completion for hamroh(1), made by 'hamroh help "
	    "--completion bash'\n# from its command table.  Load it with\n"
	    "#   source <(hamroh help --completion bash)\n"
	    "# or save it as /etc/bash_completion.d/hamroh.\n"
	    "_hamroh()\n{\n"
	    "\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev= w cmd= sub= "
	    "pos1= words= fields= i\n"
	    "\tlocal -i npos=0\n"
	    "\tCOMPREPLY=()\n"
	    "\t[ \"$COMP_CWORD\" -lt 2 ] || "
	    "prev=${COMP_WORDS[COMP_CWORD-1]}\n");
	comp_values(tab);
	comp_walk(tab);
	printf("\tif [[ $cur == -* ]]; then\n"
	    "\t\tcase $cmd/$sub in\n");
	for (c = tab; c->name != NULL; c++) {
		if (c->opts[0].name == NULL)
			continue;
		printf("\t\t%s/%s)\n\t\t\twords=\"", c->name,
		    c->sub ? c->sub : "");
		FOR_OPTS(o, c)
			printf("%s%s", o == c->opts ? "" : " ", o->name);
		printf("\" ;;\n");
	}
	printf("\t\tesac\n"
	    "\t\twords=\"$words --data --help\"\n"
	    "\telif [ -z \"$cmd\" ]; then\n"
	    "\t\twords=\"");
	comp_names(tab, NULL);
	printf("\"\n\telse\n\t\tcase $cmd in\n");
	for (c = tab; c->name != NULL; c++) {
		if (c->sub == NULL || seen_before(tab, c))
			continue;
		printf("\t\t%s)\n\t\t\t[ -n \"$sub\" ] || words=\"", c->name);
		comp_names(tab, c->name);
		printf("\" ;;\n");
	}
	comp_help(tab);
	printf("\t\tesac\n"
	    "\t\t# A COLLECTION first: the collections.\n"
	    "\t\tif [ $npos -eq 0 ]; then\n"
	    "\t\t\tcase $cmd/$sub in\n\t\t\t");
	if (comp_rows_at(tab, "COLLECTION", 0, true)) {
		printf(")\n\t\t\t\twords=\"");
		for (cd = schema_colls; cd->name != NULL; cd++)
			printf("%s%s", cd == schema_colls ? "" : " ",
			    cd->name);
		printf("\" ;;\n");
	} else
		printf("*)\n\t\t\t\t;;\n");
	printf("\t\t\tesac\n\t\tfi\n");
	comp_fields(tab);
	printf("\tfi\n"
	    "\tCOMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n"
	    "}\n"
	    "complete -o default -F _hamroh hamroh\n");
}

int
help_main(const struct cmd *tab, int argc, char **argv)
{
	const struct cmd *c, *row;
	const char *shell, *near;
	char cut[48];
	bool man;

	man = cli_flag(&argc, argv, "--man");
	shell = cli_opt(&argc, argv, "--completion");
	cli_no_more_opts(argc, argv, "help");
	if (man || shell != NULL) {
		if (argc > 0 || (man && shell != NULL))
			cli_die(EXIT_USAGE, "help", OPS_MSG_CLI_HELP_MAN, 0);
		if (man) {
			help_man(tab);
			return (0);
		}
		if (strcmp(shell, "bash") != 0)
			cli_die(EXIT_USAGE, "help", OPS_MSG_CLI_HELP_SHELL, 1,
			    cli_cut(cut, sizeof(cut), shell, 40));
		help_completion(tab);
		return (0);
	}
	if (argc == 0) {
		help_list(tab);
		return (0);
	}
	if (argc > 2)
		cli_die(EXIT_USAGE, "help", OPS_MSG_CLI_HELP_ONE, 0);
	if ((c = help_find(tab, argc, argv, &row)) == NULL)
		help_unknown(tab, argv[0]);
	if (argc == 2 && row != NULL && row->fields &&
	    schema_coll(argv[1]) != NULL) {
		help_cmd_args(tab, c, row, argc, argv);
		return (0);
	}
	if (argc == 2 && (row == NULL || row->sub == NULL)) {
		if (nrows(tab, c->name) == 1 && c->sub == NULL)
			cli_die(EXIT_USAGE, "help", OPS_MSG_CLI_HELP_NO_SUBS,
			    1, c->name);
		if ((near = nearest(tab, c->name, argv[1])) != NULL)
			cli_die(EXIT_USAGE, "help", OPS_MSG_CLI_HELP_SUB_NEAR,
			    3, c->name, cli_cut(cut, sizeof(cut), argv[1], 40),
			    near);
		cli_die(EXIT_USAGE, "help", OPS_MSG_CLI_HELP_SUB, 2, c->name,
		    cli_cut(cut, sizeof(cut), argv[1], 40));
	}
	help_cmd(tab, c, row);
	return (0);
}
