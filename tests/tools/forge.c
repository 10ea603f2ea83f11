/*
 * forge.c: test tool — a modified binary.  Makes a local write that the
 * CLI would refuse (agent/access/rules.c), straight through the store API, signed
 * with the node's own key like any commit of that node.
 *
 *     forge DIR COLLECTION ID_HEX FIELD=VALUE [FIELD=VALUE...] [--bundle FILE]
 *         [--stamp-back]
 *
 * Values are parsed as the field's kind says (int, bool, else text; an
 * empty value clears the field) and checked against the schema, but never
 * sealed: forge confidential fields only to test exactly that.  db_flush()
 * takes the seen heads from the record's current state, so an edit of an
 * existing record looks like a real edit.  With --bundle, FILE then holds
 * exactly the new commit.  With --stamp-back, the commit is stamped one
 * below the node's previous commit, as a node whose clock went back and
 * that ignores its own log would sign it; the node stores it as any node
 * does (refused as a whole).  Prints the new commit's seq.  Exit 0 on
 * success, 1 on failure, 2 on a usage error (one line on stderr); a data
 * dir that cannot be opened fails as the CLI does ("hamroh: ...", 2).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "agent/codec/bundle.h"
#include "agent/cli/cli.h"
#include "store/commit.h"
#include "store/db.h"
#include "store/schema.h"

struct own {
	const uint8_t	*key;
	uint64_t	seq;
};

struct one {
	struct bundle_w	*w;
	uint64_t	seq;
	long		n;
};

static void die(int, const char *, ...)
    __attribute__((format(printf, 2, 3), noreturn));

/* One line on stderr, then exit with ${code}. */
static void
die(int code, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("forge: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

static int
own_cb(void *arg, const uint8_t *origin, uint64_t seq)
{
	struct own *o = arg;

	if (memcmp(origin, o->key, NODE_KEY_LEN) == 0)
		o->seq = seq;
	return (0);
}

static int
add_cb(void *arg, const uint8_t *body, size_t len, const uint8_t *sig,
    uint64_t seq)
{
	struct one *x = arg;

	if (seq != x->seq)
		return (-1);
	x->n++;
	return (bundle_w_add(x->w, body, len, sig));
}

/* A commit of this node read back: body, signature, stamp. */
struct got {
	msgpack_sbuffer	sb;
	uint8_t		sig[NODE_SIG_LEN];
	long		n;
};

static int
got_cb(void *arg, const uint8_t *body, size_t len, const uint8_t *sig,
    uint64_t seq)
{
	struct got *g = arg;

	(void)seq;
	msgpack_sbuffer_clear(&g->sb);
	if (msgpack_sbuffer_write(&g->sb, (const char *)body, len))
		return (-1);
	memcpy(g->sig, sig, NODE_SIG_LEN);
	g->n++;
	return (1);
}

/* Decode this node's commit ${seq} (in ${g}) into ${cm}. */
static void
read_own(struct db *db, uint64_t seq, struct got *g, struct commit *cm)
{
	char err[STORE_ERRLEN] = "";
	const char *why;

	g->n = 0;
	if (db_commits_from(db, db_node_key(db), seq - 1, 1, got_cb, g,
	    err) < 0 || g->n != 1)
		die(1, "cannot read back commit %llu: %s",
		    (unsigned long long)seq, err[0] ? err : "not found");
	if (commit_decode((const uint8_t *)g->sb.data, g->sb.size, cm, &why))
		die(1, "commit %llu: %s", (unsigned long long)seq, why);
}

/*
 * Replace this node's commit ${seq}, made in the open transaction, by the
 * same stamped one below commit ${seq} - 1, signed again; stored as a
 * peer's commit would be.
 */
static void
stamp_back(struct db *db, uint64_t seq)
{
	struct got prev, cur;
	struct commit pc, cm;
	struct db_counts dc;
	msgpack_sbuffer sb;
	uint8_t sk[NODE_SK_LEN], hash[COMMIT_HASH_LEN], sig[NODE_SIG_LEN];
	char err[STORE_ERRLEN];

	if (seq < 2) {
		db_rollback(db);
		die(2, "--stamp-back: the node has no earlier commit");
	}
	msgpack_sbuffer_init(&prev.sb);
	msgpack_sbuffer_init(&cur.sb);
	msgpack_sbuffer_init(&sb);
	read_own(db, seq - 1, &prev, &pc);
	read_own(db, seq, &cur, &cm);
	cm.hlc = pc.hlc - 1;
	if (commit_encode(&cm, &sb) || db_copy_signer(db, sk))
		die(1, "out of memory");
	commit_hash((const uint8_t *)sb.data, sb.size, hash);
	commit_sign(hash, sk, sig);
	sodium_memzero(sk, sizeof(sk));
	commit_fini(&pc);
	commit_fini(&cm);
	db_rollback(db);
	memset(&dc, 0, sizeof(dc));
	if (db_begin(db, cli_now_ms(), err) || db_apply(db,
	    (const uint8_t *)sb.data, sb.size, sig, &dc, err) ||
	    dc.applied != 1)
		die(1, "cannot store the commit stamped back%s%s",
		    err[0] ? ": " : "", err);
	msgpack_sbuffer_destroy(&prev.sb);
	msgpack_sbuffer_destroy(&cur.sb);
	msgpack_sbuffer_destroy(&sb);
}

/* Write the commit of seq ${seq} by this node, alone, to ${f} (${path}). */
static void
write_bundle(struct db *db, uint64_t seq, FILE *f, const char *path)
{
	char err[STORE_ERRLEN] = "";
	struct bundle_w w;
	struct one x;

	x.w = &w;
	x.seq = seq;
	x.n = 0;
	if (bundle_w_init(&w, f))
		die(1, "%s: %s", path, strerror(errno));
	if (db_commits_from(db, db_node_key(db), seq - 1, SIZE_MAX, add_cb,
	    &x, err) != 1 || x.n != 1)
		die(1, "%s: cannot read back the new commit: %s", path,
		    err[0] ? err : "not found");
	if (bundle_w_finish(&w) || fclose(f))
		die(1, "%s: %s", path, strerror(errno));
}

int
main(int argc, char **argv)
{
	const struct coll_def *c;
	const struct field_def *f;
	const char *bundle = NULL, *eq;
	char err[STORE_ERRLEN] = "", why[256];
	uint8_t id[SCHEMA_ID_LEN];
	struct cli cli;
	struct val v;
	struct db *db;
	struct own o;
	FILE *bf = NULL;
	bool back = false;
	int i, n;

	/* Take --bundle FILE and --stamp-back out of the arguments. */
	for (i = n = 1; i < argc; i++) {
		if (strcmp(argv[i], "--stamp-back") == 0)
			back = true;
		else if (strcmp(argv[i], "--bundle") != 0)
			argv[n++] = argv[i];
		else if (++i < argc && bundle == NULL)
			bundle = argv[i];
		else
			n = -argc;	/* No FILE, or --bundle twice. */
	}
	if (n < 5)
		die(2, "usage: forge DIR COLLECTION ID_HEX FIELD=VALUE... "
		    "[--bundle FILE] [--stamp-back]");
	argc = n;
	if (sodium_init() < 0)
		die(1, "sodium_init failed");
	if ((c = schema_coll(argv[2])) == NULL)
		die(2, "unknown collection '%s'", argv[2]);
	if (hex_decode(argv[3], id, SCHEMA_ID_LEN))
		die(2, "'%s' is not a record id (32 hex digits)", argv[3]);
	/* Check every field=value before writing anything. */
	for (i = 4; i < argc; i++) {
		if ((eq = strchr(argv[i], '=')) == NULL ||
		    (f = schema_field(c, argv[i],
		    (size_t)(eq - argv[i]))) == NULL)
			die(2, "'%s' is not FIELD=VALUE of a field of %s",
			    argv[i], c->name);
		if (schema_parse(f, eq + 1, strlen(eq + 1), &v))
			die(2, "%s: field '%s' must be %s", argv[i], f->name,
			    f->kind == FK_INT ? "a whole number" :
			    "true or false");
		if (schema_check(f, &v, why, sizeof(why)))
			die(2, "%s: field '%s' %s", argv[i], f->name, why);
	}

	/* A bad --bundle path fails before anything is committed. */
	if (bundle != NULL && (bf = fopen(bundle, "wb")) == NULL)
		die(1, "%s: %s", bundle, strerror(errno));
	/* The node's database and key, opened and checked as the CLI does. */
	memset(&cli, 0, sizeof(cli));
	cli.dir = argv[1];
	cli_open(&cli, true);
	db_keep_refused(cli.db, true);	/* A modified binary. */
	db = cli.db;
	if (db_begin(db, cli_now_ms(), err))
		die(1, "%s", err);
	for (i = 4; i < argc; i++) {
		eq = strchr(argv[i], '=');
		f = schema_field(c, argv[i], (size_t)(eq - argv[i]));
		if (schema_parse(f, eq + 1, strlen(eq + 1), &v) ||
		    db_put(db, c, id, f, &v, err)) {
			db_rollback(db);
			die(1, "%s", err);
		}
	}
	/* Seal the commit; in this transaction it is this node's highest. */
	o.key = db_node_key(db);
	o.seq = 0;
	err[0] = '\0';
	if (db_flush(db, err) || db_vector(db, own_cb, &o, err) || o.seq == 0) {
		db_rollback(db);
		die(1, "cannot make the commit%s%s", err[0] ? ": " : "", err);
	}
	if (back)
		stamp_back(db, o.seq);
	if (db_commit(db, err))
		die(1, "%s", err);
	if (bf != NULL)
		write_bundle(db, o.seq, bf, bundle);
	printf("%llu\n", (unsigned long long)o.seq);
	cli_close(&cli);
	return (0);
}
