#ifndef AGENT_UI_API_MORE_H
#define AGENT_UI_API_MORE_H

#include <stdbool.h>

#include <microhttpd.h>

#include "agent/ui/api.h"

/*
 * The API's routes beyond sign-in, search and add (API.md): a table of
 * method, path and the body that runs on a worker as the session's user
 * (server.c queues it, the request suspended).  A path's one '*' is a
 * segment: a record's id or case number, a user's name.
 */
typedef void	ui_api_fn(struct ops *, struct ui_call *, struct ui_out *);

struct ui_route {
	const char	*method;	/* "GET" (HEAD too), "POST", "DELETE". */
	const char	*path;
	ui_api_fn	*fn;
	bool		writes;		/* Commits: the node signs them. */
	bool		body;		/* Takes a JSON object. */
};

/* The Reports page's routes (api_report.c), ending with a NULL method. */
extern const struct ui_route ui_report_routes[];

/* A query argument of ${c}, or NULL (absent or empty). */
const char *ui_qget(const struct ui_call *, const char *);

/* The route of ${method} ${url}, its '*' in ${seg}; NULL: none. */
const struct ui_route *ui_route_find(const char *, const char *,
    char[UI_SEG_MAX]);

/*
 * Keep the query argument ${key}=${value} in ${call} (a callback of
 * MHD_get_connection_values()); too many or too long ones set
 * ${call}->qbad.
 */
enum MHD_Result ui_call_arg(void *, enum MHD_ValueKind, const char *,
    const char *);

#endif /* !AGENT_UI_API_MORE_H */
