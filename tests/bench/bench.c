/*
 * bench.c: `make bench` — hamroh's speed and size figures, each printed
 * next to the physical limit measured in the same run on the same disk:
 * a plain SQLite table written with the same batch size and the same
 * synchronous setting.
 *
 *   bench [--n N] [--hamroh PATH] [--input FILE] [--gen PATH]
 *         [--dir BASE] [--adds K] [--reps R] [--keep]
 *         [--vec-known K] [--vector-only] [--only FIGURE]
 *
 * The input is --input FILE (JSON Lines; generated into FILE first if it
 * does not exist, so a Makefile can cache it) or, without it, N records
 * generated into the scratch dir by `python3 GEN N` (--gen, default
 * tests/tools/gen_consultations.py: run from the repository's root, as
 * `make bench` does, or give --gen).  The
 * scratch dir is a mkdtemp() under --dir (default $TMPDIR, else /tmp),
 * removed at exit unless --keep.  Timed runs take the best of --reps.
 * --vector-only prints the vector figure alone (no input, no hamroh).
 * --only FIGURE (or $BENCH_ONLY) runs what one figure needs and prints
 * it alone: import, import-cli, apply, apply-conf, revoke, strangers,
 * apply-cli, add, size, vector or search; the name of another bench's
 * figure (catchup) runs nothing here.
 *
 * Figures:
 *   import      N generated consultations in one transaction, in process
 *               (db_begin, db_put per field, db_commit: a signed commit per
 *               1000 records or 64 KiB), vs a raw INSERT of the same rows
 *               into a plain table.  A second line splits both times into
 *               the rows and the final COMMIT (WAL write, checkpoint).
 *               Context lines: the raw table keyed by id, and the floor
 *               of the design itself, a keyed table plus the node's own
 *               commit bodies as blobs (a verbatim log and a row per
 *               record, with no CPU spent on either).
 *   import-cli  The same through `hamroh import` (fork/exec, JSON parsing).
 *   apply       Those commits from a bundle into an empty node of the
 *               writer's network, which judges each (bundle_read, db_apply,
 *               one transaction), vs the same raw insert rate.
 *   apply-conf  Apply again, of the same records written with their
 *               confidential fields (client_name, client_phone, summary)
 *               sealed to a center key, vs the plain apply: target 0.8.
 *   revoke      On the node the apply filled, an office of the network
 *               logs 200 consultations; one commit revokes it as of
 *               before them, and applying that commit undoes them by
 *               re-deriving them from the whole log: its time, against
 *               the whole apply's (no target).
 *   apply-cli   The same through `hamroh bundle import`.
 *   add         K single-record transactions (fsync included): p50, p99;
 *               vs the p50 of single-row INSERT transactions, interleaved.
 *   size        Bytes per record of hamroh.db vs the raw table.
 *   search      The search index of N consultations, their names, phones
 *               and summaries sealed: until names, phones and case numbers
 *               are searchable (target <= 1.5 s), until the summaries are
 *               too (<= 10 s; ratio: the read+decrypt+FTS5-insert floor),
 *               query p50/p99 (p99 <= 50 ms), memory over plaintext.
 *   vector      CPU time for a session to take a peer's HELLO carrying
 *               MSG_MAX_ORIGINS (100,000) origins, in HELLO and VECTOR
 *               frames (it outgrows one): none of them held by the
 *               receiver (a hostile vector), then --vec-known of them
 *               held (their lookups hit and update).  Target < 50 ms;
 *               the limit is decrypting and decoding the same frames
 *               alone (ratio: that time over the session's).
 *
 * Every ratio is hamroh's figure over the limit in the direction where 1 is
 * the limit: rates hamroh/raw, latency raw/hamroh, size raw/hamroh.  A
 * missed target prints "BELOW TARGET" but exits 0; errors exit 1.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mntent.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "agent/codec/bundle.h"
#include "agent/cli/cli.h"
#include "agent/access/confidential.h"
#include "agent/codec/json.h"
#include "agent/ops/cases.h"
#include "agent/ops/search.h"
#include "agent/ops/users.h"
#include "agent/search/fold.h"
#include "agent/search/index.h"
#include "agent/sync/session.h"
#include "protocol/frame.h"
#include "protocol/hs.h"
#include "protocol/limits.h"
#include "protocol/msg.h"
#include "store/commit.h"
#include "store/db.h"
#include "store/db_test.h"
#include "store/fts.h"
#include "store/query.h"
#include "store/schema.h"
#include "store/trust.h"

#define DEF_N		100000
#define DEF_VEC_KNOWN	100000	/* Origins of the receiver, in "vector". */
#define VEC_TARGET_MS	50.0
#define DEF_ADDS	300
#define DEF_REPS	3	/* Best of: the disk is noisy, fsync more so. */
#define DEF_GEN		"tests/tools/gen_consultations.py"
#define LINE_MAX_LEN	(4 * 1024 * 1024)
#define COLL		"consultations"
#define NCOL		13

/*
 * The generator's fields (besides id), in the raw table's column order:
 * what a new consultation needs (store/schema.c's record rules) and more.
 */
static const char *const cols[NCOL] = { "center", "opened_at", "client_sex",
    "client_age", "destination", "topic", "language", "summary", "status",
    "lawyer", "channel", "outcome", "closed_on" };

static const char *const raw_ddl = "CREATE TABLE raw(id TEXT, center TEXT,"
    " opened_at TEXT, client_sex TEXT, client_age INTEGER, destination TEXT,"
    " topic TEXT, language TEXT, summary TEXT, status TEXT, lawyer TEXT,"
    " channel TEXT, outcome TEXT, closed_on TEXT)";
/* Context only: the same table when records are addressed by their id. */
static const char *const raw_keyed_ddl = "CREATE TABLE raw(id TEXT PRIMARY"
    " KEY, center TEXT, opened_at TEXT, client_sex TEXT, client_age INTEGER,"
    " destination TEXT, topic TEXT, language TEXT, summary TEXT, status TEXT,"
    " lawyer TEXT, channel TEXT, outcome TEXT, closed_on TEXT)";
static const char *const raw_ins = "INSERT INTO raw VALUES(?, ?, ?, ?, ?,"
    " ?, ?, ?, ?, ?, ?, ?, ?, ?)";

/* db_open()'s settings, so the raw table is written the same way. */
static const char *const raw_pragmas[] = { "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL", "PRAGMA temp_store=MEMORY",
    "PRAGMA cache_size=-65536", NULL };

struct rec {
	uint8_t		id[SCHEMA_ID_LEN];
	char		hex[2 * SCHEMA_ID_LEN + 1];
	struct val	v[NCOL];	/* Strings point into the arena. */
};

struct opts {
	size_t		n, adds, vec_known;
	int		reps;
	const char	*hamroh, *input, *gen, *base;
	bool		keep, vector_only;
	const char	*only;		/* NULL: every figure. */
};

static const struct coll_def *coll;
static const struct field_def *fdef[NCOL];
static char tmpdir[PATH_MAX / 2];	/* Leaves room for names in it. */
static bool keep_tmp;
static int nbelow;
static const char *only;	/* --only: the one figure to run. */

/* Is figure ${name} to be run and printed? */
static bool
want(const char *name)
{

	return (only == NULL || strcmp(only, name) == 0);
}

static void rmtree(const char *);

static void die(const char *, ...)
    __attribute__((format(printf, 1, 2), noreturn));

static void
die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "bench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(1);
}

static void
cleanup(void)
{

	if (tmpdir[0] == '\0')
		return;
	if (keep_tmp)
		printf("kept %s\n", tmpdir);
	else
		rmtree(tmpdir);
}

/* Remove ${path} and, if it is a directory, everything below it. */
static void
rmtree(const char *path)
{
	char sub[PATH_MAX];
	struct dirent *de;
	struct stat sb;
	DIR *d;

	if (lstat(path, &sb) == 0 && S_ISDIR(sb.st_mode) &&
	    (d = opendir(path)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
			rmtree(sub);
		}
		closedir(d);
		rmdir(path);
	} else
		unlink(path);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

/* Wall-clock ms: the store never reads a clock, callers pass it in. */
static uint64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
}

/* ${name} in the scratch dir; the result lives for three more calls. */
static char *
tpath(const char *name)
{
	static char p[4][PATH_MAX];
	static int k;

	k = (k + 1) % 4;
	snprintf(p[k], sizeof(p[k]), "%s/%s", tmpdir, name);
	return (p[k]);
}

/*
 * The CLI figures run as an office does: the node made by `init --user
 * bench`, every call signed in as bench when its command needs a user,
 * the passphrase one line of a file in the scratch dir on fd PASS_FD
 * (--passphrase-fd; never argv or the environment).
 */
#define PASS_FD		9
#define PASS_FD_ARG	"9"
#define BENCH_USER	"bench"
static const char	*pass_file;

/* The bench user's passphrase, one line, mode 0600, in the scratch dir. */
static void
write_pass_file(void)
{
	static const char line[] = "bench passphrase, not a real one\n";
	static char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s", tpath("passphrase"));
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600)) == -1 ||
	    write(fd, line, sizeof(line) - 1) != (ssize_t)(sizeof(line) - 1) ||
	    close(fd) == -1)
		die("%s: %s", path, strerror(errno));
	pass_file = path;
}

/*
 * Run ${argv} with stdout on ${out} (NULL: /dev/null), and pass_file, if
 * set, on fd PASS_FD; return its wall time in seconds, or die if it does
 * not exit 0.
 */
static double
run(char *const argv[], const char *out)
{
	double t0, t1;
	pid_t pid;
	int st, fd;

	fflush(stdout);
	t0 = now_s();
	if ((pid = fork()) == -1)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		fd = open(out ? out : "/dev/null", O_WRONLY | O_CREAT |
		    O_TRUNC, 0644);
		if (fd == -1 || dup2(fd, 1) == -1)
			_exit(126);
		close(fd);
		if (pass_file != NULL) {
			fd = open(pass_file, O_RDONLY);
			if (fd == -1 || (fd != PASS_FD &&
			    (dup2(fd, PASS_FD) == -1 || close(fd) == -1)))
				_exit(126);
		}
		execvp(argv[0], argv);
		fprintf(stderr, "bench: exec %s: %s\n", argv[0],
		    strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR)
			die("waitpid: %s", strerror(errno));
	t1 = now_s();
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		die("%s %s failed (status %d)", argv[0], argv[1], st);
	return (t1 - t0);
}

/* ---- Where we run. ---- */

static void
describe_dir(const char *dir)
{
	char real[PATH_MAX], dev[256] = "?", type[64] = "?", at[PATH_MAX] = "?";
	struct mntent *m;
	size_t best = 0, l;
	FILE *f;

	if (realpath(dir, real) == NULL)
		snprintf(real, sizeof(real), "%s", dir);
	if ((f = setmntent("/proc/self/mounts", "r")) != NULL) {
		while ((m = getmntent(f)) != NULL) {
			l = strlen(m->mnt_dir);
			if (strncmp(real, m->mnt_dir, l) != 0 ||
			    (real[l] != '/' && real[l] != '\0' && l > 1) ||
			    l < best)
				continue;
			best = l;
			snprintf(dev, sizeof(dev), "%s", m->mnt_fsname);
			snprintf(type, sizeof(type), "%s", m->mnt_type);
			snprintf(at, sizeof(at), "%s", m->mnt_dir);
		}
		endmntent(f);
	}
	printf("dir %s on %s (%s, mounted at %s)\n", real, dev, type, at);
	if (strcmp(type, "tmpfs") == 0 || strcmp(type, "ramfs") == 0)
		printf("warning: %s is in memory, fsync costs nothing; use "
		    "--dir on a disk for real figures\n", type);
}

/* ---- The input. ---- */

static int
id_parse(const char *s, size_t len, uint8_t id[SCHEMA_ID_LEN])
{
	char hex[2 * SCHEMA_ID_LEN + 1];

	if (len != 2 * SCHEMA_ID_LEN)
		return (-1);
	memcpy(hex, s, len);
	hex[len] = '\0';
	return (hex_decode(hex, id, SCHEMA_ID_LEN));
}

/* Generate ${n} records into ${path} (via a temporary, then rename). */
static void
generate(const char *gen, size_t n, const char *path)
{
	char nb[32], tmp[PATH_MAX];
	char *argv[] = { "python3", (char *)(uintptr_t)gen, nb, NULL };
	double t;

	if (access(gen, R_OK) != 0)
		die("generator %s: %s (give --gen PATH or --input FILE)", gen,
		    strerror(errno));
	snprintf(nb, sizeof(nb), "%zu", n);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	t = run(argv, tmp);
	if (rename(tmp, path) == -1)
		die("rename %s: %s", tmp, strerror(errno));
	printf("generated %zu consultations into %s in %.1f s\n", n, path, t);
}

/*
 * Load at most ${*np} records from ${path}: parse each line once, check
 * every value against the schema (what import does before db_put), keep
 * the values, their strings in one arena returned in ${*arenap}.  Set
 * ${*np} to the number loaded and ${*more} if the file holds more.
 */
static struct rec *
load(const char *path, size_t *np, bool *more, size_t *bytes, char **arenap)
{
	struct line_reader *lr;
	struct json_obj o;
	struct stat sb;
	struct rec *recs, *r;
	struct val *v;
	char err[256], why[256], *arena;
	const char *line;
	size_t len, i, k, n = 0, off = 0;
	FILE *f;
	int rc;

	if ((f = fopen(path, "rb")) == NULL || fstat(fileno(f), &sb) == -1)
		die("%s: %s", path, strerror(errno));
	*bytes = (size_t)sb.st_size;
	if ((arena = malloc((size_t)sb.st_size + 1)) == NULL ||
	    (recs = calloc(*np, sizeof(*recs))) == NULL ||
	    (lr = line_reader_new(f, LINE_MAX_LEN)) == NULL)
		die("out of memory");
	memset(&o, 0, sizeof(o));
	*more = false;
	while ((rc = line_reader_next(lr, &line, &len)) == 1) {
		if (len == 0)
			continue;
		if (n == *np) {
			*more = true;
			break;
		}
		if (json_parse_object(line, len, &o, err, sizeof(err)))
			die("%s:%zu: %s", path, line_reader_lineno(lr), err);
		r = &recs[n];
		for (i = 0; i < o.n; i++) {
			if (strcmp(o.kv[i].key, "id") == 0) {
				if (o.kv[i].v.t != VAL_STR || id_parse(
				    o.kv[i].v.s, o.kv[i].v.len, r->id))
					die("%s:%zu: bad id", path,
					    line_reader_lineno(lr));
				memcpy(r->hex, o.kv[i].v.s, 32);
				continue;
			}
			for (k = 0; k < NCOL; k++)
				if (strcmp(o.kv[i].key, cols[k]) == 0)
					break;
			if (k == NCOL)
				die("%s:%zu: unexpected field '%s'", path,
				    line_reader_lineno(lr), o.kv[i].key);
			v = &r->v[k];
			*v = o.kv[i].v;
			if (schema_check(fdef[k], v, why, sizeof(why)))
				die("%s:%zu: %s %s", path,
				    line_reader_lineno(lr), cols[k], why);
			if (v->t == VAL_STR) {
				memcpy(arena + off, v->s, v->len);
				v->s = arena + off;
				off += v->len;
			}
		}
		if (r->hex[0] == '\0')
			die("%s:%zu: no id", path, line_reader_lineno(lr));
		json_obj_fini(&o);
		n++;
	}
	if (rc < 0)
		die("%s:%zu: read error or line too long", path,
		    line_reader_lineno(lr));
	line_reader_free(lr);
	fclose(f);
	*np = n;
	*arenap = arena;
	return (recs);
}

/* Copy the first ${n} non-empty lines of ${from} to ${to}. */
static void
copy_lines(const char *from, const char *to, size_t n)
{
	struct line_reader *lr;
	const char *line;
	size_t len, k = 0;
	FILE *in, *out;

	if ((in = fopen(from, "rb")) == NULL || (out = fopen(to, "wb")) ==
	    NULL || (lr = line_reader_new(in, LINE_MAX_LEN)) == NULL)
		die("copy %s: %s", from, strerror(errno));
	while (k < n && line_reader_next(lr, &line, &len) == 1) {
		if (len == 0)
			continue;
		fwrite(line, 1, len, out);
		fputc('\n', out);
		k++;
	}
	line_reader_free(lr);
	fclose(in);
	if (fclose(out) == EOF)
		die("write %s: %s", to, strerror(errno));
}

/* ---- The raw baseline. ---- */

static void
sql(sqlite3 *h, const char *s)
{

	if (sqlite3_exec(h, s, NULL, NULL, NULL) != SQLITE_OK)
		die("sqlite: %s: %s", s, sqlite3_errmsg(h));
}

static sqlite3 *
raw_open(const char *path, sqlite3_stmt **ins, bool keyed)
{
	const char *const *p;
	sqlite3 *h;

	if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
		die("%s: %s", path, sqlite3_errmsg(h));
	for (p = raw_pragmas; *p != NULL; p++)
		sql(h, *p);
	sql(h, keyed ? raw_keyed_ddl : raw_ddl);
	if (sqlite3_prepare_v2(h, raw_ins, -1, ins, NULL) != SQLITE_OK)
		die("prepare: %s", sqlite3_errmsg(h));
	return (h);
}

static void
raw_row(sqlite3 *h, sqlite3_stmt *st, const struct rec *r)
{
	const struct val *v;
	size_t k;

	sqlite3_bind_text(st, 1, r->hex, 32, SQLITE_STATIC);
	for (k = 0; k < NCOL; k++) {
		v = &r->v[k];
		if (v->t == VAL_STR)
			sqlite3_bind_text(st, (int)k + 2, v->s, (int)v->len,
			    SQLITE_STATIC);
		else if (v->t == VAL_INT || v->t == VAL_BOOL)
			sqlite3_bind_int64(st, (int)k + 2, v->i);
		else
			sqlite3_bind_null(st, (int)k + 2);
	}
	if (sqlite3_step(st) != SQLITE_DONE)
		die("raw insert: %s", sqlite3_errmsg(h));
	sqlite3_reset(st);
}

/*
 * All rows in one transaction, as `hamroh import` does; seconds, of which
 * ${*tc} in the final COMMIT (WAL write, fsync, checkpoint).
 */
static double
raw_import(sqlite3 *h, sqlite3_stmt *st, const struct rec *recs, size_t n,
    double *tc)
{
	double t0, t1;
	size_t i;

	t0 = now_s();
	sql(h, "BEGIN IMMEDIATE");
	for (i = 0; i < n; i++)
		raw_row(h, st, &recs[i]);
	t1 = now_s();
	sql(h, "COMMIT");
	*tc = now_s() - t1;
	return (now_s() - t0);
}

/*
 * The floor of any store that keeps both a verbatim log and a row per
 * record addressed by id, as DESIGN.md asks: the keyed rows plus the
 * node's own commit bodies as blobs, in one transaction.  Seconds.
 */
static double
floor_import(const char *path, const struct rec *recs, size_t n,
    sqlite3 *node)
{
	sqlite3 *h;
	sqlite3_stmt *ins, *blob, *sel;
	double t0, t;
	size_t i;

	h = raw_open(path, &ins, true);
	sql(h, "CREATE TABLE log(n INTEGER PRIMARY KEY, body BLOB)");
	if (sqlite3_prepare_v2(h, "INSERT INTO log(body) VALUES(?)", -1,
	    &blob, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(node, "SELECT body FROM commits ORDER BY n",
	    -1, &sel, NULL) != SQLITE_OK)
		die("prepare: %s", sqlite3_errmsg(h));
	sync();
	t0 = now_s();
	sql(h, "BEGIN IMMEDIATE");
	while (sqlite3_step(sel) == SQLITE_ROW) {
		sqlite3_bind_blob(blob, 1, sqlite3_column_blob(sel, 0),
		    sqlite3_column_bytes(sel, 0), SQLITE_STATIC);
		if (sqlite3_step(blob) != SQLITE_DONE)
			die("floor insert: %s", sqlite3_errmsg(h));
		sqlite3_reset(blob);
	}
	for (i = 0; i < n; i++)
		raw_row(h, ins, &recs[i]);
	sql(h, "COMMIT");
	t = now_s() - t0;
	sqlite3_finalize(sel);
	sqlite3_finalize(blob);
	sqlite3_finalize(ins);
	sqlite3_close(h);
	return (t);
}

/* ---- hamroh in process. ---- */

static struct db *
node_new(const char *dir)
{
	uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
	char path[PATH_MAX], err[STORE_ERRLEN];
	struct db *db;

	if (mkdir(dir, 0700) == -1)
		die("mkdir %s: %s", dir, strerror(errno));
	snprintf(path, sizeof(path), "%s/%s", dir, DB_FILE);
	if (db_open(&db, path, true, err))
		die("db_open: %s", err);
	crypto_sign_keypair(pk, sk);
	if (db_set_signer(db, sk))
		die("db_set_signer failed");
	sodium_memzero(sk, sizeof(sk));
	return (db);
}

/*
 * Make ${db} a member of the network whose admin key is ${admin}: from
 * then on it judges every commit it applies (store/trust.h), as every
 * node in the field does.
 */
static void
node_join(struct db *db, const uint8_t *admin)
{
	char err[STORE_ERRLEN], hex[2 * crypto_sign_PUBLICKEYBYTES + 1];

	sodium_bin2hex(hex, sizeof(hex), admin, crypto_sign_PUBLICKEYBYTES);
	if (db_begin(db, wall_ms(), err) ||
	    db_meta_set(db, "admin_key", hex, err) || db_commit(db, err))
		die("join: %s", err);
}

/* Buffer the fields of ${r} as record ${id}. */
static void
put_rec(struct db *db, const uint8_t id[SCHEMA_ID_LEN], const struct rec *r)
{
	char err[STORE_ERRLEN];
	size_t k;

	for (k = 0; k < NCOL; k++) {
		if (r->v[k].t == VAL_NIL)
			continue;
		if (db_put(db, coll, id, fdef[k], &r->v[k], err))
			die("db_put: %s", err);
	}
}

/*
 * The records with their confidential fields sealed to a center key, as
 * a node in a network writes them, into a bundle at ${path}; the number
 * of commits.
 */
static size_t export_bundle(struct db *, const char *);

static size_t
sealed_bundle(const char *dir, const struct rec *recs, size_t n,
    const char *path, uint8_t writer[crypto_sign_PUBLICKEYBYTES])
{
	struct conf_key k;
	struct rec r;
	struct db *db;
	char err[STORE_ERRLEN], *sealed[NCOL];
	size_t i, j, nc;

	memset(&k, 0, sizeof(k));
	/* A key id bound to its center, as conf_make_key() makes them. */
	trust_keyid_prefix("Dushanbe", 8, k.id);
	randombytes_buf(k.id + TRUST_KEYID_BOUND, sizeof(k.id) -
	    TRUST_KEYID_BOUND);
	crypto_aead_xchacha20poly1305_ietf_keygen(k.key);
	k.version = 1;
	snprintf(k.center, sizeof(k.center), "Dushanbe");
	db = node_new(dir);
	if (db_begin(db, wall_ms(), err))
		die("db_begin: %s", err);
	for (i = 0; i < n; i++) {
		r = recs[i];
		for (j = 0; j < NCOL; j++) {
			sealed[j] = NULL;
			if (r.v[j].t != VAL_STR || !conf_secret(coll, fdef[j]))
				continue;
			if (conf_seal(&k, r.id, fdef[j]->name, r.v[j].s,
			    r.v[j].len, &sealed[j]))
				die("out of memory");
			r.v[j].s = sealed[j];
			r.v[j].len = strlen(sealed[j]);
		}
		put_rec(db, r.id, &r);
		for (j = 0; j < NCOL; j++)
			free(sealed[j]);
	}
	if (db_commit(db, err))
		die("db_commit: %s", err);
	nc = export_bundle(db, path);
	memcpy(writer, db_node_key(db), crypto_sign_PUBLICKEYBYTES);
	db_close(db);
	rmtree(dir);
	sodium_memzero(&k, sizeof(k));
	return (nc);
}

/* As raw_import(); ${*tc} also holds sealing the last commit. */
static double
hamroh_import(struct db *db, const struct rec *recs, size_t n, double *tc)
{
	char err[STORE_ERRLEN];
	double t0, t1;
	size_t i;

	t0 = now_s();
	if (db_begin(db, wall_ms(), err))
		die("db_begin: %s", err);
	for (i = 0; i < n; i++)
		put_rec(db, recs[i].id, &recs[i]);
	t1 = now_s();
	if (db_commit(db, err))
		die("db_commit: %s", err);
	*tc = now_s() - t1;
	return (now_s() - t0);
}

static int64_t
count(sqlite3 *h, const char *q)
{
	sqlite3_stmt *st;
	int64_t n = -1;

	if (sqlite3_prepare_v2(h, q, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return (n);
}

static void
check_rows(struct db *db, size_t n, const char *what)
{
	int64_t got;

	got = count(db_handle(db), "SELECT count(*) FROM c_" COLL);
	if (got != (int64_t)n)
		die("%s: %lld consultations in the node, expected %zu", what,
		    (long long)got, n);
}

struct exp {
	struct bundle_w	w;
	size_t		ncommits, bytes;
};

static int
export_cb(void *arg, const uint8_t *body, size_t len, const uint8_t *sig)
{
	struct exp *x = arg;

	x->ncommits++;
	x->bytes += len;
	return (bundle_w_add(&x->w, body, len, sig));
}

static size_t
export_bundle(struct db *db, const char *path)
{
	char err[STORE_ERRLEN];
	struct exp x;
	FILE *f;

	memset(&x, 0, sizeof(x));
	if ((f = fopen(path, "wb")) == NULL)
		die("%s: %s", path, strerror(errno));
	db_read_begin(db);
	if (bundle_w_init(&x.w, f) || db_commits_since(db, NULL, export_cb,
	    &x, err) || bundle_w_finish(&x.w))
		die("bundle export: %s", err);
	db_read_end(db);
	if (fclose(f) == EOF)
		die("%s: %s", path, strerror(errno));
	return (x.ncommits);
}

struct app {
	struct db	*db;
	struct db_counts c;
};

static int
apply_cb(void *arg, const uint8_t *body, size_t len, const uint8_t *sig,
    char *err)
{
	struct app *a = arg;

	return (db_apply(a->db, body, len, sig, &a->c, err));
}

static double
hamroh_apply(struct db *db, const char *bundle, size_t ncommits, double *tc)
{
	char err[STORE_ERRLEN], berr[BUNDLE_ERRLEN];
	struct app a;
	double t0, t1, t;
	long nc;
	FILE *f;

	memset(&a, 0, sizeof(a));
	a.db = db;
	if ((f = fopen(bundle, "rb")) == NULL)
		die("%s: %s", bundle, strerror(errno));
	t0 = now_s();
	if (db_begin(db, wall_ms(), err))
		die("db_begin: %s", err);
	if ((nc = bundle_read(f, apply_cb, &a, berr)) < 0)
		die("bundle_read: %s", berr);
	t1 = now_s();
	if (db_commit(db, err))
		die("db_commit: %s", err);
	t = now_s() - t0;
	*tc = now_s() - t1;
	fclose(f);
	if ((size_t)nc != ncommits || a.c.applied != ncommits)
		die("apply: %ld commits read, %llu applied, expected %zu", nc,
		    (unsigned long long)a.c.applied, ncommits);
	return (t);
}

/* ---- A lost laptop on a big log. ---- */

#define REVOKE_RECS	200	/* Consultations the office made. */

static void
put_text(struct db *db, const char *cname, const uint8_t *id,
    const char *field, const char *v)
{
	const struct coll_def *c = schema_coll(cname);
	struct val val = { VAL_STR, 0, v, strlen(v) };
	char err[STORE_ERRLEN];

	if (db_put(db, c, id, schema_field(c, field, strlen(field)), &val,
	    err))
		die("put %s.%s: %s", cname, field, err);
}

struct ship {
	struct db	*to;
	struct db_counts c;
};

static int
ship_cb(void *arg, const uint8_t *body, size_t len, const uint8_t *sig,
    uint64_t seq)
{
	struct ship *s = arg;
	char err[STORE_ERRLEN];

	(void)seq;
	if (db_apply(s->to, body, len, sig, &s->c, err))
		die("apply: %s", err);
	return (0);
}

/* Apply to ${to} the commits of ${from}'s own origin after ${after}. */
static double
ship(struct db *from, uint64_t after, struct db *to)
{
	struct ship s = { .to = to };	/* The counts zeroed, however many. */
	char err[STORE_ERRLEN];
	double t0 = now_s();

	if (db_begin(to, wall_ms(), err) || db_commits_from(from,
	    db_node_key(from), after, SIZE_MAX, ship_cb, &s, err) < 0 ||
	    db_commit(to, err))
		die("ship: %s", err);
	return (now_s() - t0);
}

struct own {
	const uint8_t	*key;
	uint64_t	seq;
};

static int
own_cb(void *arg, const uint8_t *key, uint64_t seq)
{
	struct own *o = arg;

	if (memcmp(key, o->key, crypto_sign_PUBLICKEYBYTES) == 0)
		o->seq = seq;
	return (0);
}

/* The seq of ${db}'s own newest commit. */
static uint64_t
own_seq(struct db *db)
{
	struct own o = { db_node_key(db), 0 };
	char err[STORE_ERRLEN];

	if (db_vector(db, own_cb, &o, err))
		die("vector: %s", err);
	return (o.seq);
}

/*
 * The writer ${w}, admin of ${to}'s network, certifies an office, which
 * makes REVOKE_RECS consultations that ${to} applies; then the writer
 * revokes it accepting none of its commits (seq 0).  The revocation's
 * commit undoes them by re-deriving those records from ${to}'s whole
 * log: how long that takes (to compare with applying the whole log).
 */
static double
revoke_run(struct db *w, struct db *to, size_t n)
{
	msgpack_sbuffer sb;
	struct db *o;
	uint8_t sk[crypto_sign_SECRETKEYBYTES], sig[crypto_sign_BYTES];
	uint8_t id[SCHEMA_ID_LEN];
	char err[STORE_ERRLEN], hex[2 * crypto_sign_BYTES + 1], when[21];
	const uint8_t *opk;
	time_t tt = (time_t)(wall_ms() / 1000 - 60);
	struct tm tm;
	uint64_t before;
	double t;
	size_t i;

	o = node_new(tpath("office"));
	opk = db_node_key(o);
	if (db_copy_signer(w, sk))
		die("the writer has no key");
	before = own_seq(w);

	/* The certificate, written by the admin as an invite does. */
	msgpack_sbuffer_init(&sb);
	if (trust_cert_bytes(opk, "Khorog office", "Khorog", "office",
	    "2099-12-31", &sb))
		die("out of memory");
	crypto_sign_detached(sig, NULL, (uint8_t *)sb.data, sb.size, sk);
	msgpack_sbuffer_destroy(&sb);
	if (db_begin(w, wall_ms(), err))
		die("db_begin: %s", err);
	sodium_bin2hex(hex, sizeof(hex), opk, crypto_sign_PUBLICKEYBYTES);
	put_text(w, "members", opk, "key", hex);
	put_text(w, "members", opk, "name", "Khorog office");
	put_text(w, "members", opk, "center", "Khorog");
	put_text(w, "members", opk, "role", "office");
	put_text(w, "members", opk, "expires", "2099-12-31");
	sodium_bin2hex(hex, sizeof(hex), db_node_key(w),
	    crypto_sign_PUBLICKEYBYTES);
	put_text(w, "members", opk, "cert_by", hex);
	sodium_bin2hex(hex, sizeof(hex), sig, sizeof(sig));
	put_text(w, "members", opk, "cert", hex);
	if (db_commit(w, err))
		die("db_commit: %s", err);
	(void)ship(w, before, to);
	before++;

	/* The office's consultations, all of its own center. */
	if (db_begin(o, wall_ms(), err))
		die("db_begin: %s", err);
	for (i = 0; i < REVOKE_RECS; i++) {
		randombytes_buf(id, sizeof(id));
		put_text(o, "consultations", id, "center", "Khorog");
		put_text(o, "consultations", id, "opened_at", "2026-11-20");
		put_text(o, "consultations", id, "status", "open");
	}
	if (db_commit(o, err))
		die("db_commit: %s", err);
	(void)ship(o, 0, to);
	check_rows(to, n + REVOKE_RECS, "the office's consultations");

	/* The laptop is lost: revoked, none of its commits accepted. */
	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm) != 20)
		die("clock out of range");
	msgpack_sbuffer_init(&sb);
	if (trust_revoke_bytes(opk, when, 0, "lost laptop", &sb))
		die("out of memory");
	crypto_sign_detached(sig, NULL, (uint8_t *)sb.data, sb.size, sk);
	msgpack_sbuffer_destroy(&sb);
	sodium_memzero(sk, sizeof(sk));
	if (db_begin(w, wall_ms(), err))
		die("db_begin: %s", err);
	sodium_bin2hex(hex, sizeof(hex), opk, crypto_sign_PUBLICKEYBYTES);
	put_text(w, "members", opk, "key", hex);
	put_text(w, "members", opk, "revoked", when);
	put_text(w, "members", opk, "revoked_reason", "lost laptop");
	sodium_bin2hex(hex, sizeof(hex), db_node_key(w),
	    crypto_sign_PUBLICKEYBYTES);
	put_text(w, "members", opk, "revoked_by", hex);
	sodium_bin2hex(hex, sizeof(hex), sig, sizeof(sig));
	put_text(w, "members", opk, "revoked_sig", hex);
	{
		const struct coll_def *c = schema_coll("members");
		struct val zero = { VAL_INT, 0, NULL, 0 };

		if (db_put(w, c, opk, schema_field(c, "revoked_seq", 11),
		    &zero, err))
			die("put members.revoked_seq: %s", err);
	}
	if (db_commit(w, err))
		die("db_commit: %s", err);
	t = ship(w, before, to);
	check_rows(to, n, "revocation");
	db_close(o);
	rmtree(tpath("office"));
	return (t);
}

/* ---- Strangers: commits of origins no certificate names. ---- */

#define STRANGERS	20000	/* Each its own made-up origin. */

static int
count_cb(void *arg, const uint8_t *key, uint64_t seq)
{

	(void)key;
	(void)seq;
	(*(size_t *)arg)++;
	return (0);
}

/*
 * A hostile bundle of ${STRANGERS} one-record commits, each signed by an
 * origin of its own making, applied in one transaction to ${to} (a node
 * of the network, holding the whole log): every one must be set aside or
 * dropped, and ${to}'s vector must not grow.  Return the seconds.
 */
static double
strangers_run(struct db *to, size_t *aside, size_t *dropped)
{
	struct fchange f = { "name", 4, { VAL_STR, 0, "spam", 4 }, 0, NULL };
	struct rchange rc = { "directory", 9, { 0 }, 1, &f };
	struct commit cm;
	struct db_counts dc;
	msgpack_sbuffer *sb;
	uint8_t (*sig)[NODE_SIG_LEN], pk[32], sk[64], hash[COMMIT_HASH_LEN];
	char err[STORE_ERRLEN];
	size_t i, before = 0, after = 0;
	double t0, t;

	if ((sb = calloc(STRANGERS, sizeof(*sb))) == NULL ||
	    (sig = calloc(STRANGERS, sizeof(*sig))) == NULL)
		die("out of memory");
	for (i = 0; i < STRANGERS; i++) {
		crypto_sign_keypair(pk, sk);
		memset(&cm, 0, sizeof(cm));
		memcpy(cm.origin, pk, sizeof(pk));
		cm.seq = 1;
		cm.hlc = wall_ms() << 16;
		randombytes_buf(rc.id, sizeof(rc.id));
		cm.nrec = 1;
		cm.rec = &rc;
		msgpack_sbuffer_init(&sb[i]);
		if (commit_encode(&cm, &sb[i]))
			die("out of memory");
		commit_hash((const uint8_t *)sb[i].data, sb[i].size, hash);
		commit_sign(hash, sk, sig[i]);
	}
	sodium_memzero(sk, sizeof(sk));
	if (db_vector(to, count_cb, &before, err))
		die("vector: %s", err);
	memset(&dc, 0, sizeof(dc));
	t0 = now_s();
	if (db_begin(to, wall_ms(), err))
		die("db_begin: %s", err);
	for (i = 0; i < STRANGERS; i++)
		if (db_apply(to, (const uint8_t *)sb[i].data, sb[i].size,
		    sig[i], &dc, err))
			die("apply a stranger's commit: %s", err);
	if (db_commit(to, err))
		die("db_commit: %s", err);
	t = now_s() - t0;
	if (db_vector(to, count_cb, &after, err))
		die("vector: %s", err);
	if (after != before || dc.applied != 0 ||
	    dc.strangers + dc.dropped != STRANGERS)
		die("strangers: %llu applied, vector %zu -> %zu origins",
		    (unsigned long long)dc.applied, before, after);
	*aside = (size_t)dc.strangers;
	*dropped = (size_t)dc.dropped;
	for (i = 0; i < STRANGERS; i++)
		msgpack_sbuffer_destroy(&sb[i]);
	free(sb);
	free(sig);
	return (t);
}

/* ---- Size. ---- */

static uint64_t
db_bytes(sqlite3 *h)
{

	sql(h, "PRAGMA wal_checkpoint(TRUNCATE)");
	return ((uint64_t)count(h, "PRAGMA page_count") *
	    (uint64_t)count(h, "PRAGMA page_size"));
}

/*
 * Bytes per record of the biggest tables and indexes (dbstat) and of the
 * merge state kept with each row, as far as this SQLite can tell.
 */
static void
size_detail(sqlite3 *h, size_t n)
{
	sqlite3_stmt *st;
	int64_t state;
	int k = 0;

	if (sqlite3_prepare_v2(h, "SELECT name, sum(pgsize) AS b FROM dbstat"
	    " GROUP BY name ORDER BY b DESC LIMIT 4", -1, &st, NULL) !=
	    SQLITE_OK) {
		sqlite3_finalize(st);
		return;
	}
	while (sqlite3_step(st) == SQLITE_ROW)
		printf("%s%s %.0f", k++ ? ", " : "             B/row: ",
		    (const char *)sqlite3_column_text(st, 0),
		    (double)sqlite3_column_int64(st, 1) / (double)n);
	sqlite3_finalize(st);
	state = count(h, "SELECT sum(length(_state)) FROM c_" COLL);
	if (k > 0 && state >= 0)
		printf("; _state column %.0f", (double)state / (double)n);
	if (k > 0)
		printf("\n");
}

/* ---- Latency. ---- */

static int
dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x < y ? -1 : x > y);
}

static double
pct(double *v, size_t n, double p)
{
	size_t i;

	qsort(v, n, sizeof(*v), dcmp);
	i = (size_t)(p * (double)n + 0.999999);
	return (v[i > 0 ? i - 1 : 0]);
}

/*
 * ${k} single-record hamroh transactions on ${db}, each followed by a
 * single-row raw transaction on ${h}, so both see the same disk weather.
 */
static void
latency(struct db *db, sqlite3 *h, sqlite3_stmt *ins, const struct rec *recs,
    size_t n, size_t k, double *lh, double *lr)
{
	char err[STORE_ERRLEN];
	uint8_t id[SCHEMA_ID_LEN];
	struct rec r;
	double t0;
	size_t i;

	for (i = 0; i < k; i++) {
		r = recs[i % n];
		randombytes_buf(id, sizeof(id));
		t0 = now_s();
		if (db_begin(db, wall_ms(), err))
			die("db_begin: %s", err);
		put_rec(db, id, &r);
		if (db_commit(db, err))
			die("db_commit: %s", err);
		lh[i] = now_s() - t0;

		sodium_bin2hex(r.hex, sizeof(r.hex), id, sizeof(id));
		t0 = now_s();
		sql(h, "BEGIN IMMEDIATE");
		raw_row(h, ins, &r);
		sql(h, "COMMIT");
		lr[i] = now_s() - t0;
	}
}

/* ---- A peer's vector: 100,000 origins over several frames. ---- */

static double
cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

struct vkeys {
	uint8_t		(*k)[MSG_VEC_KEY_LEN];
	uint64_t	*seq;
	size_t		n;
};

static int
vkeys_cb(void *arg, const uint8_t *key, uint64_t seq)
{
	struct vkeys *vk = arg;

	memcpy(vk->k[vk->n], key, MSG_VEC_KEY_LEN);
	vk->seq[vk->n++] = seq;
	return (0);
}

/*
 * A responder session on ${db} after a handshake with a fresh peer; the
 * peer's transmit key in ${tx} (what the session decrypts with).
 */
static struct session *
vec_session(struct db *db, const uint8_t *netkey, uint8_t tx[HS_KEY_LEN],
    uint64_t now)
{
	uint8_t sk[64], psk[64], ppk[32], xs[32], xp[32], peer_x[32];
	uint8_t e[32], k[32], pro[HS_PROLOGUE_LEN], p1[SESSION_HS_PAYLOAD1];
	uint8_t m1[SESSION_MSG1_LEN], p2[SESSION_HS_PAYLOAD2];
	uint8_t rx[HS_KEY_LEN], h[HS_HASH_LEN];
	struct session_cfg cfg;
	char err[SESSION_ERRLEN];
	struct session *s;
	struct hs hs;
	const uint8_t *out;
	size_t n, i;

	if (db_copy_signer(db, sk))
		die("vector: no signer");
	memset(&cfg, 0, sizeof(cfg));
	cfg.db = db;
	cfg.ed_sk = sk;
	cfg.netkey = netkey;
	cfg.name = "bench";
	cfg.now_ms = now;
	if ((s = session_new(&cfg, err)) == NULL)
		die("session_new: %s", err);
	crypto_sign_keypair(ppk, psk);
	if (hs_x25519_keys(psk, xs, xp) || hs_x25519_pub(sk + 32, peer_x))
		die("vector: keys");
	memset(p1, 0, sizeof(p1));
	memcpy(p1, ppk, 32);
	for (i = 0; i < 8; i++)
		p1[32 + i] = (uint8_t)(now >> (56 - 8 * i));
	p1[40] = HS_VERSION;
	hs_prologue(netkey, pro);
	hs_init(&hs, true, pro, sizeof(pro), xs, peer_x, netkey);
	randombytes_buf(e, sizeof(e));
	if (hs_write1(&hs, e, p1, sizeof(p1), m1))
		die("vector: message 1");
	hs_mac1_key(netkey, peer_x, k);
	hs_mac1(k, m1, HS_MSG1_LEN(SESSION_HS_PAYLOAD1),
	    m1 + HS_MSG1_LEN(SESSION_HS_PAYLOAD1));
	if (session_input(s, m1, sizeof(m1), now) != 0)
		die("vector: message 1 refused: %s", session_error(s));
	session_output(s, &out, &n);
	if (n < SESSION_MSG2_LEN || hs_read2(&hs, out, SESSION_MSG2_LEN, p2) ||
	    hs_split(&hs, tx, rx, h))
		die("vector: message 2");
	session_consumed(s, n);		/* Its HELLO: not ours to read. */
	hs_fini(&hs);
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(psk, sizeof(psk));
	return (s);
}

/*
 * The stream a peer sends after the handshake, keyed with ${tx}: the
 * stream header, then ${v} (${n} origins) as HELLO and VECTOR frames.
 */
static uint8_t *
vec_wire(const uint8_t tx[HS_KEY_LEN], const struct msg_vec *v, size_t n,
    uint64_t now, size_t *len, size_t *nframes)
{
	struct frame_enc enc;
	msgpack_sbuffer sb;
	uint8_t *w, hdr[FRAME_HDR_LEN];
	size_t off = 0, k, cap, wl;

	cap = FRAME_HDR_LEN + (n / MSG_VEC_CHUNK + 1) *
	    FRAME_WIRE_LEN(FRAME_MAX_LEN);
	if ((w = malloc(cap)) == NULL)
		die("out of memory");
	frame_enc_init(&enc, tx, hdr);
	memcpy(w, hdr, sizeof(hdr));
	wl = sizeof(hdr);
	*nframes = 0;
	msgpack_sbuffer_init(&sb);
	do {
		k = n - off < MSG_VEC_CHUNK ? n - off : MSG_VEC_CHUNK;
		msgpack_sbuffer_clear(&sb);
		if ((off == 0 ? msg_hello(&sb, "peer", v, k, 0, now,
		    off + k < n) : msg_vector(&sb, v + off, k, off + k < n)) ||
		    sb.size > FRAME_MAX_LEN ||
		    frame_enc(&enc, (const uint8_t *)sb.data, sb.size, false,
		    w + wl) != 0)
			die("vector: encoding");
		wl += FRAME_WIRE_LEN(sb.size);
		off += k;
		(*nframes)++;
	} while (off < n);
	msgpack_sbuffer_destroy(&sb);
	sodium_memzero(&enc, sizeof(enc));
	*len = wl;
	return (w);
}

/* The floor: decrypt and decode ${w} alone; CPU seconds. */
static double
vec_floor(const uint8_t tx[HS_KEY_LEN], const uint8_t *w, size_t len)
{
	struct frame_dec *dec;
	const uint8_t *body;
	struct msg m;
	size_t blen;
	ssize_t used;
	double t;
	bool final;

	if ((dec = frame_dec_new(tx)) == NULL)
		die("out of memory");
	t = cpu_s();
	while (len > 0) {
		if ((used = frame_dec_feed(dec, w, len, &body, &blen,
		    &final)) < 0)
			die("vector: floor decrypt");
		w += used;
		len -= (size_t)used;
		if (body != NULL) {
			if (msg_decode(body, blen, &m) != 0)
				die("vector: floor decode");
			msg_fini(&m);
		}
	}
	t = cpu_s() - t;
	frame_dec_free(dec);
	return (t);
}

/*
 * One case: a receiver on ${db} takes ${v}; best CPU time of ${reps},
 * and the floor's.  ${ignored}: how many entries it must have ignored.
 */
static void
vec_case(struct db *db, const uint8_t *netkey, const struct msg_vec *v,
    size_t n, size_t ignored, int reps, double *best, double *floor,
    size_t *nframes)
{
	uint8_t tx[HS_KEY_LEN];
	struct session *s;
	uint8_t *w;
	size_t len;
	double t;
	int rep;

	for (rep = 0; rep < reps; rep++) {
		s = vec_session(db, netkey, tx, wall_ms() + (uint64_t)rep);
		w = vec_wire(tx, v, n, wall_ms(), &len, nframes);
		t = cpu_s();
		if (session_input(s, w, len, wall_ms()) != 0)
			die("vector: refused: %s", session_error(s));
		t = cpu_s() - t;
		if (!session_synced(s) ||
		    session_stats(s)->vec_ignored != ignored)
			die("vector: the session did not take it (%llu "
			    "ignored, want %zu)", (unsigned long long)
			    session_stats(s)->vec_ignored, ignored);
		if (rep == 0 || t < *best)
			*best = t;
		session_free(s);
		t = vec_floor(tx, w, len);
		if (rep == 0 || t < *floor)
			*floor = t;
		free(w);
	}
}

static void
vec_figure(const char *name, size_t n, size_t nframes, double t,
    double floor, const char *note)
{
	char cnt[32], val[48], lim[48];
	bool below = t * 1e3 >= VEC_TARGET_MS;

	snprintf(cnt, sizeof(cnt), "%zu origins", n);
	snprintf(val, sizeof(val), "%.1f ms CPU, %zu frames", t * 1e3,
	    nframes);
	snprintf(lim, sizeof(lim), "decrypt+decode %.1f ms", floor * 1e3);
	printf("%-10s %13s  %-22s %-24s ratio %.2f (target < %.0f ms; %s)%s\n",
	    name, cnt, val, lim, floor / t, VEC_TARGET_MS, note,
	    below ? "  BELOW TARGET" : "");
	if (below)
		nbelow++;
}

/*
 * The receiver holds ${known} origins (plus its own); the peer's vector
 * names MSG_MAX_ORIGINS, first none of them, then every one it holds.
 * Return the worse time, in seconds.
 */
static double
vector_bench(const char *dir, size_t known, int reps)
{
	const struct coll_def *c = schema_coll("consultations");
	uint8_t netkey[32], own[crypto_sign_SECRETKEYBYTES];
	uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
	uint8_t id[SCHEMA_ID_LEN], *keys;
	struct val val = { VAL_STR, 0, "open", 4 };
	struct msg_vec *v;
	struct vkeys vk;
	struct db *db;
	char err[STORE_ERRLEN];
	size_t n = MSG_MAX_ORIGINS, i, nframes = 0;
	double t_unk = 0, f_unk = 0, t_kn = 0, f_kn = 0, t, ctx;

	if (known > n)
		known = n;
	randombytes_buf(netkey, sizeof(netkey));
	db = node_new(dir);
	if (db_copy_signer(db, own))
		die("vector: no signer");
	/* ${known} other origins, one commit each, and one of our own. */
	t = now_s();
	db_durable(db, false);
	for (i = 0; i <= known; i++) {
		if (i < known) {
			crypto_sign_keypair(pk, sk);
			(void)db_set_signer(db, sk);
		} else
			(void)db_set_signer(db, own);
		randombytes_buf(id, sizeof(id));
		if (db_begin(db, wall_ms(), err) ||
		    db_put(db, c, id, schema_field(c, "status", 6), &val,
		    err) || db_commit(db, err))
			die("vector: writing origin %zu: %s", i, err);
	}
	db_durable(db, true);
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(own, sizeof(own));
	memset(&vk, 0, sizeof(vk));
	if ((vk.k = calloc(n + 1, MSG_VEC_KEY_LEN)) == NULL ||
	    (vk.seq = calloc(n + 1, sizeof(*vk.seq))) == NULL ||
	    (v = calloc(n, sizeof(*v))) == NULL ||
	    (keys = malloc(n * MSG_VEC_KEY_LEN)) == NULL)
		die("out of memory");
	if (db_vector(db, vkeys_cb, &vk, err))
		die("vector: %s", err);
	printf("vector     the receiver holds %zu origins (%.1f s to write "
	    "them)\n", vk.n, now_s() - t);
	/* Context: what our own vector costs to read (not in the figure). */
	t = cpu_s();
	vk.n = 0;
	if (db_vector(db, vkeys_cb, &vk, err))
		die("vector: %s", err);
	ctx = cpu_s() - t;

	/* A hostile vector: 100,000 origins, none of them held. */
	randombytes_buf(keys, n * MSG_VEC_KEY_LEN);
	for (i = 0; i < n; i++) {
		v[i].origin = keys + i * MSG_VEC_KEY_LEN;
		v[i].seq = 1000;
	}
	vec_case(db, netkey, v, n, n, reps, &t_unk, &f_unk, &nframes);
	vec_figure("vector", n, nframes, t_unk, f_unk, "none held");

	/* Every origin the receiver holds, at its seq; the rest unknown. */
	for (i = 0; i < vk.n && i < n; i++) {
		v[i].origin = vk.k[i];
		v[i].seq = vk.seq[i];
	}
	vec_case(db, netkey, v, n, n - (vk.n < n ? vk.n : n), reps, &t_kn,
	    &f_kn, &nframes);
	snprintf(err, sizeof(err), "%zu held", vk.n < n ? vk.n : n);
	vec_figure("vector", n, nframes, t_kn, f_kn, err);
	printf("             context: reading the receiver's own vector (its "
	    "origins cache) takes %.1f ms\n             (once a session, and "
	    "per batch applied, for its ACK: inside one loop step)\n",
	    ctx * 1e3);

	db_close(db);
	free(vk.k);
	free(vk.seq);
	free(v);
	free(keys);
	return (t_unk > t_kn ? t_unk : t_kn);
}

/* ---- Search: the index a signed-in user's search runs on. ---- */

#define SEARCH_QUERIES	400
#define SEARCH_KEYS_TARGET	1.5	/* s: names, phones, case numbers. */
#define SEARCH_FULL_TARGET	10.0	/* s: the summaries too. */
#define SEARCH_P99_TARGET	50.0	/* ms. */

/*
 * Names as clients give them, with their Tajik letters; a lawyer types
 * them on a Russian keyboard: folded (agent/search/fold.h).
 */
static const char *const sb_sur[] = { "Ҳакимов", "Раҳимов", "Қодиров",
    "Ғафуров", "Ҷӯраев", "Назаров", "Шарипов", "Саидов", "Каримов",
    "Юсуфов", "Мирзоев", "Исмоилов", "Ашуров", "Давлатов", "Холов",
    "Султонов", "Бобоев", "Гулов", "Зиёев", "Умаров", "Ҳасанов",
    "Қурбонов", "Ниёзов", "Сафаров", "Олимов", "Раҷабов", "Шоев",
    "Азимов", "Латипов", "Маҳмудов" };
static const char *const sb_given[] = { "Фирӯз", "Ҷамшед", "Бахтиёр",
    "Зебо", "Муниса", "Тоҳир", "Қодир", "Ғайрат", "Дилшод", "Нигина",
    "Умед", "Сӯҳроб", "Шоҳрух", "Парвиз", "Манижа", "Фарҳод", "Гулнора",
    "Меҳрубон", "Исмоил", "Шаҳло", "Рустам", "Ситора", "Алишер", "Мадина",
    "Комрон" };
static const char *const sb_words[] = { "патент", "регистрация",
    "депортация", "паспорт", "работодатель", "корфармо", "шиноснома",
    "суд", "зарплаты", "миграционная" };
#define SB_N(a)	(sizeof(a) / sizeof((a)[0]))

/* A deterministic number for record ${i}, ${salt}. */
static uint32_t
sb_hash(size_t i, uint32_t salt)
{
	uint32_t x = (uint32_t)i * 2654435761u ^ salt * 40503u;

	x ^= x >> 15;
	x *= 2246822519u;
	x ^= x >> 13;
	return (x);
}

static void
sb_name(size_t i, char *out, size_t len)
{

	snprintf(out, len, "%s %s", sb_sur[sb_hash(i, 1) % SB_N(sb_sur)],
	    sb_given[sb_hash(i, 2) % SB_N(sb_given)]);
}

/* Record ${i}'s phone; ${digits}: the last 9 digits alone. */
static void
sb_phone(size_t i, char *out, size_t len, bool digits)
{
	uint32_t h = sb_hash(i, 3);
	unsigned a = 90 + h % 10, b = (h >> 4) % 1000, c = (h >> 14) % 100,
	    d = (h >> 21) % 100;

	if (digits)
		snprintf(out, len, "%02u%03u%02u%02u", a, b, c, d);
	else if (h % 7 == 0)	/* A Russian number. */
		snprintf(out, len, "+7 9%02u %03u-%02u-%02u", a, b, c, d);
	else
		snprintf(out, len, "+992 %02u %03u %02u %02u", a, b, c, d);
}

/* The ring: one key per center of the input (an admin's node holds all). */
static void
sb_ring(struct conf *ring, const struct rec *recs, size_t n)
{
	struct conf_key *k;
	char c[CONF_CENTER_MAX + 1];
	size_t i, j;

	memset(ring, 0, sizeof(*ring));
	if ((ring->k = sodium_malloc(CONF_MAX_KEYS * sizeof(*ring->k))) ==
	    NULL)
		die("out of memory");
	for (i = 0; i < n; i++) {
		if (recs[i].v[0].t != VAL_STR || recs[i].v[0].len >
		    CONF_CENTER_MAX)
			die("a record without a center");
		snprintf(c, sizeof(c), "%.*s", (int)recs[i].v[0].len,
		    recs[i].v[0].s);
		for (j = 0; j < ring->n; j++)
			if (strcmp(ring->k[j].center, c) == 0)
				break;
		if (j < ring->n)
			continue;
		if (ring->n == CONF_MAX_KEYS)
			die("more than %d centers", CONF_MAX_KEYS);
		k = &ring->k[ring->n++];
		memset(k, 0, sizeof(*k));
		trust_keyid_prefix(c, strlen(c), k->id);
		randombytes_buf(k->id + TRUST_KEYID_BOUND, sizeof(k->id) -
		    TRUST_KEYID_BOUND);
		crypto_aead_xchacha20poly1305_ietf_keygen(k->key);
		k->version = 1;
		snprintf(k->center, sizeof(k->center), "%s", c);
	}
}

/* Put sealed ${text} in field ${name} of record ${r}; its length. */
static size_t
sb_put_sealed(struct db *db, const struct conf *ring, const struct rec *r,
    const char *name, const char *text, size_t len)
{
	const struct field_def *f = schema_field(coll, name, strlen(name));
	char err[STORE_ERRLEN], c[CONF_CENTER_MAX + 1], *sealed;
	struct val v;

	snprintf(c, sizeof(c), "%.*s", (int)r->v[0].len, r->v[0].s);
	if (conf_seal(conf_current(ring, c), r->id, name, text, len, &sealed))
		die("out of memory");
	memset(&v, 0, sizeof(v));
	v.t = VAL_STR;
	v.s = sealed;
	v.len = strlen(sealed);
	if (db_put(db, coll, r->id, f, &v, err))
		die("db_put %s: %s", name, err);
	free(sealed);
	return (len);
}

/* The node: every record, its name, phone and summary sealed. */
/* Record ${i}'s case number, as an office that numbered it would. */
static void
sb_case(size_t i, char out[CASE_NUMBER_MAX + 1])
{

	case_format("KHJ", 26, "10", (uint64_t)i + 1, out);
}

static size_t
sb_fill(struct db *db, const struct conf *ring, const struct rec *recs,
    size_t n, size_t *sumbytes)
{
	const struct field_def *f, *cf = schema_field(coll, "case_number",
	    strlen("case_number"));
	struct val cv = { VAL_STR, 0, NULL, 0 };
	char err[STORE_ERRLEN], buf[128];
	size_t i, k, plain = 0;

	*sumbytes = 0;
	if (db_begin(db, wall_ms(), err))
		die("db_begin: %s", err);
	for (i = 0; i < n; i++) {
		for (k = 0; k < NCOL; k++) {
			if (recs[i].v[k].t == VAL_NIL)
				continue;
			if (strcmp(cols[k], "summary") == 0) {
				plain += sb_put_sealed(db, ring, &recs[i],
				    "summary", recs[i].v[k].s,
				    recs[i].v[k].len);
				*sumbytes += recs[i].v[k].len;
				continue;
			}
			f = schema_field(coll, cols[k], strlen(cols[k]));
			if (db_put(db, coll, recs[i].id, f, &recs[i].v[k], err))
				die("db_put: %s", err);
		}
		sb_name(i, buf, sizeof(buf));
		plain += sb_put_sealed(db, ring, &recs[i], "client_name", buf,
		    strlen(buf));
		sb_phone(i, buf, sizeof(buf), false);
		plain += sb_put_sealed(db, ring, &recs[i], "client_phone", buf,
		    strlen(buf));
		sb_case(i, buf);
		cv.s = buf;
		cv.len = strlen(buf);
		if (db_put(db, coll, recs[i].id, cf, &cv, err))
			die("db_put: %s", err);
	}
	if (db_commit(db, err))
		die("db_commit: %s", err);
	return (plain);
}

/*
 * The floor of a build: read the same sealed values, decrypt them, and
 * insert the plaintext into one FTS5 table with SQLite's own tokenizer
 * (no folding, no phone tokens, no id map, no second stage).
 */
static double
sb_floor(struct db *db, const struct conf *ring)
{
	static const char *const fld[] = { "client_name", "client_phone",
	    "summary" };
	sqlite3 *m;
	sqlite3_stmt *rd, *ins;
	char *pt[3];
	size_t ptl[3];
	double t0;
	int i;

	t0 = now_s();
	if (sqlite3_open(":memory:", &m) != SQLITE_OK)
		die("sqlite3_open");
	sql(m, "PRAGMA temp_store=MEMORY");
	sql(m, "CREATE VIRTUAL TABLE f USING fts5(n, p, s)");
	if (sqlite3_prepare_v2(db_handle(db), "SELECT id, client_name,"
	    " client_phone, summary FROM main.c_consultations WHERE _deleted"
	    " IS NOT 1", -1, &rd, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(m, "INSERT INTO f VALUES (?, ?, ?)", -1, &ins,
	    NULL) != SQLITE_OK)
		die("floor: %s", sqlite3_errmsg(db_handle(db)));
	sql(m, "BEGIN");
	while (sqlite3_step(rd) == SQLITE_ROW) {
		for (i = 0; i < 3; i++) {
			pt[i] = NULL;
			ptl[i] = 0;
			if (sqlite3_column_type(rd, i + 1) == SQLITE_NULL)
				continue;
			if (conf_open(ring, sqlite3_column_blob(rd, 0), fld[i],
			    (const char *)sqlite3_column_text(rd, i + 1),
			    (size_t)sqlite3_column_bytes(rd, i + 1), &pt[i],
			    &ptl[i]))
				die("floor: a value does not open");
			sqlite3_bind_text(ins, i + 1, pt[i], (int)ptl[i],
			    SQLITE_STATIC);
		}
		if (sqlite3_step(ins) != SQLITE_DONE)
			die("floor insert: %s", sqlite3_errmsg(m));
		sqlite3_reset(ins);
		for (i = 0; i < 3; i++)
			free(pt[i]);
	}
	sql(m, "COMMIT");
	sqlite3_finalize(rd);
	sqlite3_finalize(ins);
	sqlite3_close(m);
	return (now_s() - t0);
}

static int
sb_hit(void *arg, const struct ops_hit *h)
{

	(*(size_t *)arg) += h->client_name[0] != '\0';
	return (0);
}

static int
sb_count(void *arg, const struct rview *r)
{

	(void)r;
	(*(size_t *)arg)++;
	return (0);
}

static void
search_bench(const struct rec *recs, size_t n, int reps)
{
	struct search_index *x = NULL;
	struct ops o;
	struct conf ring;
	struct ops_search_args a;
	struct ops_err e;
	struct db *db;
	char err[STORE_ERRLEN], q[160], g[64], code[USER_CODE_LEN + 1];
	const char *sur;
	double t0, t1, t, t_keys = 0, t_full = 0, t_all = 0, t_floor = 0;
	double lat[SEARCH_QUERIES];
	double p50, p99, worst[4] = { 0 };
	int64_t m0 = 0, m1 = 0;
	size_t i, j, k, plain, sumb, hits = 0, seen = 0, dummy;
	bool more;
	int rep;

	sb_ring(&ring, recs, n);
	db = node_new(tpath("search"));
	t = now_s();
	plain = sb_fill(db, &ring, recs, n, &sumb);
	printf("search: %zu consultations written, names, phones and summaries"
	    " sealed (%zu centers' keys), in %.1f s\n", n, ring.n,
	    now_s() - t);
	/* Warm the store's cache, so the memory measured is the index's. */
	dummy = 0;
	t = now_s();
	if (query_records(db, coll, NULL, NULL, 0, false, sb_count, &dummy,
	    err) < 0)
		die("query_records: %s", err);
	printf("search: reading the %zu records from the store: %.2f s\n",
	    dummy, now_s() - t);
	for (rep = 0; rep < reps; rep++) {
		search_close(x);
		m0 = fts_memory_used();
		t0 = now_s();
		if (search_open(&x, err) ||
		    search_build(x, db, &ring, SEARCH_KEYS, err))
			die("search build: %s", err);
		t = now_s() - t0;
		if (rep == 0 || t < t_keys)
			t_keys = t;
		t1 = now_s();
		if (search_build(x, db, &ring, SEARCH_ALL, err))
			die("search build: %s", err);
		t = now_s() - t0;
		if (rep == 0 || t < t_full)
			t_full = t;
		t = now_s() - t1;
		if (rep == 0 || t < t_all)
			t_all = t;
		m1 = fts_memory_used();
		t = sb_floor(db, &ring);
		if (rep == 0 || t < t_floor)
			t_floor = t;
	}
	if (search_count(x) != (long)n)
		die("the index holds %ld records, not %zu", search_count(x), n);
	/* What it holds: the opened fields, and the case numbers. */
	if (search_plain_bytes(x) < plain)
		die("the index took %zu bytes of plaintext, not %zu",
		    search_plain_bytes(x), plain);
	plain = search_plain_bytes(x);

	/* Queries: names as typed, phones, summary words, case numbers. */
	ops_init(&o, db, tpath("search"), NULL, NULL);
	/* A signed-in user (one Argon2id), as every search needs. */
	if (ops_user_add(&o, "bench", USER_ADMIN, "bench passphrase", 16,
	    code, &e))
		die("user add: %s", ops_key_name(e.key));
	conf_free(&o.ring);
	o.ring = ring;
	o.ring_loaded = true;
	memset(&a, 0, sizeof(a));
	for (i = 0; i < SEARCH_QUERIES; i++) {
		j = sb_hash(i, 9) % n;
		switch (i % 4) {
		case 0:
			/* The surname as typed, and the given name begun. */
			sur = sb_sur[sb_hash(j, 1) % SB_N(sb_sur)];
			k = search_fold_words(sur, strlen(sur), q);
			snprintf(q + k, sizeof(q) - k, "%.6s",
			    sb_given[sb_hash(j, 2) % SB_N(sb_given)]);
			break;
		case 1:
			sb_phone(j, q, sizeof(q), true);
			break;
		case 2:
			snprintf(q, sizeof(q), "%s", sb_words[i / 4 %
			    SB_N(sb_words)]);
			break;
		default:
			sb_case(j, q);
		}
		a.text = q;
		a.len = strlen(q);
		t0 = now_s();
		dummy = 0;
		if (ops_search_in(&o, x, &a, sb_hit, &dummy, &more, &e))
			die("search '%s': %s", q, ops_key_name(e.key));
		lat[i] = now_s() - t0;
		if (lat[i] > worst[i % 4])
			worst[i % 4] = lat[i];
		hits += dummy;
		seen += dummy > 0;
		if (dummy == 0 && getenv("BENCH_VERBOSE") != NULL)
			printf("search: nothing found for '%s'\n", q);
	}
	p50 = pct(lat, SEARCH_QUERIES, 0.50) * 1e3;
	p99 = pct(lat, SEARCH_QUERIES, 0.99) * 1e3;

	printf("%-11s %7zu recs  %6.2f s                 target <= %.1f s%s\n",
	    "search-keys", n, t_keys, SEARCH_KEYS_TARGET, t_keys <=
	    SEARCH_KEYS_TARGET ? "" : "  BELOW TARGET");
	printf("             names, phones and case numbers searchable, from"
	    " sign-in (open + stage 1)\n");
	printf("%-11s %7zu recs  %6.2f s  floor %5.2f s  ratio %.2f (target"
	    " <= %.1f s)%s\n", "search-full", n, t_full, t_floor, t_floor /
	    t_all, SEARCH_FULL_TARGET, t_full <= SEARCH_FULL_TARGET ? "" :
	    "  BELOW TARGET");
	printf("             + the summaries (avg %.0f bytes): stage 1, then a"
	    " full build (%.2f s);\n             ratio: the floor over that"
	    " build (read, decrypt, insert into one\n             plain FTS5"
	    " table: no folding, no phone tokens, no id map, no sort)\n",
	    (double)sumb / (double)n, t_all);
	snprintf(g, sizeof(g), "p50 %.2f p99 %.2f ms", p50, p99);
	printf("%-11s %7d qs    %-22s target p99 <= %.0f ms%s\n",
	    "search-q", SEARCH_QUERIES, g, SEARCH_P99_TARGET, p99 <=
	    SEARCH_P99_TARGET ? "" : "  BELOW TARGET");
	printf("             worst: name %.1f, phone %.1f, word %.1f, case"
	    " %.1f ms; %zu of %d found, %zu shown (<= %d each)\n",
	    worst[0] * 1e3, worst[1] * 1e3, worst[2] * 1e3, worst[3] * 1e3,
	    seen, SEARCH_QUERIES, hits, OPS_SEARCH_LIMIT);
	printf("%-11s %7zu recs  %6.1f MB index  plaintext %5.1f MB  ratio"
	    " %.2f (no target)\n", "search-mem", n, (double)(m1 - m0) / 1e6,
	    (double)plain / 1e6, (double)(m1 - m0) / (double)plain);
	printf("             SQLite memory the index adds, over the bytes of"
	    " plaintext it holds\n");
	if (t_keys > SEARCH_KEYS_TARGET || t_full > SEARCH_FULL_TARGET ||
	    p99 > SEARCH_P99_TARGET)
		nbelow++;
	o.ring_loaded = false;
	ops_fini(&o);
	t = now_s();
	search_close(x);
	printf("             closing it (tables dropped, secure_delete: pages"
	    " zeroed) took %.2f s\n", now_s() - t);
	conf_free(&ring);
	db_close(db);
	rmtree(tpath("search"));
}

/* ---- Output. ---- */

/* One figure: name, count, value, limit, ratio, target (0: none), note. */
static void
figure(const char *name, const char *cnt, const char *val, const char *lim,
    double ratio, double target, const char *note)
{
	char tg[64];

	if (target > 0)
		snprintf(tg, sizeof(tg), "target >= %.1f%s%s", target,
		    note ? "; " : "", note ? note : "");
	else
		snprintf(tg, sizeof(tg), "%s", note ? note : "no target");
	printf("%-10s %13s  %-22s %-24s ratio %.2f (%s)%s\n", name, cnt, val,
	    lim, ratio, tg, target > 0 && ratio < target ?
	    "  BELOW TARGET" : "");
	if (target > 0 && ratio < target)
		nbelow++;
}

static void
rate_figure(const char *name, size_t n, const char *what, double secs,
    double raw_rate, double target, const char *note)
{
	char cnt[32], val[48], lim[48];

	snprintf(cnt, sizeof(cnt), "%zu %s", n, what);
	snprintf(val, sizeof(val), "%.0f %s/s", (double)n / secs, what);
	snprintf(lim, sizeof(lim), "raw %.0f rows/s", raw_rate);
	figure(name, cnt, val, lim, (double)n / secs / raw_rate, target, note);
}

/* Where the time went: the work, and the final COMMIT. */
static void
phases(double t, double tc, double t_raw, double tc_raw)
{

	printf("%-11s  rows %.2f s + COMMIT %.2f s;  raw rows %.2f s +"
	    " COMMIT %.2f s\n", "", t - tc, tc, t_raw - tc_raw, tc_raw);
}

static void
usage(void)
{

	fprintf(stderr, "usage: bench [--n N] [--hamroh PATH] [--input FILE]"
	    " [--gen PATH]\n             [--dir BASE] [--adds K] [--reps R]"
	    " [--keep]\n             [--vec-known K] [--vector-only]"
	    " [--only FIGURE]\n");
	exit(2);
}

static void
parse_opts(int argc, char **argv, struct opts *o)
{
	char *end;
	long long x;
	int i;

	memset(o, 0, sizeof(*o));
	o->n = DEF_N;
	o->adds = DEF_ADDS;
	o->vec_known = DEF_VEC_KNOWN;
	o->reps = DEF_REPS;
	o->hamroh = "./hamroh";
	o->gen = DEF_GEN;
	if ((o->base = getenv("TMPDIR")) == NULL || *o->base == '\0')
		o->base = "/tmp";
	if ((o->only = getenv("BENCH_ONLY")) != NULL && *o->only == '\0')
		o->only = NULL;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--keep") == 0) {
			o->keep = true;
			continue;
		}
		if (strcmp(argv[i], "--vector-only") == 0) {
			o->vector_only = true;
			continue;
		}
		if (i + 1 >= argc)
			usage();
		if (strcmp(argv[i], "--hamroh") == 0)
			o->hamroh = argv[++i];
		else if (strcmp(argv[i], "--input") == 0)
			o->input = argv[++i];
		else if (strcmp(argv[i], "--gen") == 0)
			o->gen = argv[++i];
		else if (strcmp(argv[i], "--dir") == 0)
			o->base = argv[++i];
		else if (strcmp(argv[i], "--only") == 0)
			o->only = argv[++i];
		else if (strcmp(argv[i], "--n") == 0 ||
		    strcmp(argv[i], "--adds") == 0 ||
		    strcmp(argv[i], "--vec-known") == 0 ||
		    strcmp(argv[i], "--reps") == 0) {
			errno = 0;
			x = strtoll(argv[i + 1], &end, 10);
			if (errno || *end != '\0' || x < 1 || x > 100000000)
				usage();
			if (strcmp(argv[i], "--n") == 0)
				o->n = (size_t)x;
			else if (strcmp(argv[i], "--adds") == 0)
				o->adds = (size_t)x;
			else if (strcmp(argv[i], "--vec-known") == 0)
				o->vec_known = (size_t)x;
			else
				o->reps = (int)x;
			i++;
		} else
			usage();
	}
}

int
main(int argc, char **argv)
{
	struct opts o;
	struct rec *recs;
	struct db *db = NULL, *db2;
	sqlite3 *raw = NULL;
	sqlite3_stmt *ins = NULL;
	char ham[PATH_MAX], dir[PATH_MAX], cnt[48], val[48], lim[48];
	char *input, *cli_input, *arena;
	double t, t_raw = 0, t_keyed = 0, t_imp = 0, t_app = 0, raw_rate;
	double *lh = NULL, *lr = NULL;
	double p50, p99, rp50, r_imp, r_app, r_add = 0, r_size;
	double tc, tc_raw = 0, tc_imp = 0, tc_app = 0, t_floor = 0;
	double t_sealed = 0, t_rev = 0, t_vec, t_str = 0;
	size_t str_aside = 0, str_dropped = 0;
	uint64_t b_ham, b_raw;
	size_t n, k, ncommits, bytes;
	bool more;
	int rep;

	parse_opts(argc, argv, &o);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (o.only != NULL) {
		static const char *const mine[] = { "import", "import-cli",
		    "apply", "apply-conf", "revoke", "strangers", "apply-cli",
		    "add", "size", "vector", "search", NULL };

		for (k = 0; mine[k] != NULL; k++)
			if (strcmp(o.only, mine[k]) == 0)
				break;
		if (mine[k] == NULL)
			return (0);	/* Another bench's figure. */
		only = o.only;
		if (strcmp(only, "vector") == 0)
			o.vector_only = true;
	}
	if (sodium_init() < 0)
		die("sodium_init failed");
	if ((coll = schema_coll(COLL)) == NULL)
		die("no collection %s", COLL);
	for (k = 0; k < NCOL; k++)
		if ((fdef[k] = schema_field(coll, cols[k], strlen(cols[k]))) ==
		    NULL)
			die("no field %s.%s", COLL, cols[k]);
	/*
	 * summary is confidential: in a network every judge refuses it in
	 * clear (apply-conf measures it sealed).  The plain figures carry its
	 * text in outcome, a clear text field, so the node they are applied
	 * to can be of the writer's network and judge every commit.
	 */
	for (k = 0; k < NCOL; k++)
		if (strcmp(cols[k], "summary") == 0)
			fdef[k] = schema_field(coll, "outcome", 7);
	if (o.vector_only) {
		if (snprintf(tmpdir, sizeof(tmpdir), "%s/hamroh-bench.XXXXXX",
		    o.base) >= (int)sizeof(tmpdir) || mkdtemp(tmpdir) == NULL) {
			tmpdir[0] = '\0';
			die("mkdtemp in %s: %s", o.base, strerror(errno));
		}
		keep_tmp = o.keep;
		atexit(cleanup);
		t_vec = vector_bench(tpath("vector"), o.vec_known, o.reps);
		printf("summary: vector %.1f ms; %s\n", t_vec * 1e3,
		    nbelow ? "BELOW TARGET" : "all targets met");
		return (0);
	}
	if (realpath(o.hamroh, ham) == NULL || access(ham, X_OK) != 0)
		die("%s: not an executable (give --hamroh PATH)", o.hamroh);

	if (snprintf(tmpdir, sizeof(tmpdir), "%s/hamroh-bench.XXXXXX",
	    o.base) >= (int)sizeof(tmpdir) || mkdtemp(tmpdir) == NULL) {
		tmpdir[0] = '\0';
		die("mkdtemp in %s: %s", o.base, strerror(errno));
	}
	keep_tmp = o.keep;
	atexit(cleanup);
	printf("hamroh bench: %zu consultations, best of %d, %zu adds;"
	    " SQLite %s; %ld CPUs\n", o.n, o.reps, o.adds, sqlite3_libversion(),
	    sysconf(_SC_NPROCESSORS_ONLN));
	describe_dir(tmpdir);
	write_pass_file();

	/*
	 * The input: given, cached, or generated now.  tpath() reuses its
	 * buffers, so long-lived paths get copies of their own.
	 */
	if ((input = strdup(o.input ? o.input :
	    tpath("consultations.jsonl"))) == NULL)
		die("out of memory");
	if (access(input, R_OK) != 0)
		generate(o.gen, o.n, input);
	n = o.n;
	t = now_s();
	recs = load(input, &n, &more, &bytes, &arena);
	printf("loaded %zu consultations from %s (%.1f MB) in %.1f s\n", n,
	    input, (double)bytes / 1e6, now_s() - t);
	if (n == 0)
		die("%s holds no records", input);
	cli_input = input;
	if (more) {
		if ((cli_input = strdup(tpath("input.jsonl"))) == NULL)
			die("out of memory");
		copy_lines(input, cli_input, n);
	}

	/* 5. Search alone: it needs no import of its own. */
	if (want("search")) {
		search_bench(recs, n, o.reps);
		if (only != NULL) {
			printf("summary: %s; %s\n", only, nbelow ?
			    "BELOW TARGET" : "target met or none");
			goto out;
		}
	}

	/* 1. Import: raw, then hamroh, best of --reps each. */
	for (rep = 0; rep < o.reps; rep++) {
		rmtree(tpath("raw.db"));
		rmtree(tpath("raw.db-wal"));
		rmtree(tpath("raw.db-shm"));
		raw = raw_open(tpath("raw-keyed.db"), &ins, true);
		sync();
		t = raw_import(raw, ins, recs, n, &tc);
		if (rep == 0 || t < t_keyed)
			t_keyed = t;
		sqlite3_finalize(ins);
		sqlite3_close(raw);
		rmtree(tpath("raw-keyed.db"));
		rmtree(tpath("raw-keyed.db-wal"));
		rmtree(tpath("raw-keyed.db-shm"));

		raw = raw_open(tpath("raw.db"), &ins, false);
		sync();
		t = raw_import(raw, ins, recs, n, &tc);
		if (rep == 0 || t < t_raw) {
			t_raw = t;
			tc_raw = tc;
		}
		if (rep + 1 < o.reps) {
			sqlite3_finalize(ins);
			sqlite3_close(raw);
		}

		snprintf(dir, sizeof(dir), "%s", tpath("import"));
		if (db != NULL) {
			db_close(db);
			rmtree(dir);
		}
		db = node_new(dir);
		sync();
		t = hamroh_import(db, recs, n, &tc);
		if (rep == 0 || t < t_imp) {
			t_imp = t;
			tc_imp = tc;
		}
	}
	check_rows(db, n, "import");
	if (count(raw, "SELECT count(*) FROM raw") != (int64_t)n)
		die("raw table does not hold %zu rows", n);
	raw_rate = (double)n / t_raw;
	for (rep = 0; rep < o.reps && (want("import") || want("apply")); rep++) {
		t = floor_import(tpath("floor.db"), recs, n, db_handle(db));
		if (rep == 0 || t < t_floor)
			t_floor = t;
		rmtree(tpath("floor.db"));
		rmtree(tpath("floor.db-wal"));
		rmtree(tpath("floor.db-shm"));
	}

	/* 4. Size, measured now, before the add figure writes more. */
	b_ham = db_bytes(db_handle(db));
	b_raw = db_bytes(raw);

	/* 2. Apply the node's commits from a bundle onto empty nodes. */
	ncommits = export_bundle(db, tpath("all.bundle"));
	db2 = NULL;
	for (rep = 0; rep < o.reps && (want("apply") || want("apply-conf") ||
	    want("revoke") || want("strangers")); rep++) {
		snprintf(dir, sizeof(dir), "%s", tpath("apply"));
		if (db2 != NULL) {
			db_close(db2);
			rmtree(dir);
		}
		db2 = node_new(dir);
		node_join(db2, db_node_key(db));
		sync();
		t = hamroh_apply(db2, tpath("all.bundle"), ncommits, &tc);
		if (rep == 0 || t < t_app) {
			t_app = t;
			tc_app = tc;
		}
	}
	if (db2 != NULL) {
		check_rows(db2, n, "apply");
		/* 2c. A lost laptop on that log. */
		if (want("revoke"))
			t_rev = revoke_run(db, db2, n);
		if (want("strangers"))
			t_str = strangers_run(db2, &str_aside, &str_dropped);
		db_close(db2);
		rmtree(tpath("apply"));
	}

	/* 2b. The same, with the confidential fields sealed. */
	if (want("apply-conf")) {
		uint8_t writer[crypto_sign_PUBLICKEYBYTES];
		size_t nsc = sealed_bundle(tpath("sealed-src"), recs, n,
		    tpath("sealed.bundle"), writer);

		for (rep = 0; rep < o.reps; rep++) {
			snprintf(dir, sizeof(dir), "%s", tpath("apply-sealed"));
			db2 = node_new(dir);
			node_join(db2, writer);
			sync();
			t = hamroh_apply(db2, tpath("sealed.bundle"), nsc, &tc);
			if (rep == 0 || t < t_sealed)
				t_sealed = t;
			check_rows(db2, n, "apply of sealed records");
			db_close(db2);
			rmtree(dir);
		}
	}

	r_imp = (double)n / t_imp / raw_rate;
	r_app = t_app > 0 ? t_floor / t_app : 0;
	if (want("import")) {
		rate_figure("import", n, "rows", t_imp, raw_rate, 0.5, NULL);
		phases(t_imp, tc_imp, t_raw, tc_raw);
		printf("             context: raw with id PRIMARY KEY %.0f rows/s;"
		    " import is %.2f of that\n", (double)n / t_keyed,
		    t_keyed / t_imp);
		printf("             floor: keyed rows + the same commit bodies"
		    " as blobs %.0f rows/s (%.2f of raw);\n"
		    "             import is %.2f of that\n", (double)n / t_floor,
		    t_raw / t_floor, t_floor / t_imp);
	}
	if (want("import-cli")) {
		char *init[] = { ham, "--data", tpath("cli-import"), "init",
		    "--name", "bench", "--user", BENCH_USER,
		    "--passphrase-fd", PASS_FD_ARG, NULL };
		char *imp[] = { ham, "--data", tpath("cli-import"), "--user",
		    BENCH_USER, "--passphrase-fd", PASS_FD_ARG, "import",
		    COLL, cli_input, NULL };

		run(init, NULL);
		sync();
		t = run(imp, NULL);
		rate_figure("import-cli", n, "rows", t, raw_rate, 0,
		    "secondary: exec + JSON parsing + 1 sign-in");
		rmtree(tpath("cli-import"));
	}
	/*
	 * Apply is against the floor of the design, not the raw table: a
	 * node that applies must store the log it relays and the records
	 * keyed by id, which the raw table (one unkeyed row, no log) does
	 * not, and that floor alone is under half the raw rate.
	 */
	if (want("apply")) {
		snprintf(cnt, sizeof(cnt), "%zu rows", n);
		snprintf(val, sizeof(val), "%.0f rows/s", (double)n / t_app);
		snprintf(lim, sizeof(lim), "floor %.0f rows/s",
		    (double)n / t_floor);
		figure("apply", cnt, val, lim, r_app, 0.5, "aim 0.8");
		phases(t_app, tc_app, t_raw, tc_raw);
		printf("             floor: keyed rows + the same commit bodies"
		    " as blobs, one transaction;\n             context: raw"
		    " (unkeyed, no log) %.0f rows/s, apply is %.2f of that\n",
		    raw_rate, (double)n / t_app / raw_rate);
	}
	if (want("apply-conf")) {
		printf("%-11s %7zu rows  %6.0f rows/s          apply %6.0f rows/s"
		    "        ratio %.2f (target >= 0.8)%s\n", "apply-conf", n,
		    (double)n / t_sealed, (double)n / t_app, t_app / t_sealed,
		    t_app / t_sealed >= 0.8 ? "" : "  BELOW TARGET");
		printf("             the same bundle with client_name, "
		    "client_phone and summary sealed\n");
		if (t_app / t_sealed < 0.8)
			nbelow++;
	}
	if (want("revoke")) {
		printf("%-11s %4d undone  %6.2f s                 apply of the "
		    "log %5.2f s  ratio %.2f (no target)\n", "revoke",
		    REVOKE_RECS, t_rev, t_app, t_rev / t_app);
		printf("             one commit revokes an office whose %d "
		    "consultations came after\n             the revocation: "
		    "they are re-derived from the %zu-record log\n",
		    REVOKE_RECS, n);
	}
	if (want("strangers")) {
		rate_figure("strangers", STRANGERS, "commits", t_str,
		    raw_rate, 0, "hostile: no target");
		printf("             %d commits of as many made-up origins, one "
		    "transaction: %zu set aside,\n             %zu dropped past"
		    " the caps; the vector did not grow\n", STRANGERS,
		    str_aside, str_dropped);
	}
	if (want("apply-cli")) {
		char *init[] = { ham, "--data", tpath("cli-apply"), "init",
		    "--name", "bench", "--user", BENCH_USER,
		    "--passphrase-fd", PASS_FD_ARG, NULL };
		char *app[] = { ham, "--data", tpath("cli-apply"), "--user",
		    BENCH_USER, "--passphrase-fd", PASS_FD_ARG, "bundle",
		    "import", tpath("all.bundle"), NULL };

		run(init, NULL);
		sync();
		t = run(app, NULL);
		rate_figure("apply-cli", n, "rows", t, raw_rate, 0,
		    "secondary: exec");
		rmtree(tpath("cli-apply"));
	}

	/* 3. Latency of one add, interleaved with its raw floor. */
	if ((lh = calloc(o.adds, sizeof(*lh))) == NULL ||
	    (lr = calloc(o.adds, sizeof(*lr))) == NULL)
		die("out of memory");
	if (want("add")) {
		sync();
		latency(db, raw, ins, recs, n, o.adds, lh, lr);
		p50 = pct(lh, o.adds, 0.50);
		p99 = pct(lh, o.adds, 0.99);
		rp50 = pct(lr, o.adds, 0.50);
		r_add = rp50 / p50;
		snprintf(cnt, sizeof(cnt), "%zu txns", o.adds);
		snprintf(val, sizeof(val), "p50 %.2f p99 %.2f ms", p50 * 1e3,
		    p99 * 1e3);
		snprintf(lim, sizeof(lim), "raw p50 %.2f p99 %.2f",
		    rp50 * 1e3, pct(lr, o.adds, 0.99) * 1e3);
		figure("add", cnt, val, lim, r_add, 0,
		    "raw p50 / p50; fsync floor");
	}

	r_size = (double)b_raw / (double)b_ham;
	if (want("size")) {
		snprintf(cnt, sizeof(cnt), "%zu rows", n);
		snprintf(val, sizeof(val), "%.0f B/row",
		    (double)b_ham / (double)n);
		snprintf(lim, sizeof(lim), "raw %.0f B/row",
		    (double)b_raw / (double)n);
		snprintf(dir, sizeof(dir), "raw / hamroh; hamroh is %.2fx raw",
		    (double)b_ham / (double)b_raw);
		figure("size", cnt, val, lim, r_size, 0, dir);
		size_detail(db_handle(db), n);
	}
	if (only == NULL) {
		t_vec = vector_bench(tpath("vector"), o.vec_known, o.reps);
		printf("summary: import %.2f, apply %.2f (of the floor), add"
		    " %.2f, size %.2f of the limit (%zu commits), vector %.1f"
		    " ms; %s\n", r_imp, r_app, r_add, r_size, ncommits,
		    t_vec * 1e3, nbelow ? "BELOW TARGET" : "all targets met");
	} else
		printf("summary: %s; %s\n", only, nbelow ? "BELOW TARGET" :
		    "target met or none");
out:
	db_close(db);
	sqlite3_finalize(ins);
	sqlite3_close(raw);
	free(lh);
	free(lr);
	free(recs);
	free(arena);
	if (cli_input != input)
		free(cli_input);
	free(input);
	return (0);
}
