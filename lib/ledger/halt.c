/* halt.c: the emergency halt and island mode as ledger records (halt,
 * halt_lift, cancel: denki-formats(5)), each checked as it is replayed:
 * who may sign one, its window, and the contracts a halt cancels. */
#include <stdlib.h>
#include <string.h>

#include "ledger.h"

static const char *const halt_names[] = { "type", "v", "kind", "zones",
	"from", "until", "reason", "by", "time", "telemetry", "sig", NULL };
static const char *const lift_names[] = { "type", "v", "halt", "reason",
	"by", "time", "telemetry", "sig", NULL };

/* A zone the cooperative knows: a participant's, or a link's end. */
static int
zone_known(const struct dk_state *s, const char *z)
{
	size_t i;

	for (i = 0; i < s->reg.n; i++)
		if (strcmp(s->reg.p[i].zone, z) == 0)
			return 1;
	for (i = 0; i < s->rules.nlinks; i++)
		if (strcmp(s->rules.link[i].a, z) == 0 ||
		    strcmp(s->rules.link[i].b, z) == 0)
			return 1;
	return 0;
}

/* The key that must have signed a decision by "by": the operator's, or an
 * active participant's of role dso; NULL with e filled when none may. */
static const unsigned char *
signer(const struct dk_state *s, const char *by, const char *what,
    struct dk_err *e)
{
	const struct dk_participant *p;

	if (strcmp(by, "operator") == 0) {
		if (!s->halts.have_oppk) {
			dk_fail(e, DK_EX_DATAERR, "%s: no genesis names the "
			    "operator's key", what);
			return NULL;
		}
		return s->halts.oppk;
	}
	if ((p = dk_registry_find(&s->reg, by)) == NULL) {
		dk_fail(e, DK_EX_DATAERR, "%s: by: %.40s is not a participant",
		    what, by);
		return NULL;
	}
	if (strcmp(p->role, "dso") != 0 || !p->active) {
		dk_fail(e, DK_EX_DATAERR, "%s: by: %s is %s %s, not an active "
		    "grid operator (role dso): only the operator or a dso may "
		    "halt trading", what, by, p->active ? "a" : "a revoked",
		    p->role);
		return NULL;
	}
	return p->pk;
}

static int
verify(const struct dk_state *s, json_t *rec, const char *what,
    struct dk_err *e)
{
	const char *by = dk_get_id(rec, "by", e);
	const unsigned char *pk;

	if (by == NULL)
		return dk_failpre(e, "%s", what);
	if ((pk = signer(s, by, what, e)) == NULL)
		return -1;
	if (dk_verify_record(rec, pk, e) < 0)
		return dk_failpre(e, "%s by %s", what, by);
	return 0;
}

static int64_t
slot_floor(int64_t t, int minutes)
{
	int64_t n = (int64_t)minutes * 60;

	return t - ((t % n) + n) % n;
}

static int
get_time(json_t *rec, const char *k, int64_t *t, struct dk_err *e)
{
	const char *s = dk_get_str(rec, k, e);

	if (s == NULL || dk_time_parse(s, t, e) < 0)
		return dk_failpre(e, "%s", k);
	return 0;
}

/* A halt record read into h (its zones malloc'd), every field checked. */
static int
halt_read(const struct dk_state *s, json_t *rec, struct dk_halt *h,
    struct dk_err *e)
{
	const char *k, *z;
	json_t *zs, *x;
	size_t i, j;
	int sm = s->rules.slot_minutes;

	memset(h, 0, sizeof(*h));
	if (!s->have_rules)
		return dk_fail(e, DK_EX_DATAERR, "halt before any rules entry");
	if (dk_check_type(rec, "halt", e) < 0 ||
	    dk_members_only(rec, halt_names, "a halt", e) < 0 ||
	    (k = dk_get_str(rec, "kind", e)) == NULL ||
	    dk_get_str(rec, "reason", e) == NULL)
		return dk_failpre(e, "halt");
	if (strcmp(k, "halt") != 0 && strcmp(k, "island") != 0)
		return dk_fail(e, DK_EX_DATAERR, "halt: kind: must be halt or "
		    "island, got \"%.40s\"", k);
	h->island = k[0] == 'i';
	if (json_string_length(json_object_get(rec, "reason")) == 0)
		return dk_fail(e, DK_EX_DATAERR, "halt: reason: empty");
	h->watch = strncmp(json_string_value(json_object_get(rec, "reason")),
	    DK_GW_REASON, strlen(DK_GW_REASON)) == 0;
	if (!json_is_array(zs = json_object_get(rec, "zones")))
		return dk_fail(e, DK_EX_DATAERR, "halt: zones: must be an "
		    "array of zones (empty: every zone)");
	if ((h->nz = json_array_size(zs)) > 0 &&
	    (h->zones = calloc(h->nz, sizeof(*h->zones))) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	json_array_foreach(zs, i, x) {
		z = json_string_value(x);
		if (z == NULL || !dk_valid_id(z))
			return dk_fail(e, DK_EX_DATAERR, "halt: zones: item "
			    "%zu: must be a zone's name", i + 1);
		if (!zone_known(s, z))
			return dk_fail(e, DK_EX_DATAERR, "halt: zones: %s: no "
			    "participant or link has this zone", z);
		for (j = 0; j < i; j++)
			if (strcmp(h->zones[j], z) == 0)
				return dk_fail(e, DK_EX_DATAERR, "halt: zones: "
				    "%s given twice", z);
		strcpy(h->zones[i], z);
	}
	if (dk_slot_parse(json_string_value(json_object_get(rec, "from")) ?
	    json_string_value(json_object_get(rec, "from")) : "", sm, &h->from,
	    e) < 0)
		return dk_failpre(e, "halt: from");
	if (dk_slot_parse(json_string_value(json_object_get(rec, "until")) ?
	    json_string_value(json_object_get(rec, "until")) : "", sm,
	    &h->until, e) < 0)
		return dk_failpre(e, "halt: until");
	if (get_time(rec, "time", &h->time, e) < 0)
		return dk_failpre(e, "halt");
	if (h->until <= h->from)
		return dk_fail(e, DK_EX_DATAERR, "halt: until: the window ends "
		    "where it starts, or before (until %s, from %s)",
		    json_string_value(json_object_get(rec, "until")),
		    json_string_value(json_object_get(rec, "from")));
	/* the slot in progress may be halted; one already over may not */
	if (h->from < slot_floor(h->time, sm))
		return dk_fail(e, DK_EX_DATAERR, "halt: from: the window "
		    "starts at %s, before the slot of the halt's time %s: a halt in "
		    "the past (backdated)", json_string_value(json_object_get(
		    rec, "from")), json_string_value(json_object_get(rec,
		    "time")));
	if (json_object_get(rec, "telemetry") != NULL &&
	    !json_is_object(json_object_get(rec, "telemetry")))
		return dk_fail(e, DK_EX_DATAERR, "halt: telemetry: must be an "
		    "object");
	return verify(s, rec, "halt", e);
}

static int
zone_in(const struct dk_halt *h, const char *zone)
{
	size_t i;

	if (h->nz == 0)
		return 1;
	for (i = 0; i < h->nz; i++)
		if (strcmp(h->zones[i], zone) == 0)
			return 1;
	return 0;
}

/* The halt in force over zone in slot, of the kind asked (island 0: a
 * halt, 1: an island), the last appended; or NULL. */
const struct dk_halt *
dk_halt_find(const struct dk_state *s, const char *zone, int64_t slot,
    int island)
{
	size_t i;

	for (i = s->halts.n; i-- > 0;) {
		const struct dk_halt *h = &s->halts.v[i];
		if (h->island == island && slot >= h->from &&
		    slot < h->until && zone_in(h, zone))
			return h;
	}
	return NULL;
}

static int
party_halted(const struct dk_state *s, const struct dk_halt *h,
    const char *id)
{
	const struct dk_participant *p = dk_registry_find(&s->reg, id);

	return p != NULL && zone_in(h, p->zone);
}

/*
 * The rule of cancellation: a halt (not an island) cancels every contract
 * already in the ledger of a slot in its window, not yet settled, with a
 * party in one of its zones; one cancel record each, right after the halt,
 * in slot order and the contracts' order in the ledger.
 */
static int
cancels_of(struct dk_state *s, const struct dk_halt *h, struct dk_err *e)
{
	const struct dk_slotstate *ss;
	const struct dk_contract *c;
	char ts[40];
	size_t i, j;
	json_t *x;

	json_array_clear(s->halts.expect);
	s->halts.pos = 0;
	s->halts.expect_seq = h->seq;
	if (h->island)
		return 0;
	for (i = 0; i < s->nslots; i++) {
		ss = &s->slots[s->bytime[i]];
		if (ss->slot < h->from || ss->slot >= h->until || ss->settled)
			continue;
		for (j = 0; j < ss->nc; j++) {
			c = &ss->c[j];
			if ((c->has & DK_C_CANCELLED) ||
			    (!party_halted(s, h, c->seller) &&
			    !party_halted(s, h, c->buyer)))
				continue;
			dk_time_format(ss->slot, s->rules.tz, ts, sizeof(ts));
			x = json_pack("{s:s,s:i,s:I,s:s,s:I,s:s,s:s,s:I}",
			    "type", "cancel", "v", 1, "halt",
			    (json_int_t)h->seq, "slot", ts, "contract", (json_int_t)j, "seller",
			    c->seller, "buyer", c->buyer, "wh",
			    (json_int_t)c->wh);
			if (x == NULL || json_array_append_new(s->halts.expect,
			    x) < 0)
				return dk_fail(e, DK_EX_SOFTWARE, "out of "
				    "memory");
		}
	}
	return 0;
}

/* The cancel records the last halt still owes (a new reference). */
json_t *
dk_halt_cancels(const struct dk_state *s)
{
	json_t *a = json_array();
	size_t i;

	for (i = s->halts.pos; i < json_array_size(s->halts.expect); i++)
		json_array_append(a, json_array_get(s->halts.expect, i));
	return a;
}

static int
halt_add(struct dk_state *s, long long seq, json_t *rec, struct dk_err *e)
{
	struct dk_halt h, *nv;
	size_t cap;

	if (halt_read(s, rec, &h, e) < 0) {
		free(h.zones);
		return -1;
	}
	if (s->halts.n == s->halts.cap) {
		cap = s->halts.cap ? s->halts.cap * 2 : 8;
		if ((nv = realloc(s->halts.v, cap * sizeof(*nv))) == NULL) {
			free(h.zones);
			return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		}
		s->halts.v = nv;
		s->halts.cap = cap;
	}
	h.seq = seq;
	s->halts.v[s->halts.n++] = h;
	return cancels_of(s, &h, e);
}

/* A lift: of a halt not lifted before, by the operator or a dso, at or
 * after the halt's time; slots from the one after its time are free. */
static int
lift(struct dk_state *s, json_t *rec, struct dk_err *e)
{
	struct dk_halt *h = NULL;
	long long id;
	int64_t t, end;
	size_t i;

	if (dk_check_type(rec, "halt_lift", e) < 0 ||
	    dk_members_only(rec, lift_names, "a halt_lift", e) < 0 ||
	    dk_get_int(rec, "halt", 0, DK_MAX_SAFE_INT, &id, e) < 0 ||
	    dk_get_str(rec, "reason", e) == NULL ||
	    get_time(rec, "time", &t, e) < 0)
		return dk_failpre(e, "halt_lift");
	for (i = 0; i < s->halts.n; i++)
		if (s->halts.v[i].seq == id)
			h = &s->halts.v[i];
	if (h == NULL)
		return dk_fail(e, DK_EX_DATAERR, "halt_lift: halt: entry %lld "
		    "is not a halt", id);
	if (h->lifted)
		return dk_fail(e, DK_EX_DATAERR, "halt_lift: the halt of entry "
		    "%lld was lifted before", id);
	if (t < h->time)
		return dk_fail(e, DK_EX_DATAERR, "halt_lift: time: before the "
		    "time of the halt it lifts");
	if (verify(s, rec, "halt_lift", e) < 0)
		return -1;
	end = slot_floor(t, s->rules.slot_minutes);
	if (end < t)
		end += (int64_t)s->rules.slot_minutes * 60;
	if (end < h->until)
		h->until = end > h->from ? end : h->from;
	h->lifted = 1;
	return 0;
}

static int
cancel(struct dk_state *s, json_t *rec, struct dk_err *e)
{
	json_t *want = json_array_get(s->halts.expect, s->halts.pos);
	struct dk_slotstate *ss;
	int64_t t;

	if (want == NULL)
		return dk_fail(e, DK_EX_DATAERR, "cancel that no halt before "
		    "it makes (a contract cancelled by the operator alone)");
	if (!json_equal(want, rec))
		return dk_fail(e, DK_EX_DATAERR, "cancel differs from the rule "
		    "of the halt of entry %lld: field %s", s->halts.expect_seq,
		    dk_first_diff(want, rec));
	dk_slot_parse(json_string_value(json_object_get(rec, "slot")),
	    s->rules.slot_minutes, &t, e);
	if ((ss = dk_state_slot(s, t)) != NULL)
		ss->c[json_integer_value(json_object_get(rec, "contract"))].has
		    |= DK_C_CANCELLED;
	if (++s->halts.pos == json_array_size(s->halts.expect)) {
		json_array_clear(s->halts.expect);
		s->halts.pos = 0;
	}
	return 0;
}

/*
 * The replay's part (dk_state_apply): 1 when rec is none of its business;
 * else 0 or -1 with e.  The genesis's operator key is kept; after a halt,
 * nothing but the cancel records it owes may come.
 */
int
dk_halt_apply(struct dk_state *s, long long seq, const char *type,
    json_t *rec, struct dk_err *e)
{
	struct dk_key k;
	json_t *want;

	if (s->halts.expect == NULL && (s->halts.expect = json_array()) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	if (strcmp(type, "ledger") == 0) {
		const char *b = json_string_value(json_object_get(rec, "key"));
		if (b != NULL && dk_key_from_b64(&k, b, e) == 0) {
			memcpy(s->halts.oppk, k.pk, 32);
			s->halts.have_oppk = 1;
		}
		memset(e, 0, sizeof(*e));
		return 1;
	}
	want = json_array_get(s->halts.expect, s->halts.pos);
	if (want != NULL && strcmp(type, "cancel") != 0)
		return dk_fail(e, DK_EX_DATAERR, "the halt of entry %lld "
		    "cancels contract %lld of slot %s, but a %s record came "
		    "before its cancel record", s->halts.expect_seq,
		    (long long)json_integer_value(json_object_get(want,
		    "contract")), json_string_value(json_object_get(want,
		    "slot")), type);
	if (strcmp(type, "halt") == 0)
		return halt_add(s, seq, rec, e);
	if (strcmp(type, "halt_lift") == 0)
		return lift(s, rec, e);
	if (strcmp(type, "cancel") == 0)
		return cancel(s, rec, e);
	return 1;
}

/* The signed halt a request makes, "by" the operator when k is the
 * genesis's key, else the dso whose key k is; checked as the replay will. */
static json_t *
signed_by(const struct dk_state *s, json_t *r, const struct dk_key *k,
    struct dk_err *e)
{
	const char *by = NULL;
	size_t i;

	if (s->halts.have_oppk && memcmp(k->pk, s->halts.oppk, 32) == 0)
		by = "operator";
	for (i = 0; by == NULL && i < s->reg.n; i++)
		if (memcmp(s->reg.p[i].pk, k->pk, 32) == 0)
			by = s->reg.p[i].id;
	if (by == NULL || (strcmp(by, "operator") != 0 && signer(s, by,
	    "the key", e) == NULL)) {
		json_decref(r);
		if (by == NULL)
			dk_fail(e, DK_EX_NOPERM, "the key is neither the "
			    "operator's nor a participant's");
		e->status = DK_EX_NOPERM;
		return NULL;
	}
	if (json_object_set_new(r, "by", json_string(by)) < 0 ||
	    dk_sign_record(r, k, e) < 0) {
		json_decref(r);
		return NULL;
	}
	return r;
}

json_t *
dk_halt_make(const struct dk_state *s, const struct dk_halt_req *q,
    const struct dk_key *k, struct dk_err *e)
{
	struct dk_halt h;
	char a[40], b[40], t[40];
	json_t *r, *zs = json_array();
	size_t i;

	for (i = 0; i < q->nz; i++)
		json_array_append_new(zs, json_string(q->zones[i]));
	dk_time_format(q->from, s->rules.tz, a, sizeof(a));
	dk_time_format(q->until, s->rules.tz, b, sizeof(b));
	dk_time_utc(q->time, t, sizeof(t));
	r = json_pack("{s:s,s:i,s:s,s:o,s:s,s:s,s:s,s:s}", "type", "halt",
	    "v", 1, "kind", q->island ? "island" : "halt", "zones", zs,
	    "from", a, "until", b, "reason", q->reason, "time", t);
	if (r == NULL) {
		dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		return NULL;
	}
	if (q->telemetry != NULL)
		json_object_set(r, "telemetry", q->telemetry);
	if ((r = signed_by(s, r, k, e)) == NULL)
		return NULL;
	if (halt_read(s, r, &h, e) < 0) {
		if (e->status == DK_EX_DATAERR)
			e->status = DK_EX_USAGE;
		free(h.zones);
		json_decref(r);
		return NULL;
	}
	free(h.zones);
	return r;
}

json_t *
dk_halt_lift_make(const struct dk_state *s, long long halt,
    const char *reason, int64_t time, json_t *telemetry,
    const struct dk_key *k, struct dk_err *e)
{
	char t[40];
	json_t *r;

	dk_time_utc(time, t, sizeof(t));
	r = json_pack("{s:s,s:i,s:I,s:s,s:s}", "type", "halt_lift", "v", 1,
	    "halt", (json_int_t)halt, "reason", reason, "time", t);
	if (r == NULL) {
		dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		return NULL;
	}
	if (telemetry != NULL)
		json_object_set(r, "telemetry", telemetry);
	return signed_by(s, r, k, e);
}

/* rec (a halt or a lift) applied and appended to l, the cancel records
 * a halt owes after it; each record appended also to out. */
int
dk_halt_append(struct dk_ledger *l, struct dk_state *s, json_t *rec,
    json_t *out, struct dk_err *e)
{
	json_t *cs, *x;
	size_t i;

	if (dk_state_apply(s, l->next, 0, rec, e) < 0 ||
	    dk_ledger_add(l, rec, e) < 0)
		return -1;
	json_array_append(out, rec);
	cs = dk_halt_cancels(s);
	json_array_foreach(cs, i, x)
		if (dk_state_apply(s, l->next, 0, x, e) < 0 ||
		    dk_ledger_add(l, x, e) < 0) {
			json_decref(cs);
			return -1;
		}
	json_array_extend(out, cs);
	json_decref(cs);
	return 0;
}

void
dk_halts_free(struct dk_halts *h)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		free(h->v[i].zones);
	free(h->v);
	json_decref(h->expect);
	memset(h, 0, sizeof(*h));
}
