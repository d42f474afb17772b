#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "denki.h"

static int
check(const struct dk_rules *r, struct dk_err *e)
{
	char zpath[128];

	if (strcmp(r->mechanism, "uniform") != 0)
		return dk_fail(e, DK_EX_CONFIG,
		    "mechanism: must be \"uniform\", got \"%s\"", r->mechanism);
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
	if ((tp = dk_conf_path(c, "terms", NULL)) != NULL) {
		if ((fp = fopen(tp, "r")) == NULL) {
			dk_fail(e, DK_EX_CONFIG, "terms: %s: %s", tp,
			    strerror(errno));
			free(tp);
			return -1;
		}
		len = getdelim(&text, &cap, '\0', fp);
		fclose(fp);
		free(tp);
		if ((ssize_t)len < 0) {
			free(text);
			return dk_fail(e, DK_EX_CONFIG, "terms: empty file");
		}
		dk_sha256_hex(text, len, r->terms);
		free(text);
	}
	if (check(r, e) < 0)
		goto bad;
	return 0;
bad:
	if (c->path != NULL && strncmp(e->msg, c->path, strlen(c->path)) != 0)
		dk_failpre(e, "%s", c->path);
	e->status = DK_EX_CONFIG;
	return -1;
}

int
dk_rules_from_json(struct dk_rules *r, json_t *o, struct dk_err *e)
{
	const char *s;
	long long v;

	memset(r, 0, sizeof(*r));
	if (dk_check_type(o, "rules", e) < 0)
		return -1;
	if ((s = dk_get_str(o, "currency", e)) == NULL ||
	    copy(r->currency, sizeof(r->currency), s, "currency", e) < 0)
		return -1;
	if ((s = dk_get_str(o, "tz", e)) == NULL ||
	    copy(r->tz, sizeof(r->tz), s, "tz", e) < 0)
		return -1;
	if ((s = dk_get_str(o, "mechanism", e)) == NULL ||
	    copy(r->mechanism, sizeof(r->mechanism), s, "mechanism", e) < 0)
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
	if (check(r, e) < 0) {
		e->status = DK_EX_DATAERR;
		return -1;
	}
	return 0;
}

json_t *
dk_rules_json(const struct dk_rules *r)
{
	return json_pack("{s:s,s:i,s:s,s:s,s:i,s:s,s:I,s:I,s:I,s:s}",
	    "type", "rules", "v", 1, "currency", r->currency, "tz", r->tz,
	    "slot_minutes", r->slot_minutes, "mechanism", r->mechanism,
	    "retail", (json_int_t)r->retail, "buyback", (json_int_t)r->buyback,
	    "fee", (json_int_t)r->fee, "terms", r->terms);
}
