/*
 * test_suppress: no count that small-cell suppression hides can be worked
 * out from what a report publishes (issue 15).
 *
 * The attacker here is written apart from agent/report/suppress.c and
 * shares none of its code: an exact search over the hidden inner cells
 * (the margins follow from them), which knows every shown entry, that
 * every margin is the sum of its cells, that a "<5" is 1..4 or, under a
 * margin that is itself "<5", 0..4, and that an "x" is 5 or more (but
 * nothing, in a table withheld whole: all "x").  For
 * each hidden entry it looks for a table agreeing with all of that in
 * which the entry has another value than the true one; none found means
 * the entry is exposed.  The bounds it searches within are the true ones
 * (from the shown margins and the marks) except that an "x" cell bounded
 * by nothing shown is searched up to its count + 8 only: that can make the
 * attacker stronger, never weaker.  Separately the marks are checked
 * against the rule that gives the attacker that knowledge.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/report/report.h"
#include "agent/report/suppress.h"

#define THR		5
#define INF		UINT64_MAX
#define SEED		20261202u
#ifndef BUDGET
#define BUDGET		20000000ULL	/* Search nodes per question. */
#endif

/* A table: ndim dimensions, the extended layout of report.h. */
struct tab {
	size_t		ndim, n[3], ne;
	uint64_t	*v;
	uint8_t		*mark;
};

static uint64_t rng;

static uint32_t
rnd(void)
{

	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return ((uint32_t)(rng >> 16));
}

/* Index ${ix} of entry ${o}. */
static void
decode(const struct tab *t, size_t o, size_t ix[3])
{
	size_t d;

	ix[0] = ix[1] = ix[2] = 0;
	for (d = t->ndim; d-- > 0; ) {
		ix[d] = o % (t->n[d] + 1);
		o /= t->n[d] + 1;
	}
}

static bool
inner(const struct tab *t, size_t o)
{
	size_t ix[3], d;

	decode(t, o, ix);
	for (d = 0; d < t->ndim; d++)
		if (ix[d] == t->n[d])
			return (false);
	return (true);
}

/* Whether inner cell ${c} is counted in entry ${e}. */
static bool
under(const struct tab *t, size_t c, size_t e)
{
	size_t ic[3], ie[3], d;

	decode(t, c, ic);
	decode(t, e, ie);
	for (d = 0; d < t->ndim; d++)
		if (ie[d] != t->n[d] && ie[d] != ic[d])
			return (false);
	return (true);
}

/* Whether some margin other than ${e} itself that sums ${e} is "<5". */
static bool
primary_above(const struct tab *t, size_t e)
{
	size_t ie[3], ia[3], o, d;
	bool above;

	decode(t, e, ie);
	for (o = 0; o < t->ne; o++) {
		if (o == e || t->mark[o] != CELL_PRIMARY)
			continue;
		decode(t, o, ia);
		above = true;
		for (d = 0; d < t->ndim; d++)
			if (ia[d] != t->n[d] && ia[d] != ie[d])
				above = false;
		if (above)
			return (true);
	}
	return (false);
}

/* A table withheld whole: every entry "x", nothing known of any. */
static bool
withheld(const struct tab *t)
{
	size_t o;

	for (o = 0; o < t->ne; o++)
		if (t->mark[o] != CELL_COMPLEMENT)
			return (false);
	return (true);
}

static void
tab_new(struct tab *t, size_t ndim, const size_t *n)
{
	size_t d;

	memset(t, 0, sizeof(*t));
	t->ndim = ndim;
	t->ne = 1;
	for (d = 0; d < ndim; d++) {
		t->n[d] = n[d];
		t->ne *= n[d] + 1;
	}
	assert_non_null(t->v = calloc(t->ne, sizeof(*t->v)));
	assert_non_null(t->mark = calloc(t->ne, 1));
}

static void
tab_free(struct tab *t)
{

	free(t->v);
	free(t->mark);
}

/* The margins from the inner cells, as report.h lays them out. */
static void
sums(struct tab *t)
{
	size_t e, c;

	for (e = 0; e < t->ne; e++) {
		if (inner(t, e))
			continue;
		t->v[e] = 0;
		for (c = 0; c < t->ne; c++)
			if (inner(t, c) && under(t, c, e))
				t->v[e] += t->v[c];
	}
}

/* A table from its inner cells, row by row. */
static void
tab_of(struct tab *t, size_t ndim, const size_t *n, const uint64_t *cells)
{
	size_t o, k = 0;

	tab_new(t, ndim, n);
	for (o = 0; o < t->ne; o++)
		if (inner(t, o))
			t->v[o] = cells[k++];
	sums(t);
}

static void
dump(const struct tab *t, const char *why, size_t e)
{
	static const char sym[] = ".px";
	size_t o, ix[3], d;

	fprintf(stderr, "seed %u: %s: entry %zu; %zu-D", SEED, why, e,
	    t->ndim);
	for (d = 0; d < t->ndim; d++)
		fprintf(stderr, " %zu", t->n[d]);
	fprintf(stderr, "\n");
	for (o = 0; o < t->ne; o++) {
		decode(t, o, ix);
		fprintf(stderr, "  %3llu%c", (unsigned long long)t->v[o],
		    t->mark[o] < 3 ? sym[t->mark[o]] : '?');
		if (t->ndim > 0 && ix[t->ndim - 1] == t->n[t->ndim - 1])
			fprintf(stderr, "\n");
		if (t->ndim > 1 && ix[t->ndim - 1] == t->n[t->ndim - 1] &&
		    ix[t->ndim - 2] == t->n[t->ndim - 2])
			fprintf(stderr, "\n");
	}
	fprintf(stderr, "\n");
}

/*
 * The marks obey the rule the attacker's knowledge rests on: every 1..4
 * is "<5"; a "<5" is 1..4, or a 0 under a "<5" margin; an "x" is >= 5
 * (so never 0); or the table is withheld whole, every entry "x" (which
 * then says nothing).  Returns the number of hidden entries.
 */
static size_t
check_rule(const struct tab *t)
{
	size_t o, hidden = 0;

	if (withheld(t))
		return (t->ne);
	for (o = 0; o < t->ne; o++) {
		uint64_t x = t->v[o];

		if (t->mark[o] > CELL_COMPLEMENT)
			dump(t, "bad mark", o), fail();
		if (x >= 1 && x < THR && t->mark[o] != CELL_PRIMARY)
			dump(t, "small entry shown", o), fail();
		if (t->mark[o] == CELL_COMPLEMENT && x < THR)
			dump(t, "complement under 5", o), fail();
		if (t->mark[o] == CELL_PRIMARY && (x >= THR ||
		    (x == 0 && !primary_above(t, o))))
			dump(t, "\"<5\" that is not 1..4 or a 0 under <5", o),
			    fail();
		hidden += t->mark[o] != CELL_SHOWN;
	}
	return (hidden);
}

/* The attacker. */
struct atk {
	const struct tab *t;
	size_t		nv;
	size_t		*var;		/* Offsets of the hidden inner cells. */
	uint64_t	*vmin, *vmax;
	size_t		*nin, *in;	/* Entries var i is counted in. */
	size_t		stride;
	uint64_t	*kl, *kh;	/* What is known of each entry. */
	uint64_t	*fixed, *asum, *rmin, *rmax;
	size_t		target;
	uint64_t	tv, nodes;
};

static bool
entry_ok(const struct atk *a, size_t e)
{
	uint64_t lo = a->fixed[e] + a->asum[e] + a->rmin[e];
	uint64_t hi = a->rmax[e] == INF ? INF :
	    a->fixed[e] + a->asum[e] + a->rmax[e];

	if (lo > a->kh[e] || hi < a->kl[e])
		return (false);
	if (e == a->target && lo == hi && lo == a->tv)
		return (false);
	return (true);
}

static void
atk_init(struct atk *a, const struct tab *t)
{
	size_t o, e, i;

	memset(a, 0, sizeof(*a));
	a->t = t;
	a->stride = (size_t)1 << t->ndim;
	assert_non_null(a->var = calloc(t->ne, sizeof(*a->var)));
	assert_non_null(a->vmin = calloc(t->ne, sizeof(*a->vmin)));
	assert_non_null(a->vmax = calloc(t->ne, sizeof(*a->vmax)));
	assert_non_null(a->nin = calloc(t->ne, sizeof(*a->nin)));
	assert_non_null(a->in = calloc(t->ne * a->stride, sizeof(*a->in)));
	assert_non_null(a->kl = calloc(t->ne, sizeof(*a->kl)));
	assert_non_null(a->kh = calloc(t->ne, sizeof(*a->kh)));
	assert_non_null(a->fixed = calloc(t->ne, sizeof(*a->fixed)));
	assert_non_null(a->asum = calloc(t->ne, sizeof(*a->asum)));
	assert_non_null(a->rmin = calloc(t->ne, sizeof(*a->rmin)));
	assert_non_null(a->rmax = calloc(t->ne, sizeof(*a->rmax)));
	for (e = 0; e < t->ne; e++) {
		switch (t->mark[e]) {
		case CELL_SHOWN:
			a->kl[e] = a->kh[e] = t->v[e];
			break;
		case CELL_PRIMARY:
			a->kl[e] = primary_above(t, e) ? 0 : 1;
			a->kh[e] = THR - 1;
			break;
		default:
			a->kl[e] = withheld(t) ? 0 : THR;
			a->kh[e] = INF;
		}
	}
	for (o = 0; o < t->ne; o++) {
		if (!inner(t, o))
			continue;
		if (t->mark[o] == CELL_SHOWN) {
			for (e = 0; e < t->ne; e++)
				if (under(t, o, e))
					a->fixed[e] += t->v[o];
			continue;
		}
		i = a->nv++;
		a->var[i] = o;
		a->vmin[i] = a->kl[o];
		a->vmax[i] = a->kh[o];
		for (e = 0; e < t->ne; e++)
			if (under(t, o, e)) {
				a->in[i * a->stride + a->nin[i]++] = e;
				if (a->kh[e] < a->vmax[i])
					a->vmax[i] = a->kh[e];
			}
		if (a->vmax[i] == INF)
			a->vmax[i] = t->v[o] + 8;
	}
}

static void
atk_free(struct atk *a)
{

	free(a->var);
	free(a->vmin);
	free(a->vmax);
	free(a->nin);
	free(a->in);
	free(a->kl);
	free(a->kh);
	free(a->fixed);
	free(a->asum);
	free(a->rmin);
	free(a->rmax);
}

/* Try value ${x} for var ${i}; undo unless a table was found. */
static bool dfs(struct atk *, size_t);

static bool
try(struct atk *a, size_t i, uint64_t x)
{
	size_t j, e;
	bool ok = true;

	for (j = 0; j < a->nin[i]; j++) {
		e = a->in[i * a->stride + j];
		a->asum[e] += x;
		a->rmin[e] -= a->vmin[i];
		a->rmax[e] -= a->vmax[i];
	}
	for (j = 0; j < a->nin[i] && ok; j++)
		ok = entry_ok(a, a->in[i * a->stride + j]);
	if (ok && dfs(a, i + 1))
		return (true);
	for (j = 0; j < a->nin[i]; j++) {
		e = a->in[i * a->stride + j];
		a->asum[e] -= x;
		a->rmin[e] += a->vmin[i];
		a->rmax[e] += a->vmax[i];
	}
	return (false);
}

static bool
dfs(struct atk *a, size_t i)
{
	uint64_t v, x, r;

	if (++a->nodes > BUDGET) {
		dump(a->t, "attacker over budget", a->target);
		fail();
	}
	if (i == a->nv)
		return (true);
	/* Any order is exhaustive; nearest the truth first finds one soon. */
	v = a->t->v[a->var[i]];
	for (r = 0; v + r <= a->vmax[i] || v >= a->vmin[i] + r; r++) {
		x = v + r;
		if (x >= a->vmin[i] && x <= a->vmax[i] && try(a, i, x))
			return (true);
		if (r > 0 && v >= r && (x = v - r) >= a->vmin[i] &&
		    x <= a->vmax[i] && try(a, i, x))
			return (true);
	}
	return (false);
}

/* Is there a table the reader cannot rule out with entry ${e} != its count? */
static bool
movable(struct atk *a, size_t e)
{
	size_t o, i;

	for (o = 0; o < a->t->ne; o++) {
		a->asum[o] = a->rmin[o] = a->rmax[o] = 0;
	}
	for (i = 0; i < a->nv; i++)
		for (o = 0; o < a->nin[i]; o++) {
			size_t en = a->in[i * a->stride + o];

			a->rmin[en] += a->vmin[i];
			a->rmax[en] = a->rmax[en] == INF ||
			    a->vmax[i] == INF ? INF : a->rmax[en] + a->vmax[i];
		}
	a->target = e;
	a->tv = e < a->t->ne ? a->t->v[e] : 0;
	a->nodes = 0;
	for (o = 0; o < a->t->ne; o++)
		if (!entry_ok(a, o))
			return (false);
	return (dfs(a, 0));
}

/* Every hidden entry of ${t} can have another value; returns how many. */
static size_t
attack(const struct tab *t)
{
	struct atk a;
	size_t e, hidden = 0;

	atk_init(&a, t);
	/* With no entry to move: the true table is one the reader allows. */
	if (!movable(&a, t->ne)) {
		dump(t, "the true table contradicts the marks", 0);
		fail();
	}
	for (e = 0; e < t->ne; e++) {
		if (t->mark[e] == CELL_SHOWN)
			continue;
		hidden++;
		if (!movable(&a, e)) {
			dump(t, "hidden entry can be worked out", e);
			fail();
		}
	}
	atk_free(&a);
	return (hidden);
}

/* Suppress ${t}, check the rule and let the attacker at it. */
static size_t
run(struct tab *t)
{

	memset(t->mark, 0xee, t->ne);
	assert_int_equal(suppress(t->ndim, t->n, t->v, t->mark, THR), 0);
	check_rule(t);
	return (attack(t));
}

/* The attacker is not a straw man: it does see through weak marks. */
static void
test_attacker_sees(void **state)
{
	static const size_t n2[] = { 2, 2 }, n1[] = { 3 };
	static const uint64_t c2[] = { 1, 7, 8, 9 }, c1[] = { 1, 0, 5 };
	static const size_t n3[] = { 2, 3, 2 }, shown3[] = { 0, 6, 7, 8, 12, 18,
	    19, 20, 24, 30, 31, 32 };
	static const uint64_t c3[] = { 0, 1, 3, 0, 0, 0, 0, 4, 2, 1, 0, 0 };
	struct tab t;
	struct atk a;
	size_t o, i;

	(void)state;
	/* Only the 1 hidden: the row total gives it away. */
	tab_of(&t, 2, n2, c2);
	t.mark[0] = CELL_PRIMARY;
	atk_init(&a, &t);
	assert_false(movable(&a, 0));
	atk_free(&a);
	tab_free(&t);
	/* A 1 and an "x" of 5 or more under a total of 6: the 1 is exact. */
	tab_of(&t, 1, n1, c1);
	t.mark[0] = CELL_PRIMARY;
	t.mark[2] = CELL_COMPLEMENT;
	atk_init(&a, &t);
	assert_false(movable(&a, 0));
	assert_false(movable(&a, 2));
	atk_free(&a);
	tab_free(&t);
	/*
	 * All but the zeros the rule shows hidden, and still the 4 at
	 * (1,0,1) is exact: why suppress() may hide a whole table.
	 */
	tab_of(&t, 3, n3, c3);
	for (o = 0; o < t.ne; o++)
		t.mark[o] = t.v[o] >= THR ? CELL_COMPLEMENT : CELL_PRIMARY;
	for (i = 0; i < sizeof(shown3) / sizeof(shown3[0]); i++)
		t.mark[shown3[i]] = CELL_SHOWN;
	atk_init(&a, &t);
	assert_int_equal(t.v[13], 4);
	assert_false(movable(&a, 13));
	atk_free(&a);
	tab_free(&t);
}

static void
test_two_by_two(void **state)
{
	static const size_t n[] = { 2, 2 };
	static const uint64_t c[] = { 1, 7, 8, 9 };
	struct tab t;

	(void)state;
	tab_of(&t, 2, n, c);
	assert_true(run(&t) >= 4);
	assert_int_equal(t.mark[0], CELL_PRIMARY);
	tab_free(&t);
}

/* One small cell in a row of large ones: its row and column hide more. */
static void
test_row_single_small(void **state)
{
	static const size_t n[] = { 3, 3 };
	static const uint64_t c[] = { 2, 9, 8, 7, 6, 10, 5, 11, 12 };
	struct tab t;
	size_t i, row = 0, col = 0;

	(void)state;
	tab_of(&t, 2, n, c);
	run(&t);
	for (i = 0; i <= 3; i++) {
		row += t.mark[i] != CELL_SHOWN;
		col += t.mark[i * 4] != CELL_SHOWN;
	}
	assert_true(row >= 2 && col >= 2);
	tab_free(&t);
}

/* A total of 1..4 is "<5", and so is every cell under it, zeros too. */
static void
test_small_total(void **state)
{
	static const size_t n1[] = { 3 }, n4[] = { 5 }, n2[] = { 2, 2 };
	static const uint64_t c1[] = { 1, 2, 0 }, c4[] = { 1, 1, 1, 1, 0 };
	static const uint64_t c2[] = { 0, 3, 0, 0 };
	struct tab t;
	size_t o;

	(void)state;
	tab_of(&t, 1, n1, c1);
	assert_int_equal(run(&t), 4);
	tab_free(&t);
	tab_of(&t, 1, n4, c4);
	assert_int_equal(run(&t), 6);
	tab_free(&t);
	/* The grand total is 3: the whole table reads "<5". */
	tab_of(&t, 2, n2, c2);
	run(&t);
	for (o = 0; o < t.ne; o++)
		assert_int_equal(t.mark[o], CELL_PRIMARY);
	tab_free(&t);
}

static void
test_nothing_small(void **state)
{
	static const size_t n2[] = { 3, 3 }, n3[] = { 2, 2, 2 };
	static const uint64_t z[9], big[] = { 5, 9, 30, 7, 6, 5, 12, 8, 100 };
	struct tab t;

	(void)state;
	tab_of(&t, 2, n2, z);
	assert_int_equal(run(&t), 0);
	tab_free(&t);
	tab_of(&t, 3, n3, z);
	assert_int_equal(run(&t), 0);
	tab_free(&t);
	tab_of(&t, 2, n2, big);
	assert_int_equal(run(&t), 0);
	tab_free(&t);
}

/* A list with its total: one small cell and one more, the cheapest. */
static void
test_list(void **state)
{
	static const size_t n[] = { 3 }, n1[] = { 1 };
	static const uint64_t c[] = { 7, 2, 9 }, c1[] = { 3 };
	struct tab t;

	(void)state;
	tab_of(&t, 1, n, c);
	assert_int_equal(run(&t), 2);
	assert_int_equal(t.mark[0], CELL_COMPLEMENT);
	assert_int_equal(t.mark[1], CELL_PRIMARY);
	assert_int_equal(t.mark[3], CELL_SHOWN);
	tab_free(&t);
	/* One value: it is the total, both "<5". */
	tab_of(&t, 1, n1, c1);
	assert_int_equal(run(&t), 2);
	tab_free(&t);
}

/*
 * 3-D tables where no two-slice change (a cycle in one slice, negated in
 * another) protects every entry: the wider search must; where a 0 cannot
 * be moved it is shown; where even with all hidden the marks pin a 4
 * (test_attacker_sees), the table is withheld.
 */
static void
test_three_d(void **state)
{
	static const size_t n222[] = { 2, 2, 2 }, n422[] = { 4, 2, 2 };
	static const size_t n232[] = { 2, 3, 2 };
	static const uint64_t c222[] = { 0, 1, 2, 3, 2, 3, 0, 7 };
	static const uint64_t c422[] = { 0, 2, 3, 0, 0, 0, 0, 0, 4, 1, 0, 0,
	    0, 1, 0, 0 };
	static const uint64_t c232[] = { 0, 1, 3, 0, 0, 0, 0, 4, 2, 1, 0, 0 };
	struct tab t;

	(void)state;
	tab_of(&t, 3, n222, c222);
	run(&t);
	tab_free(&t);
	tab_of(&t, 3, n422, c422);
	run(&t);
	assert_false(withheld(&t));
	/* The 0 at (2,1,1): hidden under "<5", no table moves it. */
	assert_int_equal(t.v[22], 0);
	assert_int_equal(t.mark[22], CELL_SHOWN);
	tab_free(&t);
	tab_of(&t, 3, n232, c232);
	run(&t);
	assert_true(withheld(&t));
	tab_free(&t);
}

/* No dimensions: the grand total alone. */
static void
test_total_alone(void **state)
{
	uint64_t v = 3;
	uint8_t m = 0xee;

	(void)state;
	assert_int_equal(suppress(0, NULL, &v, &m, THR), 0);
	assert_int_equal(m, CELL_PRIMARY);
	v = 5;
	assert_int_equal(suppress(0, NULL, &v, &m, THR), 0);
	assert_int_equal(m, CELL_SHOWN);
}

/*
 * Three kinds of table: many 0..6 and some larger; mostly large counts
 * with a few small ones; mostly zeros and small ones (the hardest).
 */
static uint64_t
draw(int kind)
{
	uint32_t r = rnd() % 100;

	switch (kind) {
	case 1:
		return (r < 10 ? 0 : r < 25 ? 1 + rnd() % 4 : 5 + rnd() % 40);
	case 2:
		return (r < 60 ? 0 : r < 90 ? 1 + rnd() % 4 : 5 + rnd() % 6);
	default:
		return (r < 35 ? 0 : r < 80 ? 1 + rnd() % 6 : 7 + rnd() % 25);
	}
}

static void
random_table(struct tab *t, size_t ndim, const size_t *n)
{
	int kind = (int)(rnd() % 3);
	size_t o;

	tab_new(t, ndim, n);
	for (o = 0; o < t->ne; o++)
		if (inner(t, o))
			t->v[o] = draw(kind);
	sums(t);
}

#define N1	2000
#define N2	5000
#define N3	3000

static void
test_random(void **state)
{
	struct tab t;
	size_t i, n[3], hidden = 0, tables = 0, nwith = 0;
	clock_t t0 = clock();

	(void)state;
	rng = SEED;
	for (i = 0; i < N1 + N2 + N3; i++) {
		if (i < N1) {
			n[0] = 1 + rnd() % 6;
			random_table(&t, 1, n);
		} else if (i < N1 + N2) {
			n[0] = 2 + rnd() % 3;
			n[1] = 2 + rnd() % 3;
			random_table(&t, 2, n);
		} else {
			n[0] = 2;
			n[1] = 2 + rnd() % 2;
			n[2] = 2 + rnd() % 2;
			random_table(&t, 3, n);
		}
		hidden += run(&t);
		tables++;
		nwith += withheld(&t);
		tab_free(&t);
	}
	printf("# %zu random tables (1-D %d, 2-D %d, 3-D %d), %zu hidden "
	    "entries, none worked out, %zu tables withheld; seed %u, %.1f s\n",
	    tables, N1, N2, N3, hidden, nwith, SEED,
	    (double)(clock() - t0) / CLOCKS_PER_SEC);
}

/*
 * Tables of the largest size a report makes: fast enough, the rule kept,
 * and no line of the extended table with exactly one hidden entry (that
 * one would be its line's total less the rest).
 */
static void
big(size_t ndim, const size_t *n, int kind)
{
	struct tab t;
	size_t o, d, ix[3], k, hidden, base;
	clock_t t0;

	tab_new(&t, ndim, n);
	for (o = 0; o < t.ne; o++)
		if (inner(&t, o))
			t.v[o] = draw(kind);
	sums(&t);
	t0 = clock();
	assert_int_equal(suppress(ndim, n, t.v, t.mark, THR), 0);
	printf("# %zu-D %zux%zux%zu: %.2f s, %zu hidden of %zu\n", ndim, n[0],
	    ndim > 1 ? n[1] : 1, ndim > 2 ? n[2] : 1,
	    (double)(clock() - t0) / CLOCKS_PER_SEC, check_rule(&t), t.ne);
	for (o = 0; o < t.ne; o++) {
		decode(&t, o, ix);
		for (d = 0; d < ndim; d++) {
			size_t stride = 1, e;

			if (ix[d] != 0)
				continue;	/* Each line once, from index 0. */
			for (e = d + 1; e < ndim; e++)
				stride *= t.n[e] + 1;
			base = o;
			hidden = 0;
			for (k = 0; k <= t.n[d]; k++)
				hidden += t.mark[base + k * stride] !=
				    CELL_SHOWN;
			if (hidden == 1)
				dump(&t, "a line with one hidden entry", o),
				    fail();
		}
	}
	tab_free(&t);
}

static void
test_big(void **state)
{
	static const size_t n2[] = { 40, 40 }, n3[] = { 12, 12, 12 };
	static const size_t n1[] = { 200 };

	(void)state;
	rng = SEED ^ 0x5bd1e995u;
	big(2, n2, 0);
	big(2, n2, 1);
	big(2, n2, 2);
	big(3, n3, 0);
	big(3, n3, 1);
	big(3, n3, 2);
	big(1, n1, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_attacker_sees),
		cmocka_unit_test(test_two_by_two),
		cmocka_unit_test(test_row_single_small),
		cmocka_unit_test(test_small_total),
		cmocka_unit_test(test_nothing_small),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_three_d),
		cmocka_unit_test(test_total_alone),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_big),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
