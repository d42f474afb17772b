/*
 * witness.c: a witness of logs (C2SP tlog-witness, add-checkpoint): the
 * request checked against the last checkpoint it cosigned for the origin,
 * kept in SQLite and moved on in the same transaction, and its answer.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <sqlite3.h>

#include "ledger.h"

/*
 * One row a log: the last checkpoint cosigned (size, root, the note as the
 * log sent it with the cosignature line after it, the cosignature's time);
 * the checkpoints refused as inconsistent with it, signed by the log, kept
 * as evidence of a fork; and the witness's name and key, set the first
 * time, since an Ed25519 cosignature does not commit to the name and one
 * key must not sign under two.
 */
static const char schema[] =
    "CREATE TABLE IF NOT EXISTS log("
    " origin TEXT PRIMARY KEY, size INTEGER NOT NULL, root TEXT NOT NULL,"
    " note TEXT NOT NULL, time INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS evidence("
    " id INTEGER PRIMARY KEY, origin TEXT NOT NULL, time INTEGER NOT NULL,"
    " reason TEXT NOT NULL, request TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS witness("
    " one INTEGER PRIMARY KEY CHECK (one = 1), vkey TEXT NOT NULL);";

#define SIZE_MAX63	0x7fffffffffffffffULL
#define PROOF_MAX	63

static const struct {
	int http, exit;
	const char *reason;
} statuses[] = {
	{ 200, DK_EX_OK, "OK" },
	{ 400, DK_EX_DATAERR, "Bad Request" },
	{ 403, DK_EX_NOPERM, "Forbidden" },
	{ 404, DK_EX_UNAVAILABLE, "Not Found" },
	{ 405, DK_EX_USAGE, "Method Not Allowed" },
	{ 409, DK_EX_TEMPFAIL, "Conflict" },
	{ 413, DK_EX_DATAERR, "Content Too Large" },
	{ 415, DK_EX_DATAERR, "Unsupported Media Type" },
	{ 422, DK_EX_NO, "Unprocessable Entity" },
	{ 500, DK_EX_SOFTWARE, "Internal Server Error" },
	{ 503, DK_EX_TEMPFAIL, "Service Unavailable" },
};

const char *
dk_witness_reason(int http)
{
	size_t i;

	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		if (statuses[i].http == http)
			return statuses[i].reason;
	return "Internal Server Error";
}

/* The exit status of an HTTP status (the filter's); an internal error
 * (-1) is answered 503 when it may pass (a busy database), else 500. */
int
dk_witness_exit(int http)
{
	size_t i;

	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		if (statuses[i].http == http)
			return statuses[i].exit;
	return DK_EX_SOFTWARE;
}

int
dk_witness_http(int exit)
{
	return exit == DK_EX_TEMPFAIL ? 503 : 500;
}

/* an HTTP status with e filled, its exit status in e->status */
static int
refuse(struct dk_err *e, int http, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
refuse(struct dk_err *e, int http, const char *fmt, ...)
{
	va_list ap;
	char m[sizeof(e->msg)];

	/* e->msg may be one of the arguments */
	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	memcpy(e->msg, m, sizeof(m));
	e->status = dk_witness_exit(http);
	return http;
}

/* The verifier keys of the logs in the file at path, one a line ('#'
 * starts a comment); the origin of each is its key's name. */
int
dk_witness_logs(struct dk_witness *w, const char *path, struct dk_err *e)
{
	FILE *fp;
	char line[1024];
	struct dk_vkey *v;
	long n = 0, got = 0;
	size_t len;

	if ((fp = fopen(path, "r")) == NULL)
		return dk_fail(e, DK_EX_CONFIG, "%s: %s", path,
		    strerror(errno));
	while (fgets(line, sizeof(line), fp) != NULL) {
		n++;
		len = strcspn(line, "\r\n");
		line[len] = '\0';
		if (len == 0 || line[0] == '#')
			continue;
		if (strncmp(line, "untrusted comment:", 18) == 0) {
			fclose(fp);
			return dk_fail(e, DK_EX_CONFIG, "%s: a denki public "
			    "key; give the log's verifier key, the vkey of its "
			    "genesis entry (head -n 1 ledger.jsonl | jq -r "
			    ".rec.vkey)", path);
		}
		if ((v = reallocarray(w->logs, w->nlogs + 1,
		    sizeof(*v))) == NULL) {
			fclose(fp);
			return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		}
		w->logs = v;
		if (dk_vkey_parse(line, &w->logs[w->nlogs], e) < 0) {
			fclose(fp);
			dk_failpre(e, "%s:%ld", path, n);
			e->status = DK_EX_CONFIG;
			return -1;
		}
		w->nlogs++;
		got++;
	}
	fclose(fp);
	if (got == 0)
		return dk_fail(e, DK_EX_CONFIG, "%s: no verifier key", path);
	return 0;
}

int
dk_witness_open(struct dk_witness *w, const char *state, const char *name,
    const struct dk_key *key, struct dk_err *e)
{
	sqlite3_stmt *st = NULL;
	char vk[512];
	const char *had;
	int rc;

	if (dk_cosig_vkey_make(name, key->pk, vk, sizeof(vk)) < 0)
		return dk_fail(e, DK_EX_USAGE, "witness name \"%s\": 1 to 255 "
		    "bytes with no space and no '+'", name);
	snprintf(w->name, sizeof(w->name), "%s", name);
	w->key = key;
	if ((w->db = dk_sqlite_open(state, schema, e)) == NULL)
		return -1;
	/* one run, one request: the WAL is folded into the database when it
	 * grows (wal_autocheckpoint), not each time a run ends, which would
	 * cost every request two more fsyncs */
	sqlite3_db_config(w->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	/* the first name and key are the state's for good */
	if (sqlite3_exec(w->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
	    SQLITE_OK || sqlite3_prepare_v2(w->db, "SELECT vkey FROM witness",
	    -1, &st, NULL) != SQLITE_OK)
		goto dbfail;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		had = (const char *)sqlite3_column_text(st, 0);
		if (strcmp(had, vk) != 0) {
			dk_fail(e, DK_EX_CONFIG, "%s: the state of witness %s; "
			    "this key and name make %s", state, had, vk);
			goto fail;
		}
	} else if (rc != SQLITE_DONE)
		goto dbfail;
	sqlite3_finalize(st);
	st = NULL;
	if (rc == SQLITE_DONE && (sqlite3_prepare_v2(w->db, "INSERT INTO "
	    "witness VALUES (1, ?)", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_bind_text(st, 1, vk, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_DONE))
		goto dbfail;
	sqlite3_finalize(st);
	if (sqlite3_exec(w->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		st = NULL;
		goto dbfail;
	}
	return 0;
dbfail:
	dk_sqlite_fail(w->db, e, state);
fail:
	sqlite3_finalize(st);
	sqlite3_exec(w->db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(w->db);
	w->db = NULL;
	return -1;
}

void
dk_witness_close(struct dk_witness *w)
{
	sqlite3_close(w->db);
	w->db = NULL;
	free(w->logs);
	w->logs = NULL;
	w->nlogs = 0;
}

/* A decimal size as C2SP writes it: no leading zero, at most 2^63-1. */
static int
size_parse(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0 || n > 19 || (s[0] == '0' && n > 1))
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v > SIZE_MAX63)
		return -1;
	*out = v;
	return 0;
}

/* the parts of an add-checkpoint request */
struct req {
	uint64_t old;
	unsigned char proof[PROOF_MAX][32];
	size_t np;
	const char *note;
	size_t len;
	long tlen;
	struct dk_checkpoint cp;
};

/* The body: "old N", the proof, an empty line, the signed checkpoint
 * (400 when it is not one, with the line at fault). */
static int
parse(const char *body, size_t len, struct req *r, struct dk_err *e)
{
	const char *p = body, *end = body + len, *nl;
	size_t got;
	long line = 1;

	if ((nl = memchr(p, '\n', end - p)) == NULL || nl - p < 4 ||
	    memcmp(p, "old ", 4) != 0 || size_parse(p + 4, nl - p - 4,
	    &r->old) < 0)
		return refuse(e, 400, "line 1: must be \"old SIZE\" (SIZE in "
		    "decimal, no leading zero), got \"%.*s\"", (int)(nl ?
		    (nl - p > 40 ? 40 : nl - p) : (end - p > 40 ? 40 :
		    end - p)), p);
	for (p = nl + 1, r->np = 0; ; p = nl + 1) {
		line++;
		if ((nl = memchr(p, '\n', end - p)) == NULL)
			return refuse(e, 400, "line %ld: no empty line after "
			    "the consistency proof", line);
		if (nl == p)
			break;
		if (r->np == PROOF_MAX)
			return refuse(e, 400, "line %ld: more than %d "
			    "consistency proof lines", line, PROOF_MAX);
		if (sodium_base642bin(r->proof[r->np], 32, p, nl - p, NULL,
		    &got, NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
		    got != 32)
			return refuse(e, 400, "line %ld: a consistency proof "
			    "line must be the base64 of a 32-byte hash",
			    line);
		r->np++;
	}
	r->note = nl + 1;
	r->len = end - r->note;
	if (r->len == 0)
		return refuse(e, 400, "line %ld: no checkpoint after the empty "
		    "line", line + 1);
	if ((r->tlen = dk_note_text(r->note, r->len, e)) < 0 ||
	    dk_checkpoint_parse(r->note, r->tlen, &r->cp, e) < 0)
		return refuse(e, 400, "checkpoint (from line %ld): %s",
		    line + 1, e->msg);
	if (r->cp.size > SIZE_MAX63)
		return refuse(e, 400, "checkpoint: tree size above 2^63-1");
	return 0;
}

/* The checkpoint's log and its signature: 404 for an origin no key of
 * the witness's names, 403 when no signature of its keys verifies. */
static int
signed_by_log(const struct dk_witness *w, struct req *r, struct dk_err *e)
{
	size_t i, n = 0;
	struct dk_vkey *k;

	if ((k = calloc(w->nlogs + 1, sizeof(*k))) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	for (i = 0; i < w->nlogs; i++)
		if (strcmp(w->logs[i].name, r->cp.origin) == 0)
			k[n++] = w->logs[i];
	if (n == 0) {
		free(k);
		return refuse(e, 404, "unknown origin \"%s\": this witness "
		    "has no key of that log", r->cp.origin);
	}
	if (dk_note_open(r->note, r->len, k, n, e) < 0) {
		free(k);
		return refuse(e, 403, "checkpoint of %s: %s", r->cp.origin,
		    e->msg);
	}
	free(k);
	return 0;
}

/* the row of the origin: its size and root; 0 and size 0 without one */
static int
stored(struct dk_witness *w, const char *origin, uint64_t *size,
    unsigned char root[32], struct dk_err *e)
{
	sqlite3_stmt *st;
	size_t got;
	const char *b;
	int rc;

	*size = 0;
	crypto_hash_sha256(root, NULL, 0);
	if (sqlite3_prepare_v2(w->db, "SELECT size, root FROM log WHERE "
	    "origin = ?", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_bind_text(st, 1, origin, -1, SQLITE_STATIC) != SQLITE_OK) {
		sqlite3_finalize(st);
		return dk_sqlite_fail(w->db, e, "select");
	}
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*size = (uint64_t)sqlite3_column_int64(st, 0);
		b = (const char *)sqlite3_column_text(st, 1);
		if (b == NULL || sodium_base642bin(root, 32, b, strlen(b),
		    NULL, &got, NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
		    got != 32) {
			sqlite3_finalize(st);
			return dk_fail(e, DK_EX_SOFTWARE, "state database: "
			    "the root of %s is not base64 of 32 bytes", origin);
		}
	} else if (rc != SQLITE_DONE) {
		sqlite3_finalize(st);
		return dk_sqlite_fail(w->db, e, "select");
	}
	sqlite3_finalize(st);
	return 0;
}

/* One statement with its parameters, by the letters of types: 't' a
 * string, 'i' an int64_t. */
static int
exec_sql(struct dk_witness *w, const char *sql, const char *types,
    struct dk_err *e, ...)
{
	sqlite3_stmt *st;
	va_list ap;
	int i, rc = SQLITE_OK;

	if (sqlite3_prepare_v2(w->db, sql, -1, &st, NULL) != SQLITE_OK)
		return dk_sqlite_fail(w->db, e, "write");
	va_start(ap, e);
	for (i = 0; types[i] != '\0' && rc == SQLITE_OK; i++)
		rc = types[i] == 't' ? sqlite3_bind_text(st, i + 1,
		    va_arg(ap, const char *), -1, SQLITE_STATIC) :
		    sqlite3_bind_int64(st, i + 1, va_arg(ap, int64_t));
	va_end(ap);
	if (rc != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_finalize(st);
		return dk_sqlite_fail(w->db, e, "write");
	}
	sqlite3_finalize(st);
	return 0;
}

/*
 * The checks of C2SP tlog-witness against the stored size and root,
 * inside the transaction: 0 to cosign, or the status (409, 422).
 */
static int
consistent(const struct req *r, uint64_t size, const unsigned char root[32],
    struct dk_err *e)
{
	unsigned char empty[32];
	struct dk_err pe = { 0 };

	if (r->old != size)
		return refuse(e, 409, "old size %llu, but the last checkpoint "
		    "of %s this witness cosigned has size %llu",
		    (unsigned long long)r->old, r->cp.origin,
		    (unsigned long long)size);
	crypto_hash_sha256(empty, NULL, 0);
	if (r->cp.size == 0 && sodium_memcmp(r->cp.root, empty, 32) != 0)
		return refuse(e, 422, "a checkpoint of size 0 must have the "
		    "empty tree's root");
	if (r->old == 0) {
		if (r->np != 0)
			return refuse(e, 422, "old size 0 takes no "
			    "consistency proof, got %zu lines", r->np);
		return 0;
	}
	if (r->old == r->cp.size && sodium_memcmp(root, r->cp.root, 32) != 0)
		return refuse(e, 422, "size %llu again with another root than "
		    "the one cosigned: the log signed two trees of one size",
		    (unsigned long long)r->old);
	if (dk_merkle_verify_consistency(r->old, r->cp.size, root,
	    r->cp.root, (const unsigned char (*)[32])r->proof, r->np,
	    &pe) < 0)
		return refuse(e, 422, "the consistency proof from size %llu "
		    "(cosigned) to %llu fails: %s", (unsigned long long)r->old,
		    (unsigned long long)r->cp.size, pe.msg);
	return 0;
}

/*
 * An add-checkpoint request (the body of C2SP tlog-witness): 200 with the
 * cosignature line in *out (malloc'd); or the HTTP status of the refusal
 * (400, 403, 404, 409 with the witness's size in *size, 422) with e
 * filled and e->status the exit status dk_witness_exit gives; or -1 when
 * the witness itself fails (e->status from the exit table).  Nothing is
 * answered before the new state is committed.
 */
int
dk_witness_add(struct dk_witness *w, const char *body, size_t len,
    uint64_t now, char **out, uint64_t *size, struct dk_err *e)
{
	struct req *r;
	unsigned char root[32];
	char b64[64], *line = NULL, *note = NULL;
	int rc;

	*out = NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	if ((rc = parse(body, len, r, e)) != 0 ||
	    (rc = signed_by_log(w, r, e)) != 0)
		goto done;
	if (r->old > r->cp.size) {
		rc = refuse(e, 400, "old size %llu is above the checkpoint's "
		    "%llu", (unsigned long long)r->old,
		    (unsigned long long)r->cp.size);
		goto done;
	}
	/* from here to COMMIT, other requests wait (BEGIN IMMEDIATE) */
	if (sqlite3_exec(w->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		rc = dk_sqlite_fail(w->db, e, "begin");
		goto done;
	}
	if ((rc = stored(w, r->cp.origin, size, root, e)) != 0)
		goto rollback;
	if ((rc = consistent(r, *size, root, e)) == 409)
		goto rollback;
	if (rc == 422) {
		/* signed by the log, and not what it showed before */
		struct dk_err we = { 0 };

		if (asprintf(&note, "%.*s", (int)len, body) < 0 ||
		    exec_sql(w, "INSERT INTO evidence (origin, time, reason, "
		    "request) VALUES (?, ?, ?, ?)", "titt", &we, r->cp.origin,
		    (int64_t)now, e->msg, note) < 0) {
			*e = we;
			e->status = e->status ? e->status : DK_EX_SOFTWARE;
			rc = -1;
			goto rollback;
		}
		goto commit;
	}
	if ((line = dk_cosig_sign(r->note, r->tlen, w->name, w->key, now,
	    e)) == NULL) {
		rc = -1;
		goto rollback;
	}
	sodium_bin2base64(b64, sizeof(b64), r->cp.root, 32,
	    sodium_base64_VARIANT_ORIGINAL);
	if (asprintf(&note, "%.*s%s", (int)r->len, r->note, line) < 0 ||
	    exec_sql(w, "INSERT OR REPLACE INTO log (origin, size, root, "
	    "note, time) VALUES (?, ?, ?, ?, ?)", "titti", e, r->cp.origin,
	    (int64_t)r->cp.size, b64, note, (int64_t)now) < 0) {
		rc = -1;
		goto rollback;
	}
	rc = 200;
commit:
	if (sqlite3_exec(w->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		rc = dk_sqlite_fail(w->db, e, "commit");
		goto rollback;
	}
	if (rc == 200) {
		*out = line;
		line = NULL;
	}
	goto done;
rollback:
	sqlite3_exec(w->db, "ROLLBACK", NULL, NULL, NULL);
done:
	free(line);
	free(note);
	free(r);
	return rc;
}

/* The last checkpoint cosigned for the origin whose SHA-256 is hex, with
 * the log's signature and the witness's (the monitoring API): 200 and
 * *out, 404 when there is none, -1 with e filled. */
int
dk_witness_checkpoint(struct dk_witness *w, const char *hex, char **out,
    struct dk_err *e)
{
	sqlite3_stmt *st;
	char h[65];
	const char *o;
	int rc;

	*out = NULL;
	if (sqlite3_prepare_v2(w->db, "SELECT origin, note FROM log", -1, &st,
	    NULL) != SQLITE_OK)
		return dk_sqlite_fail(w->db, e, "select");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		o = (const char *)sqlite3_column_text(st, 0);
		dk_sha256_hex(o, strlen(o), h);
		if (strcmp(h, hex) == 0) {
			*out = strdup((const char *)sqlite3_column_text(st, 1));
			break;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return dk_sqlite_fail(w->db, e, "select");
	if (rc == SQLITE_ROW && *out == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	if (*out == NULL)
		return refuse(e, 404, "no checkpoint cosigned for the origin "
		    "of hash %.64s", hex);
	return 200;
}

/*
 * The request a CGI call makes (method, SCRIPT_NAME and PATH_INFO): 1 for
 * POST .../add-checkpoint, 2 for GET .../<origin hash>/checkpoint with the
 * hash in hex[65]; else the HTTP status to answer (404, 405), e filled.
 */
int
dk_witness_route(const char *method, const char *script, const char *info,
    char hex[65], struct dk_err *e)
{
	char path[1024];
	size_t n, i;
	int post = method != NULL && strcmp(method, "POST") == 0;
	int get = method != NULL && (strcmp(method, "GET") == 0 ||
	    strcmp(method, "HEAD") == 0);

	snprintf(path, sizeof(path), "%s%s", script ? script : "",
	    info ? info : "");
	n = strlen(path);
	if (n >= 15 && strcmp(path + n - 15, "/add-checkpoint") == 0)
		return post ? 1 : refuse(e, 405, "add-checkpoint takes POST, "
		    "not %s", method ? method : "no method");
	if (n >= 76 && strcmp(path + n - 11, "/checkpoint") == 0 &&
	    path[n - 76] == '/') {
		for (i = 0; i < 64; i++)
			if (!strchr("0123456789abcdef", path[n - 75 + i]))
				break;
		if (i == 64) {
			memcpy(hex, path + n - 75, 64);
			hex[64] = '\0';
			return get ? 2 : refuse(e, 405, "checkpoint takes "
			    "GET, not %s", method ? method : "no method");
		}
	}
	return refuse(e, 404, "no such call: %.200s (a witness answers POST "
	    "<prefix>/add-checkpoint and GET <prefix>/<origin hash>/"
	    "checkpoint)", path);
}
