/*
 * lib/market/market.h: the map of the market layer.
 *
 * Orders and their admission, the auction of one slot (uniform price,
 * pay-as-bid, mid-market, McAfee) over zones joined by links, trades and
 * contracts as records, and the replay that checks a clearing made
 * before.  The work of denki-clear (intake.c) and denki-contract-sign
 * (contract.c).  Above ledger; private.h is the layer's own.
 */
#ifndef DK_MARKET_H
#define DK_MARKET_H

#include "ledger/ledger.h"

/* order.c: orders, checked against the rules and the registry.  A line
 * of input becomes an order by dk_order_parse; a record already parsed by
 * dk_order_check (signature too) or dk_order_read(_id) (not); the fast
 * path alone, for worker threads, is dk_order_line and its _verify. */
enum { DK_SELL = 0, DK_BUY = 1 };
struct dk_order {
	json_t *rec;		/* as signed; the book keeps it */
	char id[65];		/* SHA-256 hex of the canonical signed line */
	char participant[DK_ID_MAX + 1];
	char zone[DK_ID_MAX + 1];	/* from the registry */
	int side;
	int64_t slot;
	int64_t wh;
	int64_t price;
	int64_t fill;		/* Wh allocated by clearing */
	const char *line;	/* the canonical line, when rec is NULL */
	size_t len;
	size_t src;		/* the caller's: where the order came from */
};
/* ahead.c: an order's signature queued to be checked ahead */
void dk_order_ahead(json_t *rec, const struct dk_registry *, int threads);
void dk_order_ahead_line(json_t *rec, const char *line, size_t n,
    const struct dk_rules *, const struct dk_registry *, int threads);
int dk_order_check(struct dk_order *, json_t *rec, const struct dk_rules *,
    const struct dk_registry *, struct dk_err *);
int dk_order_check_line(struct dk_order *, json_t *rec, const char *line,
    size_t len, const struct dk_rules *, const struct dk_registry *,
    struct dk_err *);
int dk_order_read(struct dk_order *, json_t *rec, const struct dk_rules *,
    const struct dk_registry *, struct dk_err *);
int dk_order_read_id(struct dk_order *, json_t *rec, const char *id,
    const struct dk_rules *, const struct dk_registry *, struct dk_err *);
struct dk_ordersig {		/* what checking an order's signature takes */
	unsigned char sig[64];
	const unsigned char *pk;
	size_t sigat, siglen;	/* the "sig" member, cut for the message */
};
int dk_order_line(struct dk_order *, const char *line, size_t len,
    const struct dk_rules *, const struct dk_registry *,
    struct dk_ordersig *);
int dk_order_line_verify(const struct dk_order *, const struct dk_ordersig *);
int dk_line_flat(const char *line, size_t n);
int dk_order_parse(struct dk_order *, const char *line, size_t len,
    const struct dk_rules *, const struct dk_registry *, int verify,
    struct dk_err *);

/* auction.c (with flow.c): clearing one slot: uniform price, pay-as-bid,
 * mid-market or McAfee's trade reduction, over zones joined by links
 * (denki-formats(5)) */
struct dk_trade {
	size_t sell, buy;	/* indexes into the sorted book */
	int64_t wh;
	int64_t price;		/* what the seller gets, per kWh */
	int64_t buy_price;	/* what the buyer pays, per kWh, wheeling in */
	int64_t wheeling;	/* per kWh, to the grid */
};
struct dk_zoneres {
	char name[DK_ID_MAX + 1];
	int have_price;
	int64_t price;		/* uniform: the zone's (seller's) price */
	int64_t sell_wh, buy_wh, sold_wh, bought_wh;
};
struct dk_clearing {
	int64_t slot;
	int matched;		/* 0: no trade, price is undefined */
	int have_price;		/* one price for the slot (see the man page) */
	int64_t price;
	int64_t wh;
	size_t nsell, nbuy;
	int64_t sell_wh, buy_wh;
	int reduced;		/* mcafee: the marginal orders were left out */
	char book[65];
	struct dk_trade *t;
	size_t nt;
	struct dk_zoneres *z;	/* zonal rules only */
	size_t nz;
	int64_t flow[DK_LINKS_MAX];	/* Wh from link a to b (< 0: b to a) */
};
int dk_clear(struct dk_order *, size_t n, int64_t slot,
    const struct dk_rules *,
    struct dk_clearing *, struct dk_err *);
void dk_clearing_free(struct dk_clearing *);

/* book.c: a slot's book made fit to clear, each order refused with why */
typedef void (*dk_reject_fn)(void *ctx, const struct dk_order *,
    const char *reason);
struct dk_state;
size_t dk_book_filter(struct dk_order *, size_t n, const struct dk_state *,
    dk_reject_fn, void *ctx);	/* (size_t)-1: out of memory */
#define DK_REJECT_MAX	256
void dk_reject_first(void *buf, const struct dk_order *, const char *why);

/* record.c: a clearing's trade and clearing records */
json_t *dk_trade_json(const struct dk_clearing *, const struct dk_order *,
    const struct dk_trade *, const struct dk_rules *);
int dk_trade_is(const char *line, size_t n, const char *slot,
    const struct dk_order *, const struct dk_trade *,
    const struct dk_rules *);
int dk_trade_print(FILE *, const char *slot, const struct dk_order *,
    const struct dk_trade *, const struct dk_rules *);
json_t *dk_clearing_json(const struct dk_clearing *, const struct dk_rules *);
struct dk_book {		/* one slot's orders, to clear */
	struct dk_order *o;
	size_t n;
	int64_t slot;
};
int dk_book_print(FILE *, struct dk_book *, const struct dk_rules *,
    struct dk_err *);	/* cleared: its orders, trades and clearing */

/* contract.c: trades become contracts; a cleared slot checked by a
 * replay and written to the ledger (denki-contract-sign) */
json_t *dk_contract_json(json_t *trade, const struct dk_rules *);
json_t *dk_contract_extra(const struct dk_rules *);
json_t *dk_contract_with(json_t *trade, json_t *extra);
struct dk_span {
	const char *s;
	size_t n;
};
struct dk_cleared {		/* one slot of denki-clear's output */
	int64_t slot;
	json_t **orders;	/* no of them, each NULL when its line is
				 * an order dk_order_line reads (not made) */
	struct dk_order *ob;	/* then that reading of it, but its id */
	size_t no;
	json_t *trades, *clearing;	/* trades: NULL until the slot's
					 * first record */
	json_t *contracts;	/* what dk_cleared_check made */
	struct dk_span *oline, *tline;	/* each order's, trade's line */
	size_t capo, capt;
	int tcanon;		/* tline[i]: contract i's trade, as clear
				 * writes it (dk_cleared_check found so) */
	char *extra;		/* then the members its contract adds */
};
int dk_cleared_add(struct dk_cleared *, json_t *rec, const struct dk_rules *,
    struct dk_err *);
int dk_cleared_add_line(struct dk_cleared *, json_t *rec, const char *line,
    size_t n, const struct dk_rules *, const struct dk_registry *,
    struct dk_err *);
int dk_cleared_check(struct dk_cleared *, const struct dk_rules *,
    struct dk_state *, struct dk_err *);
int dk_cleared_append(struct dk_cleared *, struct dk_ledger *,
    struct dk_state *, FILE *out, struct dk_err *);
struct dk_pendtexts {		/* texts in a ledger's pending lines */
	struct dk_pendtext {
		size_t off, n;	/* at dk_ledger_lines(l) + off, n bytes */
	} *v;
	size_t n, cap;
};
int dk_cleared_append_at(struct dk_cleared *, struct dk_ledger *,
    struct dk_state *, struct dk_pendtexts *, struct dk_err *);
void dk_cleared_free(struct dk_cleared *);
int dk_contract_rules(struct dk_ledger *, struct dk_state *,
    const struct dk_rules *, const char *terms_text, struct dk_err *);

/* replay.c: a slot's market played again from its orders, to check a
 * clearing recorded before or to count its contracts ahead */
struct dk_replay {
	struct dk_order *book;	/* the book as cleared: in id order */
	size_t n;
	struct dk_clearing cl;
	json_t *clearing;	/* its clearing record */
	json_t *trades;		/* its trade records, in order */
	json_t *contracts;	/* and the contracts they make */
};
int dk_replay(struct dk_replay *, struct dk_order *, size_t n, int64_t slot,
    const struct dk_state *, const struct dk_rules *, struct dk_err *);
int dk_replay_given(struct dk_replay *, struct dk_order *, size_t n,
    int64_t slot, const struct dk_state *, const struct dk_rules *,
    json_t *trades, const struct dk_span *lines, struct dk_err *);
int dk_replay_match(const struct dk_replay *, json_t *trades,
    json_t *clearing, struct dk_err *);
int dk_replay_apply(const struct dk_replay *, struct dk_state *,
    struct dk_err *);
void dk_replay_free(struct dk_replay *);

/* intake.c: denki-clear's input lines made into one book a slot */
struct dk_src;
struct dk_arena;
struct dk_intake {
	const struct dk_rules *r;	/* set by the caller: */
	struct dk_state *st;	/* the registry and the slots cleared */
	int nosig;		/* signatures are not checked */
	int keep;		/* a rejected order does not end it */
	const char *only;	/* the one slot to clear (as given), or NULL */
	int64_t only_t;
	long threads;
	void (*reject)(void *ctx, const char *where, const char *why);
	void *ctx;
	int bad;		/* an order was rejected */
	size_t held;		/* orders a halt held out (DK_HELD) */
	struct dk_book *books;	/* dk_intake_books's */
	size_t nbooks;
	struct dk_order *o;	/* the orders, each beside its line in v */
	struct dk_src *v;
	size_t n, cap;
	struct dk_arena *ar;
	json_t **recs;		/* the orders parsed as JSON, to free */
	size_t nrecs;
};
int dk_intake_line(struct dk_intake *, const char *line, size_t len,
    const char *file, long lno, struct dk_err *);
int dk_intake_orders(struct dk_intake *, struct dk_err *);
int dk_intake_books(struct dk_intake *, struct dk_err *);
void dk_intake_free(struct dk_intake *);

/* inbox.c (with inbox-cache.c): the cooperative's inbox of orders and
 * readings received (denki-intake), and its cache of what it needs of the
 * ledger, checked against the ledger before it is trusted */
typedef int (*dk_reading_admit_fn)(json_t *rec, const struct dk_rules *,
    const struct dk_registry *, int require, int64_t *slot,
    struct dk_err *);
struct dk_inbox {
	struct sqlite3 *db;
	const char *lpath;		/* set by the caller: the ledger, */
	const struct dk_rules *r;	/* the rules, */
	const struct dk_key *key;	/* the intake key (signs; NULL: none) */
	int require_signed;		/* settle.signed: required */
	dk_reading_admit_fn reading;	/* dk_reading_admit (lib/meter) */
	void (*reject)(void *ctx, long line, const char *why);
	void *ctx;
	struct dk_registry reg;	/* the participants a request named */
	char origin[256];	/* from the ledger, after dk_inbox_sync: */
	int have_intake;	/* its last intake record: */
	unsigned char intake_pk[32];
	char intake_b64[64];
	long long intake_seq, gate_minutes;
	int rebuilt;		/* the cache was read from the start */
	long accepted, again, rejected;	/* by the last request */
};
int dk_inbox_open(struct dk_inbox *, const char *path, struct dk_err *);
int dk_inbox_conf(struct dk_inbox *, const struct dk_conf *,
    const char *lpath, struct dk_key *, long long *max, struct dk_err *);
int dk_inbox_sync(struct dk_inbox *, struct dk_err *);
int dk_inbox_ready(struct dk_inbox *, struct dk_err *);
int dk_inbox_take(struct dk_inbox *, const char *body, size_t len,
    int64_t now, char **out, size_t *outlen, struct dk_err *);
int dk_inbox_dump(struct dk_inbox *, const char *kind, int64_t slot,
    FILE *out, long *n, struct dk_err *);
int dk_inbox_participant(struct dk_inbox *, const char *id,
    struct dk_err *);
int dk_inbox_meter(struct dk_inbox *, const char *meter, struct dk_err *);
int dk_inbox_cleared(struct dk_inbox *, int64_t slot, struct dk_err *);
void dk_inbox_close(struct dk_inbox *);

#endif
