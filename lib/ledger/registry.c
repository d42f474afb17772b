/* registry.c: who may trade: participant records checked and replayed
 * into a registry, found by id and by meter through hash tables. */
#include <stdlib.h>
#include <string.h>

#include "ledger.h"

/*
 * A participant record states a participant's whole current entry; the
 * registry is the last record of each id.  Meters belong to one participant
 * at a time.
 */

int
dk_participant_check(json_t *rec, struct dk_err *e)
{
	const char *s;
	struct dk_key k;
	long long v;

	/* version 2 may hold the member's request (enrol.c) */
	if ((s = dk_get_str(rec, "type", e)) == NULL)
		return -1;
	if (strcmp(s, "participant") != 0)
		return dk_fail(e, DK_EX_DATAERR,
		    "type: must be \"participant\", got \"%.40s\"", s);
	if (dk_get_int(rec, "v", 1, 2, &v, e) < 0)
		return -1;
	if (json_object_get(rec, "request") != NULL && (v == 1 ||
	    !json_is_object(json_object_get(rec, "request"))))
		return dk_fail(e, DK_EX_DATAERR, "request: %s", v == 1 ?
		    "only in a participant record of version 2" :
		    "must be an object, the member's signed request");
	if ((s = dk_get_id(rec, "id", e)) == NULL)
		return -1;
	if (strcmp(s, "utility") == 0 || strcmp(s, "operator") == 0 ||
	    strcmp(s, "grid") == 0)
		return dk_fail(e, DK_EX_DATAERR,
		    "id: \"%s\" is reserved for the counterparty of that name",
		    s);
	if (dk_get_id(rec, "zone", e) == NULL)
		return -1;
	if ((s = dk_get_str(rec, "role", e)) == NULL)
		return -1;
	if (!dk_role_valid(s))
		return dk_fail(e, DK_EX_DATAERR, "role: must be prosumer, "
		    "consumer, producer, reviewer or dso, got \"%.40s\"", s);
	/* a reviewer's scope: the largest trade value it may approve */
	if (strcmp(s, "reviewer") == 0) {
		if (json_object_get(rec, "scope") == NULL)
			return dk_fail(e, DK_EX_DATAERR, "scope: missing: a "
			    "reviewer has one (micro-units, the largest trade "
			    "value it may approve)");
		if (dk_get_int(rec, "scope", 0, DK_MAX_SAFE_INT, &v, e) < 0)
			return -1;
	} else if (json_object_get(rec, "scope") != NULL)
		return dk_fail(e, DK_EX_DATAERR, "scope: only a reviewer has "
		    "one, not a %s", s);
	/* what a seller may deliver in a slot (the review rule of roles) */
	if (json_object_get(rec, "capacity_wh") != NULL && (strcmp(s,
	    "prosumer") != 0 && strcmp(s, "producer") != 0))
		return dk_fail(e, DK_EX_DATAERR, "capacity_wh: only a "
		    "prosumer or producer has one, not a %s", s);
	if (json_object_get(rec, "capacity_wh") != NULL &&
	    dk_get_int(rec, "capacity_wh", 0, DK_MAX_WH, &v, e) < 0)
		return -1;
	if ((s = dk_get_str(rec, "status", e)) == NULL)
		return -1;
	if (strcmp(s, "active") != 0 && strcmp(s, "revoked") != 0)
		return dk_fail(e, DK_EX_DATAERR,
		    "status: must be active or revoked, got \"%.40s\"", s);
	if ((s = dk_get_str(rec, "key", e)) == NULL)
		return -1;
	if (dk_key_from_b64(&k, s, e) < 0)
		return dk_failpre(e, "key");
	if (json_object_get(rec, "max_wh") != NULL &&
	    dk_get_int(rec, "max_wh", 0, DK_MAX_WH, &v, e) < 0)
		return -1;
	if (json_object_get(rec, "max_day") != NULL &&
	    dk_get_int(rec, "max_day", 0, DK_MAX_SAFE_INT, &v, e) < 0)
		return -1;
	return dk_meters_check(rec, e);
}

/* The roles of the registry: reviewers and grid operators (dso) decide,
 * and place no orders. */
int
dk_role_valid(const char *role)
{
	return strcmp(role, "prosumer") == 0 || strcmp(role, "consumer") ==
	    0 || strcmp(role, "producer") == 0 || strcmp(role, "reviewer") ==
	    0 || strcmp(role, "dso") == 0;
}

int
dk_role_trades(const char *role)
{
	return strcmp(role, "reviewer") != 0 && strcmp(role, "dso") != 0;
}

/* meters, and meter_keys if there: of participant records and requests */
int
dk_meters_check(json_t *rec, struct dk_err *e)
{
	const char *s;
	json_t *m, *mk, *x, *y;
	struct dk_key k;
	size_t i;

	m = json_object_get(rec, "meters");
	if (!json_is_array(m))
		return dk_fail(e, DK_EX_DATAERR,
		    "meters: must be an array of meter ids");
	json_array_foreach(m, i, x)
		if (!json_is_string(x) || !dk_valid_id(json_string_value(x)))
			return dk_fail(e, DK_EX_DATAERR,
			    "meters[%zu]: must be 1 to 32 of [A-Za-z0-9._-]",
			    i);
	/* optional: the public key of each meter that signs its readings,
	 * [{"meter": id, "key": base64}, ...], one entry per meter at most */
	if ((mk = json_object_get(rec, "meter_keys")) == NULL)
		return 0;
	if (!json_is_array(mk))
		return dk_fail(e, DK_EX_DATAERR, "meter_keys: must be an "
		    "array of {\"meter\", \"key\"} objects");
	json_array_foreach(mk, i, x) {
		size_t j, found = 0;
		json_t *z;
		if (!json_is_object(x) || json_object_size(x) != 2 ||
		    (s = json_string_value(json_object_get(x, "meter"))) ==
		    NULL || !json_is_string(json_object_get(x, "key")))
			return dk_fail(e, DK_EX_DATAERR, "meter_keys[%zu]: "
			    "must be {\"meter\": id, \"key\": public key}", i);
		json_array_foreach(m, j, y)
			if (strcmp(json_string_value(y), s) == 0)
				found = 1;
		if (!found)
			return dk_fail(e, DK_EX_DATAERR, "meter_keys[%zu]: %.40s: "
			    "not one of the participant's meters", i, s);
		for (j = 0; j < i; j++) {
			z = json_array_get(mk, j);
			if (strcmp(json_string_value(json_object_get(z,
			    "meter")), s) == 0)
				return dk_fail(e, DK_EX_DATAERR,
				    "meter_keys[%zu]: %.40s: a second key", i,
				    s);
		}
		if (dk_key_from_b64(&k, json_string_value(json_object_get(x,
		    "key")), e) < 0)
			return dk_failpre(e, "meter_keys[%zu]", i);
	}
	return 0;
}

static void
clear_meters(struct dk_participant *p)
{
	size_t i;

	for (i = 0; i < p->nmeters; i++) {
		free(p->meters[i]);
		if (p->meter_key != NULL)
			free(p->meter_key[i]);
	}
	free(p->meters);
	free(p->meter_key);
	p->meters = NULL;
	p->meter_key = NULL;
	p->nmeters = 0;
}

/*
 * Ids are found through an open-addressing hash of indices into p, kept
 * at most half full; the linear search stays for a registry whose index
 * is out of step (one built without dk_registry_apply).
 */
size_t
dk_strhash(const char *id)
{
	size_t h = 14695981039346656037ULL;

	while (*id != '\0')
		h = (h ^ (unsigned char)*id++) * 1099511628211ULL;
	return h;
}

static int
index_add(struct dk_registry *r, size_t i)
{
	size_t *ni, cap, j, k;

	if (r->idx == NULL || r->nidx != i || 2 * (i + 1) > r->idxcap) {
		cap = r->idxcap ? r->idxcap : 64;
		while (2 * (i + 1) > cap)
			cap *= 2;
		if ((ni = calloc(cap, sizeof(*ni))) == NULL)
			return -1;
		free(r->idx);
		r->idx = ni;
		r->idxcap = cap;
		r->nidx = 0;
		for (k = 0; k < i; k++) {
			for (j = dk_strhash(r->p[k].id) & (cap - 1); ni[j] != 0;
			    j = (j + 1) & (cap - 1))
				;
			ni[j] = k + 1;
			r->nidx++;
		}
	}
	for (j = dk_strhash(r->p[i].id) & (r->idxcap - 1); r->idx[j] != 0;
	    j = (j + 1) & (r->idxcap - 1))
		;
	r->idx[j] = i + 1;
	r->nidx++;
	return 0;
}

/*
 * Meters are found through a second open-addressing hash, of meter ids to
 * the index of the participant that last listed them, kept at most half
 * full.  An entry is never removed: a meter a participant's new record no
 * longer lists is still in the hash, and a lookup checks that its owner
 * still lists it.
 */
static struct dk_meterent *
meter_slot(struct dk_meterent *t, size_t cap, const char *meter)
{
	size_t j;

	for (j = dk_strhash(meter) & (cap - 1); t[j].meter != NULL &&
	    strcmp(t[j].meter, meter) != 0; j = (j + 1) & (cap - 1))
		;
	return &t[j];
}

static int
meter_add(struct dk_registry *r, const char *meter, size_t pi)
{
	struct dk_meterent *nt, *x;
	size_t cap, j;

	if (2 * (r->nmidx + 1) > r->midxcap) {
		cap = r->midxcap ? 2 * r->midxcap : 64;
		if ((nt = calloc(cap, sizeof(*nt))) == NULL)
			return -1;
		for (j = 0; j < r->midxcap; j++)
			if (r->midx[j].meter != NULL)
				*meter_slot(nt, cap, r->midx[j].meter) =
				    r->midx[j];
		free(r->midx);
		r->midx = nt;
		r->midxcap = cap;
	}
	x = meter_slot(r->midx, r->midxcap, meter);
	if (x->meter == NULL) {
		if ((x->meter = strdup(meter)) == NULL)
			return -1;
		r->nmidx++;
	}
	x->p = pi;
	return 0;
}

int
dk_registry_apply(struct dk_registry *r, json_t *rec, struct dk_err *e)
{
	const char *id;

	if (dk_participant_check(rec, e) < 0)
		return -1;
	id = json_string_value(json_object_get(rec, "id"));
	if (dk_participant_proof(r, dk_registry_find(r, id), rec, e) < 0)
		return -1;
	return dk_registry_put(r, rec, e);
}

/*
 * A participant record applied as it is, without the proofs of its
 * change: for a registry rebuilt from the records a replay already took
 * (the intake's snapshot of the ledger), or after dk_registry_apply's.
 */
int
dk_registry_put(struct dk_registry *r, json_t *rec, struct dk_err *e)
{
	struct dk_participant *p = NULL, *np;
	const struct dk_participant *owner;
	struct dk_key k;
	json_t *m, *x;
	const char *id = json_string_value(json_object_get(rec, "id"));
	size_t i;

	m = json_object_get(rec, "meters");
	json_array_foreach(m, i, x) {
		owner = dk_registry_meter(r, json_string_value(x));
		if (owner != NULL && strcmp(owner->id, id) != 0)
			return dk_fail(e, DK_EX_DATAERR,
			    "meters: %s belongs to participant %s",
			    json_string_value(x), owner->id);
	}
	p = (struct dk_participant *)dk_registry_find(r, id);
	if (p == NULL) {
		/* grown geometrically: a realloc by one each time copies the
		 * whole array where the allocator cannot grow it in place */
		if (r->n >= r->pcap) {
			size_t cap = r->n < 32 ? 64 : 2 * r->n;
			np = realloc(r->p, cap * sizeof(*np));
			if (np == NULL)
				return dk_fail(e, DK_EX_SOFTWARE,
				    "out of memory");
			r->p = np;
			r->pcap = cap;
		}
		p = &r->p[r->n];
		memset(p, 0, sizeof(*p));
		strcpy(p->id, id);
		if (index_add(r, r->n) < 0)
			return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		r->n++;
	}
	clear_meters(p);
	if ((x = json_object_get(json_object_get(rec, "request"), "time")) !=
	    NULL && dk_time_parse(json_string_value(x), &p->req_time, e) == 0)
		p->has_req = 1;
	if (json_integer_value(json_object_get(rec, "v")) == 2)
		r->v2 = 1;
	dk_key_from_b64(&k, json_string_value(json_object_get(rec, "key")),
	    e);
	memcpy(p->pk, k.pk, 32);
	snprintf(p->key, sizeof(p->key), "%s",
	    json_string_value(json_object_get(rec, "key")));
	snprintf(p->zone, sizeof(p->zone), "%s",
	    json_string_value(json_object_get(rec, "zone")));
	snprintf(p->role, sizeof(p->role), "%s",
	    json_string_value(json_object_get(rec, "role")));
	p->active = strcmp(json_string_value(json_object_get(rec, "status")),
	    "active") == 0;
	x = json_object_get(rec, "max_wh");
	p->max_wh = x ? json_integer_value(x) : -1;
	x = json_object_get(rec, "max_day");
	p->max_day = x ? json_integer_value(x) : -1;
	x = json_object_get(rec, "scope");
	p->scope = x ? json_integer_value(x) : -1;
	x = json_object_get(rec, "capacity_wh");
	p->capacity_wh = x ? json_integer_value(x) : -1;
	p->meters = calloc(json_array_size(m) + 1, sizeof(char *));
	p->meter_key = calloc(json_array_size(m) + 1, sizeof(char *));
	if (p->meters == NULL || p->meter_key == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	json_array_foreach(m, i, x) {
		const char *mk = NULL;
		json_t *y;
		size_t j;
		json_array_foreach(json_object_get(rec, "meter_keys"), j, y)
			if (strcmp(json_string_value(json_object_get(y,
			    "meter")), json_string_value(x)) == 0)
				mk = json_string_value(json_object_get(y,
				    "key"));
		p->meters[i] = strdup(json_string_value(x));
		p->meter_key[i] = mk != NULL ? strdup(mk) : NULL;
		p->nmeters++;
		if (p->meters[i] == NULL || (mk != NULL &&
		    p->meter_key[i] == NULL) || meter_add(r, p->meters[i],
		    (size_t)(p - r->p)) < 0)
			return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	}
	return 0;
}

/* The key registered for one of p's meters, or NULL. */
const char *
dk_participant_meter_key(const struct dk_participant *p, const char *meter)
{
	size_t i;

	for (i = 0; i < p->nmeters; i++)
		if (strcmp(p->meters[i], meter) == 0)
			return p->meter_key != NULL ? p->meter_key[i] : NULL;
	return NULL;
}

const struct dk_participant *
dk_registry_find(const struct dk_registry *r, const char *id)
{
	size_t i, j;

	if (r->idx != NULL && r->nidx == r->n) {
		for (j = dk_strhash(id) & (r->idxcap - 1); (i = r->idx[j]) != 0;
		    j = (j + 1) & (r->idxcap - 1))
			if (strcmp(r->p[i - 1].id, id) == 0)
				return &r->p[i - 1];
		return NULL;
	}
	for (i = 0; i < r->n; i++)
		if (strcmp(r->p[i].id, id) == 0)
			return &r->p[i];
	return NULL;
}

static int
lists(const struct dk_participant *p, const char *meter)
{
	size_t j;

	for (j = 0; j < p->nmeters; j++)
		if (strcmp(p->meters[j], meter) == 0)
			return 1;
	return 0;
}

const struct dk_participant *
dk_registry_meter(const struct dk_registry *r, const char *meter)
{
	const struct dk_meterent *x;
	size_t i, j;

	if (r->idx != NULL && r->nidx == r->n) {
		if (r->midx == NULL)
			return NULL;
		x = meter_slot(r->midx, r->midxcap, meter);
		if (x->meter == NULL || x->p >= r->n || !lists(&r->p[x->p],
		    meter))
			return NULL;
		return &r->p[x->p];
	}
	for (i = 0; i < r->n; i++)
		for (j = 0; j < r->p[i].nmeters; j++)
			if (strcmp(r->p[i].meters[j], meter) == 0)
				return &r->p[i];
	return NULL;
}

void
dk_registry_free(struct dk_registry *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		clear_meters(&r->p[i]);
	for (i = 0; i < r->midxcap; i++)
		free(r->midx[i].meter);
	free(r->midx);
	free(r->p);
	free(r->idx);
	memset(r, 0, sizeof(*r));
}
