#ifndef TESTS_UNIT_TESTNODE_H
#define TESTS_UNIT_TESTNODE_H

/*
 * A throwaway node for unit tests: a database in a fresh directory under
 * $TMPDIR and a new signing key.  Include after cmocka.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "store/db.h"

static inline void
tnode_open(char dir[256], struct db **db, uint8_t pk[32], uint8_t sk[64],
    const char *tag)
{
	char path[300], err[STORE_ERRLEN];
	const char *t = getenv("TMPDIR");

	snprintf(dir, 256, "%s/%s.XXXXXX", t ? t : "/tmp", tag);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/hamroh.db", dir);
	assert_int_equal(db_open(db, path, true, err), 0);
	crypto_sign_keypair(pk, sk);
	assert_int_equal(db_set_signer(*db, sk), 0);
	/* Tests build hostile logs with local commits. */
	db_keep_refused(*db, true);
}

static inline void
tnode_close(const char *dir, struct db *db)
{
	static const char *const sfx[] = { "", "-wal", "-shm" };
	char path[300];
	size_t i;

	db_close(db);
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/hamroh.db%s", dir, sfx[i]);
		unlink(path);
	}
	rmdir(dir);
}

/*
 * Buffer a local write of text ${s} (NULL: clear the field) to field
 * ${field} of record ${id} of ${coll}, inside db_begin().
 */
static inline void
tnode_put(struct db *db, const char *coll, const uint8_t *id,
    const char *field, const char *s)
{
	const struct coll_def *c = schema_coll(coll);
	char err[STORE_ERRLEN];
	struct val v;

	memset(&v, 0, sizeof(v));
	v.t = s != NULL ? VAL_STR : VAL_NIL;
	v.s = s;
	v.len = s != NULL ? strlen(s) : 0;
	if (db_put(db, c, id, schema_field(c, field, strlen(field)), &v, err))
		fail_msg("put %s.%s: %s", coll, field, err);
}

#endif /* !TESTS_UNIT_TESTNODE_H */
