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

/* audit.c: the offline audit of a whole ledger, replayed and checked */
struct dk_audit {		/* the figures of the verdict */
	long long entries, orders, slots_cleared, contracts, slots_settled,
	    transfers, checkpoints, signatures;
	size_t participants;
	int64_t contract_wh;
	struct dk_scaninfo si;	/* origin, last checkpoint, leaves if asked */
};
int dk_audit_ledger(struct dk_audit *, const char *path,
    const unsigned char oppk[32], int threads, int want_leaves,
    struct dk_err *);
json_t *dk_audit_json(const struct dk_audit *, const char *path);
void dk_audit_free(struct dk_audit *);

#endif
