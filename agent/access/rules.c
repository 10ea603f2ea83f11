/*
 * rules.c: who may write what (see rules.h).
 */
#include <stdio.h>
#include <string.h>

#include "agent/access/confidential.h"
#include "agent/access/rules.h"

enum rules_verdict
rules_judge(const char *coll, bool creates, const char *role,
    const char *center, const char *record_center, const char *written)
{
	bool admin = strcmp(role, "admin") == 0;

	if (strcmp(coll, "consultations") != 0)
		return (admin ? RULES_OK : RULES_ADMIN_ONLY);
	if (!creates && *record_center != '\0') {
		if (written != NULL && strcmp(written, record_center) != 0)
			return (RULES_CENTER_FIXED);
		return (admin || strcmp(center, record_center) == 0 ?
		    RULES_OK : RULES_OTHER_CENTER);
	}
	/* A creation: it names the center the record will belong to. */
	if (admin)
		return (RULES_OK);
	if (written == NULL || *written == '\0')
		return (RULES_NO_CENTER);
	return (strcmp(written, center) == 0 ? RULES_OK : RULES_CREATE_OTHER);
}

void
rules_standing(struct db *db, struct rules_node *n)
{

	memset(n, 0, sizeof(*n));
	n->in_network = db_meta_get(db, "role", n->role, sizeof(n->role)) == 0;
	if (db_meta_get(db, "center", n->center, sizeof(n->center)))
		n->center[0] = '\0';
}

int
rules_may_write(struct db *db, const struct rules_node *n,
    const struct coll_def *c, const uint8_t id[SCHEMA_ID_LEN], bool creates,
    const char *written, char rc[CONF_CENTER_MAX + 1],
    enum rules_verdict *verdict, char err[STORE_ERRLEN])
{

	*verdict = RULES_OK;
	rc[0] = '\0';
	if (!n->in_network)
		return (0);	/* In no network. */
	if (!creates && strcmp(c->name, "consultations") == 0 &&
	    conf_record_center(db, c, id, rc, err))
		return (-1);
	*verdict = rules_judge(c->name, creates, n->role, n->center, rc,
	    written);
	return (0);
}
