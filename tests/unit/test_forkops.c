/*
 * test_forkops.c: the operations that continue a node under a successor
 * key (agent/ops/successor.h), and id and the agent's start-up check
 * (agent/ops/node.h), called directly, no process: a restore from a
 * backup (and each refusal leaving the dir as it was), a fork of this
 * node's own key listed and its branch written again under a new key,
 * id, and the network key the agent needs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tests/unit/opsnode.h"

#include <fcntl.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "agent/ops/net.h"
#include "agent/ops/node.h"
#include "agent/ops/successor.h"

/* A node as 'hamroh init' leaves one, open and signing. */
struct fnode {
	char		dir[400];
	struct db	*db;
	struct ops	o;
	char		hex[OPS_KEY_HEX];
};

static char base[256];

static void
mkbase(void)
{
	const char *t = getenv("TMPDIR");

	snprintf(base, sizeof(base), "%s/forkops.XXXXXX", t ? t : "/tmp");
	assert_non_null(mkdtemp(base));
}

/* Remove ${path}, a dir with what it holds. */
static void
rm_tree(const char *path)
{
	struct dirent *de;
	struct stat sb;
	char sub[600];
	DIR *d;

	if (lstat(path, &sb) == 0 && S_ISDIR(sb.st_mode) &&
	    (d = opendir(path)) != NULL) {
		while ((de = readdir(d)) != NULL)
			if (strcmp(de->d_name, ".") != 0 &&
			    strcmp(de->d_name, "..") != 0) {
				snprintf(sub, sizeof(sub), "%s/%s", path,
				    de->d_name);
				rm_tree(sub);
			}
		closedir(d);
	}
	remove(path);
}

static void
rmbase(void)
{

	rm_tree(base);
}

static void
fnode_open(struct fnode *n)
{
	char path[1024], err[STORE_ERRLEN];
	uint8_t sk[NODE_SK_LEN];
	struct ops_err e;
	int fd;

	snprintf(path, sizeof(path), "%s/node.key", n->dir);
	assert_true((fd = open(path, O_RDONLY)) >= 0);
	assert_int_equal(read(fd, sk, sizeof(sk)), sizeof(sk));
	close(fd);
	snprintf(path, sizeof(path), "%s/hamroh.db", n->dir);
	assert_int_equal(db_open(&n->db, path, false, err), 0);
	assert_int_equal(db_set_signer(n->db, sk), 0);
	sodium_memzero(sk, sizeof(sk));
	ops_init(&n->o, n->db, n->dir, fixed_clock, NULL);
	assert_int_equal(ops_node_id(&n->o, n->hex, &e), 0);
	/* A copy of a node has its users: its admin signs in. */
	(void)ops_signin(&n->o, "admin", TOPS_PASS, strlen(TOPS_PASS), &e);
}

static void
fnode_init(struct fnode *n, const char *name)
{
	struct ops_init_args a = { "Khorog office", "Khorog" };
	char hex[OPS_KEY_HEX];
	struct ops_err e;

	snprintf(n->dir, sizeof(n->dir), "%s/%s", base, name);
	assert_int_equal(ops_init_node(n->dir, &a, NOW_MS, hex, &e), 0);
	fnode_open(n);
	assert_string_equal(n->hex, hex);
	tops_admin(&n->o);	/* Creating a network needs an admin. */
}

static void
fnode_close(struct fnode *n)
{

	ops_fini(&n->o);
	db_close(n->db);
	n->db = NULL;
}

static void
add(struct fnode *n)
{
	char hex[33];

	tops_consultation_ok(&n->o, "Khorog", NULL, 0, hex);
}

static void
copy_file(const char *from, const char *to)
{
	char buf[65536];
	ssize_t r;
	int in, out;

	assert_true((in = open(from, O_RDONLY)) >= 0);
	assert_true((out = open(to, O_WRONLY | O_CREAT | O_EXCL, 0600)) >= 0);
	while ((r = read(in, buf, sizeof(buf))) > 0)
		assert_int_equal(write(out, buf, (size_t)r), r);
	close(in);
	close(out);
}

/* Copy key file ${name} of ${from} into dir ${to}. */
static void
copy_key(const struct fnode *from, const char *to, const char *name)
{
	char a[1024], b[1024];

	snprintf(a, sizeof(a), "%s/%s", from->dir, name);
	snprintf(b, sizeof(b), "%s/%s", to, name);
	copy_file(a, b);
}

static bool
exists(const char *dir, const char *name)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return (access(path, F_OK) == 0);
}

/* The public key node.key in ${dir} holds, in hex. */
static void
keyfile_pk(const char *dir, char hex[OPS_KEY_HEX])
{
	uint8_t sk[NODE_SK_LEN];
	char path[1024];
	int fd;

	snprintf(path, sizeof(path), "%s/node.key", dir);
	assert_true((fd = open(path, O_RDONLY)) >= 0);
	assert_int_equal(read(fd, sk, sizeof(sk)), sizeof(sk));
	close(fd);
	sodium_bin2hex(hex, OPS_KEY_HEX, sk + NODE_SK_LEN - NODE_KEY_LEN,
	    NODE_KEY_LEN);
}

static void
net_create(struct fnode *n)
{
	struct ops_network_create_args a = { "tj-legal" };
	struct ops_network_created out;
	struct ops_err e;
	char msg[1024];

	if (ops_network_create(&n->o, &a, &out, &e))
		fail_msg("create: %s", ops_text("en", &e, msg, sizeof(msg)));
	assert_false(out.succeeded);
}

struct vhas {
	const char	*want;
	int		found;
};

static int
vec_has_cb(void *arg, const uint8_t *key, uint64_t seq)
{
	struct vhas *v = arg;
	char hex[OPS_KEY_HEX];

	(void)seq;
	sodium_bin2hex(hex, sizeof(hex), key, NODE_KEY_LEN);
	v->found += strcmp(hex, v->want) == 0;
	return (0);
}

/* Does ${db}'s vector hold origin ${hex}? */
static bool
vec_has(struct db *db, const char *hex)
{
	struct vhas v = { hex, 0 };
	char err[STORE_ERRLEN];

	assert_int_equal(db_vector(db, vec_has_cb, &v, err), 0);
	return (v.found == 1);
}

static void
test_restore(void **state)
{
	struct ops_restore_args a;
	struct ops_restored out;
	struct ops_backup_res br;
	struct ops_err e;
	struct fnode n, other, r;
	char bk[400], junk[400], rdir[400], msg[1100];
	FILE *f;

	(void)state;
	mkbase();
	fnode_init(&n, "n");
	fnode_init(&other, "other");
	net_create(&n);
	add(&n);
	add(&n);
	snprintf(bk, sizeof(bk), "%s/n.backup", base);
	assert_int_equal(ops_backup(&n.o, bk, &br, &e), 0);
	assert_true(br.net);
	a.backup = bk;

	/* Into a node's own dir: refused, not empty. */
	assert_int_equal(ops_restore(n.dir, &a, NOW_MS, &out, &e), -1);
	assert_int_equal(e.key, OPS_MSG_RESTORE_NOT_EMPTY);
	assert_int_equal(e.code, OPS_BAD_INPUT);

	/* Key files missing or another node's: refused, nothing left. */
	snprintf(rdir, sizeof(rdir), "%s/r", base);
	assert_int_equal(mkdir(rdir, 0700), 0);
	copy_key(&n, rdir, "network.key");
	copy_key(&n, rdir, "center.keys");
	assert_int_equal(ops_restore(rdir, &a, NOW_MS, &out, &e), -1);
	assert_int_equal(e.key, OPS_MSG_RESTORE_NO_NODE_KEY);
	assert_false(exists(rdir, "hamroh.db"));
	copy_key(&other, rdir, "node.key");
	assert_int_equal(ops_restore(rdir, &a, NOW_MS, &out, &e), -1);
	assert_int_equal(e.key, OPS_MSG_RESTORE_OTHER_NODE_KEY);
	assert_false(exists(rdir, "hamroh.db"));
	unlink(strcat(strcpy(msg, rdir), "/node.key"));
	copy_key(&n, rdir, "node.key");
	unlink(strcat(strcpy(msg, rdir), "/network.key"));
	assert_int_equal(ops_restore(rdir, &a, NOW_MS, &out, &e), -1);
	assert_int_equal(e.key, OPS_MSG_RESTORE_NO_NET_KEY);
	copy_key(&n, rdir, "network.key");

	/* A file that is no backup. */
	snprintf(junk, sizeof(junk), "%s/junk", base);
	assert_non_null(f = fopen(junk, "w"));
	fputs("not a database at all, not even close\n", f);
	fclose(f);
	a.backup = junk;
	assert_int_equal(ops_restore(rdir, &a, NOW_MS, &out, &e), -1);
	assert_int_equal(e.key, OPS_MSG_RESTORE_NOT_BACKUP);
	assert_false(exists(rdir, "hamroh.db"));

	/* The restore: a fresh key, the successor of the old one. */
	a.backup = bk;
	if (ops_restore(rdir, &a, NOW_MS, &out, &e))
		fail_msg("restore: %s", ops_text("en", &e, msg, sizeof(msg)));
	assert_int_equal(strlen(out.key), 64);
	assert_string_not_equal(out.key, n.hex);
	assert_false(exists(rdir, "node.key.new"));
	snprintf(r.dir, sizeof(r.dir), "%s", rdir);
	keyfile_pk(rdir, msg);
	assert_string_equal(msg, out.key);
	fnode_open(&r);
	assert_string_equal(r.hex, out.key);
	/* It holds what the backup holds, the old origin's changes too. */
	assert_true(vec_has(r.db, n.hex));
	assert_true(vec_has(r.db, r.hex));
	add(&r);
	fnode_close(&r);

	fnode_close(&other);
	fnode_close(&n);
	rmbase();
}

struct frows {
	long	n, self;
	char	branch[OPS_BRANCH_HEX];
	uint64_t changes;
	size_t	values;
};

static int
frow_cb(void *arg, const struct ops_fork_branch *f)
{
	struct frows *x = arg;

	x->n++;
	if (f->self) {
		x->self++;
		snprintf(x->branch, sizeof(x->branch), "%s", f->branch);
		x->changes = f->changes;
		x->values = f->values;
	}
	return (0);
}

static void
test_fork(void **state)
{
	struct ops_bundle_export_args ea;
	struct ops_bundle_import_args ia;
	struct ops_bundle_import_res ir;
	struct ops_fork_recommit_args ra;
	struct ops_fork_recommitted out;
	struct ops_backup_res br;
	struct ops_err e;
	struct fnode a, b;
	struct frows x;
	char bk[400], path[1024], msg[1024], old[OPS_KEY_HEX];
	uint64_t n;
	long nf;
	FILE *f;

	(void)state;
	mkbase();
	fnode_init(&a, "a");
	net_create(&a);
	add(&a);
	memset(&ra, 0, sizeof(ra));
	/* No fork yet: nothing to list, nothing to write again. */
	assert_int_equal(ops_fork_list(&a.o, frow_cb, &x, &nf, &e), 0);
	assert_int_equal(nf, 0);
	assert_int_equal(ops_fork_recommit(&a.o, &ra, &out, &e), -1);
	assert_int_equal(e.key, OPS_MSG_FORK_ONE_HISTORY);
	assert_int_equal(e.code, OPS_BAD_INPUT);

	/* A copy of A's dir: both sign a next change of their own. */
	snprintf(bk, sizeof(bk), "%s/a.backup", base);
	assert_int_equal(ops_backup(&a.o, bk, &br, &e), 0);
	snprintf(b.dir, sizeof(b.dir), "%s/b", base);
	assert_int_equal(mkdir(b.dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/hamroh.db", b.dir);
	copy_file(bk, path);
	copy_key(&a, b.dir, "node.key");
	copy_key(&a, b.dir, "network.key");
	copy_key(&a, b.dir, "center.keys");
	fnode_open(&b);
	assert_string_equal(b.hex, a.hex);
	add(&a);
	add(&a);
	add(&b);

	/* B's branch reaches A by a bundle: A sees its own key fork. */
	assert_non_null(f = tmpfile());
	memset(&ea, 0, sizeof(ea));
	ea.out = f;
	assert_int_equal(ops_bundle_export(&b.o, &ea, &n, &e), 0);
	rewind(f);
	memset(&ia, 0, sizeof(ia));
	ia.in = f;
	ia.path = "bundle";
	(void)ops_bundle_import(&a.o, &ia, &ir, &e);
	fclose(f);
	memset(&x, 0, sizeof(x));
	assert_int_equal(ops_fork_list(&a.o, frow_cb, &x, &nf, &e), 0);
	assert_int_equal(nf, 1);
	assert_int_equal(x.self, 1);
	assert_int_equal(x.changes, 2);
	assert_true(x.values > 0);
	assert_int_equal(strlen(x.branch), 16);

	/* Another branch named: refused, the key unchanged. */
	ra.branch = "0123456789abcdef";
	assert_int_equal(ops_fork_recommit(&a.o, &ra, &out, &e), -1);
	assert_int_equal(e.key, OPS_MSG_FORK_OTHER_BRANCH);
	keyfile_pk(a.dir, old);
	assert_string_equal(old, a.hex);

	/* This copy's branch: written again under a new key. */
	ra.branch = x.branch;
	if (ops_fork_recommit(&a.o, &ra, &out, &e))
		fail_msg("recommit: %s", ops_text("en", &e, msg, sizeof(msg)));
	assert_string_equal(out.branch, x.branch);
	assert_int_equal(out.changes, 2);
	assert_int_equal(out.values, x.values);
	assert_string_not_equal(out.key, a.hex);
	keyfile_pk(a.dir, msg);
	assert_string_equal(msg, out.key);
	assert_false(exists(a.dir, "node.key.new"));
	assert_int_equal(ops_node_id(&a.o, msg, &e), 0);
	assert_string_equal(msg, out.key);

	fnode_close(&b);
	fnode_close(&a);
	rmbase();
}

static void
test_agent_netkey(void **state)
{
	uint8_t k[HS_PSK_LEN], got[HS_PSK_LEN];
	char path[1024];
	struct ops_err e;
	struct fnode n;
	int fd;

	(void)state;
	mkbase();
	fnode_init(&n, "n");
	/* Not in a network: what to run. */
	assert_int_equal(ops_agent_netkey(&n.o, got, &e), -1);
	assert_int_equal(e.key, OPS_MSG_AGENT_NO_NETWORK);
	assert_int_equal(e.code, OPS_ENV);
	/* Damaged, then readable by others, then good. */
	snprintf(path, sizeof(path), "%s/network.key", n.dir);
	assert_true((fd = open(path, O_WRONLY | O_CREAT, 0600)) >= 0);
	randombytes_buf(k, sizeof(k));
	assert_int_equal(write(fd, k, 10), 10);
	close(fd);
	assert_int_equal(ops_agent_netkey(&n.o, got, &e), -1);
	assert_int_equal(e.key, OPS_MSG_AGENT_NETKEY_DAMAGED);
	assert_true((fd = open(path, O_WRONLY | O_TRUNC)) >= 0);
	assert_int_equal(write(fd, k, sizeof(k)), sizeof(k));
	close(fd);
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(ops_agent_netkey(&n.o, got, &e), -1);
	assert_int_equal(e.key, OPS_MSG_NET_KEYFILE_MODE);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(ops_agent_netkey(&n.o, got, &e), 0);
	assert_memory_equal(got, k, sizeof(k));
	fnode_close(&n);
	rmbase();
}

static void
test_id(void **state)
{
	char hex[OPS_KEY_HEX], want[OPS_KEY_HEX];
	struct ops_err e;
	struct tops t;

	(void)state;
	tops_open(&t, "forkops-id");
	assert_int_equal(ops_node_id(&t.o, hex, &e), 0);
	sodium_bin2hex(want, sizeof(want), t.pk, sizeof(t.pk));
	assert_string_equal(hex, want);
	tops_close(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_id),
		cmocka_unit_test(test_agent_netkey),
		cmocka_unit_test(test_restore),
		cmocka_unit_test(test_fork),
	};

	if (sodium_init() < 0)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
