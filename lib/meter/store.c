/*
 * store.c: denki-meter-read's run over a device driver: every sample
 * stored as the device gives it, the counters walked into slot readings
 * and gaps, the records stored (signed with the device key, devkey.c),
 * then delivered.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meter.h"

struct store {
	const struct dk_storeopt *o;
	struct dk_db *db;
	int64_t slot;		/* seconds */
	const struct dk_key *key;	/* NULL: records unsigned */
	struct dk_sample *polled;	/* this poll's, not yet stored */
	size_t npolled, cap;
	dk_reading_fn put;	/* probe: each sample record */
	void *putctx;
};

static void
say(const struct dk_storeopt *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
say(const struct dk_storeopt *o, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	if (o->warn == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	o->warn(o->ctx, buf);
}

/* The drivers' and the walk's warnings, to the caller's warn. */
static void
relay(void *ctx, const char *msg)
{
	struct store *st = ctx;

	if (st->o->warn != NULL)
		st->o->warn(st->o->ctx, msg);
}

/* The driver reads meter.samples.file: the file to read it from. */
int
dk_drv_file(struct dk_conf *conf, const char *file, struct dk_err *e)
{
	char *set;
	int rc;

	if (asprintf(&set, "meter.samples.file=%s", file) < 0)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	rc = dk_conf_set(conf, set, e);
	free(set);
	return rc;
}

/* A poll's samples in one short transaction: the write lock is taken
 * only to store, never while the device is asked. */
static int
store_polled(struct store *st, struct dk_err *e)
{
	size_t i;

	if (st->npolled == 0)
		return 0;
	if (dk_db_begin(st->db, e) < 0)
		return -1;
	for (i = 0; i < st->npolled; i++)
		if (dk_db_put_sample(st->db, &st->polled[i], e) < 0) {
			dk_db_rollback(st->db);
			return -1;
		}
	if (dk_db_commit(st->db, e) < 0)
		return -1;
	st->npolled = 0;
	return 0;
}

static int
store_sample(void *ctx, const struct dk_sample *s, struct dk_err *e)
{
	struct store *st = ctx;
	struct dk_sample *c;

	/* a long file of samples is stored a part at a time */
	if (st->npolled == 4096 && store_polled(st, e) < 0)
		return -1;
	if (st->npolled == st->cap) {
		size_t n = st->cap ? st->cap * 2 : 16;
		if ((c = reallocarray(st->polled, n, sizeof(*c))) == NULL)
			return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		st->polled = c;
		st->cap = n;
	}
	c = &st->polled[st->npolled++];
	*c = *s;
	if (c->meter[0] == '\0')
		snprintf(c->meter, sizeof(c->meter), "%s", st->o->meter);
	return 0;
}

static const char *
why(const char *gap)
{
	if (strcmp(gap, "no-sample") == 0)
		return "no sample within the tolerance after one of its "
		    "boundaries";
	if (strcmp(gap, "reset") == 0)
		return "a counter went backwards (meter replaced or reset?)";
	if (strcmp(gap, "registers") == 0)
		return "the export counter is known at one boundary only";
	return "more energy than a slot can hold, or less than none";
}

static json_t *
store_rec(void *ctx, const struct dk_slotres *r, struct dk_err *e)
{
	struct store *st = ctx;
	const char *sp = strcmp(r->kind, "grid") ? " " : "";
	const char *kind = strcmp(r->kind, "grid") ? r->kind : "";
	json_t *o;

	if ((o = dk_slotres_json(r, st->o->rules->tz)) == NULL) {
		dk_fail(e, DK_EX_SOFTWARE, "slot %lld: out of range",
		    (long long)r->slot);
		return NULL;
	}
	if (r->gap != NULL && r->last > r->slot)
		say(st->o, "meter %s%s%s: slots %s to %s: a gap of %lld "
		    "slots, no reading: %s", r->meter, sp, kind,
		    json_string_value(json_object_get(o, "slot")),
		    json_string_value(json_object_get(o, "last")),
		    (long long)((r->last - r->slot) / st->slot + 1),
		    why(r->gap));
	else if (r->gap != NULL)
		say(st->o, "meter %s%s%s: slot %s: a gap, no reading: %s",
		    r->meter, sp, kind,
		    json_string_value(json_object_get(o, "slot")), why(r->gap));
	if (st->key != NULL && dk_sign_record(o, st->key, e) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* The samples of each poll (each file) stored in one transaction, kept
 * even when the driver fails part way: what it said is not lost. */
static int
poll_all(struct store *st, struct dk_drv *d, struct dk_err *de,
    struct dk_err *e)
{
	const struct dk_storeopt *o = st->o;
	int i, drc = 0;

	for (i = 0; i < o->nfiles || i == 0; i++) {
		if (o->nfiles > 0 && dk_drv_file(o->conf, o->files[i], e) < 0)
			return -1;
		drc = o->drv(d, de);
		if (store_polled(st, e) < 0)
			return -1;
		if (drc < 0)
			break;
	}
	return drc < 0 ? 1 : 0;
}

int
dk_store_run(const struct dk_storeopt *o, struct dk_err *e)
{
	const struct dk_rules *rules = o->rules;
	struct store st;
	struct dk_walkopt wo;
	struct dk_drv d;
	struct dk_err de = { 0 };
	struct dk_devkey own, *dev = o->dev != NULL ? o->dev : &own;
	long long tol;
	long made = 0, n = 0;
	int rc = -1, drc;

	memset(dev, 0, sizeof(*dev));
	memset(&st, 0, sizeof(st));
	st.o = o;
	st.slot = rules->slot_minutes * 60LL;
	if (dk_conf_int(o->conf, "meter.tolerance", 60, 0,
	    rules->slot_minutes * 30LL, &tol, e) < 0)
		return -1;
	if ((st.db = dk_home_db(o->conf, e)) == NULL)
		goto out;
	memset(&d, 0, sizeof(d));
	d.conf = o->conf;
	d.sample = store_sample;
	d.warn = relay;
	d.ctx = &st;
	if ((drc = poll_all(&st, &d, &de, e)) < 0)
		goto out;
	/* the key only once the samples are stored: a key that cannot be
	 * read loses no sample, and no record is made unsigned */
	if (dk_devkey_open(dev, o->conf, o->meter, e) < 0)
		goto out;
	if (dev->path != NULL)
		st.key = &dev->key;
	if (d.rejected > 0)
		say(o, "-d %s: %ld refused (see above)", o->driver,
		    d.rejected);
	memset(&wo, 0, sizeof(wo));
	wo.slot_minutes = rules->slot_minutes;
	wo.tolerance = tol;
	wo.rec = store_rec;
	wo.warn = relay;
	wo.ctx = &st;
	if (dk_db_walk(st.db, &wo, &made, e) < 0)
		goto out;
	/* each: each line marked delivered as soon as it is out */
	if (dk_db_deliver(st.db, o->each ? 1 : 64, o->out, o->ctx, &n,
	    e) < 0)
		goto out;
	if (drc) {
		*e = de;
		goto out;
	}
	rc = 0;
out:
	dk_db_close(st.db);
	free(st.polled);
	if (dev == &own)
		dk_devkey_free(&own);
	return rc;
}

static int
probe_put(void *ctx, const struct dk_sample *s, struct dk_err *e)
{
	struct store *st = ctx;
	struct dk_sample c = *s;
	json_t *r;
	int rc;

	if (c.meter[0] == '\0')
		snprintf(c.meter, sizeof(c.meter), "%s", st->o->meter);
	if ((r = dk_sample_json(&c, st->o->rules->tz)) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "sample time %lld: out of "
		    "range", (long long)c.t);
	rc = st->put(st->putctx, r, e);
	json_decref(r);
	return rc;
}

/* meter-read -p: what the device says now, one sample record a value,
 * handed to put; nothing stored.  The files are not read: the caller
 * names the one there may be with dk_drv_file. */
int
dk_store_probe(const struct dk_storeopt *o, dk_reading_fn put, void *ctx,
    struct dk_err *e)
{
	struct store st;
	struct dk_drv d;

	memset(&st, 0, sizeof(st));
	st.o = o;
	st.put = put;
	st.putctx = ctx;
	memset(&d, 0, sizeof(d));
	d.conf = o->conf;
	d.sample = probe_put;
	d.warn = relay;
	d.ctx = &st;
	if (o->drv(&d, e) < 0)
		return -1;
	if (d.rejected > 0)
		say(o, "-d %s: %ld refused (see above)", o->driver,
		    d.rejected);
	return 0;
}
