/* denki-ledger-recover: cut an unacknowledged tail after a crash. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "denki.h"
#include "prog.h"

static const char *prog = "denki-ledger-recover";
static const char usage[] =
    "usage: denki-ledger-recover [-n] [-c config] [-D key=value] "
    "[-p operator.pub]\n";

/*
 * Every writer ends what it appends with a checkpoint and fsyncs before it
 * says anything, so whatever follows the last good checkpoint was never
 * acknowledged: a torn line, or whole lines of a run that was cut off.
 * That tail is cut.  A crash leaves whole good lines and at most one torn
 * last line; any other fault is damage, not a crash, and nothing is changed.
 */
int
main(int argc, char *argv[])
{
	struct dk_prog P;
	struct dk_err e = { 0 }, scan = { 0 };
	struct dk_coop C;
	struct dk_scaninfo si;
	struct dk_key op;
	const char *pub = NULL;
	off_t size, keep;
	int c, fd, rc;
	json_t *out;

	dk_prog_init(&P, prog, usage, DK_PROG_CONF | DK_PROG_DRY, argc);
	while ((c = dk_prog_opt(&P, argc, argv, "p:")) != -1)
		pub = optarg;
	if (optind != argc)
		dk_prog_usage(&P, DK_EX_USAGE);
	if (dk_prog_coop(&P, &C, 0, &e) < 0)
		return dk_prog_fail(&P, &e);
	/* it signs nothing, so it reads the public key, never the secret */
	if (pub == NULL && dk_conf_str(&C.conf, "operator.pub", NULL) == NULL) {
		dk_fail(&e, DK_EX_CONFIG, "%s: operator.pub: missing: the "
		    "operator's public key, which checks the ledger "
		    "(ledger-recover never reads the secret key "
		    "operator.key); or give -p", C.conf.path ? C.conf.path :
		    "config");
		return dk_prog_fail(&P, &e);
	}
	if (pub != NULL ? dk_key_read_pub(&op, pub, &e) < 0 :
	    dk_conf_key(&C.conf, "operator.pub", 0, &op, &e) < 0)
		return dk_prog_fail(&P, &e);
	/* the writers' lock: nobody appends while the tail is cut */
	if ((fd = open(C.lpath, O_RDWR | O_CLOEXEC)) < 0) {
		dk_fail(&e, errno == ENOENT ? DK_EX_NOINPUT : DK_EX_CANTCREAT,
		    "%s: %s", C.lpath, strerror(errno));
		return dk_prog_fail(&P, &e);
	}
	if (flock(fd, LOCK_EX) < 0) {
		dk_fail(&e, DK_EX_IOERR, "%s: lock: %s", C.lpath,
		    strerror(errno));
		return dk_prog_fail(&P, &e);
	}
	size = lseek(fd, 0, SEEK_END);
	memset(&si, 0, sizeof(si));
	rc = dk_ledger_scan_fd(fd, C.lpath, op.pk, NULL, NULL, &si, &scan);
	if (rc < 0 && scan.status != DK_EX_DATAERR)
		return dk_prog_fail(&P, &scan);
	if (si.origin[0] == '\0' && si.entries > 0) {
		dk_warnx(prog, "%s: no genesis entry (a ledger of an older "
		    "denki, or not a ledger): no checkpoint to recover to; "
		    "nothing changed", C.lpath);
		return DK_EX_NO;
	}
	/* a crash leaves a prefix of what was written: whole good lines,
	 * then at most one torn last line.  Anything else is damage. */
	if (rc < 0 && !si.torn) {
		dk_warnx(prog, "%s", scan.msg);
		dk_warnx(prog, "%s: damaged, not cut short by a crash; nothing "
		    "changed", C.lpath);
		return DK_EX_NO;
	}
	keep = si.note != NULL ? si.note_end : 0;
	if (rc == 0 && keep == size) {
		out = json_pack("{s:s,s:i,s:s,s:I,s:I,s:I}", "type",
		    "recovery", "v", 1, "ledger", C.lpath, "entries",
		    (json_int_t)si.entries, "dropped_entries", (json_int_t)0,
		    "dropped_bytes", (json_int_t)0);
		dk_emit(stdout, out);
		json_decref(out);
		return dk_finish_stdout(prog);
	}
	if (rc < 0)
		dk_warnx(prog, "%s", scan.msg);
	dk_warnx(prog, "%s: %s %lld bytes after the last checkpoint "
	    "(entry %lld): an append that was never acknowledged",
	    C.lpath, P.dry ? "would cut" : "cutting", (long long)(size - keep),
	    si.note != NULL ? si.note_seq : -1);
	if (!P.dry && (ftruncate(fd, keep) < 0 || fsync(fd) < 0)) {
		dk_fail(&e, DK_EX_IOERR, "%s: %s", C.lpath, strerror(errno));
		return dk_prog_fail(&P, &e);
	}
	out = json_pack("{s:s,s:i,s:s,s:I,s:I,s:I}", "type", "recovery",
	    "v", 1, "ledger", C.lpath, "entries",
	    (json_int_t)(si.note != NULL ? si.note_seq + 1 : 0),
	    "dropped_entries", (json_int_t)(si.entries - (si.note != NULL ?
	    si.note_seq + 1 : 0) + (rc < 0 ? 1 : 0)),
	    "dropped_bytes", (json_int_t)(size - keep));
	dk_emit(stdout, out);
	json_decref(out);
	close(fd);
	return dk_finish_stdout(prog);
}
