/*
 * strategy.c: denki-bid's price strategy (bid.strategy): the fixed markup,
 * the linear ramp of Grid Singularity's gsy-e template agents, or a price
 * learnt from its memory of clearings and settlements (strategy-mem.c).
 */
#include <stdlib.h>
#include <string.h>

#include "meter.h"

/* bid.* of the strategy; the memory's tables added to db. */
int
dk_strategy_open(struct dk_strategy *s, const struct dk_conf *conf,
    struct dk_db *db, struct dk_err *e)
{
	const char *where = conf->path ? conf->path : "config";
	const char *k = dk_conf_str(conf, "bid.strategy", "fixed");
	struct dk_key op;
	char *pub;
	int rc;

	if (strcmp(k, "fixed") == 0)
		s->kind = DK_STRAT_FIXED;
	else if (strcmp(k, "ramp") == 0)
		s->kind = DK_STRAT_RAMP;
	else if (strcmp(k, "learn") == 0)
		s->kind = DK_STRAT_LEARN;
	else
		return dk_fail(e, DK_EX_CONFIG, "%s: bid.strategy: must be "
		    "fixed, ramp or learn, got \"%s\"", where, k);
	if (dk_conf_int(conf, "bid.risk", 25, 0, 100, &s->risk, e) < 0 ||
	    dk_conf_int(conf, "bid.ramp_slots", 48, 1, 1440, &s->ramp_slots,
	    e) < 0 ||
	    dk_conf_int(conf, "bid.learn_days", 28, 1, 366, &s->learn_days,
	    e) < 0)
		return -1;
	if (dk_conf_str(conf, "bid.ledger", NULL) != NULL &&
	    (s->ledger = dk_conf_path(conf, "bid.ledger", NULL)) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	if (dk_conf_str(conf, "bid.operator_pub", NULL) != NULL) {
		if ((pub = dk_conf_path(conf, "bid.operator_pub", NULL)) ==
		    NULL)
			return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		rc = dk_key_read_pub(&op, pub, e);
		free(pub);
		if (rc < 0)
			return -1;
		memcpy(s->opk, op.pk, 32);
		s->have_opk = 1;
	}
	return dk_mem_migrate(db, e);
}

void
dk_strategy_free(struct dk_strategy *s)
{
	free(s->ledger);
	s->ledger = NULL;
}

/*
 * gsy-e's template agents (update_frequency.py): a rate starts at
 * initial and moves by (initial - final) / updates at each update, never
 * past final.  Here an update is a slot: the order for a slot that starts
 * ahead slots from now has had updates - min(ahead - 1, updates) of them.
 * A seller starts at top and ends at buyback, a buyer the other way.
 */
int
dk_ramp_price(int sell, int64_t top, int64_t buyback, long long ahead,
    long long updates, int64_t *price, struct dk_err *e)
{
	int64_t from = sell ? top : buyback, to = sell ? buyback : top, d;
	long long left;

	if (updates < 1)
		return dk_fail(e, DK_EX_SOFTWARE, "ramp: no updates");
	left = ahead < 1 ? 0 : ahead - 1;
	if (left > updates)
		left = updates;
	if (dk_muldiv(to - from, updates - left, updates, &d) < 0)
		return dk_fail(e, DK_EX_SOFTWARE, "price: overflow");
	*price = from + d;
	return 0;
}

static int
cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * The learnt price: the risk-th percentile of the clearing prices (a
 * buyer's: the (100 - risk)-th), the element (n - 1) x q / 100 of them
 * sorted, rounded by the rule; a seller never asks less than buyback plus
 * the cost of its forecast errors per kWh, a buyer never bids more than
 * top less it (what a trade is worth to each, errors counted); kept
 * within [buyback, top].  1: no price to learn from (n is 0), *price
 * untouched.
 */
int
dk_learn_price(int sell, const int64_t *prices, size_t n, int64_t err_cost,
    long long risk, int64_t top, int64_t buyback, int64_t *price,
    struct dk_err *e)
{
	int64_t *v, i, p;

	if (n == 0)
		return 1;
	if ((v = malloc(n * sizeof(*v))) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	memcpy(v, prices, n * sizeof(*v));
	qsort(v, n, sizeof(*v), cmp64);
	if (dk_muldiv((int64_t)n - 1, sell ? risk : 100 - risk, 100, &i) < 0) {
		free(v);
		return dk_fail(e, DK_EX_SOFTWARE, "price: overflow");
	}
	p = v[i];
	free(v);
	if (err_cost > top - buyback)
		err_cost = top - buyback;
	if (err_cost < 0)
		err_cost = 0;
	if (sell && p < buyback + err_cost)
		p = buyback + err_cost;
	if (!sell && p > top - err_cost)
		p = top - err_cost;
	*price = p < buyback ? buyback : p > top ? top : p;
	return 0;
}

static void
fallback(struct dk_bidder *b, int64_t slot, const char *why)
{
	char ts[40], msg[200];

	if (b->warn == NULL)
		return;
	dk_time_format(slot, b->rules.tz, ts, sizeof(ts));
	snprintf(msg, sizeof(msg), "slot %s: %s; the fixed price", ts, why);
	b->warn(b->ctx, msg);
}

static int
learn(struct dk_bidder *b, int64_t slot, int sell, int64_t top,
    int64_t *price, struct dk_err *e)
{
	const struct dk_rules *r = &b->rules;
	int64_t from = slot - b->strat.learn_days * 86400, *p = NULL, cost;
	size_t n = 0;
	int rc;

	/* the same weekday and slot of day; too few: the same slot of day */
	if (dk_mem_prices(b->db, slot, from, 7 * 86400, &p, &n, e) < 0)
		return -1;
	if (n < 2) {
		free(p);
		p = NULL;
		if (dk_mem_prices(b->db, slot, from, 86400, &p, &n, e) < 0)
			return -1;
	}
	if (dk_mem_err_cost(b->db, from, top - r->buyback, &cost, e) < 0) {
		free(p);
		return -1;
	}
	rc = dk_learn_price(sell, p, n, cost, b->strat.risk, top, r->buyback,
	    price, e);
	free(p);
	if (rc == 1)
		fallback(b, slot, "no clearing price in memory");
	return rc < 0 ? -1 : 0;
}

/*
 * The limit price of an order for slot with the forecast net export net
 * (nonzero), by the strategy: *price holds the fixed markup's price,
 * which fixed keeps, and ramp and learn keep when they have nothing to
 * go on.
 */
int
dk_strategy_price(struct dk_bidder *b, int64_t slot, int64_t net,
    int64_t *price, struct dk_err *e)
{
	const struct dk_rules *r = &b->rules;
	int64_t top = r->retail - r->fee, latest;
	int rc;

	if (top < r->buyback)
		top = r->buyback;
	switch (b->strat.kind) {
	case DK_STRAT_RAMP:
		if ((rc = dk_mem_latest(b->db, (const char *const *)b->meters,
		    b->nmeters, &latest, e)) < 0)
			return -1;
		if (rc == 1) {
			fallback(b, slot, "no reading to tell the time by");
			return 0;
		}
		return dk_ramp_price(net > 0, top, r->buyback, (slot - latest) /
		    (r->slot_minutes * 60LL) - 1, b->strat.ramp_slots, price, e);
	case DK_STRAT_LEARN:
		return learn(b, slot, net > 0, top, price, e);
	}
	return 0;
}
