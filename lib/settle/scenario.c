/*
 * scenario.c: denki-simulate's scenario file (YAML, read by the
 * configuration's reader): the community, the period, the homes and what
 * is added to them, the copies that scale it, the rules and the strategy.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "settle.h"

#define DOC	"denki-simulate(1), SCENARIO"

static const struct dk_confkey keys[] = {
	{ "community",		0, DK_CONF_TEXT, 0, 0 },
	{ "start",		0, DK_CONF_TEXT, 0, 0 },
	{ "days",		0, DK_CONF_INT, 1, 3660 },
	{ "homes",		0, DK_CONF_LIST, 0, 0 },
	{ "strategy",		0, DK_CONF_TEXT, 0, 0 },
	{ "data.*",		0, DK_CONF_PATH, 0, 0 },
	{ "scale.copies",	0, DK_CONF_INT, 1, 100000 },
	{ "scale.shift_days",	0, DK_CONF_INT, 0, 3660 },
	{ "scale.load_pct",	0, DK_CONF_INT, 1, 1000 },
	{ "add.*.pv_w",		0, DK_CONF_INT, 0, 1000000 },
	{ "add.*.battery_wh",	0, DK_CONF_INT, 0, 1000000 },
	{ "add.*.battery_w",	0, DK_CONF_INT, 0, 1000000 },
	{ "add.*.battery_reserve_wh", 0, DK_CONF_INT, 0, 1000000 },
	{ "add.*.battery_efficiency", 0, DK_CONF_INT, 1, 1000 },
	{ "add.*.load_pct",	0, DK_CONF_INT, 1, 1000 },
};

/* Cooperative settings a scenario may not set: simulate makes them. */
static const char *const own[] = { "ledger", "operator.", "intake.",
	"witness.", "members.store", "recovery_key", "terms", NULL };

/* "scenario.yaml:7", where setting i was written */
static const char *
at(const struct dk_scen *s, size_t i, char *buf, size_t n)
{
	snprintf(buf, n, "%s:%zu", s->c.path, s->c.line[i]);
	return buf;
}

static const char *
where(const struct dk_scen *s, const char *key, char *buf, size_t n)
{
	size_t i;

	for (i = 0; i < s->c.n; i++)
		if (strcmp(s->c.key[i], key) == 0)
			return at(s, i, buf, n);
	snprintf(buf, n, "%s", s->c.path);
	return buf;
}

/* rules.NAME: NAME a setting of the cooperative's file, in its range. */
static int
rule(const struct dk_scen *s, size_t i, struct dk_err *e)
{
	const char *k = s->c.key[i] + 6, *v = s->c.val[i];
	const struct dk_confkey *ck = dk_conf_find(k);
	char w[300], *end;
	long long x;
	int j;

	at(s, i, w, sizeof(w));
	if (ck == NULL || (ck->kinds & DK_CONF_COOP) == 0)
		return dk_fail(e, DK_EX_CONFIG, "%s: %s: not a setting of the "
		    "cooperative's file (denki-formats(5), CONFIGURATION)", w,
		    s->c.key[i]);
	for (j = 0; own[j] != NULL; j++)
		if (strncmp(k, own[j], strlen(own[j])) == 0 &&
		    (own[j][strlen(own[j]) - 1] == '.' || k[strlen(own[j])] ==
		    '\0'))
			return dk_fail(e, DK_EX_CONFIG, "%s: %s: set by "
			    "denki-simulate, not by a scenario", w, s->c.key[i]);
	if (ck->type == DK_CONF_INT) {
		errno = 0;
		x = strtoll(v, &end, 10);
		if (*v == '\0' || *end != '\0' || errno != 0 || x < ck->min ||
		    x > ck->max)
			return dk_fail(e, DK_EX_CONFIG, "%s: %s: must be an "
			    "integer from %lld to %lld, got \"%.40s\"", w,
			    s->c.key[i], ck->min, ck->max, v);
	}
	return 0;
}

static long long
num(const struct dk_scen *s, const char *key, long long def)
{
	const char *v = dk_conf_str(&s->c, key, NULL);

	return v != NULL ? strtoll(v, NULL, 10) : def;
}

static int
isfile(const char *dir, const char *name, const char *suffix)
{
	char p[4096];
	struct stat sb;

	snprintf(p, sizeof(p), "%s/%s%s", dir, name, suffix);
	return stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* The homes named, each checked against the community's folder, then
 * their copies. */
static int
homes(struct dk_scen *s, struct dk_err *e)
{
	const char *list = dk_conf_str(&s->c, "homes", NULL), *p;
	char w[300], id[DK_ID_MAX + 1], data[DK_ID_MAX + 32];
	size_t n = 0, len, i, j;
	int c;

	where(s, "homes", w, sizeof(w));
	if (list == NULL || *list == '\0')
		return dk_fail(e, DK_EX_CONFIG, "%s: homes: must list the "
		    "community's homes to simulate, as [kn1, kn2]", w);
	for (p = list; *p != '\0'; p += len + (p[len] == ',')) {
		len = strcspn(p, ",");
		if (len == 0 || len > DK_ID_MAX)
			return dk_fail(e, DK_EX_CONFIG, "%s: homes: \"%.*s\": "
			    "not a participant id", w, (int)(len > 40 ? 40 :
			    len), p);
		memcpy(id, p, len);
		id[len] = '\0';
		if (!dk_valid_id(id))
			return dk_fail(e, DK_EX_CONFIG, "%s: homes: \"%s\": "
			    "not a participant id", w, id);
		if (!isfile(s->community, id, ".yaml"))
			return dk_fail(e, DK_EX_CONFIG, "%s: homes: %s: no such "
			    "home in %s (no %s.yaml)", w, id, s->community, id);
		snprintf(data, sizeof(data), "data.%s", id);
		if (dk_conf_str(&s->c, data, NULL) == NULL) {
			snprintf(data, sizeof(data), "data/%s", id);
			if (!isfile(s->community, data, ".csv"))
				return dk_fail(e, DK_EX_CONFIG, "%s: homes: %s: "
				    "no meter data in %s (no data/%s.csv)", w,
				    id, s->community, id);
		}
		for (i = 0; i < n; i++)
			if (strcmp(s->src[i], id) == 0)
				return dk_fail(e, DK_EX_CONFIG, "%s: homes: %s: "
				    "given twice", w, id);
		if ((s->src = realloc(s->src, (n + 1) * sizeof(*s->src))) ==
		    NULL)
			return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		memcpy(s->src[n++], id, len + 1);
	}
	s->nsrc = n;
	s->nh = n * (size_t)s->copies;
	if ((s->h = calloc(s->nh, sizeof(*s->h))) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	for (c = 0; c < s->copies; c++)
		for (i = 0; i < n; i++) {
			struct dk_scen_home *h = &s->h[c * n + i];
			h->src = i;
			h->copy = c;
			if (c == 0)
				snprintf(h->id, sizeof(h->id), "%s", s->src[i]);
			else if (snprintf(h->id, sizeof(h->id), "%s-%d",
			    s->src[i], c + 1) >= (int)sizeof(h->id))
				return dk_fail(e, DK_EX_CONFIG, "%s: homes: %s: "
				    "its copy %d's id is longer than %d "
				    "characters", w, s->src[i], c + 1,
				    DK_ID_MAX);
			h->load_pct = c == 0 ? 100 : s->load_pct;
		}
	/* add.NAME.*: what a home gets, and each of its copies; data.NAME:
	 * its meter data elsewhere */
	for (j = 0; j < s->c.n; j++) {
		const char *k = s->c.key[j], *dot;
		long long v;

		if (strncmp(k, "data.", 5) == 0) {
			char p[4096];
			struct stat sb;

			at(s, j, w, sizeof(w));
			for (i = 0; i < n && strcmp(s->src[i], k + 5) != 0; i++)
				;
			if (i == n)
				return dk_fail(e, DK_EX_CONFIG, "%s: %s: %s is "
				    "not one of the homes", w, k, k + 5);
			if (stat(dk_scen_data(s, i, p, sizeof(p)), &sb) < 0)
				return dk_fail(e, DK_EX_CONFIG, "%s: %s: %s: %s",
				    w, k, p, strerror(errno));
			continue;
		}
		if (strncmp(k, "add.", 4) != 0)
			continue;
		dot = strrchr(k, '.');
		len = (size_t)(dot - k - 4);
		for (i = 0; i < n; i++)
			if (strlen(s->src[i]) == len && strncmp(s->src[i], k + 4,
			    len) == 0)
				break;
		if (i == n) {
			at(s, j, w, sizeof(w));
			return dk_fail(e, DK_EX_CONFIG, "%s: %s: %.*s is not "
			    "one of the homes", w, k, (int)len, k + 4);
		}
		v = strtoll(s->c.val[j], NULL, 10);
		for (c = 0; c < s->copies; c++) {
			struct dk_scen_home *h = &s->h[c * n + i];
			if (strcmp(dot, ".pv_w") == 0)
				h->pv_w = v;
			else if (strcmp(dot, ".battery_wh") == 0)
				h->bat_wh = v;
			else if (strcmp(dot, ".battery_w") == 0)
				h->bat_w = v;
			else if (strcmp(dot, ".battery_reserve_wh") == 0)
				h->bat_reserve = v;
			else if (strcmp(dot, ".battery_efficiency") == 0)
				h->bat_eff = v;
			else
				h->load_pct = h->load_pct * v / 100;
		}
	}
	for (i = 0; i < s->nh; i++) {
		struct dk_scen_home *h = &s->h[i];
		if (h->bat_wh > 0 && h->bat_w == 0)
			h->bat_w = h->bat_wh / 2;
		if (h->bat_eff == 0)
			h->bat_eff = 950;
		if (h->bat_reserve > h->bat_wh) {
			snprintf(data, sizeof(data), "add.%s.battery_reserve_wh",
			    s->src[h->src]);
			return dk_fail(e, DK_EX_CONFIG, "%s: %s: %lld is more "
			    "than its battery_wh, %lld", where(s, data, w,
			    sizeof(w)), data, h->bat_reserve, h->bat_wh);
		}
	}
	return 0;
}

int
dk_scen_load(struct dk_scen *s, const char *path, struct dk_err *e)
{
	const char *v, *base;
	char w[300];
	size_t i;
	int y, m, d, end = 0;
	struct stat sb;

	memset(s, 0, sizeof(*s));
	if (dk_conf_load(&s->c, path, e) < 0)
		return -1;
	base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	if ((s->name = strdup(base)) == NULL)
		goto oom;
	if (strlen(s->name) > 5 && strcmp(s->name + strlen(s->name) - 5,
	    ".yaml") == 0)
		s->name[strlen(s->name) - 5] = '\0';
	for (i = 0; i < s->c.n; i++) {
		if (strncmp(s->c.key[i], "rules.", 6) == 0) {
			if (rule(s, i, e) < 0)
				goto fail;
			continue;
		}
		if (dk_conf_check_in(keys, sizeof(keys) / sizeof(keys[0]), DOC,
		    &s->c, i, e) < 0)
			goto fail;
	}
	if ((v = dk_conf_str(&s->c, "community", NULL)) == NULL) {
		dk_fail(e, DK_EX_CONFIG, "%s: community: missing: the folder "
		    "of the community's coop.yaml and homes", path);
		goto fail;
	}
	if ((s->community = dk_conf_path(&s->c, "community", NULL)) == NULL)
		goto oom;
	if (stat(s->community, &sb) < 0 || !S_ISDIR(sb.st_mode) ||
	    !isfile(s->community, "coop", ".yaml")) {
		dk_fail(e, DK_EX_CONFIG, "%s: community: %s: not a folder "
		    "with a coop.yaml", where(s, "community", w, sizeof(w)),
		    s->community);
		goto fail;
	}
	v = dk_conf_str(&s->c, "start", "");
	if (sscanf(v, "%4d-%2d-%2d%n", &y, &m, &d, &end) != 3 ||
	    end != 10 || v[end] != '\0' || m < 1 || m > 12 || d < 1 ||
	    d > 31) {
		dk_fail(e, DK_EX_CONFIG, "%s: start: must be the first day "
		    "traded, as 2016-07-05, got \"%.40s\"", where(s, "start",
		    w, sizeof(w)), v);
		goto fail;
	}
	snprintf(s->start, sizeof(s->start), "%s", v);
	s->day0 = dk_days_from_civil(y, m, d);
	s->days = (int)num(s, "days", 1);
	s->copies = (int)num(s, "scale.copies", 1);
	s->shift = (int)num(s, "scale.shift_days", 1);
	s->load_pct = num(s, "scale.load_pct", 100);
	s->strategy = dk_conf_str(&s->c, "strategy", NULL);
	if (s->strategy != NULL && strcmp(s->strategy, "fixed") != 0 &&
	    strcmp(s->strategy, "ramp") != 0 && strcmp(s->strategy, "learn")
	    != 0) {
		dk_fail(e, DK_EX_CONFIG, "%s: strategy: must be fixed, ramp or "
		    "learn (bid.strategy), got \"%.40s\"", where(s, "strategy",
		    w, sizeof(w)), s->strategy);
		goto fail;
	}
	if (homes(s, e) < 0)
		goto fail;
	return 0;
oom:
	dk_fail(e, DK_EX_SOFTWARE, "out of memory");
fail:
	dk_scen_free(s);
	return -1;
}

/* Home i's meter data: data.NAME, or the community's data/NAME.csv. */
const char *
dk_scen_data(const struct dk_scen *s, size_t i, char *buf, size_t n)
{
	char k[DK_ID_MAX + 8], *p;

	snprintf(k, sizeof(k), "data.%s", s->src[i]);
	if ((p = dk_conf_path(&s->c, k, NULL)) != NULL) {
		snprintf(buf, n, "%s", p);
		free(p);
	} else
		snprintf(buf, n, "%s/data/%s.csv", s->community, s->src[i]);
	return buf;
}

void
dk_scen_free(struct dk_scen *s)
{
	dk_conf_free(&s->c);
	free(s->name);
	free(s->community);
	free(s->src);
	free(s->h);
	memset(s, 0, sizeof(*s));
}
