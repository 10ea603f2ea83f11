/*
 * users.c: a node's staff accounts and its data key.  See users.h for the
 * format and the cost of a sign-in.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "agent/access/users.h"
#include "agent/codec/hex.h"

#define SALT_LEN	crypto_pwhash_SALTBYTES		/* 16 */
#define NONCE_LEN	crypto_secretbox_NONCEBYTES	/* 24 */
#define WRAP_LEN	(NONCE_LEN + crypto_secretbox_MACBYTES + USER_KEY_LEN)
#define SEALED_LEN	(crypto_box_SEALBYTES + USER_KEY_LEN)
#define OPS_MAX		4ULL
#define MEM_MAX		(256ULL * 1024 * 1024)
#define PREFIX		"user:"
#define RECOVERY	"user-recovery"
/* Crockford's base32: no I, L, O or U to misread over a phone line. */
#define USER_CODE_ALPHABET "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

/* One entry, parsed. */
struct entry {
	enum user_role	role;
	unsigned long long ops, mem;
	uint8_t		salt[SALT_LEN];
	uint8_t		pk[USER_KEY_LEN];
	uint8_t		wrap[WRAP_LEN];
	uint8_t		sealed[SEALED_LEN];
};

static const char *const roles[] = {
	[USER_LAWYER] = "lawyer",
	[USER_STATISTICIAN] = "statistician",
	[USER_ADMIN] = "admin",
	[USER_RECOVERY] = "recovery",
};

enum user_role
user_role_parse(const char *s)
{
	int i;

	for (i = USER_LAWYER; i <= USER_ADMIN; i++)
		if (s != NULL && strcmp(s, roles[i]) == 0)
			return ((enum user_role)i);
	return (USER_NONE);
}

const char *
user_role_name(enum user_role r)
{

	return (r >= USER_LAWYER && r <= USER_RECOVERY ? roles[r] : "none");
}

bool
user_name_ok(const char *s)
{
	size_t i, n = s != NULL ? strlen(s) : 0;

	if (n == 0 || n > USER_NAME_MAX)
		return (false);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!(c >= 0x80 || (c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '_' || c == '-'))
			return (false);
	}
	return (s[0] != '-' && s[0] != '.');
}

static void
meta_key(const char *name, char out[sizeof(PREFIX) + USER_NAME_MAX])
{

	if (name == NULL)
		snprintf(out, sizeof(PREFIX) + USER_NAME_MAX, "%s", RECOVERY);
	else
		snprintf(out, sizeof(PREFIX) + USER_NAME_MAX, "%s%s", PREFIX,
		    name);
}

static int
hex_field(char **save, uint8_t *out, size_t len)
{
	char *t = strtok_r(NULL, " ", save);

	return (t == NULL || strlen(t) != 2 * len || hex_decode(t, out, len) ?
	    -1 : 0);
}

/* Parse an entry's text: 0, or -1 if it is damaged. */
static int
parse_entry(const char *text, struct entry *en)
{
	char buf[1024], *save, *t, *end;
	int r = -1;

	if (strlen(text) >= sizeof(buf))
		return (-1);
	memcpy(buf, text, strlen(text) + 1);
	if ((t = strtok_r(buf, " ", &save)) == NULL || strcmp(t, "1") != 0)
		goto done;
	if ((t = strtok_r(NULL, " ", &save)) == NULL)
		goto done;
	if (strcmp(t, "recovery") == 0)
		en->role = USER_RECOVERY;
	else if ((en->role = user_role_parse(t)) == USER_NONE)
		goto done;
	if ((t = strtok_r(NULL, " ", &save)) == NULL ||
	    (en->ops = strtoull(t, &end, 10), *end != '\0') ||
	    en->ops < USER_OPSLIMIT || en->ops > OPS_MAX)
		goto done;
	if ((t = strtok_r(NULL, " ", &save)) == NULL ||
	    (en->mem = strtoull(t, &end, 10), *end != '\0') ||
	    en->mem < USER_MEMLIMIT || en->mem > MEM_MAX)
		goto done;
	if (hex_field(&save, en->salt, SALT_LEN) ||
	    hex_field(&save, en->pk, USER_KEY_LEN) ||
	    hex_field(&save, en->wrap, WRAP_LEN) ||
	    hex_field(&save, en->sealed, SEALED_LEN) ||
	    strtok_r(NULL, " ", &save) != NULL)
		goto done;
	r = 0;
done:
	sodium_memzero(buf, sizeof(buf));
	return (r);
}

static int
put_entry(struct db *db, const char *name, const struct entry *en,
    char err[STORE_ERRLEN])
{
	char k[sizeof(PREFIX) + USER_NAME_MAX], text[1024];
	size_t off;

	meta_key(name, k);
	off = (size_t)snprintf(text, sizeof(text), "1 %s %llu %llu ",
	    user_role_name(en->role), en->ops, en->mem);
	hex_encode(en->salt, SALT_LEN, text + off);
	off += 2 * SALT_LEN;
	text[off++] = ' ';
	hex_encode(en->pk, USER_KEY_LEN, text + off);
	off += 2 * USER_KEY_LEN;
	text[off++] = ' ';
	hex_encode(en->wrap, WRAP_LEN, text + off);
	off += 2 * WRAP_LEN;
	text[off++] = ' ';
	hex_encode(en->sealed, SEALED_LEN, text + off);
	return (db_meta_set(db, k, text, err));
}

static enum user_res
get_entry(struct db *db, const char *name, struct entry *en)
{
	char k[sizeof(PREFIX) + USER_NAME_MAX], text[1024];

	meta_key(name, k);
	if (db_meta_get(db, k, text, sizeof(text)) != 0)
		return (USER_ENOENT);
	return (parse_entry(text, en) ? USER_EDAMAGED : USER_OK);
}

int
user_entry_tag(struct db *db, const struct user_session *s,
    uint8_t tag[USER_TAG_LEN])
{
	char k[sizeof(PREFIX) + USER_NAME_MAX], text[1024];

	meta_key(s->role == USER_RECOVERY ? NULL : s->name, k);
	if (db_meta_get(db, k, text, sizeof(text)) != 0)
		return (-1);
	crypto_generichash(tag, USER_TAG_LEN, (const uint8_t *)text,
	    strlen(text), NULL, 0);
	return (0);
}

/* The key Argon2id derives from ${pass} for ${en}; 0 or -1 (memory). */
static int
derive(const struct entry *en, const char *pass, size_t len,
    uint8_t *key)
{

	return (crypto_pwhash(key, USER_KEY_LEN, pass, len, en->salt, en->ops,
	    (size_t)en->mem, crypto_pwhash_ALG_ARGON2ID13));
}

/*
 * Fill ${en} for a new entry of ${role} under ${pass}: a fresh key pair
 * (or the one of ${keep_sk}, a passphrase change), wrapped; its
 * sealed_data_sk sealed from ${data_sk}.
 */
static enum user_res
make_entry(struct entry *en, enum user_role role, const char *pass,
    size_t len, const uint8_t *keep_sk, const uint8_t *data_sk)
{
	uint8_t *k, *usk;
	enum user_res r = USER_ENOMEM;

	if ((k = sodium_malloc(2 * USER_KEY_LEN)) == NULL)
		return (USER_ENOMEM);
	usk = k + USER_KEY_LEN;
	en->role = role;
	en->ops = USER_OPSLIMIT;
	en->mem = USER_MEMLIMIT;
	randombytes_buf(en->salt, SALT_LEN);
	if (keep_sk != NULL)
		memcpy(usk, keep_sk, USER_KEY_LEN);
	else
		randombytes_buf(usk, USER_KEY_LEN);
	crypto_scalarmult_base(en->pk, usk);
	if (derive(en, pass, len, k) != 0)
		goto done;
	randombytes_buf(en->wrap, NONCE_LEN);
	crypto_secretbox_easy(en->wrap + NONCE_LEN, usk, USER_KEY_LEN,
	    en->wrap, k);
	if (crypto_box_seal(en->sealed, data_sk, USER_KEY_LEN, en->pk) != 0)
		goto done;
	r = USER_OK;
done:
	sodium_free(k);
	return (r);
}

/* Unwrap ${en}'s key pair with ${pass} into ${usk}. */
static enum user_res
unwrap_user(const struct entry *en, const char *pass, size_t len,
    uint8_t *usk)
{
	uint8_t *k;
	enum user_res r = USER_OK;

	if ((k = sodium_malloc(USER_KEY_LEN)) == NULL)
		return (USER_ENOMEM);
	if (derive(en, pass, len, k) != 0)
		r = USER_ENOMEM;
	else if (crypto_secretbox_open_easy(usk, en->wrap + NONCE_LEN,
	    WRAP_LEN - NONCE_LEN, en->wrap, k) != 0)
		r = USER_EPASS;
	sodium_free(k);
	return (r);
}

bool
user_have_datakey(struct db *db)
{
	uint8_t pk[USER_KEY_LEN];

	return (user_data_pk(db, pk) == 0);
}

int
user_data_pk(struct db *db, uint8_t pk[USER_KEY_LEN])
{
	char h[2 * USER_KEY_LEN + 8];

	if (db_meta_get(db, "data_pk", h, sizeof(h)) != 0 ||
	    strlen(h) != 2 * USER_KEY_LEN || hex_decode(h, pk, USER_KEY_LEN))
		return (-1);
	return (0);
}

static int
set_data_pk(struct db *db, const uint8_t pk[USER_KEY_LEN],
    char err[STORE_ERRLEN])
{
	char h[2 * USER_KEY_LEN + 1];

	hex_encode(pk, USER_KEY_LEN, h);
	return (db_meta_set(db, "data_pk", h, err));
}

static enum user_res
session_new(struct user_session *s, const char *name, enum user_role role,
    const uint8_t *pk, const uint8_t *sk)
{

	memset(s, 0, sizeof(*s));
	if ((s->data_sk = sodium_malloc(USER_KEY_LEN)) == NULL)
		return (USER_ENOMEM);
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->role = role;
	memcpy(s->data_pk, pk, USER_KEY_LEN);
	memcpy(s->data_sk, sk, USER_KEY_LEN);
	return (USER_OK);
}

void
user_session_end(struct user_session *s)
{

	if (s->data_sk != NULL)
		sodium_free(s->data_sk);
	memset(s, 0, sizeof(*s));
}

/* A recovery code: USER_CODE_CHARS of the alphabet, in groups of 5. */
static void
make_code(char code[USER_CODE_LEN + 1], char plain[USER_CODE_CHARS + 1])
{
	size_t i, o = 0;

	for (i = 0; i < USER_CODE_CHARS; i++) {
		plain[i] = USER_CODE_ALPHABET[randombytes_uniform(32)];
		if (i > 0 && i % 5 == 0)
			code[o++] = '-';
		code[o++] = plain[i];
	}
	plain[USER_CODE_CHARS] = '\0';
	code[o] = '\0';
}

int
user_code_norm(const char *in, size_t len, char out[USER_CODE_CHARS + 1])
{
	size_t i, n = 0;
	char c;

	for (i = 0; i < len; i++) {
		c = in[i];
		if (c == '-' || c == ' ' || c == '\n' || c == '\r')
			continue;
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		/* Read for what was surely meant. */
		if (c == 'O')
			c = '0';
		else if (c == 'I' || c == 'L')
			c = '1';
		if (strchr(USER_CODE_ALPHABET, c) == NULL || c == '\0' ||
		    n == USER_CODE_CHARS)
			return (-1);
		out[n++] = c;
	}
	out[n] = '\0';
	return (n == USER_CODE_CHARS ? 0 : -1);
}

enum user_res
user_create_first(struct db *db, const char *name, const char *pass,
    size_t len, char code[USER_CODE_LEN + 1], struct user_session *s,
    char err[STORE_ERRLEN])
{
	uint8_t pk[USER_KEY_LEN], *sk;
	struct entry en;
	char plain[USER_CODE_CHARS + 1];
	enum user_res r;

	if (!user_name_ok(name))
		return (USER_EBADNAME);
	if (len < USER_PASS_MIN)
		return (USER_ESHORT);
	if ((sk = sodium_malloc(USER_KEY_LEN)) == NULL)
		return (USER_ENOMEM);
	crypto_box_keypair(pk, sk);
	make_code(code, plain);
	if ((r = make_entry(&en, USER_ADMIN, pass, len, NULL, sk)) != USER_OK)
		goto done;
	if (put_entry(db, name, &en, err)) {
		r = USER_ESTORE;
		goto done;
	}
	if ((r = make_entry(&en, USER_RECOVERY, plain, USER_CODE_CHARS, NULL,
	    sk)) != USER_OK)
		goto done;
	if (put_entry(db, NULL, &en, err) || set_data_pk(db, pk, err)) {
		r = USER_ESTORE;
		goto done;
	}
	r = session_new(s, name, USER_ADMIN, pk, sk);
done:
	sodium_memzero(plain, sizeof(plain));
	sodium_free(sk);
	return (r);
}

enum user_res
user_add(struct db *db, const struct user_session *s, const char *name,
    enum user_role role, const char *pass, size_t len, char err[STORE_ERRLEN])
{
	struct entry en;
	enum user_res r;

	if (!user_name_ok(name))
		return (USER_EBADNAME);
	if (get_entry(db, name, &en) != USER_ENOENT)
		return (USER_EEXISTS);
	if (len < USER_PASS_MIN)
		return (USER_ESHORT);
	if ((r = make_entry(&en, role, pass, len, NULL, s->data_sk)) !=
	    USER_OK)
		return (r);
	return (put_entry(db, name, &en, err) ? USER_ESTORE : USER_OK);
}

enum user_res
user_signin(struct db *db, const char *name, const char *pass, size_t len,
    struct user_session *s)
{
	struct entry en;
	uint8_t *k, pk[USER_KEY_LEN];
	enum user_res r;

	memset(s, 0, sizeof(*s));
	if (name != NULL && !user_name_ok(name))
		return (USER_ENOENT);
	if ((r = get_entry(db, name, &en)) != USER_OK)
		return (r);
	if (user_data_pk(db, pk))
		return (USER_EDAMAGED);
	if ((k = sodium_malloc(2 * USER_KEY_LEN)) == NULL)
		return (USER_ENOMEM);
	if ((r = unwrap_user(&en, pass, len, k)) != USER_OK)
		goto done;
	if (crypto_box_seal_open(k + USER_KEY_LEN, en.sealed, SEALED_LEN,
	    en.pk, k) != 0) {
		r = USER_EDAMAGED;
		goto done;
	}
	r = session_new(s, name != NULL ? name : "recovery", en.role, pk,
	    k + USER_KEY_LEN);
done:
	sodium_free(k);
	return (r);
}

enum user_res
user_passwd(struct db *db, const struct user_session *s, const char *name,
    const char *pass, size_t len, char err[STORE_ERRLEN])
{
	struct entry en;
	enum user_res r;

	if ((r = get_entry(db, name, &en)) != USER_OK)
		return (r);
	if (len < USER_PASS_MIN)
		return (USER_ESHORT);
	/* A new key pair too: the old wrapping opens nothing any more. */
	if ((r = make_entry(&en, en.role, pass, len, NULL, s->data_sk)) !=
	    USER_OK)
		return (r);
	return (put_entry(db, name, &en, err) ? USER_ESTORE : USER_OK);
}

/* Count the admins but one name. */
struct count {
	const char	*skip;
	long		n, admins;
};

static int
count_cb(void *arg, const char *name, enum user_role role)
{
	struct count *c = arg;

	c->n++;
	if (role == USER_ADMIN && (c->skip == NULL ||
	    strcmp(name, c->skip) != 0))
		c->admins++;
	return (0);
}

enum user_res
user_rm(struct db *db, const char *name, char err[STORE_ERRLEN])
{
	char k[sizeof(PREFIX) + USER_NAME_MAX];
	struct count c = { name, 0, 0 };
	struct entry en;
	enum user_res r;

	if ((r = get_entry(db, name, &en)) != USER_OK &&
	    r != USER_EDAMAGED)
		return (r);
	if (user_each(db, count_cb, &c) != 0) {
		snprintf(err, STORE_ERRLEN, "reading the users failed");
		return (USER_ESTORE);
	}
	if (r == USER_OK && en.role == USER_ADMIN && c.admins == 0)
		return (USER_ELAST);
	meta_key(name, k);
	return (db_meta_del(db, k, err) ? USER_ESTORE : USER_OK);
}

struct each {
	int	(*fn)(void *, const char *, enum user_role);
	void	*arg;
};

static int
each_cb(void *arg, const char *k, const char *v)
{
	struct each *e = arg;
	struct entry en;

	if (parse_entry(v, &en) != 0)
		en.role = USER_NONE;	/* Listed: it can be removed. */
	return (e->fn(e->arg, k + sizeof(PREFIX) - 1, en.role));
}

int
user_each(struct db *db, int (*fn)(void *, const char *, enum user_role),
    void *arg)
{
	struct each e = { fn, arg };

	return (db_meta_each(db, PREFIX, each_cb, &e));
}

long
user_count(struct db *db)
{
	struct count c = { NULL, 0, 0 };

	return (user_each(db, count_cb, &c) != 0 ? -1 : c.n);
}

/*
 * The entries to re-seal, read whole before any is written: a write
 * inside db_meta_each() would meet its own rows again.
 */
struct reseal {
	size_t		n, a;
	char		(*name)[USER_NAME_MAX + 1];
	struct entry	*en;
	bool		failed;
};

static int
collect_cb(void *arg, const char *k, const char *v)
{
	struct reseal *rs = arg;
	struct entry en, *ep;
	char (*np)[USER_NAME_MAX + 1];

	if (parse_entry(v, &en) != 0)
		return (0);	/* Damaged: it opened nothing before. */
	if (rs->n == rs->a) {
		rs->a = rs->a ? 2 * rs->a : 16;
		if ((ep = realloc(rs->en, rs->a * sizeof(*ep))) != NULL)
			rs->en = ep;
		if ((np = realloc(rs->name, rs->a * sizeof(*np))) != NULL)
			rs->name = np;
		if (ep == NULL || np == NULL) {
			rs->failed = true;
			return (1);
		}
	}
	snprintf(rs->name[rs->n], USER_NAME_MAX + 1, "%s",
	    k + sizeof(PREFIX) - 1);
	rs->en[rs->n++] = en;
	return (0);
}

enum user_res
user_rekey(struct db *db, struct user_session *s, uint8_t pk[USER_KEY_LEN],
    uint8_t sk[USER_KEY_LEN], char err[STORE_ERRLEN])
{
	struct reseal rs = { 0, 0, NULL, NULL, false };
	struct entry rec;
	enum user_res r = USER_ESTORE;
	bool have_rec;
	size_t i;

	crypto_box_keypair(pk, sk);
	if (db_meta_each(db, PREFIX, collect_cb, &rs) != 0 || rs.failed) {
		snprintf(err, STORE_ERRLEN, "reading the users failed");
		goto done;
	}
	have_rec = get_entry(db, NULL, &rec) == USER_OK;
	for (i = 0; i < rs.n; i++)
		if (crypto_box_seal(rs.en[i].sealed, sk, USER_KEY_LEN,
		    rs.en[i].pk) != 0 || put_entry(db, rs.name[i], &rs.en[i],
		    err))
			goto done;
	if (have_rec && (crypto_box_seal(rec.sealed, sk, USER_KEY_LEN,
	    rec.pk) != 0 || put_entry(db, NULL, &rec, err)))
		goto done;
	if (set_data_pk(db, pk, err))
		goto done;
	memcpy(s->data_pk, pk, USER_KEY_LEN);
	memcpy(s->data_sk, sk, USER_KEY_LEN);
	r = USER_OK;
done:
	free(rs.en);
	free(rs.name);
	return (r);
}
