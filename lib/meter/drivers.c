/* drivers.c: the table of meter drivers, and samples as JSON. */
#include <string.h>

#include "meter.h"

/* One line per driver, in the order meter-read(1) lists them. */
static const struct {
	const char *name;
	dk_driver_fn fn;
} drivers[] = {
	{ "samples", dk_drv_samples },
	{ "sunspec", dk_drv_sunspec },
	{ "echonet", dk_drv_echonet },
	{ "broute", dk_drv_broute },
	{ "dsmr", dk_drv_dsmr },
	{ "fronius", dk_drv_fronius },
	{ "enphase", dk_drv_enphase },
	{ NULL, NULL }
};

dk_driver_fn
dk_driver_find(const char *name)
{
	size_t i;

	for (i = 0; drivers[i].name != NULL; i++)
		if (strcmp(drivers[i].name, name) == 0)
			return drivers[i].fn;
	return NULL;
}

/* The names, comma separated, for messages and -h. */
const char *
dk_driver_names(void)
{
	static char buf[256];
	size_t i;

	if (buf[0] != '\0')
		return buf;
	strcpy(buf, "csv, sim");
	for (i = 0; drivers[i].name != NULL; i++)
		if (strlen(buf) + strlen(drivers[i].name) + 3 < sizeof(buf)) {
			strcat(buf, ", ");
			strcat(buf, drivers[i].name);
		}
	return buf;
}

/* {"type":"sample","v":1,"meter","kind","time","exact",...}: what a device
 * said, before any slot arithmetic; unknown registers are left out. */
json_t *
dk_sample_json(const struct dk_sample *s, const char *tz)
{
	char t[64];
	json_t *o;

	if (dk_time_format(s->t, tz, t, sizeof(t)) < 0)
		return NULL;
	o = json_pack("{s:s, s:i, s:s, s:s, s:s, s:b}", "type", "sample",
	    "v", 1, "meter", s->meter, "kind", s->kind[0] ? s->kind : "grid",
	    "time", t, "exact", s->exact);
	if (o == NULL)
		return NULL;
	if (s->import_mwh != DK_NOVAL)
		json_object_set_new(o, "import_mwh",
		    json_integer(s->import_mwh));
	if (s->export_mwh != DK_NOVAL)
		json_object_set_new(o, "export_mwh",
		    json_integer(s->export_mwh));
	if (s->wrap_mwh != 0)
		json_object_set_new(o, "wrap_mwh", json_integer(s->wrap_mwh));
	if (s->power_w != DK_NOVAL)
		json_object_set_new(o, "power_w", json_integer(s->power_w));
	dk_batt_sample_json(s, o);
	return o;
}
