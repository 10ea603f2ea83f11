/*
 * suppress.c: small-cell suppression of a report's extended table
 * (issue 15), so that no published table tells a reader, exactly, a count
 * from 1 to threshold-1 (1 to 4 with REPORT_THRESHOLD 5).
 *
 * The rule.  An "entry" is any number the table publishes: an inner cell
 * or a margin (row, column, layer totals, the planes and lines of totals
 * of a 3-D table, the grand total).
 *
 *  1. Primary, printed "<5": every entry from 1 to threshold-1, margins
 *     included, since totals are published too.
 *  2. Zeros are published as 0, the usual practice, with one exception:
 *     a 0 that lies under a margin of step 1 (in a line whose total is
 *     "<5") is "<5" too, unless one of its own margins is a 0 that is
 *     shown (then it is plainly 0 anyway).  Without this the line
 *     "<5 <5 <5 <5 0 0 | <5" would tell that each "<5" is exactly 1: four
 *     cells of at least 1 under a total of at most 4.  (Such a 0 that no
 *     change below can move is shown after all: it would be read as 0
 *     anyway, and nothing else rested on it.)
 *  3. Complementary, printed "x": entries of threshold or more, never a 0
 *     and never one of 1..threshold-1 (those are all primary), chosen so
 *     that every hidden entry can change: for each there is another
 *     table, equal to the published one in every shown entry and agreeing
 *     with every mark, in which that entry has another value.  Of the
 *     ways found the one hiding least (the sum of count + threshold over
 *     the entries newly hidden: few and small ones) is taken, hidden entry
 *     by hidden entry.  If that fails for some entry, every nonzero entry
 *     is hidden and it is tried again.
 *  4. If even then some nonzero entry is exposed (the marks themselves
 *     pin it: rare, in small 3-D tables of mostly zeros and small counts;
 *     test_suppress has one), the table is withheld: every entry "x".
 *     Steps 1-3 never make a whole table "x", so a reader can tell.
 *
 * What a reader (an attacker) knows, and what this protects against: every
 * shown entry exactly (zeros too); that entries are sums along every line;
 * that a "<5" is 1..threshold-1, or 0..threshold-1 when one of its margins
 * is also "<5" (step 2); that an "x" is at least threshold, except in a
 * withheld table, where it says nothing.  tests/unit/test_suppress.c is
 * such an attacker, an exact search written apart from this file.
 *
 * How it is proved, per hidden entry: by a witness, a second table found
 * and checked, so nothing is marked protected that is not.  Lay the
 * extended table out with a sign, minus once for each index that is a
 * total; then every line, totals included, sums to zero, and a change
 * keeping every line sum zero keeps every published relation.  The
 * witnesses sought first are the "two-slice" changes: two slices of the
 * table along one dimension, a cycle of the bipartite graph of the other
 * two dimensions (+1, -1, +1, ... along it) in the first slice and the
 * same cycle negated in the second, each entry on it hidden and still
 * within what a reader knows of it after the change.  A 1-D or 2-D table
 * is padded to 3-D with dimensions of one value (whose "total" is the
 * same number); there, any second table decomposes into such cycles (the
 * constraints form a network), so the search finds a witness whenever
 * one exists.  The cheapest cycle is found by Dijkstra, each entry costing
 * 0 if hidden and count + threshold if it would have to be.  For 3-D
 * there are changes of other shapes, so an entry with no two-slice way is
 * given a wider search: depth first over changes of -2..+2 to the hidden
 * inner cells, the margins following, within a budget of steps (and may
 * then be hidden more than strictly needed, never less).  Protection only
 * grows as entries are hidden, so one pass over the hidden entries does.
 *
 * Cost: a two-slice search is O(sum over dimensions d of n_d * (n_a +
 * n_b)^2), once per hidden entry: 40x40 or 12x12x12 take milliseconds.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/report/report.h"
#include "agent/report/suppress.h"

#define NOWAY	UINT64_MAX	/* An entry that cannot move that way. */

/* One edge of a cycle: entry (u, w) of the slices, moved by sg in the first. */
struct step {
	size_t		u, w;
	int		sg;
};

/* Two slices along dimension d, the graph over dimensions a and b. */
struct pair {
	int		d, a, b;
	size_t		k, k2;
};

/*
 * The witness of last resort, for what two-slice changes miss in 3-D: a
 * depth-first search for changes of -2 to +2 to the hidden inner cells
 * (the margins follow) that every entry allows and that move the target,
 * within WIT_BUDGET steps (a twentieth for a hidden 0, which is shown if
 * unmoved; a hundred times once all is hidden), WIT_TOTAL for a table.
 */
#define WIT_BUDGET	200000
#define WIT_TOTAL	(500 * WIT_BUDGET)	/* For one table, ~1 s. */

struct wit {
	size_t		nv;
	size_t		*var;		/* Offsets of hidden inner cells. */
	int		*vlo, *vhi;
	size_t		*in, nin;	/* Entries var i counts in: nin each. */
	int64_t		*elo, *ehi;	/* Changes each entry allows. */
	int64_t		*asum, *rlo, *rhi;
	size_t		*key;		/* Indices apart from the target. */
	size_t		target;
	unsigned long	steps, budget;
};

struct sup {
	size_t		ndim;
	const size_t	*n;
	size_t		N[3];		/* Values per dimension, padded with 1s. */
	size_t		ne;		/* Entries of the extended table. */
	const uint64_t	*v;
	uint8_t		*mark;
	uint64_t	thr;
	uint64_t	*lo, *hi;	/* What a reader knows of hidden ones. */
	bool		*safe;		/* Has a witness. */
	/* Scratch of one search, sized for the largest slice graph. */
	uint64_t	*dist;
	size_t		*prev;
	bool		*done;
	struct step	*path, *best;
	size_t		npath, nbest;
	struct pair	bestpair;
	struct wit	*wit;		/* The last resort's, made when needed. */
	bool		last;		/* All is hidden: search longer. */
	unsigned long	left;		/* Steps the wider search may take. */
};

/* The offset of padded coordinates ${p} in the caller's layout. */
static size_t
orig(const struct sup *s, const size_t p[3])
{
	size_t d, o = 0;

	for (d = 0; d < s->ndim; d++)
		o = o * (s->n[d] + 1) + p[d];
	return (o);
}

/* The coordinates of offset ${o}, padded dimensions at 0. */
static void
coords(const struct sup *s, size_t o, size_t p[3])
{
	size_t d;

	p[0] = p[1] = p[2] = 0;
	for (d = s->ndim; d-- > 0; ) {
		p[d] = o % (s->n[d] + 1);
		o /= s->n[d] + 1;
	}
}

/* Minus once per total index: with it every line sums to zero. */
static int
zsign(const struct sup *s, const size_t p[3])
{
	int d, sg = 1;

	for (d = 0; d < 3; d++)
		if (p[d] == s->N[d])
			sg = -sg;
	return (sg);
}

/* Entry ${o} and every margin that sums it, into ${up}; how many. */
static size_t
ups(const struct sup *s, size_t o, size_t up[8])
{
	size_t p[3], q[3], d, m, nf = 0, fd[3];

	coords(s, o, p);
	for (d = 0; d < s->ndim; d++)
		if (p[d] < s->n[d])
			fd[nf++] = d;
	for (m = 0; m < ((size_t)1 << nf); m++) {
		memcpy(q, p, sizeof(q));
		for (d = 0; d < nf; d++)
			if (m & ((size_t)1 << d))
				q[fd[d]] = s->n[fd[d]];
		up[m] = orig(s, q);
	}
	return (m);
}

/*
 * The cost of moving padded entry ${p} by ${dz} in the signed layout: 0 if
 * hidden and a reader would believe the new value, count + threshold if
 * it is shown and would stay believable hidden as a complement (>=
 * threshold), NOWAY otherwise (shown zeros are never complements).
 */
static uint64_t
step_cost(const struct sup *s, const size_t p[3], int dz)
{
	size_t o = orig(s, p);
	uint64_t x = s->v[o];
	int dx = dz * zsign(s, p);

	if (s->mark[o] != CELL_SHOWN) {
		if (dx > 0 ? x >= s->hi[o] : x <= s->lo[o])
			return (NOWAY);
		return (0);
	}
	if (x < s->thr || (dx < 0 && x == s->thr))
		return (NOWAY);
	return (x + s->thr);
}

static void
at(const struct pair *pr, size_t k, size_t u, size_t w, size_t q[3])
{

	q[pr->d] = k;
	q[pr->a] = u;
	q[pr->b] = w;
}

/* Entry (u, w) moved by sg in the first slice and by -sg in the second. */
static uint64_t
edge_cost(const struct sup *s, const struct pair *pr, size_t u, size_t w,
    int sg)
{
	size_t q[3], q2[3];
	uint64_t c, c2;

	at(pr, pr->k, u, w, q);
	at(pr, pr->k2, u, w, q2);
	if ((c = step_cost(s, q, sg)) == NOWAY ||
	    (c2 = step_cost(s, q2, -sg)) == NOWAY)
		return (NOWAY);
	/* Along a padded dimension both slices hold the same number. */
	if (orig(s, q) == orig(s, q2))
		return (c);
	return (c + c2);
}

/*
 * The cheapest path from node ${src} to ${dst} of the slice graph (rows
 * 0..A-1 of dimension a, then columns of b), arcs row->column moving an
 * entry +1, column->row -1, never through entry (ut, wt); into s->path.
 */
static uint64_t
shortest(struct sup *s, const struct pair *pr, size_t src, size_t dst,
    size_t ut, size_t wt)
{
	size_t A = s->N[pr->a] + 1, B = s->N[pr->b] + 1, V = A + B;
	size_t i, x, y;
	uint64_t c, dmin;

	for (i = 0; i < V; i++) {
		s->dist[i] = NOWAY;
		s->done[i] = false;
	}
	s->dist[src] = 0;
	for (;;) {
		dmin = NOWAY;
		x = V;
		for (i = 0; i < V; i++)
			if (!s->done[i] && s->dist[i] < dmin) {
				dmin = s->dist[i];
				x = i;
			}
		if (x == V || x == dst)
			break;
		s->done[x] = true;
		for (i = 0; i < (x < A ? B : A); i++) {
			size_t u = x < A ? x : i, w = x < A ? i : x - A;

			if (u == ut && w == wt)
				continue;
			y = x < A ? A + w : u;
			if (s->done[y] ||
			    (c = edge_cost(s, pr, u, w, x < A ? 1 : -1)) ==
			    NOWAY || dmin + c >= s->dist[y])
				continue;
			s->dist[y] = dmin + c;
			s->prev[y] = x;
		}
	}
	if (s->dist[dst] == NOWAY)
		return (NOWAY);
	s->npath = 0;
	for (y = dst; y != src; y = x) {
		x = s->prev[y];
		if (x < A)
			s->path[s->npath++] = (struct step){ x, y - A, 1 };
		else
			s->path[s->npath++] = (struct step){ y, x - A, -1 };
	}
	return (s->dist[dst]);
}

/*
 * The cheapest two-slice cycle through hidden entry ${t} into s->best;
 * NOWAY if there is none even hiding every entry that may be hidden.
 */
static uint64_t
search(struct sup *s, size_t t)
{
	uint64_t best = NOWAY, c0, c;
	size_t p[3], A, src, dst;
	struct pair pr;
	int d, sg;

	coords(s, t, p);
	for (d = 0; d < 3; d++) {
		pr.d = d;
		pr.a = d == 0 ? 1 : 0;
		pr.b = d == 2 ? 1 : 2;
		pr.k = p[d];
		A = s->N[pr.a] + 1;
		for (pr.k2 = 0; pr.k2 <= s->N[d]; pr.k2++) {
			if (pr.k2 == pr.k)
				continue;
			for (sg = 1; sg >= -1; sg -= 2) {
				c0 = edge_cost(s, &pr, p[pr.a], p[pr.b], sg);
				if (c0 == NOWAY || c0 >= best)
					continue;
				/* The way back closes the cycle. */
				src = sg > 0 ? A + p[pr.b] : p[pr.a];
				dst = sg > 0 ? p[pr.a] : A + p[pr.b];
				c = shortest(s, &pr, src, dst, p[pr.a],
				    p[pr.b]);
				if (c == NOWAY || c0 + c >= best)
					continue;
				best = c0 + c;
				memcpy(s->best, s->path,
				    s->npath * sizeof(*s->path));
				s->nbest = s->npath;
				s->best[s->nbest++] =
				    (struct step){ p[pr.a], p[pr.b], sg };
				s->bestpair = pr;
				if (best == 0)
					return (0);
			}
		}
	}
	return (best);
}

static void
hide(struct sup *s, size_t o)
{

	if (s->mark[o] == CELL_SHOWN) {
		s->mark[o] = CELL_COMPLEMENT;
		s->lo[o] = s->thr;
		s->hi[o] = NOWAY;
	}
	s->safe[o] = true;
}

/* Hide what the cycle in s->best needs; all of it is then protected. */
static void
apply(struct sup *s)
{
	const struct pair *pr = &s->bestpair;
	size_t i, q[3];

	for (i = 0; i < s->nbest; i++) {
		at(pr, pr->k, s->best[i].u, s->best[i].w, q);
		hide(s, orig(s, q));
		at(pr, pr->k2, s->best[i].u, s->best[i].w, q);
		hide(s, orig(s, q));
	}
}

static bool
wit_ok(const struct wit *w, size_t e)
{
	int64_t lo = w->asum[e] + w->rlo[e], hi = w->asum[e] + w->rhi[e];

	if (lo > w->ehi[e] || hi < w->elo[e])
		return (false);
	return (e != w->target || lo != 0 || hi != 0);
}

static bool wit_dfs(struct wit *, size_t);

/* Var ${i} changed by ${x}; kept if the rest can follow. */
static bool
wit_try(struct wit *w, size_t i, int x)
{
	size_t j, *in = w->in + i * w->nin;
	bool ok = true;

	for (j = 0; j < w->nin; j++) {
		w->asum[in[j]] += x;
		w->rlo[in[j]] -= w->vlo[i];
		w->rhi[in[j]] -= w->vhi[i];
	}
	for (j = 0; j < w->nin && ok; j++)
		ok = wit_ok(w, in[j]);
	if (ok && wit_dfs(w, i + 1))
		return (true);
	for (j = 0; j < w->nin; j++) {
		w->asum[in[j]] -= x;
		w->rlo[in[j]] += w->vlo[i];
		w->rhi[in[j]] += w->vhi[i];
	}
	return (false);
}

static bool
wit_dfs(struct wit *w, size_t i)
{
	static const int first[] = { 1, -1, 0, 2, -2 };
	static const int later[] = { 0, 1, -1, 2, -2 };
	const int *order = w->key[w->var[i]] == 0 ? first : later;
	size_t k;

	if (i == w->nv)
		return (true);
	if (++w->steps > w->budget)
		return (false);
	for (k = 0; k < 5; k++)
		if (order[k] >= w->vlo[i] && order[k] <= w->vhi[i] &&
		    wit_try(w, i, order[k]))
			return (true);
	return (false);
}

static void
wit_free(struct wit *w)
{

	if (w == NULL)
		return;
	free(w->var);
	free(w->vlo);
	free(w->vhi);
	free(w->in);
	free(w->elo);
	free(w->ehi);
	free(w->asum);
	free(w->rlo);
	free(w->rhi);
	free(w->key);
	free(w);
}

static struct wit *
wit_new(const struct sup *s)
{
	struct wit *w;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return (NULL);
	w->nin = (size_t)1 << s->ndim;
	if ((w->var = calloc(s->ne, sizeof(*w->var))) == NULL ||
	    (w->vlo = calloc(s->ne, sizeof(*w->vlo))) == NULL ||
	    (w->vhi = calloc(s->ne, sizeof(*w->vhi))) == NULL ||
	    (w->in = calloc(s->ne * w->nin, sizeof(*w->in))) == NULL ||
	    (w->elo = calloc(s->ne, sizeof(*w->elo))) == NULL ||
	    (w->ehi = calloc(s->ne, sizeof(*w->ehi))) == NULL ||
	    (w->asum = calloc(s->ne, sizeof(*w->asum))) == NULL ||
	    (w->rlo = calloc(s->ne, sizeof(*w->rlo))) == NULL ||
	    (w->rhi = calloc(s->ne, sizeof(*w->rhi))) == NULL ||
	    (w->key = calloc(s->ne, sizeof(*w->key))) == NULL) {
		wit_free(w);
		return (NULL);
	}
	return (w);
}

/*
 * The last resort for hidden entry ${t}: 1 if a witness was found, the
 * entries it moves then safe (and hidden, those shown when ${hiding}
 * allows moving them as complements), 0 if not, -1 out of memory.
 */
static int
witness(struct sup *s, size_t t, bool hiding)
{
	struct wit *w;
	size_t o, i, j, k, pt[3], p[3], up[8];
	int64_t big = (int64_t)s->ne + 1;
	bool r;

	if (s->wit == NULL && (s->wit = wit_new(s)) == NULL)
		return (-1);
	w = s->wit;
	coords(s, t, pt);
	w->nv = 0;
	w->target = t;
	w->steps = 0;
	w->budget = s->v[t] == 0 ? WIT_BUDGET / 20 : s->last ?
	    100 * WIT_BUDGET : WIT_BUDGET;
	if (w->budget > s->left)
		w->budget = s->left;
	for (o = 0; o < s->ne; o++) {
		w->asum[o] = w->rlo[o] = w->rhi[o] = 0;
		if (s->mark[o] == CELL_SHOWN && (!hiding || s->v[o] < s->thr))
			w->elo[o] = w->ehi[o] = 0;
		else if (s->mark[o] == CELL_SHOWN) {
			/* Would be hidden as a complement if it moves. */
			w->elo[o] = -(int64_t)(s->v[o] - s->thr);
			w->ehi[o] = big;
		} else {
			w->elo[o] = -(int64_t)(s->v[o] - s->lo[o]);
			w->ehi[o] = s->hi[o] - s->v[o] > (uint64_t)big ? big :
			    (int64_t)(s->hi[o] - s->v[o]);
		}
		/* How far from the target: its own cells first. */
		coords(s, o, p);
		w->key[o] = 0;
		for (i = 0; i < s->ndim; i++) {
			if (p[i] == s->n[i])
				w->key[o] = s->ne;	/* Not a cell. */
			else if (pt[i] != s->n[i] && p[i] != pt[i])
				w->key[o]++;
		}
		if ((w->elo[o] != 0 || w->ehi[o] != 0) && w->key[o] < s->ne)
			w->var[w->nv++] = o;
	}
	/* Insertion sort by key, stable: a few hundred cells at most. */
	for (i = 1; i < w->nv; i++)
		for (j = i; j > 0 && w->key[w->var[j - 1]] >
		    w->key[w->var[j]]; j--) {
			o = w->var[j];
			w->var[j] = w->var[j - 1];
			w->var[j - 1] = o;
		}
	for (i = 0; i < w->nv; i++) {
		o = w->var[i];
		w->vlo[i] = w->elo[o] < -2 ? -2 : (int)w->elo[o];
		w->vhi[i] = w->ehi[o] > 2 ? 2 : (int)w->ehi[o];
		k = ups(s, o, up);
		for (j = 0; j < k; j++) {
			w->in[i * w->nin + j] = up[j];
			w->rlo[up[j]] += w->vlo[i];
			w->rhi[up[j]] += w->vhi[i];
		}
	}
	r = wit_ok(w, t) && wit_dfs(w, 0);
	s->left -= w->steps < s->left ? w->steps : s->left;
	if (!r)
		return (0);
	for (o = 0; o < s->ne; o++)
		if (w->asum[o] != 0)
			hide(s, o);
	return (1);
}

/*
 * Give every hidden entry a witness: 0, 1 if some nonzero one could not
 * have one, -1 out of memory.
 */
static int
protect(struct sup *s)
{
	uint64_t c;
	size_t o;
	int pass, r, rc = 0;

	/*
	 * Nonzero entries first, their witnesses moving many zeros too; a
	 * hidden 0 is worth no more hiding (left unmoved it is shown).
	 */
	for (pass = 0; pass < 2; pass++)
		for (o = 0; o < s->ne; o++) {
			if (s->mark[o] == CELL_SHOWN || s->safe[o] ||
			    (s->v[o] == 0) != (pass == 1))
				continue;
			if ((c = search(s, o)) == 0) {
				apply(s);
				continue;
			}
			/* No free two-slice way: a wider change. */
			if (c == NOWAY || pass == 1) {
				if ((r = witness(s, o, false)) == 0 &&
				    pass == 0)
					r = witness(s, o, true);
				if (r < 0)
					return (-1);
				if (r > 0)
					continue;
			}
			if (pass == 1)
				continue;
			if (c != NOWAY)
				apply(s);
			else
				rc = 1;
		}
	return (rc);
}

/*
 * Whether entry ${o} has a margin (an entry summing it) marked primary,
 * and one that is a shown zero.
 */
static void
margins(const struct sup *s, size_t o, bool *primary, bool *zero)
{
	size_t up[8], i, k;

	*primary = *zero = false;
	k = ups(s, o, up);
	for (i = 1; i < k; i++) {
		if (s->mark[up[i]] == CELL_PRIMARY)
			*primary = true;
		if (s->mark[up[i]] == CELL_SHOWN && s->v[up[i]] == 0)
			*zero = true;
	}
}

/* How many of entry ${o}'s indices are totals. */
static size_t
level(const struct sup *s, size_t o)
{
	size_t p[3], d, l = 0;

	coords(s, o, p);
	for (d = 0; d < s->ndim; d++)
		l += p[d] == s->n[d];
	return (l);
}

/* Steps 1 and 2 of the rule, and what a reader knows of each entry. */
static bool
primaries(struct sup *s)
{
	bool any = false, pm, zm;
	size_t o, l;

	for (o = 0; o < s->ne; o++)
		if (s->v[o] >= 1 && s->v[o] < s->thr) {
			s->mark[o] = CELL_PRIMARY;
			any = true;
		}
	if (!any)
		return (false);
	/* Margins first: a zero's own margins are decided before it. */
	for (l = s->ndim + 1; l-- > 0; )
		for (o = 0; o < s->ne; o++) {
			if (s->v[o] != 0 || level(s, o) != l)
				continue;
			margins(s, o, &pm, &zm);
			if (pm && !zm)
				s->mark[o] = CELL_PRIMARY;
		}
	for (o = 0; o < s->ne; o++) {
		if (s->mark[o] != CELL_PRIMARY)
			continue;
		margins(s, o, &pm, &zm);
		s->lo[o] = pm ? 0 : 1;
		s->hi[o] = s->thr - 1;
	}
	return (true);
}

static void
sup_free(struct sup *s)
{

	free(s->lo);
	free(s->hi);
	free(s->safe);
	free(s->dist);
	free(s->prev);
	free(s->done);
	free(s->path);
	free(s->best);
	wit_free(s->wit);
}

int
suppress(size_t ndim, const size_t *n, const uint64_t *count, uint8_t *mark,
    unsigned threshold)
{
	struct sup s;
	size_t d, V = 0;
	int r, rc = 0;

	memset(&s, 0, sizeof(s));
	s.ndim = ndim < 3 ? ndim : 3;
	s.n = n;
	s.v = count;
	s.mark = mark;
	s.thr = threshold;
	s.left = WIT_TOTAL;
	s.ne = 1;
	for (d = 0; d < 3; d++) {
		s.N[d] = d < s.ndim ? n[d] : 1;
		if (d < s.ndim)
			s.ne *= n[d] + 1;
		if (s.N[d] + 1 > V)
			V = s.N[d] + 1;
	}
	V *= 2;
	memset(mark, CELL_SHOWN, s.ne);
	/* Below 2 nothing is small; a grand total alone has no relations. */
	if (threshold < 2)
		return (0);
	if ((s.lo = calloc(s.ne, sizeof(*s.lo))) == NULL ||
	    (s.hi = calloc(s.ne, sizeof(*s.hi))) == NULL ||
	    (s.safe = calloc(s.ne, sizeof(*s.safe))) == NULL ||
	    (s.dist = calloc(V, sizeof(*s.dist))) == NULL ||
	    (s.prev = calloc(V, sizeof(*s.prev))) == NULL ||
	    (s.done = calloc(V, sizeof(*s.done))) == NULL ||
	    (s.path = calloc(V + 1, sizeof(*s.path))) == NULL ||
	    (s.best = calloc(V + 1, sizeof(*s.best))) == NULL) {
		rc = -1;
		goto out;
	}
	if (!primaries(&s) || s.ndim == 0)
		goto out;
	if ((r = protect(&s)) > 0) {
		/* The most the rule allows: every nonzero entry hidden. */
		for (d = 0; d < s.ne; d++)
			if (mark[d] == CELL_SHOWN && count[d] >= s.thr) {
				mark[d] = CELL_COMPLEMENT;
				s.lo[d] = s.thr;
				s.hi[d] = NOWAY;
			}
		s.last = true;
		r = protect(&s);
	}
	if (r > 0) {
		/*
		 * Still exposed, whatever the rule hides: "<5" and "x" alone
		 * tell too much.  Withhold the table: every entry "x", which
		 * the rule never makes of a whole table otherwise.
		 */
		memset(mark, CELL_COMPLEMENT, s.ne);
		goto out;
	}
	/*
	 * A 0 hidden under a "<5" that no change moves would be read as 0
	 * anyway: show it.  No witness moved it (or one would have made it
	 * safe), so every witness stands, and the 0s under it go with it.
	 */
	for (d = 0; d < s.ne; d++)
		if (mark[d] == CELL_PRIMARY && count[d] == 0 && !s.safe[d])
			mark[d] = CELL_SHOWN;
	if (r < 0)
		rc = -1;
out:
	sup_free(&s);
	return (rc);
}
