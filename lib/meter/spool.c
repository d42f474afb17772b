/*
 * spool.c: meter-read's spool in the state database: every sample as the
 * device gave it, each meter's walk from counters to slots and where it
 * has got to, and the records it made, stored before they are delivered.
 */
#include <stdlib.h>
#include <string.h>

#include "db.h"

static void
bind_val(sqlite3_stmt *st, int i, int64_t v)
{
	if (v == DK_NOVAL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_int64(st, i, v);
}

static int64_t
col_val(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? DK_NOVAL :
	    sqlite3_column_int64(st, i);
}

/* Stores a sample (once: the same sample again is not a second one). */
int
dk_db_put_sample(struct dk_db *d, const struct dk_sample *s,
    struct dk_err *e)
{
	sqlite3_stmt *st;
	const char *kind = s->kind[0] ? s->kind : "grid";
	int rc;

	/* a battery's state apart; a sample of nothing else ends there */
	if (s->batt && dk_db_put_batt(d, s, e) < 0)
		return -1;
	if (s->batt && s->import_mwh == DK_NOVAL && s->export_mwh ==
	    DK_NOVAL && s->power_w == DK_NOVAL)
		return 0;
	if (sqlite3_prepare_v2(d->db, "INSERT OR IGNORE INTO sample(meter, "
	    "kind, t, exact, import_mwh, export_mwh, wrap_mwh, power_w) "
	    "VALUES(?,?,?,?,?,?,?,?)", -1, &st, NULL) != SQLITE_OK)
		return dk_db_fail(d, e, "insert sample");
	sqlite3_bind_text(st, 1, s->meter, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, s->t);
	sqlite3_bind_int(st, 4, s->exact != 0);
	bind_val(st, 5, s->import_mwh);
	bind_val(st, 6, s->export_mwh);
	sqlite3_bind_int64(st, 7, s->wrap_mwh);
	bind_val(st, 8, s->power_w);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return dk_db_fail(d, e, "insert sample");
	if (sqlite3_prepare_v2(d->db, "INSERT OR IGNORE INTO walk(meter, "
	    "kind) VALUES(?,?)", -1, &st, NULL) != SQLITE_OK)
		return dk_db_fail(d, e, "insert walk");
	sqlite3_bind_text(st, 1, s->meter, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return dk_db_fail(d, e, "insert walk");
	return 0;
}

struct walkctx {
	struct dk_db *d;
	const struct dk_walkopt *o;
	sqlite3_stmt *ins;
	long made;
	struct dk_slotres gap;	/* the run of gaps so far, if pending */
	int pending;
};

static int
store_rec(struct walkctx *c, const struct dk_slotres *r, struct dk_err *e)
{
	json_t *rec;
	char *line;
	int rc;

	if ((rec = c->o->rec(c->o->ctx, r, e)) == NULL)
		return -1;
	line = dk_canon(rec);
	json_decref(rec);
	if (line == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	sqlite3_reset(c->ins);
	sqlite3_bind_text(c->ins, 1, r->meter, -1, SQLITE_STATIC);
	sqlite3_bind_text(c->ins, 2, r->kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(c->ins, 3, r->slot);
	sqlite3_bind_text(c->ins, 4, line, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(c->ins);
	free(line);
	if (rc != SQLITE_DONE)
		return dk_db_fail(c->d, e, "insert record");
	c->made += sqlite3_changes(c->d->db);
	return 0;
}

static int
flush_gap(struct walkctx *c, struct dk_err *e)
{
	if (!c->pending)
		return 0;
	c->pending = 0;
	return store_rec(c, &c->gap, e);
}

/* One record per run of gaps with the same reason: a meter silent for a
 * year is one record, not 17 520. */
static int
store_res(void *ctx, const struct dk_slotres *r, struct dk_err *e)
{
	struct walkctx *c = ctx;

	if (r->gap != NULL && c->pending && strcmp(r->gap, c->gap.gap) == 0 &&
	    r->slot == c->gap.last + c->o->slot_minutes * 60LL) {
		c->gap.last = r->slot;
		return 0;
	}
	if (flush_gap(c, e) < 0)
		return -1;
	if (r->gap == NULL)
		return store_rec(c, r, e);
	c->gap = *r;
	c->gap.last = r->slot;
	c->pending = 1;
	return 0;
}

/* One meter's walk over its samples stored since the last run. */
static int
walk_one(struct walkctx *c, const char *meter, const char *kind,
    long long last, const char *state, struct dk_err *e)
{
	struct dk_walk w;
	struct dk_sample s;
	sqlite3_stmt *st = NULL, *up = NULL;
	json_t *js = NULL;
	char *txt = NULL, msg[300];
	long long id;
	int rc;

	c->pending = 0;
	dk_walk_init(&w, meter, kind, c->o->slot_minutes, c->o->tolerance);
	if (state != NULL) {
		if ((js = json_loads(state, 0, NULL)) == NULL)
			return dk_fail(e, DK_EX_DATAERR, "state database: walk "
			    "of meter %s (%s): not JSON", meter, kind);
		if (json_integer_value(json_object_get(js, "slot")) !=
		    w.slot) {
			snprintf(msg, sizeof(msg), "meter %s: the slot length "
			    "changed; its slots start again from the next "
			    "sample", meter);
			if (c->o->warn != NULL)
				c->o->warn(c->o->ctx, msg);
		} else if (dk_walk_from_json(&w, js, e) < 0) {
			json_decref(js);
			return -1;
		}
		json_decref(js);
	}
	if (sqlite3_prepare_v2(c->d->db, "SELECT id, t, exact, import_mwh, "
	    "export_mwh, wrap_mwh, power_w FROM sample WHERE meter = ? AND "
	    "kind = ? AND id > ? ORDER BY t, exact DESC, id", -1, &st,
	    NULL) != SQLITE_OK)
		return dk_db_fail(c->d, e, "select samples");
	sqlite3_bind_text(st, 1, meter, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, last);
	memset(&s, 0, sizeof(s));
	snprintf(s.meter, sizeof(s.meter), "%s", meter);
	snprintf(s.kind, sizeof(s.kind), "%s", kind);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0);
		if (id > last)
			last = id;
		s.t = sqlite3_column_int64(st, 1);
		s.exact = sqlite3_column_int(st, 2);
		s.import_mwh = col_val(st, 3);
		s.export_mwh = col_val(st, 4);
		s.wrap_mwh = sqlite3_column_int64(st, 5);
		s.power_w = col_val(st, 6);
		if (dk_walk_feed(&w, &s, store_res, c, e) < 0)
			goto fail;
	}
	if (rc != SQLITE_DONE) {
		dk_db_fail(c->d, e, "select samples");
		goto fail;
	}
	sqlite3_finalize(st);
	st = NULL;
	/* a run of gaps ends with the walk: it is known this far */
	if (flush_gap(c, e) < 0)
		return -1;
	if (w.late > 0 && c->o->warn != NULL) {
		snprintf(msg, sizeof(msg), "meter %s: %ld sample%s older than "
		    "one already used: stored, not used", meter, w.late,
		    w.late == 1 ? "" : "s");
		c->o->warn(c->o->ctx, msg);
	}
	if ((js = dk_walk_json(&w)) == NULL ||
	    json_object_set_new(js, "slot", json_integer(w.slot)) < 0 ||
	    (txt = dk_json_dumps(js, JSON_COMPACT | JSON_SORT_KEYS)) == NULL) {
		json_decref(js);
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	}
	json_decref(js);
	if (sqlite3_prepare_v2(c->d->db, "UPDATE walk SET last_id = ?, "
	    "state = ? WHERE meter = ? AND kind = ?", -1, &up, NULL) !=
	    SQLITE_OK) {
		free(txt);
		return dk_db_fail(c->d, e, "update walk");
	}
	sqlite3_bind_int64(up, 1, last);
	sqlite3_bind_text(up, 2, txt, -1, SQLITE_STATIC);
	sqlite3_bind_text(up, 3, meter, -1, SQLITE_STATIC);
	sqlite3_bind_text(up, 4, kind, -1, SQLITE_STATIC);
	rc = sqlite3_step(up);
	sqlite3_finalize(up);
	free(txt);
	if (rc != SQLITE_DONE)
		return dk_db_fail(c->d, e, "update walk");
	return 0;
fail:
	sqlite3_finalize(st);
	return -1;
}

/*
 * Turns the samples stored since the last run into readings and gaps, and
 * stores them, undelivered; one transaction per meter, so a kill keeps
 * either a meter's records and its walk's new place, or neither.
 */
int
dk_db_walk(struct dk_db *d, const struct dk_walkopt *o, long *made,
    struct dk_err *e)
{
	struct walkctx c = { d, o, NULL, 0, { 0 }, 0 };
	sqlite3_stmt *st;
	json_t *list = json_array(), *x;
	size_t i;
	int rc;

	*made = 0;
	if (sqlite3_prepare_v2(d->db, "SELECT meter, kind FROM walk ORDER BY "
	    "meter, kind", -1, &st, NULL) != SQLITE_OK) {
		json_decref(list);
		return dk_db_fail(d, e, "select walks");
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(list, json_pack("[s,s]",
		    (const char *)sqlite3_column_text(st, 0),
		    (const char *)sqlite3_column_text(st, 1)));
	sqlite3_finalize(st);
	st = NULL;
	if (rc != SQLITE_DONE) {
		json_decref(list);
		return dk_db_fail(d, e, "select walks");
	}
	if (sqlite3_prepare_v2(d->db, "INSERT OR IGNORE INTO out(meter, kind, "
	    "slot, line) VALUES(?,?,?,?)", -1, &c.ins, NULL) != SQLITE_OK) {
		json_decref(list);
		return dk_db_fail(d, e, "insert record");
	}
	/* where the walk got to is read under the write lock: another run
	 * may have walked on since the list was read */
	if (sqlite3_prepare_v2(d->db, "SELECT last_id, state FROM walk WHERE "
	    "meter = ? AND kind = ?", -1, &st, NULL) != SQLITE_OK) {
		dk_db_fail(d, e, "select walks");
		goto fail;
	}
	json_array_foreach(list, i, x) {
		const char *m = json_string_value(json_array_get(x, 0));
		const char *k = json_string_value(json_array_get(x, 1));
		char *state;

		if (dk_db_begin(d, e) < 0)
			goto fail;
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, m, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, k, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_ROW) {
			dk_db_fail(d, e, "select walks");
			dk_db_rollback(d);
			goto fail;
		}
		state = sqlite3_column_type(st, 1) == SQLITE_NULL ? NULL :
		    strdup((const char *)sqlite3_column_text(st, 1));
		rc = walk_one(&c, m, k, sqlite3_column_int64(st, 0), state, e);
		free(state);
		sqlite3_reset(st);
		if (rc < 0) {
			dk_db_rollback(d);
			goto fail;
		}
		if (dk_db_commit(d, e) < 0)
			goto fail;
	}
	sqlite3_finalize(st);
	sqlite3_finalize(c.ins);
	json_decref(list);
	*made = c.made;
	return 0;
fail:
	sqlite3_finalize(st);
	sqlite3_finalize(c.ins);
	json_decref(list);
	*made = c.made;
	return -1;
}
