/*
 * db.c: the household's state database (SQLite, the file "state" names):
 * its schema, opened as lib/ledger/sqlite.c opens one, its transactions
 * and its statements, each prepared once a run.  history.c, spool.c,
 * deliver.c, battery-db.c and forecast-bid.c hold what is kept in it.
 */
#include <stdlib.h>
#include <string.h>

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

/*
 * The statement of sql (a string that lives as long as d: a literal),
 * prepared on its first use and kept until dk_db_close: bid uses the
 * same few per reading and per slot, and parsing them again each time
 * was a fifth of its run.  It comes reset with no bindings; the caller
 * resets it when done (a SELECT left stepping holds a read transaction
 * open).  NULL with e filled (what: the error's word).
 */
sqlite3_stmt *
dk_db_stmt(struct dk_db *d, const char *sql, struct dk_err *e,
    const char *what)
{
	struct dk_db_stmt *n;
	size_t i;

	for (i = 0; i < d->nstmt; i++)
		if (d->stmt[i].sql == sql || strcmp(d->stmt[i].sql, sql) == 0) {
			sqlite3_reset(d->stmt[i].st);
			sqlite3_clear_bindings(d->stmt[i].st);
			return d->stmt[i].st;
		}
	if ((n = reallocarray(d->stmt, d->nstmt + 1, sizeof(*n))) == NULL) {
		dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		return NULL;
	}
	d->stmt = n;
	if (sqlite3_prepare_v2(d->db, sql, -1, &n[d->nstmt].st, NULL) !=
	    SQLITE_OK) {
		dk_db_fail(d, e, what);
		return NULL;
	}
	n[d->nstmt++].sql = sql;
	return n[d->nstmt - 1].st;
}

/* For a program that uses SQLite from one thread only (bid): no mutexes
 * taken nor memory counted around each of SQLite's calls and
 * allocations; called before anything opens a database (after, it does
 * nothing). */
void
dk_db_one_thread(void)
{
	sqlite3_config(SQLITE_CONFIG_SINGLETHREAD);
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

/* flags: dk_sqlite_open_as's (DK_SQLITE_UNSYNCED: state_sync off) */
struct dk_db *
dk_db_open_as(const char *path, int flags, struct dk_err *e)
{
	struct dk_db *d = calloc(1, sizeof(*d));

	if (d == NULL) {
		dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		return NULL;
	}
	if ((d->db = dk_sqlite_open_as(path, schema, flags, e)) == NULL) {
		free(d);
		return NULL;
	}
	return d;
}

struct dk_db *
dk_db_open(const char *path, struct dk_err *e)
{
	return dk_db_open_as(path, 0, e);
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
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->nstmt; i++)
		sqlite3_finalize(d->stmt[i].st);
	free(d->stmt);
	sqlite3_close(d->db);
	free(d);
}
