/* held.c: the orders a halt holds out of the market: those of a zone
 * halted (denki-halt, kind halt) in their slot are not cleared, and the
 * rest of the slot clears without them (denki-clear(1), HALTS). */
#include <stdio.h>
#include <string.h>

#include "private.h"

void
dk_book_held(struct dk_order *o, size_t n, char *bad,
    const struct dk_state *st, dk_reject_fn rej, void *ctx)
{
	const struct dk_halt *h;
	char why[200];
	size_t i;

	for (i = 0; i < n; i++) {
		if (bad[i] || (h = dk_halt_find(st, o[i].zone, o[i].slot,
		    0)) == NULL)
			continue;
		snprintf(why, sizeof(why), DK_HELD "zone %s is halted in this "
		    "slot by the halt of entry %lld: not cleared", o[i].zone,
		    h->seq);
		bad[i] = 5;
		if (rej != NULL)
			rej(ctx, &o[i], why);
	}
}
