/* rules.c: the market rules in force (mechanism, prices, fees, zones and
 * links): from the configuration, from a rules record, and back. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ledger.h"

static const char *const mechanisms[] = {
	"uniform", "pay-as-bid", "mid-market", "mcafee", NULL
};

static int
check(struct dk_rules *r, struct dk_err *e)
{
	char zpath[128];
	size_t i, j;

	for (i = 0; mechanisms[i] != NULL; i++)
		if (strcmp(r->mechanism, mechanisms[i]) == 0)
			break;
	if (mechanisms[i] == NULL)
		return dk_fail(e, DK_EX_CONFIG, "mechanism: must be uniform, "
		    "pay-as-bid, mid-market or mcafee, got \"%s\"",
		    r->mechanism);
	r->mmr = r->buyback + (r->retail - r->buyback) / 2;
	r->zonal = r->wheel_inside != 0 || r->wheel_between != 0 ||
	    r->nlinks != 0;
	if (r->zonal && strcmp(r->mechanism, "mcafee") == 0)
		return dk_fail(e, DK_EX_CONFIG, "mechanism: mcafee clears "
		    "one zone; wheeling and links need uniform, pay-as-bid or "
		    "mid-market");
	for (i = 0; i < r->nlinks; i++) {
		if (strcmp(r->link[i].a, r->link[i].b) == 0)
			return dk_fail(e, DK_EX_CONFIG, "links.%s: joins zone "
			    "%s to itself", r->link[i].name, r->link[i].a);
		for (j = 0; j < i; j++)
			if ((strcmp(r->link[i].a, r->link[j].a) == 0 &&
			    strcmp(r->link[i].b, r->link[j].b) == 0) ||
			    (strcmp(r->link[i].a, r->link[j].b) == 0 &&
			    strcmp(r->link[i].b, r->link[j].a) == 0))
				return dk_fail(e, DK_EX_CONFIG, "links.%s: "
				    "zones %s and %s are already joined by "
				    "links.%s", r->link[i].name, r->link[i].a,
				    r->link[i].b, r->link[j].name);
	}
	if (r->slot_minutes < 1 || r->slot_minutes > 1440 ||
	    1440 % r->slot_minutes != 0)
		return dk_fail(e, DK_EX_CONFIG,
		    "slot_minutes: must divide a day (15, 30, 60, ...), got %d",
		    r->slot_minutes);
	if (r->buyback > r->retail)
		return dk_fail(e, DK_EX_CONFIG,
		    "prices: buyback (%lld) must not exceed retail (%lld)",
		    (long long)r->buyback, (long long)r->retail);
	if (strcmp(r->tz, "UTC") != 0) {
		snprintf(zpath, sizeof(zpath), "/usr/share/zoneinfo/%s", r->tz);
		if (strstr(r->tz, "..") != NULL || access(zpath, R_OK) != 0)
			return dk_fail(e, DK_EX_CONFIG,
			    "tz: unknown time zone \"%s\" (not in "
			    "/usr/share/zoneinfo)", r->tz);
	}
	return 0;
}

static int
copy(char *dst, size_t n, const char *src, const char *key, struct dk_err *e)
{
	if (strlen(src) >= n || strlen(src) == 0)
		return dk_fail(e, DK_EX_CONFIG, "%s: must be 1 to %zu "
		    "characters", key, n - 1);
	strcpy(dst, src);
	return 0;
}

/* links:
 *   NAME: { zones: [A, B], capacity_wh: N, wheeling: P }
 * in the order the file gives them; wheeling defaults to wheeling.between. */
static int
links_from_conf(struct dk_rules *r, const struct dk_conf *c,
    struct dk_err *e)
{
	char key[128], name[DK_ID_MAX + 1];
	const char *k, *dot, *z;
	struct dk_link *l;
	long long v;
	size_t i, j, len;

	for (i = 0; i < c->n; i++) {
		k = c->key[i];
		if (strncmp(k, "links.", 6) != 0)
			continue;
		k += 6;
		if ((dot = strchr(k, '.')) == NULL)
			return dk_fail(e, DK_EX_CONFIG, "links.%s: must be a "
			    "map of zones, capacity_wh and wheeling", k);
		len = (size_t)(dot - k);
		if (len == 0 || len > DK_ID_MAX)
			return dk_fail(e, DK_EX_CONFIG, "links: a link name "
			    "must be 1 to 32 of [A-Za-z0-9._-]");
		memcpy(name, k, len);
		name[len] = '\0';
		if (!dk_valid_id(name))
			return dk_fail(e, DK_EX_CONFIG, "links.%s: a link name "
			    "must be 1 to 32 of [A-Za-z0-9._-]", name);
		if (strcmp(dot + 1, "zones") != 0 &&
		    strcmp(dot + 1, "capacity_wh") != 0 &&
		    strcmp(dot + 1, "wheeling") != 0)
			return dk_fail(e, DK_EX_CONFIG, "links.%s.%s: unknown "
			    "setting (zones, capacity_wh, wheeling)", name,
			    dot + 1);
		for (j = 0; j < r->nlinks; j++)
			if (strcmp(r->link[j].name, name) == 0)
				break;
		if (j < r->nlinks)
			continue;
		if (r->nlinks == DK_LINKS_MAX)
			return dk_fail(e, DK_EX_CONFIG, "links: at most %d",
			    DK_LINKS_MAX);
		l = &r->link[r->nlinks++];
		strcpy(l->name, name);
		snprintf(key, sizeof(key), "links.%s.zones", name);
		z = dk_conf_str(c, key, NULL);
		if (z == NULL || (dot = strchr(z, ',')) == NULL ||
		    strchr(dot + 1, ',') != NULL ||
		    (size_t)(dot - z) > DK_ID_MAX || strlen(dot + 1) >
		    DK_ID_MAX)
			return dk_fail(e, DK_EX_CONFIG, "%s: must list two "
			    "zones, as [A, B]", key);
		memcpy(l->a, z, (size_t)(dot - z));
		l->a[dot - z] = '\0';
		strcpy(l->b, dot + 1);
		if (!dk_valid_id(l->a) || !dk_valid_id(l->b))
			return dk_fail(e, DK_EX_CONFIG, "%s: a zone must be 1 "
			    "to 32 of [A-Za-z0-9._-]", key);
		snprintf(key, sizeof(key), "links.%s.capacity_wh", name);
		if (dk_conf_str(c, key, NULL) == NULL)
			return dk_fail(e, DK_EX_CONFIG, "%s: missing (Wh per "
			    "slot)", key);
		if (dk_conf_int(c, key, 0, 0, DK_MAX_WH, &v, e) < 0)
			return -1;
		l->cap_wh = v;
		snprintf(key, sizeof(key), "links.%s.wheeling", name);
		if (dk_conf_int(c, key, r->wheel_between, 0, DK_MAX_PRICE, &v,
		    e) < 0)
			return -1;
		l->wheel = v;
	}
	return 0;
}

static const char *const payers[] = { "buyer", "seller", "split", NULL };

/* A DK_PAYER_* by its name in the rules and contracts. */
const char *
dk_fee_payer_name(int payer)
{
	return payers[payer >= 0 && payer <= DK_PAYER_SPLIT ? payer : 0];
}

static int
payer(const char *s, struct dk_rules *r, struct dk_err *e)
{
	int i;

	for (i = 0; payers[i] != NULL; i++)
		if (strcmp(s, payers[i]) == 0) {
			r->fee_payer = i;
			return 0;
		}
	return dk_fail(e, DK_EX_CONFIG, "fee_payer: must be buyer, seller or "
	    "split, got \"%.40s\"", s);
}

/* The rules of version 2 (money) from the configuration. */
static int
money_from_conf(struct dk_rules *r, const struct dk_conf *c,
    struct dk_err *e)
{
	long long v;
	char *ip;
	int rc;

	if (dk_conf_int(c, "prices.tolerance_wh", 0, 0, DK_MAX_WH, &v, e) < 0)
		return -1;
	r->tol_wh = v;
	if (dk_conf_int(c, "prices.tolerance_pct", 0, 0, 100, &v, e) < 0)
		return -1;
	r->tol_pct = (int)v;
	if (dk_conf_int(c, "prices.fee_bps", 0, 0, 10000, &v, e) < 0)
		return -1;
	r->fee_bps = (int)v;
	if (payer(dk_conf_str(c, "prices.fee_payer", "buyer"), r, e) < 0)
		return dk_failpre(e, "prices");
	if (dk_conf_int(c, "prices.monthly_fee", 0, 0, DK_MAX_PRICE, &v,
	    e) < 0)
		return -1;
	r->monthly_fee = v;
	if (dk_conf_int(c, "tax.rate_bps", 0, 0, 10000, &v, e) < 0)
		return -1;
	r->tax_bps = (int)v;
	if ((ip = dk_conf_path(c, "prices.imbalance", NULL)) == NULL)
		return 0;
	rc = dk_series_load(ip, r->slot_minutes, r->imbalance, e);
	free(ip);
	return rc < 0 ? dk_failpre(e, "prices.imbalance") : 0;
}

int
dk_rules_from_conf(struct dk_rules *r, const struct dk_conf *c,
    struct dk_err *e)
{
	long long v;
	char *tp;
	FILE *fp;
	char *text = NULL;
	size_t cap = 0, len;

	memset(r, 0, sizeof(*r));
	if (copy(r->currency, sizeof(r->currency),
	    dk_conf_str(c, "currency", "EUR"), "currency", e) < 0 ||
	    copy(r->tz, sizeof(r->tz), dk_conf_str(c, "tz", "UTC"), "tz",
	    e) < 0 ||
	    copy(r->mechanism, sizeof(r->mechanism),
	    dk_conf_str(c, "mechanism", "uniform"), "mechanism", e) < 0)
		goto bad;
	if (dk_conf_int(c, "slot_minutes", 30, 1, 1440, &v, e) < 0)
		goto bad;
	r->slot_minutes = (int)v;
	if (dk_conf_int(c, "prices.retail", -1, 0, DK_MAX_PRICE, &v, e) < 0)
		goto bad;
	if (v < 0)
		return dk_fail(e, DK_EX_CONFIG, "%s: prices.retail: missing "
		    "(micro-units per kWh)", c->path ? c->path : "config");
	r->retail = v;
	if (dk_conf_int(c, "prices.buyback", -1, 0, DK_MAX_PRICE, &v, e) < 0)
		goto bad;
	if (v < 0)
		return dk_fail(e, DK_EX_CONFIG, "%s: prices.buyback: missing "
		    "(micro-units per kWh)", c->path ? c->path : "config");
	r->buyback = v;
	if (dk_conf_int(c, "prices.fee", 0, 0, DK_MAX_PRICE, &v, e) < 0)
		goto bad;
	r->fee = v;
	if (dk_conf_int(c, "wheeling.inside", 0, 0, DK_MAX_PRICE, &v, e) < 0)
		goto bad;
	r->wheel_inside = v;
	if (dk_conf_int(c, "wheeling.between", 0, 0, DK_MAX_PRICE, &v,
	    e) < 0)
		goto bad;
	r->wheel_between = v;
	if (links_from_conf(r, c, e) < 0)
		goto bad;
	if (money_from_conf(r, c, e) < 0 ||
	    dk_revrules_conf(&r->review, c, e) < 0)
		goto bad;
	if ((tp = dk_conf_path(c, "terms", NULL)) != NULL) {
		if ((fp = fopen(tp, "r")) == NULL) {
			dk_fail(e, DK_EX_CONFIG, "terms: %s: %s", tp,
			    strerror(errno));
			free(tp);
			goto bad;
		}
		len = getdelim(&text, &cap, '\0', fp);
		fclose(fp);
		free(tp);
		if ((ssize_t)len < 0) {
			free(text);
			dk_fail(e, DK_EX_CONFIG, "terms: empty file");
			goto bad;
		}
		dk_sha256_hex(text, len, r->terms);
		free(text);
	}
	if (check(r, e) < 0)
		goto bad;
	return 0;
bad:
	if (c->path != NULL && strncmp(e->msg, c->path, strlen(c->path)) != 0 &&
	    strncmp(e->msg, "-D: ", 4) != 0)
		dk_failpre(e, "%s", c->path);
	e->status = DK_EX_CONFIG;
	return -1;
}

/* The zone fields are left out of a record whose rules have no zones, so
 * the records of a community without them stay as they were. */
static int
links_from_json(struct dk_rules *r, json_t *o, struct dk_err *e)
{
	json_t *a, *l;
	const char *s;
	long long v;
	size_t i;

	if (json_object_get(o, "wheeling_inside") != NULL) {
		if (dk_get_int(o, "wheeling_inside", 0, DK_MAX_PRICE, &v,
		    e) < 0)
			return -1;
		r->wheel_inside = v;
	}
	if (json_object_get(o, "wheeling_between") != NULL) {
		if (dk_get_int(o, "wheeling_between", 0, DK_MAX_PRICE, &v,
		    e) < 0)
			return -1;
		r->wheel_between = v;
	}
	if ((a = json_object_get(o, "links")) == NULL)
		return 0;
	if (!json_is_array(a) || json_array_size(a) > DK_LINKS_MAX)
		return dk_fail(e, DK_EX_DATAERR, "links: must be an array of "
		    "at most %d links", DK_LINKS_MAX);
	json_array_foreach(a, i, l) {
		struct dk_link *k = &r->link[i];
		if (!json_is_object(l))
			return dk_fail(e, DK_EX_DATAERR, "links[%zu]: must be "
			    "an object", i);
		if ((s = dk_get_id(l, "name", e)) == NULL)
			return dk_failpre(e, "links[%zu]", i);
		strcpy(k->name, s);
		if ((s = dk_get_id(l, "a", e)) == NULL)
			return dk_failpre(e, "links[%zu]", i);
		strcpy(k->a, s);
		if ((s = dk_get_id(l, "b", e)) == NULL)
			return dk_failpre(e, "links[%zu]", i);
		strcpy(k->b, s);
		if (dk_get_int(l, "capacity_wh", 0, DK_MAX_WH, &v, e) < 0)
			return dk_failpre(e, "links[%zu]", i);
		k->cap_wh = v;
		if (dk_get_int(l, "wheeling", 0, DK_MAX_PRICE, &v, e) < 0)
			return dk_failpre(e, "links[%zu]", i);
		k->wheel = v;
		r->nlinks = i + 1;
	}
	return 0;
}

/* An integer field of version 2, 0 when absent. */
static int
opt_int(json_t *o, const char *key, long long min, long long max,
    long long *v, struct dk_err *e)
{
	*v = 0;
	if (json_object_get(o, key) == NULL)
		return 0;
	return dk_get_int(o, key, min, max, v, e);
}

/* The fields of version 2, each present only when set. */
static int
money_from_json(struct dk_rules *r, json_t *o, struct dk_err *e)
{
	json_t *x;
	const char *s;
	long long v;

	if ((x = json_object_get(o, "imbalance")) != NULL) {
		if ((s = json_string_value(x)) == NULL || strlen(s) != 64 ||
		    strspn(s, "0123456789abcdef") != 64)
			return dk_fail(e, DK_EX_DATAERR, "imbalance: must be "
			    "a SHA-256 in hex");
		strcpy(r->imbalance, s);
	}
	if (opt_int(o, "tolerance_wh", 0, DK_MAX_WH, &v, e) < 0)
		return -1;
	r->tol_wh = v;
	if (opt_int(o, "tolerance_pct", 0, 100, &v, e) < 0)
		return -1;
	r->tol_pct = (int)v;
	if (opt_int(o, "fee_bps", 1, 10000, &v, e) < 0)
		return -1;
	r->fee_bps = (int)v;
	if (r->fee_bps > 0) {
		if ((s = dk_get_str(o, "fee_payer", e)) == NULL)
			return -1;
		if (payer(s, r, e) < 0) {
			e->status = DK_EX_DATAERR;
			return -1;
		}
	}
	if (opt_int(o, "monthly_fee", 1, DK_MAX_PRICE, &v, e) < 0)
		return -1;
	r->monthly_fee = v;
	if (opt_int(o, "tax_bps", 1, 10000, &v, e) < 0)
		return -1;
	r->tax_bps = (int)v;
	return 0;
}

/* The fields of version 2 into o, each only when set. */
static void
money_json(const struct dk_rules *r, json_t *o)
{
	int v2 = 0;

	if (r->imbalance[0] != '\0') {
		json_object_set_new(o, "imbalance", json_string(r->imbalance));
		v2 = 1;
	}
	if (r->tol_wh > 0 || r->tol_pct > 0) {
		json_object_set_new(o, "tolerance_wh", json_integer(r->tol_wh));
		json_object_set_new(o, "tolerance_pct",
		    json_integer(r->tol_pct));
		v2 = 1;
	}
	if (r->fee_bps > 0) {
		json_object_set_new(o, "fee_bps", json_integer(r->fee_bps));
		json_object_set_new(o, "fee_payer",
		    json_string(payers[r->fee_payer]));
		v2 = 1;
	}
	if (r->monthly_fee > 0) {
		json_object_set_new(o, "monthly_fee",
		    json_integer(r->monthly_fee));
		v2 = 1;
	}
	if (r->tax_bps > 0) {
		json_object_set_new(o, "tax_bps", json_integer(r->tax_bps));
		v2 = 1;
	}
	if (v2)
		json_object_set_new(o, "v", json_integer(2));
}

/* A field of a rules record: bad input data (65), not configuration. */
static int
copy_rec(char *dst, size_t n, const char *src, const char *key,
    struct dk_err *e)
{
	if (copy(dst, n, src, key, e) < 0) {
		e->status = DK_EX_DATAERR;
		return -1;
	}
	return 0;
}

int
dk_rules_from_json(struct dk_rules *r, json_t *o, struct dk_err *e)
{
	const char *s;
	long long v, ver;

	memset(r, 0, sizeof(*r));
	if ((s = dk_get_str(o, "type", e)) == NULL)
		return -1;
	if (strcmp(s, "rules") != 0)
		return dk_fail(e, DK_EX_DATAERR, "type: must be \"rules\", got "
		    "\"%.40s\"", s);
	if (dk_get_int(o, "v", 1, 3, &ver, e) < 0)
		return -1;
	if ((s = dk_get_str(o, "currency", e)) == NULL ||
	    copy_rec(r->currency, sizeof(r->currency), s, "currency", e) < 0)
		return -1;
	if ((s = dk_get_str(o, "tz", e)) == NULL ||
	    copy_rec(r->tz, sizeof(r->tz), s, "tz", e) < 0)
		return -1;
	if ((s = dk_get_str(o, "mechanism", e)) == NULL ||
	    copy_rec(r->mechanism, sizeof(r->mechanism), s, "mechanism", e) < 0)
		return -1;
	if ((s = dk_get_str(o, "terms", e)) == NULL)
		return -1;
	if (strlen(s) != 0 && strlen(s) != 64)
		return dk_fail(e, DK_EX_DATAERR,
		    "terms: must be a SHA-256 in hex, or empty");
	strcpy(r->terms, s);
	if (dk_get_int(o, "slot_minutes", 1, 1440, &v, e) < 0)
		return -1;
	r->slot_minutes = (int)v;
	if (dk_get_int(o, "retail", 0, DK_MAX_PRICE, &v, e) < 0)
		return -1;
	r->retail = v;
	if (dk_get_int(o, "buyback", 0, DK_MAX_PRICE, &v, e) < 0)
		return -1;
	r->buyback = v;
	if (dk_get_int(o, "fee", 0, DK_MAX_PRICE, &v, e) < 0)
		return -1;
	r->fee = v;
	if (links_from_json(r, o, e) < 0 || money_from_json(r, o, e) < 0 ||
	    dk_revrules_from_json(&r->review, o, e) < 0)
		return -1;
	if (ver != (r->review.on ? 3 : r->imbalance[0] != '\0' ||
	    r->tol_wh > 0 || r->tol_pct > 0 || r->fee_bps > 0 ||
	    r->monthly_fee > 0 || r->tax_bps > 0 ? 2 : 1))
		return dk_fail(e, DK_EX_DATAERR, "v: must be 2 with the fields "
		    "of money (imbalance, tolerance_wh, fee_bps, monthly_fee, "
		    "tax_bps), 1 without, 3 with review rules");
	if (check(r, e) < 0) {
		e->status = DK_EX_DATAERR;
		return -1;
	}
	return 0;
}

json_t *
dk_rules_json(const struct dk_rules *r)
{
	json_t *o, *a;
	size_t i;

	o = json_pack("{s:s,s:i,s:s,s:s,s:i,s:s,s:I,s:I,s:I,s:s}",
	    "type", "rules", "v", 1, "currency", r->currency, "tz", r->tz,
	    "slot_minutes", r->slot_minutes, "mechanism", r->mechanism,
	    "retail", (json_int_t)r->retail, "buyback", (json_int_t)r->buyback,
	    "fee", (json_int_t)r->fee, "terms", r->terms);
	if (o == NULL)
		return NULL;
	money_json(r, o);
	dk_revrules_json(&r->review, o);
	if (!r->zonal)
		return o;
	json_object_set_new(o, "wheeling_inside",
	    json_integer(r->wheel_inside));
	json_object_set_new(o, "wheeling_between",
	    json_integer(r->wheel_between));
	if (r->nlinks == 0)
		return o;
	a = json_array();
	for (i = 0; i < r->nlinks; i++)
		json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:I,s:I}",
		    "name", r->link[i].name, "a", r->link[i].a, "b",
		    r->link[i].b, "capacity_wh", (json_int_t)r->link[i].cap_wh,
		    "wheeling", (json_int_t)r->link[i].wheel));
	json_object_set_new(o, "links", a);
	return o;
}
