/*
 * clock.c: the hybrid logical clock: our own stamps, how far a foreign
 * stamp moves us, and the clock reports peers make of each other.
 */
#include "store/db_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "protocol/limits.h"
#include "store/hlc.h"
#include "store/trust.h"

/* Our own newest stamp, or 0. */
static uint64_t
own_hlc(struct db *db)
{
	size_t i;

	for (i = 0; db->signer && i < db->norig; i++)
		if (memcmp(db->orig[i].key, db->pk, NODE_KEY_LEN) == 0)
			return (db->orig[i].hlc);
	return (0);
}

uint64_t
db_last_hlc(struct db *db)
{
	uint64_t own = own_hlc(db);

	return (own > db->floor_hlc ? own : db->floor_hlc);
}

/*
 * A foreign commit that stood moves our clock up to its stamp, but never
 * past our own wall clock + HLC_MAX_AHEAD_MS: a peer whose clock is wrong
 * must not make our later writes look as if made in the future (past our
 * certificate's expiry, say).  One whose changes were refused (a stranger,
 * out of role, revoked) moves nothing.  Merging needs no more: a write
 * that saw another supersedes it by the seen heads, whatever the stamps.
 */
void
clock_follow(struct db *db, uint64_t hlc)
{
	uint64_t cap = ((db->now_ms + HLC_MAX_AHEAD_MS) & 0xffffffffffffULL) <<
	    HLC_SHIFT;

	if (hlc > cap)
		hlc = cap;
	if (hlc > db->floor_hlc) {
		db->floor_hlc = hlc;
		db->floor_dirty = true;
	}
}

/* ---- Clocks. ---- */

int
db_clock_note(struct db *db, const uint8_t subject[NODE_KEY_LEN],
    const uint8_t observer[NODE_KEY_LEN], int64_t offset_ms,
    uint64_t at_ms, const char *via, char err[STORE_ERRLEN])
{
	sqlite3_stmt *st;

	/* The newest of each kind per pair; an older report changes none. */
	if (db_prep(db, &db->s_clock_note, "INSERT INTO clock_obs(subject,"
	    " observer, offset_ms, at_ms, via) VALUES(?, ?, ?, ?, ?)"
	    " ON CONFLICT(subject, observer, via) DO UPDATE SET"
	    " offset_ms = excluded.offset_ms, at_ms = excluded.at_ms"
	    " WHERE excluded.at_ms >= at_ms", err))
		return (-1);
	st = db->s_clock_note;
	sqlite3_bind_blob(st, 1, subject, NODE_KEY_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, observer, NODE_KEY_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, offset_ms);
	sqlite3_bind_int64(st, 4, (int64_t)at_ms);
	sqlite3_bind_text(st, 5, via, -1, SQLITE_STATIC);
	if (db_step(db, st, "note a clock", err))
		return (-1);
	return (0);
}

int
db_clocks(struct db *db, int (*fn)(void *, const struct db_clock *),
    void *arg, char err[STORE_ERRLEN])
{
	struct db_clock c;
	sqlite3_stmt *st;
	int rc, r = 0;

	if (sqlite3_prepare_v2(db->h, "SELECT subject, observer, offset_ms,"
	    " at_ms, via FROM clock_obs ORDER BY subject, at_ms DESC", -1, &st,
	    NULL) != SQLITE_OK) {
		db_errf(err, "read clocks", db->h);
		return (-1);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(st, 0) != NODE_KEY_LEN ||
		    sqlite3_column_bytes(st, 1) != NODE_KEY_LEN)
			continue;
		c.subject = sqlite3_column_blob(st, 0);
		c.observer = sqlite3_column_blob(st, 1);
		c.offset_ms = sqlite3_column_int64(st, 2);
		c.at_ms = (uint64_t)sqlite3_column_int64(st, 3);
		c.via = (const char *)sqlite3_column_text(st, 4);
		if ((r = fn(arg, &c)) != 0)
			break;
	}
	if (r == 0 && rc != SQLITE_DONE) {
		db_errf(err, "read clocks", db->h);
		r = -1;
	}
	sqlite3_finalize(st);
	return (r);
}

/*
 * A commit stamped ahead of our clock says its origin's clock was at least
 * that far ahead when it was made (for a node that only sends bundles,
 * the only sign there is).  A clock that runs behind leaves no such mark:
 * its commits look like ones that took long to arrive.
 */
int
clock_seen(struct db *db, const struct commit *cm, char err[STORE_ERRLEN])
{
	uint64_t ms = hlc_ms(cm->hlc);

	if (!db->signer || ms <= db->now_ms + HLC_SKEW_MS)
		return (0);
	return (db_clock_note(db, cm->origin, db->pk, (int64_t)(ms -
	    db->now_ms), db->now_ms, "commit", err));
}

/*
 * A node's own members record may carry the clocks its sessions measured
 * off (field clocks: KEY=OFFSET@AT ...): kept as its reports, so an office
 * that talks only to its region is seen by every node.  Anything that does
 * not parse is skipped.
 */
int
clock_reports(struct db *db, const struct commit *cm, char err[STORE_ERRLEN])
{
	const struct fchange *f;
	const char *p, *e;
	char ent[128], *eq, *at, *end;
	uint8_t subj[NODE_KEY_LEN];
	long long off;
	unsigned long long ms;
	size_t i, j, k, n;

	for (i = 0; i < cm->nrec; i++) {
		if (cm->rec[i].coll_len != 7 || memcmp(cm->rec[i].coll,
		    "members", 7) != 0 || memcmp(cm->rec[i].id, cm->origin,
		    SCHEMA_ID_LEN) != 0)
			continue;
		for (j = 0; j < cm->rec[i].nf; j++) {
			f = &cm->rec[i].f[j];
			if (f->field_len != 6 || memcmp(f->field, "clocks", 6) ||
			    f->v.t != VAL_STR)
				continue;
			for (p = f->v.s, e = p + f->v.len, k = 0; p < e &&
			    k < 16; p += n + 1, k++) {
				for (n = 0; p + n < e && p[n] != ' '; n++)
					;
				if (n == 0 || n >= sizeof(ent))
					continue;
				memcpy(ent, p, n);
				ent[n] = '\0';
				if ((eq = strchr(ent, '=')) == NULL ||
				    (at = strchr(eq, '@')) == NULL ||
				    eq - ent != 2 * NODE_KEY_LEN)
					continue;
				*eq = *at = '\0';
				if (sodium_hex2bin(subj, sizeof(subj), ent,
				    (size_t)(eq - ent), NULL, NULL, NULL) != 0)
					continue;
				off = strtoll(eq + 1, &end, 10);
				if (*end != '\0' || end == eq + 1)
					continue;
				ms = strtoull(at + 1, &end, 10);
				if (*end != '\0' || end == at + 1 ||
				    ms > 0xffffffffffffULL)
					continue;
				if (db_clock_note(db, subj, cm->origin, off,
				    ms, "report", err))
					return (-1);
			}
		}
	}
	return (0);
}

/*
 * Whether our clock runs ahead of our peers' by more than HLC_MAX_AHEAD_MS:
 * of the peers our own sessions measured in the last 30 days (at or before
 * now by our clock: a measure "from the future" was taken before the clock
 * was set back, and says nothing of it now), more than half saw us that
 * far ahead.  One peer whose own clock is behind cannot stop a node that
 * talks to others too.  The newest such measure is returned.
 */
#define CLOCK_VOTE_MS	(30ULL * 86400 * 1000)

static int
clock_peer_said(struct db *db, int64_t *off, uint64_t *at, char *name,
    size_t namelen)
{
	sqlite3_stmt *st;
	long ahead = 0, all = 0;

	if (sqlite3_prepare_v2(db->h, "SELECT o.offset_ms, o.at_ms,"
	    " coalesce((SELECT name FROM peer_status p WHERE p.key ="
	    " o.subject), '') FROM clock_obs o WHERE o.observer = ? AND"
	    " o.via = 'session' AND o.at_ms <= ? AND o.at_ms >= ?"
	    " ORDER BY o.at_ms DESC", -1, &st, NULL) != SQLITE_OK)
		return (0);
	sqlite3_bind_blob(st, 1, db->pk, NODE_KEY_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (int64_t)db->now_ms);
	sqlite3_bind_int64(st, 3, (int64_t)(db->now_ms > CLOCK_VOTE_MS ?
	    db->now_ms - CLOCK_VOTE_MS : 0));
	while (sqlite3_step(st) == SQLITE_ROW) {
		all++;
		if (sqlite3_column_int64(st, 0) >= -(int64_t)HLC_MAX_AHEAD_MS)
			continue;
		if (ahead++ == 0) {
			*off = sqlite3_column_int64(st, 0);
			*at = (uint64_t)sqlite3_column_int64(st, 1);
			snprintf(name, namelen, "%s", (const char *)
			    sqlite3_column_text(st, 2));
		}
	}
	sqlite3_finalize(st);
	return (2 * ahead > all);
}

/* "YYYY-MM-DD HH:MM UTC" of ${ms}. */
void
clock_fmt_utc(uint64_t ms, char out[32])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, 32, "%Y-%m-%d %H:%M UTC", &tm) == 0)
		snprintf(out, 32, "%llu ms", (unsigned long long)ms);
}

/*
 * A node never acknowledges a write it will not apply.  Before stamping:
 * a node whose clock is ahead of what a peer last reported by more than
 * HLC_MAX_AHEAD_MS writes nothing (its stamps would run ahead of the
 * network's).  Only in a network: alone, there is no one to ask.
 */
int
clock_check(struct db *db, char err[STORE_ERRLEN])
{
	char name[128], who[160], mine[32], theirs[32], span[32];
	uint64_t at = 0;
	int64_t off = 0;

	if (!trust_enabled(db->trust) || db->keep_refused ||
	    !clock_peer_said(db, &off, &at, name, sizeof(name)) ||
	    off >= -(int64_t)HLC_MAX_AHEAD_MS)
		return (0);
	clock_fmt_utc(db->now_ms, mine);
	clock_fmt_utc(db->now_ms + (uint64_t)off, theirs);
	if (*name != '\0')
		snprintf(who, sizeof(who), "the office %s", name);
	else
		snprintf(who, sizeof(who), "a peer");
	hlc_span((uint64_t)-off, span);
	snprintf(err, STORE_ERRLEN, "this computer's clock says %s, %s ahead"
	    " of %s (by its clock it is %s); set this computer's date, time"
	    " and time zone, then try again", mine, span, who, theirs);
	return (-1);
}
