/* drv-http.c: the fronius and enphase drivers: HTTP JSON on the LAN. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "meter.h"

struct web {
	struct dk_drv *d;
	const char *name;	/* "fronius" */
	const char *url;	/* base, without a trailing '/' */
	long long timeout, retries;
	char base[512];
};

static int
web_settings(struct web *w, struct dk_drv *d, const char *name,
    struct dk_err *e)
{
	const struct dk_conf *c = d->conf;
	char key[64];
	size_t n;

	w->d = d;
	w->name = name;
	snprintf(key, sizeof(key), "meter.%s.url", name);
	if ((w->url = dk_conf_str(c, key, NULL)) == NULL)
		return dk_fail(e, DK_EX_CONFIG, "%s: %s must be set (the "
		    "device's address, like http://192.168.1.20)",
		    c->path ? c->path : "-D", key);
	if (strncmp(w->url, "http://", 7) != 0 &&
	    strncmp(w->url, "https://", 8) != 0)
		return dk_fail(e, DK_EX_CONFIG, "%s: %s: \"%s\": must start "
		    "with http:// or https://", c->path ? c->path : "-D", key,
		    w->url);
	snprintf(w->base, sizeof(w->base), "%s", w->url);
	n = strlen(w->base);
	while (n > 0 && w->base[n - 1] == '/')
		w->base[--n] = '\0';
	snprintf(key, sizeof(key), "meter.%s.timeout", name);
	if (dk_conf_int(c, key, 10, 1, 600, &w->timeout, e) < 0)
		return -1;
	snprintf(key, sizeof(key), "meter.%s.retries", name);
	return dk_conf_int(c, key, 2, 0, 100, &w->retries, e);
}

/* GET base+path as a JSON object */
static json_t *
web_get(struct web *w, const char *path, struct dk_err *e)
{
	char url[1024];
	char *body;
	size_t len;
	json_t *j;

	snprintf(url, sizeof(url), "%s%s", w->base, path);
	if (dk_http_get(url, (long)w->timeout, (long)w->retries, w->d->warn,
	    w->d->ctx, &body, &len, e) < 0) {
		dk_failpre(e, "%s", w->name);
		return NULL;
	}
	j = dk_json_body(body, len, url, e);
	free(body);
	if (j == NULL)
		dk_failpre(e, "%s", w->name);
	return j;
}

/*
 * Fronius: the grid meter (GetMeterRealtimeData, Scope=System) and the
 * inverter meter.fronius.inverter (GetInverterRealtimeData; 0: none).
 */
int
dk_drv_fronius(struct dk_drv *d, struct dk_err *e)
{
	struct web w;
	struct dk_sample s;
	long long inv;
	char p[256];
	json_t *j;
	int rc;

	if (web_settings(&w, d, "fronius", e) < 0 ||
	    dk_conf_int(d->conf, "meter.fronius.inverter", 1, 0, 999, &inv,
	    e) < 0)
		return -1;
	if ((j = web_get(&w, "/solar_api/v1/GetMeterRealtimeData.cgi?"
	    "Scope=System", e)) == NULL)
		return -1;
	rc = dk_fronius_meter(j, dk_conf_str(d->conf, "meter.fronius.meter",
	    NULL), &s, e);
	json_decref(j);
	if (rc < 0)
		return dk_failpre(e, "fronius: %s", w.base);
	if (rc == 0 && d->warn != NULL)
		d->warn(d->ctx, "fronius: GetMeterRealtimeData: the system "
		    "has no meter; no grid sample");
	if (rc == 1 && d->sample(d->ctx, &s, e) < 0)
		return -1;
	if (inv == 0)
		return 0;
	snprintf(p, sizeof(p), "/solar_api/v1/GetInverterRealtimeData.cgi?"
	    "Scope=Device&DeviceId=%lld&DataCollection=CommonInverterData",
	    inv);
	if ((j = web_get(&w, p, e)) == NULL)
		return -1;
	rc = dk_fronius_inverter(j, &s, e);
	json_decref(j);
	if (rc < 0)
		return dk_failpre(e, "fronius: %s: inverter %lld", w.base, inv);
	if (rc == 0 && d->warn != NULL)
		d->warn(d->ctx, "fronius: GetInverterRealtimeData: no "
		    "TOTAL_ENERGY (the inverter sleeps); no pv sample");
	if (rc == 1 && d->sample(d->ctx, &s, e) < 0)
		return -1;
	return 0;
}

/*
 * Enphase: /production.json (Envoy-S); meter.enphase.api "auto" falls back
 * to /api/v1/production when an older Envoy answers that with an HTML
 * page or 404.
 */
int
dk_drv_enphase(struct dk_drv *d, struct dk_err *e)
{
	struct web w;
	struct dk_sample s[2];
	const char *api;
	json_t *j;
	int i, n;

	if (web_settings(&w, d, "enphase", e) < 0)
		return -1;
	api = dk_conf_str(d->conf, "meter.enphase.api", "auto");
	if (strcmp(api, "auto") != 0 && strcmp(api, "production.json") != 0 &&
	    strcmp(api, "v1") != 0)
		return dk_fail(e, DK_EX_CONFIG, "%s: meter.enphase.api: \"%s\": "
		    "must be auto, production.json or v1",
		    d->conf->path ? d->conf->path : "-D", api);
	if (strcmp(api, "v1") != 0) {
		if ((j = web_get(&w, "/production.json", e)) != NULL) {
			int rc = dk_enphase_production(j, (int64_t)time(NULL),
			    s, &n, e);
			json_decref(j);
			if (rc < 0)
				return dk_failpre(e, "enphase: %s", w.base);
			for (i = 0; i < n; i++)
				if (d->sample(d->ctx, &s[i], e) < 0)
					return -1;
			return 0;
		}
		if (strcmp(api, "auto") != 0 || (strstr(e->msg, "HTML") ==
		    NULL && strstr(e->msg, "status 404") == NULL))
			return -1;
		if (d->warn != NULL) {
			char m[700];
			snprintf(m, sizeof(m), "%s; trying /api/v1/production "
			    "(firmware before 4)", e->msg);
			d->warn(d->ctx, m);
		}
	}
	if ((j = web_get(&w, "/api/v1/production", e)) == NULL)
		return -1;
	n = dk_enphase_v1(j, (int64_t)time(NULL), &s[0], e);
	json_decref(j);
	if (n < 0)
		return dk_failpre(e, "enphase: %s", w.base);
	return d->sample(d->ctx, &s[0], e);
}
