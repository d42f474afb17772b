/*
 * Unit tests of the household's state database (lib/meter/db.c,
 * history.c, spool.c, deliver.c): opening, bid's history, meter-read's
 * samples walked into records and delivered at least once.
 */
#include <sqlite3.h>

#include "check.h"
#include "meter/meter.h"

#define S	1800		/* a slot of 30 minutes, in seconds */

struct got {
	json_t *lines;		/* the lines handed out */
	long flushes;		/* fn(NULL) */
	int fail_at;		/* fail when handed this line (1-based) */
	int warned;
	char warning[300];
	const struct dk_slotres *last;
};

static json_t *
rec(void *ctx, const struct dk_slotres *r, struct dk_err *e)
{
	(void)ctx;
	(void)e;
	return dk_slotres_json(r, "UTC");
}

static void
warn(void *ctx, const char *msg)
{
	struct got *g = ctx;

	g->warned++;
	snprintf(g->warning, sizeof(g->warning), "%s", msg);
}

static int
line(void *ctx, const char *l, struct dk_err *e)
{
	struct got *g = ctx;

	if (l == NULL) {
		g->flushes++;
		return 0;
	}
	if ((int)json_array_size(g->lines) + 1 == g->fail_at)
		return dk_fail(e, DK_EX_IOERR, "reader gone");
	json_array_append_new(g->lines, json_string(l));
	return 0;
}

static void
sample(struct dk_db *d, const char *meter, int64_t t, int64_t imp)
{
	struct dk_sample s;
	struct dk_err e = { 0 };

	memset(&s, 0, sizeof(s));
	snprintf(s.meter, sizeof(s.meter), "%s", meter);
	s.t = t;
	s.import_mwh = imp;
	s.export_mwh = 0;
	s.power_w = DK_NOVAL;
	CHECK_INT(dk_db_begin(d, &e), 0);
	CHECK_INT(dk_db_put_sample(d, &s, &e), 0);
	CHECK_INT(dk_db_commit(d, &e), 0);
}

static long
walk(struct dk_db *d, int slot_minutes, struct got *g)
{
	struct dk_walkopt wo;
	struct dk_err e = { 0 };
	long made = -1;

	memset(&wo, 0, sizeof(wo));
	wo.slot_minutes = slot_minutes;
	wo.tolerance = 60;
	wo.rec = rec;
	wo.warn = warn;
	wo.ctx = g;
	CHECK_INT(dk_db_walk(d, &wo, &made, &e), 0);
	return made;
}

static const char *
nth(struct got *g, size_t i)
{
	return json_string_value(json_array_get(g->lines, i));
}

static void
test_open(const char *dir)
{
	struct dk_err e = { 0 };
	struct dk_db *d, *d2;
	char path[256];

	snprintf(path, sizeof(path), "%s/home.db", dir);
	CHECK((d = dk_db_open(path, &e)) != NULL);
	CHECK(access(path, F_OK) == 0);
	/* a second run on the same file at the same time */
	CHECK((d2 = dk_db_open(path, &e)) != NULL);
	dk_db_close(d2);
	dk_db_close(d);
	dk_db_close(NULL);
	CHECK(dk_db_open("/nonexistent/dir/home.db", &e) == NULL);
	CHECK_INT(e.status, DK_EX_CANTCREAT);
	CHECK_HAS(e.msg, "/nonexistent/dir/home.db");
}

static void
test_history(const char *dir)
{
	const char *const both[] = { "m1", "m2" }, *const three[] = { "m1",
	    "m2", "m3" };
	struct dk_err e = { 0 };
	struct dk_db *d;
	char path[256];
	int64_t net = -1;

	snprintf(path, sizeof(path), "%s/history.db", dir);
	CHECK((d = dk_db_open(path, &e)) != NULL);
	CHECK_INT(dk_db_get_net(d, both, 2, S, &net, &e), 1);
	CHECK_INT(dk_db_put_reading(d, "m1", S, 100, 300, &e), 0);
	CHECK_INT(dk_db_get_net(d, both, 2, S, &net, &e), 1);
	CHECK_INT(dk_db_put_reading(d, "m2", S, 50, 0, &e), 0);
	CHECK_INT(dk_db_get_net(d, both, 2, S, &net, &e), 0);
	CHECK_INT(net, 150);
	CHECK_INT(dk_db_get_net(d, three, 3, S, &net, &e), 1);
	CHECK_INT(dk_db_get_net(d, both, 2, 2 * S, &net, &e), 1);
	/* a reading again replaces the one before */
	CHECK_INT(dk_db_put_reading(d, "m2", S, 400, 0, &e), 0);
	CHECK_INT(dk_db_get_net(d, both, 2, S, &net, &e), 0);
	CHECK_INT(net, -200);

	CHECK_INT(dk_db_order_sent(d, S, &e), 0);
	CHECK_INT(dk_db_mark_sent(d, S, "abc", &e), 0);
	CHECK_INT(dk_db_order_sent(d, S, &e), 1);
	CHECK_INT(dk_db_order_sent(d, 2 * S, &e), 0);
	CHECK_INT(dk_db_mark_sent(d, S, "def", &e), 0);
	CHECK_INT(dk_db_order_sent(d, S, &e), 1);
	dk_db_close(d);

	/* it outlives the run */
	CHECK((d = dk_db_open(path, &e)) != NULL);
	CHECK_INT(dk_db_get_net(d, both, 2, S, &net, &e), 0);
	CHECK_INT(net, -200);
	CHECK_INT(dk_db_order_sent(d, S, &e), 1);
	dk_db_close(d);
}

static void
test_spool(const char *dir)
{
	struct dk_err e = { 0 };
	struct dk_sample s;
	struct dk_db *d;
	struct got g;
	char path[256];
	long n = -1;

	memset(&g, 0, sizeof(g));
	g.lines = json_array();
	snprintf(path, sizeof(path), "%s/spool.db", dir);
	CHECK((d = dk_db_open(path, &e)) != NULL);

	/* nothing stored: nothing made, nothing delivered */
	CHECK_INT(walk(d, 30, &g), 0);
	CHECK_INT(dk_db_deliver(d, 64, line, &g, &n, &e), 0);
	CHECK_INT(n, 0);
	CHECK_INT(g.flushes, 0);

	/* a rolled back sample is not stored */
	memset(&s, 0, sizeof(s));
	snprintf(s.meter, sizeof(s.meter), "m1");
	s.t = 0;
	s.import_mwh = 5;
	s.export_mwh = DK_NOVAL;
	s.power_w = DK_NOVAL;
	CHECK_INT(dk_db_begin(d, &e), 0);
	CHECK_INT(dk_db_put_sample(d, &s, &e), 0);
	dk_db_rollback(d);
	CHECK_INT(walk(d, 30, &g), 0);

	/* three boundaries: two readings */
	sample(d, "m1", 0, 0);
	sample(d, "m1", S, 1000000);
	sample(d, "m1", 2 * S + 30, 1500000);
	sample(d, "m1", 2 * S + 30, 1500000);	/* the same again: once */
	CHECK_INT(walk(d, 30, &g), 2);
	CHECK_INT(walk(d, 30, &g), 0);
	CHECK_INT(dk_db_deliver(d, 64, line, &g, &n, &e), 0);
	CHECK_INT(n, 2);
	CHECK_INT(g.flushes, 1);
	CHECK_INT(json_array_size(g.lines), 2);
	CHECK_STR(nth(&g, 0), "{\"export_total_wh\":0,\"export_wh\":0,"
	    "\"import_total_wh\":1000,\"import_wh\":1000,\"meter\":\"m1\",\"slot\":\"1970-01-01T00:00:00+00:00\","
	    "\"type\":\"reading\",\"v\":1}");
	CHECK_HAS(nth(&g, 1), "\"import_wh\":500,");
	CHECK_HAS(nth(&g, 1), "\"slot\":\"1970-01-01T00:30:00+00:00\"");
	/* delivered: not again */
	CHECK_INT(dk_db_deliver(d, 64, line, &g, &n, &e), 0);
	CHECK_INT(n, 0);
	CHECK_INT(json_array_size(g.lines), 2);

	/* the walk goes on where it stopped, in another run */
	dk_db_close(d);
	CHECK((d = dk_db_open(path, &e)) != NULL);
	sample(d, "m1", 3 * S, 1750000);
	CHECK_INT(walk(d, 30, &g), 1);
	/* a reader that goes away: nothing marked, all again next time */
	g.fail_at = 3;
	CHECK_INT(dk_db_deliver(d, 1, line, &g, &n, &e), -1);
	CHECK_INT(e.status, DK_EX_IOERR);
	g.fail_at = 0;
	CHECK_INT(dk_db_deliver(d, 1, line, &g, &n, &e), 0);
	CHECK_INT(n, 1);
	CHECK_INT(json_array_size(g.lines), 3);
	CHECK_HAS(nth(&g, 2), "\"import_wh\":250,");

	/* a meter silent for four boundaries: one gap record for the run */
	sample(d, "m2", 0, 0);
	sample(d, "m2", 5 * S, 9000000);
	CHECK_INT(walk(d, 30, &g), 1);
	CHECK_INT(dk_db_deliver(d, 1, line, &g, &n, &e), 0);
	CHECK_INT(n, 1);
	CHECK_HAS(nth(&g, 3), "\"type\":\"gap\"");
	CHECK_HAS(nth(&g, 3), "\"meter\":\"m2\"");
	CHECK_HAS(nth(&g, 3), "\"last\":\"1970-01-01T02:00:00+00:00\"");
	CHECK_INT(g.flushes, 3);

	/* a sample older than one used: stored, not used, said */
	g.warned = 0;
	sample(d, "m1", S + 5, 1100000);
	CHECK_INT(walk(d, 30, &g), 0);
	CHECK_INT(g.warned, 1);
	CHECK_HAS(g.warning, "meter m1: 1 sample older than one already used");

	/* another slot length: the walk starts again, and says so */
	g.warned = 0;
	sample(d, "m1", 4 * S, 2000000);
	walk(d, 15, &g);
	CHECK(g.warned >= 1);
	CHECK_HAS(g.warning, "the slot length changed");
	dk_db_close(d);
	json_decref(g.lines);
}

/* A full checkpoint of path by a third connection, with no busy wait:
 * 1 when it copied the whole log (no reader held an old snapshot). */
static int
sqlite_checkpoint_full(const char *path)
{
	sqlite3 *db;
	int log = -1, done = -2, rc;

	/* a first read, for the connection to see the log */
	if (sqlite3_open(path, &db) != SQLITE_OK || sqlite3_exec(db,
	    "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		sqlite3_close(db);
		return 0;
	}
	rc = sqlite3_wal_checkpoint_v2(db, "main", SQLITE_CHECKPOINT_FULL,
	    &log, &done);
	sqlite3_close(db);
	return rc == SQLITE_OK && log > 0 && done == log;
}

/* The statements kept between uses (db.c's dk_db_stmt): each use sees
 * what another connection committed since (none is left holding an old
 * snapshot), a rolled-back write is gone and the next one kept, and a
 * checkpoint by the other is not blocked by them. */
static void
test_stmt(const char *dir)
{
	const char *const m[] = { "m1" };
	struct dk_err e = { 0 };
	struct dk_db *d, *d2;
	char path[256];
	int64_t net = -1, s;

	snprintf(path, sizeof(path), "%s/stmt.db", dir);
	CHECK((d = dk_db_open(path, &e)) != NULL);
	CHECK((d2 = dk_db_open(path, &e)) != NULL);
	for (s = S; s <= 100 * S; s += S)
		CHECK_INT(dk_db_put_reading(d, "m1", s, s / S, 0, &e), 0);
	CHECK_INT(dk_db_get_net(d, m, 1, 7 * S, &net, &e), 0);
	CHECK_INT(net, -7);
	CHECK_INT(dk_db_order_sent(d, S, &e), 0);
	/* the other connection writes: d sees it at once */
	CHECK_INT(dk_db_begin(d2, &e), 0);
	CHECK_INT(dk_db_put_reading(d2, "m1", 7 * S, 70, 0, &e), 0);
	CHECK_INT(dk_db_mark_sent(d2, S, "abc", &e), 0);
	CHECK_INT(dk_db_commit(d2, &e), 0);
	CHECK_INT(dk_db_get_net(d, m, 1, 7 * S, &net, &e), 0);
	CHECK_INT(net, -70);
	CHECK_INT(dk_db_order_sent(d, S, &e), 1);
	/* and d writes while d2's statements are kept */
	CHECK_INT(dk_db_get_net(d2, m, 1, 8 * S, &net, &e), 0);
	CHECK_INT(dk_db_put_reading(d, "m1", 8 * S, 80, 5, &e), 0);
	CHECK_INT(dk_db_get_net(d2, m, 1, 8 * S, &net, &e), 0);
	CHECK_INT(net, -75);
	CHECK(sqlite_checkpoint_full(path));
	/* a write rolled back, then one kept */
	CHECK_INT(dk_db_begin(d, &e), 0);
	CHECK_INT(dk_db_mark_sent(d, 2 * S, "def", &e), 0);
	dk_db_rollback(d);
	CHECK_INT(dk_db_order_sent(d, 2 * S, &e), 0);
	CHECK_INT(dk_db_mark_sent(d, 3 * S, "ghi", &e), 0);
	CHECK_INT(dk_db_order_sent(d2, 3 * S, &e), 1);
	dk_db_close(d);
	dk_db_close(d2);
}

int
main(void)
{
	const char *dir = tmpdir_make("denki-test-db");

	test_open(dir);
	test_history(dir);
	test_stmt(dir);
	test_spool(dir);
	tmpdir_remove();
	return check_done("test-db");
}
