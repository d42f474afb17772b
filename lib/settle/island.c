/* island.c: the settlement of an island slot (a halt of kind island:
 * the utility is gone): the members' deviations shared among them by the
 * written rule of denki-formats(5), Island rule, in integers, sums exact. */
#include <stdlib.h>
#include <string.h>

#include "settle.h"

struct member {
	json_t *rec;		/* its settlement record */
	const char *id;
	int64_t w;		/* Wh: its surplus, or its shortfall */
	int64_t amount;		/* its share of the value */
	int64_t rem;		/* what rounding down left, for the order */
	int short_;		/* 1: it took energy, 0: it gave */
};

static int
remcmp(const void *a, const void *b)
{
	const struct member *x = a, *y = b;

	if (x->rem != y->rem)
		return x->rem > y->rem ? -1 : 1;
	return strcmp(x->id, y->id);
}

static int
idcmp(const void *a, const void *b)
{
	const struct member *x = a, *y = b;

	return strcmp(x->id, y->id);
}

/* value shared over m[0..n) by their w (summing to tot): each its floor,
 * then one micro-unit more each to the largest remainders (ties: the
 * lower id), so that the shares sum to value exactly. */
static void
share(struct member *m, size_t n, int64_t tot, int64_t value)
{
	int64_t left = value;
	size_t i;

	if (n == 0 || tot == 0)
		return;
	for (i = 0; i < n; i++) {
		__int128 p = (__int128)value * m[i].w;
		m[i].amount = (int64_t)(p / tot);
		m[i].rem = (int64_t)(p % tot);
		left -= m[i].amount;
	}
	qsort(m, n, sizeof(*m), remcmp);
	for (i = 0; left > 0; i = (i + 1) % n, left--)
		m[i].amount++;
	qsort(m, n, sizeof(*m), idcmp);
}

static int
is_member(struct member *m, size_t n, const char *id)
{
	size_t i;

	for (i = 0; id != NULL && i < n; i++)
		if (strcmp(m[i].id, id) == 0)
			return 1;
	return 0;
}

static int
set_int(json_t *o, const char *k, int64_t v)
{
	return json_object_set_new(o, k, json_integer((json_int_t)v));
}

/*
 * The slot's settlement and transfer records in out, made as if the
 * utility were there, rewritten for the participants whose zone an island
 * halt covers in the slot: their utility money gone, their deviations
 * shared among them.  0, or -1 with e.
 */
int
dk_island(int64_t slot, const struct dk_state *st, const struct dk_rules *r,
    json_t *out, struct dk_err *e)
{
	const struct dk_participant *p;
	struct member *m, *sh, *su;
	size_t i, n = 0, nsh = 0, nsu = 0, a, b;
	int64_t tot_sh = 0, tot_su = 0, matched, price, value, d, net, x;
	const char *id;
	json_t *rec;

	if ((m = calloc(json_array_size(out) + 1, sizeof(*m))) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	json_array_foreach(out, i, rec) {
		id = json_string_value(json_object_get(rec, "participant"));
		if (strcmp(json_string_value(json_object_get(rec, "type")),
		    "settlement") != 0 || id == NULL ||
		    (p = dk_registry_find(&st->reg, id)) == NULL ||
		    dk_halt_find(st, p->zone, slot, 1) == NULL)
			continue;
		d = json_integer_value(json_object_get(rec, "deviation_wh"));
		m[n].rec = rec;
		m[n].id = id;
		m[n].short_ = d < 0;
		m[n].w = d < 0 ? -d : d;
		if (dk_add(d < 0 ? &tot_sh : &tot_su, m[n].w) < 0) {
			free(m);
			return dk_fail(e, DK_EX_DATAERR, "island: deviations "
			    "beyond 2^53");
		}
		n++;
	}
	if (n == 0) {
		free(m);
		return 0;
	}
	/* the takers first, then the givers, each by id */
	qsort(m, n, sizeof(*m), idcmp);
	sh = calloc(n, sizeof(*sh));
	su = calloc(n, sizeof(*su));
	if (sh == NULL || su == NULL) {
		free(m);
		free(sh);
		free(su);
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	}
	for (i = 0; i < n; i++)
		if (m[i].short_)
			sh[nsh++] = m[i];
		else
			su[nsu++] = m[i];
	matched = tot_sh < tot_su ? tot_sh : tot_su;
	price = r->retail / 2 + r->buyback / 2 + (r->retail % 2 + r->buyback %
	    2) / 2;
	if (dk_value(matched, price, &value) < 0) {
		free(m);
		free(sh);
		free(su);
		return dk_fail(e, DK_EX_DATAERR, "island: value beyond 2^53");
	}
	share(sh, nsh, tot_sh, value);
	share(su, nsu, tot_su, value);
	/* the settlements: the utility's money out, the island's in */
	for (i = 0; i < nsh + nsu; i++) {
		struct member *x_ = i < nsh ? &sh[i] : &su[i - nsh];
		rec = x_->rec;
		net = json_integer_value(json_object_get(rec, "net")) -
		    json_integer_value(json_object_get(rec,
		    "utility_received")) + json_integer_value(
		    json_object_get(rec, "utility_paid")) +
		    (x_->short_ ? -x_->amount : x_->amount);
		if (set_int(rec, "utility_paid", 0) < 0 ||
		    set_int(rec, "utility_received", 0) < 0 ||
		    set_int(rec, "island_paid", x_->short_ ? x_->amount : 0) <
		    0 || set_int(rec, "island_received", x_->short_ ? 0 :
		    x_->amount) < 0 || set_int(rec, "net", net) < 0 ||
		    json_object_set_new(rec, "island", json_true()) < 0)
			goto oom;
	}
	/* the transfers with the utility of those participants: gone */
	for (i = 0; i < json_array_size(out);) {
		rec = json_array_get(out, i);
		if (strcmp(json_string_value(json_object_get(rec, "type")),
		    "transfer") == 0 && ((strcmp(json_string_value(
		    json_object_get(rec, "from")), "utility") == 0 &&
		    is_member(m, n, json_string_value(json_object_get(rec,
		    "to")))) || (strcmp(json_string_value(json_object_get(rec,
		    "to")), "utility") == 0 && is_member(m, n,
		    json_string_value(json_object_get(rec, "from"))))))
			json_array_remove(out, i);
		else
			i++;
	}
	/* from each taker to the givers, both in id order, as far as each
	 * one's share goes */
	for (a = b = 0; a < nsh && b < nsu;) {
		x = sh[a].amount < su[b].amount ? sh[a].amount : su[b].amount;
		if (x > 0 && json_array_append_new(out, json_pack(
		    "{s:s,s:i,s:s,s:s,s:s,s:I,s:s}", "type", "transfer", "v", 1,
		    "slot", json_string_value(json_object_get(sh[a].rec,
		    "slot")), "from", sh[a].id, "to", su[b].id, "amount",
		    (json_int_t)x, "reason", "island")) < 0)
			goto oom;
		sh[a].amount -= x;
		su[b].amount -= x;
		if (sh[a].amount == 0)
			a++;
		if (su[b].amount == 0)
			b++;
	}
	free(m);
	free(sh);
	free(su);
	return 0;
oom:
	free(m);
	free(sh);
	free(su);
	return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
}
