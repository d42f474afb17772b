/* samples.c: the "samples" driver: sample records read back from a file
 * or stdin, as if a device had said them now. */
#include <stdlib.h>
#include <string.h>

#include "meter.h"

/*
 * The samples driver: sample records (what denki-meter-read -p prints, or
 * a logger's dump in that format) read back from a file or standard input,
 * as if a device had said them now.  For replaying a capture, importing a
 * history, and testing the store without a device.
 */

static const char *const sfields[] = { "type", "v", "meter", "kind", "time",
	"exact", "import_mwh", "export_mwh", "wrap_mwh", "power_w", "soc_pct",
	"soc_wh", "mode", NULL };

static int
opt_int(json_t *o, const char *key, long long min, long long max,
    int64_t *out, struct dk_err *e)
{
	long long v;

	*out = DK_NOVAL;
	if (json_object_get(o, key) == NULL)
		return 0;
	if (dk_get_int(o, key, min, max, &v, e) < 0)
		return -1;
	*out = v;
	return 0;
}

/* A sample record, checked, into s. */
int
dk_sample_from_json(struct dk_sample *s, json_t *o, struct dk_err *e)
{
	const char *k, *str;
	json_t *x;
	long long v;
	int i, known;

	memset(s, 0, sizeof(*s));
	/* version 2: a battery's state (battery.c) */
	if ((str = dk_get_str(o, "type", e)) == NULL)
		return -1;
	if (strcmp(str, "sample") != 0)
		return dk_fail(e, DK_EX_DATAERR, "type: must be \"sample\", "
		    "got \"%.40s\"", str);
	json_object_foreach(o, k, x) {
		for (known = 0, i = 0; sfields[i] != NULL; i++)
			if (strcmp(k, sfields[i]) == 0)
				known = 1;
		if (!known)
			return dk_fail(e, DK_EX_DATAERR,
			    "%s: not a field of a sample", k);
	}
	if (dk_get_int(o, "v", 1, 2, &v, e) < 0)
		return -1;
	if ((str = dk_get_id(o, "meter", e)) == NULL)
		return -1;
	snprintf(s->meter, sizeof(s->meter), "%s", str);
	if ((str = dk_get_str(o, "kind", e)) == NULL)
		return -1;
	if (strcmp(str, "grid") != 0 && strcmp(str, "pv") != 0 &&
	    strcmp(str, "battery") != 0)
		return dk_fail(e, DK_EX_DATAERR, "kind: must be grid, pv or "
		    "battery, got \"%.40s\"", str);
	snprintf(s->kind, sizeof(s->kind), "%s", str);
	if ((str = dk_get_str(o, "time", e)) == NULL)
		return -1;
	if (dk_time_parse(str, &s->t, e) < 0)
		return dk_failpre(e, "time");
	x = json_object_get(o, "exact");
	if (!json_is_boolean(x))
		return dk_fail(e, DK_EX_DATAERR, "exact: must be true or "
		    "false");
	s->exact = json_is_true(x);
	if (opt_int(o, "import_mwh", 0, DK_MAX_SAFE_INT, &s->import_mwh,
	    e) < 0 ||
	    opt_int(o, "export_mwh", 0, DK_MAX_SAFE_INT, &s->export_mwh,
	    e) < 0 ||
	    opt_int(o, "wrap_mwh", 1, DK_MAX_SAFE_INT, &s->wrap_mwh, e) < 0 ||
	    opt_int(o, "power_w", -DK_MAX_SAFE_INT, DK_MAX_SAFE_INT,
	    &s->power_w, e) < 0)
		return -1;
	if (s->wrap_mwh == DK_NOVAL)
		s->wrap_mwh = 0;
	else if ((s->import_mwh != DK_NOVAL && s->import_mwh >= s->wrap_mwh) ||
	    (s->export_mwh != DK_NOVAL && s->export_mwh >= s->wrap_mwh))
		return dk_fail(e, DK_EX_DATAERR, "wrap_mwh: a counter is at "
		    "or above where it wraps");
	return dk_batt_sample_from_json(s, o, v, e);
}

/* meter.samples.file: the file to read; "-" or unset: standard input. */
int
dk_drv_samples(struct dk_drv *d, struct dk_err *e)
{
	struct dk_reader r;
	struct dk_sample s;
	const char *path = dk_conf_str(d->conf, "meter.samples.file", "-");
	char *line;
	json_t *o;
	long n;
	int rc;

	if (dk_reader_open(&r, path, e) < 0)
		return -1;
	while ((n = dk_reader_next(&r, &line, e)) >= 0) {
		if (n == 0)
			continue;
		if ((o = dk_parse(line, n, e)) == NULL) {
			dk_failpre(e, "%s:%ld", r.name, r.line);
			goto fail;
		}
		rc = dk_sample_from_json(&s, o, e);
		json_decref(o);
		if (rc < 0) {
			dk_failpre(e, "%s:%ld", r.name, r.line);
			goto fail;
		}
		if (d->sample(d->ctx, &s, e) < 0)
			goto fail;
	}
	if (e->status != 0)
		goto fail;
	dk_reader_close(&r);
	return 0;
fail:
	dk_reader_close(&r);
	return -1;
}
