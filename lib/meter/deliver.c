/*
 * deliver.c: the spool's records handed out at least once, oldest first,
 * each marked delivered only once its reader has it; and the writer of
 * stdout that knows when a reader has taken a line.
 */
#include <stdlib.h>
#include <string.h>

#include "db.h"

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
		return dk_db_fail(d, e, "select records");
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
			dk_db_fail(d, e, "select records");
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
				dk_db_fail(d, e, "mark delivered");
				dk_db_rollback(d);
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
