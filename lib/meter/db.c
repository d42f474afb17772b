#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "meter.h"

/* The household's state: its readings (the forecast's history) and the
 * slots it has already bid for. */
struct dk_db {
	sqlite3 *db;
};

static const char schema[] =
    "PRAGMA synchronous=FULL;"
    "CREATE TABLE IF NOT EXISTS reading("
    " meter TEXT NOT NULL, slot INTEGER NOT NULL,"
    " import_wh INTEGER NOT NULL, export_wh INTEGER NOT NULL,"
    " PRIMARY KEY(meter, slot));"
    "CREATE TABLE IF NOT EXISTS sent("
    " slot INTEGER PRIMARY KEY, order_id TEXT NOT NULL);"
    /* meter-read: every sample as the device gave it (NULL: unknown) */
    "CREATE TABLE IF NOT EXISTS sample("
    " id INTEGER PRIMARY KEY, meter TEXT NOT NULL, kind TEXT NOT NULL,"
    " t INTEGER NOT NULL, exact INTEGER NOT NULL, import_mwh INTEGER,"
    " export_mwh INTEGER, wrap_mwh INTEGER NOT NULL, power_w INTEGER);"
    "CREATE UNIQUE INDEX IF NOT EXISTS sample_once ON sample(meter, kind,"
    " t, exact, ifnull(import_mwh, -1), ifnull(export_mwh, -1),"
    " wrap_mwh, ifnull(power_w, -1));"
    "CREATE INDEX IF NOT EXISTS sample_walk ON sample(meter, kind, id);"
    /* where each meter's walk from counters to slots has got to */
    "CREATE TABLE IF NOT EXISTS walk("
    " meter TEXT NOT NULL, kind TEXT NOT NULL,"
    " last_id INTEGER NOT NULL DEFAULT 0, state TEXT,"
    " PRIMARY KEY(meter, kind));"
    /* the records made, each delivered (written and flushed) or not */
    "CREATE TABLE IF NOT EXISTS out("
    " seq INTEGER PRIMARY KEY AUTOINCREMENT, meter TEXT NOT NULL,"
    " kind TEXT NOT NULL, slot INTEGER NOT NULL, line TEXT NOT NULL,"
    " delivered INTEGER NOT NULL DEFAULT 0, UNIQUE(meter, kind, slot));"
    "CREATE INDEX IF NOT EXISTS out_pending ON out(seq) WHERE"
    " delivered = 0;";

/* A full disk or a failed read or write is an I/O error (74), as the
 * exit-code table says; only what cannot be made at all is 73. */
static int
dberr(struct dk_db *d, struct dk_err *e, const char *what)
{
	int code = sqlite3_errcode(d->db), sys = sqlite3_system_errno(d->db);
	char why[128] = "";

	if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
		return dk_fail(e, DK_EX_TEMPFAIL, "state database: %s: %s",
		    what, sqlite3_errmsg(d->db));
	if (sys != 0)
		snprintf(why, sizeof(why), " (%s)", strerror(sys));
	return dk_fail(e, code == SQLITE_FULL || code == SQLITE_IOERR ?
	    DK_EX_IOERR : DK_EX_CANTCREAT, "state database: %s: %s%s", what,
	    sqlite3_errmsg(d->db), why);
}

/*
 * The switch to WAL needs the database to itself, and SQLite does not wait
 * for that with the busy handler: two runs that start together on a new
 * spool, or one that finds another's write under way, saw "database is
 * locked" at once.  WAL stays set in the file, so it is asked first, and
 * set with retries for up to the busy timeout (5 s) when it is not.
 */
static int
wal(struct dk_db *d, struct dk_err *e)
{
	sqlite3_stmt *st;
	struct timespec ts = { 0, 1000000 };
	int i, rc, ok;

	for (i = 0; ; i++) {
		ok = 0;
		rc = sqlite3_prepare_v2(d->db, i == 0 ? "PRAGMA journal_mode" :
		    "PRAGMA journal_mode=WAL", -1, &st, NULL);
		if (rc == SQLITE_OK) {
			rc = sqlite3_step(st);
			ok = rc == SQLITE_ROW && sqlite3_strnicmp((const char *)
			    sqlite3_column_text(st, 0), "wal", 4) == 0;
			sqlite3_finalize(st);
		}
		if (ok)
			return 0;
		if (i > 0 && rc != SQLITE_BUSY && rc != SQLITE_LOCKED &&
		    rc != SQLITE_ROW)
			return dberr(d, e, "journal_mode=WAL");
		if (i > 5000 / 20)
			return dk_fail(e, DK_EX_TEMPFAIL, "state database: "
			    "journal_mode=WAL: still locked after 5 s");
		if (i > 0)
			nanosleep(&ts, NULL);
		if (ts.tv_nsec < 20000000)
			ts.tv_nsec *= 2;
	}
}

struct dk_db *
dk_db_open(const char *path, struct dk_err *e)
{
	struct dk_db *d = calloc(1, sizeof(*d));

	if (d == NULL) {
		dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		return NULL;
	}
	if (sqlite3_open(path, &d->db) != SQLITE_OK) {
		dk_fail(e, DK_EX_CANTCREAT, "%s: %s", path,
		    d->db ? sqlite3_errmsg(d->db) : "cannot open");
		goto fail;
	}
	sqlite3_busy_timeout(d->db, 5000);
	if (wal(d, e) < 0)
		goto fail;
	if (sqlite3_exec(d->db, schema, NULL, NULL, NULL) != SQLITE_OK) {
		dberr(d, e, path);
		goto fail;
	}
	return d;
fail:
	sqlite3_close(d->db);
	free(d);
	return NULL;
}

int
dk_db_put_reading(struct dk_db *d, const char *meter, int64_t slot,
    int64_t imp, int64_t exp, struct dk_err *e)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(d->db, "INSERT OR REPLACE INTO reading"
	    "(meter, slot, import_wh, export_wh) VALUES(?,?,?,?)", -1, &st,
	    NULL) != SQLITE_OK)
		return dberr(d, e, "insert");
	sqlite3_bind_text(st, 1, meter, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, slot);
	sqlite3_bind_int64(st, 3, imp);
	sqlite3_bind_int64(st, 4, exp);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return dberr(d, e, "insert");
	return 0;
}

/* Net export (export - import) in a slot over the given meters; 1 when
 * some meter has no reading for it. */
int
dk_db_get_net(struct dk_db *d, const char *const *meters, size_t n,
    int64_t slot, int64_t *net, struct dk_err *e)
{
	sqlite3_stmt *st;
	size_t i;
	int rc;

	*net = 0;
	if (sqlite3_prepare_v2(d->db, "SELECT export_wh - import_wh FROM "
	    "reading WHERE meter = ? AND slot = ?", -1, &st, NULL) != SQLITE_OK)
		return dberr(d, e, "select");
	for (i = 0; i < n; i++) {
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, meters[i], -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, slot);
		rc = sqlite3_step(st);
		if (rc == SQLITE_DONE) {
			sqlite3_finalize(st);
			return 1;
		}
		if (rc != SQLITE_ROW) {
			sqlite3_finalize(st);
			return dberr(d, e, "select");
		}
		*net += sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	return 0;
}

int
dk_db_order_sent(struct dk_db *d, int64_t slot, struct dk_err *e)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(d->db, "SELECT 1 FROM sent WHERE slot = ?", -1,
	    &st, NULL) != SQLITE_OK)
		return dberr(d, e, "select");
	sqlite3_bind_int64(st, 1, slot);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc != SQLITE_DONE)
		return dberr(d, e, "select");
	return 0;
}

int
dk_db_mark_sent(struct dk_db *d, int64_t slot, const char *id,
    struct dk_err *e)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(d->db, "INSERT OR REPLACE INTO sent(slot, "
	    "order_id) VALUES(?,?)", -1, &st, NULL) != SQLITE_OK)
		return dberr(d, e, "insert");
	sqlite3_bind_int64(st, 1, slot);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return dberr(d, e, "insert");
	return 0;
}

int
dk_db_begin(struct dk_db *d, struct dk_err *e)
{
	if (sqlite3_exec(d->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
	    SQLITE_OK)
		return dberr(d, e, "begin");
	return 0;
}

void
dk_db_rollback(struct dk_db *d)
{
	sqlite3_exec(d->db, "ROLLBACK", NULL, NULL, NULL);
}

int
dk_db_commit(struct dk_db *d, struct dk_err *e)
{
	if (sqlite3_exec(d->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		dberr(d, e, "commit");
		sqlite3_exec(d->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

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

	if (sqlite3_prepare_v2(d->db, "INSERT OR IGNORE INTO sample(meter, "
	    "kind, t, exact, import_mwh, export_mwh, wrap_mwh, power_w) "
	    "VALUES(?,?,?,?,?,?,?,?)", -1, &st, NULL) != SQLITE_OK)
		return dberr(d, e, "insert sample");
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
		return dberr(d, e, "insert sample");
	if (sqlite3_prepare_v2(d->db, "INSERT OR IGNORE INTO walk(meter, "
	    "kind) VALUES(?,?)", -1, &st, NULL) != SQLITE_OK)
		return dberr(d, e, "insert walk");
	sqlite3_bind_text(st, 1, s->meter, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return dberr(d, e, "insert walk");
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
		return dberr(c->d, e, "insert record");
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
		return dberr(c->d, e, "select samples");
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
		dberr(c->d, e, "select samples");
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
	    (txt = json_dumps(js, JSON_COMPACT | JSON_SORT_KEYS)) == NULL) {
		json_decref(js);
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	}
	json_decref(js);
	if (sqlite3_prepare_v2(c->d->db, "UPDATE walk SET last_id = ?, "
	    "state = ? WHERE meter = ? AND kind = ?", -1, &up, NULL) !=
	    SQLITE_OK) {
		free(txt);
		return dberr(c->d, e, "update walk");
	}
	sqlite3_bind_int64(up, 1, last);
	sqlite3_bind_text(up, 2, txt, -1, SQLITE_STATIC);
	sqlite3_bind_text(up, 3, meter, -1, SQLITE_STATIC);
	sqlite3_bind_text(up, 4, kind, -1, SQLITE_STATIC);
	rc = sqlite3_step(up);
	sqlite3_finalize(up);
	free(txt);
	if (rc != SQLITE_DONE)
		return dberr(c->d, e, "update walk");
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
		return dberr(d, e, "select walks");
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(list, json_pack("[s,s]",
		    (const char *)sqlite3_column_text(st, 0),
		    (const char *)sqlite3_column_text(st, 1)));
	sqlite3_finalize(st);
	st = NULL;
	if (rc != SQLITE_DONE) {
		json_decref(list);
		return dberr(d, e, "select walks");
	}
	if (sqlite3_prepare_v2(d->db, "INSERT OR IGNORE INTO out(meter, kind, "
	    "slot, line) VALUES(?,?,?,?)", -1, &c.ins, NULL) != SQLITE_OK) {
		json_decref(list);
		return dberr(d, e, "insert record");
	}
	/* where the walk got to is read under the write lock: another run
	 * may have walked on since the list was read */
	if (sqlite3_prepare_v2(d->db, "SELECT last_id, state FROM walk WHERE "
	    "meter = ? AND kind = ?", -1, &st, NULL) != SQLITE_OK) {
		dberr(d, e, "select walks");
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
			dberr(d, e, "select walks");
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

/*
 * Hands the records not yet delivered to fn, oldest first, batch lines at a
 * time; fn(line) returns once its reader has the line, fn(NULL) once the
 * batch is safe (flushed, on the disk), and only then are they marked
 * delivered.  A kill in between delivers them again next time: at least
 * once, each line the same bytes every time.  No transaction is open
 * while fn writes, so a slow reader blocks nobody else.
 */
int
dk_db_deliver(struct dk_db *d, int batch, dk_line_fn fn, void *ctx,
    long *n, struct dk_err *e)
{
	sqlite3_stmt *st, *up;
	json_t *seqs = json_array(), *x;
	long long from = 0;
	size_t i;
	int rc, got;

	*n = 0;
	if (sqlite3_prepare_v2(d->db, "SELECT seq, line FROM out WHERE "
	    "delivered = 0 AND seq > ? ORDER BY seq LIMIT ?", -1, &st,
	    NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(d->db, "UPDATE out SET delivered = 1 WHERE "
	    "seq = ?", -1, &up, NULL) != SQLITE_OK) {
		json_decref(seqs);
		sqlite3_finalize(st);
		return dberr(d, e, "select records");
	}
	for (;;) {
		json_array_clear(seqs);
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, from);
		sqlite3_bind_int(st, 2, batch);
		got = 0;
		/* the lines of a batch, read before any is written */
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			from = sqlite3_column_int64(st, 0);
			json_array_append_new(seqs, json_pack("[I,s]",
			    (json_int_t)from,
			    (const char *)sqlite3_column_text(st, 1)));
			got++;
		}
		sqlite3_reset(st);
		if (rc != SQLITE_DONE) {
			dberr(d, e, "select records");
			goto fail;
		}
		if (got == 0)
			break;
		json_array_foreach(seqs, i, x)
			if (fn(ctx, json_string_value(json_array_get(x, 1)),
			    e) < 0)
				goto fail;
		if (fn(ctx, NULL, e) < 0)	/* flush */
			goto fail;
		if (dk_db_begin(d, e) < 0)
			goto fail;
		json_array_foreach(seqs, i, x) {
			sqlite3_reset(up);
			sqlite3_bind_int64(up, 1,
			    json_integer_value(json_array_get(x, 0)));
			if (sqlite3_step(up) != SQLITE_DONE) {
				dberr(d, e, "mark delivered");
				sqlite3_exec(d->db, "ROLLBACK", NULL, NULL,
				    NULL);
				goto fail;
			}
		}
		if (dk_db_commit(d, e) < 0)
			goto fail;
		*n += got;
	}
	sqlite3_finalize(st);
	sqlite3_finalize(up);
	json_decref(seqs);
	return 0;
fail:
	sqlite3_finalize(st);
	sqlite3_finalize(up);
	json_decref(seqs);
	return -1;
}

void
dk_db_close(struct dk_db *d)
{
	if (d == NULL)
		return;
	sqlite3_close(d->db);
	free(d);
}
