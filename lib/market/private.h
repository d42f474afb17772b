/*
 * lib/market/private.h: what the files of the market layer share and
 * nothing outside it includes: the book sorted by id, and the network of
 * zones the auction (auction.c) clears as a flow (flow.c).
 */
#ifndef DK_MARKET_PRIVATE_H
#define DK_MARKET_PRIVATE_H

#include "market.h"

#define INF	INT64_MAX

/* order.c: dk_order_line without the order's id */
int dk_order_line_noid(struct dk_order *, const char *line, size_t len,
    const struct dk_rules *, const struct dk_registry *,
    struct dk_ordersig *);
/* book.c: the orders sorted by id (the book's order, and the hash's) */
int dk_sort_by_id(struct dk_order *, size_t n);
/* held.c: the orders of zones halted in their slot, refused */
void dk_book_held(struct dk_order *, size_t n, char *bad,
    const struct dk_state *, dk_reject_fn, void *ctx);

/* flow.c: a slot's zones, each a supply and a demand curve in levels (the
 * orders at one limit price), joined by edges (links) */
struct level {
	int64_t key;		/* the price the flow sees */
	int64_t wh, used;
	size_t first, n;	/* orders, in the side's sorted array */
};

struct side {
	struct dk_order **v;
	size_t n;
	struct level *lv;
	size_t nl, cur;		/* cur: the first level with Wh left */
};

struct zone {
	const char *name;
	struct side s, b;
};

struct edge {
	size_t u, v;		/* zone indexes */
	int64_t cap, w, f;	/* f > 0: u to v */
	int link;		/* index in the rules, or -1 */
};

struct arc;
struct net {
	struct zone *z;
	size_t nz;
	struct edge *e;
	size_t ne;
	int64_t inside;
	struct arc *a;
	size_t na;
};

int dk_net_build(struct net *, struct dk_order *, size_t no,
    const struct dk_rules *);
void dk_net_free(struct net *);
int dk_net_levels(struct side *, int sell, const struct dk_rules *);
int dk_net_flow(struct net *);
int dk_net_prices(struct net *, struct dk_clearing *);
size_t dk_last_used(const struct side *);

#endif
