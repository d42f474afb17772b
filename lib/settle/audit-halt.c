/* audit-halt.c: ledger-verify's checks of halts (denki-halt, grid-watch):
 * signed by the operator or a dso, not backdated past a checkpoint, each
 * followed by the cancel records its rule makes and nothing else. */
#include <string.h>

#include "settle.h"

/*
 * The audit's part for rec (the entry seq): 1 when none of its business;
 * else 0, or -1 with e (status 1: the ledger is at fault).  Whatever is
 * cleared after a halt is held from its zones by the replay of the
 * market (dk_book_filter), and a cancelled contract is not settled.
 */
int
dk_audit_halt(struct dk_state *st, const struct dk_scaninfo *si,
    long long seq, const char *type, json_t *rec, struct dk_err *e)
{
	int64_t t;
	int rc;

	if (strcmp(type, "halt") == 0 || strcmp(type, "halt_lift") == 0) {
		if (dk_time_parse(json_string_value(json_object_get(rec,
		    "time")) ? json_string_value(json_object_get(rec,
		    "time")) : "", &t, e) < 0) {
			e->status = DK_EX_NO;
			return dk_failpre(e, "%s: time", type);
		}
		/* the operator's clock is bounded by its own checkpoints */
		if (si->cp_time_seq > 0 && t < si->cp_time)
			return dk_fail(e, DK_EX_NO, "%s: time %s is before the "
			    "time of the checkpoint at entry %lld: backdated",
			    type, json_string_value(json_object_get(rec,
			    "time")), si->cp_time_seq);
	}
	if ((rc = dk_halt_apply(st, seq, type, rec, e)) < 0)
		e->status = DK_EX_NO;
	if (rc == 0)
		st->entries++;
	return rc;
}
