/*
 * strategy-mem.c: denki-bid's memory: what happened to the household's
 * orders (the clearings, its contracts and settlements) read back from a
 * ledger or a feed of those records into tables of the state database.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"

/*
 * The memory's tables, added to a database of any earlier version (which
 * keeps all it had): each step of a migration once, named in table
 * migration, in one transaction.  A record read twice adds nothing: each
 * table's key is the slot, or a contract's id (the SHA-256 of its
 * canonical form).
 */
static const char step1[] =
    "CREATE TABLE IF NOT EXISTS migration(step TEXT PRIMARY KEY);"
    "CREATE TABLE IF NOT EXISTS mem_clearing("
    " slot INTEGER PRIMARY KEY, price INTEGER, wh INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS mem_contract("
    " id TEXT PRIMARY KEY, slot INTEGER NOT NULL, side TEXT NOT NULL,"
    " order_id TEXT NOT NULL, wh INTEGER NOT NULL, price INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS mem_contract_slot ON mem_contract(slot);"
    "CREATE TABLE IF NOT EXISTS mem_settlement("
    " slot INTEGER PRIMARY KEY, sold_wh INTEGER NOT NULL,"
    " bought_wh INTEGER NOT NULL, deviation_wh INTEGER NOT NULL,"
    " net INTEGER NOT NULL, imbalance_price INTEGER,"
    " retail INTEGER NOT NULL, buyback INTEGER NOT NULL,"
    " provisional INTEGER NOT NULL);"
    /* how far each ledger was read, to read on from there: its entries
     * and bytes, the hash of its last line, its genesis's origin and key,
     * its Merkle tree (struct dk_mtree) and checkpoints' time */
    "CREATE TABLE IF NOT EXISTS mem_source("
    " path TEXT PRIMARY KEY, entries INTEGER NOT NULL,"
    " bytes INTEGER NOT NULL, prev TEXT NOT NULL, origin TEXT NOT NULL,"
    " pk BLOB NOT NULL, tree BLOB NOT NULL, committed INTEGER NOT NULL,"
    " cp_time INTEGER NOT NULL, cp_time_seq INTEGER NOT NULL);"
    "INSERT OR IGNORE INTO migration(step) VALUES('strategy-1');";

int
dk_mem_migrate(struct dk_db *d, struct dk_err *e)
{
	if (dk_db_begin(d, e) < 0)
		return -1;
	if (sqlite3_exec(d->db, step1, NULL, NULL, NULL) != SQLITE_OK) {
		dk_db_fail(d, e, "migration strategy-1");
		dk_db_rollback(d);
		return -1;
	}
	return dk_db_commit(d, e);
}

/* One insert of n values (int64, or INT64_MIN for NULL; text after
 * them); 1 when it added a row. */
static int
put(struct dk_db *d, const char *sql, const int64_t *v, int n,
    const char *const *t, int nt, struct dk_err *e)
{
	sqlite3_stmt *st;
	int i, rc;

	if (sqlite3_prepare_v2(d->db, sql, -1, &st, NULL) != SQLITE_OK)
		return dk_db_fail(d, e, "insert");
	for (i = 0; i < n; i++)
		if (v[i] == INT64_MIN)
			sqlite3_bind_null(st, i + 1);
		else
			sqlite3_bind_int64(st, i + 1, v[i]);
	for (i = 0; i < nt; i++)
		sqlite3_bind_text(st, n + i + 1, t[i], -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return dk_db_fail(d, e, "insert");
	return sqlite3_changes(d->db) > 0;
}

/* An integer member, or INT64_MIN when null and nullable. */
static int
num(json_t *rec, const char *k, int nullable, int64_t *v, struct dk_err *e)
{
	json_t *x = json_object_get(rec, k);

	if (nullable && (x == NULL || json_is_null(x))) {
		*v = INT64_MIN;
		return 0;
	}
	if (!json_is_integer(x))
		return dk_fail(e, DK_EX_DATAERR, "%s: must be an integer", k);
	*v = json_integer_value(x);
	return 0;
}

static int
currency(const struct dk_bidder *b, json_t *rec, const char *what,
    struct dk_err *e)
{
	const char *c = json_string_value(json_object_get(rec, "currency"));

	if (c == NULL || strcmp(c, b->rules.currency) == 0)
		return 0;
	return dk_fail(e, DK_EX_DATAERR, "%s: currency: %s is not the "
	    "community's (%s, as configured): prices in another currency "
	    "are not learnt from", what, c, b->rules.currency);
}

/*
 * One record into the memory: a clearing (any slot's), a contract or a
 * settlement of this household; rules set cur, the rules that price the
 * settlements after them; any other record is passed over.  -1 with e
 * filled (DK_EX_DATAERR: a bad record, or one in another currency).
 */
int
dk_mem_record(struct dk_bidder *b, struct dk_rules *cur, json_t *rec,
    struct dk_memcount *c, struct dk_err *e)
{
	const char *tp = json_string_value(json_object_get(rec, "type"));
	const char *sl = json_string_value(json_object_get(rec, "slot"));
	const char *s, *t[3];
	int64_t v[9] = { 0 }, slot;
	char id[65], *canon;
	int rc, sell;

	if (tp == NULL)
		return dk_fail(e, DK_EX_DATAERR, "type: missing");
	if (strcmp(tp, "rules") == 0) {
		if (currency(b, rec, "rules", e) < 0)
			return -1;
		return dk_rules_from_json(cur, rec, e);
	}
	if (strcmp(tp, "clearing") != 0 && strcmp(tp, "contract") != 0 &&
	    strcmp(tp, "settlement") != 0)
		return 0;
	if (sl == NULL || dk_slot_parse(sl, cur->slot_minutes, &slot, e) < 0)
		return dk_fail(e, DK_EX_DATAERR, "%s: slot: must be the start "
		    "of a slot", tp);
	v[0] = slot;
	if (strcmp(tp, "clearing") == 0) {
		if (num(rec, "price", 1, &v[1], e) < 0 ||
		    num(rec, "wh", 0, &v[2], e) < 0)
			return -1;
		rc = put(b->db, "INSERT OR IGNORE INTO mem_clearing(slot, "
		    "price, wh) VALUES(?,?,?)", v, 3, NULL, 0, e);
		c->clearings += rc > 0;
		return rc < 0 ? -1 : 0;
	}
	if (strcmp(tp, "contract") == 0) {
		s = json_string_value(json_object_get(rec, "seller"));
		sell = s != NULL && strcmp(s, b->participant) == 0;
		s = json_string_value(json_object_get(rec, "buyer"));
		if (!sell && (s == NULL || strcmp(s, b->participant) != 0))
			return 0;
		if (currency(b, rec, "contract", e) < 0 ||
		    num(rec, "wh", 0, &v[1], e) < 0 ||
		    num(rec, sell || json_object_get(rec, "buy_price") == NULL ?
		    "price" : "buy_price", 0, &v[2], e) < 0)
			return -1;
		t[1] = sell ? "sell" : "buy";
		t[2] = json_string_value(json_object_get(rec, sell ?
		    "sell_order" : "buy_order"));
		if (t[2] == NULL)
			return dk_fail(e, DK_EX_DATAERR, "contract: %s: must "
			    "be an order id", sell ? "sell_order" : "buy_order");
		if ((canon = dk_canon(rec)) == NULL)
			return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		dk_sha256_hex(canon, strlen(canon), id);
		free(canon);
		t[0] = id;
		rc = put(b->db, "INSERT OR IGNORE INTO mem_contract(slot, wh, "
		    "price, id, side, order_id) VALUES(?,?,?,?,?,?)", v, 3, t, 3,
		    e);
		c->contracts += rc > 0;
		return rc < 0 ? -1 : 0;
	}
	s = json_string_value(json_object_get(rec, "participant"));
	if (s == NULL || strcmp(s, b->participant) != 0)
		return 0;
	if (num(rec, "sold_wh", 0, &v[1], e) < 0 ||
	    num(rec, "bought_wh", 0, &v[2], e) < 0 ||
	    num(rec, "deviation_wh", 0, &v[3], e) < 0 ||
	    num(rec, "net", 0, &v[4], e) < 0 ||
	    num(rec, "imbalance_price", 1, &v[5], e) < 0 ||
	    num(rec, "v", 0, &v[8], e) < 0)
		return dk_failpre(e, "settlement");
	v[6] = cur->retail;
	v[7] = cur->buyback;
	v[8] = v[8] == 3;
	rc = put(b->db, "INSERT OR IGNORE INTO mem_settlement(slot, sold_wh, "
	    "bought_wh, deviation_wh, net, imbalance_price, retail, buyback, "
	    "provisional) VALUES(?,?,?,?,?,?,?,?,?)", v, 9, NULL, 0, e);
	c->settlements += rc > 0;
	return rc < 0 ? -1 : 0;
}

struct scan {
	struct dk_bidder *b;
	struct dk_rules cur;
	struct dk_memcount *c;
};

static int
entry(void *ctx, long long seq, long line, json_t *rec, struct dk_err *e)
{
	struct scan *s = ctx;

	(void)seq;
	(void)line;
	return dk_mem_record(s->b, &s->cur, rec, s->c, e);
}

/* Where path was read to before: 1 and si, prev, next set; 0 none. */
static int
source_get(struct dk_db *d, const char *path, struct dk_scaninfo *si,
    char prev[65], long long *next, struct dk_err *e)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(d->db, "SELECT entries, bytes, prev, origin, "
	    "pk, tree, committed, cp_time, cp_time_seq FROM mem_source WHERE "
	    "path = ?", -1, &st, NULL) != SQLITE_OK)
		return dk_db_fail(d, e, "select");
	sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW &&
	    sqlite3_column_bytes(st, 4) == 32 &&
	    sqlite3_column_bytes(st, 5) == (int)sizeof(si->tree) &&
	    sqlite3_column_bytes(st, 2) == 64 &&
	    sqlite3_column_bytes(st, 3) < (int)sizeof(si->origin)) {
		*next = sqlite3_column_int64(st, 0);
		si->good = sqlite3_column_int64(st, 1);
		memcpy(prev, sqlite3_column_text(st, 2), 64);
		prev[64] = '\0';
		snprintf(si->origin, sizeof(si->origin), "%s",
		    (const char *)sqlite3_column_text(st, 3));
		memcpy(si->key.pk, sqlite3_column_blob(st, 4), 32);
		memcpy(&si->tree, sqlite3_column_blob(st, 5), sizeof(si->tree));
		si->committed = sqlite3_column_int(st, 6);
		si->cp_time = sqlite3_column_int64(st, 7);
		si->cp_time_seq = sqlite3_column_int64(st, 8);
		sqlite3_finalize(st);
		return 1;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return dk_db_fail(d, e, "select");
	return 0;
}

static int
source_put(struct dk_db *d, const char *path, const struct dk_scaninfo *si,
    const char *prev, long long next, struct dk_err *e)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(d->db, "INSERT OR REPLACE INTO mem_source("
	    "path, entries, bytes, prev, origin, pk, tree, committed, cp_time, "
	    "cp_time_seq) VALUES(?,?,?,?,?,?,?,?,?,?)", -1, &st, NULL) !=
	    SQLITE_OK)
		return dk_db_fail(d, e, "insert");
	sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, next);
	sqlite3_bind_int64(st, 3, si->good);
	sqlite3_bind_text(st, 4, prev, 64, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, si->origin, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 6, si->key.pk, 32, SQLITE_STATIC);
	sqlite3_bind_blob(st, 7, &si->tree, sizeof(si->tree), SQLITE_STATIC);
	sqlite3_bind_int(st, 8, si->committed);
	sqlite3_bind_int64(st, 9, si->cp_time);
	sqlite3_bind_int64(st, 10, si->cp_time_seq);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return dk_db_fail(d, e, "insert");
	return 0;
}

/* The entries of fp (locked) after those read before, into the memory;
 * key names the file in table mem_source (its real path). */
static int
read_on(struct dk_bidder *b, FILE *fp, const char *path, const char *key,
    struct dk_memcount *c, struct dk_err *e)
{
	const unsigned char *opk = b->strat.have_opk ? b->strat.opk : NULL;
	struct scan s = { b, b->rules, c };
	struct dk_scaninfo si;
	struct stat sb;
	char prev[65];
	long long next = 0, from;
	int rc;

	memset(&si, 0, sizeof(si));
	memset(prev, '0', 64);
	prev[64] = '\0';
	if ((rc = source_get(b->db, key, &si, prev, &next, e)) < 0)
		return -1;
	if (rc == 1 && opk != NULL && memcmp(si.key.pk, opk, 32) != 0)
		return dk_fail(e, DK_EX_DATAERR, "%s: key: the ledger names "
		    "another operator key", path);
	if (fstat(fileno(fp), &sb) < 0 || (rc == 1 &&
	    fseeko(fp, si.good, SEEK_SET) < 0))
		return dk_fail(e, DK_EX_IOERR, "%s: %s", path,
		    strerror(errno));
	if (sb.st_size < si.good)
		return dk_fail(e, DK_EX_DATAERR, "%s: %lld bytes, fewer than "
		    "the %lld of the %lld entries read from it before: the "
		    "ledger was cut short or rolled back", path,
		    (long long)sb.st_size, (long long)si.good, next);
	from = next;
	rc = dk_ledger_scan_resume(fp, path, (long)next, opk, entry, &s, prev,
	    &next, &si, e);
	/* what follows the last checkpoint was never acknowledged */
	if (rc == 0 && next > from && !si.last_type_checkpoint)
		rc = dk_fail(e, DK_EX_DATAERR, "%s: entries %lld to %lld "
		    "follow the last checkpoint: an append that was never "
		    "acknowledged", path, si.note != NULL ? si.note_seq + 1 :
		    from, next - 1);
	if (rc == 0 && next > from)
		rc = source_put(b->db, key, &si, prev, next, e);
	dk_scaninfo_free(&si);
	return rc;
}

/*
 * The ledger at path (a copy) into the memory, all or nothing: read under
 * a shared lock, as every reader reads it (the hash chain, the genesis,
 * every checkpoint's signature and tree; with bid.operator_pub, the
 * operator's key); read on from where the last read of path stopped, the
 * tree kept from then holding the new checkpoints to what was read.
 */
int
dk_mem_ledger(struct dk_bidder *b, const char *path, struct dk_memcount *c,
    struct dk_err *e)
{
	char *key;
	FILE *fp;
	int rc;

	if ((fp = dk_ledger_fopen(path, e)) == NULL)
		return -1;
	if (dk_db_begin(b->db, e) < 0) {
		fclose(fp);
		return -1;
	}
	if ((key = realpath(path, NULL)) == NULL) {
		fclose(fp);
		dk_db_rollback(b->db);
		return dk_fail(e, DK_EX_IOERR, "%s: %s", path,
		    strerror(errno));
	}
	rc = read_on(b, fp, path, key, c, e);
	free(key);
	fclose(fp);
	if (rc < 0) {
		dk_db_rollback(b->db);
		return -1;
	}
	return dk_db_commit(b->db, e);
}

/* A feed of records (clearing, contract, settlement and rules lines, as
 * denki-clear, denki-contract-sign and denki-settle write them) into the
 * memory, all or nothing; a bad line is named by path:line. */
int
dk_mem_feed(struct dk_bidder *b, const char *path, struct dk_memcount *c,
    struct dk_err *e)
{
	struct dk_reader rd;
	struct dk_rules cur = b->rules;
	char *line;
	json_t *rec;
	long n;
	int rc;

	if (dk_reader_open(&rd, path, e) < 0)
		return -1;
	if (dk_db_begin(b->db, e) < 0) {
		dk_reader_close(&rd);
		return -1;
	}
	while ((n = dk_reader_next(&rd, &line, e)) >= 0) {
		if (n == 0)
			continue;
		rc = -1;
		if (rd.torn)
			dk_fail(e, DK_EX_DATAERR, "torn last line (no "
			    "newline): a write was cut off");
		else if ((rec = dk_parse(line, n, e)) != NULL) {
			rc = dk_mem_record(b, &cur, rec, c, e);
			json_decref(rec);
		}
		if (rc < 0) {
			dk_failpre(e, "%s:%ld", rd.name, rd.line);
			break;
		}
	}
	dk_reader_close(&rd);
	if (e->status != 0) {
		dk_db_rollback(b->db);
		return -1;
	}
	return dk_db_commit(b->db, e);
}

/* The clearing prices (not null) of the slots from from up to slot, a
 * whole number of steps before it, oldest first, in *p (malloc'd). */
int
dk_mem_prices(struct dk_db *d, int64_t slot, int64_t from, int64_t step,
    int64_t **p, size_t *n, struct dk_err *e)
{
	sqlite3_stmt *st;
	int64_t *x;
	int rc;

	*p = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(d->db, "SELECT price FROM mem_clearing WHERE "
	    "price IS NOT NULL AND slot >= ?1 AND slot < ?2 AND "
	    "(?2 - slot) % ?3 = 0 ORDER BY slot", -1, &st, NULL) != SQLITE_OK)
		return dk_db_fail(d, e, "select");
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, slot);
	sqlite3_bind_int64(st, 3, step);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((x = reallocarray(*p, *n + 1, sizeof(*x))) == NULL) {
			sqlite3_finalize(st);
			return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		}
		*p = x;
		x[(*n)++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		free(*p);
		*p = NULL;
		return dk_db_fail(d, e, "select");
	}
	return 0;
}

/*
 * The cost of the household's forecast errors, micro-units per kWh
 * traded, over its settled slots from from (provisional ones left out):
 * what trading exposed it to, a seller's shortfall (it sold what it did
 * not have) and a buyer's surplus (it bought what it did not use), each
 * at the gap between the price that deviation was settled at
 * (imbalance_price; without one, retail for a shortfall and buyback for a
 * surplus) and its contracts' price (their value / Wh; the clearing price
 * when its contracts are not in memory) when that gap is a loss, a value
 * by the rule; their sum x 1000 / the Wh traded (sold + bought), by the
 * rule; at most cap.  0 when it traded nothing.  A seller's surplus and a
 * buyer's shortfall are settled as with no trade: not the trade's risk.
 */
int
dk_mem_err_cost(struct dk_db *d, int64_t from, int64_t cap, int64_t *cost,
    struct dk_err *e)
{
	sqlite3_stmt *st;
	int64_t sold, dev, pi, pc, gap, v, sum = 0, traded = 0;
	int rc;

	*cost = 0;
	if (sqlite3_prepare_v2(d->db, "SELECT s.sold_wh, s.bought_wh, "
	    "s.deviation_wh, ifnull(s.imbalance_price, CASE WHEN "
	    "s.deviation_wh < 0 THEN s.retail ELSE s.buyback END), "
	    "(SELECT (sum(c.wh * c.price) + sum(c.wh) / 2) / sum(c.wh) FROM "
	    "mem_contract c WHERE c.slot = s.slot), (SELECT k.price FROM "
	    "mem_clearing k WHERE k.slot = s.slot) FROM mem_settlement s "
	    "WHERE s.provisional = 0 AND s.slot >= ? AND "
	    "s.sold_wh + s.bought_wh > 0 ORDER BY s.slot", -1, &st, NULL) !=
	    SQLITE_OK)
		return dk_db_fail(d, e, "select");
	sqlite3_bind_int64(st, 1, from);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_type(st, 4) != SQLITE_NULL)
			pc = sqlite3_column_int64(st, 4);
		else if (sqlite3_column_type(st, 5) != SQLITE_NULL)
			pc = sqlite3_column_int64(st, 5);
		else
			continue;
		sold = sqlite3_column_int64(st, 0);
		traded += sold + sqlite3_column_int64(st, 1);
		dev = sqlite3_column_int64(st, 2);
		pi = sqlite3_column_int64(st, 3);
		gap = 0;
		if (sold > 0 && dev < 0 && pi > pc)
			gap = pi - pc;
		if (sold == 0 && dev > 0 && pc > pi)
			gap = pc - pi;
		if (dk_value(dev < 0 ? -dev : dev, gap, &v) < 0 ||
		    (sum += v) > DK_MAX_SAFE_INT) {
			sqlite3_finalize(st);
			return dk_fail(e, DK_EX_DATAERR, "memory: the cost of "
			    "the forecast errors is beyond 2^53 - 1");
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return dk_db_fail(d, e, "select");
	if (traded > 0 && dk_muldiv(sum, 1000, traded, cost) < 0)
		return dk_fail(e, DK_EX_SOFTWARE, "price: overflow");
	if (*cost > cap)
		*cost = cap;
	return 0;
}

/* The newest slot any of the meters has a reading of; 1: none has. */
int
dk_mem_latest(struct dk_db *d, const char *const *meters, size_t n,
    int64_t *slot, struct dk_err *e)
{
	sqlite3_stmt *st;
	size_t i;
	int rc, found = 0;

	if (sqlite3_prepare_v2(d->db, "SELECT max(slot) FROM reading WHERE "
	    "meter = ?", -1, &st, NULL) != SQLITE_OK)
		return dk_db_fail(d, e, "select");
	for (i = 0; i < n; i++) {
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, meters[i], -1, SQLITE_STATIC);
		if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
			sqlite3_finalize(st);
			return dk_db_fail(d, e, "select");
		}
		if (sqlite3_column_type(st, 0) == SQLITE_NULL)
			continue;
		if (!found || sqlite3_column_int64(st, 0) > *slot)
			*slot = sqlite3_column_int64(st, 0);
		found = 1;
	}
	sqlite3_finalize(st);
	return found ? 0 : 1;
}

/* What happened, read back before bidding: the ledger (-l, or
 * bid.ledger), then the feed (-F); either may be NULL. */
int
dk_mem_read(struct dk_bidder *b, const char *ledger, const char *feed,
    struct dk_memcount *c, struct dk_err *e)
{
	memset(c, 0, sizeof(*c));
	if (ledger == NULL)
		ledger = b->strat.ledger;
	if (ledger != NULL && dk_mem_ledger(b, ledger, c, e) < 0)
		return -1;
	if (feed != NULL && dk_mem_feed(b, feed, c, e) < 0)
		return -1;
	return 0;
}
