/*
 * inbox.c: the cooperative's inbox (SQLite, WAL): each request's lines
 * admitted as clear admits them, plus gate closure, stored in one
 * transaction on disk before any answer, each answered by a receipt or a
 * rejection; a line received again gets its first receipt back.
 */
#include <sys/file.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "market.h"

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS lines (id TEXT PRIMARY KEY, "
    "kind TEXT NOT NULL, slot INTEGER NOT NULL, slot_text TEXT NOT NULL, "
    "who TEXT NOT NULL, side INTEGER, wh INTEGER, "
    "received INTEGER NOT NULL, line TEXT NOT NULL, "
    "receipt TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS lines_slot ON lines (kind, slot, who);"
    "CREATE TABLE IF NOT EXISTS slotsum (slot INTEGER NOT NULL, "
    "side INTEGER NOT NULL, wh INTEGER NOT NULL, PRIMARY KEY (slot, side));"
    /* the cache of the ledger (inbox-cache.c) */
    "CREATE TABLE IF NOT EXISTS mark (size INTEGER, line INTEGER, "
    "next INTEGER, prev TEXT, origin TEXT, key BLOB, tree BLOB, "
    "cp_time INTEGER, cp_time_seq INTEGER);"
    "CREATE TABLE IF NOT EXISTS participants (id TEXT PRIMARY KEY, "
    "rec TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS meters (meter TEXT PRIMARY KEY, "
    "participant TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS meters_p ON meters (participant);"
    "CREATE TABLE IF NOT EXISTS intakekeys (seq INTEGER PRIMARY KEY, "
    "key TEXT NOT NULL, gate INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS cleared (slot INTEGER PRIMARY KEY);";

int
dk_inbox_open(struct dk_inbox *ib, const char *path, struct dk_err *e)
{
	if ((ib->db = dk_sqlite_open(path, schema, e)) == NULL)
		return -1;
	/* one run, one request: the WAL is folded into the database when it
	 * grows (wal_autocheckpoint), not at each run's end, which cost every
	 * request a checkpoint and the WAL's removal, three more fsyncs */
	sqlite3_db_config(ib->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	return 0;
}

/*
 * Requests take their turns at the inbox.lock beside the database (flock,
 * which waits in the kernel and wakes the next at once), not at SQLite's
 * busy handler, which polls with growing sleeps: under a wave of requests
 * that made the slowest wait seconds and some give up (503).  The fd, or
 * -1 with e filled.
 */
static int
turn(struct dk_inbox *ib, struct dk_err *e)
{
	const char *db = sqlite3_db_filename(ib->db, "main");
	char *path;
	int fd;

	if (db == NULL || *db == '\0')
		return dk_fail(e, DK_EX_SOFTWARE, "the inbox has no file");
	if (asprintf(&path, "%s.lock", db) < 0)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0 ||
	    flock(fd, LOCK_EX) < 0) {
		dk_fail(e, DK_EX_CANTCREAT, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	free(path);
	return fd;
}

/*
 * The inbox a configuration names (intake.inbox, inbox.db beside it) for
 * the ledger at lpath; with k, set up to take requests: the intake key
 * (intake.key) read into k and the most bytes a request may have
 * (intake.max_body) in *max.  The caller sets ib->r and ib->reading.
 */
int
dk_inbox_conf(struct dk_inbox *ib, const struct dk_conf *c,
    const char *lpath, struct dk_key *k, long long *max, struct dk_err *e)
{
	char *path = dk_conf_path(c, "intake.inbox", "inbox.db");
	int rc;

	memset(ib, 0, sizeof(*ib));
	ib->lpath = lpath;
	ib->require_signed = strcmp(dk_conf_str(c, "settle.signed",
	    "required"), "required") == 0;
	if (path == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	if ((rc = dk_inbox_open(ib, path, e)) < 0)
		dk_failpre(e, "%s", path);
	free(path);
	if (rc < 0 || k == NULL)
		return rc;
	ib->key = k;
	if (dk_conf_int(c, "intake.max_body", 1 << 20, 1, 1 << 30, max,
	    e) < 0 || dk_conf_key(c, "intake.key", 1, k, e) < 0)
		return -1;
	return 0;
}

void
dk_inbox_close(struct dk_inbox *ib)
{
	if (ib->db != NULL)
		sqlite3_close(ib->db);
	ib->db = NULL;
	dk_registry_free(&ib->reg);
}

/* The ledger names an intake key, and it is ib->key (when ib has one). */
int
dk_inbox_ready(struct dk_inbox *ib, struct dk_err *e)
{
	if (!ib->have_intake)
		return dk_fail(e, DK_EX_CONFIG, "%s: the ledger names no intake "
		    "key: run denki-intake --publish first", ib->lpath);
	if (ib->key != NULL && memcmp(ib->key->pk, ib->intake_pk, 32) != 0)
		return dk_fail(e, DK_EX_CONFIG, "intake.key: not the intake key "
		    "the ledger names (entry %lld): run denki-intake --publish",
		    ib->intake_seq);
	return 0;
}

/* A statement's one integer answer (0 for none), or -1: its arguments
 * ?1 slot, then ?2 who (unless NULL) and side (those it names). */
static int
one(struct dk_inbox *ib, const char *sql, int64_t slot, const char *who,
    long long side, long long *out, struct dk_err *e)
{
	sqlite3_stmt *st;
	int rc;

	*out = 0;
	if (sqlite3_prepare_v2(ib->db, sql, -1, &st, NULL) != SQLITE_OK)
		return dk_sqlite_fail(ib->db, e, "inbox");
	sqlite3_bind_int64(st, 1, slot);
	if (who != NULL)
		sqlite3_bind_text(st, 2, who, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, who != NULL ? 3 : 2, side);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return dk_sqlite_fail(ib->db, e, "inbox");
	return 0;
}

/*
 * What an order's admission knows that its record does not say: its slot
 * still open (not cleared, before the gate), its participant on one side
 * of the slot, within its limits and the slot's, counting what the inbox
 * holds.  0, 1 rejected (why in e), -1 an error of the inbox.
 */
static int
order_open(struct dk_inbox *ib, const struct dk_order *o, const char *ts,
    int64_t now, struct dk_err *e)
{
	const struct dk_participant *p = dk_registry_find(&ib->reg,
	    o->participant);
	int64_t gate = o->slot - ib->gate_minutes * 60, v, fee;
	long long other, mine, tot;
	char g[40], r[40];
	int rc;

	if ((rc = dk_inbox_cleared(ib, o->slot, e)) < 0)
		return -1;
	if (rc == 1) {
		dk_fail(e, DK_EX_DATAERR, "slot: %s was already cleared into "
		    "the ledger", ts);
		return 1;
	}
	if (now >= gate) {
		dk_time_format(gate, ib->r->tz, g, sizeof(g));
		dk_time_format(now, ib->r->tz, r, sizeof(r));
		dk_fail(e, DK_EX_DATAERR, "late: orders for slot %s closed at %s "
		    "(gate closure %lld minutes before the slot); received %s",
		    ts, g, ib->gate_minutes, r);
		return 1;
	}
	if (one(ib, "SELECT count(*) FROM lines WHERE kind = 'order' AND "
	    "slot = ? AND who = ? AND side = ?", o->slot, o->participant,
	    !o->side, &other, e) < 0 ||
	    one(ib, "SELECT coalesce(sum(wh), 0) FROM lines WHERE kind = "
	    "'order' AND slot = ? AND who = ? AND side = ?", o->slot,
	    o->participant, o->side, &mine, e) < 0 ||
	    one(ib, "SELECT wh FROM slotsum WHERE slot = ? AND side = ?",
	    o->slot, NULL, o->side, &tot, e) < 0)
		return -1;
	if (other > 0)
		dk_fail(e, DK_EX_DATAERR, "side: the participant already %s in "
		    "this slot; clear would reject all its orders",
		    o->side == DK_BUY ? "sells" : "buys");
	else if (p->max_wh >= 0 && mine + o->wh > p->max_wh)
		dk_fail(e, DK_EX_DATAERR, "wh: over the participant's limit of "
		    "%lld Wh a slot (%lld Wh in its orders before this one)",
		    (long long)p->max_wh, mine);
	else if (p->max_day >= 0 && o->side == DK_BUY &&
	    (dk_value(o->wh, o->price, &v) < 0 ||
	    dk_value(o->wh, ib->r->fee, &fee) < 0 || dk_add(&v, fee) < 0 ||
	    v > p->max_day))
		dk_fail(e, DK_EX_DATAERR, "price: over the participant's limit "
		    "of %lld a day: this order alone may owe more",
		    (long long)p->max_day);
	else if (o->wh > DK_MAX_WH - tot)
		dk_fail(e, DK_EX_DATAERR, "wh: over the limit of %lld Wh a "
		    "slot: the %s orders before this one hold %lld Wh",
		    DK_MAX_WH, o->side == DK_BUY ? "buy" : "sell", tot);
	else
		return 0;
	return 1;
}

/* The order's admission: 0, 1 rejected, -1. */
static int
admit_order(struct dk_inbox *ib, json_t *rec, int64_t now, int64_t *slot,
    const char **who, long long *side, long long *wh, struct dk_err *e)
{
	struct dk_order o;
	const char *id = json_string_value(json_object_get(rec,
	    "participant"));
	int rc;

	if (id != NULL && dk_valid_id(id) &&
	    dk_inbox_participant(ib, id, e) < 0)
		return -1;
	if (dk_order_check(&o, rec, ib->r, &ib->reg, e) < 0)
		return 1;
	if ((rc = order_open(ib, &o, json_string_value(json_object_get(rec,
	    "slot")), now, e)) != 0)
		return rc;
	*slot = o.slot;
	*who = id;
	*side = o.side;
	*wh = o.wh;
	return 0;
}

/* The reading's admission: 0, 1 rejected, -1. */
static int
admit_reading(struct dk_inbox *ib, json_t *rec, int64_t *slot,
    const char **who, struct dk_err *e)
{
	const char *m = json_string_value(json_object_get(rec, "meter"));
	long long n;

	if (m != NULL && dk_valid_id(m) && dk_inbox_meter(ib, m, e) < 0)
		return -1;
	if (ib->reading(rec, ib->r, &ib->reg, ib->require_signed, slot,
	    e) < 0)
		return 1;
	if (one(ib, "SELECT count(*) FROM lines WHERE kind = 'reading' AND "
	    "slot = ?1 AND who = ?2", *slot, m, 0, &n, e) < 0)
		return -1;
	if (n > 0) {
		dk_fail(e, DK_EX_DATAERR, "meter %s: another reading of slot %s "
		    "was received before", m, json_string_value(
		    json_object_get(rec, "slot")));
		return 1;
	}
	*who = m;
	return 0;
}

/* The receipt stored for id, if any (malloc'd), into *out. */
static int
stored(struct dk_inbox *ib, const char *id, char **out, struct dk_err *e)
{
	sqlite3_stmt *st;
	int rc;

	*out = NULL;
	if (sqlite3_prepare_v2(ib->db, "SELECT receipt FROM lines WHERE id = ?",
	    -1, &st, NULL) != SQLITE_OK)
		return dk_sqlite_fail(ib->db, e, "inbox");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW &&
	    (*out = strdup((const char *)sqlite3_column_text(st, 0))) == NULL)
		rc = SQLITE_NOMEM;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return dk_sqlite_fail(ib->db, e, "inbox");
	return 0;
}

static int
put(struct dk_inbox *ib, const char *id, const char *kind, int64_t slot,
    const char *ts, const char *who, long long side, long long wh,
    int64_t now, const char *canon, const char *receipt, struct dk_err *e)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(ib->db, "INSERT INTO lines (id, kind, slot, "
	    "slot_text, who, side, wh, received, line, receipt) VALUES "
	    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", -1, &st, NULL) != SQLITE_OK)
		return dk_sqlite_fail(ib->db, e, "inbox");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, slot);
	sqlite3_bind_text(st, 4, ts, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, who, -1, SQLITE_STATIC);
	if (*kind == 'o') {
		sqlite3_bind_int64(st, 6, side);
		sqlite3_bind_int64(st, 7, wh);
	}
	sqlite3_bind_int64(st, 8, now);
	sqlite3_bind_text(st, 9, canon, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 10, receipt, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return dk_sqlite_fail(ib->db, e, "inbox");
	if (*kind != 'o')
		return 0;
	if (sqlite3_prepare_v2(ib->db, "INSERT INTO slotsum (slot, side, wh) "
	    "VALUES (?1, ?2, ?3) ON CONFLICT (slot, side) DO UPDATE SET "
	    "wh = wh + ?3", -1, &st, NULL) != SQLITE_OK)
		return dk_sqlite_fail(ib->db, e, "inbox");
	sqlite3_bind_int64(st, 1, slot);
	sqlite3_bind_int64(st, 2, side);
	sqlite3_bind_int64(st, 3, wh);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return dk_sqlite_fail(ib->db, e, "inbox");
	return 0;
}

static int
answer(FILE *out, json_t *x)
{
	char *s = dk_canon(x);
	int rc;

	json_decref(x);
	if (s == NULL)
		return -1;
	rc = fprintf(out, "%s\n", s) < 0 ? -1 : 0;
	free(s);
	return rc;
}

static int
rejection(struct dk_inbox *ib, FILE *out, long lno, const char *id,
    const char *why)
{
	json_t *x = json_pack("{s:s,s:i,s:I,s:s}", "type", "rejection", "v", 1,
	    "line", (json_int_t)lno, "reason", why);

	if (x != NULL && id != NULL)
		json_object_set_new(x, "id", json_string(id));
	ib->rejected++;
	if (ib->reject != NULL)
		ib->reject(ib->ctx, lno, why);
	return answer(out, x);
}

/* One line of the request (number lno): its answer to out.  -1: the
 * inbox failed (e). */
static int
line_in(struct dk_inbox *ib, const char *line, size_t len, long lno,
    int64_t now, FILE *out, struct dk_err *e)
{
	struct dk_err le = { 0 };
	json_t *rec, *rc = NULL;
	const char *type, *who = NULL, *ts;
	char id[65], *canon = NULL, *old = NULL, *rt = NULL;
	long long side = 0, wh = 0;
	int64_t slot = 0;
	int r = -1;

	if ((rec = dk_parse(line, len, &le)) == NULL)
		return rejection(ib, out, lno, NULL, le.msg) < 0 ?
		    dk_fail(e, DK_EX_IOERR, "out of memory") : 0;
	if ((canon = dk_canon(rec)) == NULL) {
		dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		goto done;
	}
	dk_sha256_hex(canon, strlen(canon), id);
	if (stored(ib, id, &old, e) < 0)
		goto done;
	if (old != NULL) {	/* received before: the same receipt */
		ib->again++;
		r = fprintf(out, "%s\n", old) < 0 ? -1 : 0;
		goto done;
	}
	type = json_string_value(json_object_get(rec, "type"));
	if (type != NULL && strcmp(type, "order") == 0)
		r = admit_order(ib, rec, now, &slot, &who, &side, &wh, &le);
	else if (type != NULL && strcmp(type, "reading") == 0)
		r = admit_reading(ib, rec, &slot, &who, &le);
	else {
		dk_fail(&le, DK_EX_DATAERR, "type: must be \"order\" or "
		    "\"reading\", got %s%.40s%s", type ? "\"" : "",
		    type ? type : "none", type ? "\"" : "");
		r = 1;
	}
	if (r < 0) {
		*e = le;
		goto done;
	}
	if (r == 1) {
		r = rejection(ib, out, lno, id, le.msg);
		goto done;
	}
	r = -1;
	ts = json_string_value(json_object_get(rec, "slot"));
	if ((rc = dk_receipt_make(canon, strlen(canon), type, who, ts, now,
	    ib->origin, ib->key, e)) == NULL || (rt = dk_canon(rc)) == NULL)
		goto done;
	if (put(ib, id, type, slot, ts, who, side, wh, now, canon, rt, e) < 0)
		goto done;
	ib->accepted++;
	r = fprintf(out, "%s\n", rt) < 0 ? -1 : 0;
done:
	if (r < 0 && e->status == 0)
		dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	json_decref(rec);
	json_decref(rc);
	free(canon);
	free(old);
	free(rt);
	return r < 0 ? -1 : 0;
}

/*
 * A request's body, every line answered in *out (malloc'd, *outlen
 * bytes): all of it taken in one transaction, which is on disk before
 * this returns 0.  Blank lines are answered by nothing; the last line
 * may go without its newline.  -1: nothing was stored (e says why).
 */
int
dk_inbox_take(struct dk_inbox *ib, const char *body, size_t len,
    int64_t now, char **out, size_t *outlen, struct dk_err *e)
{
	const char *p = body, *end = body + len, *nl;
	FILE *fp;
	long lno = 0;
	int rc = -1, lk;

	*out = NULL;
	*outlen = 0;
	ib->accepted = ib->again = ib->rejected = 0;
	if ((lk = turn(ib, e)) < 0)
		return -1;
	if ((fp = open_memstream(out, outlen)) == NULL) {
		close(lk);
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	}
	if (sqlite3_exec(ib->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		dk_sqlite_fail(ib->db, e, "begin");
		fclose(fp);
		goto fail;
	}
	if (dk_inbox_sync(ib, e) < 0 || dk_inbox_ready(ib, e) < 0)
		goto rollback;
	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', end - p)) == NULL)
			nl = end;
		lno++;
		if (nl > p && line_in(ib, p, nl - p, lno, now, fp, e) < 0)
			goto rollback;
	}
	if (fclose(fp) != 0) {
		fp = NULL;
		dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		goto rollback;
	}
	fp = NULL;
	if (sqlite3_exec(ib->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		dk_sqlite_fail(ib->db, e, "commit");
		goto rollback;
	}
	close(lk);
	return 0;
rollback:
	if (fp != NULL)
		fclose(fp);
	sqlite3_exec(ib->db, "ROLLBACK", NULL, NULL, NULL);
fail:
	close(lk);
	free(*out);
	*out = NULL;
	*outlen = 0;
	return rc;
}

/* The lines of a kind ("order" or "reading") the inbox holds for slot t,
 * in id order, one a line to out; their count in *n. */
int
dk_inbox_dump(struct dk_inbox *ib, const char *kind, int64_t t, FILE *out,
    long *n, struct dk_err *e)
{
	sqlite3_stmt *st;
	int rc;

	*n = 0;
	if (sqlite3_prepare_v2(ib->db, "SELECT line FROM lines WHERE kind = ? "
	    "AND slot = ? ORDER BY id", -1, &st, NULL) != SQLITE_OK)
		return dk_sqlite_fail(ib->db, e, "inbox");
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, t);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (fprintf(out, "%s\n", (const char *)sqlite3_column_text(st,
		    0)) < 0) {
			sqlite3_finalize(st);
			return dk_fail(e, DK_EX_IOERR, "write: output");
		}
		(*n)++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return dk_sqlite_fail(ib->db, e, "inbox");
	return 0;
}
