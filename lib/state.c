#include <stdlib.h>
#include <string.h>

#include "denki.h"

/*
 * The state that programs need from the ledger: the registry, the rules in
 * force, the terms texts, and per cleared slot its rules, contracts and
 * whether it was settled.  Each entry is checked as it is applied: a
 * contract needs a clearing and known terms, a settlement a cleared slot.
 */

void
dk_state_init(struct dk_state *s)
{
	memset(s, 0, sizeof(*s));
	s->terms = json_object();
}

/* Where slot is, or would go, in the index by time. */
static size_t
bytime_pos(const struct dk_state *s, int64_t slot)
{
	size_t lo = 0, hi = s->nslots, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (s->slots[s->bytime[mid]].slot < slot)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* A year of slots is 17,520: each is found by a binary search. */
struct dk_slotstate *
dk_state_slot(struct dk_state *s, int64_t slot)
{
	size_t i = bytime_pos(s, slot);

	if (i < s->nslots && s->slots[s->bytime[i]].slot == slot)
		return &s->slots[s->bytime[i]];
	return NULL;
}

static struct dk_slotstate *
slot_new(struct dk_state *s, int64_t t)
{
	struct dk_slotstate *nv;
	size_t *nb, i, cap;

	if (s->nslots == s->capslots) {
		cap = s->capslots ? s->capslots * 2 : 64;
		if ((nv = realloc(s->slots, cap * sizeof(*nv))) == NULL)
			return NULL;
		s->slots = nv;
		if ((nb = realloc(s->bytime, cap * sizeof(*nb))) == NULL)
			return NULL;
		s->bytime = nb;
		s->capslots = cap;
	}
	i = bytime_pos(s, t);
	memmove(&s->bytime[i + 1], &s->bytime[i], (s->nslots - i) *
	    sizeof(*s->bytime));
	s->bytime[i] = s->nslots;
	nv = &s->slots[s->nslots++];
	memset(nv, 0, sizeof(*nv));
	nv->slot = t;
	return nv;
}

static int
slot_of(json_t *rec, const struct dk_rules *r, int64_t *t, struct dk_err *e)
{
	const char *ss = dk_get_str(rec, "slot", e);

	if (ss == NULL)
		return -1;
	if (dk_slot_parse(ss, r->slot_minutes, t, e) < 0)
		return dk_failpre(e, "slot");
	return 0;
}

int
dk_state_apply(void *ctx, long long seq, long line, json_t *rec,
    struct dk_err *e)
{
	struct dk_state *s = ctx;
	struct dk_slotstate *ss;
	const char *type = json_string_value(json_object_get(rec, "type"));
	const char *h;
	char hash[65];
	int64_t t;

	(void)seq;
	(void)line;
	s->entries++;
	if (strcmp(type, "participant") == 0)
		return dk_registry_apply(&s->reg, rec, e);
	if (strcmp(type, "terms") == 0) {
		if (dk_check_type(rec, "terms", e) < 0 ||
		    (h = dk_get_str(rec, "text", e)) == NULL)
			return -1;
		dk_sha256_hex(h, strlen(h), hash);
		json_object_set(s->terms, hash, json_object_get(rec, "text"));
		return 0;
	}
	if (strcmp(type, "rules") == 0) {
		if (dk_rules_from_json(&s->rules, rec, e) < 0)
			return -1;
		if (s->rules.terms[0] != '\0' &&
		    json_object_get(s->terms, s->rules.terms) == NULL)
			return dk_fail(e, DK_EX_DATAERR, "terms: %.16s...: no "
			    "terms entry with this hash before the rules",
			    s->rules.terms);
		s->have_rules = 1;
		return 0;
	}
	if (strcmp(type, "order") == 0 || strcmp(type, "reading") == 0 ||
	    strcmp(type, "transfer") == 0 || strcmp(type, "trade") == 0 ||
	    strcmp(type, "ledger") == 0 || strcmp(type, "checkpoint") == 0)
		return 0;
	if (!s->have_rules)
		return dk_fail(e, DK_EX_DATAERR, "%s before any rules entry",
		    type);
	if (strcmp(type, "clearing") == 0) {
		if (slot_of(rec, &s->rules, &t, e) < 0)
			return -1;
		if (dk_state_slot(s, t) != NULL)
			return dk_fail(e, DK_EX_DATAERR, "slot %s: cleared a "
			    "second time", json_string_value(json_object_get(
			    rec, "slot")));
		if ((ss = slot_new(s, t)) == NULL)
			return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		ss->rules = s->rules;
		ss->contracts = json_array();
		return 0;
	}
	if (strcmp(type, "contract") == 0 || strcmp(type, "settlement") == 0) {
		if (slot_of(rec, &s->rules, &t, e) < 0)
			return -1;
		if ((ss = dk_state_slot(s, t)) == NULL)
			return dk_fail(e, DK_EX_DATAERR, "%s for slot %s, "
			    "which was never cleared", type,
			    json_string_value(json_object_get(rec, "slot")));
		if (strcmp(type, "settlement") == 0) {
			ss->settled = 1;
			return 0;
		}
		if (ss->settled)
			return dk_fail(e, DK_EX_DATAERR, "contract for slot "
			    "%s after it was settled",
			    json_string_value(json_object_get(rec, "slot")));
		json_array_append(ss->contracts, rec);
		return 0;
	}
	return dk_fail(e, DK_EX_DATAERR, "type: unknown record type \"%.40s\"",
	    type);
}

void
dk_state_free(struct dk_state *s)
{
	size_t i;

	for (i = 0; i < s->nslots; i++)
		json_decref(s->slots[i].contracts);
	free(s->slots);
	free(s->bytime);
	json_decref(s->terms);
	dk_registry_free(&s->reg);
	memset(s, 0, sizeof(*s));
}

/* What a participant may owe for the contracts of the local day of slot
 * (the slot itself excluded): each purchase at its buyer's price, and the
 * fee; at most 2^53-1, which is over any max_day. */
int64_t
dk_state_day_owed(const struct dk_state *s, const char *participant,
    int64_t slot)
{
	char day[40], d2[40];
	size_t i, j;
	int64_t owed = 0;
	json_t *c;

	if (dk_time_format(slot, s->rules.tz, day, sizeof(day)) < 0)
		return 0;
	/* the slots within a day either side, by the index */
	for (i = bytime_pos(s, slot - 86400); i < s->nslots; i++) {
		const struct dk_slotstate *ss = &s->slots[s->bytime[i]];
		if (ss->slot > slot + 86400)
			break;
		if (ss->slot == slot)
			continue;
		if (dk_time_format(ss->slot, s->rules.tz, d2, sizeof(d2)) < 0 ||
		    strncmp(day, d2, 10) != 0)
			continue;
		json_array_foreach(ss->contracts, j, c) {
			json_t *bp = json_object_get(c, "buy_price");
			int64_t wh, v, fee;
			if (strcmp(json_string_value(json_object_get(c,
			    "buyer")), participant) != 0)
				continue;
			wh = json_integer_value(json_object_get(c, "wh"));
			/* past 2^53 it is over any max_day: saturated */
			if (dk_value(wh, json_integer_value(bp ? bp :
			    json_object_get(c, "price")), &v) < 0 ||
			    dk_value(wh, json_integer_value(json_object_get(c,
			    "fee")), &fee) < 0 || dk_add(&owed, v) < 0 ||
			    dk_add(&owed, fee) < 0)
				return DK_MAX_SAFE_INT;
		}
	}
	return owed;
}
