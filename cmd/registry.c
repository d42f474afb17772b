/* denki-registry: who may trade; every change a signed ledger entry. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "denki.h"
#include "prog.h"

static const char *prog = "denki-registry";
static const char usage[] =
    "usage: denki-registry [-c config] [-D key=value] add ID -k pubkey "
    "[-m meter]... [-M meter=pubkey]... [-z zone] [-r role]\n"
    "           [-w max_wh] [-l max_day]\n"
    "       denki-registry [-c config] [-D key=value] update ID "
    "[-k pubkey] [-m meter]... [-M meter=pubkey]... [-z zone] "
    "[-r role]\n"
    "           [-w max_wh] [-l max_day]\n"
    "       denki-registry [-c config] [-D key=value] revoke ID\n"
    "       denki-registry [-c config] [-D key=value] reinstate ID\n"
    "       denki-registry [-c config] [-D key=value] list\n";

/* -w and -l: an integer in range, or "none" (-1) */
static int
limit_arg(const char *opt, const char *s, long long max, long long *out)
{
	char *end;

	if (strcmp(s, "none") == 0) {
		*out = -1;
		return 0;
	}
	errno = 0;
	*out = strtoll(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || *out < 0 ||
	    *out > max) {
		dk_warnx(prog, "%s %s: must be 0 to %lld, or none", opt, s,
		    max);
		return -1;
	}
	return 0;
}

/* list: every participant as the registry holds it now */
static int
list(const char *lpath, struct dk_state *st, struct dk_err *e)
{
	FILE *t = fopen(lpath, "r");
	json_t *rec;
	size_t i;

	if (t != NULL) {
		fclose(t);
		if (dk_ledger_scan(lpath, NULL, dk_state_apply, st, e) < 0)
			return -1;
	}
	for (i = 0; i < st->reg.n; i++) {
		rec = dk_participant_json(&st->reg.p[i]);
		dk_emit(stdout, rec);
		json_decref(rec);
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	struct dk_prog P;
	struct dk_err e = { 0 };
	struct dk_coop C;
	struct dk_regedit x = { .max_wh = -2, .max_day = -2 };
	const char *cmd;
	size_t i;
	json_t *rec;
	int c;

	dk_prog_init(&P, prog, usage, DK_PROG_CONF, argc);
	x.meters = calloc(argc, sizeof(*x.meters));
	x.mkeys = calloc(argc, sizeof(*x.mkeys));
	while ((c = dk_prog_opt(&P, argc, argv, "k:m:M:z:r:w:l:")) != -1)
		switch (c) {
		case 'k':
			x.keyf = optarg;
			break;
		case 'm':
			x.meters[x.nmeters++] = optarg;
			break;
		case 'M':
			if (strchr(optarg, '=') == NULL) {
				dk_warnx(prog, "-M %s: must be meter=pubkey "
				    "(the meter's public key file)", optarg);
				return DK_EX_USAGE;
			}
			x.mkeys[x.nmkeys++] = optarg;
			break;
		case 'z':
			x.zone = optarg;
			break;
		case 'r':
			x.role = optarg;
			break;
		case 'w':
			if (limit_arg("-w", optarg, DK_MAX_WH, &x.max_wh) < 0)
				return DK_EX_USAGE;
			break;
		case 'l':
			if (limit_arg("-l", optarg, DK_MAX_SAFE_INT,
			    &x.max_day) < 0)
				return DK_EX_USAGE;
			break;
		}
	if (optind >= argc)
		dk_prog_usage(&P, DK_EX_USAGE);
	x.cmd = cmd = argv[optind++];
	if (strcmp(cmd, "list") == 0) {
		if (optind != argc)
			dk_prog_usage(&P, DK_EX_USAGE);
	} else if (strcmp(cmd, "add") == 0 || strcmp(cmd, "update") == 0 ||
	    strcmp(cmd, "revoke") == 0 || strcmp(cmd, "reinstate") == 0) {
		if (optind != argc - 1)
			dk_prog_usage(&P, DK_EX_USAGE);
		x.id = argv[optind];
		if (!dk_valid_id(x.id)) {
			dk_warnx(prog, "%s: an id must be 1 to 32 of "
			    "[A-Za-z0-9._-]", x.id);
			return DK_EX_USAGE;
		}
	} else {
		dk_warnx(prog, "%s: unknown command (add, update, revoke, "
		    "reinstate, list)", cmd);
		dk_prog_usage(&P, DK_EX_USAGE);
	}
	for (i = 0; i < x.nmeters; i++)
		if (!dk_valid_id(x.meters[i])) {
			dk_warnx(prog, "-m %s: a meter id must be 1 to 32 of "
			    "[A-Za-z0-9._-]", x.meters[i]);
			return DK_EX_USAGE;
		}
	if (strcmp(cmd, "add") == 0 && x.keyf == NULL) {
		dk_warnx(prog, "add: -k names the participant's public key "
		    "file");
		return DK_EX_USAGE;
	}
	if (dk_prog_coop(&P, &C, 0, &e) < 0)
		return dk_prog_fail(&P, &e);
	if (strcmp(cmd, "list") == 0) {
		if (list(C.lpath, &C.st, &e) < 0)
			return dk_prog_fail(&P, &e);
		dk_coop_free(&C);
		return dk_finish_stdout(prog);
	}

	if (dk_coop_open(&C, &e) == 0 &&
	    (rec = dk_registry_edit(&C.st.reg, &x, &e)) != NULL) {
		if (dk_registry_apply(&C.st.reg, rec, &e) == 0 &&
		    dk_ledger_add(&C.l, rec, &e) == 0 &&
		    dk_ledger_finish(&C.l, 0, &e) == 0)
			dk_emit(stdout, rec);
		json_decref(rec);
	}
	dk_coop_free(&C);
	if (e.status != 0)
		return dk_prog_fail(&P, &e);
	return dk_finish_stdout(prog);
}
