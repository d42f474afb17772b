/*
 * deliver.c: the spool's records handed out at least once, oldest first,
 * each marked delivered only once its reader has it; and the writer of
 * stdout that knows when a reader has taken a line.
 */
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

/*
 * A write to a pipe succeeds once the kernel holds the bytes, before any
 * reader has them: a reader that goes away (head -n 1, a kill) leaves
 * them unread.  So a line is handed only when the one before it has been
 * taken out of the pipe, and counts as delivered only once taken; when
 * the reader closes with it still in the pipe, it ends us as a write to a
 * closed pipe would (SIGPIPE, or 74 when that is ignored).
 */
static int
taken(int fd, struct dk_err *e)
{
	struct stat sb;
	struct pollfd p;
	struct timespec ts = { 0, 20000 };
	int n;

	if (fstat(fd, &sb) < 0 || !S_ISFIFO(sb.st_mode))
		return 0;
	for (;;) {
		if (ioctl(fd, FIONREAD, &n) < 0 || n == 0)
			return 0;
		p.fd = fd;
		p.events = 0;
		p.revents = 0;
		if (ppoll(&p, 1, &ts, NULL) > 0 &&
		    (p.revents & (POLLERR | POLLHUP | POLLNVAL)) != 0 &&
		    ioctl(fd, FIONREAD, &n) == 0 && n > 0) {
			raise(SIGPIPE);
			errno = EPIPE;
			return dk_fail(e, DK_EX_IOERR, "write error on stdout: "
			    "%s (%d bytes unread)", strerror(errno), n);
		}
		if (ts.tv_nsec < 5000000)
			ts.tv_nsec *= 2;
	}
}

/* A line to stdout, as dk_db_deliver hands it (NULL: the batch is done):
 * delivered once its reader has it, and on the disk before it is marked
 * so when stdout is a file. */
int
dk_stdout_line(void *ctx, const char *line, struct dk_err *e)
{
	struct stat sb;
	off_t off = -1;
	int err;

	(void)ctx;
	/* a file that fills up keeps no half line: cut back to the last
	 * whole one */
	if (line != NULL && fstat(fileno(stdout), &sb) == 0 &&
	    S_ISREG(sb.st_mode))
		off = lseek(fileno(stdout), 0, SEEK_CUR);
	/* one write(2) a line: a kill never leaves half of one */
	if ((line != NULL && (fputs(line, stdout) == EOF ||
	    putchar('\n') == EOF)) || fflush(stdout) != 0) {
		err = errno;
		if (off >= 0 && ftruncate(fileno(stdout), off) == 0)
			lseek(fileno(stdout), off, SEEK_SET);
		return dk_fail(e, DK_EX_IOERR, "write error on stdout: %s",
		    strerror(err));
	}
	if (line != NULL)
		return taken(fileno(stdout), e);
	/* a file: on the disk before the lines are marked delivered */
	if (fsync(fileno(stdout)) < 0 && errno != EINVAL && errno != EROFS &&
	    errno != ENOTSUP)
		return dk_fail(e, DK_EX_IOERR, "write error on stdout: %s",
		    strerror(errno));
	return 0;
}
