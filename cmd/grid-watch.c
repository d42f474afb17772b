/* denki-grid-watch: grid telemetry (JSON lines: files, a pipe, or an HTTP
 * URL polled) judged against coop.yaml's grid.* bands: a zone out of them
 * halted, lifted when stable; each decision a signed ledger entry. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "denki.h"
#include "prog.h"

static const char *prog = "denki-grid-watch";
static const char usage[] =
    "usage: denki-grid-watch [-c config] [-D key=value] [-k key] "
    "[-i seconds] [-N polls]\n"
    "           [telemetry ... | url]\n";

struct watch {
	struct dk_prog *P;
	struct dk_gw g;
	const char *keyf;
	int bad;		/* a line skipped */
	int down;		/* a poll of the URL failed */
};

/* One decision into the ledger, opened for it alone (clear and settle
 * are not kept waiting), its records on stdout. */
static int
decide(struct watch *w, int what, size_t zi, const char *why, json_t *tel,
    struct dk_err *e)
{
	struct dk_coop W;
	struct dk_key k = { 0 };
	json_t *rec = NULL, *out = json_array(), *x;
	long long seq;
	size_t i;
	int rc = -1;

	if (dk_prog_coop(w->P, &W, DK_COOP_RULES, e) < 0 ||
	    (w->keyf != NULL && dk_key_read_sec(&k, w->keyf, e) < 0) ||
	    dk_coop_open(&W, e) < 0)
		goto out;
	rec = dk_gw_decision(&w->g, &W.st, what, zi, why, tel,
	    (int64_t)time(NULL), w->keyf ? &k : &W.op, e);
	seq = W.l.next;
	if (rec == NULL || dk_halt_append(&W.l, &W.st, rec, out, e) < 0 ||
	    dk_ledger_finish(&W.l, 0, e) < 0)
		goto out;
	if (what == DK_GW_HALT)
		w->g.z[zi].seq = seq;
	dk_warnx(prog, "zone %s %s at entry %lld: %s", w->g.z[zi].zone,
	    what == DK_GW_HALT ? "halted" : "lifted", seq, why);
	json_array_foreach(out, i, x)
		dk_emit(stdout, x);
	fflush(stdout);
	rc = 0;
out:
	json_decref(rec);
	json_decref(out);
	dk_key_free(&k);
	dk_coop_free(&W);
	return rc;
}

/* One line of telemetry from where (file:line): a bad one is named and
 * skipped (the run exits 65); -1 only when a decision was not written. */
static int
line(struct watch *w, const char *s, size_t n, const char *where, int poll,
    struct dk_err *e)
{
	struct dk_gw_said o;
	int rc;

	if ((rc = dk_gw_line(&w->g, s, n, where, poll, &o, e)) < 0) {
		dk_warnx(prog, "%s: skipped: %s", where, e->msg);
		memset(e, 0, sizeof(*e));
		w->bad = 1;
		return 0;
	}
	if (rc & DK_GW_GAP)
		dk_warnx(prog, "%s: %s: the stable period starts again", where,
		    o.gap);
	rc &= DK_GW_HALT | DK_GW_LIFT;
	if (rc != 0 && decide(w, rc, o.zone, o.why, o.tel, e) < 0)
		rc = -1;
	json_decref(o.tel);
	return rc < 0 ? -1 : 0;
}

/* The URL's body every interval seconds, polls times (0: for ever). */
static int
poll_url(struct watch *w, const char *url, long interval, long polls,
    struct dk_err *e)
{
	char *body, *p, *nl, where[600];
	size_t len;
	long i, lno = 0;

	for (i = 0; polls == 0 || i < polls; i++) {
		if (i > 0)
			sleep(interval);
		if (dk_http_get(url, 10, 0, NULL, NULL, &body, &len, e) < 0) {
			dk_warnx(prog, "%s", e->msg);
			memset(e, 0, sizeof(*e));
			w->down = 1;
			continue;
		}
		for (p = body; p < body + len; p = nl + 1) {
			if ((nl = memchr(p, '\n', body + len - p)) == NULL)
				nl = body + len;
			snprintf(where, sizeof(where), "%s:%ld", url, ++lno);
			if (nl > p && line(w, p, nl - p, where, 1, e) < 0) {
				free(body);
				return -1;
			}
		}
		free(body);
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	struct dk_prog P;
	struct dk_err e = { 0 };
	struct dk_coop C;
	struct dk_gw_conf gc;
	struct dk_reader rd;
	struct watch w = { 0 };
	long interval = 10, polls = 0, n;
	char *s, *end, where[600];
	int c, argi;

	dk_prog_init(&P, prog, usage, DK_PROG_CONF, argc);
	while ((c = dk_prog_opt(&P, argc, argv, "k:i:N:")) != -1) {
		if (c == 'k') {
			w.keyf = optarg;
			continue;
		}
		errno = 0;
		n = strtol(optarg, &end, 10);
		if (*optarg == '\0' || *end != '\0' || n < (c == 'i') ||
		    errno != 0 || n > INT_MAX)
			dk_prog_usage(&P, DK_EX_USAGE);
		*(c == 'i' ? &interval : &polls) = n;
	}
	w.P = &P;
	if (dk_prog_coop(&P, &C, DK_COOP_RULES, &e) < 0 ||
	    dk_gw_conf(&gc, &C.conf, &e) < 0 ||
	    (access(C.lpath, F_OK) == 0 &&
	    dk_ledger_scan(C.lpath, NULL, dk_state_apply, &C.st, &e) < 0))
		goto fail;
	if (!C.st.have_rules) {
		dk_fail(&e, DK_EX_DATAERR, "%s: no rules entry yet: the zones "
		    "and links are those of the rules in force", C.lpath);
		goto fail;
	}
	if (dk_gw_init(&w.g, &gc, &C.st, (int64_t)time(NULL), &e) < 0)
		goto fail;
	dk_prog_need_input(&P, argc, "telemetry");
	for (argi = optind; argi < argc || argi == optind; argi++) {
		if (argi < argc && (strncmp(argv[argi], "http://", 7) == 0 ||
		    strncmp(argv[argi], "https://", 8) == 0)) {
			if (poll_url(&w, argv[argi], interval, polls, &e) < 0)
				goto fail;
			continue;
		}
		if (dk_reader_open(&rd, argi < argc ? argv[argi] : "-",
		    &e) < 0)
			goto fail;
		while ((n = dk_reader_next(&rd, &s, &e)) >= 0) {
			snprintf(where, sizeof(where), "%s:%ld", rd.name,
			    rd.line);
			if (n > 0 && line(&w, s, n, where, 0, &e) < 0)
				goto fail;
		}
		if (e.status != 0)
			goto fail;
		dk_reader_close(&rd);
		if (argi >= argc)
			break;
	}
	dk_gw_free(&w.g);
	dk_coop_free(&C);
	dk_prog_free(&P);
	c = dk_finish_stdout(prog);
	return c ? c : w.bad ? DK_EX_DATAERR : w.down ? DK_EX_UNAVAILABLE :
	    DK_EX_OK;
fail:
	return dk_prog_fail(&P, &e);
}
