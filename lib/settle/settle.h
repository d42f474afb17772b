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

#endif
