/* state.c: the replay of the whole ledger, entry by entry, into what the
 * programs need: registry, rules, terms, and each cleared slot. */
#include <stdlib.h>
#include <string.h>

#include "ledger-impl.h"

/*
 * The state that programs need from the ledger: the registry, the rules in
 * force, the terms texts, and per cleared slot its rules, contracts and
 * whether it was settled.  Each entry is checked as it is applied: a
 * contract needs a clearing and known terms, a settlement a cleared slot.
 * A contract is kept as the few fields that settlement and the day limits
 * read (about 120 bytes, where its JSON tree took 2 KB): a ledger of a
 * million entries is verified in a few hundred MB.
 */

void
dk_state_init(struct dk_state *s)
{
	memset(s, 0, sizeof(*s));
	s->terms = json_object();
	s->billed = json_object();
}

/* A membership transfer: its participant billed for its month. */
static int
billed(struct dk_state *s, json_t *rec, struct dk_err *e)
{
	const char *r = json_string_value(json_object_get(rec, "reason"));
	const char *m, *id;
	json_t *o;

	if (r == NULL || strcmp(r, "membership") != 0)
		return 0;
	if ((m = dk_get_str(rec, "month", e)) == NULL ||
	    (id = dk_get_str(rec, "from", e)) == NULL)
		return dk_failpre(e, "membership transfer");
	if (s->billed == NULL && (s->billed = json_object()) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	if ((o = json_object_get(s->billed, m)) == NULL)
		json_object_set_new(s->billed, m, o = json_object());
	if (json_object_get(o, id) != NULL)
		return dk_fail(e, DK_EX_DATAERR, "membership transfer: %s "
		    "billed twice for %.7s", id, m);
	return json_object_set_new(o, id, json_true()) < 0 ? dk_fail(e,
	    DK_EX_SOFTWARE, "out of memory") : 0;
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

/* One party of a contract: its id, or "" when the record's string is too
 * long to be one (then no participant is found by it, as before). */
static void
contract_party(char *dst, json_t *x, unsigned char *has, unsigned char bit)
{
	const char *v = json_string_value(x);

	dst[0] = '\0';
	if (v == NULL)
		return;
	*has |= bit;
	if (strlen(v) <= DK_ID_MAX)
		strcpy(dst, v);
}

/* A contract record as the state keeps it (the state cache's C line). */
void
dk_state_contract_of(json_t *rec, struct dk_contract *c)
{
	json_t *bp;

	memset(c, 0, sizeof(*c));
	contract_party(c->seller, json_object_get(rec, "seller"), &c->has,
	    DK_C_SELLER);
	contract_party(c->buyer, json_object_get(rec, "buyer"), &c->has,
	    DK_C_BUYER);
	c->wh = json_integer_value(json_object_get(rec, "wh"));
	c->price = json_integer_value(json_object_get(rec, "price"));
	c->fee = json_integer_value(json_object_get(rec, "fee"));
	c->wheeling = json_integer_value(json_object_get(rec, "wheeling"));
	if ((bp = json_object_get(rec, "buy_price")) != NULL) {
		c->has |= DK_C_BUY_PRICE;
		c->buy_price = json_integer_value(bp);
	}
}

static int
contract_add(struct dk_slotstate *ss, json_t *rec)
{
	struct dk_contract *c;

	if (dk_grow(&ss->c, ss->nc, &ss->capc, sizeof(*ss->c), 8) < 0)
		return -1;
	c = &ss->c[ss->nc++];
	memset(c, 0, sizeof(*c));
	if (rec != NULL)
		dk_state_contract_of(rec, c);
	return 0;
}

/* From the state cache (state-cache.c): a contract as the state keeps it,
 * of cleared slot t; its record was checked when the cache took it. */
int
dk_state_put_contract(struct dk_state *s, int64_t t,
    const struct dk_contract *c)
{
	struct dk_slotstate *ss = dk_state_slot(s, t);

	if (ss == NULL || contract_add(ss, NULL) < 0)
		return -1;
	ss->c[ss->nc - 1] = *c;
	return 0;
}

/* A slot's contracts as records holding what dk_settle reads, or NULL. */
json_t *
dk_state_contracts(const struct dk_slotstate *ss)
{
	const struct dk_contract *c;
	json_t *a = json_array(), *x;
	size_t i;

	if (a == NULL)
		return NULL;
	for (i = 0; i < ss->nc; i++) {
		c = &ss->c[i];
		if (c->has & DK_C_CANCELLED)
			continue;
		x = json_pack("{s:s,s:I,s:I,s:I,s:I}", "type", "contract",
		    "wh", (json_int_t)c->wh, "price", (json_int_t)c->price,
		    "fee", (json_int_t)c->fee,
		    "wheeling", (json_int_t)c->wheeling);
		if (x == NULL ||
		    ((c->has & DK_C_SELLER) && json_object_set_new(x,
		    "seller", json_string(c->seller)) < 0) ||
		    ((c->has & DK_C_BUYER) && json_object_set_new(x,
		    "buyer", json_string(c->buyer)) < 0) ||
		    ((c->has & DK_C_BUY_PRICE) && json_object_set_new(x,
		    "buy_price", json_integer(c->buy_price)) < 0) ||
		    json_array_append_new(a, x) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
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

/* A provisional settlement (one with "provisional"), kept until its
 * true-up. */
static int
prov_add(struct dk_slotstate *ss, json_t *rec, struct dk_err *e)
{
	const char *id = json_string_value(json_object_get(rec,
	    "participant"));

	if (json_object_get(rec, "provisional") == NULL)
		return 0;
	if (id == NULL)
		return dk_fail(e, DK_EX_DATAERR, "participant: missing");
	if (ss->prov == NULL && (ss->prov = json_object()) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	json_object_set(ss->prov, id, rec);
	return 0;
}

/* A true-up: of a provisional settlement of its slot and participant not
 * trued up before, which it ends. */
static int
trueup(struct dk_state *s, json_t *rec, struct dk_err *e)
{
	struct dk_slotstate *ss;
	const char *id;
	int64_t t;

	if (slot_of(rec, &s->rules, &t, e) < 0 ||
	    (id = dk_get_id(rec, "participant", e)) == NULL)
		return dk_failpre(e, "trueup");
	if ((ss = dk_state_slot(s, t)) == NULL || !ss->settled ||
	    json_object_get(ss->prov, id) == NULL)
		return dk_fail(e, DK_EX_DATAERR, "trueup: slot %s: participant "
		    "%s has no provisional settlement%s", json_string_value(
		    json_object_get(rec, "slot")), id, ss != NULL &&
		    ss->settled ? " still to true up" : "");
	json_object_del(ss->prov, id);
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
	int rc;

	(void)line;
	s->entries++;
	if ((rc = dk_halt_apply(s, seq, type, rec, e)) != 1)
		return rc;
	if (strcmp(type, "participant") == 0)
		return dk_registry_apply(&s->reg, rec, e);
	if (strcmp(type, "ledger") == 0) {
		struct dk_key rk;
		if ((h = json_string_value(json_object_get(rec, "recovery"))) ==
		    NULL)
			return 0;
		if (dk_key_from_b64(&rk, h, e) < 0)
			return dk_failpre(e, "recovery");
		memcpy(s->reg.rpk, rk.pk, 32);
		s->reg.has_rpk = 1;
		return 0;
	}
	if (strcmp(type, "intake") == 0)
		return dk_state_intake_add(s, seq, rec, e);
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
	if (strcmp(type, "transfer") == 0)
		return billed(s, rec, e);
	if (strcmp(type, "order") == 0 || strcmp(type, "reading") == 0 ||
	    strcmp(type, "commitment") == 0 || strcmp(type, "trade") == 0 ||
	    strcmp(type, "checkpoint") == 0 ||
	    strcmp(type, "payment_run") == 0 ||
	    strcmp(type, "payment_return") == 0 ||
	    strcmp(type, "pending") == 0 || strcmp(type, "review") == 0 ||
	    strcmp(type, "dispute") == 0 ||
	    strcmp(type, "dispute_resolution") == 0)
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
			return prov_add(ss, rec, e);
		}
		if (ss->settled)
			return dk_fail(e, DK_EX_DATAERR, "contract for slot "
			    "%s after it was settled",
			    json_string_value(json_object_get(rec, "slot")));
		if (contract_add(ss, rec) < 0)
			return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		return 0;
	}
	if (strcmp(type, "trueup") == 0)
		return trueup(s, rec, e);
	return dk_fail(e, DK_EX_DATAERR, "type: unknown record type \"%.40s\"",
	    type);
}

/*
 * What dk_state_apply does with a settlement without "provisional"
 * (settlement 1) or a transfer of any reason but "membership" (0), of
 * slot t, whose text ts dk_slot_parse reads as t under the rules in
 * force: a settle run's records applied from their fields, not parsed.
 */
int
dk_state_apply_settled(struct dk_state *s, int settlement, int64_t t,
    const char *ts, struct dk_err *e)
{
	const char *type = settlement ? "settlement" : "transfer";
	struct dk_slotstate *ss;
	int rc;

	s->entries++;
	if ((rc = dk_halt_apply(s, 0, type, NULL, e)) != 1)
		return rc;
	if (!settlement)
		return 0;
	if (!s->have_rules)
		return dk_fail(e, DK_EX_DATAERR, "%s before any rules entry",
		    type);
	if ((ss = dk_state_slot(s, t)) == NULL)
		return dk_fail(e, DK_EX_DATAERR, "%s for slot %s, which was "
		    "never cleared", type, ts);
	ss->settled = 1;
	return 0;
}

void
dk_state_free(struct dk_state *s)
{
	size_t i;

	for (i = 0; i < s->nslots; i++) {
		free(s->slots[i].c);
		json_decref(s->slots[i].prov);
	}
	free(s->slots);
	free(s->bytime);
	free(s->intake);
	dk_halts_free(&s->halts);
	json_decref(s->terms);
	json_decref(s->billed);
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
	const struct dk_contract *c;

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
		for (j = 0; j < ss->nc; j++) {
			int64_t wh, v, fee;
			c = &ss->c[j];
			if (!(c->has & DK_C_BUYER) || (c->has & DK_C_CANCELLED) ||
			    strcmp(c->buyer, participant) != 0)
				continue;
			wh = c->wh;
			/* past 2^53 it is over any max_day: saturated */
			if (dk_value(wh, (c->has & DK_C_BUY_PRICE) ?
			    c->buy_price : c->price, &v) < 0 ||
			    dk_value(wh, c->fee, &fee) < 0 ||
			    dk_add(&owed, v) < 0 || dk_add(&owed, fee) < 0)
				return DK_MAX_SAFE_INT;
		}
	}
	return owed;
}
