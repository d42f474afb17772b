/*
 * provisional.c: a slot settled with the readings that arrived by its
 * deadline (a member with a meter unread settled on its contracted
 * position, provisionally), and the true-up when the readings come.
 */
#include <stdlib.h>
#include <string.h>

#include "settle.h"

static const char *
str(json_t *rec, const char *key)
{
	return json_string_value(json_object_get(rec, key));
}

static int64_t
num(json_t *rec, const char *key)
{
	return json_integer_value(json_object_get(rec, key));
}

static void
addto(json_t *obj, const char *key, int64_t v)
{
	json_object_set_new(obj, key, json_integer(num(obj, key) + v));
}

/* Each party of the contracts: id -> its contracted net sale (sold -
 * bought) in Wh.  Contracts naming no registered party are left to
 * dk_settle, which refuses them. */
static json_t *
positions(json_t *contracts, const struct dk_registry *reg)
{
	json_t *pos = json_object(), *c;
	const char *sn, *bn;
	size_t i;

	json_array_foreach(contracts, i, c) {
		sn = str(c, "seller");
		bn = str(c, "buyer");
		if (sn == NULL || bn == NULL || dk_registry_find(reg, sn) ==
		    NULL || dk_registry_find(reg, bn) == NULL)
			continue;
		addto(pos, sn, num(c, "wh"));
		addto(pos, bn, -num(c, "wh"));
	}
	return pos;
}

/*
 * The settlement of a slot at its deadline (as dk_settle), where a
 * participant of the slot (a party to a contract, or the owner of a
 * reading) with a registered meter that has no reading is settled
 * provisionally: on its contracted position, so its deviation is 0.  Its
 * record is a settlement of version 3: no export_wh and import_wh,
 * provisional (its meters without a reading, sorted) and read_wh (the net
 * export of its meters that were read).  *nprov: how many.
 */
int
dk_settle_prov(int64_t slot, json_t *contracts, json_t *readings,
    const struct dk_registry *reg, const struct dk_rules *r, json_t *out,
    size_t *nprov, struct dk_err *e)
{
	const struct dk_participant *p;
	json_t *pos, *read, *nets, *prov, *rd, *x, *miss, *y;
	const char *id, *m;
	size_t i, j, first = json_array_size(out);
	int rc;

	*nprov = 0;
	pos = positions(contracts, reg);
	read = json_object();	/* meter -> true; id -> net read */
	nets = json_object();
	prov = json_object();
	json_array_foreach(readings, i, rd) {
		if ((m = str(rd, "meter")) == NULL ||
		    (p = dk_registry_meter(reg, m)) == NULL)
			continue;
		json_object_set_new(read, m, json_true());
		addto(pos, p->id, 0);
		addto(nets, p->id, num(rd, "export_wh") -
		    num(rd, "import_wh"));
	}
	json_object_foreach(pos, id, x) {
		if ((p = dk_registry_find(reg, id)) == NULL)
			continue;
		miss = json_array();
		for (j = 0; j < p->nmeters; j++)
			if (json_object_get(read, p->meters[j]) == NULL)
				json_array_append_new(miss,
				    json_string(p->meters[j]));
		if (json_array_size(miss) == 0) {
			json_decref(miss);
			continue;
		}
		json_object_set_new(prov, id, json_pack("{s:o,s:I}",
		    "provisional", miss, "read_wh",
		    (json_int_t)num(nets, id)));
	}
	/* nets: only the provisional, each on its position */
	json_object_clear(nets);
	json_object_foreach(prov, id, x)
		json_object_set(nets, id, json_object_get(pos, id));
	rc = dk_settle_mixed(slot, contracts, readings, nets, reg, r, out, e);
	/* (with none provisional, no record of out looked at again) */
	for (i = first; rc == 0 && json_object_size(prov) > 0 &&
	    i < json_array_size(out); i++) {
		x = json_array_get(out, i);
		if (strcmp(str(x, "type"), "settlement") != 0 ||
		    (y = json_object_get(prov, str(x, "participant"))) == NULL)
			continue;
		json_object_del(x, "export_wh");
		json_object_del(x, "import_wh");
		json_object_set_new(x, "v", json_integer(3));
		json_object_update(x, y);
		(*nprov)++;
	}
	json_decref(pos);
	json_decref(read);
	json_decref(nets);
	json_decref(prov);
	return rc;
}

/* A slot's contracts by party: id -> the contracts it is the seller or
 * the buyer of, so that a true-up settles again only the member's (its
 * settlement depends on nothing else), whatever the slot's size. */
json_t *
dk_contracts_by_party(json_t *contracts)
{
	json_t *by = json_object(), *c, *a;
	const char *k[2];
	size_t i, j;

	json_array_foreach(contracts, i, c) {
		k[0] = str(c, "seller");
		k[1] = str(c, "buyer");
		for (j = 0; j < 2; j++) {
			if (k[j] == NULL || (j == 1 && k[0] != NULL &&
			    strcmp(k[0], k[1]) == 0))
				continue;
			if ((a = json_object_get(by, k[j])) == NULL)
				json_object_set_new(by, k[j], a = json_array());
			json_array_append(a, c);
		}
	}
	return by;
}

/* The provisional settlement of slot ss, not trued up yet, that was made
 * without a reading of meter m: the reading comes for its true-up.  NULL
 * when there is none. */
json_t *
dk_prov_missed(const struct dk_slotstate *ss, const struct dk_registry *reg,
    const char *m)
{
	const struct dk_participant *p = dk_registry_meter(reg, m);
	json_t *prov = p != NULL ? json_object_get(ss->prov, p->id) : NULL;
	json_t *x;
	size_t i;

	json_array_foreach(json_object_get(prov, "provisional"), i, x)
		if (strcmp(json_string_value(x), m) == 0)
			return prov;
	return NULL;
}

static int
cmpstr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * The true-up of the provisional settlement prov (a record of version 3)
 * of a slot, when the member's metered net export is net Wh; contracts
 * are the slot's, or only the member's (dk_contracts_by_party): the slot
 * settled again with the member on net and everyone else on their
 * position; the member's net against the provisional one is what
 * the true-up moves, from or to "utility", at the prices of the rules
 * the slot was cleared under (r).  Appends the trueup record and its
 * transfer (none when the difference is 0) to out.
 */
int
dk_trueup_net(json_t *prov, json_t *contracts, int64_t net,
    const struct dk_registry *reg, const struct dk_rules *r, json_t *out,
    struct dk_err *e)
{
	const char *id = str(prov, "participant"), *slot = str(prov, "slot");
	json_t *pos = positions(contracts, reg), *res = json_array(), *x;
	json_t *mine = NULL;
	int64_t t, delta;
	size_t i;
	int rc;

	if (dk_slot_parse(slot, r->slot_minutes, &t, e) < 0) {
		rc = -1;
		goto out;
	}
	json_object_set_new(pos, id, json_integer(net));
	if ((rc = dk_settle_net(t, contracts, pos, reg, r, res, e)) < 0)
		goto out;
	json_array_foreach(res, i, x)
		if (strcmp(str(x, "type"), "settlement") == 0 &&
		    strcmp(str(x, "participant"), id) == 0)
			mine = x;
	if (mine == NULL) {
		rc = dk_fail(e, DK_EX_SOFTWARE, "participant %s: not settled "
		    "again", id);
		goto out;
	}
	delta = num(mine, "net") - num(prov, "net");
	json_array_append_new(out, json_pack("{s:s,s:i,s:s,s:s,s:O,s:I,s:I,"
	    "s:I,s:I}", "type", "trueup", "v", 1, "slot", slot,
	    "participant", id, "meters", json_object_get(prov, "provisional"),
	    "deviation_wh", (json_int_t)num(mine, "deviation_wh"),
	    "utility_paid", (json_int_t)num(mine, "utility_paid"),
	    "utility_received", (json_int_t)num(mine, "utility_received"),
	    "net", (json_int_t)delta));
	if (delta != 0)
		json_array_append_new(out, json_pack("{s:s,s:i,s:s,s:s,s:s,"
		    "s:I,s:s}", "type", "transfer", "v", 1, "slot", slot,
		    "from", delta > 0 ? "utility" : id,
		    "to", delta > 0 ? id : "utility",
		    "amount", (json_int_t)(delta > 0 ? delta : -delta),
		    "reason", "trueup"));
out:
	json_decref(pos);
	json_decref(res);
	return rc;
}

/*
 * The true-up of prov from readings, the late readings of its meters
 * (each of the meters it names once, each verified as its participant's):
 * 0 and the records in out; 1 when a meter still has no reading (e->msg
 * names it); -1 on a bad reading, e->item its index.
 */
int
dk_trueup(json_t *prov, json_t *contracts, json_t *readings,
    const struct dk_registry *reg, const struct dk_rules *r, json_t *out,
    struct dk_err *e)
{
	const char *id = str(prov, "participant");
	const struct dk_participant *p = dk_registry_find(reg, id);
	json_t *want = json_object_get(prov, "provisional"), *rd, *seen;
	const char *m, **v;
	int64_t net = num(prov, "read_wh");
	size_t i, n = json_array_size(want);
	int rc = 0;

	e->item = -1;
	if (p == NULL)
		return dk_fail(e, DK_EX_DATAERR, "participant %s is not in the "
		    "registry", id);
	seen = json_object();
	json_array_foreach(readings, i, rd) {
		m = str(rd, "meter");
		if (dk_registry_meter(reg, m) != p ||
		    dk_reading_verify(rd, p, e) < 0 ||
		    json_object_get(seen, m) != NULL) {
			if (dk_registry_meter(reg, m) != p)
				dk_fail(e, DK_EX_DATAERR, "meter %s is not "
				    "participant %s's", m, id);
			else if (json_object_get(seen, m) != NULL)
				dk_fail(e, DK_EX_DATAERR, "a second reading of "
				    "meter %s", m);
			e->item = (long)i;
			json_decref(seen);
			return -1;
		}
		json_object_set_new(seen, m, json_true());
		net += num(rd, "export_wh") - num(rd, "import_wh");
	}
	if ((v = calloc(n + 1, sizeof(*v))) == NULL) {
		json_decref(seen);
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	}
	json_array_foreach(want, i, rd)
		v[i] = json_string_value(rd) ? json_string_value(rd) : "";
	qsort(v, n, sizeof(*v), cmpstr);
	for (i = 0; i < n && json_object_get(seen, v[i]) != NULL; i++)
		;
	if (i < n) {
		dk_fail(e, DK_EX_DATAERR, "meter %s of participant %s: still "
		    "no reading", v[i], id);
		rc = 1;
	} else if (json_object_size(seen) != n) {
		rc = dk_fail(e, DK_EX_DATAERR, "participant %s: a reading of "
		    "a meter its provisional settlement did not miss", id);
	}
	free(v);
	json_decref(seen);
	if (rc != 0)
		return rc;
	if (net < -DK_MAX_WH || net > DK_MAX_WH)
		return dk_fail(e, DK_EX_DATAERR, "participant %s: a net export "
		    "of %lld Wh, beyond the limits of a slot", id,
		    (long long)net);
	return dk_trueup_net(prov, contracts, net, reg, r, out, e);
}
