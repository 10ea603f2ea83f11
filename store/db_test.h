#ifndef STORE_DB_TEST_H
#define STORE_DB_TEST_H

/*
 * db_test.h: the raw SQLite handle of a store, for tests/ and tests/tools
 * only (to look at tables directly, or to break them on purpose).  The
 * rest of the program goes through store/db.h; deploy/layers keeps it so.
 */
#include "store/db.h"

struct sqlite3;

/* The underlying handle. */
struct sqlite3 *db_handle(struct db *);

#endif /* !STORE_DB_TEST_H */
