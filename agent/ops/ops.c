/*
 * ops.c: the operations' context and what every operation shares:
 * naming a collection, a record and a field's value.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>


#include <sodium.h>

#include "agent/codec/hex.h"
#include "agent/ops/ops_int.h"
#include "agent/ops/users.h"
#include "store/hlc.h"

void
ops_init(struct ops *o, struct db *db, const char *dir,
    uint64_t (*clock)(void *), void *clock_arg)
{

	memset(o, 0, sizeof(*o));
	o->db = db;
	o->dir = dir;
	o->clock = clock;
	o->clock_arg = clock_arg;
}

void
ops_fini(struct ops *o)
{

	if (o->ring_loaded)
		conf_free(&o->ring);
	o->ring_loaded = false;
	user_session_end(&o->user);
	o->actor = NULL;
}

uint64_t
ops_now(struct ops *o)
{
	struct timespec ts;

	if (o->clock != NULL)
		return (o->clock(o->clock_arg));
	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
}

/*
 * A rekey that stopped before center.keys was sealed to the new data key:
 * open it with the old one, seal it to the new.  0, or -1 (${err} kept).
 */
static int
ring_prev(struct ops *o, char *err, size_t len)
{
	uint8_t pk[USER_KEY_LEN], *sk;
	char why[STORE_ERRLEN];
	int r = -1;

	if ((sk = sodium_malloc(USER_KEY_LEN)) == NULL)
		return (-1);
	if (ops_data_prev(o, pk, sk) == 1 && conf_ring(&o->ring, o->db,
	    o->dir, pk, sk, why, sizeof(why)) == 0) {
		if (conf_reseal(&o->ring, o->user.data_pk, err, len) == 0 &&
		    ops_data_prev_done(o, why) == 0)
			r = 0;
		else
			conf_free(&o->ring);
	}
	sodium_free(sk);
	return (r);
}

struct conf *
ops_ring(struct ops *o, struct ops_err *e)
{
	char err[1024];

	if (ops_need_reader(o, e))
		return (NULL);
	if (!o->ring_loaded) {
		if (conf_ring(&o->ring, o->db, o->dir, o->user.data_pk,
		    o->user.data_sk, err, sizeof(err)) && ring_prev(o, err,
		    sizeof(err))) {
			ops_fail(e, strcmp(err, "out of memory") == 0 ?
			    OPS_NOMEM : OPS_ENV, OPS_MSG_KEYS_UNREADABLE, 1,
			    err);
			return (NULL);
		}
		o->ring_loaded = true;
	}
	return (&o->ring);
}

int
ops_begin(struct ops *o, char err[STORE_ERRLEN])
{

	if (db_begin(o->db, ops_now(o), err))
		return (-1);
	if (db_set_actor(o->db, o->actor, err)) {
		db_rollback(o->db);
		return (-1);
	}
	return (0);
}

void
ops_who(struct ops *o, const uint8_t origin[NODE_KEY_LEN], const char *user,
    size_t user_len, struct ops_who *w)
{

	memset(w, 0, sizeof(*w));
	/* The log holds only valid users (commit_user_valid()). */
	if (user != NULL && user_len < sizeof(w->user)) {
		memcpy(w->user, user, user_len);
		w->has_user = true;
	}
	query_node_name(o->db, origin, w->node, sizeof(w->node));
	query_node_center(o->db, origin, w->center, sizeof(w->center));
}

uint64_t
ops_record_ms(struct ops *o, const struct rview *r)
{
	uint64_t h = query_record_hlc(o->db, r->c, r->id);

	return (h != 0 ? hlc_ms(h) : 0);
}

void
ops_head_who(struct ops *o, const struct cview_head *h, struct ops_who *w)
{
	char user[USER_NAME_MAX + 1];

	query_commit_user_at(o->db, h->origin, h->hlc, user, sizeof(user));
	ops_who(o, h->origin, *user != '\0' ? user : NULL, strlen(user), w);
}

const char *
ops_who_text(const char *lang, const struct ops_who *w, char *buf,
    size_t len)
{
	struct ops_err e;

	memset(&e, 0, sizeof(e));
	e.tail = OPS_MSG_NONE;
	if (w->has_user) {
		e.key = w->center[0] ? OPS_MSG_WHO_USER : OPS_MSG_WHO_USER_NODE;
		snprintf(e.arg[0], sizeof(e.arg[0]), "%s", w->user);
		snprintf(e.arg[1], sizeof(e.arg[1]), "%s", w->center[0] ?
		    w->center : w->node);
	} else {
		e.key = w->center[0] ? OPS_MSG_WHO_NODE : OPS_MSG_WHO_NODE_ALONE;
		snprintf(e.arg[0], sizeof(e.arg[0]), "%s", w->node);
		snprintf(e.arg[1], sizeof(e.arg[1]), "%s", w->center);
	}
	return (ops_text(lang, &e, buf, len));
}

struct conf *
ops_ring_for(struct ops *o, const struct coll_def *c, struct ops_err *e)
{
	const struct field_def *f;

	if (c == NULL)
		return (ops_ring(o, e));
	for (f = c->fields; f->name != NULL; f++)
		if (conf_secret(c, f))
			return (ops_ring(o, e));
	o->none.dir = o->dir;
	o->none.n = 0;
	return (&o->none);
}

const char *
ops_warning(struct ops *o)
{

	return (db_warning(o->db));
}

const struct coll_def *
ops_coll(const char *name, struct ops_err *e)
{
	const struct coll_def *c;
	char cut[48];

	if (name == NULL || (c = schema_coll(name)) == NULL) {
		snprintf(cut, sizeof(cut), "%.40s", name ? name : "");
		ops_fail(e, OPS_USAGE, OPS_MSG_COLL_UNKNOWN, 1, cut);
		return (NULL);
	}
	return (c);
}

int
ops_id(const char *s, uint8_t id[SCHEMA_ID_LEN], struct ops_err *e)
{
	char cut[48];

	if (s != NULL && hex_decode(s, id, SCHEMA_ID_LEN) == 0)
		return (0);
	snprintf(cut, sizeof(cut), "%.40s", s ? s : "");
	return (ops_fail(e, OPS_USAGE, OPS_MSG_ID_INVALID, 1, cut));
}

int
ops_field(const struct coll_def *c, const struct ops_field *in,
    const struct field_def **fp, struct val *v, struct ops_err *e)
{
	const struct field_def *f;
	struct schema_fail sf;
	char name[48];

	if (in->name_len == 0 || in->name[0] == '_' ||
	    (f = schema_field(c, in->name, in->name_len)) == NULL) {
		snprintf(name, sizeof(name), "%.*s", (int)(in->name_len > 40 ?
		    40 : in->name_len), in->name);
		return (ops_fail(e, OPS_BAD_INPUT, OPS_MSG_FIELD_UNKNOWN, 2,
		    name, c->name));
	}
	if (schema_parse(f, in->text, in->len, v))
		return (ops_fail(e, OPS_BAD_INPUT, f->kind == FK_INT ?
		    OPS_MSG_FIELD_NOT_INT : OPS_MSG_FIELD_NOT_BOOL, 1,
		    f->name));
	if (schema_check_value(f, v, &sf))
		return (ops_form_fail(e, c, &sf));
	*fp = f;
	return (0);
}
