/*
 * inbox-cache.c: what the intake needs of the ledger (participants,
 * meters, intake keys, cleared slots), kept in the inbox database and
 * brought up to date from where it last read, never by a whole replay.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "market.h"

/* the prev of entry 0 */
#define ZERO64 \
    "0000000000000000000000000000000000000000000000000000000000000000"

/* Where the cache stands: the ledger read up to size bytes (line lines,
 * entries next), ending at a checkpoint whose line hashes to prev. */
struct mark {
	long long size, line, next;
	char prev[65];
	struct dk_scaninfo si;	/* origin, key, tree, cp_time */
};

static int
fail(struct dk_inbox *ib, struct dk_err *e, const char *what)
{
	return dk_sqlite_fail(ib->db, e, what);
}

static int
exec(struct dk_inbox *ib, const char *sql, struct dk_err *e)
{
	if (sqlite3_exec(ib->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return fail(ib, e, sql);
	return 0;
}

/* One statement with text or integer arguments ("t", "i", "b" a blob of
 * blen bytes), stepped to its end. */
static int
run(struct dk_inbox *ib, const char *sql, const char *types,
    struct dk_err *e, ...)
{
	sqlite3_stmt *st;
	va_list ap;
	int i, rc;
	const void *b;

	if (sqlite3_prepare_v2(ib->db, sql, -1, &st, NULL) != SQLITE_OK)
		return fail(ib, e, sql);
	va_start(ap, e);
	for (i = 0; types[i] != '\0'; i++)
		if (types[i] == 't')
			sqlite3_bind_text(st, i + 1, va_arg(ap, const char *),
			    -1, SQLITE_TRANSIENT);
		else if (types[i] == 'i')
			sqlite3_bind_int64(st, i + 1, va_arg(ap, long long));
		else {
			b = va_arg(ap, const void *);
			sqlite3_bind_blob(st, i + 1, b, va_arg(ap, int),
			    SQLITE_TRANSIENT);
		}
	va_end(ap);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return fail(ib, e, sql);
	return 0;
}

/* The mark the cache holds: 1, 0 when there is none. */
static int
mark_get(struct dk_inbox *ib, struct mark *m, struct dk_err *e)
{
	sqlite3_stmt *st;
	int rc;

	memset(m, 0, sizeof(*m));
	if (sqlite3_prepare_v2(ib->db, "SELECT size, line, next, prev, origin, "
	    "key, tree, cp_time, cp_time_seq FROM mark", -1, &st, NULL) !=
	    SQLITE_OK)
		return fail(ib, e, "mark");
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return rc == SQLITE_DONE ? 0 : fail(ib, e, "mark");
	}
	m->size = sqlite3_column_int64(st, 0);
	m->line = sqlite3_column_int64(st, 1);
	m->next = sqlite3_column_int64(st, 2);
	snprintf(m->prev, sizeof(m->prev), "%s", (const char *)
	    sqlite3_column_text(st, 3));
	snprintf(m->si.origin, sizeof(m->si.origin), "%s", (const char *)
	    sqlite3_column_text(st, 4));
	rc = sqlite3_column_bytes(st, 5) == sizeof(m->si.key) &&
	    sqlite3_column_bytes(st, 6) == sizeof(m->si.tree);
	if (rc) {
		memcpy(&m->si.key, sqlite3_column_blob(st, 5),
		    sizeof(m->si.key));
		memcpy(&m->si.tree, sqlite3_column_blob(st, 6),
		    sizeof(m->si.tree));
	}
	m->si.key.sk = NULL;
	m->si.cp_time = sqlite3_column_int64(st, 7);
	m->si.cp_time_seq = sqlite3_column_int64(st, 8);
	m->si.good = m->size;
	m->si.entries = m->next;
	sqlite3_finalize(st);
	return rc;
}

static int
mark_put(struct dk_inbox *ib, const struct mark *m, struct dk_err *e)
{
	struct dk_key k = m->si.key;

	k.sk = NULL;
	return run(ib, "DELETE FROM mark", "", e) < 0 ? -1 :
	    run(ib, "INSERT INTO mark (size, line, next, prev, origin, key, "
	    "tree, cp_time, cp_time_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
	    "iiittbbii", e, m->size, m->line, m->next, m->prev, m->si.origin,
	    &k, (int)sizeof(k), &m->si.tree, (int)sizeof(m->si.tree),
	    (long long)m->si.cp_time, m->si.cp_time_seq);
}

/*
 * The bytes before end are the line the cache ended at: its hash is
 * prev.  Read back from end to the newline before it.
 */
static int
tail_is(int fd, off_t end, const char *prev)
{
	char *buf = NULL, hex[65];
	unsigned char leaf[32];
	size_t cap = 0, n = 0;
	off_t at = end - 1;	/* the newline that ends the line */
	ssize_t got;
	char *nb, *nl;
	size_t k;

	if (end == 0)
		return strcmp(prev, ZERO64) == 0;
	for (;;) {
		k = at >= 4096 ? 4096 : (size_t)at;
		if (n + k > cap) {
			cap = (n + k) * 2;
			if ((nb = realloc(buf, cap)) == NULL)
				break;
			buf = nb;
		}
		memmove(buf + k, buf, n);
		if ((got = pread(fd, buf, k, at - (off_t)k)) != (ssize_t)k)
			break;
		n += k;
		at -= (off_t)k;
		if ((nl = memrchr(buf, '\n', k)) != NULL || at == 0) {
			size_t off = nl != NULL ? (size_t)(nl - buf) + 1 : 0;
			char c;
			if (pread(fd, &c, 1, end - 1) != 1 || c != '\n')
				break;
			dk_merkle_leaf(buf + off, n - off, leaf);
			for (k = 0; k < 32; k++)
				snprintf(hex + 2 * k, 3, "%02x", leaf[k]);
			free(buf);
			return strcmp(hex, prev) == 0;
		}
		if (n > (1 << 20))
			break;
	}
	free(buf);
	return 0;
}

/* Each entry read: what the intake keeps of it, into the cache. */
static int
take(void *ctx, long long seq, long line, json_t *rec, struct dk_err *e)
{
	struct dk_inbox *ib = ctx;
	const char *type = json_string_value(json_object_get(rec, "type"));
	const char *id, *s;
	json_t *x;
	char *c;
	size_t i;
	int64_t t;
	long long g;
	int rc;

	(void)line;
	if (strcmp(type, "participant") == 0) {
		if (dk_participant_check(rec, e) < 0 ||
		    (c = dk_canon(rec)) == NULL)
			return -1;
		id = json_string_value(json_object_get(rec, "id"));
		rc = run(ib, "INSERT OR REPLACE INTO participants (id, rec) "
		    "VALUES (?, ?)", "tt", e, id, c);
		free(c);
		if (rc < 0 || run(ib, "DELETE FROM meters WHERE participant = "
		    "?", "t", e, id) < 0)
			return -1;
		json_array_foreach(json_object_get(rec, "meters"), i, x)
			if (run(ib, "INSERT OR REPLACE INTO meters (meter, "
			    "participant) VALUES (?, ?)", "tt", e,
			    json_string_value(x), id) < 0)
				return -1;
		return 0;
	}
	if (strcmp(type, "intake") == 0) {
		if (dk_intake_check(rec, NULL, &g, e) < 0)
			return -1;
		return run(ib, "INSERT OR REPLACE INTO intakekeys (seq, key, "
		    "gate) VALUES (?, ?, ?)", "iti", e, seq,
		    json_string_value(json_object_get(rec, "key")), g);
	}
	if (strcmp(type, "clearing") == 0) {
		if ((s = dk_get_str(rec, "slot", e)) == NULL ||
		    dk_time_parse(s, &t, e) < 0)
			return dk_failpre(e, "clearing: slot");
		return run(ib, "INSERT OR IGNORE INTO cleared (slot) VALUES "
		    "(?)", "i", e, (long long)t);
	}
	return 0;
}

/*
 * The ledger from m on: entries read into the cache, and m moved to the
 * last checkpoint read.  Returns 1 when it ends at a checkpoint, 0 when
 * entries follow the last checkpoint (an append cut off: nothing taken),
 * -1 with e.
 */
static int
scan_from(struct dk_inbox *ib, int fd, struct mark *m, struct dk_err *e)
{
	struct mark n = *m;
	FILE *fp;
	int fd2, rc;

	if ((fd2 = dup(fd)) < 0 || (fp = fdopen(fd2, "r")) == NULL)
		return dk_fail(e, DK_EX_IOERR, "%s: %s", ib->lpath,
		    strerror(errno));
	if (fseeko(fp, (off_t)m->size, SEEK_SET) < 0) {
		fclose(fp);
		return dk_fail(e, DK_EX_IOERR, "%s: %s", ib->lpath,
		    strerror(errno));
	}
	if (exec(ib, "SAVEPOINT scan", e) < 0) {
		fclose(fp);
		return -1;
	}
	n.si.last_type_checkpoint = 0;
	rc = dk_ledger_scan_resume(fp, ib->lpath, (long)m->line, NULL, take,
	    ib, n.prev, &n.next, &n.si, e);
	fclose(fp);
	n.line += n.next - m->next;
	n.size = (long long)n.si.good;
	if (rc == 0 && n.next > m->next && !n.si.last_type_checkpoint)
		rc = 1;		/* not a checkpoint: leave it */
	if (rc != 0 || n.next == m->next) {
		free(n.si.note);
		if (exec(ib, "ROLLBACK TO scan", e) < 0 ||
		    exec(ib, "RELEASE scan", e) < 0)
			return -1;
		return rc < 0 ? -1 : rc == 1 ? 0 : 1;
	}
	free(n.si.note);
	n.si.note = NULL;
	*m = n;
	if (mark_put(ib, m, e) < 0 || exec(ib, "RELEASE scan", e) < 0)
		return -1;
	return 1;
}

/* The whole ledger read again into an emptied cache. */
static int
rebuild(struct dk_inbox *ib, int fd, struct mark *m, struct dk_err *e)
{
	if (flock(fd, LOCK_SH) < 0)
		return dk_fail(e, DK_EX_IOERR, "%s: lock: %s", ib->lpath,
		    strerror(errno));
	memset(m, 0, sizeof(*m));
	strcpy(m->prev, ZERO64);
	if (exec(ib, "DELETE FROM participants; DELETE FROM meters; "
	    "DELETE FROM intakekeys; DELETE FROM cleared; DELETE FROM mark",
	    e) < 0)
		return -1;
	switch (scan_from(ib, fd, m, e)) {
	case -1:
		return -1;
	case 0:
		return dk_fail(e, DK_EX_DATAERR, "%s: entries follow the last "
		    "checkpoint: an append that was never acknowledged; run "
		    "denki-ledger-recover first", ib->lpath);
	}
	if (m->si.origin[0] == '\0')
		return dk_fail(e, DK_EX_DATAERR, "%s: no genesis entry: an "
		    "empty ledger names nobody", ib->lpath);
	return 0;
}

/* The intake key in use (the last intake record), its gate closure, and
 * the ledger's origin, from the cache. */
static int
keys(struct dk_inbox *ib, const struct mark *m, struct dk_err *e)
{
	sqlite3_stmt *st;
	struct dk_key k;
	int rc;

	snprintf(ib->origin, sizeof(ib->origin), "%s", m->si.origin);
	ib->have_intake = 0;
	if (sqlite3_prepare_v2(ib->db, "SELECT key, gate, seq FROM intakekeys "
	    "ORDER BY seq DESC LIMIT 1", -1, &st, NULL) != SQLITE_OK)
		return fail(ib, e, "intakekeys");
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		snprintf(ib->intake_b64, sizeof(ib->intake_b64), "%s",
		    (const char *)sqlite3_column_text(st, 0));
		ib->gate_minutes = sqlite3_column_int64(st, 1);
		ib->intake_seq = sqlite3_column_int64(st, 2);
		if (dk_key_from_b64(&k, ib->intake_b64, e) < 0) {
			sqlite3_finalize(st);
			return -1;
		}
		memcpy(ib->intake_pk, k.pk, 32);
		ib->have_intake = 1;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fail(ib, e, "intakekeys");
	return 0;
}

/*
 * The cache checked against the ledger at ib->lpath before it is
 * trusted: the line it ended at is still there, the same bytes (its hash
 * is the prev it kept).  What was appended since is read when no writer
 * holds the ledger (a writer's entries are read by the next request);
 * a ledger cut back or changed is read again from its start.  Run inside
 * the caller's transaction.
 */
int
dk_inbox_sync(struct dk_inbox *ib, struct dk_err *e)
{
	struct mark m;
	struct stat sb;
	int fd, rc, have;

	if ((fd = open(ib->lpath, O_RDONLY | O_CLOEXEC)) < 0)
		return dk_fail(e, errno == ENOENT ? DK_EX_UNAVAILABLE :
		    DK_EX_NOINPUT, "%s: %s", ib->lpath, strerror(errno));
	if (fstat(fd, &sb) < 0) {
		rc = dk_fail(e, DK_EX_IOERR, "%s: %s", ib->lpath,
		    strerror(errno));
		goto out;
	}
	if ((have = mark_get(ib, &m, e)) < 0) {
		rc = -1;
		goto out;
	}
	ib->rebuilt = 0;
	if (!have || sb.st_size < m.size || !tail_is(fd, (off_t)m.size,
	    m.prev)) {
		ib->rebuilt = 1;
		rc = rebuild(ib, fd, &m, e);
	} else if (sb.st_size == m.size)
		rc = 0;
	else if (flock(fd, LOCK_SH | LOCK_NB) < 0)
		rc = 0;		/* a writer at work: the cache as it is */
	else {
		rc = scan_from(ib, fd, &m, e);
		if (rc < 0 && e->status == DK_EX_DATAERR) {
			/* read again from the start, for its message */
			memset(e, 0, sizeof(*e));
			ib->rebuilt = 1;
			rc = rebuild(ib, fd, &m, e);
		} else if (rc >= 0)
			rc = 0;
	}
	if (rc == 0)
		rc = keys(ib, &m, e);
out:
	close(fd);
	return rc;
}

/* A participant, from the cache into ib->reg (where it is then found):
 * 1, 0 when the ledger has none of this id. */
int
dk_inbox_participant(struct dk_inbox *ib, const char *id, struct dk_err *e)
{
	sqlite3_stmt *st;
	json_t *rec = NULL;
	int rc;

	if (dk_registry_find(&ib->reg, id) != NULL)
		return 1;
	if (sqlite3_prepare_v2(ib->db, "SELECT rec FROM participants WHERE "
	    "id = ?", -1, &st, NULL) != SQLITE_OK)
		return fail(ib, e, "participants");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		rec = dk_parse((const char *)sqlite3_column_text(st, 0),
		    (size_t)sqlite3_column_bytes(st, 0), e);
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return fail(ib, e, "participants");
	if (rec == NULL)
		return -1;
	rc = dk_registry_put(&ib->reg, rec, e);
	json_decref(rec);
	return rc < 0 ? -1 : 1;
}

/* The participant a meter belongs to, into ib->reg: 1, or 0 for none. */
int
dk_inbox_meter(struct dk_inbox *ib, const char *meter, struct dk_err *e)
{
	sqlite3_stmt *st;
	char id[DK_ID_MAX + 1] = "";
	int rc;

	if (dk_registry_meter(&ib->reg, meter) != NULL)
		return 1;
	if (sqlite3_prepare_v2(ib->db, "SELECT participant FROM meters WHERE "
	    "meter = ?", -1, &st, NULL) != SQLITE_OK)
		return fail(ib, e, "meters");
	sqlite3_bind_text(st, 1, meter, -1, SQLITE_TRANSIENT);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		snprintf(id, sizeof(id), "%s", (const char *)
		    sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return fail(ib, e, "meters");
	return dk_inbox_participant(ib, id, e);
}

/* 1 when the ledger has cleared slot t. */
int
dk_inbox_cleared(struct dk_inbox *ib, int64_t t, struct dk_err *e)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(ib->db, "SELECT 1 FROM cleared WHERE slot = ?",
	    -1, &st, NULL) != SQLITE_OK)
		return fail(ib, e, "cleared");
	sqlite3_bind_int64(st, 1, t);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fail(ib, e, "cleared");
	return rc == SQLITE_ROW;
}
