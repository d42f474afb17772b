/* gridwatch.c: denki-grid-watch's judgement of grid telemetry, one
 * reading at a time: a zone out of its bands (or its reading stuck) is
 * halted, one in them for a stable period lifted (denki-grid-watch(1)). */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ledger.h"

static const char *const tel_names[] = { "time", "zone", "frequency_mhz",
	"voltage_mv", "flows", NULL };

/* grid.* of coop.yaml, with the defaults of denki-formats(5). */
int
dk_gw_conf(struct dk_gw_conf *c, const struct dk_conf *f, struct dk_err *e)
{
	static const struct {
		const char *key;
		long long def, min, max;
		size_t off;
	} k[] = {
		{ "grid.frequency_min_mhz", 49800, 1, 1000000,
		    offsetof(struct dk_gw_conf, fmin) },
		{ "grid.frequency_max_mhz", 50200, 1, 1000000,
		    offsetof(struct dk_gw_conf, fmax) },
		{ "grid.voltage_min_mv", 207000, 1, 1000000000,
		    offsetof(struct dk_gw_conf, vmin) },
		{ "grid.voltage_max_mv", 253000, 1, 1000000000,
		    offsetof(struct dk_gw_conf, vmax) },
		{ "grid.stable_seconds", 900, 1, 86400,
		    offsetof(struct dk_gw_conf, stable) },
		{ "grid.stuck_seconds", 600, 1, 86400,
		    offsetof(struct dk_gw_conf, stuck) },
		{ "grid.gap_seconds", 120, 1, 86400,
		    offsetof(struct dk_gw_conf, gap) },
		{ "grid.halt_minutes", 120, 1, 10080,
		    offsetof(struct dk_gw_conf, halt_minutes) },
	};
	long long v;
	size_t i;

	for (i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		if (dk_conf_int(f, k[i].key, k[i].def, k[i].min, k[i].max, &v,
		    e) < 0)
			return -1;
		*(int64_t *)((char *)c + k[i].off) = v;
	}
	if (c->fmin >= c->fmax || c->vmin >= c->vmax)
		return dk_fail(e, DK_EX_CONFIG, "grid: each band's min must be "
		    "below its max");
	return 0;
}

/* The watch over the zones of the state's registry and links; a zone
 * under a halt of grid-watch's, not lifted, whose window is not over at
 * now, counts as halted by it (another's halt is not its to lift). */
int
dk_gw_init(struct dk_gw *g, const struct dk_gw_conf *c,
    const struct dk_state *s, int64_t now, struct dk_err *e)
{
	const char *names[2 * DK_LINKS_MAX + 1];
	size_t i, j, n = 0;
	const char *z;

	memset(g, 0, sizeof(*g));
	g->c = *c;
	g->r = &s->rules;
	g->cap = s->reg.n + 2 * s->rules.nlinks + 1;
	if ((g->z = calloc(g->cap, sizeof(*g->z))) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	for (i = 0; i < s->rules.nlinks; i++) {
		names[n++] = s->rules.link[i].a;
		names[n++] = s->rules.link[i].b;
	}
	for (i = 0; i < s->reg.n + n; i++) {
		z = i < n ? names[i] : s->reg.p[i - n].zone;
		for (j = 0; j < g->nz && strcmp(g->z[j].zone, z) != 0; j++)
			;
		if (j < g->nz || z[0] == '\0')
			continue;
		snprintf(g->z[g->nz].zone, sizeof(g->z[g->nz].zone), "%s", z);
		g->z[g->nz].ok_since = -1;
		g->z[g->nz].last_t = -1;
		for (j = s->halts.n; j-- > 0;)
			if (!s->halts.v[j].lifted && !s->halts.v[j].island &&
			    s->halts.v[j].watch && s->halts.v[j].until > now &&
			    s->halts.v[j].nz == 1 &&
			    strcmp(s->halts.v[j].zones[0], z) == 0) {
				g->z[g->nz].halted = 1;
				g->z[g->nz].seq = s->halts.v[j].seq;
				break;
			}
		g->nz++;
	}
	return 0;
}

void
dk_gw_free(struct dk_gw *g)
{
	free(g->z);
	memset(g, 0, sizeof(*g));
}

/* One telemetry record read: its fields checked, its zone one watched. */
int
dk_gw_read(struct dk_gw *g, json_t *rec, struct dk_gw_reading *r,
    struct dk_err *e)
{
	const char *z, *k;
	json_t *fl, *x;
	long long v;
	size_t i;

	memset(r, 0, sizeof(*r));
	if (!json_is_object(rec))
		return dk_fail(e, DK_EX_DATAERR, "a reading is one JSON "
		    "object");
	if (dk_members_only(rec, tel_names, "a telemetry reading", e) < 0)
		return -1;
	if ((k = dk_get_str(rec, "time", e)) == NULL ||
	    dk_time_parse(k, &r->t, e) < 0)
		return dk_failpre(e, "time");
	if ((z = dk_get_id(rec, "zone", e)) == NULL)
		return -1;
	for (i = 0; i < g->nz && strcmp(g->z[i].zone, z) != 0; i++)
		;
	if (i == g->nz)
		return dk_fail(e, DK_EX_DATAERR, "zone: %s: no participant or "
		    "link has this zone", z);
	r->zone = i;
	if (dk_get_int(rec, "frequency_mhz", 0, 1000000, &v, e) < 0)
		return -1;
	r->f = v;
	if (dk_get_int(rec, "voltage_mv", 0, 1000000000, &v, e) < 0)
		return -1;
	r->v = v;
	if ((fl = json_object_get(rec, "flows")) != NULL &&
	    !json_is_object(fl))
		return dk_fail(e, DK_EX_DATAERR, "flows: must be an object of "
		    "links and their flows in W");
	json_object_foreach(fl, k, x) {
		for (i = 0; i < g->r->nlinks &&
		    strcmp(g->r->link[i].name, k) != 0; i++)
			;
		if (i == g->r->nlinks)
			return dk_fail(e, DK_EX_DATAERR, "flows: %.40s: not a "
			    "link of the rules", k);
		if (!json_is_integer(x) || json_integer_value(x) <
		    -DK_MAX_SAFE_INT)
			return dk_fail(e, DK_EX_DATAERR, "flows: %s: must be "
			    "an integer of W", k);
		r->flow[i] = json_integer_value(x);
		r->has_flow[i] = 1;
	}
	return 0;
}

/* The first band r is out of, said in why; 0 when in them all. */
static int
out_of_band(const struct dk_gw *g, const struct dk_gw_reading *r,
    char *why, size_t n)
{
	const struct dk_gw_conf *c = &g->c;
	int64_t cap, f;
	size_t i;

	if (r->f < c->fmin || r->f > c->fmax) {
		snprintf(why, n, "frequency %lld mHz outside %lld-%lld",
		    (long long)r->f, (long long)c->fmin, (long long)c->fmax);
		return 1;
	}
	if (r->v < c->vmin || r->v > c->vmax) {
		snprintf(why, n, "voltage %lld mV outside %lld-%lld",
		    (long long)r->v, (long long)c->vmin, (long long)c->vmax);
		return 1;
	}
	for (i = 0; i < g->r->nlinks; i++) {
		/* a link's capacity is Wh a slot: as a power, W */
		cap = g->r->link[i].cap_wh * 60 / g->r->slot_minutes;
		f = r->flow[i] < 0 ? -r->flow[i] : r->flow[i];
		if (r->has_flow[i] && f > cap) {
			snprintf(why, n, "link %s: flow %lld W over its "
			    "capacity of %lld W", g->r->link[i].name,
			    (long long)r->flow[i], (long long)cap);
			return 1;
		}
	}
	return 0;
}

/*
 * One reading, in its zone's time order: DK_GW_HALT when its zone, not
 * halted, goes out of a band or its reading has not changed for
 * stuck seconds; DK_GW_LIFT when its zone, halted, has been in every
 * band for stable seconds with no gap; or 0; why says which.  DK_GW_GAP
 * is or'ed in when more than gap seconds passed since the zone's last
 * reading (the stable period starts again; gapwhy says so).  -1 with e:
 * a reading earlier than the zone's last.
 */
int
dk_gw_step(struct dk_gw *g, const struct dk_gw_reading *r, char *why,
    size_t n, char *gapwhy, size_t gn, struct dk_err *e)
{
	struct dk_gw_zone *z = &g->z[r->zone];
	int rc = 0, bad;

	why[0] = gapwhy[0] = '\0';
	if (z->last_t >= 0 && r->t < z->last_t)
		return dk_fail(e, DK_EX_DATAERR, "time: before the zone's "
		    "reading before it (%lld s earlier)",
		    (long long)(z->last_t - r->t));
	if (z->last_t >= 0 && r->t - z->last_t > g->c.gap) {
		snprintf(gapwhy, gn, "zone %s: no reading for %lld s", z->zone,
		    (long long)(r->t - z->last_t));
		rc |= DK_GW_GAP;
		if (z->ok_since >= 0)
			z->ok_since = r->t;
	}
	if (z->last_t < 0 || r->f != z->f || r->v != z->v)
		z->same_since = r->t;
	z->last_t = r->t;
	z->f = r->f;
	z->v = r->v;
	bad = out_of_band(g, r, why, n);
	if (!bad && r->t - z->same_since >= g->c.stuck) {
		snprintf(why, n, "stuck: frequency %lld mHz and voltage "
		    "%lld mV unchanged for %lld s", (long long)r->f, (long long)r->v,
		    (long long)(r->t - z->same_since));
		bad = 1;
	}
	if (bad) {
		z->ok_since = -1;
		if (z->halted)
			return rc;
		z->halted = 1;
		return rc | DK_GW_HALT;
	}
	why[0] = '\0';
	if (z->ok_since < 0)
		z->ok_since = r->t;
	if (z->halted && r->t - z->ok_since >= g->c.stable) {
		snprintf(why, n, "in every band for %lld s",
		    (long long)(r->t - z->ok_since));
		z->halted = 0;
		return rc | DK_GW_LIFT;
	}
	return rc;
}

/*
 * One line of telemetry (n bytes, from where: "file:line") read and
 * judged as dk_gw_step does; with a decision, *tel is what the record
 * carries (the reading and where) and *zone its zone.  With poll, a
 * reading at or before its zone's last is one seen before: 0.  -1 with e:
 * a line that is not a reading.
 */
int
dk_gw_line(struct dk_gw *g, const char *s, size_t n, const char *where,
    int poll, struct dk_gw_said *o, struct dk_err *e)
{
	struct dk_gw_reading r;
	json_t *rec;
	int64_t ahead;
	int rc;

	o->tel = NULL;
	if ((rec = dk_parse(s, n, e)) == NULL)
		return -1;
	if (dk_gw_read(g, rec, &r, e) < 0) {
		json_decref(rec);
		return -1;
	}
	/* a reading dated ahead would put its zone's last reading there,
	 * and every true one after it would be "before" it: the zone blind */
	ahead = r.t - (int64_t)time(NULL);
	if (ahead > (int64_t)g->r->slot_minutes * 60) {
		json_decref(rec);
		return dk_fail(e, DK_EX_DATAERR, "time: %lld s after this "
		    "machine's clock: a reading from the future (at most one "
		    "slot ahead)", (long long)ahead);
	}
	if (poll && g->z[r.zone].last_t >= r.t) {
		json_decref(rec);
		return 0;
	}
	o->zone = r.zone;
	rc = dk_gw_step(g, &r, o->why, sizeof(o->why), o->gap,
	    sizeof(o->gap), e);
	if (rc > 0 && (rc & (DK_GW_HALT | DK_GW_LIFT)) != 0 &&
	    (o->tel = json_pack("{s:s,s:O}", "source", where, "reading",
	    rec)) == NULL)
		rc = dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	json_decref(rec);
	return rc;
}

/* The signed record of a decision on zone zi at now: a halt of it from
 * the slot in progress for halt_minutes (whole slots), or the lift of
 * its halt; its reason DK_GW_REASON and why. */
json_t *
dk_gw_decision(const struct dk_gw *g, const struct dk_state *s, int what,
    size_t zi, const char *why, json_t *tel, int64_t now,
    const struct dk_key *k, struct dk_err *e)
{
	struct dk_halt_req q = { 0 };
	char reason[350], *zones[1];
	int64_t n = (int64_t)s->rules.slot_minutes * 60;

	snprintf(reason, sizeof(reason), DK_GW_REASON "%s", why);
	if (what != DK_GW_HALT)
		return dk_halt_lift_make(s, g->z[zi].seq, reason, now, tel, k,
		    e);
	zones[0] = g->z[zi].zone;
	q.zones = zones;
	q.nz = 1;
	q.time = now;
	q.reason = reason;
	q.telemetry = tel;
	q.from = now - now % n;
	q.until = q.from + (g->c.halt_minutes * 60 + n - 1) / n * n;
	return dk_halt_make(s, &q, k, e);
}
