/*
 * cmd_import.c: import COLLECTION FILE — JSON Lines or CSV, all or nothing.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "agent/cli/cli.h"
#include "agent/cli/cmds.h"
#include "agent/access/confidential.h"
#include "agent/codec/csv.h"
#include "agent/codec/json.h"
#include "agent/access/rules.h"

#define LINE_MAX_LEN	(4 * 1024 * 1024)	/* A guide body, escaped. */

struct imp {
	struct cli		*cli;
	const struct coll_def	*c;
	const char		*file;
	size_t			line;
	long			n;
};

static void imp_fail(struct imp *, const char *, ...)
    __attribute__((format(printf, 2, 3), noreturn));

static void
imp_fail(struct imp *im, const char *fmt, ...)
{
	char msg[600];
	va_list ap;

	db_rollback(im->cli->db);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cli_fail(EXIT_REFUSED, "import %s: line %zu: %s; nothing was imported",
	    im->file, im->line, msg);
}

/* A key as error messages quote it: at most 40 bytes. */
static const char *
keyname(char buf[48], const char *k, size_t len)
{

	snprintf(buf, 48, "%.*s", (int)(len > 40 ? 40 : len), k);
	return (buf);
}

/* Validate and write one record given as parallel names and values. */
static void
imp_record(struct imp *im, const char *const *keys, const size_t *klen,
    struct val *vals, size_t n, bool from_text)
{
	const struct field_def *f[SCHEMA_MAX_FIELDS * 2];
	char why[256], name[48], err[STORE_ERRLEN];
	uint8_t id[SCHEMA_ID_LEN];
	char center[CONF_CENTER_MAX + 1], *sealed;
	bool has_id = false, live, written;
	size_t i;
	int r = 0;

	if (n > SCHEMA_MAX_FIELDS * 2)
		imp_fail(im, "too many fields");
	for (i = 0; i < n; i++) {
		f[i] = NULL;
		if (klen[i] == 2 && memcmp(keys[i], "id", 2) == 0) {
			char hex[2 * SCHEMA_ID_LEN + 1];

			if (vals[i].t != VAL_STR || vals[i].len != 32)
				imp_fail(im, "field 'id' must be 32 hex "
				    "digits");
			memcpy(hex, vals[i].s, 32);
			hex[32] = '\0';
			if (hex_decode(hex, id, SCHEMA_ID_LEN))
				imp_fail(im, "field 'id' must be 32 hex "
				    "digits");
			has_id = true;
			continue;
		}
		if (keys[i][0] == '_' || (f[i] = schema_field(im->c, keys[i],
		    klen[i])) == NULL)
			imp_fail(im, "unknown field '%s' for %s", keyname(name, keys[i], klen[i]),
			    im->c->name);
		if (from_text && vals[i].t == VAL_STR &&
		    schema_parse(f[i], vals[i].s, vals[i].len, &vals[i]))
			imp_fail(im, "field '%s' must be %s", keyname(name, keys[i], klen[i]),
			    f[i]->kind == FK_INT ? "a whole number" :
			    "true or false");
		/* A sealed value (export --sealed) is longer than its text. */
		if (conf_secret(im->c, f[i]) && vals[i].t == VAL_STR &&
		    conf_well_sealed(vals[i].s, vals[i].len)) {
			if (vals[i].len > conf_sealed_max(f[i]->max_len))
				imp_fail(im, "field '%s' is longer than a "
				    "sealed value of it can be",
				    keyname(name, keys[i], klen[i]));
		} else if (schema_check(f[i], &vals[i], why, sizeof(why)))
			imp_fail(im, "field '%s' %s", keyname(name, keys[i], klen[i]), why);
	}
	if (!has_id)
		randombytes_buf(id, sizeof(id));
	/* Confidential fields are sealed to the record's center. */
	center[0] = '\0';
	written = false;
	for (i = 0; i < n; i++)
		if (f[i] != NULL && strcmp(f[i]->name, "center") == 0 &&
		    vals[i].t == VAL_STR && vals[i].len <= CONF_CENTER_MAX) {
			memcpy(center, vals[i].s, vals[i].len);
			center[vals[i].len] = '\0';
			written = true;
		}
	if (cli_in_network(im->cli)) {
		if (has_id && (r = db_record(im->cli->db, im->c, id,
		    &live)) < 0)
			imp_fail(im, "database error");
		cli_may_write(im->cli, im->c, id, !has_id || r == 0,
		    written ? center : NULL, "import");
	}
	if (center[0] == '\0' && has_id)
		cli_record_center(im->cli, im->c, id, center);
	for (i = 0; i < n; i++) {
		if (f[i] == NULL || (vals[i].t == VAL_NIL && !has_id))
			continue;
		if (cli_seal(im->cli, im->c, id, f[i], center, &vals[i],
		    &sealed, err, sizeof(err)))
			imp_fail(im, "%s", err);
		r = db_put(im->cli->db, im->c, id, f[i], &vals[i], err);
		free(sealed);
		if (r)
			imp_fail(im, "%s", err);
	}
	im->n++;
}

static void
imp_jsonl(struct imp *im, FILE *fp)
{
	const char *keys[JSON_MAX_KEYS];
	size_t klen[JSON_MAX_KEYS];
	struct val vals[JSON_MAX_KEYS];
	struct line_reader *lr;
	struct json_obj o;
	char err[256];
	const char *line;
	size_t len, i;
	int r;

	if ((lr = line_reader_new(fp, LINE_MAX_LEN)) == NULL)
		cli_fail(EXIT_USAGE, "out of memory");
	memset(&o, 0, sizeof(o));
	while ((r = line_reader_next(lr, &line, &len)) == 1) {
		im->line = line_reader_lineno(lr);
		if (len == 0)
			continue;
		if (json_parse_object(line, len, &o, err, sizeof(err)))
			imp_fail(im, "%s", err);
		for (i = 0; i < o.n; i++) {
			keys[i] = o.kv[i].key;
			klen[i] = o.kv[i].key_len;
			vals[i] = o.kv[i].v;
		}
		imp_record(im, keys, klen, vals, o.n, false);
		json_obj_fini(&o);
	}
	if (r < 0) {
		im->line = line_reader_lineno(lr);
		imp_fail(im, "%s", ferror(fp) ? "read error" :
		    "line longer than 4 MiB");
	}
	line_reader_free(lr);
}

static void
imp_csv(struct imp *im, FILE *fp)
{
	const char *keys[SCHEMA_MAX_FIELDS * 2];
	size_t klen[SCHEMA_MAX_FIELDS * 2];
	struct val vals[SCHEMA_MAX_FIELDS * 2];
	char **hdr = NULL, **fields, err[256];
	size_t *lens, nh = 0, n, i;
	struct csv *cv;
	int r;

	if ((cv = csv_new(fp, LINE_MAX_LEN)) == NULL)
		cli_fail(EXIT_USAGE, "out of memory");
	while ((r = csv_next(cv, &fields, &lens, &n, err, sizeof(err))) == 1) {
		im->line = csv_lineno(cv);
		if (hdr == NULL) {
			/* The header names the fields; keep a copy. */
			if (n > SCHEMA_MAX_FIELDS * 2)
				imp_fail(im, "too many columns");
			if ((hdr = calloc(n, sizeof(*hdr))) == NULL)
				cli_fail(EXIT_USAGE, "out of memory");
			for (i = 0; i < n; i++) {
				if ((hdr[i] = strdup(fields[i])) == NULL)
					cli_fail(EXIT_USAGE, "out of memory");
				keys[i] = hdr[i];
				klen[i] = lens[i];
			}
			nh = n;
			continue;
		}
		if (n != nh)
			imp_fail(im, "has %zu fields, the header has %zu",
			    n, nh);
		for (i = 0; i < n; i++) {
			memset(&vals[i], 0, sizeof(vals[i]));
			vals[i].t = lens[i] ? VAL_STR : VAL_NIL;
			vals[i].s = fields[i];
			vals[i].len = lens[i];
		}
		imp_record(im, keys, klen, vals, n, true);
	}
	if (r < 0) {
		im->line = csv_lineno(cv);
		imp_fail(im, "%s", err);
	}
	for (i = 0; i < nh; i++)
		free(hdr[i]);
	free(hdr);
	csv_free(cv);
}

int
cmd_import(struct cli *cli, int argc, char **argv)
{
	struct imp im;
	char err[STORE_ERRLEN];
	size_t fl;
	FILE *fp;

	cli_no_more_opts(argc, argv, "import");
	if (argc != 2)
		cli_fail(EXIT_USAGE, "import: give COLLECTION FILE (FILE may "
		    "be - for JSON Lines on stdin)");
	memset(&im, 0, sizeof(im));
	im.cli = cli;
	im.c = cli_coll(argv[0]);
	im.file = argv[1];
	if (strcmp(argv[1], "-") == 0)
		fp = stdin;
	else if ((fp = fopen(argv[1], "rb")) == NULL)
		cli_fail(EXIT_REFUSED, "import %s: %s; nothing was imported",
		    argv[1], strerror(errno));
	cli_open(cli, true);
	(void)cli_conf(cli);	/* Keys first: it runs a query. */
	/* One transaction; a commit per 1000 records inside it. */
	if (db_begin(cli->db, cli_now_ms(), err))
		cli_fail(EXIT_REFUSED, "import %s: %s", argv[1], err);
	fl = strlen(argv[1]);
	if (fl > 4 && strcmp(argv[1] + fl - 4, ".csv") == 0)
		imp_csv(&im, fp);
	else
		imp_jsonl(&im, fp);
	if (fp != stdin)
		fclose(fp);
	if (db_commit(cli->db, err))
		cli_fail(EXIT_REFUSED, "import %s: %s; nothing was imported",
		    argv[1], err);
	printf("imported %ld records into %s\n", im.n, im.c->name);
	cli_warn_commit(cli);
	return (0);
}
