/*
 * lib/meter/db.h: private to lib/meter, never included outside it: the
 * handle of the household's state database and what its files share
 * (db.c opens it and keeps its statements, history.c, spool.c,
 * deliver.c, battery-db.c and forecast-bid.c use it).
 */
#ifndef DK_METER_DB_H
#define DK_METER_DB_H

#include <sqlite3.h>

#include "meter.h"

struct dk_db {
	sqlite3 *db;
	/* the statements prepared so far, each kept for the next use */
	struct dk_db_stmt {
		const char *sql;
		sqlite3_stmt *st;
	} *stmt;
	size_t nstmt;
};

int dk_db_fail(struct dk_db *, struct dk_err *, const char *what);
sqlite3_stmt *dk_db_stmt(struct dk_db *, const char *sql, struct dk_err *,
    const char *what);
/* history.c: the slots bid for already between two slots (bid.c's) */
int dk_db_sent_in(struct dk_db *, int64_t lo, int64_t hi, int64_t **out,
    size_t *n, struct dk_err *);

#endif
