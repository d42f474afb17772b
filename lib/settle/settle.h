/*
 * lib/settle/settle.h: the map of the settle layer.
 *
 * Metered energy against contracts, money to the unit, for one slot.  Above
 * meter and market.
 */
#ifndef DK_SETTLE_H
#define DK_SETTLE_H

#include "meter/meter.h"
#include "market/market.h"

/* settle.c: metered energy against contracts, one slot */
int dk_settle(int64_t slot, json_t *contracts, json_t *readings,
    const struct dk_registry *, const struct dk_rules *, json_t *out,
    struct dk_err *);	/* on a bad reading, e->item is its index */

/* run.c: a settlement run (denki-settle): readings in, slots settled
 * into the ledger */
struct dk_sreading {
	int64_t slot;
	json_t *rec;
	char *where;		/* "file:line", for messages */
	char *canon;		/* its canonical text */
};
struct dk_settle_run {
	struct dk_sreading *v;	/* the readings to settle */
	size_t n, cap;
	long nother;		/* pv and battery readings left out */
	long ngap;		/* gap records read */
	long ndup;		/* readings given again, or in the ledger */
	int require;		/* settle.signed: required */
};
#define DK_SETTLE_TAKEN		0
#define DK_SETTLE_GAP		1
#define DK_SETTLE_REJECTED	2
int dk_settle_run_init(struct dk_settle_run *, const struct dk_conf *,
    struct dk_err *);
int dk_settle_run_add(struct dk_settle_run *, const char *line, size_t n,
    const char *name, long lineno, const struct dk_rules *,
    struct dk_err *);
void dk_settle_run_sort(struct dk_settle_run *);
int dk_settle_run_open(struct dk_settle_run *, struct dk_ledger *,
    const char *lpath, const struct dk_key *op, const char *origin,
    struct dk_state *, struct dk_err *);
int dk_settle_run_slot(struct dk_settle_run *, size_t i, size_t *end,
    struct dk_state *, struct dk_ledger *, const char *tz, json_t *out,
    struct dk_err *);
void dk_settle_run_free(struct dk_settle_run *);

#endif
