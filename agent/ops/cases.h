#ifndef AGENT_OPS_CASES_H
#define AGENT_OPS_CASES_H

/*
 * Case numbers (protocol/PROTOCOL.md, "Case numbers"): every consultation
 * gets one at add, PREFIX-YY-NN-SERIAL-C, e.g. KHJ-26-10-0042-2:
 *   PREFIX  its center's 3 letters (agent/ops/centers.h);
 *   YY      the year of opened_at;
 *   NN      the node code of the node that added it (below);
 *   SERIAL  that node's counter, 4 decimal digits or more;
 *   C       a check character over the others.
 * PREFIX is 3 capital letters (A to Z, worth 0 to 25: a group of letters
 * only, so none is taken for a digit); every other character is of
 * CASE_ALPHABET: the digits and the capitals less I, L, O (read as 1, 1,
 * 0 when typed), U and Z: 31 characters, a prime, so C = (sum of i *
 * value(i-th character), i from 1, dashes skipped) mod 31 catches every
 * single wrong character and every swap of two neighbours.  Unique network-wide because NN is unique: the first admin
 * gives each invited node the lowest free code from "10" up (members
 * field case_code), a node that continues under a successor key takes
 * the highest free one from "YY" down itself, and a node in no network
 * numbers with a local code "0X" (X from its key).
 */
#include "agent/ops/ops.h"

#define CASE_ALPHABET	"0123456789ABCDEFGHJKMNPQRSTVWXY"
#define CASE_BASE	31
#define CASE_NUMBER_MAX	24	/* PREFIX-YY-NN-SERIAL-C, SERIAL <= 12. */

/* The value of ${c} in CASE_ALPHABET (lower case, O, I, L folded), or -1. */
int case_value(char);

/* The check character of ${s} (${len} bytes; dashes are skipped). */
char case_check(const char *, size_t);

/* The case number of ${prefix}, ${yy}, ${nn} and ${serial} in ${out}. */
void case_format(const char *, unsigned, const char *, uint64_t,
    char[CASE_NUMBER_MAX + 1]);

/*
 * case_parse(s, out):
 * ${s} as a case number, folded (upper case, O to 0, I and L to 1) into
 * ${out}: 0; -1 if it is not of the form; -2 if its check character is
 * wrong (a typo).
 */
int case_parse(const char *, char[CASE_NUMBER_MAX + 1]);

/*
 * Before a new consultation of ${center} opened on ${opened} (NULL: today)
 * is written, outside any transaction: its case number in ${out} (the
 * node's counter moves on even if the write then fails: a gap, never a
 * number given twice).
 */
int cases_new_number(struct ops *, const char *, const char *,
    char[CASE_NUMBER_MAX + 1], struct ops_err *);

/*
 * person=CASE: the person of an earlier consultation, as stored: the case
 * number of that person's first consultation, in ${out}.
 */
int cases_person(struct ops *, const char *, size_t,
    char[CASE_NUMBER_MAX + 1], struct ops_err *);

/*
 * The consultation ${s} names, a record id or a case number, in ${id};
 * any other collection takes ids only (ops_id()).
 */
int cases_record_id(struct ops *, const struct coll_def *, const char *,
    uint8_t[SCHEMA_ID_LEN], struct ops_err *);

/*
 * The node code an invite gives node ${key} in ${nn}: its members
 * record's, or the lowest free one (the caller writes it with the
 * certificate).
 */
int cases_invite_code(struct db *, const uint8_t[NODE_KEY_LEN], char[3],
    char[STORE_ERRLEN]);

/* The code ${nn} an invite gave (join): kept, in the members record too
 * if ${put}. */
int cases_joined(struct db *, const char *, bool, char[STORE_ERRLEN]);

/*
 * The fields a write of a consultation commits: ${in} with person=CASE
 * resolved (cases_person()) and, for a new one (${creates}), its center
 * known (ops_center_known()) and case_number= added; case_number itself
 * is never the user's to write.  Other collections: ${in} as it is.
 * Free with cases_fields_free().
 */
struct cases_fields {
	struct ops_field	*f;
	size_t			n;
	char			number[CASE_NUMBER_MAX + 1];	/* "": none. */
	char			person[CASE_NUMBER_MAX + 1];
};
int cases_fields(struct ops *, const struct coll_def *,
    const struct ops_field *, size_t, bool, struct cases_fields *,
    struct ops_err *);
void cases_fields_free(struct cases_fields *);

/*
 * The local access log (store/db.h, db_access_add): record that the
 * actor (ops->actor; NULL: node only) viewed consultation ${id} of ${c}
 * (anything else is not logged) by ${what} ("show", "history"); with
 * ${id} NULL, many of them ("list", "export"), ${note} saying which.
 */
int cases_viewed(struct ops *, const struct coll_def *, const uint8_t *,
    const char *, const char *, struct ops_err *);

/* access-log: every entry, newest first; ${n}: how many. */
int ops_access_log(struct ops *, int (*)(void *, const struct db_access *),
    void *, long *, struct ops_err *);

/*
 * Import, inside its transaction: a new consultation ${id} of ${center}
 * (its ${n} fields ${f} = ${v}) that has no case_number gets one, written
 * now, if the center is known; a record of a center not known here is
 * imported as it is (records carried from another node keep theirs).
 */
int cases_import_number(struct ops *, const struct coll_def *,
    const uint8_t[SCHEMA_ID_LEN], const struct field_def *const *,
    const struct val *, size_t, const char *, struct ops_err *);

#endif /* !AGENT_OPS_CASES_H */
