#ifndef AGENT_UI_API_H
#define AGENT_UI_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "agent/codec/json.h"
#include "agent/ops/ops.h"

/*
 * The JSON API's bodies (API.md), for server.c: errors from a struct
 * ops_err, and the operations that read or write records, each run on a
 * worker as the session's user (ops on the worker's own connection).
 */

/*
 * A response: HTTP status and a malloc()ed body, JSON unless ${type}
 * names another (a download: ${disp} its Content-Disposition).
 */
struct ui_out {
	unsigned	status;
	char		*buf;
	size_t		len;
	const char	*type;		/* Static; NULL: JSON. */
	char		disp[96];	/* "" : none. */
};

/* The HTTP status of an operation's error code. */
unsigned ui_http_status(enum ops_code);

/* ${out} is the error ${e}: {"error":{"key","args","message"}}. */
void ui_out_err(struct ui_out *, const struct ops_err *);

/* The same from a catalog key and its ${nargs} string arguments. */
void ui_out_fail(struct ui_out *, enum ops_code, enum ops_msg, int, ...);

/* Start and end a body written to a FILE (open_memstream()). */
FILE *ui_out_open(struct ui_out *);
void ui_out_close(struct ui_out *, FILE *, unsigned);

#define UI_QUERY_N	16		/* Query arguments kept. */
#define UI_QUERY_MAX	2048		/* Their bytes. */
#define UI_SEG_MAX	256		/* The URL's ID or NAME. */

struct ui_route;

/* A request the API runs on a worker. */
struct ui_call {
	const char	*id;		/* show: the record. */
	size_t		limit, offset;	/* list. */
	struct json_obj	body;		/* add: the fields. */
	char		added[2 * SCHEMA_ID_LEN + 1];	/* add, set: its id. */
	const struct ops_read_args *read;	/* list: filters, or NULL. */
	/* The routes of api_more.h. */
	const struct ui_route *route;
	char		seg[UI_SEG_MAX];	/* The '*' of its path. */
	char		qbuf[UI_QUERY_MAX];	/* Query arguments: */
	const char	*qk[UI_QUERY_N], *qv[UI_QUERY_N];
	size_t		nq, qlen;
	bool		qbad;		/* Too many or too long. */
};

/*
 * ${body}'s values as the operations take fields (numbers and booleans
 * as text in ${nums}, null as ""): ${out} has room for JSON_MAX_KEYS.
 */
void ui_body_fields(const struct json_obj *, struct ops_field *,
    char[][24]);

/* GET /api/consultations: newest first (opened_at, then id). */
void ui_api_list(struct ops *, struct ui_call *, struct ui_out *);
/* GET /api/consultations/ID. */
void ui_api_show(struct ops *, struct ui_call *, struct ui_out *);
/* POST /api/consultations. */
void ui_api_add(struct ops *, struct ui_call *, struct ui_out *);
/* GET /api/status. */
void ui_api_status(struct ops *, struct ui_call *, struct ui_out *);

/* A record: {"id","conflicts","stale","fields":{NAME: VALUE}}. */
void ui_put_record(FILE *, const struct rview *, bool);

/* Write ${s} as a JSON string (NULL: null). */
void ui_put_str(FILE *, const char *);

#endif /* !AGENT_UI_API_H */
