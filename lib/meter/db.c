/*
 * db.c: the household's state database (SQLite, the file "state" names):
 * its schema, opened as lib/ledger/sqlite.c opens one, its transactions.
 * history.c, spool.c and deliver.c hold what is kept in it.
 */
#include <stdlib.h>

#include "db.h"

/* The household's state: its readings (the forecast's history), the
 * slots it has already bid for, and meter-read's spool. */
static const char schema[] =
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

int
dk_db_fail(struct dk_db *d, struct dk_err *e, const char *what)
{
	return dk_sqlite_fail(d->db, e, what);
}

struct dk_db *
dk_db_open(const char *path, struct dk_err *e)
{
	struct dk_db *d = calloc(1, sizeof(*d));

	if (d == NULL) {
		dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		return NULL;
	}
	if ((d->db = dk_sqlite_open(path, schema, e)) == NULL) {
		free(d);
		return NULL;
	}
	return d;
}

int
dk_db_begin(struct dk_db *d, struct dk_err *e)
{
	if (sqlite3_exec(d->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
	    SQLITE_OK)
		return dk_db_fail(d, e, "begin");
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
		dk_db_fail(d, e, "commit");
		dk_db_rollback(d);
		return -1;
	}
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
