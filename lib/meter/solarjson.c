/* solarjson.c: Fronius Solar API v1 and Enphase Envoy answers, as samples. */
#include <ctype.h>
#include <math.h>
#include <string.h>

#include "meter.h"

static void
sample_init(struct dk_sample *s, const char *kind)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->kind, sizeof(s->kind), "%s", kind);
	s->t = DK_NOVAL;
	s->import_mwh = s->export_mwh = s->power_w = DK_NOVAL;
}

/* The first place of the string s in the n bytes at p, or NULL. */
static const char *
findstr(const char *p, size_t n, const char *s)
{
	size_t k = strlen(s);

	for (; n >= k; p++, n--)
		if (memcmp(p, s, k) == 0)
			return p;
	return NULL;
}

/* A JSON document, or a clear error for an HTML page or anything else. */
json_t *
dk_json_body(const char *body, size_t len, const char *what,
    struct dk_err *e)
{
	json_error_t je;
	json_t *j;
	size_t i = 0;

	while (i < len && isspace((unsigned char)body[i]))
		i++;
	if (i < len && body[i] == '<') {
		/* within len: the body need not end in a NUL */
		const char *t = findstr(body + i, len - i, "<title>");
		const char *h = findstr(body + i, len - i, "<h1>");
		const char *s = t ? t + 7 : h ? h + 4 : body + i;
		size_t n = 0;

		while (s + n < body + len && n < 60 && s[n] != '<' &&
		    s[n] != '\r' && s[n] != '\n' && s[n] != '\0')
			n++;
		dk_fail(e, DK_EX_DATAERR, "%s: an HTML page (\"%.*s\"), not "
		    "JSON", what, (int)n, s);
		return NULL;
	}
	if ((j = json_loadb(body, len, 0, &je)) == NULL) {
		dk_fail(e, DK_EX_DATAERR, "%s: not JSON: %s at byte %d", what,
		    je.text, je.position);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		dk_fail(e, DK_EX_DATAERR, "%s: not a JSON object", what);
		return NULL;
	}
	return j;
}

/* A number at path ("Body.Data.PAC.Value") of Wh into mWh, or of W into W
 * (scale 1); null gives DK_NOVAL; a string, a negative or a huge number
 * is an error. */
static int
num(json_t *v, const char *what, double scale, int neg, int64_t *out,
    struct dk_err *e)
{
	double x;

	if (v == NULL || json_is_null(v)) {
		*out = DK_NOVAL;
		return 0;
	}
	if (!json_is_number(v))
		return dk_fail(e, DK_EX_DATAERR, "%s: must be a number", what);
	x = json_number_value(v) * scale;
	if (!isfinite(x) || (x > 9e15 || x < -9e15) || (!neg && x < 0))
		return dk_fail(e, DK_EX_DATAERR, "%s: %g: out of range", what,
		    json_number_value(v));
	*out = (int64_t)(x < 0 ? x - 0.5 : x + 0.5);
	return 0;
}

static json_t *
path(json_t *j, const char *a, const char *b, const char *c)
{
	j = json_object_get(j, a);
	if (b != NULL)
		j = json_object_get(j, b);
	if (c != NULL)
		j = json_object_get(j, c);
	return j;
}

/* Head.Status.Code must be 0 before Body means anything. */
static int
fronius_head(json_t *j, const char *what, struct dk_err *e)
{
	json_t *st = path(j, "Head", "Status", NULL);
	json_t *code = json_object_get(st, "Code");

	if (!json_is_integer(code))
		return dk_fail(e, DK_EX_DATAERR, "%s: no Head.Status.Code: "
		    "not a Fronius Solar API answer", what);
	if (json_integer_value(code) != 0) {
		const char *r = json_string_value(json_object_get(st,
		    "Reason"));
		const char *u = json_string_value(json_object_get(st,
		    "UserMessage"));
		return dk_fail(e, DK_EX_UNAVAILABLE, "%s: Head.Status.Code "
		    "%lld (\"%s\"%s%s%s)", what,
		    (long long)json_integer_value(code), r ? r : "",
		    u && *u ? ", \"" : "", u && *u ? u : "", u && *u ? "\"" :
		    "");
	}
	return 0;
}

static int
fronius_time(json_t *j, int64_t *t, const char *what, struct dk_err *e)
{
	const char *ts = json_string_value(path(j, "Head", "Timestamp",
	    NULL));

	if (ts == NULL)
		return dk_fail(e, DK_EX_DATAERR, "%s: no Head.Timestamp",
		    what);
	if (dk_time_parse(ts, t, e) < 0)
		return dk_failpre(e, "%s: Head.Timestamp", what);
	return 0;
}

/*
 * GetMeterRealtimeData (Scope=System): the meter id (NULL: the one at the
 * grid connection, Meter_Location_Current 0, or the only one) as a grid
 * sample: import = EnergyReal_WAC_Sum_Consumed, export = ..._Produced (Wh),
 * power = PowerReal_P_Sum (W, + from the grid).  Returns 1, or 0 when the
 * system has no meter.
 */
int
dk_fronius_meter(json_t *j, const char *id, struct dk_sample *s,
    struct dk_err *e)
{
	const char *w = "GetMeterRealtimeData";
	json_t *data, *m = NULL, *v;
	const char *k;
	size_t n;

	if (fronius_head(j, w, e) < 0)
		return -1;
	if (!json_is_object(data = path(j, "Body", "Data", NULL)))
		return dk_fail(e, DK_EX_DATAERR, "%s: no Body.Data object", w);
	n = json_object_size(data);
	if (id != NULL) {
		if ((m = json_object_get(data, id)) == NULL)
			return dk_fail(e, DK_EX_DATAERR, "%s: no meter \"%s\" "
			    "in Body.Data", w, id);
	} else {
		json_object_foreach(data, k, v) {
			json_t *loc = json_object_get(v, "Meter_Location_"
			    "Current");
			if (n == 1 || (json_is_number(loc) &&
			    json_number_value(loc) == 0)) {
				m = v;
				break;
			}
		}
		if (m == NULL && n == 0)
			return 0;
		if (m == NULL)
			return dk_fail(e, DK_EX_DATAERR, "%s: %zu meters and "
			    "none at the grid (Meter_Location_Current 0): "
			    "set meter.fronius.meter", w, n);
	}
	if (!json_is_object(m))
		return dk_fail(e, DK_EX_DATAERR, "%s: the meter is not an "
		    "object", w);
	sample_init(s, "grid");
	if (num(json_object_get(m, "EnergyReal_WAC_Sum_Consumed"),
	    "EnergyReal_WAC_Sum_Consumed", 1000, 0, &s->import_mwh, e) < 0 ||
	    num(json_object_get(m, "EnergyReal_WAC_Sum_Produced"),
	    "EnergyReal_WAC_Sum_Produced", 1000, 0, &s->export_mwh, e) < 0 ||
	    num(json_object_get(m, "PowerReal_P_Sum"), "PowerReal_P_Sum", 1,
	    1, &s->power_w, e) < 0)
		return dk_failpre(e, "%s", w);
	if (s->import_mwh == DK_NOVAL && s->export_mwh == DK_NOVAL)
		return dk_fail(e, DK_EX_DATAERR, "%s: the meter has no "
		    "EnergyReal_WAC_Sum_Consumed or _Produced", w);
	v = json_object_get(m, "TimeStamp");
	if (json_is_integer(v) && json_integer_value(v) > 0)
		s->t = json_integer_value(v);
	else if (fronius_time(j, &s->t, w, e) < 0)
		return -1;
	return 1;
}

/* GetInverterRealtimeData (Scope=Device, CommonInverterData): a pv sample,
 * TOTAL_ENERGY (Wh or kWh) generated, PAC (W).  0: no TOTAL_ENERGY yet. */
int
dk_fronius_inverter(json_t *j, struct dk_sample *s, struct dk_err *e)
{
	const char *w = "GetInverterRealtimeData";
	json_t *te = path(j, "Body", "Data", "TOTAL_ENERGY");
	const char *unit;
	double scale;

	if (fronius_head(j, w, e) < 0)
		return -1;
	if (!json_is_object(path(j, "Body", "Data", NULL)))
		return dk_fail(e, DK_EX_DATAERR, "%s: no Body.Data object", w);
	sample_init(s, "pv");
	if (te == NULL || json_is_null(json_object_get(te, "Value")))
		return 0;
	unit = json_string_value(json_object_get(te, "Unit"));
	if (unit != NULL && strcmp(unit, "Wh") == 0)
		scale = 1000;
	else if (unit != NULL && strcmp(unit, "kWh") == 0)
		scale = 1000000;
	else if (unit != NULL && strcmp(unit, "MWh") == 0)
		scale = 1000000000;
	else
		return dk_fail(e, DK_EX_DATAERR, "%s: TOTAL_ENERGY.Unit "
		    "\"%s\": must be Wh, kWh or MWh", w, unit ? unit : "");
	if (num(json_object_get(te, "Value"), "TOTAL_ENERGY.Value", scale, 0,
	    &s->import_mwh, e) < 0 ||
	    num(json_object_get(path(j, "Body", "Data", "PAC"), "Value"),
	    "PAC.Value", 1, 0, &s->power_w, e) < 0)
		return dk_failpre(e, "%s", w);
	if (fronius_time(j, &s->t, w, e) < 0)
		return -1;
	return 1;
}

/* Envoy R3.9+ /api/v1/production: a pv sample at time now. */
int
dk_enphase_v1(json_t *j, int64_t now, struct dk_sample *s, struct dk_err *e)
{
	const char *w = "/api/v1/production";

	sample_init(s, "pv");
	if (!json_is_number(json_object_get(j, "wattHoursLifetime")))
		return dk_fail(e, DK_EX_DATAERR, "%s: no wattHoursLifetime "
		    "number", w);
	if (num(json_object_get(j, "wattHoursLifetime"), "wattHoursLifetime",
	    1000, 0, &s->import_mwh, e) < 0 ||
	    num(json_object_get(j, "wattsNow"), "wattsNow", 1, 0, &s->power_w,
	    e) < 0)
		return dk_failpre(e, "%s", w);
	s->t = now;
	return 1;
}

static json_t *
find(json_t *arr, const char *type, const char *mtype)
{
	json_t *v;
	size_t i;

	json_array_foreach(arr, i, v) {
		const char *t = json_string_value(json_object_get(v, "type"));
		const char *m = json_string_value(json_object_get(v,
		    "measurementType"));
		json_t *ac = json_object_get(v, "activeCount");
		if (t == NULL || strcmp(t, type) != 0 ||
		    (mtype != NULL && (m == NULL || strcmp(m, mtype) != 0)))
			continue;
		if (json_is_integer(ac) && json_integer_value(ac) == 0)
			continue;
		return v;
	}
	return NULL;
}

static int
reading_time(json_t *v, int64_t now, int64_t *t)
{
	json_t *rt = json_object_get(v, "readingTime");

	*t = json_is_integer(rt) && json_integer_value(rt) > 0 ?
	    json_integer_value(rt) : now;
	return 0;
}

/*
 * Envoy-S /production.json: pv from the production CT (eim, measurement
 * "production"), else from the microinverters; the net-consumption CT's
 * wNow as the grid's power (+ import).  Its whLifetime is a net count
 * (import less export), not a register of either, so it is left out.
 * Fills out[0..1], *n of them.
 */
int
dk_enphase_production(json_t *j, int64_t now, struct dk_sample out[2],
    int *n, struct dk_err *e)
{
	const char *w = "/production.json";
	json_t *prod = json_object_get(j, "production");
	json_t *cons = json_object_get(j, "consumption");
	json_t *v;

	*n = 0;
	if (!json_is_array(prod))
		return dk_fail(e, DK_EX_DATAERR, "%s: no production array", w);
	if ((v = find(prod, "eim", "production")) == NULL)
		v = find(prod, "inverters", NULL);
	if (v != NULL) {
		struct dk_sample *s = &out[(*n)++];
		sample_init(s, "pv");
		if (num(json_object_get(v, "whLifetime"), "whLifetime", 1000,
		    0, &s->import_mwh, e) < 0 ||
		    num(json_object_get(v, "wNow"), "wNow", 1, 1, &s->power_w,
		    e) < 0)
			return dk_failpre(e, "%s: production", w);
		reading_time(v, now, &s->t);
		if (s->import_mwh == DK_NOVAL)
			(*n)--;
	}
	if (json_is_array(cons) &&
	    (v = find(cons, "eim", "net-consumption")) != NULL) {
		struct dk_sample *s = &out[(*n)++];
		sample_init(s, "grid");
		if (num(json_object_get(v, "wNow"), "wNow", 1, 1, &s->power_w,
		    e) < 0)
			return dk_failpre(e, "%s: net-consumption", w);
		reading_time(v, now, &s->t);
		if (s->power_w == DK_NOVAL)
			(*n)--;
	}
	if (*n == 0)
		return dk_fail(e, DK_EX_DATAERR, "%s: no production (eim or "
		    "inverters) and no net-consumption meter", w);
	return 0;
}
