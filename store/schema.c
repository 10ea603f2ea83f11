/*
 * schema.c: the one table of collections, fields, enums and limits.
 */
#include "store/schema.h"

#include <stdio.h>
#include <string.h>

static const char *const channels[] = { "walk_in", "hotline", "outreach",
    "online", NULL };
static const char *const sexes[] = { "M", "F", "X", NULL };
static const char *const stages[] = { "prospective", "abroad", "returned",
    "family", NULL };
static const char *const topics[] = { "work_permit", "patent",
    "registration", "entry_ban", "documents_lost", "wage_arrears",
    "labor_contract", "trafficking_risk", "remittances", "health_care",
    "family", "return_reintegration", "citizenship", "detention",
    "pre_departure", "consular", "social_protection", "other", NULL };
static const char *const assistances[] = { "information", "counsel",
    "document_drafting", "representation", "mediation", "accompaniment",
    NULL };
static const char *const statuses[] = { "open", "referred", "closed", NULL };
static const char *const yesno[] = { "yes", "no", NULL };
static const char *const kinds[] = { "consulate", "ngo", "hotline",
    "migration_service", "other", NULL };

#define TEXT(n, max, l)	{ n, FK_TEXT, max, 0, 0, NULL, l }
#define ENUM(n, e, l)	{ n, FK_ENUM, 0, 0, 0, e, l }
#define DATE(n, l)	{ n, FK_DATE, 10, 0, 0, NULL, l }
#define END		{ NULL, FK_TEXT, 0, 0, 0, NULL, false }

static const struct field_def consultations[] = {
	TEXT("center", 200, true),
	DATE("opened_at", true),
	ENUM("channel", channels, false),
	TEXT("client_name", 200, false),
	TEXT("client_phone", 50, false),
	ENUM("client_sex", sexes, true),
	{ "client_age", FK_INT, 0, 0, 120, NULL, false },
	ENUM("migration_stage", stages, false),
	{ "destination", FK_COUNTRY, 2, 0, 0, NULL, true },
	ENUM("topic", topics, true),
	TEXT("language", 35, false),
	TEXT("summary", 16384, false),
	ENUM("assistance", assistances, false),
	ENUM("status", statuses, true),
	{ "referred_to", FK_RECID, 32, 0, 0, NULL, false },
	TEXT("outcome", 4096, false),
	DATE("closed_on", false),
	TEXT("lawyer", 200, false),
	/*
	 * Case numbers, persons, consent (agent/ops/cases.h; PROTOCOL.md,
	 * "Case numbers"): the number add gives a consultation; the case
	 * number of the person's first consultation (a returning client);
	 * what the client agreed to (yes/no each) and when.
	 */
	{ "case_number", FK_TEXT, 24, 0, 0, NULL, true },
	{ "person", FK_TEXT, 24, 0, 0, NULL, false },
	ENUM("consent_kept", yesno, false),
	ENUM("consent_referral", yesno, false),
	ENUM("consent_stats", yesno, false),
	DATE("consent_on", false),
	END
};

static const struct field_def guides[] = {
	TEXT("title", 500, true),
	TEXT("language", 35, true),
	TEXT("version_label", 100, true),
	TEXT("body", 1024 * 1024, false),
	END
};

static const struct field_def directory[] = {
	TEXT("name", 300, true),
	ENUM("kind", kinds, true),
	{ "country", FK_COUNTRY, 2, 0, 0, NULL, true },
	TEXT("city", 100, true),
	TEXT("phone", 100, true),
	TEXT("hours", 200, false),
	TEXT("languages", 200, false),
	TEXT("notes", 4096, false),
	DATE("verified_on", true),
	END
};

static const char *const roles[] = { "admin", "center", "office", NULL };

/*
 * Who is who: each node describes itself (name, center, key) at init; an
 * admin's invite adds the certificate (role, expires, cert_by, cert).
 */
static const struct field_def members[] = {
	TEXT("name", 100, true),
	TEXT("center", 200, true),
	{ "key", FK_TEXT, 64, 0, 0, NULL, true },
	ENUM("role", roles, true),
	DATE("expires", true),
	{ "cert_by", FK_TEXT, 64, 0, 0, NULL, false },
	{ "cert", FK_TEXT, 128, 0, 0, NULL, false },
	{ "addresses", FK_TEXT, 1000, 0, 0, NULL, false },
	/*
	 * A revocation: when, why, by which admin, its signature, and the
	 * last seq of the node the admin accepts (store/trust.h).
	 */
	{ "revoked", FK_TEXT, 20, 0, 0, NULL, false },
	TEXT("revoked_reason", 200, false),
	{ "revoked_by", FK_TEXT, 64, 0, 0, NULL, false },
	{ "revoked_sig", FK_TEXT, 128, 0, 0, NULL, false },
	{ "revoked_seq", FK_INT, 0, 0, INT64_MAX, NULL, false },
	/*
	 * Clocks this node's sessions measured more than 5 minutes off:
	 * space-separated KEY=OFFSET@AT (64 hex, signed ms, ms of its
	 * clock), so every node sees them (store/clock.c).
	 */
	{ "clocks", FK_TEXT, 1400, 0, 0, NULL, false },
	/*
	 * A successor statement, in the new key's record: the old key it
	 * continues, that key's last seq, its signature, and the old key's
	 * certificate (store/trust.h, Successors).
	 */
	{ "successor_of", FK_TEXT, 64, 0, 0, NULL, false },
	{ "successor_seq", FK_INT, 0, 0, INT64_MAX, NULL, false },
	{ "successor_sig", FK_TEXT, 128, 0, 0, NULL, false },
	{ "successor_cert", FK_TEXT, 128, 0, 0, NULL, false },
	/*
	 * The node's data key, public half (64 hex): center keys sent to it
	 * are sealed to it, not to its node key (agent/access/users.h).
	 */
	{ "data_key", FK_TEXT, 64, 0, 0, NULL, false },
	/* The node code of its case numbers (agent/ops/cases.h). */
	{ "case_code", FK_TEXT, 2, 0, 0, NULL, false },
	END
};

/*
 * The managed list of centers (agent/ops/centers.h), the admins' like the
 * directory: id = BLAKE2b-128("hamroh/center/1" || code), so a center is
 * one record whoever adds it.
 */
static const struct field_def centers[] = {
	TEXT("code", 40, true),
	TEXT("name", 200, true),
	{ "prefix", FK_TEXT, 3, 0, 0, NULL, true },
	TEXT("region", 100, true),
	TEXT("name_tg", 200, false),
	TEXT("name_ru", 200, false),
	END
};

/*
 * Center keys for confidential fields (agent/access/confidential.h), each sealed to one
 * recipient node: id = BLAKE2b-128(keyid || recipient key).
 */
static const struct field_def keys[] = {
	TEXT("center", 200, true),
	{ "version", FK_INT, 0, 1, INT32_MAX, NULL, true },
	{ "keyid", FK_TEXT, 16, 0, 0, NULL, true },
	{ "recipient", FK_TEXT, 64, 0, 0, NULL, true },
	{ "sealed", FK_TEXT, 120, 0, 0, NULL, false },
	END
};

/*
 * The record rules (schema.h, RULE_*): what a local write must satisfy
 * beyond each value's shape.  Checked by the operations on add, set and
 * import (and so by the UI), never on commits from other nodes.
 */
static const char *const languages[] = { "tg", "ru", "uz", "en", "other",
    NULL };
/* Members: what init, invites, revocations and successors write. */
static const char *const members_internal[] = { "center", "key", "role",
    "expires", "cert_by", "cert", "revoked", "revoked_reason",
    "revoked_by", "revoked_sig", "revoked_seq", "clocks", "successor_of",
    "successor_seq", "successor_sig", "successor_cert", "data_key",
    "case_code", NULL };

#define REQ(c, f)	{ c, RULE_REQUIRED, f, NULL, NULL, NULL }
const struct rule_def schema_rule_defs[] = {
	REQ("consultations", "center"),
	REQ("consultations", "opened_at"),
	REQ("consultations", "channel"),
	REQ("consultations", "topic"),
	REQ("consultations", "client_sex"),
	REQ("consultations", "status"),
	{ "consultations", RULE_NEEDED_WHEN, "closed_on", "status", "closed",
	    NULL },
	{ "consultations", RULE_NEEDED_WHEN, "outcome", "status", "closed",
	    NULL },
	{ "consultations", RULE_NOT_BEFORE, "closed_on", "opened_at", NULL,
	    NULL },
	{ "consultations", RULE_NOT_FUTURE, "opened_at", NULL, NULL, NULL },
	{ "consultations", RULE_NOT_FUTURE, "closed_on", NULL, NULL, NULL },
	{ "consultations", RULE_COUNTRY, "destination", NULL, NULL, NULL },
	{ "consultations", RULE_ONE_OF, "language", NULL, NULL, languages },
	/* By id, or by a search of the directory's names. */
	{ "consultations", RULE_REFERS, "referred_to", "directory", "name",
	    NULL },
	{ "directory", RULE_COUNTRY, "country", NULL, NULL, NULL },
	{ "directory", RULE_NOT_FUTURE, "verified_on", NULL, NULL, NULL },
	{ "keys", RULE_INTERNAL, NULL, NULL, NULL, NULL },
	{ "members", RULE_INTERNAL, NULL, NULL, NULL, members_internal },
	{ NULL, RULE_REQUIRED, NULL, NULL, NULL, NULL }
};
#undef REQ

/*
 * The officially assigned ISO 3166-1 alpha-2 codes, all 249 of them, as
 * the ISO 3166 Maintenance Agency lists them (ISO 3166-1:2020 and its
 * newsletters to 2024; the "Online Browsing Platform", www.iso.org/obp,
 * "Officially assigned" codes).  Reserved and user-assigned codes (XK,
 * XX, ZZ, EU, UK...) are refused: a destination not known is left empty.
 */
static const char countries[] =
    "ADAEAFAGAIALAMAOAQARASATAUAWAXAZ"
    "BABBBDBEBFBGBHBIBJBLBMBNBOBQBRBSBTBVBWBYBZ"
    "CACCCDCFCGCHCICKCLCMCNCOCRCUCVCWCXCYCZ"
    "DEDJDKDMDODZ"
    "ECEEEGEHERESET"
    "FIFJFKFMFOFR"
    "GAGBGDGEGFGGGHGIGLGMGNGPGQGRGSGTGUGWGY"
    "HKHMHNHRHTHU"
    "IDIEILIMINIOIQIRISIT"
    "JEJMJOJP"
    "KEKGKHKIKMKNKPKRKWKYKZ"
    "LALBLCLILKLRLSLTLULVLY"
    "MAMCMDMEMFMGMHMKMLMMMNMOMPMQMRMSMTMUMVMWMXMYMZ"
    "NANCNENFNGNINLNONPNRNUNZ"
    "OM"
    "PAPEPFPGPHPKPLPMPNPRPSPTPWPY"
    "QA"
    "RERORSRURW"
    "SASBSCSDSESGSHSISJSKSLSMSNSOSRSSSTSVSXSYSZ"
    "TCTDTFTGTHTJTKTLTMTNTOTRTTTVTWTZ"
    "UAUGUMUSUYUZ"
    "VAVCVEVGVIVNVU"
    "WFWS"
    "YEYT"
    "ZAZMZW";

#define NF(a)	(sizeof(a) / sizeof((a)[0]) - 1)
const struct coll_def schema_colls[] = {
	{ "centers", centers, NF(centers) },
	{ "consultations", consultations, NF(consultations) },
	{ "directory", directory, NF(directory) },
	{ "guides", guides, NF(guides) },
	{ "keys", keys, NF(keys) },
	{ "members", members, NF(members) },
	{ NULL, NULL, 0 }
};

static const struct field_def deleted_field = {
	SCHEMA_DELETED, FK_BOOL, 0, 0, 1, NULL, false
};

const struct coll_def *
schema_coll(const char *name)
{
	const struct coll_def *c;

	for (c = schema_colls; c->name != NULL; c++)
		if (strcmp(c->name, name) == 0)
			return (c);
	return (NULL);
}

const struct field_def *
schema_field(const struct coll_def *c, const char *name, size_t len)
{
	const struct field_def *f;

	if (len == 0)
		return (NULL);
	/* The first byte first: this runs for every field of every record. */
	for (f = c->fields; f->name != NULL; f++)
		if (f->name[0] == name[0] && strlen(f->name) == len &&
		    memcmp(f->name, name, len) == 0)
			return (f);
	if (len == strlen(SCHEMA_DELETED) &&
	    memcmp(name, SCHEMA_DELETED, len) == 0)
		return (&deleted_field);
	return (NULL);
}

size_t
schema_field_index(const struct coll_def *c, const struct field_def *f)
{

	if (f == &deleted_field)
		return (c->nfields);
	return ((size_t)(f - c->fields));
}

bool
schema_utf8_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, n, k;
	uint32_t cp, min;

	while (i < len) {
		/* Fast path: runs of printable ASCII. */
		while (i < len && s[i] >= 0x20 && s[i] < 0x80)
			i++;
		if (i == len)
			break;
		if (s[i] < 0x80) {
			if (s[i] < 0x20 && s[i] != '\t' && s[i] != '\n' &&
			    s[i] != '\r')
				return (false);
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0) {
			n = 1; cp = s[i] & 0x1f; min = 0x80;
		} else if ((s[i] & 0xf0) == 0xe0) {
			n = 2; cp = s[i] & 0x0f; min = 0x800;
		} else if ((s[i] & 0xf8) == 0xf0) {
			n = 3; cp = s[i] & 0x07; min = 0x10000;
		} else
			return (false);
		if (len - i <= n)
			return (false);
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return (false);
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		/* Overlong forms, surrogates, beyond Unicode. */
		if (cp < min || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return (false);
		i += n + 1;
	}
	return (true);
}

bool
schema_name_valid(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > SCHEMA_NAME_MAX || s[0] < 'a' || s[0] > 'z')
		return (false);
	for (i = 1; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return (false);
	return (true);
}

static bool
is_date(const char *s, size_t len)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int y, m, d;
	size_t i;

	if (len != 10 || s[4] != '-' || s[7] != '-')
		return (false);
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return (false);
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
	    (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 1900 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return (false);
	if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) ||
	    y % 400 == 0))
		return (false);
	return (true);
}

void
schema_list(const char *const *e, char *buf, size_t len)
{
	size_t off = 0;
	int r;

	buf[0] = '\0';
	for (; *e != NULL && off < len; e++) {
		r = snprintf(buf + off, len - off, "%s%s",
		    off ? ", " : "", *e);
		if (r < 0)
			break;
		off += (size_t)r;
	}
}

static int
fail(struct schema_fail *sf, enum schema_err code, const char *field,
    const char *a1, const char *a2, const char *a3)
{
	const char *a[SCHEMA_ERR_NARGS] = { a1, a2, a3 };
	int i;

	memset(sf, 0, sizeof(*sf));
	sf->code = code;
	sf->field = field;
	for (i = 0; i < SCHEMA_ERR_NARGS; i++)
		snprintf(sf->arg[i], sizeof(sf->arg[i]), "%s",
		    a[i] != NULL ? a[i] : "");
	return (-1);
}

int
schema_check_value(const struct field_def *f, const struct val *v,
    struct schema_fail *sf)
{
	char a[3][32], list[SCHEMA_ERR_ARG];
	const char *const *e;
	size_t i;

	if (v->t == VAL_NIL)
		return (0);
	switch (f->kind) {
	case FK_BOOL:
		if (v->t != VAL_BOOL)
			goto type;
		return (0);
	case FK_INT:
		if (v->t != VAL_INT)
			goto type;
		if (v->i < f->min || v->i > f->max) {
			snprintf(a[0], sizeof(a[0]), "%lld", (long long)v->i);
			snprintf(a[1], sizeof(a[1]), "%lld", (long long)f->min);
			snprintf(a[2], sizeof(a[2]), "%lld", (long long)f->max);
			return (fail(sf, SE_RANGE, f->name, a[0], a[1], a[2]));
		}
		return (0);
	default:
		break;
	}
	if (v->t != VAL_STR)
		goto type;
	if (!schema_utf8_valid(v->s, v->len))
		return (fail(sf, SE_UTF8, f->name, NULL, NULL, NULL));
	switch (f->kind) {
	case FK_TEXT:
		if (v->len > f->max_len) {
			snprintf(a[0], sizeof(a[0]), "%zu", v->len);
			snprintf(a[1], sizeof(a[1]), "%zu", f->max_len);
			return (fail(sf, SE_TOO_LONG, f->name, a[0], a[1],
			    NULL));
		}
		return (0);
	case FK_ENUM:
		for (e = f->enums; *e != NULL; e++)
			if (strlen(*e) == v->len &&
			    memcmp(*e, v->s, v->len) == 0)
				return (0);
		schema_list(f->enums, list, sizeof(list));
		return (fail(sf, SE_ENUM, f->name, list, NULL, NULL));
	case FK_DATE:
		if (!is_date(v->s, v->len))
			return (fail(sf, SE_DATE, f->name, NULL, NULL, NULL));
		return (0);
	case FK_COUNTRY:
		if (v->len != 2 || v->s[0] < 'A' || v->s[0] > 'Z' ||
		    v->s[1] < 'A' || v->s[1] > 'Z')
			return (fail(sf, SE_COUNTRY_FORM, f->name, NULL, NULL,
			    NULL));
		return (0);
	case FK_RECID:
		if (v->len != 2 * SCHEMA_ID_LEN)
			goto recid;
		for (i = 0; i < v->len; i++)
			if (!((v->s[i] >= '0' && v->s[i] <= '9') ||
			    (v->s[i] >= 'a' && v->s[i] <= 'f')))
				goto recid;
		return (0);
	default:
		break;
	}
type:
	return (fail(sf, SE_TYPE, f->name, f->kind == FK_INT ? "int" :
	    f->kind == FK_BOOL ? "bool" : "text", NULL, NULL));
recid:
	return (fail(sf, SE_RECID, f->name, NULL, NULL, NULL));
}

void
schema_why(const struct schema_fail *sf, char *why, size_t len)
{
	const char *a0 = sf->arg[0], *a1 = sf->arg[1], *a2 = sf->arg[2];
	int n;

	switch (sf->code) {
	case SE_OK:
		snprintf(why, len, "is valid");
		break;
	case SE_TYPE:
		snprintf(why, len, "has the wrong type (expected %s)",
		    strcmp(a0, "int") == 0 ? "an integer" :
		    strcmp(a0, "bool") == 0 ? "true or false" : "text");
		break;
	case SE_UTF8:
		snprintf(why, len, "is not valid UTF-8 text; "
		    "re-save the input as UTF-8");
		break;
	case SE_TOO_LONG:
		snprintf(why, len, "is %s bytes (limit %s); shorten it", a0,
		    a1);
		break;
	case SE_RANGE:
		snprintf(why, len, "is %s (allowed %s to %s)", a0, a1, a2);
		break;
	case SE_ENUM:
	case SE_NOT_LISTED:
		/* "a, b, c" as this text always wrote it: "a/b/c". */
		n = snprintf(why, len, "must be one of ");
		for (; n >= 0 && (size_t)n + 1 < len && *a0 != '\0'; a0++) {
			if (a0[0] == ',' && a0[1] == ' ') {
				why[n++] = '/';
				a0++;
			} else
				why[n++] = *a0;
		}
		if (n >= 0 && (size_t)n < len)
			why[n] = '\0';
		break;
	case SE_DATE:
		snprintf(why, len, "must be a date YYYY-MM-DD");
		break;
	case SE_COUNTRY_FORM:
		snprintf(why, len, "must be an ISO 3166 alpha-2 country code "
		    "such as RU");
		break;
	case SE_RECID:
		snprintf(why, len, "must be a record id (32 hex digits)");
		break;
	case SE_REQUIRED:
		snprintf(why, len, "is required%s%s%s", *a0 ? ": one of " :
		    *a1 ? ": " : "", a0, a1);
		break;
	case SE_REQUIRED_MANY:
		snprintf(why, len, "and %s are required", a0);
		break;
	case SE_NEEDED_WHEN:
		snprintf(why, len, "is required when %s=%s", a0, a1);
		break;
	case SE_BEFORE:
		snprintf(why, len, "is %s, before %s=%s", a0, a1, a2);
		break;
	case SE_FUTURE:
		snprintf(why, len, "is %s, more than a day from now (at most "
		    "%s)", a0, a1);
		break;
	case SE_COUNTRY:
		snprintf(why, len, "%s is not an assigned ISO 3166-1 alpha-2 "
		    "country code (such as RU, KZ, TJ)", a0);
		break;
	case SE_INTERNAL:
		snprintf(why, len, "is written by hamroh itself, not by users");
		break;
	}
}

int
schema_check(const struct field_def *f, const struct val *v, char *why,
    size_t why_len)
{
	struct schema_fail sf;

	if (schema_check_value(f, v, &sf) == 0)
		return (0);
	schema_why(&sf, why, why_len);
	return (-1);
}

const struct rule_def *
schema_rule(const struct coll_def *c, const struct field_def *f,
    enum rule_kind kind)
{
	const struct rule_def *r;

	for (r = schema_rule_defs; r->coll != NULL; r++)
		if (r->kind == kind && strcmp(r->coll, c->name) == 0 &&
		    (r->field == NULL || strcmp(r->field, f->name) == 0))
			return (r);
	return (NULL);
}

bool
schema_internal(const struct coll_def *c, const struct field_def *f)
{
	const struct rule_def *r;
	const char *const *e;

	if ((r = schema_rule(c, f, RULE_INTERNAL)) == NULL)
		return (false);
	if (r->list == NULL)
		return (true);
	for (e = r->list; *e != NULL; e++)
		if (strcmp(*e, f->name) == 0)
			return (true);
	return (false);
}

bool
schema_country_assigned(const char *s, size_t len)
{
	size_t i;

	if (len != 2)
		return (false);
	for (i = 0; i + 1 < sizeof(countries); i += 2)
		if (countries[i] == s[0] && countries[i + 1] == s[1])
			return (true);
	return (false);
}

/* The field ${name} of ${c}: its index in ${c}->fields, or -1. */
static int
index_of(const struct coll_def *c, const char *name)
{
	const struct field_def *f;

	if (name == NULL || (f = schema_field(c, name, strlen(name))) == NULL ||
	    schema_field_index(c, f) >= c->nfields)
		return (-1);
	return ((int)schema_field_index(c, f));
}

static bool
is_str(const struct val *v, const char *s)
{

	return (v->t == VAL_STR && v->len == strlen(s) &&
	    memcmp(v->s, s, v->len) == 0);
}

static const char *
cut(char buf[SCHEMA_ERR_ARG], const struct val *v)
{

	snprintf(buf, SCHEMA_ERR_ARG, "%.*s", (int)(v->len > 200 ? 200 :
	    v->len), v->s);
	return (buf);
}

/*
 * Required field ${r}->field is missing: name it with its values, or all
 * the missing ones if there are more (SE_REQUIRED_MANY).
 */
static int
missing(const struct coll_def *c, const struct val *rec, const bool *changed,
    bool creates, const struct rule_def *r, struct schema_fail *sf)
{
	const struct field_def *f = schema_field(c, r->field,
	    strlen(r->field));
	char list[SCHEMA_ERR_ARG];
	size_t n = 0, off = 0;
	int i;

	for (; r->coll != NULL; r++) {
		if (r->kind != RULE_REQUIRED || strcmp(r->coll, c->name) != 0 ||
		    (i = index_of(c, r->field)) < 0 || rec[i].t != VAL_NIL ||
		    (!creates && !changed[i]))
			continue;
		if (off < sizeof(list))
			off += (size_t)snprintf(list + off, sizeof(list) - off,
			    "%s%s", n ? ", " : "", r->field);
		n++;
	}
	if (n > 1)
		return (fail(sf, SE_REQUIRED_MANY, f->name, list, NULL, NULL));
	list[0] = '\0';
	if (f->kind == FK_ENUM)
		schema_list(f->enums, list, sizeof(list));
	return (fail(sf, SE_REQUIRED, f->name, list, f->kind == FK_DATE ?
	    "YYYY-MM-DD" : NULL, NULL));
}

int
schema_rules(const struct coll_def *c, const struct val *rec,
    const bool *changed, bool creates, const char *latest,
    struct schema_fail *sf)
{
	const struct rule_def *r;
	const struct field_def *f;
	const struct val *v, *o;
	char a[2][SCHEMA_ERR_ARG], list[SCHEMA_ERR_ARG];
	const char *const *e;
	int fi, oi;

	for (r = schema_rule_defs; r->coll != NULL; r++) {
		if (strcmp(r->coll, c->name) != 0 || r->kind == RULE_INTERNAL ||
		    r->kind == RULE_REFERS || (fi = index_of(c, r->field)) < 0)
			continue;
		f = &c->fields[fi];
		v = &rec[fi];
		oi = index_of(c, r->other);
		o = oi >= 0 ? &rec[oi] : NULL;
		/* Only the rules the write touches. */
		if (!creates && !changed[fi] && !(oi >= 0 && changed[oi]))
			continue;
		switch (r->kind) {
		case RULE_REQUIRED:
			if (v->t == VAL_NIL)
				return (missing(c, rec, changed, creates, r,
				    sf));
			break;
		case RULE_NEEDED_WHEN:
			if (v->t == VAL_NIL && o != NULL && is_str(o, r->value))
				return (fail(sf, SE_NEEDED_WHEN, f->name,
				    r->other, r->value, NULL));
			break;
		case RULE_NOT_BEFORE:
			if (v->t == VAL_STR && o != NULL && o->t == VAL_STR &&
			    v->len == 10 && o->len == 10 &&
			    memcmp(v->s, o->s, 10) < 0)
				return (fail(sf, SE_BEFORE, f->name, cut(a[0],
				    v), r->other, cut(a[1], o)));
			break;
		case RULE_NOT_FUTURE:
			if (v->t == VAL_STR && changed[fi] && v->len == 10 &&
			    memcmp(v->s, latest, 10) > 0)
				return (fail(sf, SE_FUTURE, f->name, cut(a[0],
				    v), latest, NULL));
			break;
		case RULE_COUNTRY:
			if (v->t == VAL_STR && changed[fi] &&
			    !schema_country_assigned(v->s, v->len))
				return (fail(sf, SE_COUNTRY, f->name, cut(a[0],
				    v), NULL, NULL));
			break;
		case RULE_ONE_OF:
			if (v->t != VAL_STR || !changed[fi])
				break;
			for (e = r->list; *e != NULL; e++)
				if (is_str(v, *e))
					break;
			if (*e != NULL)
				break;
			schema_list(r->list, list, sizeof(list));
			return (fail(sf, SE_NOT_LISTED, f->name, list, NULL,
			    NULL));
		default:
			break;
		}
	}
	return (0);
}

int
schema_parse(const struct field_def *f, const char *s, size_t len,
    struct val *v)
{
	int64_t x = 0;
	size_t i = 0;
	bool neg = false;

	memset(v, 0, sizeof(*v));
	if (len == 0) {
		v->t = VAL_NIL;
		return (0);
	}
	switch (f->kind) {
	case FK_INT:
		if (s[0] == '-') {
			neg = true;
			i = 1;
		}
		if (i == len || len - i > 18)
			return (-1);
		for (; i < len; i++) {
			if (s[i] < '0' || s[i] > '9')
				return (-1);
			x = x * 10 + (s[i] - '0');
		}
		v->t = VAL_INT;
		v->i = neg ? -x : x;
		return (0);
	case FK_BOOL:
		v->t = VAL_BOOL;
		if (len == 4 && memcmp(s, "true", 4) == 0)
			v->i = 1;
		else if (len == 5 && memcmp(s, "false", 5) == 0)
			v->i = 0;
		else
			return (-1);
		return (0);
	default:
		v->t = VAL_STR;
		v->s = s;
		v->len = len;
		return (0);
	}
}
