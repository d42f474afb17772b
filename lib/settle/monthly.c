/*
 * monthly.c: the membership fee, billed once per participant and month in
 * the settlement of the first slot of the month that settles, with its tax.
 */
#include <stdlib.h>
#include <string.h>

#include "settle.h"

static int
idcmp(const void *a, const void *b)
{
	return strcmp((*(const struct dk_participant *const *)a)->id,
	    (*(const struct dk_participant *const *)b)->id);
}

/*
 * The membership transfers of the settlement of slot under rules r, onto
 * out: every active participant of st's registry that no "membership"
 * transfer of the ledger (st->billed) has billed for the slot's month, in
 * id order, pays r->monthly_fee and its tax to the operator.
 */
int
dk_settle_monthly(int64_t slot, const struct dk_state *st,
    const struct dk_rules *r, json_t *out, struct dk_err *e)
{
	const struct dk_participant **v;
	json_t *done, *x;
	char ts[40], month[8];
	int64_t tax = 0;
	size_t i, n = 0;

	if (r->monthly_fee == 0)
		return 0;
	if (r->tax_bps > 0 && dk_share(r->monthly_fee, r->tax_bps, 10000,
	    &tax) < 0)
		return dk_fail(e, DK_EX_DATAERR, "monthly_fee: its tax is "
		    "beyond +-(2^53-1)");
	if (dk_time_format(slot, r->tz, ts, sizeof(ts)) < 0)
		return dk_fail(e, DK_EX_SOFTWARE, "slot %lld: cannot be "
		    "written in %s", (long long)slot, r->tz);
	memcpy(month, ts, 7);
	month[7] = '\0';
	done = st->billed ? json_object_get(st->billed, month) : NULL;
	if ((v = calloc(st->reg.n + 1, sizeof(*v))) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	for (i = 0; i < st->reg.n; i++)
		if (st->reg.p[i].active &&
		    json_object_get(done, st->reg.p[i].id) == NULL)
			v[n++] = &st->reg.p[i];
	qsort(v, n, sizeof(*v), idcmp);
	for (i = 0; i < n; i++) {
		x = json_pack("{s:s,s:i,s:s,s:s,s:s,s:I,s:s,s:s}", "type",
		    "transfer", "v", 1, "slot", ts, "from", v[i]->id, "to",
		    "operator", "amount", (json_int_t)r->monthly_fee, "reason",
		    "membership", "month", month);
		json_array_append_new(out, x);
		if (tax == 0)
			continue;
		x = json_pack("{s:s,s:i,s:s,s:s,s:s,s:I,s:s,s:s}", "type",
		    "transfer", "v", 1, "slot", ts, "from", v[i]->id, "to",
		    "operator", "amount", (json_int_t)tax, "reason", "tax",
		    "month", month);
		json_array_append_new(out, x);
	}
	free(v);
	return 0;
}
