#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "denki.h"

/*
 * The ledger is a file of JSON lines, one entry each:
 *   {"prev":H,"rec":{...},"seq":N,"sig":S,"type":"entry","v":1}
 * seq counts from 0; prev is the SHA-256 (hex) of the previous line's bytes
 * without its newline (64 zeros for entry 0); sig is the operator's Ed25519
 * signature over the canonical entry without "sig".  Lines are canonical
 * (sorted keys, compact), so the bytes are the record.
 */

#define ZERO64 "0000000000000000000000000000000000000000000000000000000000000000"

static int
scan_fp(FILE *fp, const char *name, const unsigned char *oppk,
    dk_entry_fn fn, void *ctx, char prev[65], long long *next,
    off_t *good, struct dk_err *e)
{
	struct dk_reader r;
	json_t *v = NULL, *rec;
	char *line, *c, h[65];
	long long seq;
	const char *s;
	long n;

	memset(&r, 0, sizeof(r));
	r.fp = fp;
	r.name = name;
	strcpy(prev, ZERO64);
	*next = 0;
	*good = 0;
	while ((n = dk_reader_next(&r, &line, e)) >= 0) {
		if (r.torn) {
			dk_fail(e, DK_EX_DATAERR, "%s:%ld: torn last line "
			    "(%ld bytes, no newline): an append was cut off; "
			    "see RECOVERY in denki-ledger-verify(1)", name,
			    r.line, n);
			goto fail;
		}
		if ((v = dk_parse(line, n, e)) == NULL)
			goto bad;
		if ((c = dk_canon(v)) == NULL) {
			dk_fail(e, DK_EX_SOFTWARE, "out of memory");
			goto bad;
		}
		if ((size_t)n != strlen(c) || memcmp(c, line, n) != 0) {
			free(c);
			dk_fail(e, DK_EX_DATAERR, "not in canonical form "
			    "(sorted keys, no spaces)");
			goto bad;
		}
		free(c);
		if (dk_check_type(v, "entry", e) < 0)
			goto bad;
		if (dk_get_int(v, "seq", 0, DK_MAX_SAFE_INT, &seq, e) < 0)
			goto bad;
		if (seq != *next) {
			dk_fail(e, DK_EX_DATAERR, "seq: must be %lld, got %lld "
			    "(an entry was deleted, duplicated or moved)",
			    *next, seq);
			goto bad;
		}
		if ((s = dk_get_str(v, "prev", e)) == NULL)
			goto bad;
		if (strcmp(s, prev) != 0) {
			dk_fail(e, DK_EX_DATAERR, "prev: does not match the "
			    "hash of the entry before (the chain is broken)");
			goto bad;
		}
		rec = json_object_get(v, "rec");
		if (!json_is_object(rec) ||
		    !json_is_string(json_object_get(rec, "type"))) {
			dk_fail(e, DK_EX_DATAERR,
			    "rec: must be a record with a type");
			goto bad;
		}
		if (oppk != NULL && dk_verify_record(v, oppk, e) < 0) {
			dk_failpre(e, "operator");
			goto bad;
		}
		if (fn != NULL && fn(ctx, seq, r.line, rec, e) < 0) {
			if (strncmp(e->msg, name, strlen(name)) != 0)
				dk_failpre(e, "%s:%ld: entry %lld", name,
				    r.line, seq);
			goto fail;
		}
		dk_sha256_hex(line, n, h);
		strcpy(prev, h);
		(*next)++;
		*good += n + 1;
		json_decref(v);
		v = NULL;
	}
	if (e->status != 0)
		goto fail;
	free(r.buf);
	return 0;
bad:
	dk_failpre(e, "%s:%ld: entry %lld", name, r.line, *next);
	e->status = DK_EX_DATAERR;
fail:
	json_decref(v);
	free(r.buf);
	return -1;
}

int
dk_ledger_scan(const char *path, const unsigned char *oppk, dk_entry_fn fn,
    void *ctx, struct dk_err *e)
{
	char prev[65];
	long long next;
	off_t good;
	FILE *fp;
	int rc;

	if ((fp = fopen(path, "r")) == NULL)
		return dk_fail(e, DK_EX_NOINPUT, "%s: %s", path,
		    strerror(errno));
	if (flock(fileno(fp), LOCK_SH) < 0) {
		fclose(fp);
		return dk_fail(e, DK_EX_IOERR, "%s: lock: %s", path,
		    strerror(errno));
	}
	rc = scan_fp(fp, path, oppk, fn, ctx, prev, &next, &good, e);
	fclose(fp);
	return rc;
}

/* Opens for appending: one writer at a time (flock), and the callback sees
 * every entry already there, under the lock. */
int
dk_ledger_open(struct dk_ledger *l, const char *path, const struct dk_key *op,
    dk_entry_fn fn, void *ctx, struct dk_err *e)
{
	FILE *fp;
	off_t good;
	int fd2;

	memset(l, 0, sizeof(*l));
	l->fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (l->fd < 0)
		return dk_fail(e, DK_EX_CANTCREAT, "%s: %s", path,
		    strerror(errno));
	if (flock(l->fd, LOCK_EX) < 0) {
		dk_fail(e, DK_EX_IOERR, "%s: lock: %s", path, strerror(errno));
		goto fail;
	}
	if ((fd2 = dup(l->fd)) < 0 || (fp = fdopen(fd2, "r")) == NULL) {
		dk_fail(e, DK_EX_IOERR, "%s: %s", path, strerror(errno));
		goto fail;
	}
	rewind(fp);
	if (scan_fp(fp, path, op->pk, fn, ctx, l->prev, &l->next, &good,
	    e) < 0) {
		fclose(fp);
		goto fail;
	}
	fclose(fp);
	l->path = strdup(path);
	l->op = op;
	l->committed = good;
	return 0;
fail:
	close(l->fd);
	l->fd = -1;
	return -1;
}

int
dk_ledger_add(struct dk_ledger *l, json_t *rec, struct dk_err *e)
{
	json_t *ent;
	char *s, *np;
	size_t n;

	if (dk_profile_check(rec, e) < 0)
		return -1;
	if (l->npend == 0) {
		memcpy(l->base_prev, l->prev, sizeof(l->prev));
		l->base_next = l->next;
	}
	ent = json_pack("{s:s,s:i,s:I,s:s,s:O}", "type", "entry", "v", 1,
	    "seq", (json_int_t)l->next, "prev", l->prev, "rec", rec);
	if (ent == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	if (dk_sign_record(ent, l->op, e) < 0) {
		json_decref(ent);
		return -1;
	}
	s = dk_canon(ent);
	json_decref(ent);
	if (s == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	n = strlen(s);
	if (l->npend + n + 1 > l->cappend) {
		size_t cap = (l->cappend + n + 1) * 2;
		if ((np = realloc(l->pend, cap)) == NULL) {
			free(s);
			return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		}
		l->pend = np;
		l->cappend = cap;
	}
	memcpy(l->pend + l->npend, s, n);
	l->pend[l->npend + n] = '\n';
	l->npend += n + 1;
	dk_sha256_hex(s, n, l->prev);
	l->next++;
	free(s);
	return 0;
}

/* Writes what was added and fsyncs before anyone is told: an append that
 * was acknowledged survives a crash.  On a failed write (a full disk) the
 * file is cut back to the last acknowledged entry. */
int
dk_ledger_commit(struct dk_ledger *l, struct dk_err *e)
{
	size_t off = 0;
	ssize_t w;

	while (off < l->npend) {
		w = write(l->fd, l->pend + off, l->npend - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto fail;
		off += w;
	}
	if (fsync(l->fd) < 0)
		goto fail;
	l->committed += l->npend;
	l->npend = 0;
	return 0;
fail:
	dk_fail(e, DK_EX_IOERR, "%s: write: %s; nothing of this run was "
	    "appended", l->path, strerror(errno ? errno : EIO));
	if (ftruncate(l->fd, l->committed) == 0)
		fsync(l->fd);
	l->npend = 0;
	memcpy(l->prev, l->base_prev, sizeof(l->prev));
	l->next = l->base_next;
	return -1;
}

void
dk_ledger_close(struct dk_ledger *l)
{
	if (l->fd >= 0)
		close(l->fd);	/* releases the lock */
	l->fd = -1;
	free(l->pend);
	free(l->path);
	l->pend = NULL;
	l->path = NULL;
}
