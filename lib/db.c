#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "denki.h"

/* The household's state: its readings (the forecast's history) and the
 * slots it has already bid for. */
struct dk_db {
	sqlite3 *db;
};

static const char schema[] =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=FULL;"
    "CREATE TABLE IF NOT EXISTS reading("
    " meter TEXT NOT NULL, slot INTEGER NOT NULL,"
    " import_wh INTEGER NOT NULL, export_wh INTEGER NOT NULL,"
    " PRIMARY KEY(meter, slot));"
    "CREATE TABLE IF NOT EXISTS sent("
    " slot INTEGER PRIMARY KEY, order_id TEXT NOT NULL);";

static int
dberr(struct dk_db *d, struct dk_err *e, const char *what)
{
	int code = sqlite3_errcode(d->db);

	return dk_fail(e, code == SQLITE_BUSY || code == SQLITE_LOCKED ?
	    DK_EX_TEMPFAIL : code == SQLITE_FULL ? DK_EX_IOERR :
	    DK_EX_CANTCREAT, "state database: %s: %s", what,
	    sqlite3_errmsg(d->db));
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

void
dk_db_close(struct dk_db *d)
{
	if (d == NULL)
		return;
	sqlite3_close(d->db);
	free(d);
}
