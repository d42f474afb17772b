/*
 * home.c: what a household's programs (meter-read, bid) read from its
 * configuration first: the rules they need, the meter they read, and the
 * state database they keep.
 */
#include <stdlib.h>
#include <string.h>

#include "meter.h"

/* The rules for reading a meter: its slot length and time zone; prices
 * are not needed for that, and default to 0 when not set. */
int
dk_home_rules(struct dk_conf *conf, struct dk_rules *rules, struct dk_err *e)
{
	if (dk_conf_str(conf, "prices.retail", NULL) == NULL)
		dk_conf_set(conf, "prices.retail=0", e);
	if (dk_conf_str(conf, "prices.buyback", NULL) == NULL)
		dk_conf_set(conf, "prices.buyback=0", e);
	return dk_rules_from_conf(rules, conf, e);
}

/* The meter read: m when given (-m), else meter.id, else the one meter
 * "meters" lists; NULL when none is named (or several are). */
const char *
dk_home_meter(const struct dk_conf *conf, const char *m)
{
	const char *ms;

	if (m == NULL)
		m = dk_conf_str(conf, "meter.id", NULL);
	if (m == NULL && (ms = dk_conf_str(conf, "meters", NULL)) != NULL &&
	    strchr(ms, ',') == NULL)
		m = ms;
	return m;
}

/* The household's state database: "state", or denki-home.db beside the
 * configuration; synced at each commit unless state_sync is off (a
 * simulated home's, thrown away after the run). */
struct dk_db *
dk_home_db(const struct dk_conf *conf, struct dk_err *e)
{
	const char *sync = dk_conf_str(conf, "state_sync", "full");
	struct dk_db *db;
	char *path;

	if (strcmp(sync, "full") != 0 && strcmp(sync, "off") != 0) {
		dk_fail(e, DK_EX_CONFIG, "%s: state_sync: must be full or off, "
		    "got \"%.40s\"", conf->path ? conf->path : "config", sync);
		return NULL;
	}
	if ((path = dk_conf_path(conf, "state", "denki-home.db")) == NULL) {
		dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		return NULL;
	}
	db = dk_db_open_as(path, strcmp(sync, "off") == 0 ?
	    DK_SQLITE_UNSYNCED : 0, e);
	free(path);
	return db;
}
