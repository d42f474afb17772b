/*
 * read.c: meter-read's two sources that are not devices, set up from the
 * configuration: the csv files (meter.import_column, export_column) and
 * the simulator (sim.*).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "meter.h"

/* Each file in turn, "-" or none: stdin. */
int
dk_read_csv(const struct dk_conf *conf, const struct dk_csvopt *base,
    char **files, int nfiles, dk_reading_fn put, void *ctx,
    struct dk_err *e)
{
	struct dk_csvopt opt = *base;
	const char *name;
	FILE *fp;
	int i, rc;

	opt.import_col = dk_conf_str(conf, "meter.import_column", NULL);
	opt.export_col = dk_conf_str(conf, "meter.export_column", NULL);
	for (i = 0; i < nfiles || i == 0; i++) {
		name = i < nfiles ? files[i] : "-";
		if (strcmp(name, "-") == 0)
			fp = stdin;
		else if ((fp = fopen(name, "r")) == NULL)
			return dk_fail(e, DK_EX_NOINPUT, "%s: %s", name,
			    strerror(errno));
		rc = dk_meter_csv(fp, fp == stdin ? "stdin" : name, &opt, put,
		    ctx, e);
		if (fp != stdin)
			fclose(fp);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* nslots slots from the slot start (-s: a usage error when wrong), or
 * sim.slots when nslots < 0. */
int
dk_read_sim(const struct dk_conf *conf, const struct dk_csvopt *base,
    const char *start, long long nslots, dk_reading_fn put, void *ctx,
    struct dk_err *e)
{
	long long seed, peak, load;
	int64_t from;

	if (nslots < 0 && dk_conf_int(conf, "sim.slots", 48, 1, 1000000,
	    &nslots, e) < 0)
		return -1;
	if (dk_slot_parse(start, base->rules->slot_minutes, &from, e) < 0) {
		dk_failpre(e, "-s");
		e->status = DK_EX_USAGE;
		return -1;
	}
	if (dk_conf_int(conf, "sim.seed", 1, 0, DK_MAX_SAFE_INT, &seed,
	    e) < 0 ||
	    dk_conf_int(conf, "sim.pv_peak_w", 4000, 0, 1000000, &peak,
	    e) < 0 ||
	    dk_conf_int(conf, "sim.load_w", 600, 0, 1000000, &load, e) < 0)
		return -1;
	return dk_meter_sim(base, (uint64_t)seed, from, (int)nslots, peak,
	    load, put, ctx, e);
}
