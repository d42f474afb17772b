/*
 * conf-keys.c: the table of every setting, which file (coop.yaml, home.yaml)
 * may hold it and what its value must be; an unknown name gets the
 * nearest known one as a suggestion.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf-impl.h"

#define COOP	DK_CONF_COOP
#define HOME	DK_CONF_HOME
#define BOTH	(DK_CONF_COOP | DK_CONF_HOME)
#define TEXT	DK_CONF_TEXT
#define INT	DK_CONF_INT
#define PATH	DK_CONF_PATH
#define LIST	DK_CONF_LIST

/*
 * Every setting of every program, in the order of denki-formats(5),
 * CONFIGURATION, which lists them all (tests/unit/test-conf.c holds the
 * page equal to this table).  "*" stands for a name the file chooses.
 */
static const struct dk_confkey table[] = {
	{ "ledger",			COOP, PATH, 0, 0 },
	{ "origin",			COOP, TEXT, 0, 0 },
	{ "operator.key",		COOP, PATH, 0, 0 },
	{ "operator.pub",		COOP, PATH, 0, 0 },
	{ "terms",			COOP, PATH, 0, 0 },
	{ "settle.signed",		COOP, TEXT, 0, 0 },
	{ "settle.deadline_minutes",	COOP, INT, 0, 10080 },
	{ "readings",			COOP, TEXT, 0, 0 },
	{ "recovery_key",		COOP, PATH, 0, 0 },
	{ "emission_factor",		COOP, INT, 0, 10000 },
	{ "witness.*.url",		COOP, TEXT, 0, 0 },
	{ "witness.*.vkey",		COOP, TEXT, 0, 0 },
	{ "witness.timeout",		COOP, INT, 1, 600 },
	{ "witness.quorum",		COOP, INT, 0, 16 },
	{ "prices.imbalance",		COOP, PATH, 0, 0 },
	{ "prices.tolerance_wh",	COOP, INT, 0, DK_MAX_WH },
	{ "prices.tolerance_pct",	COOP, INT, 0, 100 },
	{ "prices.fee_bps",		COOP, INT, 0, 10000 },
	{ "prices.fee_payer",		COOP, TEXT, 0, 0 },
	{ "prices.monthly_fee",		COOP, INT, 0, DK_MAX_PRICE },
	{ "tax.rate_bps",		COOP, INT, 0, 10000 },
	{ "review.value",		COOP, INT, 0, DK_MAX_SAFE_INT },
	{ "review.wh",			COOP, INT, 0, DK_MAX_WH },
	{ "review.band_pct",		COOP, INT, 0, 1000 },
	{ "review.band_slots",		COOP, INT, 1, 10000 },
	{ "review.tenure_days",		COOP, INT, 0, 3650 },
	{ "review.credit_floor",	COOP, INT, 0, 1000 },
	{ "review.roles",		COOP, TEXT, 0, 0 },
	{ "review.lead_minutes",	COOP, INT, 0, 10080 },
	{ "members.store",		COOP, PATH, 0, 0 },
	{ "gate_closure_minutes",	COOP, INT, 0, 10080 },
	{ "intake.key",			COOP, PATH, 0, 0 },
	{ "intake.pub",			COOP, PATH, 0, 0 },
	{ "intake.inbox",		COOP, PATH, 0, 0 },
	{ "intake.max_body",		COOP, INT, 1, 1073741824 },
	{ "grid.frequency_min_mhz",	COOP, INT, 1, 1000000 },
	{ "grid.frequency_max_mhz",	COOP, INT, 1, 1000000 },
	{ "grid.voltage_min_mv",	COOP, INT, 1, 1000000000 },
	{ "grid.voltage_max_mv",	COOP, INT, 1, 1000000000 },
	{ "grid.stable_seconds",	COOP, INT, 1, 86400 },
	{ "grid.stuck_seconds",		COOP, INT, 1, 86400 },
	{ "grid.gap_seconds",		COOP, INT, 1, 86400 },
	{ "grid.halt_minutes",		COOP, INT, 1, 10080 },

	{ "currency",			BOTH, TEXT, 0, 0 },
	{ "tz",				BOTH, TEXT, 0, 0 },
	{ "slot_minutes",		BOTH, INT, 1, 1440 },
	{ "mechanism",			BOTH, TEXT, 0, 0 },
	{ "prices.retail",		BOTH, INT, 0, DK_MAX_PRICE },
	{ "prices.buyback",		BOTH, INT, 0, DK_MAX_PRICE },
	{ "prices.fee",			BOTH, INT, 0, DK_MAX_PRICE },
	{ "wheeling.inside",		BOTH, INT, 0, DK_MAX_PRICE },
	{ "wheeling.between",		BOTH, INT, 0, DK_MAX_PRICE },
	{ "links.*.zones",		BOTH, LIST, 0, 0 },
	{ "links.*.capacity_wh",	BOTH, INT, 0, DK_MAX_WH },
	{ "links.*.wheeling",		BOTH, INT, 0, DK_MAX_PRICE },

	{ "participant",		HOME, TEXT, 0, 0 },
	{ "key",			HOME, PATH, 0, 0 },
	{ "meters",			HOME, LIST, 0, 0 },
	{ "state",			HOME, PATH, 0, 0 },
	{ "state_sync",			HOME, TEXT, 0, 0 },
	{ "meter.driver",		HOME, TEXT, 0, 0 },
	{ "meter.id",			HOME, TEXT, 0, 0 },
	{ "meter.import_column",	HOME, TEXT, 0, 0 },
	{ "meter.export_column",	HOME, TEXT, 0, 0 },
	{ "meter.tolerance",		HOME, INT, 0, 43200 },
	{ "meter.key",			HOME, PATH, 0, 0 },
	{ "meter.sign",			HOME, TEXT, 0, 0 },
	{ "meter.samples.file",		HOME, TEXT, 0, 0 },
	{ "sim.seed",			HOME, INT, 0, DK_MAX_SAFE_INT },
	{ "sim.pv_peak_w",		HOME, INT, 0, 1000000 },
	{ "sim.load_w",			HOME, INT, 0, 1000000 },
	{ "sim.start",			HOME, TEXT, 0, 0 },
	{ "sim.slots",			HOME, INT, 1, 1000000 },
	{ "bid.min_wh",			HOME, INT, 1, DK_MAX_WH },
	{ "bid.sell_markup",		HOME, INT, 0, 100 },
	{ "bid.buy_markdown",		HOME, INT, 0, 100 },
	{ "bid.forecast",		HOME, TEXT, 0, 0 },
	{ "bid.latitude",		HOME, TEXT, 0, 0 },
	{ "bid.longitude",		HOME, TEXT, 0, 0 },
	{ "battery.capacity_wh",	HOME, INT, 1, 10000000 },
	{ "battery.reserve_wh",		HOME, INT, 0, 10000000 },
	{ "battery.max_charge_w",	HOME, INT, 0, 10000000 },
	{ "battery.max_discharge_w",	HOME, INT, 0, 10000000 },
	{ "battery.efficiency_charge",	HOME, INT, 1, 1000 },
	{ "battery.efficiency_discharge", HOME, INT, 1, 1000 },
	{ "battery.degradation",	HOME, INT, 0, DK_MAX_PRICE },
	{ "battery.step_wh",		HOME, INT, 1, 10000000 },
	{ "battery.horizon",		HOME, INT, 1, 192 },
	{ "battery.prices",		HOME, PATH, 0, 0 },
	{ "battery.host",		HOME, TEXT, 0, 0 },
	{ "battery.eoj",		HOME, TEXT, 0, 0 },
	{ "bid.strategy",		HOME, TEXT, 0, 0 },
	{ "bid.risk",			HOME, INT, 0, 100 },
	{ "bid.ramp_slots",		HOME, INT, 1, 1440 },
	{ "bid.learn_days",		HOME, INT, 1, 366 },
	{ "bid.ledger",			HOME, PATH, 0, 0 },
	{ "bid.operator_pub",		HOME, PATH, 0, 0 },
	{ "submit.url",			HOME, TEXT, 0, 0 },
	{ "submit.intake_key",		HOME, TEXT, 0, 0 },
	{ "submit.outbox",		HOME, PATH, 0, 0 },

	{ "meter.echonet.host",		HOME, TEXT, 0, 0 },
	{ "meter.echonet.port",		HOME, INT, 1, 65535 },
	{ "meter.echonet.bind",		HOME, TEXT, 0, 0 },
	{ "meter.echonet.tz",		HOME, TEXT, 0, 0 },
	{ "meter.echonet.timeout",	HOME, INT, 10, 600000 },
	{ "meter.echonet.retries",	HOME, INT, 0, 100 },
	{ "meter.broute.device",	HOME, TEXT, 0, 0 },
	{ "meter.broute.id",		HOME, TEXT, 0, 0 },
	{ "meter.broute.password",	HOME, TEXT, 0, 0 },
	{ "meter.broute.model",		HOME, TEXT, 0, 0 },
	{ "meter.broute.channel",	HOME, TEXT, 0, 0 },
	{ "meter.broute.pan",		HOME, TEXT, 0, 0 },
	{ "meter.broute.addr",		HOME, TEXT, 0, 0 },
	{ "meter.broute.tz",		HOME, TEXT, 0, 0 },
	{ "meter.broute.timeout",	HOME, INT, 10, 600000 },
	{ "meter.broute.retries",	HOME, INT, 0, 100 },
	{ "meter.broute.scan_timeout",	HOME, INT, 10, 3600000 },
	{ "meter.broute.join_timeout",	HOME, INT, 10, 600000 },
	{ "meter.sunspec.host",		HOME, TEXT, 0, 0 },
	{ "meter.sunspec.port",		HOME, INT, 1, 65535 },
	{ "meter.sunspec.unit",		HOME, INT, 0, 255 },
	{ "meter.sunspec.base",		HOME, INT, 0, 65535 },
	{ "meter.sunspec.timeout_ms",	HOME, INT, 10, 60000 },
	{ "meter.sunspec.retries",	HOME, INT, 0, 10 },
	{ "meter.sunspec.power_sign",	HOME, TEXT, 0, 0 },
	{ "meter.dsmr.device",		HOME, TEXT, 0, 0 },
	{ "meter.dsmr.tcp",		HOME, TEXT, 0, 0 },
	{ "meter.dsmr.baud",		HOME, INT, 1200, 230400 },
	{ "meter.dsmr.serial",		HOME, TEXT, 0, 0 },
	{ "meter.dsmr.tz",		HOME, TEXT, 0, 0 },
	{ "meter.dsmr.telegrams",	HOME, INT, 1, 100000 },
	{ "meter.dsmr.timeout",		HOME, INT, 1, 86400 },
	{ "meter.dsmr.retries",		HOME, INT, 0, 100 },
	{ "meter.fronius.url",		HOME, TEXT, 0, 0 },
	{ "meter.fronius.timeout",	HOME, INT, 1, 600 },
	{ "meter.fronius.retries",	HOME, INT, 0, 100 },
	{ "meter.fronius.meter",	HOME, TEXT, 0, 0 },
	{ "meter.fronius.inverter",	HOME, INT, 0, 999 },
	{ "meter.enphase.url",		HOME, TEXT, 0, 0 },
	{ "meter.enphase.api",		HOME, TEXT, 0, 0 },
	{ "meter.enphase.timeout",	HOME, INT, 1, 600 },
	{ "meter.enphase.retries",	HOME, INT, 0, 100 },
};

const struct dk_confkey *
dk_conf_keys(size_t *n)
{
	*n = sizeof(table) / sizeof(table[0]);
	return table;
}

/* "links.*.zones" matches "links.t1.zones": "*" is one dotted part. */
static int
match(const char *pat, const char *k)
{
	while (*pat != '\0') {
		if (*pat == '*') {
			if (*k == '.' || *k == '\0')
				return 0;
			while (*k != '.' && *k != '\0')
				k++;
			pat++;
			continue;
		}
		if (*pat++ != *k++)
			return 0;
	}
	return *k == '\0';
}

/* A table of settings: this file's, or a program's own (a scenario's,
 * dk_conf_check_in), with the page that lists them. */
struct tab {
	const struct dk_confkey *k;
	size_t n;
	const char *doc;
};
static const struct tab settings = { table, sizeof(table) / sizeof(table[0]),
    "denki-formats(5), CONFIGURATION" };

static const struct dk_confkey *
find(const struct tab *tb, const char *key)
{
	size_t i;

	for (i = 0; i < tb->n; i++)
		if (match(tb->k[i].name, key))
			return &tb->k[i];
	return NULL;
}

const struct dk_confkey *
dk_conf_find(const char *key)
{
	return find(&settings, key);
}

static size_t
lev(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, d[128], prev, t;

	if (lb >= sizeof(d) / sizeof(d[0]) || la >= 128)
		return (size_t)-1 / 2;
	for (j = 0; j <= lb; j++)
		d[j] = j;
	for (i = 1; i <= la; i++) {
		prev = d[0];
		d[0] = i;
		for (j = 1; j <= lb; j++) {
			t = d[j];
			d[j] = prev + (a[i - 1] != b[j - 1]);
			if (d[j - 1] + 1 < d[j])
				d[j] = d[j - 1] + 1;
			if (t + 1 < d[j])
				d[j] = t + 1;
			prev = t;
		}
	}
	return d[lb];
}

/* The table's name with its "*" parts taken from what was written
 * ("links.t1.zones" for "links.*.zones" near "links.t1.zone"). */
static void
spell(const char *pat, const char *k, char *out, size_t n)
{
	size_t o = 0, len;
	const char *src, *end;

	out[0] = '\0';
	for (;;) {
		end = strchr(pat, '.');
		len = end ? (size_t)(end - pat) : strlen(pat);
		src = pat;
		if (len == 1 && *pat == '*') {
			src = k;
			len = strcspn(k, ".");
			if (len == 0) {
				src = "NAME";
				len = 4;
			}
		}
		if (o + len + 2 > n)
			return;
		memcpy(out + o, src, len);
		o += len;
		out[o] = '\0';
		if (end == NULL)
			return;
		out[o++] = '.';
		out[o] = '\0';
		pat = end + 1;
		k += strcspn(k, ".");
		if (*k == '.')
			k++;
	}
}

/* The known key of this kind nearest to k: the whole name, or its last
 * part alone ("fee" for "prices.fee"); NULL when none is near. */
static const char *
nearest(const struct tab *tb, const char *k, int kind, char *buf, size_t n)
{
	char cand[256];
	const char *kl, *cl;
	size_t i, best = (size_t)-1, s, t;

	kl = strrchr(k, '.') ? strrchr(k, '.') + 1 : k;
	for (i = 0; i < tb->n; i++) {
		if (kind != 0 && (tb->k[i].kinds & kind) == 0)
			continue;
		spell(tb->k[i].name, k, cand, sizeof(cand));
		s = lev(k, cand);
		cl = strrchr(cand, '.') ? strrchr(cand, '.') + 1 : cand;
		t = lev(kl, cl) + ((kl - k) != (cl - cand) ||
		    strncmp(k, cand, (size_t)(kl - k)) != 0);
		if (t < s)
			s = t;
		if (s < best) {
			best = s;
			snprintf(buf, n, "%s", cand);
		}
	}
	/* "prices.fe" is near "prices.fee"; "links.t.kv" near nothing */
	if (best > 2 || best >= strlen(kl))
		return NULL;
	return buf;
}

/* The settings beside k ("zones, capacity_wh, wheeling" for
 * "links.t.kv"); NULL for a key at the top, or with none beside it. */
static const char *
siblings(const struct tab *tb, const char *k, int kind, char *buf, size_t n)
{
	char cand[256];
	const char *kl = strrchr(k, '.'), *cl;
	size_t i, plen, o = 0;

	if (kl == NULL)
		return NULL;
	plen = (size_t)(kl - k);
	buf[0] = '\0';
	for (i = 0; i < tb->n; i++) {
		if (kind != 0 && (tb->k[i].kinds & kind) == 0)
			continue;
		spell(tb->k[i].name, k, cand, sizeof(cand));
		cl = strrchr(cand, '.');
		if (cl == NULL || (size_t)(cl - cand) != plen ||
		    strncmp(cand, k, plen) != 0)
			continue;
		o += snprintf(buf + o, n - o, "%s%s", o > 0 ? ", " : "",
		    cl + 1);
		if (o >= n)
			return NULL;
	}
	return o > 0 ? buf : NULL;
}

/* A setting's name and value against the table, for a file of this kind. */
static int
check(const struct tab *tb, const struct dk_conf *c, size_t i,
    struct dk_err *e)
{
	const struct dk_confkey *k = find(tb, c->key[i]);
	char w[300], near[256];
	const char *s = c->val[i];
	char *end, *p;
	long long v;
	struct stat sb;
	int rc = 0;

	dk_conf_where(c, i, w, sizeof(w));
	if (k == NULL) {
		if (nearest(tb, c->key[i], c->kind, near, sizeof(near)) != NULL)
			return dk_fail(e, DK_EX_CONFIG, "%s: %s: unknown "
			    "setting; did you mean %s?", w, c->key[i], near);
		if (siblings(tb, c->key[i], c->kind, near, sizeof(near)) !=
		    NULL)
			return dk_fail(e, DK_EX_CONFIG, "%s: %s: unknown "
			    "setting (%s)", w, c->key[i], near);
		return dk_fail(e, DK_EX_CONFIG, "%s: %s: unknown setting "
		    "(%s)", w, c->key[i], tb->doc);
	}
	if (c->kind != 0 && (k->kinds & c->kind) == 0)
		return dk_fail(e, DK_EX_CONFIG, "%s: %s: %s", w, c->key[i],
		    c->kind == DK_CONF_HOME ? "a setting of the cooperative's "
		    "file, not of a household's" : "a setting of a "
		    "household's file, not of the cooperative's");
	switch (k->type) {
	case DK_CONF_INT:
		errno = 0;
		v = strtoll(s, &end, 10);
		if (*s == '\0' || *end != '\0' || errno != 0)
			return dk_fail(e, DK_EX_CONFIG, "%s: %s: must be an "
			    "integer, got \"%.40s\"", w, c->key[i], s);
		if (v < k->min || v > k->max)
			return dk_fail(e, DK_EX_CONFIG, "%s: %s: must be from "
			    "%lld to %lld, got %lld", w, c->key[i], k->min,
			    k->max, v);
		break;
	case DK_CONF_PATH:
		if (*s == '\0')
			return dk_fail(e, DK_EX_CONFIG, "%s: %s: must be the "
			    "path of a file, got nothing", w, c->key[i]);
		if ((p = dk_conf_path(c, c->key[i], NULL)) == NULL)
			return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		/* a device, a fifo or a folder would hang or mislead the
		 * program that opens it: a file, or nothing yet */
		if (stat(p, &sb) == 0 && !S_ISREG(sb.st_mode))
			rc = dk_fail(e, DK_EX_CONFIG, "%s: %s: %s: not a "
			    "regular file (%s)", w, c->key[i], p,
			    S_ISDIR(sb.st_mode) ? "a folder" :
			    S_ISFIFO(sb.st_mode) ? "a fifo" :
			    S_ISCHR(sb.st_mode) || S_ISBLK(sb.st_mode) ?
			    "a device" : "a socket");
		free(p);
		return rc;
	default:
		break;
	}
	return 0;
}

int
dk_conf_check(const struct dk_conf *c, size_t i, struct dk_err *e)
{
	return check(&settings, c, i, e);
}

/* Setting i of c against a program's own table of n keys (a file that
 * is not a configuration: a scenario), doc the page that lists them. */
int
dk_conf_check_in(const struct dk_confkey *keys, size_t n, const char *doc,
    const struct dk_conf *c, size_t i, struct dk_err *e)
{
	const struct tab tb = { keys, n, doc };

	return check(&tb, c, i, e);
}
