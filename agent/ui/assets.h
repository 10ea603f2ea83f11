#ifndef AGENT_UI_ASSETS_H
#define AGENT_UI_ASSETS_H

#include <stddef.h>

/*
 * The page's files (agent/ui/assets/), embedded at build time: the
 * Makefile runs agent/ui/assets/mkassets.c over them, which writes the
 * table (and refuses more than 150 KB in all).
 */
struct ui_asset {
	const char		*path;		/* "/app.js" */
	const char		*type;		/* Content-Type. */
	const unsigned char	*data;
	size_t			len;
	const char		*etag;		/* "\"hash\"" */
};

extern const struct ui_asset ui_assets[];	/* Ends with path NULL. */

#endif /* !AGENT_UI_ASSETS_H */
