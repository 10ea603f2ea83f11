/*
 * rules.c: who may write what (see rules.h).
 */
#include <stdio.h>
#include <string.h>

#include "agent/cli/cli.h"
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

/* This node's role and center, read once per process. */
static char role[16], center[CONF_CENTER_MAX + 1];
static int known = -1;

bool
cli_in_network(struct cli *cli)
{

	if (known < 0) {
		known = db_meta_get(cli->db, "role", role, sizeof(role)) == 0;
		if (db_meta_get(cli->db, "center", center, sizeof(center)))
			center[0] = '\0';
	}
	return (known == 1);
}

void
cli_may_write(struct cli *cli, const struct coll_def *c,
    const uint8_t id[SCHEMA_ID_LEN], bool creates, const char *written,
    const char *what)
{
	char rc[CONF_CENTER_MAX + 1];

	if (!cli_in_network(cli))
		return;		/* In no network. */
	rc[0] = '\0';
	if (!creates && strcmp(c->name, "consultations") == 0)
		cli_record_center(cli, c, id, rc);
	switch (rules_judge(c->name, creates, role, center, rc, written)) {
	case RULES_OK:
		return;
	case RULES_ADMIN_ONLY:
		cli_fail(EXIT_REFUSED, "%s: only admins write %s; this node's "
		    "role is %s (nothing was changed)", what, c->name, role);
	case RULES_OTHER_CENTER:
		cli_fail(EXIT_REFUSED, "%s: this consultation belongs to center "
		    "'%s'; only its nodes and admins may change it, and this "
		    "node is of '%s' (nothing was changed)", what, rc, center);
	case RULES_CENTER_FIXED:
		cli_fail(EXIT_REFUSED, "%s: the center of a consultation is "
		    "fixed when it is created (it is '%s'); nothing was "
		    "changed (log a new consultation instead)", what, rc);
	case RULES_NO_CENTER:
		cli_fail(EXIT_REFUSED, "%s: give center=%s: a consultation "
		    "names its center when it is created (nothing was "
		    "changed)", what, center);
	case RULES_CREATE_OTHER:
		cli_fail(EXIT_REFUSED, "%s: this node is of center '%s' and "
		    "may create consultations of that center only, not of "
		    "'%s' (nothing was changed)", what, center, written);
	}
}
