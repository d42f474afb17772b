/* denki-registry: who may trade; every change a signed ledger entry, a
 * member's key, meters and meter keys by the member's signed request. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "denki.h"
#include "prog.h"

static const char *prog = "denki-registry";
static const char usage[] =
    "usage: denki-registry request ID -s key [-K old.key] [-m meter]... "
    "[-M meter=pubkey]...\n"
    "           [-z zone] [-r role] [-t time]\n"
    "       denki-registry [-c config] [-D key=value] add [-w max_wh] "
    "[-l max_day]\n"
    "           [-S scope] [-C capacity_wh] [request ...]\n"
    "       denki-registry [-c config] [-D key=value] rekey [request]\n"
    "       denki-registry [-c config] [-D key=value] update ID [-z zone] "
    "[-r role] [-w max_wh]\n"
    "           [-l max_day] [-S scope] [-C capacity_wh]\n"
    "       denki-registry [-c config] [-D key=value] revoke ID\n"
    "       denki-registry [-c config] [-D key=value] reinstate ID\n"
    "       denki-registry [-c config] [-D key=value] recover ID -k pubkey "
    "-R reason [-t time]\n"
    "       denki-registry countersign -s recovery.key [recovery]\n"
    "       denki-registry [-c config] [-D key=value] log [-H] ID\n"
    "       denki-registry [-c config] [-D key=value] list\n";

/* The registry replayed; for log, a member's records, each against the last */
struct logctx {
	struct dk_state *st;
	const char *id;		/* NULL: no history */
	json_t *prev;
	int human;
};

static int
replay(void *ctx, long long seq, long line, json_t *rec, struct dk_err *e)
{
	struct logctx *lc = ctx;
	const char *id = json_string_value(json_object_get(rec, "id"));
	char *t = NULL;
	json_t *h;

	if (dk_state_apply(lc->st, seq, line, rec, e) < 0)
		return -1;
	if (lc->id == NULL || id == NULL || strcmp(id, lc->id) != 0 ||
	    strcmp(json_string_value(json_object_get(rec, "type")),
	    "participant") != 0)
		return 0;
	h = dk_registry_history(lc->prev, rec, seq);
	if (!lc->human)
		dk_emit(stdout, h);
	else if ((t = dk_history_text(h)) != NULL)
		fputs(t, stdout);
	free(t);
	json_decref(h);
	json_decref(lc->prev);
	lc->prev = json_incref(rec);
	return 0;
}

/* request (on the member's machine) and countersign (on the recovery
 * key holder's, who is shown what it signs): a record on stdout. */
static int
offline(const char *cmd, struct dk_request *q, const char *skey,
    const char *okey, const char *file, struct dk_err *e)
{
	struct dk_key k = { 0 }, o = { 0 };
	json_t *r = NULL;
	char *what = NULL;

	if (dk_init(e) == 0 && dk_key_read_sec(&k, skey, e) == 0 &&
	    (okey == NULL || dk_key_read_sec(&o, okey, e) == 0)) {
		q->key = &k;
		q->old = okey != NULL ? &o : NULL;
		if (strcmp(cmd, "request") == 0)
			r = dk_request_make(q, e);
		else if ((r = dk_request_read(file, e)) != NULL &&
		    dk_recovery_countersign(r, &k, &what, e) < 0) {
			json_decref(r);
			r = NULL;
		}
	}
	if (what != NULL)
		dk_warnx(prog, "countersigned: %s", what);
	if (r != NULL)
		dk_emit(stdout, r);
	free(what);
	json_decref(r);
	dk_key_free(&k);
	dk_key_free(&o);
	return r != NULL ? 0 : -1;
}

static int
timearg(const char *s, int64_t *t)
{
	struct dk_err e = { 0 };

	if (s == NULL) {
		*t = (int64_t)time(NULL);
		return 0;
	}
	if (dk_time_parse(s, t, &e) == 0)
		return 0;
	dk_warnx(prog, "-t %s: %s", s, e.msg);
	return -1;
}

int
main(int argc, char *argv[])
{
	struct dk_prog P;
	struct dk_err e = { 0 };
	struct dk_coop C;
	/* static: its arrays, made below, are the run's, kept to its end */
	static struct dk_regedit x = { .max_wh = -2, .max_day = -2 };
	struct dk_request q = { 0 };
	struct dk_key nk;
	struct logctx lc = { 0 };
	long long scope = -1, cap = -2;
	const char *cmd, *skey = NULL, *okey = NULL, *reason = NULL, *tm = NULL;
	const char *file = "-";
	char given[64] = "";
	json_t *rec = NULL;
	size_t i;
	int c;

	dk_prog_init(&P, prog, usage, DK_PROG_CONF, argc);
	P.many = "mM";
	x.meters = calloc(argc, sizeof(*x.meters));
	x.mkeys = calloc(argc, sizeof(*x.mkeys));
	while ((c = dk_prog_opt(&P, argc, argv,
	    "k:m:M:z:r:w:l:s:K:R:t:HS:C:")) != -1) {
		if (strchr(given, c) == NULL && strlen(given) < 20)
			given[strlen(given)] = (char)c;
		switch (c) {	/* which command takes which: regedit.c */
		case 'k': x.keyf = optarg; break;
		case 'm': x.meters[x.nmeters++] = optarg; break;
		case 'M': x.mkeys[x.nmkeys++] = optarg; break;
		case 'z': x.zone = optarg; break;
		case 'r': x.role = optarg; break;
		case 's': skey = optarg; break;
		case 'K': okey = optarg; break;
		case 'R': reason = optarg; break;
		case 't': tm = optarg; break;
		case 'H': lc.human = 1; break;
		case 'w': case 'l': case 'S': case 'C':
			if (dk_regedit_limit(c, optarg, c == 'w' ? &x.max_wh :
			    c == 'l' ? &x.max_day : c == 'S' ? &scope : &cap,
			    &e) < 0) {
				dk_warnx(prog, "%s", e.msg);
				return DK_EX_USAGE;
			}
			break;
		}
	}
	if (optind >= argc)
		dk_prog_usage(&P, DK_EX_USAGE);
	x.cmd = cmd = argv[optind++];
	if (dk_regedit_check(cmd, given, argc - optind, argv + optind,
	    &e) < 0) {
		if (e.msg[0] != '\0')
			dk_warnx(prog, "%s", e.msg);
		if (e.msg[0] == '\0' || strstr(e.msg, "unknown command"))
			dk_prog_usage(&P, DK_EX_USAGE);
		return e.status;
	}
	if (optind < argc)
		file = x.id = argv[optind];
	q = (struct dk_request){ .id = x.id, .meters = x.meters,
	    .nmeters = x.nmeters, .mkeys = x.mkeys, .nmkeys = x.nmkeys,
	    .zone = x.zone, .role = x.role };
	if (timearg(tm, &q.time) < 0)
		return DK_EX_USAGE;
	if (strcmp(cmd, "request") == 0 || strcmp(cmd, "countersign") == 0) {
		if (offline(cmd, &q, skey, okey, file, &e) < 0)
			return dk_prog_fail(&P, &e);
		return dk_finish_stdout(prog);
	}
	if (dk_prog_coop(&P, &C, 0, &e) < 0)
		return dk_prog_fail(&P, &e);
	lc.st = &C.st;
	if (strcmp(cmd, "list") == 0 || strcmp(cmd, "log") == 0 ||
	    strcmp(cmd, "recover") == 0) {
		lc.id = strcmp(cmd, "log") == 0 ? x.id : NULL;
		if (access(C.lpath, F_OK) != 0 ||
		    dk_ledger_scan(C.lpath, NULL, replay, &lc, &e) == 0) {
			if (strcmp(cmd, "list") == 0)
				for (i = 0; i < C.st.reg.n; i++) {
					rec = dk_participant_json(
					    C.st.reg.p + i);
					dk_emit(stdout, rec);
					json_decref(rec);
				}
			else if (strcmp(cmd, "log") == 0 && lc.prev == NULL)
				dk_fail(&e, DK_EX_NO, "%s: not registered",
				    x.id);
			else if (strcmp(cmd, "recover") == 0 &&
			    dk_key_read_pub(&nk, x.keyf, &e) == 0 &&
			    (rec = dk_registry_recovery(&C.st.reg, x.id, &nk,
			    reason, q.time, &e)) != NULL)
				dk_emit(stdout, rec);
		}
	} else if (dk_coop_open(&C, &e) == 0) {
		do {	/* add: each request in turn, as a run of its own */
			json_decref(rec);
			if (strcmp(cmd, "add") == 0 || strcmp(cmd, "rekey") ==
			    0) {
				if ((rec = dk_request_read(file, &e)) != NULL) {
					json_t *r = dk_registry_request(
					    &C.st.reg, rec, file, *cmd == 'a',
					    x.max_wh, x.max_day, &e);
					json_decref(rec);
					rec = r;
				}
			} else
				rec = dk_registry_edit(&C.st.reg, &x, &e);
			if (rec != NULL && dk_registry_scope(rec, scope >= 0,
			    scope, &e) == 0 && dk_registry_capacity(rec,
			    cap != -2, cap, &e) == 0 &&
			    dk_registry_apply(&C.st.reg, rec, &e) == 0 &&
			    dk_ledger_add(&C.l, rec, &e) == 0 &&
			    dk_ledger_finish(&C.l, 0, &e) == 0)
				dk_emit(stdout, rec);
		} while (e.status == 0 && *cmd == 'a' && ++optind < argc &&
		    (file = argv[optind]) != NULL);
	}
	if (strcmp(cmd, "list") != 0)
		json_decref(rec);
	json_decref(lc.prev);
	dk_coop_free(&C);
	if (e.status != 0)
		return dk_prog_fail(&P, &e);
	return dk_finish_stdout(prog);
}
