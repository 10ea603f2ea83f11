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

/* A response: HTTP status and a malloc()ed JSON body. */
struct ui_out {
	unsigned	status;
	char		*buf;
	size_t		len;
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

/* A request the API runs on a worker. */
struct ui_call {
	const char	*id;		/* show: the record. */
	size_t		limit, offset;	/* list. */
	struct json_obj	body;		/* add: the fields. */
	char		added[2 * SCHEMA_ID_LEN + 1];	/* add: its id. */
};

/* GET /api/consultations: newest first (opened_at, then id). */
void ui_api_list(struct ops *, struct ui_call *, struct ui_out *);
/* GET /api/consultations/ID. */
void ui_api_show(struct ops *, struct ui_call *, struct ui_out *);
/* POST /api/consultations. */
void ui_api_add(struct ops *, struct ui_call *, struct ui_out *);
/* GET /api/status. */
void ui_api_status(struct ops *, struct ui_call *, struct ui_out *);

/* Write ${s} as a JSON string (NULL: null). */
void ui_put_str(FILE *, const char *);

#endif /* !AGENT_UI_API_H */
