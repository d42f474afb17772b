#include <stdlib.h>
#include <string.h>

#include "denki.h"

static const char *const fields[] = { "type", "v", "participant", "slot",
	"side", "wh", "price", "sig", NULL };

static int
unit(struct dk_err *e, const char *what)
{
	size_t n = strlen(e->msg);

	snprintf(e->msg + n, sizeof(e->msg) - n, " (%s)", what);
	return -1;
}

static int order_read(struct dk_order *, json_t *, const struct dk_rules *,
    const struct dk_registry *, int, const char *, struct dk_err *);

/* Every check, the participant's signature included. */
int
dk_order_check(struct dk_order *o, json_t *rec, const struct dk_rules *r,
    const struct dk_registry *reg, struct dk_err *e)
{
	return order_read(o, rec, r, reg, 1, NULL, e);
}

/* The same without the signature, for an order already verified. */
int
dk_order_read(struct dk_order *o, json_t *rec, const struct dk_rules *r,
    const struct dk_registry *reg, struct dk_err *e)
{
	return order_read(o, rec, r, reg, 0, NULL, e);
}

/* And with its id already known (a replay reads each order twice). */
int
dk_order_read_id(struct dk_order *o, json_t *rec, const char *id,
    const struct dk_rules *r, const struct dk_registry *reg,
    struct dk_err *e)
{
	return order_read(o, rec, r, reg, 0, id, e);
}

static int
order_read(struct dk_order *o, json_t *rec, const struct dk_rules *r,
    const struct dk_registry *reg, int verify, const char *id,
    struct dk_err *e)
{
	const struct dk_participant *p;
	const char *k, *s;
	json_t *x;
	long long v;
	char *c;
	int i, known;

	memset(o, 0, sizeof(*o));
	if (dk_check_type(rec, "order", e) < 0)
		return -1;
	json_object_foreach(rec, k, x) {
		for (known = 0, i = 0; fields[i] != NULL; i++)
			if (strcmp(k, fields[i]) == 0)
				known = 1;
		if (!known)
			return dk_fail(e, DK_EX_DATAERR,
			    "%s: not a field of an order", k);
	}
	if ((s = dk_get_id(rec, "participant", e)) == NULL)
		return -1;
	strcpy(o->participant, s);
	if ((s = dk_get_str(rec, "slot", e)) == NULL)
		return -1;
	if (dk_slot_parse(s, r->slot_minutes, &o->slot, e) < 0)
		return dk_failpre(e, "slot");
	if ((s = dk_get_str(rec, "side", e)) == NULL)
		return -1;
	if (strcmp(s, "sell") == 0)
		o->side = DK_SELL;
	else if (strcmp(s, "buy") == 0)
		o->side = DK_BUY;
	else
		return dk_fail(e, DK_EX_DATAERR,
		    "side: must be \"sell\" or \"buy\", got \"%.40s\"", s);
	if (dk_get_int(rec, "wh", 1, DK_MAX_WH, &v, e) < 0)
		return unit(e, "energy in Wh");
	o->wh = v;
	if (dk_get_int(rec, "price", 0, DK_MAX_PRICE, &v, e) < 0)
		return unit(e, "a limit price in micro-units per kWh");
	o->price = v;
	if (json_object_get(rec, "sig") == NULL)
		return dk_fail(e, DK_EX_DATAERR, "unsigned order (no sig)");
	p = dk_registry_find(reg, o->participant);
	if (p == NULL)
		return dk_fail(e, DK_EX_DATAERR,
		    "participant: %s is not in the registry", o->participant);
	if (!p->active)
		return dk_fail(e, DK_EX_DATAERR,
		    "participant: %s is revoked", o->participant);
	strcpy(o->zone, p->zone);
	if (verify && dk_verify_record(rec, p->pk, e) < 0)
		return -1;
	if (id != NULL && strlen(id) == 64)
		memcpy(o->id, id, 65);
	else {
		if ((c = dk_canon(rec)) == NULL)
			return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		dk_sha256_hex(c, strlen(c), o->id);
		free(c);
	}
	o->rec = rec;
	return 0;
}
