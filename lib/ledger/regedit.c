/*
 * regedit.c: the registry's changes as the operator asks for them
 * (denki-registry): a participant's record built from its last one and
 * what was given, the record that lists a participant, and which command
 * takes which operands and options.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ledger.h"

/* -w (Wh), -l (micro-units a day) and -S (a reviewer's scope, micro-units):
 * an integer in range, or "none" (-1) */
int
dk_regedit_limit(int opt, const char *s, long long *out, struct dk_err *e)
{
	long long max = opt == 'w' || opt == 'C' ? DK_MAX_WH :
	    DK_MAX_SAFE_INT;
	char *end;

	if (strcmp(s, "none") == 0) {
		*out = -1;
		return 0;
	}
	errno = 0;
	*out = strtoll(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || *out < 0 ||
	    *out > max)
		return dk_fail(e, DK_EX_USAGE, "-%c %s: must be 0 to %lld, or "
		    "none", opt, s, max);
	return 0;
}

/*
 * The participant record that makes the operator's change x to the
 * registry r: update, revoke and reinstate restate the member's last
 * record with the zone, role, limits or status x gives.  A member's key,
 * meters and meter keys are not the operator's to change (enrol.c).  NULL
 * and e filled when the change cannot be made (not registered, already
 * revoked, ...).
 */
json_t *
dk_registry_edit(const struct dk_registry *r, const struct dk_regedit *x,
    struct dk_err *e)
{
	const struct dk_participant *p = dk_registry_find(r, x->id);
	const char *cmd = x->cmd;
	long long maxwh = x->max_wh, maxday = x->max_day;
	json_t *rec;

	if (strcmp(cmd, "update") != 0 && strcmp(cmd, "revoke") != 0 &&
	    strcmp(cmd, "reinstate") != 0) {
		dk_fail(e, DK_EX_USAGE, "%s: the operator updates, revokes or "
		    "reinstates; a member enrols by its signed request", cmd);
		return NULL;
	}
	if (p == NULL) {
		dk_fail(e, DK_EX_DATAERR, "%s: not registered", x->id);
		return NULL;
	}
	if (strcmp(cmd, "revoke") == 0 && !p->active) {
		dk_fail(e, DK_EX_DATAERR, "%s: already revoked", x->id);
		return NULL;
	}
	if (strcmp(cmd, "reinstate") == 0 && p->active) {
		dk_fail(e, DK_EX_DATAERR, "%s: not revoked", x->id);
		return NULL;
	}
	rec = dk_participant_json(p);
	if (x->zone != NULL)
		json_object_set_new(rec, "zone", json_string(x->zone));
	if (x->role != NULL)
		json_object_set_new(rec, "role", json_string(x->role));
	/* update keeps the status: only reinstate lifts a revocation */
	json_object_set_new(rec, "status", json_string(
	    strcmp(cmd, "revoke") == 0 || (strcmp(cmd, "update") == 0 &&
	    !p->active) ? "revoked" : "active"));
	/* limits: given, or kept from the participant's last record */
	if (maxwh == -2)
		maxwh = p->max_wh;
	if (maxday == -2)
		maxday = p->max_day;
	json_object_del(rec, "max_wh");
	json_object_del(rec, "max_day");
	if (maxwh >= 0)
		json_object_set_new(rec, "max_wh", json_integer(maxwh));
	if (maxday >= 0)
		json_object_set_new(rec, "max_day", json_integer(maxday));
	return rec;
}

/* The participant record of p as the registry holds it now. */
json_t *
dk_participant_json(const struct dk_participant *p)
{
	json_t *rec, *m, *mk;
	size_t j;

	m = json_array();
	for (j = 0; j < p->nmeters; j++)
		json_array_append_new(m, json_string(p->meters[j]));
	rec = json_pack("{s:s,s:i,s:s,s:s,s:s,s:s,s:s,s:o}",
	    "type", "participant", "v", 2, "id", p->id, "key", p->key,
	    "zone", p->zone, "role", p->role,
	    "status", p->active ? "active" : "revoked", "meters", m);
	if (p->max_wh >= 0)
		json_object_set_new(rec, "max_wh", json_integer(p->max_wh));
	if (p->max_day >= 0)
		json_object_set_new(rec, "max_day", json_integer(p->max_day));
	if (p->scope >= 0)
		json_object_set_new(rec, "scope", json_integer(p->scope));
	if (p->capacity_wh >= 0)
		json_object_set_new(rec, "capacity_wh",
		    json_integer(p->capacity_wh));
	mk = json_array();
	for (j = 0; j < p->nmeters; j++)
		if (p->meter_key[j] != NULL)
			json_array_append_new(mk, json_pack("{s:s,s:s}",
			    "meter", p->meters[j], "key", p->meter_key[j]));
	if (json_array_size(mk) > 0)
		json_object_set(rec, "meter_keys", mk);
	json_decref(mk);
	return rec;
}

/*
 * A reviewer's scope in rec, the participant record of a change: given
 * (-S), set; not given, kept, and dropped when the record's role is no
 * longer reviewer.  A reviewer must have one, and nobody else may.
 */
int
dk_registry_scope(json_t *rec, int given, long long scope,
    struct dk_err *e)
{
	const char *role = json_string_value(json_object_get(rec, "role"));
	int rev = role != NULL && strcmp(role, "reviewer") == 0;

	if (given && !rev)
		return dk_fail(e, DK_EX_USAGE, "-S: only a reviewer has a "
		    "scope, and %s's role is %s", json_string_value(
		    json_object_get(rec, "id")), role ? role : "none");
	if (given)
		json_object_set_new(rec, "scope", json_integer(scope));
	else if (!rev)
		json_object_del(rec, "scope");
	else if (json_object_get(rec, "scope") == NULL)
		return dk_fail(e, DK_EX_USAGE, "%s: a reviewer needs its scope: "
		    "-S micro-units, the largest trade value it may approve",
		    json_string_value(json_object_get(rec, "id")));
	return 0;
}

/*
 * A seller's registered capacity in rec (-C, Wh a slot): given, set (-1,
 * "none": dropped); not given, kept, and dropped when the record's role
 * is no longer prosumer or producer.
 */
int
dk_registry_capacity(json_t *rec, int given, long long wh,
    struct dk_err *e)
{
	const char *role = json_string_value(json_object_get(rec, "role"));
	int sells = role != NULL && (strcmp(role, "prosumer") == 0 ||
	    strcmp(role, "producer") == 0);

	if (given && wh >= 0 && !sells)
		return dk_fail(e, DK_EX_USAGE, "-C: only a prosumer or "
		    "producer has a capacity, and %s's role is %s",
		    json_string_value(json_object_get(rec, "id")),
		    role ? role : "none");
	if (given && wh >= 0)
		json_object_set_new(rec, "capacity_wh", json_integer(wh));
	else if (given || !sells)
		json_object_del(rec, "capacity_wh");
	return 0;
}

/*
 * The commands of denki-registry: the operands (at least, at most) and
 * the options each takes, and those it needs.  A key, meters and meter
 * keys come only in the member's signed request (enrol.c).
 */
static const struct regcmd {
	const char *name;
	int min, max;
	const char *opts, *need;
} regcmds[] = {
	{ "request", 1, 1, "smMzrKt", "s" },
	{ "add", 0, 100000, "wlSC", "" },	/* each as a run */
	{ "rekey", 0, 1, "", "" },
	{ "update", 1, 1, "zrwlSC", "" },
	{ "revoke", 1, 1, "", "" },
	{ "reinstate", 1, 1, "", "" },
	{ "recover", 1, 1, "kRt", "kR" },
	{ "countersign", 0, 1, "s", "s" },
	{ "log", 1, 1, "H", "" },
	{ "list", 0, 0, "", "" },
};

/* given: the option letters given; nops operands at ops.  -1 and e filled
 * (e->msg empty: print the usage) when the command cannot take them. */
int
dk_regedit_check(const char *cmd, const char *given, int nops, char **ops,
    struct dk_err *e)
{
	const struct regcmd *c = NULL;
	size_t i;

	for (i = 0; i < sizeof(regcmds) / sizeof(regcmds[0]); i++)
		if (strcmp(regcmds[i].name, cmd) == 0)
			c = &regcmds[i];
	if (c == NULL)
		return dk_fail(e, DK_EX_USAGE, "%s: unknown command (request, "
		    "add, rekey, update, revoke, reinstate, recover, "
		    "countersign, log, list)", cmd);
	if (strcmp(cmd, "add") == 0 && strchr(given, 'k') != NULL)
		return dk_fail(e, DK_EX_USAGE, "add -k: a bare public key "
		    "proves nothing; the member makes a signed request on its "
		    "own machine (denki registry request ID -s ID.key ... "
		    ">ID.json) and the operator adds it: denki registry add "
		    "ID.json");
	if (strcmp(cmd, "update") == 0 && strpbrk(given, "kmM") != NULL)
		return dk_fail(e, DK_EX_USAGE, "update -%c: a member's key, "
		    "meters and meter keys change only by its signed request "
		    "(denki registry request, then registry rekey) or a "
		    "recovery (denki registry recover)",
		    *strpbrk(given, "kmM"));
	for (i = 0; given[i] != '\0'; i++)
		if (strchr(c->opts, given[i]) == NULL)
			return dk_fail(e, DK_EX_USAGE, "%s: -%c: not an option "
			    "of this command", cmd, given[i]);
	for (i = 0; c->need[i] != '\0'; i++)
		if (strchr(given, c->need[i]) == NULL)
			return dk_fail(e, DK_EX_USAGE, "%s: -%c is required",
			    cmd, c->need[i]);
	if (nops < c->min || nops > c->max) {
		e->status = DK_EX_USAGE;
		e->msg[0] = '\0';
		return -1;
	}
	if (c->min == 1 && !dk_valid_id(ops[0]))
		return dk_fail(e, DK_EX_USAGE, "%s: an id must be 1 to 32 of "
		    "[A-Za-z0-9._-]", ops[0]);
	return 0;
}
