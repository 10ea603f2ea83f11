/*
 * mkcommits.c: test tool — append N small commits (one consultation each)
 * to a node, fast, in one SQLite transaction.  Each sets outcome, a field
 * that is not confidential: a tool cannot seal, and a clear summary would
 * be refused by every judge in a network.  With --user, each commit names
 * that staff account as the one who made it (db_set_actor()), as a
 * signed-in user's writes do.
 *
 *     mkcommits [--user NAME] DATA_DIR N
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "agent/cli/cli.h"
#include "store/db.h"

int
main(int argc, char **argv)
{
	const struct coll_def *c;
	char path[4096], err[STORE_ERRLEN], s[64];
	uint8_t sk[64], id[16];
	struct val v = { VAL_STR, 0, NULL, 0 };
	struct db *db;
	const char *user = NULL;
	long i, n;
	int fd;

	if (argc == 5 && strcmp(argv[1], "--user") == 0) {
		user = argv[2];
		argv += 2;
		argc -= 2;
	}
	if (argc != 3 || (n = atol(argv[2])) <= 0) {
		fprintf(stderr, "usage: mkcommits [--user NAME] DATA_DIR N\n");
		return (2);
	}
	if (sodium_init() < 0)
		return (2);
	snprintf(path, sizeof(path), "%s/node.key", argv[1]);
	if ((fd = open(path, O_RDONLY)) == -1 || read(fd, sk, 64) != 64) {
		fprintf(stderr, "mkcommits: cannot read %s\n", path);
		return (1);
	}
	close(fd);
	snprintf(path, sizeof(path), "%s/hamroh.db", argv[1]);
	c = schema_coll("consultations");
	if (db_open(&db, path, false, err) || db_set_signer(db, sk) ||
	    db_begin(db, cli_now_ms(), err) || db_set_actor(db, user, err)) {
		fprintf(stderr, "mkcommits: %s\n", err);
		return (1);
	}
	for (i = 0; i < n; i++) {
		randombytes_buf(id, sizeof(id));
		snprintf(s, sizeof(s), "commit %ld", i);
		v.s = s;
		v.len = strlen(s);
		if (db_put(db, c, id, schema_field(c, "outcome", 7), &v, err) ||
		    db_flush(db, err)) {
			fprintf(stderr, "mkcommits: %s\n", err);
			return (1);
		}
	}
	if (db_commit(db, err)) {
		fprintf(stderr, "mkcommits: %s\n", err);
		return (1);
	}
	db_close(db);
	sodium_memzero(sk, sizeof(sk));
	return (0);
}
