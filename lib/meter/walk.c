/* walk.c: one meter's cumulative counters walked into slot readings and
 * gaps; the walk's state as JSON, to go on from in the next run. */
#include <stdlib.h>
#include <string.h>

#include "meter.h"

/*
 * From cumulative counters to slots: one meter's samples, fed in time
 * order, fix the slot boundaries and make one reading or one gap per slot.
 *
 * The boundary rule: boundary B (a multiple of the slot length in unix
 * time) takes the first sample fed with B <= t <= B + tolerance that has an
 * import counter; samples at the same time are fed exact ones first, so a
 * value the device stamped on B itself wins over one read at B.  A
 * boundary, once fixed, never changes.  Nothing is interpolated.
 *
 * A slot between two fixed boundaries gets floor(u1/1000) - floor(u0/1000)
 * Wh, u being the counter in milli-Wh unwrapped since the last reset, so the
 * readings of consecutive slots add up to the counter's own difference:
 * nothing is lost or invented at a slot edge.  A slot whose start or end
 * boundary has no sample, or inside which a counter went backwards other
 * than by wrapping, or that would hold more than DK_MAX_WH, is a gap.
 */

static int64_t
floordiv(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* 0: c1 follows c0 (*d the milli-Wh between, over a wrap at wrap when the
 * counter has one); 1: the counter went backwards (reset, replacement). */
int
dk_counter_step(int64_t c0, int64_t c1, int64_t wrap, int64_t *d)
{
	if (c1 >= c0) {
		*d = c1 - c0;
		return 0;
	}
	/* a wrap is a short step forward over the top, never a long one */
	if (wrap > 0 && c0 < wrap && c1 >= 0 && wrap - c0 <= wrap / 2 &&
	    c1 <= wrap / 2 - (wrap - c0)) {
		*d = c1 + (wrap - c0);
		return 0;
	}
	return 1;
}

/* Whole Wh in a slot from unwrapped milli-Wh counters: telescopes. */
int64_t
dk_slot_wh(int64_t u0, int64_t u1)
{
	return floordiv(u1, 1000) - floordiv(u0, 1000);
}

void
dk_walk_init(struct dk_walk *w, const char *meter, const char *kind,
    int slot_minutes, int64_t tolerance)
{
	memset(w, 0, sizeof(*w));
	snprintf(w->meter, sizeof(w->meter), "%s", meter);
	snprintf(w->kind, sizeof(w->kind), "%s", kind[0] ? kind : "grid");
	w->slot = slot_minutes * 60LL;
	w->tol = tolerance;
	w->bi = w->be = w->pi = w->pe = DK_NOVAL;
}

static int
result(struct dk_walk *w, int64_t slot, const char *gap, dk_slot_fn fn,
    void *ctx, struct dk_err *e)
{
	struct dk_slotres r;

	memset(&r, 0, sizeof(r));
	r.meter = w->meter;
	r.kind = w->kind;
	r.slot = slot;
	r.gap = gap;
	r.last = slot;
	r.import_total_wh = r.export_total_wh = DK_NOVAL;
	return fn(ctx, &r, e);
}

/* The slot [w->b, w->b + slot) now that its end is fixed by sample s. */
static int
close_slot(struct dk_walk *w, const struct dk_sample *s, int64_t ui,
    int64_t ue, dk_slot_fn fn, void *ctx, struct dk_err *e)
{
	struct dk_slotres r;

	if (!w->have)
		return result(w, w->b, "no-sample", fn, ctx, e);
	if (w->broken)
		return result(w, w->b, "reset", fn, ctx, e);
	if ((w->be == DK_NOVAL) != (s->export_mwh == DK_NOVAL))
		return result(w, w->b, "registers", fn, ctx, e);
	memset(&r, 0, sizeof(r));
	r.meter = w->meter;
	r.kind = w->kind;
	r.slot = w->b;
	r.import_wh = dk_slot_wh(w->ui, ui);
	r.export_wh = s->export_mwh == DK_NOVAL ? 0 : dk_slot_wh(w->ue, ue);
	r.import_total_wh = floordiv(s->import_mwh, 1000);
	r.export_total_wh = s->export_mwh == DK_NOVAL ? DK_NOVAL :
	    floordiv(s->export_mwh, 1000);
	if (r.import_wh < 0 || r.export_wh < 0 || r.import_wh > DK_MAX_WH ||
	    r.export_wh > DK_MAX_WH)
		return result(w, w->b, "implausible", fn, ctx, e);
	return fn(ctx, &r, e);
}

/*
 * Feeds one sample.  Samples must come in the order (time, exact first);
 * one older than the last fed is late: counted in w->late, not used.
 */
int
dk_walk_feed(struct dk_walk *w, const struct dk_sample *s, dk_slot_fn fn,
    void *ctx, struct dk_err *e)
{
	int64_t ui = DK_NOVAL, ue = DK_NOVAL, d, bk, b;
	int reset = 0;

	if (w->fed && s->t < w->pt) {
		w->late++;
		return 0;
	}
	/* unwrap the counters, and find resets, sample to sample */
	if (s->import_mwh != DK_NOVAL) {
		if (w->pi != DK_NOVAL && dk_counter_step(w->pi, s->import_mwh,
		    s->wrap_mwh, &d) == 0)
			ui = w->pui + d;
		else {
			reset |= w->pi != DK_NOVAL;
			ui = s->import_mwh;
		}
	}
	if (s->export_mwh != DK_NOVAL) {
		if (w->pe != DK_NOVAL && dk_counter_step(w->pe, s->export_mwh,
		    s->wrap_mwh, &d) == 0 && !reset)
			ue = w->pue + d;
		else {
			reset |= w->pe != DK_NOVAL;
			ue = s->export_mwh;
		}
	}
	if (reset) {
		/* restart both chains at this sample */
		if (s->import_mwh != DK_NOVAL)
			ui = s->import_mwh;
		w->broken = 1;
		w->resets++;
	}
	w->fed = 1;
	w->pt = s->t;
	if (s->import_mwh != DK_NOVAL) {
		w->pi = s->import_mwh;
		w->pui = ui;
	}
	if (s->export_mwh != DK_NOVAL) {
		w->pe = s->export_mwh;
		w->pue = ue;
	}
	if (s->import_mwh == DK_NOVAL)
		return 0;

	bk = floordiv(s->t, w->slot) * w->slot;	/* the boundary at or before */
	if (!w->started) {
		if (s->t - bk > w->tol)
			return 0;
		w->started = 1;
		goto fix;
	}
	if (bk <= w->b)
		return 0;	/* inside the slot after the last boundary */
	/* every boundary before bk was missed; bk is fixed if s is in time */
	for (b = w->b; b + w->slot < bk; b += w->slot) {
		if (result(w, b, w->have && w->broken ? "reset" : "no-sample",
		    fn, ctx, e) < 0)
			return -1;
		w->have = 0;
		w->broken = 0;
		w->b = b + w->slot;
	}
	if (s->t - bk > w->tol) {
		if (result(w, w->b, w->have && w->broken ? "reset" :
		    "no-sample", fn, ctx, e) < 0)
			return -1;
		w->b = bk;
		w->have = 0;
		w->broken = 0;
		return 0;
	}
	if (close_slot(w, s, ui, ue, fn, ctx, e) < 0)
		return -1;
fix:
	w->b = bk;
	w->have = 1;
	w->broken = 0;
	w->bi = s->import_mwh;
	w->be = s->export_mwh;
	w->ui = ui;
	w->ue = ue;
	return 0;
}

/* The walk as JSON, to keep it between runs. */
json_t *
dk_walk_json(const struct dk_walk *w)
{
	return json_pack("{s:i,s:i,s:i,s:I,s:I,s:I,s:I,s:I,s:i,s:I,s:I,s:I,"
	    "s:I,s:I}", "started", w->started, "have", w->have,
	    "broken", w->broken, "b", (json_int_t)w->b,
	    "bi", (json_int_t)w->bi, "be", (json_int_t)w->be,
	    "ui", (json_int_t)w->ui, "ue", (json_int_t)w->ue,
	    "fed", w->fed, "pt", (json_int_t)w->pt,
	    "pi", (json_int_t)w->pi, "pe", (json_int_t)w->pe,
	    "pui", (json_int_t)w->pui, "pue", (json_int_t)w->pue);
}

int
dk_walk_from_json(struct dk_walk *w, json_t *o, struct dk_err *e)
{
	json_int_t b, bi, be, ui, ue, pt, pi, pe, pui, pue;

	if (json_unpack(o, "{s:i,s:i,s:i,s:I,s:I,s:I,s:I,s:I,s:i,s:I,s:I,s:I,"
	    "s:I,s:I}", "started", &w->started, "have", &w->have,
	    "broken", &w->broken, "b", &b, "bi", &bi, "be", &be, "ui", &ui,
	    "ue", &ue, "fed", &w->fed, "pt", &pt, "pi", &pi, "pe", &pe,
	    "pui", &pui, "pue", &pue) < 0)
		return dk_fail(e, DK_EX_DATAERR, "state database: walk of meter "
		    "%s (%s): not a walk state", w->meter, w->kind);
	w->b = b;
	w->bi = bi;
	w->be = be;
	w->ui = ui;
	w->ue = ue;
	w->pt = pt;
	w->pi = pi;
	w->pe = pe;
	w->pui = pui;
	w->pue = pue;
	return 0;
}

/*
 * A slot result as a record: {"type":"reading",...} in the reading format
 * (with "kind" when not grid), or {"type":"gap","meter","slot","last",
 * "reason"} for the run of slots from slot to last.
 */
json_t *
dk_slotres_json(const struct dk_slotres *r, const char *tz)
{
	char ts[64], tl[64];
	json_t *o;

	if (dk_time_format(r->slot, tz, ts, sizeof(ts)) < 0)
		return NULL;
	if (r->gap != NULL) {
		if (dk_time_format(r->last > r->slot ? r->last : r->slot, tz,
		    tl, sizeof(tl)) < 0)
			return NULL;
		o = json_pack("{s:s,s:i,s:s,s:s,s:s,s:s}", "type", "gap", "v",
		    1, "meter", r->meter, "slot", ts, "last", tl, "reason",
		    r->gap);
	} else {
		o = json_pack("{s:s,s:i,s:s,s:s,s:I,s:I,s:I}", "type",
		    "reading", "v", 1, "meter", r->meter, "slot", ts,
		    "import_wh", (json_int_t)r->import_wh,
		    "export_wh", (json_int_t)r->export_wh,
		    "import_total_wh", (json_int_t)r->import_total_wh);
		if (o != NULL && r->export_total_wh != DK_NOVAL)
			json_object_set_new(o, "export_total_wh",
			    json_integer(r->export_total_wh));
	}
	if (o != NULL && strcmp(r->kind, "grid") != 0)
		json_object_set_new(o, "kind", json_string(r->kind));
	return o;
}
