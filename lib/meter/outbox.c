/*
 * outbox.c: denki-submit's outbox (SQLite): the order and reading lines a
 * household sends, stored before anything is sent, sent at least once and
 * in order, each kept with the receipt or the rejection that answered it.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "meter.h"

/* state: 0 to send, 1 received (its receipt checked and kept), 2 refused
 * (its rejection's reason kept).  A line's id is SHA-256 of its canonical
 * bytes, which is what is sent and what the receipt names. */
static const char schema[] =
    "CREATE TABLE IF NOT EXISTS outbox("
    " seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,"
    " kind TEXT NOT NULL, line TEXT NOT NULL, src TEXT NOT NULL,"
    " stored INTEGER NOT NULL, state INTEGER NOT NULL DEFAULT 0,"
    " sent INTEGER NOT NULL DEFAULT 0, receipt TEXT, reason TEXT);"
    "CREATE INDEX IF NOT EXISTS outbox_pending ON outbox(seq) WHERE"
    " state = 0;";

struct dk_outbox {
	sqlite3 *db;
};

struct dk_outbox *
dk_outbox_open(const char *path, struct dk_err *e)
{
	struct dk_outbox *o = calloc(1, sizeof(*o));

	if (o == NULL) {
		dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		return NULL;
	}
	if ((o->db = dk_sqlite_open(path, schema, e)) == NULL) {
		free(o);
		return NULL;
	}
	return o;
}

void
dk_outbox_close(struct dk_outbox *o)
{
	if (o == NULL)
		return;
	sqlite3_close(o->db);
	free(o);
}

static int
fail(struct dk_outbox *o, struct dk_err *e, const char *what)
{
	return dk_sqlite_fail(o->db, e, what);
}

static int
exec(struct dk_outbox *o, const char *sql, struct dk_err *e)
{
	if (sqlite3_exec(o->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		fail(o, e, sql);
		sqlite3_exec(o->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

/* A line submit may send: an order or a reading, in the canonical
 * profile; its kind ("order", "reading"). */
const char *
dk_outbox_kind(json_t *rec, struct dk_err *e)
{
	const char *t;

	if (!json_is_object(rec)) {
		dk_fail(e, DK_EX_DATAERR, "not a JSON object");
		return NULL;
	}
	if ((t = dk_get_str(rec, "type", e)) == NULL)
		return NULL;
	if (strcmp(t, "order") != 0 && strcmp(t, "reading") != 0) {
		dk_fail(e, DK_EX_DATAERR, "type: submit sends orders and "
		    "readings, got \"%.40s\"", t);
		return NULL;
	}
	if (dk_profile_check(rec, e) < 0)
		return NULL;
	return t;
}

/*
 * Stores the n records (each checked by dk_outbox_kind) in one
 * transaction, canonical, to be sent: a line already in the outbox is
 * not stored twice, but is sent again (its receipt comes again).
 * *added: how many were new.
 */
int
dk_outbox_put(struct dk_outbox *o, const struct dk_outline *l, size_t n,
    long *added, struct dk_err *e)
{
	sqlite3_stmt *ins = NULL, *again = NULL;
	char id[65], *c;
	size_t i;
	int rc;

	*added = 0;
	if (sqlite3_prepare_v2(o->db, "INSERT OR IGNORE INTO outbox(id, kind,"
	    " line, src, stored) VALUES(?,?,?,?,?)", -1, &ins, NULL) !=
	    SQLITE_OK || sqlite3_prepare_v2(o->db, "UPDATE outbox SET state ="
	    " 0 WHERE id = ?", -1, &again, NULL) != SQLITE_OK) {
		sqlite3_finalize(ins);
		return fail(o, e, "insert line");
	}
	if (exec(o, "BEGIN IMMEDIATE", e) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		if ((c = dk_canon(l[i].rec)) == NULL) {
			dk_fail(e, DK_EX_SOFTWARE, "out of memory");
			goto undo;
		}
		dk_sha256_hex(c, strlen(c), id);
		sqlite3_reset(ins);
		sqlite3_bind_text(ins, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 2, json_string_value(json_object_get(
		    l[i].rec, "type")), -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 3, c, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(ins, 4, l[i].src, -1, SQLITE_STATIC);
		sqlite3_bind_int64(ins, 5, (sqlite3_int64)time(NULL));
		rc = sqlite3_step(ins);
		free(c);
		if (rc != SQLITE_DONE) {
			fail(o, e, "insert line");
			goto undo;
		}
		if (sqlite3_changes(o->db) > 0) {
			(*added)++;
			continue;
		}
		sqlite3_reset(again);
		sqlite3_bind_text(again, 1, id, -1, SQLITE_STATIC);
		if (sqlite3_step(again) != SQLITE_DONE) {
			fail(o, e, "insert line");
			goto undo;
		}
	}
	if (exec(o, "COMMIT", e) < 0)
		goto out;
	sqlite3_finalize(ins);
	sqlite3_finalize(again);
	return 0;
undo:
	sqlite3_exec(o->db, "ROLLBACK", NULL, NULL, NULL);
out:
	sqlite3_finalize(ins);
	sqlite3_finalize(again);
	*added = 0;
	return -1;
}

/* The lines of the files (stdin: none) checked by dk_outbox_kind, each
 * refused one told to warn by file:line, then stored at once: none when
 * one is refused, unless keep; 1 when one was refused. */
int
dk_outbox_take(struct dk_outbox *ob, char *const *files, int n, int keep,
    void (*warn)(void *, const char *), void *ctx, struct dk_err *e)
{
	struct dk_reader rd;
	struct dk_outline *l = NULL, *nl;
	size_t nl_n = 0, cap = 0, i;
	char *line, src[300], msg[900];
	const char *t;
	long len, added;
	int f, bad = 0, rc = -1;
	json_t *rec;

	for (f = 0; f < (n > 0 ? n : 1); f++) {
		if (dk_reader_open(&rd, n > 0 ? files[f] : "-", e) < 0)
			goto out;
		while ((len = dk_reader_next(&rd, &line, e)) >= 0) {
			if (len == 0)
				continue;
			snprintf(src, sizeof(src), "%s:%ld", rd.name, rd.line);
			/* meter-read's word for a slot it could not read:
			 * said, not sent (the intake takes orders and
			 * readings), and no fault of the input */
			if ((rec = dk_parse(line, len, e)) != NULL &&
			    (t = json_string_value(json_object_get(rec,
			    "type"))) != NULL && strcmp(t, "gap") == 0) {
				json_decref(rec);
				snprintf(msg, sizeof(msg), "%s: a gap record, "
				    "not sent: the intake takes orders and "
				    "readings", src);
				warn(ctx, msg);
				continue;
			}
			if (rec == NULL || dk_outbox_kind(rec, e) == NULL) {
				json_decref(rec);
				snprintf(msg, sizeof(msg), "%s: %s", src, e->msg);
				warn(ctx, msg);
				e->status = 0;
				bad = 1;
				if (!keep)
					break;
				continue;
			}
			if (nl_n == cap && (nl = realloc(l, (cap = cap * 2 +
			    64) * sizeof(*l))) != NULL)
				l = nl;
			if (nl_n >= cap || (l[nl_n].src = strdup(src)) == NULL) {
				json_decref(rec);
				dk_fail(e, DK_EX_SOFTWARE, "out of memory");
				dk_reader_close(&rd);
				goto out;
			}
			l[nl_n++].rec = rec;
		}
		dk_reader_close(&rd);
		if (e->status != 0)
			goto out;
		if (bad && !keep)
			break;
	}
	if (bad && !keep)
		rc = dk_fail(e, DK_EX_DATAERR, "nothing stored: bad input (-k "
		    "stores the good lines)");
	else
		rc = dk_outbox_put(ob, l, nl_n, &added, e) < 0 ? -1 : bad;
out:
	for (i = 0; i < nl_n; i++) {
		free((char *)l[i].src);
		json_decref(l[i].rec);
	}
	free(l);
	return rc;
}

void
dk_outbatch_free(struct dk_outbatch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		free(b->src[i]);
	free(b->seq);
	free(b->id);
	free(b->src);
	free(b->body);
	memset(b, 0, sizeof(*b));
}

/* The oldest lines to send, at most max of them and about maxbytes (one
 * at least): their ids, where they came from, and the body to POST. */
int
dk_outbox_pending(struct dk_outbox *o, size_t max, size_t maxbytes,
    struct dk_outbatch *b, struct dk_err *e)
{
	sqlite3_stmt *st;
	const char *line;
	size_t len, cap = 0;
	int rc;
	char *nb;

	memset(b, 0, sizeof(*b));
	if ((b->seq = calloc(max, sizeof(*b->seq))) == NULL ||
	    (b->id = calloc(max, sizeof(*b->id))) == NULL ||
	    (b->src = calloc(max, sizeof(*b->src))) == NULL) {
		dk_outbatch_free(b);
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	}
	if (sqlite3_prepare_v2(o->db, "SELECT seq, id, line, src FROM outbox "
	    "WHERE state = 0 ORDER BY seq LIMIT ?", -1, &st, NULL) !=
	    SQLITE_OK) {
		dk_outbatch_free(b);
		return fail(o, e, "select lines");
	}
	sqlite3_bind_int64(st, 1, (sqlite3_int64)max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		line = (const char *)sqlite3_column_text(st, 2);
		len = strlen(line);
		if (b->n > 0 && b->len + len + 1 > maxbytes)
			break;
		if (b->len + len + 2 > cap) {
			cap = (b->len + len + 2) * 2;
			if ((nb = realloc(b->body, cap)) == NULL)
				goto oom;
			b->body = nb;
		}
		memcpy(b->body + b->len, line, len);
		b->len += len;
		b->body[b->len++] = '\n';
		b->body[b->len] = '\0';
		b->seq[b->n] = sqlite3_column_int64(st, 0);
		memcpy(b->id[b->n], sqlite3_column_text(st, 1), 64);
		b->id[b->n][64] = '\0';
		if ((b->src[b->n] = strdup((const char *)
		    sqlite3_column_text(st, 3))) == NULL)
			goto oom;
		b->n++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		dk_outbatch_free(b);
		return fail(o, e, "select lines");
	}
	return 0;
oom:
	sqlite3_finalize(st);
	dk_outbatch_free(b);
	return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
}

/* What a receipt says of the line besides its id (its kind, slot, and
 * participant or meter) is what the line says: the member's evidence
 * names the slot the line was for, not another. */
static int
same(json_t *a, const struct dk_outbatch *b, size_t i, struct dk_err *e)
{
	static const char *const keys[] = { "slot", "participant", "meter",
		NULL };
	const char *p = b->body, *x, *y;
	json_t *l;
	size_t k;
	int rc = 0;

	for (k = 0; k < i; k++)
		p = strchr(p, '\n') + 1;
	if ((l = json_loadb(p, strcspn(p, "\n"), 0, NULL)) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "the line sent: not JSON");
	x = json_string_value(json_object_get(a, "kind"));
	y = json_string_value(json_object_get(l, "type"));
	if (y == NULL || strcmp(x, y) != 0)
		rc = dk_fail(e, DK_EX_DATAERR, "receipt: kind: \"%s\", not "
		    "the line's \"%s\"", x, y ? y : "");
	for (k = 0; rc == 0 && keys[k] != NULL; k++) {
		x = json_string_value(json_object_get(a, keys[k]));
		y = json_string_value(json_object_get(l, keys[k]));
		if (x != NULL && (y == NULL || strcmp(x, y) != 0))
			rc = dk_fail(e, DK_EX_DATAERR, "receipt: %s: \"%.40s\", "
			    "not the line's \"%.40s\"", keys[k], x,
			    y ? y : "");
	}
	json_decref(l);
	return rc;
}

/* Answer line i (1-based) of the batch: a receipt for its id that the
 * intake key signed (1), a rejection of it (2), or -1 with e saying what
 * is wrong with it (e->item 1: a receipt that does not check). */
static int
judge(json_t *a, const struct dk_outbatch *b, size_t i,
    const unsigned char pk[32], struct dk_err *e)
{
	const char *t, *id;
	long long ln;

	e->item = 0;
	if (!json_is_object(a) || (t = dk_get_str(a, "type", e)) == NULL)
		return dk_fail(e, DK_EX_DATAERR, "not a receipt nor a "
		    "rejection");
	if (strcmp(t, "rejection") == 0) {
		if (dk_get_int(a, "line", 1, DK_MAX_SAFE_INT, &ln, e) < 0 ||
		    dk_get_str(a, "reason", e) == NULL)
			return dk_failpre(e, "rejection");
		if (ln != (long long)i + 1)
			return dk_fail(e, DK_EX_DATAERR, "rejection: line: %lld,"
			    " not the line it answers (%zu)", ln, i + 1);
		id = json_string_value(json_object_get(a, "id"));
		if (id != NULL && strcmp(id, b->id[i]) != 0)
			return dk_fail(e, DK_EX_DATAERR, "rejection: id: %.64s "
			    "names another line than the one sent", id);
		return 2;
	}
	e->item = 1;
	if (dk_receipt_check(a, pk, e) < 0)
		return dk_failpre(e, "receipt");
	id = json_string_value(json_object_get(a, "id"));
	if (strcmp(id, b->id[i]) != 0)
		return dk_fail(e, DK_EX_DATAERR, "receipt: id: %.64s names "
		    "another line than the one sent", id);
	return same(a, b, i, e) < 0 ? -1 : 1;
}

/*
 * The intake's answer to batch b (one line per line sent, in order): each
 * receipt checked against the intake key pk and kept, each rejection's
 * reason kept, in one transaction, then handed to cb.  An answer that does
 * not check (a bad signature, another line's id) leaves its line and all
 * after it to send again, as does an answer cut short: r counts them.
 */
int
dk_outbox_answer(struct dk_outbox *o, const struct dk_outbatch *b,
    const char *body, size_t len, const unsigned char pk[32],
    const struct dk_outcb *cb, struct dk_outres *r, struct dk_err *e)
{
	sqlite3_stmt *rc_st = NULL, *rj_st = NULL;
	json_t **ans;
	const char *p = body, *end = body + len, *nl;
	struct dk_err le = { 0 };
	size_t i, n = 0;
	int k, ok = -1;

	memset(r, 0, sizeof(*r));
	if ((ans = calloc(b->n + 1, sizeof(*ans))) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	/* judged first, stored in one go, told last */
	for (i = 0; i < b->n && p < end; i++) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			break;	/* a last line with no newline: cut short */
		ans[i] = dk_parse(p, (size_t)(nl - p), &le);
		p = nl + 1;
		if (ans[i] == NULL) {
			dk_failpre(&le, "not JSON");
			k = -1;
		} else
			k = judge(ans[i], b, i, pk, &le);
		if (k < 0) {
			r->bad++;
			if (cb->bad != NULL)
				cb->bad(cb->ctx, b->src[i], b->id[i], le.msg);
			json_decref(ans[i]);
			ans[i] = NULL;
			break;
		}
	}
	n = i;
	if (r->bad == 0 && n == b->n && p < end)
		r->extra = 1;	/* more answers than lines: told, not used */
	r->unanswered = b->n - n;
	if (exec(o, "BEGIN IMMEDIATE", e) < 0)
		goto out;
	if (sqlite3_prepare_v2(o->db, "UPDATE outbox SET state = 1, sent = "
	    "sent + 1, receipt = ifnull(receipt, ?) WHERE seq = ?", -1, &rc_st,
	    NULL) != SQLITE_OK || sqlite3_prepare_v2(o->db, "UPDATE outbox SET "
	    "state = 2, sent = sent + 1, reason = ? WHERE seq = ?", -1, &rj_st,
	    NULL) != SQLITE_OK) {
		fail(o, e, "mark lines");
		goto undo;
	}
	for (i = 0; i < n; i++) {
		char *c = dk_canon(ans[i]);
		int rej = strcmp(json_string_value(json_object_get(ans[i],
		    "type")), "rejection") == 0;
		sqlite3_stmt *st = rej ? rj_st : rc_st;

		if (c == NULL) {
			dk_fail(e, DK_EX_SOFTWARE, "out of memory");
			goto undo;
		}
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, rej ? json_string_value(
		    json_object_get(ans[i], "reason")) : c, -1,
		    SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 2, b->seq[i]);
		k = sqlite3_step(st);
		free(c);
		if (k != SQLITE_DONE) {
			fail(o, e, "mark lines");
			goto undo;
		}
	}
	if (exec(o, "COMMIT", e) < 0)
		goto out;
	for (i = 0; i < n; i++)
		if (strcmp(json_string_value(json_object_get(ans[i], "type")),
		    "rejection") == 0) {
			r->rejected++;
			if (cb->rejected != NULL)
				cb->rejected(cb->ctx, b->src[i], b->id[i],
				    json_string_value(json_object_get(ans[i],
				    "reason")));
		} else {
			r->received++;
			if (cb->receipt != NULL && cb->receipt(cb->ctx,
			    ans[i], e) < 0)
				goto out;
		}
	ok = 0;
	goto out;
undo:
	sqlite3_exec(o->db, "ROLLBACK", NULL, NULL, NULL);
out:
	sqlite3_finalize(rc_st);
	sqlite3_finalize(rj_st);
	for (i = 0; i < b->n; i++)
		json_decref(ans[i]);
	free(ans);
	return ok;
}

/* The receipts kept, in the order their lines were stored, each handed to
 * fn as its line; and how many lines are still to send. */
int
dk_outbox_receipts(struct dk_outbox *o, dk_line_fn fn, void *ctx,
    struct dk_err *e)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(o->db, "SELECT receipt FROM outbox WHERE "
	    "receipt IS NOT NULL ORDER BY seq", -1, &st, NULL) != SQLITE_OK)
		return fail(o, e, "select receipts");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (fn(ctx, (const char *)sqlite3_column_text(st, 0), e) < 0) {
			sqlite3_finalize(st);
			return -1;
		}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return fail(o, e, "select receipts");
	return 0;
}

long
dk_outbox_count(struct dk_outbox *o, int state, struct dk_err *e)
{
	sqlite3_stmt *st;
	long n = -1;

	if (sqlite3_prepare_v2(o->db, "SELECT count(*) FROM outbox WHERE "
	    "state = ?", -1, &st, NULL) != SQLITE_OK)
		return fail(o, e, "count lines");
	sqlite3_bind_int(st, 1, state);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n < 0 ? fail(o, e, "count lines") : n;
}
