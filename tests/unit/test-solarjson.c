/* Unit tests for lib/meter/solarjson.c: Fronius and Enphase answers, decoded
 * from the fixture files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "denki.h"
#include "check.h"

static const char *fixdir = "tests/fixtures/http";

static json_t *
load(const char *name, struct dk_err *e)
{
	char p[512], *s;
	size_t n;
	json_t *j;

	snprintf(p, sizeof(p), "%s/%s", fixdir, name);
	if ((s = slurp(p, &n)) == NULL) {
		fprintf(stderr, "%s: cannot read\n", p);
		exit(2);
	}
	j = dk_json_body(s, n, name, e);
	free(s);
	return j;
}

static json_t *
text(const char *s, struct dk_err *e)
{
	return dk_json_body(s, strlen(s), "x", e);
}

static void
test_fronius(void)
{
	struct dk_err e = { 0 };
	struct dk_sample s;
	json_t *j;

	j = load("symo_GetMeterRealtimeData_System.json", &e);
	CHECK(j != NULL);
	CHECK_INT(dk_fronius_meter(j, NULL, &s, &e), 1);
	CHECK_STR(s.kind, "grid");
	CHECK_INT(s.import_mwh, 15303334000LL);
	CHECK_INT(s.export_mwh, 35623065000LL);
	CHECK_INT(s.power_w, 5593);		/* 5592.57 W */
	CHECK_INT(s.t, 1633977078);
	CHECK_INT(dk_fronius_meter(j, "0", &s, &e), 1);
	CHECK(dk_fronius_meter(j, "1", &s, &e) < 0);
	CHECK_STR(e.msg, "GetMeterRealtimeData: no meter \"1\" in Body.Data");
	/* no meter at all */
	json_object_set_new(json_object_get(j, "Body"), "Data", json_object());
	CHECK_INT(dk_fronius_meter(j, NULL, &s, &e), 0);
	/* a bad status */
	json_object_set_new(json_object_get(json_object_get(j, "Head"),
	    "Status"), "Code", json_integer(255));
	CHECK(dk_fronius_meter(j, NULL, &s, &e) < 0);
	CHECK_INT(e.status, DK_EX_UNAVAILABLE);
	CHECK_HAS(e.msg, "Head.Status.Code 255");
	json_decref(j);

	j = load("symo_GetInverterRealtimeData_Device_1.json", &e);
	CHECK_INT(dk_fronius_inverter(j, &s, &e), 1);
	CHECK_STR(s.kind, "pv");
	CHECK_INT(s.import_mwh, 44188000000LL);
	CHECK_INT(s.export_mwh, DK_NOVAL);
	CHECK_INT(s.power_w, 1190);
	CHECK_INT(s.t, 1633593677);	/* 2021-10-07T10:01:17+02:00 */
	/* kWh, and a sleeping inverter */
	json_object_set_new(json_object_get(json_object_get(json_object_get(j,
	    "Body"), "Data"), "TOTAL_ENERGY"), "Unit", json_string("kWh"));
	CHECK_INT(dk_fronius_inverter(j, &s, &e), 1);
	CHECK_INT(s.import_mwh, 44188000000000LL);
	json_object_set_new(json_object_get(json_object_get(json_object_get(j,
	    "Body"), "Data"), "TOTAL_ENERGY"), "Unit", json_string("J"));
	CHECK(dk_fronius_inverter(j, &s, &e) < 0);
	CHECK_HAS(e.msg, "TOTAL_ENERGY.Unit \"J\"");
	json_object_set_new(json_object_get(json_object_get(json_object_get(j,
	    "Body"), "Data"), "TOTAL_ENERGY"), "Value", json_null());
	CHECK_INT(dk_fronius_inverter(j, &s, &e), 0);
	json_decref(j);

	/* a power-flow answer is not a meter answer */
	j = load("symo_GetPowerFlowRealtimeData.json", &e);
	CHECK(dk_fronius_meter(j, NULL, &s, &e) < 0);
	json_decref(j);
	j = text("{\"Body\":{}}", &e);
	CHECK(dk_fronius_meter(j, NULL, &s, &e) < 0);
	CHECK_HAS(e.msg, "no Head.Status.Code");
	json_decref(j);
}

static void
test_enphase(void)
{
	struct dk_err e = { 0 };
	struct dk_sample s[2];
	json_t *j;
	int n;

	j = load("fw7.6.175_with_cts_production.json", &e);
	CHECK(dk_enphase_production(j, 42, s, &n, &e) == 0);
	CHECK_INT(n, 2);
	CHECK_STR(s[0].kind, "pv");
	CHECK_INT(s[0].import_mwh, 3183793303LL);
	CHECK_INT(s[0].power_w, 488);
	CHECK_INT(s[0].t, 1693745129);
	CHECK_STR(s[1].kind, "grid");
	CHECK_INT(s[1].import_mwh, DK_NOVAL);
	CHECK_INT(s[1].export_mwh, DK_NOVAL);
	CHECK_INT(s[1].power_w, -11);	/* -11.468: export */
	json_decref(j);

	j = load("fw3.9.36_api_v1_production.json", &e);
	CHECK(dk_enphase_v1(j, 1700000000, &s[0], &e) == 1);
	CHECK_INT(s[0].import_mwh, 14578520000LL);
	CHECK_INT(s[0].power_w, 0);
	CHECK_INT(s[0].t, 1700000000);
	CHECK(dk_enphase_production(j, 42, s, &n, &e) < 0);
	json_decref(j);

	j = text("{\"production\":[{\"type\":\"eim\",\"activeCount\":0,"
	    "\"measurementType\":\"production\",\"whLifetime\":1}]}", &e);
	CHECK(dk_enphase_production(j, 42, s, &n, &e) < 0);
	CHECK_HAS(e.msg, "no production (eim or inverters)");
	json_decref(j);
	j = text("{\"wattHoursLifetime\":-5}", &e);
	CHECK(dk_enphase_v1(j, 1, &s[0], &e) < 0);
	CHECK_HAS(e.msg, "out of range");
	json_decref(j);
}

static void
test_body(void)
{
	struct dk_err e = { 0 };

	CHECK(text("  <html><head><title>Page Not Found</title></head>", &e)
	    == NULL);
	CHECK_STR(e.msg, "x: an HTML page (\"Page Not Found\"), not JSON");
	CHECK_INT(e.status, DK_EX_DATAERR);
	CHECK(text("[1,2]", &e) == NULL);
	CHECK_STR(e.msg, "x: not a JSON object");
	CHECK(text("", &e) == NULL);
	CHECK_HAS(e.msg, "x: not JSON: ");
}

/* An HTML page is quoted from within its length: the body need not end in
 * a NUL (ASan saw strstr and strcspn read past one that did not). */
static void
test_body_bounds(void)
{
	static const char page[] = "<html><head><title>Router login";
	struct dk_err e = { 0 };
	size_t n = strlen(page);
	char *s = malloc(n);

	memcpy(s, page, n);
	CHECK(dk_json_body(s, n, "x", &e) == NULL);
	CHECK_HAS(e.msg, "x: an HTML page (\"Router login\"), not JSON");
	/* a title past the length is not read */
	CHECK(dk_json_body(s, 12, "x", &e) == NULL);
	CHECK_HAS(e.msg, "an HTML page (\"\")");
	free(s);
}

int
main(void)
{
	test_fronius();
	test_enphase();
	test_body();
	test_body_bounds();
	return check_done("test-solarjson");
}
