/*
 * peers.c: the agent's tables: its peers, their status, and handshake
 * freshness (replay protection and counters).
 */
#include "store/db_int.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

int
db_peer_add(struct db *db, const char *addr, const uint8_t *key,
    char err[STORE_ERRLEN])
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db->h, "INSERT OR REPLACE INTO peers(addr, key,"
	    " added) VALUES(?, ?, strftime('%s', 'now'))", -1, &st, NULL) !=
	    SQLITE_OK) {
		db_errf(err, "add peer", db->h);
		return (-1);
	}
	sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
	if (key != NULL)
		sqlite3_bind_blob(st, 2, key, NODE_KEY_LEN, SQLITE_STATIC);
	if (db_step_fin(db, st, "add peer", err))
		return (-1);
	return (0);
}

int
db_peer_rm(struct db *db, const char *addr, char err[STORE_ERRLEN])
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db->h, "DELETE FROM peers WHERE addr = ?", -1,
	    &st, NULL) != SQLITE_OK) {
		db_errf(err, "remove peer", db->h);
		return (-1);
	}
	sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
	if (db_step_fin(db, st, "remove peer", err))
		return (-1);
	return (sqlite3_changes(db->h) > 0 ? 1 : 0);
}

int
db_peers(struct db *db, int (*fn)(void *, const char *, const uint8_t *),
    void *arg, char err[STORE_ERRLEN])
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db->h, "SELECT addr, key FROM peers ORDER BY"
	    " addr", -1, &st, NULL) != SQLITE_OK) {
		db_errf(err, "list peers", db->h);
		return (-1);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (fn(arg, (const char *)sqlite3_column_text(st, 0),
		    sqlite3_column_bytes(st, 1) == NODE_KEY_LEN ?
		    sqlite3_column_blob(st, 1) : NULL))
			break;
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		db_errf(err, "list peers", db->h);
		return (-1);
	}
	return (0);
}

int
db_peer_status_put(struct db *db, const struct peer_status *ps,
    char err[STORE_ERRLEN])
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db->h, "INSERT OR REPLACE INTO peer_status"
	    " VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", -1, &st, NULL) !=
	    SQLITE_OK) {
		db_errf(err, "peer status", db->h);
		return (-1);
	}
	sqlite3_bind_blob(st, 1, ps->key, NODE_KEY_LEN, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, ps->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, ps->addr, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, ps->state, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, (int64_t)ps->retry_at);
	sqlite3_bind_int64(st, 6, (int64_t)ps->last_sync);
	sqlite3_bind_text(st, 7, ps->last_error, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 8, (int64_t)ps->bytes_in);
	sqlite3_bind_int64(st, 9, (int64_t)ps->bytes_out);
	sqlite3_bind_int64(st, 10, (int64_t)ps->they_lack);
	sqlite3_bind_int64(st, 11, (int64_t)ps->we_lack);
	sqlite3_bind_int64(st, 12, (int64_t)ps->updated);
	if (db_step_fin(db, st, "peer status", err))
		return (-1);
	return (0);
}

int
db_peer_status(struct db *db, int (*fn)(void *, const struct peer_status *),
    void *arg, char err[STORE_ERRLEN])
{
	struct peer_status ps;
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db->h, "SELECT key, coalesce(name, ''),"
	    " coalesce(addr, ''), state, retry_at, last_sync,"
	    " coalesce(last_error, ''), bytes_in, bytes_out, they_lack,"
	    " we_lack, updated FROM peer_status ORDER BY name, key", -1, &st,
	    NULL) != SQLITE_OK) {
		db_errf(err, "peer status", db->h);
		return (-1);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(st, 0) != NODE_KEY_LEN)
			continue;
		memcpy(ps.key, sqlite3_column_blob(st, 0), NODE_KEY_LEN);
		ps.name = (const char *)sqlite3_column_text(st, 1);
		ps.addr = (const char *)sqlite3_column_text(st, 2);
		ps.state = (const char *)sqlite3_column_text(st, 3);
		ps.retry_at = (uint64_t)sqlite3_column_int64(st, 4);
		ps.last_sync = (uint64_t)sqlite3_column_int64(st, 5);
		ps.last_error = (const char *)sqlite3_column_text(st, 6);
		ps.bytes_in = (uint64_t)sqlite3_column_int64(st, 7);
		ps.bytes_out = (uint64_t)sqlite3_column_int64(st, 8);
		ps.they_lack = (uint64_t)sqlite3_column_int64(st, 9);
		ps.we_lack = (uint64_t)sqlite3_column_int64(st, 10);
		ps.updated = (uint64_t)sqlite3_column_int64(st, 11);
		if (fn(arg, &ps))
			break;
	}
	sqlite3_finalize(st);
	return (rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1);
}

int
db_hs_fresh(struct db *db, const uint8_t key[NODE_KEY_LEN], uint64_t ts,
    char err[STORE_ERRLEN])
{
	sqlite3_stmt *st;
	int r = 0;

	/* Never stored: it would turn negative, below any later counter. */
	if (ts >= DB_HS_LIMIT)
		return (1);
	/* Insert, or raise the stored counter only if ${ts} is above it. */
	if (sqlite3_prepare_v2(db->h, "INSERT INTO hs_seen(key, ts)"
	    " VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET ts = excluded.ts"
	    " WHERE excluded.ts > hs_seen.ts", -1, &st, NULL) != SQLITE_OK) {
		db_errf(err, "replay guard", db->h);
		return (-1);
	}
	sqlite3_bind_blob(st, 1, key, NODE_KEY_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (int64_t)ts);
	if (db_step_fin(db, st, "replay guard", err))
		return (-1);
	if (sqlite3_changes(db->h) == 0)
		r = 1;
	return (r);
}

/*
 * Counters are handed out from memory below a bound stored ahead of them
 * (DB_HS_RESERVE_MS), so a dial costs an fsync on the loop once in ten
 * minutes, not every time: after a crash the next counter starts above
 * the bound, above any sent.
 */
int
db_hs_next(struct db *db, uint64_t now_ms, uint64_t *ctr,
    char err[STORE_ERRLEN])
{
	sqlite3_stmt *st;
	uint64_t stored = 0, base, c, bound;
	char v[24];

	if (now_ms >= DB_HS_LIMIT) {
		snprintf(err, STORE_ERRLEN, "the clock is out of range");
		return (-1);
	}
	if (sqlite3_prepare_v2(db->h, "SELECT CAST(v AS INTEGER) FROM meta"
	    " WHERE k = 'hs_sent'", -1, &st, NULL) != SQLITE_OK) {
		db_errf(err, "handshake counter", db->h);
		return (-1);
	}
	if (sqlite3_step(st) == SQLITE_ROW)
		stored = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	/* A bound not ours (a restart, another process): all below it used. */
	base = stored == db->hs_bound ? db->hs_last : stored;
	c = now_ms > base ? now_ms : base + 1;
	if (c >= DB_HS_LIMIT) {
		snprintf(err, STORE_ERRLEN, "the handshake counter is used up");
		return (-1);
	}
	if (c > stored) {
		bound = DB_HS_LIMIT - 1 - c > DB_HS_RESERVE_MS ?
		    c + DB_HS_RESERVE_MS : DB_HS_LIMIT - 1;
		snprintf(v, sizeof(v), "%llu", (unsigned long long)bound);
		/* Durable unless the caller chose otherwise. */
		if (db_meta_set(db, "hs_sent", v, err))
			return (-1);
		db->hs_bound = bound;
	}
	db->hs_last = c;
	*ctr = c;
	return (0);
}
