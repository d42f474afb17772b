/*
 * sqlite.c: a state database (SQLite) opened the one way denki opens them:
 * WAL, a busy timeout, synchronous=FULL and its schema (or, unsynced, the
 * throwaway way); and its errors as exit statuses.  The household's
 * (lib/meter/db.c) and the witness's.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "ledger.h"

/* A full disk or a failed read or write is an I/O error (74), as the
 * exit-code table says; only what cannot be made at all is 73. */
int
dk_sqlite_fail(struct sqlite3 *db, struct dk_err *e, const char *what)
{
	int code = sqlite3_errcode(db), sys = sqlite3_system_errno(db);
	char why[128] = "";

	if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
		return dk_fail(e, DK_EX_TEMPFAIL, "state database: %s: %s",
		    what, sqlite3_errmsg(db));
	if (sys != 0)
		snprintf(why, sizeof(why), " (%s)", strerror(sys));
	return dk_fail(e, code == SQLITE_FULL || code == SQLITE_IOERR ?
	    DK_EX_IOERR : DK_EX_CANTCREAT, "state database: %s: %s%s", what,
	    sqlite3_errmsg(db), why);
}

/*
 * The switch to WAL needs the database to itself, and SQLite does not wait
 * for that with the busy handler: two runs that start together on a new
 * spool, or one that finds another's write under way, saw "database is
 * locked" at once.  WAL stays set in the file, so it is asked first, and
 * set with retries for up to the busy timeout (5 s) when it is not.
 */
static int
wal(struct sqlite3 *db, const char *path, struct dk_err *e)
{
	char what[300];
	sqlite3_stmt *st;
	struct timespec ts = { 0, 1000000 };
	int i, rc, ok;

	for (i = 0; ; i++) {
		ok = 0;
		rc = sqlite3_prepare_v2(db, i == 0 ? "PRAGMA journal_mode" :
		    "PRAGMA journal_mode=WAL", -1, &st, NULL);
		if (rc == SQLITE_OK) {
			rc = sqlite3_step(st);
			ok = rc == SQLITE_ROW && sqlite3_strnicmp((const char *)
			    sqlite3_column_text(st, 0), "wal", 4) == 0;
			sqlite3_finalize(st);
		}
		if (ok)
			return 0;
		/* named: a file that is no database, or a damaged one */
		if (i > 0 && rc != SQLITE_BUSY && rc != SQLITE_LOCKED &&
		    rc != SQLITE_ROW) {
			snprintf(what, sizeof(what), "%.200s: journal_mode=WAL",
			    path);
			return dk_sqlite_fail(db, e, what);
		}
		if (i > 5000 / 20)
			return dk_fail(e, DK_EX_TEMPFAIL, "state database: "
			    "%.200s: journal_mode=WAL: still locked after 5 s",
			    path);
		if (i > 0)
			nanosleep(&ts, NULL);
		if (ts.tv_nsec < 20000000)
			ts.tv_nsec *= 2;
	}
}

/*
 * The database at path, made with schema (SQL run each time: CREATE ...
 * IF NOT EXISTS) if it is new; NULL with e filled.  DK_SQLITE_UNSYNCED:
 * a throwaway one (a simulated home's), whose every commit cost a few
 * fdatasyncs and a write-ahead log made and unlinked each run: nothing is
 * synced, the journal is kept in memory and the file locked from the
 * first read until closed (no log, no shared-memory file), so that a
 * crash of the program or the machine may lose or damage it.
 */
struct sqlite3 *
dk_sqlite_open_as(const char *path, const char *schema, int flags,
    struct dk_err *e)
{
	sqlite3 *db = NULL;
	int rc;

	if (sqlite3_open(path, &db) != SQLITE_OK) {
		dk_fail(e, DK_EX_CANTCREAT, "%s: %s", path,
		    db ? sqlite3_errmsg(db) : "cannot open");
		goto fail;
	}
	sqlite3_busy_timeout(db, 5000);
	if (flags & DK_SQLITE_UNSYNCED)
		rc = sqlite3_exec(db, "PRAGMA locking_mode=EXCLUSIVE;"
		    "PRAGMA journal_mode=MEMORY;PRAGMA synchronous=OFF", NULL,
		    NULL, NULL);
	else if ((rc = wal(db, path, e)) < 0)
		goto fail;
	else
		rc = sqlite3_exec(db, "PRAGMA synchronous=FULL", NULL, NULL,
		    NULL);
	if (rc != SQLITE_OK || sqlite3_exec(db, schema, NULL, NULL, NULL) !=
	    SQLITE_OK) {
		dk_sqlite_fail(db, e, path);
		goto fail;
	}
	return db;
fail:
	sqlite3_close(db);
	return NULL;
}

struct sqlite3 *
dk_sqlite_open(const char *path, const char *schema, struct dk_err *e)
{
	return dk_sqlite_open_as(path, schema, 0, e);
}
