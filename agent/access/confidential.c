/*
 * confidential.c: confidential fields — per-center keys and the values sealed
 * with them.  See confidential.h for the formats.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "agent/access/confidential.h"
#include "agent/access/member.h"
#include "agent/codec/hex.h"
#include "store/query.h"
#include "store/trust.h"

#define AD_CONTEXT	"hamroh/conf/1"
#define NONCE_LEN	crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG_LEN		crypto_aead_xchacha20poly1305_ietf_ABYTES
#define B64		sodium_base64_VARIANT_URLSAFE_NO_PADDING
#define HEADER_LEN	(sizeof(CONF_PREFIX) - 1 + 2 * CONF_KEYID_LEN + 1)

static const char *rv_str(const struct rview *, const char *, size_t *);
static const struct conf_key *find_id(const struct conf *,
    const uint8_t[CONF_KEYID_LEN]);
static int collect(struct conf *, struct db *, const uint8_t *, char *,
    size_t);

bool
conf_secret(const struct coll_def *c, const struct field_def *f)
{

	return (strcmp(c->name, "consultations") == 0 &&
	    trust_secret(f->name, strlen(f->name)));
}

bool
conf_sealed(const char *s, size_t len)
{

	return (len > HEADER_LEN && memcmp(s, CONF_PREFIX,
	    sizeof(CONF_PREFIX) - 1) == 0);
}

static void
path_of(const struct conf *cf, char *out, size_t len, const char *suffix)
{

	snprintf(out, len, "%s/%s%s", cf->dir, CONF_FILE, suffix);
}

/*
 * One line "KEYID VERSION KEYHEX CENTER" into ${k} (${*plain} set), or
 * "KEYID VERSION SEALEDHEX CENTER" opened with the data key of ${cf}.
 */
static int
parse_line(const struct conf *cf, const uint8_t *sk, char *line,
    struct conf_key *k, bool *plain)
{
	char *id, *ver, *key, *center, *end;
	uint8_t sealed[CONF_SEALED_LEN];
	unsigned long v;

	if ((id = strtok_r(line, " ", &end)) == NULL ||
	    (ver = strtok_r(NULL, " ", &end)) == NULL ||
	    (key = strtok_r(NULL, " ", &end)) == NULL ||
	    (center = end) == NULL || *center == '\0')
		return (-1);
	center[strcspn(center, "\n")] = '\0';
	errno = 0;
	v = strtoul(ver, &end, 10);
	if (errno || *end != '\0' || v == 0 || v > UINT32_MAX ||
	    strlen(id) != 2 * CONF_KEYID_LEN || hex_decode(id, k->id,
	    CONF_KEYID_LEN) || strlen(center) >= sizeof(k->center))
		return (-1);
	if (strlen(key) == 2 * CONF_KEY_LEN) {
		if (hex_decode(key, k->key, CONF_KEY_LEN))
			return (-1);
		*plain = true;
	} else if (strlen(key) != 2 * CONF_SEALED_LEN ||
	    hex_decode(key, sealed, CONF_SEALED_LEN))
		return (-1);
	else if (sk == NULL || crypto_box_seal_open(k->key, sealed,
	    CONF_SEALED_LEN, cf->pk, sk) != 0)
		return (-2);
	k->version = (uint32_t)v;
	snprintf(k->center, sizeof(k->center), "%s", center);
	return (0);
}

/* Overwrite file ${path} with zeros, sync it and remove it. */
static void
wipe_file(const char *path)
{
	char zero[4096];
	struct stat st;
	off_t off;
	int fd;

	if ((fd = open(path, O_WRONLY | O_NOFOLLOW)) >= 0) {
		memset(zero, 0, sizeof(zero));
		if (fstat(fd, &st) == 0)
			for (off = 0; off < st.st_size;
			    off += (off_t)sizeof(zero))
				if (write(fd, zero, sizeof(zero)) < 0)
					break;
		(void)fsync(fd);
		close(fd);
	}
	unlink(path);
}

static int write_file(struct conf *, char *, size_t);

static int
load_file(struct conf *cf, const char *dir, const uint8_t *sk, char *err,
    size_t errlen)
{
	char path[4096], plainp[4096], line[512];
	struct stat st;
	bool plain = false;
	FILE *f;
	int n = 0, r;

	cf->dir = dir;
	cf->n = 0;
	if ((cf->k = sodium_malloc(CONF_MAX_KEYS * sizeof(*cf->k))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return (-1);
	}
	/* A migration that stopped before its plaintext was wiped. */
	path_of(cf, path, sizeof(path), ".plain");
	if (cf->sealed && access(path, F_OK) == 0)
		wipe_file(path);
	path_of(cf, path, sizeof(path), "");
	if ((f = fopen(path, "r")) == NULL) {
		if (errno == ENOENT)
			return (0);
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return (-1);
	}
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077) != 0) {
		snprintf(err, errlen, "%s is readable by others (mode %03o); "
		    "run 'chmod 600 %s'", path, (unsigned)(st.st_mode & 0777),
		    path);
		goto fail;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		n++;
		if (cf->n == CONF_MAX_KEYS ||
		    (r = parse_line(cf, sk, line, &cf->k[cf->n], &plain)) ==
		    -1) {
			snprintf(err, errlen, "%s: line %d is damaged; restore "
			    "the file from your key backup", path, n);
			goto fail;
		}
		if (r == -2) {
			snprintf(err, errlen, "%s: line %d is sealed to %s data "
			    "key", path, n, sk == NULL ? "the" : "another");
			goto fail;
		}
		cf->n++;
	}
	sodium_memzero(line, sizeof(line));
	fclose(f);
	if (plain && cf->sealed) {
		/* Kept under its other name until the sealed file stands. */
		path_of(cf, plainp, sizeof(plainp), ".plain");
		unlink(plainp);
		if (link(path, plainp) != 0 || write_file(cf, err, errlen)) {
			if (err[0] == '\0')
				snprintf(err, errlen, "%s: %s", plainp,
				    strerror(errno));
			conf_free(cf);
			return (-1);
		}
		wipe_file(plainp);
	}
	return (0);
fail:
	sodium_memzero(line, sizeof(line));
	fclose(f);
	conf_free(cf);
	return (-1);
}

int
conf_load(struct conf *cf, const char *dir, char *err, size_t errlen)
{

	cf->sealed = false;
	return (load_file(cf, dir, NULL, err, errlen));
}

int
conf_load_sealed(struct conf *cf, const char *dir,
    const uint8_t pk[CONF_DATA_LEN], const uint8_t sk[CONF_DATA_LEN],
    char *err, size_t errlen)
{

	cf->sealed = true;
	memcpy(cf->pk, pk, CONF_DATA_LEN);
	err[0] = '\0';
	return (load_file(cf, dir, sk, err, errlen));
}

int
conf_reseal(struct conf *cf, const uint8_t pk[CONF_DATA_LEN], char *err,
    size_t errlen)
{
	uint8_t old[CONF_DATA_LEN];
	bool was = cf->sealed;

	memcpy(old, cf->pk, CONF_DATA_LEN);
	memcpy(cf->pk, pk, CONF_DATA_LEN);
	cf->sealed = true;
	if (write_file(cf, err, errlen) == 0)
		return (0);
	memcpy(cf->pk, old, CONF_DATA_LEN);
	cf->sealed = was;
	return (-1);
}

void
conf_free(struct conf *cf)
{

	sodium_free(cf->k);	/* Wipes. */
	cf->k = NULL;
	cf->n = 0;
}

const struct conf_key *
conf_current(const struct conf *cf, const char *center)
{
	const struct conf_key *best = NULL;
	size_t i;

	for (i = 0; i < cf->n; i++)
		if (strcmp(cf->k[i].center, center) == 0 &&
		    (best == NULL || cf->k[i].version > best->version))
			best = &cf->k[i];
	return (best);
}

static const struct conf_key *
find_id(const struct conf *cf, const uint8_t id[CONF_KEYID_LEN])
{
	size_t i;

	for (i = 0; i < cf->n; i++)
		if (memcmp(cf->k[i].id, id, CONF_KEYID_LEN) == 0)
			return (&cf->k[i]);
	return (NULL);
}

/* Write the file anew, atomically: sealed to ${cf}->pk if ${cf}->sealed. */
static int
write_file(struct conf *cf, char *err, size_t errlen)
{
	char path[4096], tmp[4096], idh[2 * CONF_KEYID_LEN + 1];
	char keyh[2 * CONF_SEALED_LEN + 1];
	uint8_t sealed[CONF_SEALED_LEN];
	size_t i;
	FILE *f;
	int fd;

	path_of(cf, path, sizeof(path), "");
	path_of(cf, tmp, sizeof(tmp), ".tmp");
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0 ||
	    (f = fdopen(fd, "w")) == NULL) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		return (-1);
	}
	for (i = 0; i < cf->n; i++) {
		hex_encode(cf->k[i].id, CONF_KEYID_LEN, idh);
		if (cf->sealed) {
			crypto_box_seal(sealed, cf->k[i].key, CONF_KEY_LEN,
			    cf->pk);
			hex_encode(sealed, CONF_SEALED_LEN, keyh);
		} else
			hex_encode(cf->k[i].key, CONF_KEY_LEN, keyh);
		fprintf(f, "%s %u %s %s\n", idh, cf->k[i].version, keyh,
		    cf->k[i].center);
	}
	sodium_memzero(keyh, sizeof(keyh));
	if (fflush(f) != 0 || fsync(fileno(f)) != 0 || fclose(f) != 0 ||
	    rename(tmp, path) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return (-1);
	}
	return (0);
}

int
conf_write(struct conf *cf, char *err, size_t errlen)
{

	return (write_file(cf, err, errlen));
}

int
conf_split(struct conf *cf, struct conf *out)
{

	*out = *cf;
	if ((out->k = sodium_malloc(CONF_MAX_KEYS * sizeof(*out->k))) ==
	    NULL)
		return (-1);
	memcpy(out->k, cf->k, cf->n * sizeof(*cf->k));
	sodium_memzero(cf->k, cf->n * sizeof(*cf->k));
	cf->n = 0;
	return (0);
}

int
conf_merge(struct conf *cf, const struct conf *from, char *err,
    size_t errlen)
{
	size_t i;

	for (i = 0; i < from->n; i++)
		if (find_id(cf, from->k[i].id) == NULL &&
		    cf->n < CONF_MAX_KEYS)
			cf->k[cf->n++] = from->k[i];
	return (write_file(cf, err, errlen));
}

int
conf_add(struct conf *cf, const struct conf_key *k, char *err, size_t errlen)
{

	if (find_id(cf, k->id) != NULL)
		return (0);
	if (cf->n == CONF_MAX_KEYS) {
		snprintf(err, errlen, "too many center keys (%d)",
		    CONF_MAX_KEYS);
		return (-1);
	}
	cf->k[cf->n++] = *k;
	if (write_file(cf, err, errlen)) {
		cf->n--;
		return (-1);
	}
	return (1);
}

/* "hamroh/conf/1" || id || field: binds a value to its place. */
static size_t
make_ad(uint8_t *ad, size_t cap, const uint8_t id[SCHEMA_ID_LEN],
    const char *field)
{
	size_t cl = sizeof(AD_CONTEXT) - 1, fl = strlen(field);

	if (cl + SCHEMA_ID_LEN + fl > cap)
		fl = cap - cl - SCHEMA_ID_LEN;
	memcpy(ad, AD_CONTEXT, cl);
	memcpy(ad + cl, id, SCHEMA_ID_LEN);
	memcpy(ad + cl + SCHEMA_ID_LEN, field, fl);
	return (cl + SCHEMA_ID_LEN + fl);
}

int
conf_seal(const struct conf_key *k, const uint8_t id[SCHEMA_ID_LEN],
    const char *field, const char *in, size_t inlen, char **out)
{
	uint8_t ad[128], *bin;
	unsigned long long ctlen;
	size_t blen = NONCE_LEN + inlen + TAG_LEN, adlen, b64len, off;
	char *s;

	adlen = make_ad(ad, sizeof(ad), id, field);
	b64len = sodium_base64_ENCODED_LEN(blen, B64);
	if ((bin = malloc(blen)) == NULL ||
	    (s = malloc(HEADER_LEN + b64len)) == NULL) {
		free(bin);
		return (-1);
	}
	randombytes_buf(bin, NONCE_LEN);
	crypto_aead_xchacha20poly1305_ietf_encrypt(bin + NONCE_LEN, &ctlen,
	    (const uint8_t *)in, inlen, ad, adlen, NULL, bin, k->key);
	off = (size_t)snprintf(s, HEADER_LEN + 1, "%s", CONF_PREFIX);
	hex_encode(k->id, CONF_KEYID_LEN, s + off);
	s[HEADER_LEN - 1] = ':';
	sodium_bin2base64(s + HEADER_LEN, b64len, bin, blen, B64);
	free(bin);
	*out = s;
	return (0);
}

int
conf_open(const struct conf *cf, const uint8_t id[SCHEMA_ID_LEN],
    const char *field, const char *in, size_t inlen, char **out,
    size_t *outlen)
{
	const size_t pl = sizeof(CONF_PREFIX) - 1;
	const struct conf_key *k;
	char idh[2 * CONF_KEYID_LEN + 1];
	uint8_t kid[CONF_KEYID_LEN], ad[128], *bin = NULL, *pt = NULL;
	unsigned long long ptlen;
	size_t blen, adlen;
	int r = -1;

	if (!conf_sealed(in, inlen) || in[HEADER_LEN - 1] != ':')
		return (-1);
	memcpy(idh, in + pl, 2 * CONF_KEYID_LEN);
	idh[2 * CONF_KEYID_LEN] = '\0';
	if (hex_decode(idh, kid, CONF_KEYID_LEN))
		return (-1);
	if ((k = find_id(cf, kid)) == NULL)
		return (1);
	blen = inlen - HEADER_LEN;	/* Base64 is longer than its bytes. */
	if ((bin = malloc(blen + 1)) == NULL)
		return (-1);
	if (sodium_base642bin(bin, blen, in + HEADER_LEN, inlen - HEADER_LEN,
	    NULL, &blen, NULL, B64) != 0 || blen < NONCE_LEN + TAG_LEN)
		goto done;
	if ((pt = malloc(blen - NONCE_LEN - TAG_LEN + 1)) == NULL)
		goto done;
	adlen = make_ad(ad, sizeof(ad), id, field);
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(pt, &ptlen, NULL,
	    bin + NONCE_LEN, blen - NONCE_LEN, ad, adlen, bin, k->key) != 0)
		goto done;
	pt[ptlen] = '\0';
	*out = (char *)pt;
	*outlen = (size_t)ptlen;
	pt = NULL;
	r = 0;
done:
	free(bin);
	free(pt);
	return (r);
}

int
conf_wrap(const struct conf_key *k, const uint8_t node_pk[NODE_KEY_LEN],
    uint8_t sealed[CONF_SEALED_LEN])
{
	uint8_t x[crypto_box_PUBLICKEYBYTES];

	if (crypto_sign_ed25519_pk_to_curve25519(x, node_pk) != 0)
		return (-1);
	return (crypto_box_seal(sealed, k->key, CONF_KEY_LEN, x));
}

int
conf_unwrap(const uint8_t sealed[CONF_SEALED_LEN],
    const uint8_t node_pk[NODE_KEY_LEN], const uint8_t node_sk[NODE_SK_LEN],
    uint8_t key[CONF_KEY_LEN])
{
	uint8_t xpk[crypto_box_PUBLICKEYBYTES], xsk[crypto_box_SECRETKEYBYTES];
	int r;

	if (crypto_sign_ed25519_pk_to_curve25519(xpk, node_pk) != 0 ||
	    crypto_sign_ed25519_sk_to_curve25519(xsk, node_sk) != 0)
		return (-1);
	r = crypto_box_seal_open(key, sealed, CONF_SEALED_LEN, xpk, xsk);
	sodium_memzero(xsk, sizeof(xsk));
	return (r);
}

int
conf_wrap_data(const struct conf_key *k, const uint8_t pk[CONF_DATA_LEN],
    uint8_t sealed[CONF_SEALED_LEN])
{

	return (crypto_box_seal(sealed, k->key, CONF_KEY_LEN, pk));
}

int
conf_unwrap_data(const uint8_t sealed[CONF_SEALED_LEN],
    const uint8_t pk[CONF_DATA_LEN], const uint8_t sk[CONF_DATA_LEN],
    uint8_t key[CONF_KEY_LEN])
{

	return (crypto_box_seal_open(key, sealed, CONF_SEALED_LEN, pk, sk));
}

/* ---- The ring of a node: its key file and the keys records sent to it. */

int
conf_ring(struct conf *cf, struct db *db, const char *dir,
    const uint8_t pk[CONF_DATA_LEN], const uint8_t sk[CONF_DATA_LEN],
    char *err, size_t errlen)
{

	if (conf_load_sealed(cf, dir, pk, sk, err, errlen))
		return (-1);
	if (collect(cf, db, sk, err, errlen)) {
		conf_free(cf);
		return (-1);
	}
	return (0);
}

void
conf_reveal(const struct conf *cf, const uint8_t id[SCHEMA_ID_LEN],
    const char *field, size_t field_len, const struct val *in,
    struct val *out, char **tofree)
{
	char name[SCHEMA_NAME_MAX + 1];
	size_t len;

	*out = *in;
	*tofree = NULL;
	if (in->t != VAL_STR || !conf_sealed(in->s, in->len) ||
	    field_len > SCHEMA_NAME_MAX)
		return;
	memcpy(name, field, field_len);
	name[field_len] = '\0';
	if (conf_open(cf, id, name, in->s, in->len, tofree, &len) == 0) {
		out->s = *tofree;
		out->len = len;
	} else {
		out->s = CONF_HIDDEN;
		out->len = sizeof(CONF_HIDDEN) - 1;
	}
}

/* Whether ${s} has exactly the syntax conf_seal() writes. */
bool
conf_well_sealed(const char *s, size_t len)
{

	return (trust_sealed(s, len));
}

size_t
conf_sealed_max(size_t max)
{

	return (HEADER_LEN + sodium_base64_ENCODED_LEN(NONCE_LEN + max +
	    TAG_LEN, B64));
}

/* Filter keys records by keyid and center: 1 for a match. */
struct keyref {
	const char	*center;
	bool		found;
};

static int
keyref_cb(void *arg, const struct rview *r)
{
	struct keyref *kr = arg;
	const char *s;
	size_t len;

	if ((s = rv_str(r, "center", &len)) != NULL &&
	    len == strlen(kr->center) && memcmp(s, kr->center, len) == 0) {
		kr->found = true;
		return (1);
	}
	return (0);
}

/*
 * Whether a keys record that stands names key ${kid} as one of
 * ${center}'s: what every node's judge asks of a sealed value (the keyid
 * and center of a keys record are in clear, so a node knows them even
 * for keys it cannot open).
 */
static bool
key_recorded(struct db *db, const uint8_t kid[CONF_KEYID_LEN],
    const char *center)
{
	const struct coll_def *c = schema_coll("keys");
	struct rview_field filt;
	struct keyref kr = { center, false };
	char idh[2 * CONF_KEYID_LEN + 1], err[STORE_ERRLEN];

	hex_encode(kid, CONF_KEYID_LEN, idh);
	filt.name = "keyid";
	filt.v.t = VAL_STR;
	filt.v.s = idh;
	filt.v.len = 2 * CONF_KEYID_LEN;
	filt.v.i = 0;
	if (c == NULL || query_records(db, c, NULL, &filt, 1, false,
	    keyref_cb, &kr, err) < 0)
		return (false);
	return (kr.found);
}

/*
 * A value written as already sealed ("enc1:..."), e.g. from an export
 * --sealed, is kept as it is only if it is a sealed value of this place
 * for the record's center: it has the exact syntax, and either a key this
 * node holds opens it (that key of ${center}), or this node holds no key
 * of that id and the id is one of ${center}'s (bound to it, or named by a
 * keys record: a node without the key cannot tell more, and every judge
 * asks just that).  Anything else is text like any other, and sealed.
 */
static bool
keep_sealed(const struct conf *cf, struct db *db,
    const uint8_t id[SCHEMA_ID_LEN],
    const char *field, const char *center, const struct val *v)
{
	const size_t pl = sizeof(CONF_PREFIX) - 1;
	const struct conf_key *k;
	char idh[2 * CONF_KEYID_LEN + 1], *pt;
	uint8_t kid[CONF_KEYID_LEN];
	size_t ptlen;
	int r;

	if (center == NULL || *center == '\0' ||
	    !conf_well_sealed(v->s, v->len))
		return (false);
	memcpy(idh, v->s + pl, 2 * CONF_KEYID_LEN);
	idh[2 * CONF_KEYID_LEN] = '\0';
	if (hex_decode(idh, kid, CONF_KEYID_LEN))
		return (false);
	if ((k = find_id(cf, kid)) == NULL)
		return (trust_keyid_bound(kid, center, strlen(center)) ||
		    key_recorded(db, kid, center));
	if (strcmp(k->center, center) != 0)
		return (false);
	if ((r = conf_open(cf, id, field, v->s, v->len, &pt,
	    &ptlen)) == 0) {
		sodium_memzero(pt, ptlen);
		free(pt);
	}
	return (r == 0);
}

enum conf_seal_why
conf_seal_field(struct conf *cf, struct db *db, uint64_t now,
    const struct coll_def *c, const uint8_t id[SCHEMA_ID_LEN],
    const struct field_def *f, const char *center, struct val *v,
    char **tofree, char *err, size_t errlen)
{
	const struct conf_key *k;
	char path[4096];
	bool in_net;

	*tofree = NULL;
	if (v->t != VAL_STR || !conf_secret(c, f))
		return (CONF_SEAL_OK);
	/*
	 * What a node without the key shows in place of the value: an
	 * export read back there would write it over the real one.
	 */
	if (v->len == sizeof(CONF_HIDDEN) - 1 && memcmp(v->s, CONF_HIDDEN,
	    v->len) == 0)
		return (CONF_SEAL_HIDDEN);
	/*
	 * Sealed in a network or not: a node's disk never holds one of
	 * these in clear (a stolen laptop of an office still alone).
	 */
	snprintf(path, sizeof(path), "%s/network.key", cf->dir);
	in_net = access(path, F_OK) == 0;
	/* Sealed already (an export --sealed re-imported), or looks so. */
	if (conf_sealed(v->s, v->len) && keep_sealed(cf, db, id, f->name,
	    center, v))
		return (CONF_SEAL_OK);
	if (center == NULL || *center == '\0')
		return (CONF_SEAL_NO_CENTER);
	if ((k = conf_current(cf, center)) == NULL) {
		char role[16];
		size_t sent;

		/*
		 * An admin makes a center's key when it first needs one, and
		 * sends it to the center's nodes in the same commit.  A node
		 * in no network makes its own local key (join seals what it
		 * sealed again, under the network's).
		 */
		if (!in_net || (db_meta_get(db, "role", role,
		    sizeof(role)) == 0 && strcmp(role, "admin") == 0)) {
			if (conf_make_key(cf, center, err, errlen))
				return (CONF_SEAL_FAILED);
			k = conf_current(cf, center);
			if (in_net && k != NULL && conf_deliver_db(db, k, NULL,
			    now, &sent, err))
				return (CONF_SEAL_FAILED);
		}
	}
	if (k == NULL)
		return (CONF_SEAL_NO_KEY);
	if (conf_seal(k, id, f->name, v->s, v->len, tofree)) {
		snprintf(err, errlen, "out of memory");
		return (CONF_SEAL_NOMEM);
	}
	v->s = *tofree;
	v->len = strlen(*tofree);
	return (CONF_SEAL_OK);
}

static int
center_cb(void *arg, const struct rview *r)
{
	char *center = arg;
	size_t i;

	for (i = 0; i < r->nf; i++)
		if (strcmp(r->f[i].name, "center") == 0 &&
		    r->f[i].v.t == VAL_STR &&
		    r->f[i].v.len <= CONF_CENTER_MAX) {
			memcpy(center, r->f[i].v.s, r->f[i].v.len);
			center[r->f[i].v.len] = '\0';
		}
	return (0);
}

int
conf_record_center(struct db *db, const struct coll_def *c,
    const uint8_t id[SCHEMA_ID_LEN], char center[CONF_CENTER_MAX + 1],
    char err[STORE_ERRLEN])
{

	center[0] = '\0';
	return (query_records(db, c, id, NULL, 0, false, center_cb, center,
	    err) < 0 ? -1 : 0);
}

int
conf_make_key(struct conf *cf, const char *center, char *err, size_t errlen)
{
	struct conf_key k;
	const struct conf_key *cur = conf_current(cf, center);
	int r;

	memset(&k, 0, sizeof(k));
	/*
	 * The id's first bytes are bound to the center (store/trust.h), so
	 * every judge knows it for one of the center's keys without having
	 * seen a keys record of it; the rest is random, and unique here.
	 */
	do {
		trust_keyid_prefix(center, strlen(center), k.id);
		randombytes_buf(k.id + TRUST_KEYID_BOUND,
		    sizeof(k.id) - TRUST_KEYID_BOUND);
	} while (find_id(cf, k.id) != NULL);
	crypto_aead_xchacha20poly1305_ietf_keygen(k.key);
	k.version = cur != NULL ? cur->version + 1 : 1;
	snprintf(k.center, sizeof(k.center), "%s", center);
	r = conf_add(cf, &k, err, errlen);
	sodium_memzero(&k, sizeof(k));
	return (r < 0 ? -1 : 0);
}

/* Record id of key ${k} sealed to ${recipient}. */
static void
keyrec_id(const struct conf_key *k, const uint8_t recipient[NODE_KEY_LEN],
    uint8_t id[SCHEMA_ID_LEN])
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, SCHEMA_ID_LEN);
	crypto_generichash_update(&st, k->id, CONF_KEYID_LEN);
	crypto_generichash_update(&st, recipient, NODE_KEY_LEN);
	crypto_generichash_final(&st, id, SCHEMA_ID_LEN);
}

static int
put_str(struct db *db, const struct coll_def *c, const uint8_t *id,
    const char *field, const char *s, char err[STORE_ERRLEN])
{
	struct val v = { VAL_STR, 0, s, strlen(s) };

	return (db_put(db, c, id, schema_field(c, field, strlen(field)), &v,
	    err));
}

/* A members record's node key and data key, as published. */
struct datakey {
	const char	*want;		/* The recipient's key, hex. */
	uint8_t		pk[CONF_DATA_LEN];
	bool		found;
};

static int
datakey_cb(void *arg, const struct rview *r)
{
	struct datakey *dk = arg;
	char h[2 * CONF_DATA_LEN + 1];
	const char *s;
	size_t len;

	if ((s = rv_str(r, "key", &len)) == NULL || len != 64 ||
	    memcmp(s, dk->want, 64) != 0 ||
	    (s = rv_str(r, "data_key", &len)) == NULL || len != 64)
		return (0);
	memcpy(h, s, 64);
	h[64] = '\0';
	dk->found = hex_decode(h, dk->pk, CONF_DATA_LEN) == 0;
	return (0);
}

/*
 * The data key member ${recipient} published in its members record: 1
 * (in ${pk}), or 0 if it published none (a node of an older version, or
 * one without users yet).
 */
static int
recipient_datakey(struct db *db, const uint8_t recipient[NODE_KEY_LEN],
    uint8_t pk[CONF_DATA_LEN])
{
	const struct coll_def *m = schema_coll("members");
	char rh[65], err[STORE_ERRLEN];
	struct datakey dk;

	hex_encode(recipient, NODE_KEY_LEN, rh);
	dk.want = rh;
	dk.found = false;
	if (m == NULL || query_records(db, m, recipient, NULL, 0, false,
	    datakey_cb, &dk, err) < 0 || !dk.found)
		return (0);
	memcpy(pk, dk.pk, CONF_DATA_LEN);
	return (1);
}

/*
 * Sealed to the recipient's data key where it published one, so that its
 * node.key alone opens nothing; else (an older node) to its node key.
 */
int
conf_put_record(struct db *db, const struct conf_key *k,
    const uint8_t recipient[NODE_KEY_LEN], char err[STORE_ERRLEN])
{

	return (conf_put_record_to(db, k, recipient, NULL, err));
}

int
conf_put_record_to(struct db *db, const struct conf_key *k,
    const uint8_t recipient[NODE_KEY_LEN], const uint8_t *data_pk,
    char err[STORE_ERRLEN])
{
	const struct coll_def *c = schema_coll("keys");
	uint8_t id[SCHEMA_ID_LEN], sealed[CONF_SEALED_LEN], dpk[CONF_DATA_LEN];
	char idh[2 * CONF_KEYID_LEN + 1], rh[65];
	char b64[sodium_base64_ENCODED_LEN(CONF_SEALED_LEN, B64)];
	struct val v = { VAL_INT, 0, NULL, 0 };

	if (data_pk != NULL)
		memcpy(dpk, data_pk, CONF_DATA_LEN);
	if (data_pk != NULL || recipient_datakey(db, recipient, dpk) == 1) {
		if (crypto_box_seal(sealed, k->key, CONF_KEY_LEN, dpk) != 0) {
			snprintf(err, STORE_ERRLEN, "cannot seal a key to "
			    "that node's data key");
			return (-1);
		}
	} else if (conf_wrap(k, recipient, sealed)) {
		snprintf(err, STORE_ERRLEN, "cannot seal a key to %.16s...",
		    "that node");
		return (-1);
	}
	keyrec_id(k, recipient, id);
	hex_encode(k->id, CONF_KEYID_LEN, idh);
	hex_encode(recipient, 32, rh);
	sodium_bin2base64(b64, sizeof(b64), sealed, sizeof(sealed), B64);
	v.i = k->version;
	return (put_str(db, c, id, "center", k->center, err) ||
	    db_put(db, c, id, schema_field(c, "version", 7), &v, err) ||
	    put_str(db, c, id, "keyid", idh, err) ||
	    put_str(db, c, id, "recipient", rh, err) ||
	    put_str(db, c, id, "sealed", b64, err) ? -1 : 0);
}

/* Every key a certificate names: who might hold a center's keys. */
struct holders {
	size_t		n, a;
	uint8_t		(*key)[NODE_KEY_LEN];
};

static int
holders_cb(void *arg, const uint8_t *key)
{
	struct holders *h = arg;
	uint8_t (*p)[NODE_KEY_LEN];

	if (h->n == h->a) {
		h->a = h->a ? 2 * h->a : 16;
		if ((p = realloc(h->key, h->a * sizeof(*p))) == NULL)
			return (-1);
		h->key = p;
	}
	memcpy(h->key[h->n++], key, NODE_KEY_LEN);
	return (0);
}

/*
 * A center's key goes to the nodes the judge would let write now
 * (member_now(), the one oracle): the center's members and the admins.
 * A node certified by a revoked admin after what its revocation accepts,
 * an expired or a revoked node gets nothing.
 */
int
conf_deliver_db(struct db *db, const struct conf_key *k, const uint8_t *skip,
    uint64_t now, size_t *sent, char err[STORE_ERRLEN])
{
	struct holders h = { 0, 0, NULL };
	struct member_standing ms;
	char why[256];
	size_t i;
	int r = 0;

	*sent = 0;
	if (member_each(db, holders_cb, &h) != 0) {
		snprintf(err, STORE_ERRLEN, "reading the members failed");
		r = -1;
	}
	for (i = 0; r == 0 && i < h.n; i++) {
		if (memcmp(h.key[i], db_node_key(db), NODE_KEY_LEN) == 0 ||
		    (skip != NULL && memcmp(h.key[i], skip, NODE_KEY_LEN) ==
		    0) ||
		    member_now(db, h.key[i], now, &ms, why,
		    sizeof(why)) != MEMBER_OK ||
		    (!ms.admin && strcmp(ms.center, k->center) != 0))
			continue;
		if (conf_put_record(db, k, h.key[i], err))
			r = -1;
		else
			(*sent)++;
	}
	free(h.key);
	return (r);
}

/* Keys records addressed to this node that the ring lacks: open them. */
struct unwrap {
	struct conf	*cf;
	uint8_t		pk[NODE_KEY_LEN], sk[NODE_SK_LEN];
	const uint8_t	*dsk;		/* The data key's secret, or NULL. */
	char		err[512];	/* A key the ring cannot keep. */
	bool		failed;
};

static const char *
rv_str(const struct rview *r, const char *name, size_t *len)
{
	size_t i;

	for (i = 0; i < r->nf; i++)
		if (strcmp(r->f[i].name, name) == 0 && r->f[i].v.t == VAL_STR) {
			*len = r->f[i].v.len;
			return (r->f[i].v.s);
		}
	return (NULL);
}

static int
unwrap_cb(void *arg, const struct rview *r)
{
	struct unwrap *u = arg;
	struct conf_key k;
	const char *s;
	char idh[2 * CONF_KEYID_LEN + 1];
	uint8_t sealed[CONF_SEALED_LEN];
	size_t len, bl;
	size_t i;

	memset(&k, 0, sizeof(k));
	if ((s = rv_str(r, "keyid", &len)) == NULL ||
	    len != 2 * CONF_KEYID_LEN)
		return (0);
	memcpy(idh, s, len);
	idh[len] = '\0';
	if (hex_decode(idh, k.id, CONF_KEYID_LEN) || find_id(u->cf, k.id))
		return (0);
	if ((s = rv_str(r, "sealed", &len)) == NULL ||
	    sodium_base642bin(sealed, sizeof(sealed), s, len, NULL, &bl, NULL,
	    B64) != 0 || bl != sizeof(sealed))
		return (0);
	if ((s = rv_str(r, "center", &len)) == NULL || len > CONF_CENTER_MAX)
		return (0);
	memcpy(k.center, s, len);
	for (i = 0; i < r->nf; i++)
		if (strcmp(r->f[i].name, "version") == 0 &&
		    r->f[i].v.t == VAL_INT && r->f[i].v.i > 0)
			k.version = (uint32_t)r->f[i].v.i;
	if (k.version == 0)
		return (0);
	/* Sealed to the data key, or (older senders) to the node key. */
	if (((u->dsk != NULL && crypto_box_seal_open(k.key, sealed,
	    CONF_SEALED_LEN, u->cf->pk, u->dsk) == 0) ||
	    conf_unwrap(sealed, u->pk, u->sk, k.key) == 0) &&
	    conf_add(u->cf, &k, u->err, sizeof(u->err)) < 0)
		u->failed = true;
	sodium_memzero(&k, sizeof(k));
	return (u->failed ? 1 : 0);
}

/*
 * The node's key pair from its key file, for a handle that holds no
 * signer: 1, 0 if there is no key file, -1 with ${err} if it cannot be
 * used (the CLI's words: agent/cli/cli.c, cli_read_keyfile()).
 */
static int
read_node_key(const char *dir, uint8_t sk[64], char *err, size_t errlen)
{
	char path[4096];
	struct stat sb;
	uint8_t extra;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, CONF_NODE_KEY);
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW)) == -1) {
		if (errno == ENOENT)
			return (0);
		snprintf(err, errlen, "open keys: key file %s: %s", path,
		    strerror(errno));
		return (-1);
	}
	if (fstat(fd, &sb) == -1 || (sb.st_mode & 077)) {
		snprintf(err, errlen, "open keys: key file %s has mode %04o; "
		    "run 'chmod 600 %s'", CONF_NODE_KEY,
		    (unsigned)(sb.st_mode & 07777), path);
		close(fd);
		return (-1);
	}
	n = read(fd, sk, 64);
	if (n == 64 && read(fd, &extra, 1) != 0)
		n = -1;
	close(fd);
	if (n != 64) {
		snprintf(err, errlen, "open keys: key file %s is damaged "
		    "(expected 64 bytes); restore it from your key backup",
		    path);
		return (-1);
	}
	return (1);
}

int
conf_collect(struct conf *cf, struct db *db, char *err, size_t errlen)
{

	return (collect(cf, db, NULL, err, errlen));
}

static int
collect(struct conf *cf, struct db *db, const uint8_t *dsk, char *err,
    size_t errlen)
{
	const struct coll_def *c = schema_coll("keys");
	struct rview_field filt;
	struct unwrap *u;
	char rh[65], qerr[STORE_ERRLEN];
	int r;

	if (db == NULL || c == NULL)
		return (0);
	if ((u = sodium_malloc(sizeof(*u))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return (-1);
	}
	memset(u, 0, sizeof(*u));
	u->cf = cf;
	u->dsk = cf->sealed ? dsk : NULL;
	/* The node key pair (the public half is its last 32 bytes). */
	if (db_copy_signer(db, u->sk) != 0 && (r = read_node_key(cf->dir,
	    u->sk, err, errlen)) != 1) {
		sodium_free(u);
		return (r);	/* No key: nothing can be opened. */
	}
	memcpy(u->pk, u->sk + NODE_SK_LEN - NODE_KEY_LEN, NODE_KEY_LEN);
	hex_encode(u->pk, NODE_KEY_LEN, rh);
	filt.name = "recipient";
	filt.v.t = VAL_STR;
	filt.v.s = rh;
	filt.v.len = 64;
	filt.v.i = 0;
	(void)query_records(db, c, NULL, &filt, 1, false, unwrap_cb, u, qerr);
	r = 0;
	if (u->failed) {
		snprintf(err, errlen, "%s", u->err);
		r = -1;
	}
	sodium_free(u);
	return (r);
}
