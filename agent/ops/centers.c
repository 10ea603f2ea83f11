/*
 * centers.c: the managed list of centers (see centers.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "agent/ops/cases.h"
#include "agent/ops/centers.h"
#include "agent/ops/ops_int.h"

#define CENTER_ID_TAG	"hamroh/center/1"

static void
center_id(const char *code, size_t len, uint8_t id[SCHEMA_ID_LEN])
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, SCHEMA_ID_LEN);
	crypto_generichash_update(&st, (const uint8_t *)CENTER_ID_TAG,
	    strlen(CENTER_ID_TAG));
	crypto_generichash_update(&st, (const uint8_t *)code, len);
	crypto_generichash_final(&st, id, SCHEMA_ID_LEN);
}

bool
ops_center_code_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > CENTER_CODE_MAX || !schema_utf8_valid(s, len))
		return (false);
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == '=' || s[i] == ',' ||
		    s[i] == 0x7f)
			return (false);
	return (true);
}

/* What the list holds: the codes (for messages) and the prefixes. */
struct known {
	const char	*code;		/* The one looked for, or NULL. */
	size_t		code_len;
	char		prefix[CENTER_PREFIX_LEN + 1];	/* Its prefix. */
	bool		found;
	char		codes[400];	/* "KHJ, Khorog, ..." */
	char		prefixes[64][CENTER_PREFIX_LEN + 1];
	size_t		nprefixes;
	long		n;
};

static const char *
rv_str(const struct rview *r, const char *name, size_t *len)
{
	size_t i;

	for (i = 0; i < r->nf; i++)
		if (strcmp(r->f[i].name, name) == 0 && r->f[i].v.t == VAL_STR) {
			if (len != NULL)
				*len = r->f[i].v.len;
			return (r->f[i].v.s);
		}
	if (len != NULL)
		*len = 0;
	return (NULL);
}

static int
known_cb(void *arg, const struct rview *r)
{
	struct known *k = arg;
	const char *code, *prefix;
	size_t clen, plen, off;

	if ((code = rv_str(r, "code", &clen)) == NULL)
		return (0);
	prefix = rv_str(r, "prefix", &plen);
	k->n++;
	off = strlen(k->codes);
	if (off + clen + 8 < sizeof(k->codes))
		snprintf(k->codes + off, sizeof(k->codes) - off, "%s%.*s",
		    off ? ", " : "", (int)clen, code);
	else if (strstr(k->codes, "...") == NULL)
		snprintf(k->codes + off, sizeof(k->codes) - off, ", ...");
	if (prefix != NULL && plen == CENTER_PREFIX_LEN &&
	    k->nprefixes < sizeof(k->prefixes) / sizeof(k->prefixes[0]))
		snprintf(k->prefixes[k->nprefixes++], CENTER_PREFIX_LEN + 1,
		    "%.3s", prefix);
	if (k->code != NULL && clen == k->code_len &&
	    memcmp(code, k->code, clen) == 0) {
		k->found = true;
		if (prefix != NULL && plen == CENTER_PREFIX_LEN)
			snprintf(k->prefix, sizeof(k->prefix), "%.3s", prefix);
	}
	return (0);
}

static int
known_read(struct db *db, struct known *k, char err[STORE_ERRLEN])
{

	return (query_list(db, schema_coll("centers"), NULL, 0, NULL, known_cb,
	    k, err) < 0 ? -1 : 0);
}

static bool
prefix_used(const struct known *k, const char *p)
{
	size_t i;

	for (i = 0; i < k->nprefixes; i++)
		if (memcmp(k->prefixes[i], p, CENTER_PREFIX_LEN) == 0)
			return (true);
	return (false);
}

/* Three capital Latin letters. */
static bool
prefix_ok(const char *p)
{
	size_t i;

	if (strlen(p) != CENTER_PREFIX_LEN)
		return (false);
	for (i = 0; i < CENTER_PREFIX_LEN; i++)
		if (p[i] < 'A' || p[i] > 'Z')
			return (false);
	return (true);
}

/*
 * A prefix from the code's Latin letters: its first letter and two of
 * the later ones, in order, the first combination no other center uses.
 */
static bool
prefix_derive(const struct known *k, const char *code, size_t len,
    char out[CENTER_PREFIX_LEN + 1])
{
	char l[CENTER_CODE_MAX];
	size_t n = 0, i, j, a, pass, first = len;
	char c;

	/* The consonants after the first letter first (KHJ, not KHU). */
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < len; i++) {
			c = code[i];
			if (c >= 'a' && c <= 'z')
				c = (char)(c - 'a' + 'A');
			if (c < 'A' || c > 'Z' || i == first)
				continue;
			if (first == len)
				first = i;
			else if ((pass == 0) != (strchr("AEIOUY", c) == NULL))
				continue;
			l[n++] = c;
		}
	for (a = 0; a + 2 < n; a++)
		for (i = a + 1; i + 1 < n; i++)
			for (j = i + 1; j < n; j++) {
				out[0] = l[a];
				out[1] = l[i];
				out[2] = l[j];
				out[3] = '\0';
				if (!prefix_used(k, out))
					return (true);
			}
	return (false);
}

bool
ops_center_prefix_of(const char *code, char p[CENTER_PREFIX_LEN + 1])
{
	struct known *k;
	bool yes;

	if ((k = calloc(1, sizeof(*k))) == NULL)
		return (false);
	yes = prefix_derive(k, code, strlen(code), p);
	free(k);
	return (yes);
}

static bool own_center(struct db *, const struct known *,
    char[CONF_CENTER_MAX + 1], char[CENTER_PREFIX_LEN + 1]);

static int
put_str(struct db *db, const struct coll_def *c, const uint8_t *id,
    const char *name, const char *s, char err[STORE_ERRLEN])
{
	struct val v;

	if (s == NULL || *s == '\0')
		return (0);
	memset(&v, 0, sizeof(v));
	v.t = VAL_STR;
	v.s = s;
	v.len = strlen(s);
	return (db_put(db, c, id, schema_field(c, name, strlen(name)), &v,
	    err));
}

static int
center_put(struct db *db, const struct ops_center *a, const char *prefix,
    char err[STORE_ERRLEN])
{
	const struct coll_def *c = schema_coll("centers");
	uint8_t id[SCHEMA_ID_LEN];

	center_id(a->code, strlen(a->code), id);
	return (put_str(db, c, id, "code", a->code, err) ||
	    put_str(db, c, id, "name", a->name, err) ||
	    put_str(db, c, id, "prefix", prefix, err) ||
	    put_str(db, c, id, "region", a->region, err) ||
	    put_str(db, c, id, "name_tg", a->name_tg, err) ||
	    put_str(db, c, id, "name_ru", a->name_ru, err) ? -1 : 0);
}

/* Each text field as the schema takes it (BAD_INPUT naming it). */
static int
center_check(const struct ops_center *a, struct ops_err *e)
{
	const struct coll_def *c = schema_coll("centers");
	const char *names[] = { "name", "region", "name_tg", "name_ru" };
	const char *vals[] = { a->name, a->region, a->name_tg, a->name_ru };
	char why[256];
	struct val v;
	size_t i;

	if (a->code == NULL || !ops_center_code_ok(a->code, strlen(a->code)))
		return (ops_fail(e, OPS_USAGE, OPS_MSG_CENTER_CODE_BAD, 1,
		    a->code ? a->code : ""));
	if (a->name == NULL || *a->name == '\0')
		return (ops_fail(e, OPS_USAGE, OPS_MSG_CENTER_NAME_EMPTY, 0));
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (vals[i] == NULL)
			continue;
		memset(&v, 0, sizeof(v));
		v.t = VAL_STR;
		v.s = vals[i];
		v.len = strlen(vals[i]);
		if (schema_check(schema_field(c, names[i], strlen(names[i])),
		    &v, why, sizeof(why)))
			return (ops_fail(e, OPS_BAD_INPUT,
			    OPS_MSG_FIELD_INVALID, 2, names[i], why));
	}
	return (0);
}

int
ops_center_add(struct ops *o, const struct ops_center *a,
    char prefix[CENTER_PREFIX_LEN + 1], struct ops_err *e)
{
	const struct coll_def *c = schema_coll("centers");
	uint8_t id[SCHEMA_ID_LEN];
	char err[STORE_ERRLEN];
	struct known *k;
	int r = -1;

	memset(e, 0, sizeof(*e));
	if (center_check(a, e))
		return (-1);
	center_id(a->code, strlen(a->code), id);
	if (ops_may_write(o, c, id, true, NULL, e))
		return (-1);
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return (ops_fail(e, OPS_NOMEM, OPS_MSG_NOMEM, 0));
	k->code = a->code;
	k->code_len = strlen(a->code);
	if (known_read(o->db, k, err)) {
		ops_store_fail(e, err, OPS_MSG_NOTHING_CHANGED);
		goto out;
	}
	if (k->found) {
		ops_fail(e, OPS_BAD_INPUT, OPS_MSG_CENTER_EXISTS, 2, a->code,
		    k->prefix);
		goto out;
	}
	if (a->prefix != NULL) {
		if (!prefix_ok(a->prefix)) {
			ops_fail(e, OPS_USAGE, OPS_MSG_CENTER_PREFIX_BAD, 1,
			    a->prefix);
			goto out;
		}
		if (prefix_used(k, a->prefix)) {
			ops_fail(e, OPS_BAD_INPUT, OPS_MSG_CENTER_PREFIX_USED,
			    1, a->prefix);
			goto out;
		}
		snprintf(prefix, CENTER_PREFIX_LEN + 1, "%s", a->prefix);
	} else if (!prefix_derive(k, a->code, strlen(a->code), prefix)) {
		ops_fail(e, OPS_USAGE, OPS_MSG_CENTER_PREFIX_NONE, 1, a->code);
		goto out;
	}
	if (db_begin(o->db, ops_now(o), err) ||
	    center_put(o->db, a, prefix, err) || db_commit(o->db, err)) {
		db_rollback(o->db);
		ops_store_fail(e, err, OPS_MSG_NOTHING_CHANGED);
		goto out;
	}
	r = 0;
out:
	free(k);
	return (r);
}

struct listing {
	ops_center_fn	fn;
	void		*arg;
	long		n;
};

static int
list_cb(void *arg, const struct rview *r)
{
	struct listing *l = arg;
	const char *names[] = { "code", "name", "prefix", "region", "name_tg",
	    "name_ru" };
	char *vals[6];
	struct ops_center oc;
	const char *s;
	size_t i, len;
	int ret;

	for (i = 0; i < 6; i++) {
		s = rv_str(r, names[i], &len);
		vals[i] = s == NULL ? NULL : strndup(s, len);
	}
	oc.code = vals[0] ? vals[0] : "";
	oc.name = vals[1] ? vals[1] : "";
	oc.prefix = vals[2] ? vals[2] : "";
	oc.region = vals[3];
	oc.name_tg = vals[4];
	oc.name_ru = vals[5];
	l->n++;
	ret = l->fn(l->arg, &oc);
	for (i = 0; i < 6; i++)
		free(vals[i]);
	return (ret);
}

int
ops_center_list(struct ops *o, ops_center_fn fn, void *arg, long *n,
    struct ops_err *e)
{
	struct listing l = { fn, arg, 0 };
	char err[STORE_ERRLEN], code[CONF_CENTER_MAX + 1];
	char prefix[CENTER_PREFIX_LEN + 1];
	struct ops_center oc;
	struct known *k;
	int r = 0;

	memset(e, 0, sizeof(*e));
	if (query_list(o->db, schema_coll("centers"), NULL, 0, NULL, list_cb,
	    &l, err) < 0)
		return (ops_store_fail(e, err, OPS_MSG_NONE));
	/* This node's own center, until a list of the network names it. */
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return (ops_fail(e, OPS_NOMEM, OPS_MSG_NOMEM, 0));
	if (db_meta_get(o->db, "center", code, sizeof(code)) == 0) {
		k->code = code;
		k->code_len = strlen(code);
	}
	if (k->code != NULL && known_read(o->db, k, err))
		r = ops_store_fail(e, err, OPS_MSG_NONE);
	else if (k->code != NULL && !k->found &&
	    own_center(o->db, k, code, prefix)) {
		memset(&oc, 0, sizeof(oc));
		oc.code = code;
		oc.name = "(this node's center; not yet in the list)";
		oc.prefix = prefix;
		l.n++;
		fn(arg, &oc);
	}
	free(k);
	*n = l.n;
	return (r);
}

/* Whether the list names ${code} (on a read error: say it does). */
static bool
own_listed(struct db *db, const char *code)
{
	char err[STORE_ERRLEN];
	struct known *k;
	bool yes = true;

	if ((k = calloc(1, sizeof(*k))) == NULL)
		return (true);
	k->code = code;
	k->code_len = strlen(code);
	if (known_read(db, k, err) == 0)
		yes = k->found;
	free(k);
	return (yes);
}

int
ops_center_known(struct ops *o, const char *code, size_t len,
    const char *what, char prefix[CENTER_PREFIX_LEN + 1], struct ops_err *e)
{
	char err[STORE_ERRLEN], cut[48], own[CONF_CENTER_MAX + 1] = "";
	struct known *k;
	size_t off;
	int r = -1;

	if ((k = calloc(1, sizeof(*k))) == NULL)
		return (ops_fail(e, OPS_NOMEM, OPS_MSG_NOMEM, 0));
	k->code = code;
	k->code_len = len;
	if (known_read(o->db, k, err))
		ops_store_fail(e, err, OPS_MSG_NONE);
	else if (!k->found && own_center(o->db, k, own, k->prefix) &&
	    strlen(own) == len && memcmp(own, code, len) == 0) {
		if (prefix != NULL)
			snprintf(prefix, CENTER_PREFIX_LEN + 1, "%s",
			    k->prefix);
		r = 0;
	} else if (!k->found) {
		/* The known ones: the list's, and this node's own. */
		if (*own != '\0' && !own_listed(o->db, own) &&
		    (off = strlen(k->codes)) + strlen(own) + 4 <
		    sizeof(k->codes)) {
			snprintf(k->codes + off, sizeof(k->codes) - off,
			    "%s%s", off ? ", " : "", own);
			k->n++;
		}
		snprintf(cut, sizeof(cut), "%.*s", (int)(len > 40 ? 40 : len),
		    code);
		if (k->n == 0)
			ops_fail(e, OPS_BAD_INPUT, OPS_MSG_CENTER_NONE_KNOWN, 2,
			    what, cut);
		else
			ops_fail(e, OPS_BAD_INPUT, OPS_MSG_CENTER_UNKNOWN, 3,
			    what, cut, k->codes);
	} else {
		if (prefix != NULL)
			snprintf(prefix, CENTER_PREFIX_LEN + 1, "%s",
			    k->prefix);
		r = 0;
	}
	free(k);
	return (r);
}

/*
 * This node's own center (meta "center": init's --center, the invite's),
 * known to it even if no list names it yet, with the prefix init made
 * (meta "center_prefix") or one made from the code now.
 */
static bool
own_center(struct db *db, const struct known *k, char code[CONF_CENTER_MAX + 1],
    char prefix[CENTER_PREFIX_LEN + 1])
{

	if (db_meta_get(db, "center", code, CONF_CENTER_MAX + 1) != 0 ||
	    *code == '\0')
		return (false);
	if (db_meta_get(db, "center_prefix", prefix, CENTER_PREFIX_LEN + 1) ==
	    0 && prefix_ok(prefix))
		return (true);
	return (prefix_derive(k, code, strlen(code), prefix));
}

int
ops_center_put_own(struct db *db, char err[STORE_ERRLEN])
{
	char code[CONF_CENTER_MAX + 1], prefix[CENTER_PREFIX_LEN + 1];
	struct ops_center a;
	struct known *k;
	int r = -1;

	if ((k = calloc(1, sizeof(*k))) == NULL) {
		snprintf(err, STORE_ERRLEN, "out of memory");
		return (-1);
	}
	if (db_meta_get(db, "center", code, sizeof(code)) != 0 ||
	    !ops_center_code_ok(code, strlen(code))) {
		r = 0;
		goto out;
	}
	k->code = code;
	k->code_len = strlen(code);
	if (known_read(db, k, err))
		goto out;
	if (k->found || !own_center(db, k, code, prefix)) {
		r = 0;
		goto out;
	}
	memset(&a, 0, sizeof(a));
	a.code = code;
	a.name = code;
	r = center_put(db, &a, prefix, err);
out:
	free(k);
	return (r);
}
