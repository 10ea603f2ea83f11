/*
 * backup.c: online backup of the database to a file.
 */
#include "store/db_int.h"

#include <stdio.h>

int
db_backup(struct db *db, const char *path, char err[STORE_ERRLEN])
{
	sqlite3 *to;
	sqlite3_backup *b;
	int rc;

	if (sqlite3_open_v2(path, &to, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		snprintf(err, STORE_ERRLEN, "%s: %s", path,
		    to ? sqlite3_errmsg(to) : "out of memory");
		sqlite3_close(to);
		return (-1);
	}
	if ((b = sqlite3_backup_init(to, "main", db->h, "main")) == NULL) {
		snprintf(err, STORE_ERRLEN, "%s: %s", path, sqlite3_errmsg(to));
		sqlite3_close(to);
		return (-1);
	}
	while ((rc = sqlite3_backup_step(b, 256)) == SQLITE_OK ||
	    rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		sqlite3_sleep(10);
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		snprintf(err, STORE_ERRLEN, "%s: %s", path, sqlite3_errstr(rc));
		sqlite3_close(to);
		return (-1);
	}
	/* A backup is one self-contained file. */
	sqlite3_exec(to, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL);
	sqlite3_close(to);
	return (0);
}
