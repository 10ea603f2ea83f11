/*
 * fuzz_search.c: libFuzzer target for search's tokenizer (agent/search/
 * fold.c), which every user's query text reaches, and the MATCH
 * expression store/fts.c makes of its tokens.
 *
 * The input is a query.  Checked: search_parse_query() returns one of its
 * outcomes; its tokens are at most SEARCH_MAX_TERMS, none empty or longer
 * than SEARCH_TERM_MAX, valid UTF-8 made only of folded letters and
 * digits (no ASCII but a-z 0-9, so nothing of FTS5's syntax); the index
 * form (search_fold_words(), search_fold_phone()) stays within
 * search_fold_room(), is tokens each ended by one space, and folding it
 * again gives the same bytes; and querying a small in-memory index with
 * the tokens never fails (no user text is an FTS5 syntax error).
 */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/search/fold.h"
#include "store/fts.h"
#include "store/schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct fts *idx;

static void
index_once(void)
{
	static const char *const docs[] = { "хакимов фируз 925551234 ",
	    "khj 26 03 0042 k khj26030042k ", "патент паспорт " };
	uint8_t id[SCHEMA_ID_LEN];
	char err[STORE_ERRLEN];
	size_t i;

	if (idx != NULL)
		return;
	if (fts_open(&idx, err) || fts_begin(idx, err))
		abort();
	for (i = 0; i < 3; i++) {
		memset(id, (int)i + 1, sizeof(id));
		if (fts_put(idx, id, (int64_t)i + 1, docs[i], strlen(docs[i]),
		    i == 2 ? docs[i] : NULL, strlen(docs[i]), err))
			abort();
	}
	if (fts_commit(idx, err))
		abort();
}

static int
count_cb(void *arg, const uint8_t *id)
{

	(void)id;
	(*(size_t *)arg)++;
	return (0);
}

/* ${s} (${len}) is tokens of folded letters and digits, each + ' '. */
static void
check_tokens(const char *s, size_t len)
{
	size_t i, tl = 0;

	assert(schema_utf8_valid(s, len) || len == 0);
	for (i = 0; i < len; i++) {
		unsigned char b = (unsigned char)s[i];

		if (b == ' ') {
			assert(tl > 0);
			tl = 0;
			continue;
		}
		if (b < 0x80)
			assert((b >= 'a' && b <= 'z') || (b >= '0' && b <= '9'));
		tl++;
	}
	assert(tl == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	struct search_terms q;
	enum search_parse r;
	char err[STORE_ERRLEN], *out, *again;
	size_t i, j, n, m, hits = 0;

	index_once();
	r = search_parse_query(in, size, &q);
	assert(r == SEARCH_PARSE_OK || r == SEARCH_PARSE_EMPTY ||
	    r == SEARCH_PARSE_LONG || r == SEARCH_PARSE_MANY);
	if (r == SEARCH_PARSE_LONG)
		assert(size > SEARCH_QUERY_MAX);
	if (r == SEARCH_PARSE_OK) {
		assert(q.n >= 1 && q.n <= SEARCH_MAX_TERMS);
		for (i = 0; i < q.n; i++) {
			assert(q.len[i] >= 1 && q.len[i] <= SEARCH_TERM_MAX);
			assert(schema_utf8_valid(q.t[i], q.len[i]));
			for (j = 0; j < q.len[i]; j++)
				assert(q.t[i][j] != ' ');
		}
		if (fts_query(idx, q.t, q.len, q.n, 10, count_cb, &hits,
		    err) < 0) {
			fprintf(stderr, "fuzz_search: query failed: %s\n", err);
			abort();
		}
		assert(hits <= 3);
	} else
		assert(q.n <= SEARCH_MAX_TERMS);
	search_terms_wipe(&q);

	if ((out = malloc(search_fold_room(size))) == NULL)
		abort();
	n = search_fold_words(in, size, out);
	assert(n <= search_fold_room(size));
	check_tokens(out, n);
	if ((again = malloc(search_fold_room(n))) == NULL)
		abort();
	m = search_fold_words(out, n, again);
	assert(m == n && memcmp(out, again, n) == 0);
	n = search_fold_phone(in, size, out);
	assert(n <= search_fold_room(size));
	check_tokens(out, n);
	free(again);
	free(out);
	return (0);
}
