/*
 * db.c: the household's state database (SQLite, the file "state" names):
 * opened in WAL mode with its schema, its transactions, its errors.
 * history.c, spool.c and deliver.c hold what is kept in it.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"

/* The household's state: its readings (the forecast's history), the
 * slots it has already bid for, and meter-read's spool. */
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
int
dk_db_fail(struct dk_db *d, struct dk_err *e, const char *what)
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
			return dk_db_fail(d, e, "journal_mode=WAL");
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
		dk_db_fail(d, e, path);
		goto fail;
	}
	return d;
fail:
	sqlite3_close(d->db);
	free(d);
	return NULL;
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
