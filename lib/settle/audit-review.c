/* audit-review.c: ledger-verify's part of expert review on the replay: a
 * held trade is its pending record, the same the rules make, and any other
 * a contract.  Decisions and approved contracts: review-queue.c. */
#include <string.h>

#include "settle.h"

/*
 * Record rec where the replay expects expect[pos]: 1 when rec is the
 * pending record of that contract the rules require, 0 when it is for the
 * caller to compare, -1 (e filled, status 1) when the rules were not kept.
 */
int
dk_audit_held(struct dk_revq *q, const struct dk_state *st, json_t *expect,
    size_t pos, json_t *rec, struct dk_err *e)
{
	json_t *want = json_array_get(expect, pos), *why, *p;
	const char *wt = json_string_value(json_object_get(want, "type"));
	const char *type = json_string_value(json_object_get(rec, "type"));
	int64_t slot;
	int rc = 0;

	if (wt == NULL || strcmp(wt, "contract") != 0 || type == NULL ||
	    (strcmp(type, "pending") != 0 && !st->rules.review.on))
		return 0;
	if (dk_slot_parse(json_string_value(json_object_get(want, "slot")),
	    st->rules.slot_minutes, &slot, e) < 0 ||
	    (why = dk_review_reasons(&q->h, &st->reg, &st->rules, slot,
	    expect, pos, e)) == NULL)
		return -1;
	if (strcmp(type, "pending") == 0 && json_array_size(why) == 0)
		rc = dk_fail(e, DK_EX_NO, "pending: the trade of %s to %s meets "
		    "no review rule in force: it must be a contract",
		    json_string_value(json_object_get(want, "seller")),
		    json_string_value(json_object_get(want, "buyer")));
	else if (strcmp(type, "pending") == 0) {
		if ((p = dk_pending_make(want, why, &st->rules, slot, e)) ==
		    NULL)
			rc = -1;
		else if (!json_equal(p, rec))
			rc = dk_fail(e, DK_EX_NO, "pending differs from the "
			    "replay of the market and the review rules: field "
			    "%s", dk_first_diff(p, rec));
		else
			rc = 1;
		json_decref(p);
	} else if (strcmp(type, "contract") == 0 && json_array_size(why) > 0)
		rc = dk_fail(e, DK_EX_NO, "contract of %s to %s: the review "
		    "rules in force hold it (%s%s), and it was contracted "
		    "without a reviewer's approval",
		    json_string_value(json_object_get(want, "seller")),
		    json_string_value(json_object_get(want, "buyer")),
		    json_string_value(json_array_get(why, 0)),
		    json_array_size(why) > 1 ? ", ..." : "");
	json_decref(why);
	return rc;
}
