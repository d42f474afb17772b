/*
 * replay.c: a slot's market played again from its orders, the one check
 * of a clearing made before (contract-sign, ledger-verify) and the way
 * clear counts a slot's contracts against the later slots of its day.
 */
#include <stdlib.h>
#include <string.h>

#include "market.h"

/* The book filtered and cleared (dk_replay's first half). */
static int
clear_book(struct dk_replay *rp, struct dk_order *o, size_t n, int64_t slot,
    const struct dk_state *st, const struct dk_rules *r, struct dk_err *e)
{
	char why[DK_REJECT_MAX];

	memset(rp, 0, sizeof(*rp));
	why[0] = '\0';
	rp->n = dk_book_filter(o, n, st, dk_reject_first, why);
	if (rp->n == (size_t)-1)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	if (rp->n != n) {
		dk_fail(e, DK_EX_DATAERR, "the book was refused: %s", why);
		return 1;
	}
	rp->book = o;
	return dk_clear(o, n, slot, r, &rp->cl, e) < 0 ? -1 : 0;
}

/* The clearing's records; given: the trades of the records when they
 * are the clearing's, byte for byte (then taken as they are, not read
 * back from their text), else NULL. */
static int
records(struct dk_replay *rp, json_t *given, const struct dk_rules *r,
    struct dk_err *e)
{
	json_t *x, *extra = NULL;
	size_t i;

	rp->trades = given != NULL ? json_incref(given) : json_array();
	rp->contracts = json_array();
	rp->clearing = dk_clearing_json(&rp->cl, r);
	if (rp->trades == NULL || rp->contracts == NULL ||
	    rp->clearing == NULL || (rp->cl.nt > 0 &&
	    (extra = dk_contract_extra(r)) == NULL))
		goto oom;
	for (i = 0; i < rp->cl.nt; i++) {
		if (given != NULL)
			x = json_array_get(given, i);
		else if ((x = dk_trade_json(&rp->cl, rp->book, &rp->cl.t[i],
		    r)) == NULL || json_array_append_new(rp->trades, x) < 0)
			goto oom;
		if (json_array_append_new(rp->contracts,
		    dk_contract_with(x, extra)) < 0)
			goto oom;
	}
	json_decref(extra);
	return 0;
oom:
	json_decref(extra);
	dk_replay_free(rp);
	return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
}

/*
 * Filters the book (o, n: one slot's, rearranged in place) and clears it
 * under the state's limits and the rules r; fills rp with the clearing,
 * its records, and the book as cleared (rp->book, rp->n: o, in id
 * order).  Returns 0; 1 when the filter refuses an order, e saying why
 * (status 65); -1 on another failure.
 */
int
dk_replay(struct dk_replay *rp, struct dk_order *o, size_t n, int64_t slot,
    const struct dk_state *st, const struct dk_rules *r, struct dk_err *e)
{
	int rc = clear_book(rp, o, n, slot, st, r, e);

	return rc != 0 ? rc : records(rp, NULL, r, e);
}

/* The same beside the trades recorded (trades, and lines: the line each
 * was read from, or NULL): when every line is the replay's trade byte
 * for byte, the replay takes the recorded trades as its own rather than
 * reading its text back (dk_replay_match then finds them the same). */
int
dk_replay_given(struct dk_replay *rp, struct dk_order *o, size_t n,
    int64_t slot, const struct dk_state *st, const struct dk_rules *r,
    json_t *trades, const struct dk_span *lines, struct dk_err *e)
{
	int rc = clear_book(rp, o, n, slot, st, r, e);
	char ts[40];
	size_t i;

	if (rc != 0)
		return rc;
	if (lines == NULL || json_array_size(trades) != rp->cl.nt ||
	    dk_time_format(rp->cl.slot, r->tz, ts, sizeof(ts)) < 0)
		return records(rp, NULL, r, e);
	for (i = 0; i < rp->cl.nt; i++)
		if (lines[i].s == NULL || !dk_trade_is(lines[i].s, lines[i].n,
		    ts, o, &rp->cl.t[i], r))
			return records(rp, NULL, r, e);
	return records(rp, trades, r, e);
}

/* The recorded trades (an array, in order) and clearing of a slot must be
 * those of the replay, byte for byte (status 65 when not). */
int
dk_replay_match(const struct dk_replay *rp, json_t *trades, json_t *clearing,
    struct dk_err *e)
{
	size_t i, n = json_array_size(trades);
	json_t *x;

	if (json_array_size(rp->trades) != n)
		return dk_fail(e, DK_EX_DATAERR, "%zu trades given, the market "
		    "makes %zu", n, json_array_size(rp->trades));
	json_array_foreach(rp->trades, i, x)
		if (!json_equal(x, json_array_get(trades, i)))
			return dk_fail(e, DK_EX_DATAERR, "trade %zu: %s differs "
			    "from a replay of the market", i + 1,
			    dk_first_diff(x, json_array_get(trades, i)));
	if (!json_equal(rp->clearing, clearing))
		return dk_fail(e, DK_EX_DATAERR, "clearing: %s differs from a "
		    "replay of the market", dk_first_diff(rp->clearing,
		    clearing));
	return 0;
}

/* The slot cleared and its contracts made, in the state. */
int
dk_replay_apply(const struct dk_replay *rp, struct dk_state *st,
    struct dk_err *e)
{
	size_t i;
	json_t *x;

	if (dk_state_apply(st, 0, 0, rp->clearing, e) < 0)
		return -1;
	json_array_foreach(rp->contracts, i, x)
		if (dk_state_apply(st, 0, 0, x, e) < 0)
			return -1;
	return 0;
}

void
dk_replay_free(struct dk_replay *rp)
{
	dk_clearing_free(&rp->cl);
	json_decref(rp->clearing);
	json_decref(rp->trades);
	json_decref(rp->contracts);
	rp->clearing = rp->trades = rp->contracts = NULL;
}
