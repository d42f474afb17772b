/* rules-review.c: the review rules of the market rules (version 3): when
 * contract-sign holds a trade for a reviewer instead of contracting it,
 * from the configuration (review.*), from a rules record, and back. */
#include <string.h>

#include "ledger.h"

/* review.* of the configuration; a rule at 0 is off */
int
dk_revrules_conf(struct dk_revrules *v, const struct dk_conf *c,
    struct dk_err *e)
{
	const char *s;
	long long x;

	memset(v, 0, sizeof(*v));
	if (dk_conf_int(c, "review.value", 0, 0, DK_MAX_SAFE_INT, &x, e) < 0)
		return -1;
	v->value = x;
	if (dk_conf_int(c, "review.wh", 0, 0, DK_MAX_WH, &x, e) < 0)
		return -1;
	v->wh = x;
	if (dk_conf_int(c, "review.band_pct", 0, 0, 1000, &x, e) < 0)
		return -1;
	v->band_pct = (int)x;
	if (dk_conf_int(c, "review.band_slots", 48, 1, 10000, &x, e) < 0)
		return -1;
	v->band_slots = (int)x;
	if (dk_conf_int(c, "review.tenure_days", 0, 0, 3650, &x, e) < 0)
		return -1;
	v->tenure_days = (int)x;
	if (dk_conf_int(c, "review.credit_floor", 0, 0, 1000, &x, e) < 0)
		return -1;
	v->credit_floor = (int)x;
	if (dk_conf_int(c, "review.lead_minutes", 15, 0, 10080, &x, e) < 0)
		return -1;
	v->lead_minutes = (int)x;
	s = dk_conf_str(c, "review.roles", "no");
	if (strcmp(s, "yes") != 0 && strcmp(s, "no") != 0)
		return dk_fail(e, DK_EX_CONFIG, "review.roles: must be yes or "
		    "no, got \"%.40s\"", s);
	v->roles = strcmp(s, "yes") == 0;
	v->on = v->value > 0 || v->wh > 0 || v->band_pct > 0 ||
	    v->tenure_days > 0 || v->credit_floor > 0 || v->roles;
	if (!v->on)
		memset(v, 0, sizeof(*v));
	else if (v->band_pct == 0)
		v->band_slots = 0;
	return 0;
}

static int
field(json_t *o, const char *k, long long min, long long max, int64_t *out,
    struct dk_err *e)
{
	long long x = 0;

	if (json_object_get(o, k) != NULL && dk_get_int(o, k, min, max, &x,
	    e) < 0)
		return dk_failpre(e, "review");
	*out = x;
	return 0;
}

/* The "review" object of a rules record of version 3, or none. */
int
dk_revrules_from_json(struct dk_revrules *v, json_t *rec, struct dk_err *e)
{
	json_t *o = json_object_get(rec, "review"), *x;
	static const char *const known[] = { "value", "wh", "band_pct",
		"band_slots", "tenure_days", "credit_floor", "roles",
		"lead_minutes", NULL };
	const char *k;
	int64_t n[6];
	long long lead;
	size_t i;

	memset(v, 0, sizeof(*v));
	if (o == NULL)
		return 0;
	if (!json_is_object(o))
		return dk_fail(e, DK_EX_DATAERR, "review: must be an object");
	json_object_foreach(o, k, x) {
		for (i = 0; known[i] != NULL && strcmp(known[i], k) != 0; i++)
			;
		if (known[i] == NULL)
			return dk_fail(e, DK_EX_DATAERR, "review.%.40s: not a "
			    "review rule", k);
	}
	if (field(o, "value", 1, DK_MAX_SAFE_INT, &n[0], e) < 0 ||
	    field(o, "wh", 1, DK_MAX_WH, &n[1], e) < 0 ||
	    field(o, "band_pct", 1, 1000, &n[2], e) < 0 ||
	    field(o, "band_slots", 1, 10000, &n[3], e) < 0 ||
	    field(o, "tenure_days", 1, 3650, &n[4], e) < 0 ||
	    field(o, "credit_floor", 1, 1000, &n[5], e) < 0 ||
	    dk_get_int(o, "lead_minutes", 0, 10080, &lead, e) < 0)
		return dk_failpre(e, "review");
	if ((x = json_object_get(o, "roles")) != NULL && !json_is_true(x))
		return dk_fail(e, DK_EX_DATAERR, "review.roles: true, or "
		    "left out");
	if ((n[2] != 0) != (n[3] != 0))
		return dk_fail(e, DK_EX_DATAERR, "review: band_pct and "
		    "band_slots go together");
	v->value = n[0];
	v->wh = n[1];
	v->band_pct = (int)n[2];
	v->band_slots = (int)n[3];
	v->tenure_days = (int)n[4];
	v->credit_floor = (int)n[5];
	v->lead_minutes = (int)lead;
	v->roles = x != NULL;
	v->on = v->value > 0 || v->wh > 0 || v->band_pct > 0 ||
	    v->tenure_days > 0 || v->credit_floor > 0 || v->roles;
	if (!v->on)
		return dk_fail(e, DK_EX_DATAERR, "review: no rule set (leave "
		    "the object out)");
	return 0;
}

/* The "review" object into a rules record o, when any rule is set. */
void
dk_revrules_json(const struct dk_revrules *v, json_t *o)
{
	json_t *r;

	if (!v->on)
		return;
	r = json_pack("{s:i}", "lead_minutes", v->lead_minutes);
	if (v->value > 0)
		json_object_set_new(r, "value", json_integer(v->value));
	if (v->wh > 0)
		json_object_set_new(r, "wh", json_integer(v->wh));
	if (v->band_pct > 0) {
		json_object_set_new(r, "band_pct", json_integer(v->band_pct));
		json_object_set_new(r, "band_slots",
		    json_integer(v->band_slots));
	}
	if (v->tenure_days > 0)
		json_object_set_new(r, "tenure_days",
		    json_integer(v->tenure_days));
	if (v->credit_floor > 0)
		json_object_set_new(r, "credit_floor",
		    json_integer(v->credit_floor));
	if (v->roles)
		json_object_set_new(r, "roles", json_true());
	json_object_set_new(o, "review", r);
	json_object_set_new(o, "v", json_integer(3));
}
