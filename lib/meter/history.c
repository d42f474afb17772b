/*
 * history.c: what denki-bid keeps in the state database: the readings
 * its forecast is made from, and the slots it has already bid for.
 */
#include <stdlib.h>

#include "db.h"

int
dk_db_put_reading(struct dk_db *d, const char *meter, int64_t slot,
    int64_t imp, int64_t exp, struct dk_err *e)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = dk_db_stmt(d, "INSERT OR REPLACE INTO reading"
	    "(meter, slot, import_wh, export_wh) VALUES(?,?,?,?)", e,
	    "insert")) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, meter, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, slot);
	sqlite3_bind_int64(st, 3, imp);
	sqlite3_bind_int64(st, 4, exp);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return dk_db_fail(d, e, "insert");
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
	if ((st = dk_db_stmt(d, "SELECT export_wh - import_wh FROM "
	    "reading WHERE meter = ? AND slot = ?", e, "select")) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, meters[i], -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, slot);
		rc = sqlite3_step(st);
		if (rc == SQLITE_DONE) {
			sqlite3_reset(st);
			return 1;
		}
		if (rc != SQLITE_ROW) {
			sqlite3_reset(st);
			return dk_db_fail(d, e, "select");
		}
		*net += sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	return 0;
}

int
dk_db_order_sent(struct dk_db *d, int64_t slot, struct dk_err *e)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = dk_db_stmt(d, "SELECT 1 FROM sent WHERE slot = ?", e,
	    "select")) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, slot);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc != SQLITE_DONE)
		return dk_db_fail(d, e, "select");
	return 0;
}

/* The slots from lo to hi (both in) already bid for, in order, in *out
 * (malloc'd, *n of them; NULL when none): bid asks once for a run's
 * slots, not once a slot. */
int
dk_db_sent_in(struct dk_db *d, int64_t lo, int64_t hi, int64_t **out,
    size_t *n, struct dk_err *e)
{
	sqlite3_stmt *st;
	size_t cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if ((st = dk_db_stmt(d, "SELECT slot FROM sent WHERE slot >= ? AND "
	    "slot <= ? ORDER BY slot", e, "select")) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, lo);
	sqlite3_bind_int64(st, 2, hi);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (dk_grow(out, *n, &cap, sizeof(**out), 64) < 0) {
			sqlite3_reset(st);
			free(*out);
			*out = NULL;
			*n = 0;
			return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		}
		(*out)[(*n)++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		free(*out);
		*out = NULL;
		*n = 0;
		return dk_db_fail(d, e, "select");
	}
	return 0;
}

int
dk_db_mark_sent(struct dk_db *d, int64_t slot, const char *id,
    struct dk_err *e)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = dk_db_stmt(d, "INSERT OR REPLACE INTO sent(slot, "
	    "order_id) VALUES(?,?)", e, "insert")) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, slot);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return dk_db_fail(d, e, "insert");
	return 0;
}
