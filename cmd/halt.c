/* denki-halt: the emergency switch: a signed halt of trading (or island
 * mode) for zones and a window, or the lift of one, into the ledger. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "denki.h"
#include "prog.h"

static const char *prog = "denki-halt";
static const char usage[] =
    "usage: denki-halt [-c config] [-D key=value] [-z zone]... --from time "
    "--until time\n"
    "           -m reason [-k key] [--island]\n"
    "       denki-halt [-c config] [-D key=value] --lift id -m reason "
    "[-k key]\n";

enum { FROM = 256, UNTIL, LIFT, ISLAND };
static const struct option lo[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "from", required_argument, NULL, FROM },
	{ "until", required_argument, NULL, UNTIL },
	{ "lift", required_argument, NULL, LIFT },
	{ "island", no_argument, NULL, ISLAND },
	{ NULL, 0, NULL, 0 }
};

/* A window's end, given as RFC 3339, on a slot boundary. */
static int
window(const char *opt, const char *s, int minutes, int64_t *t,
    struct dk_err *e)
{
	if (s == NULL)
		return dk_fail(e, DK_EX_USAGE, "%s: missing", opt);
	if (dk_slot_parse(s, minutes, t, e) < 0) {
		e->status = DK_EX_USAGE;
		return dk_failpre(e, "%s", opt);
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	struct dk_prog P;
	struct dk_err e = { 0 };
	struct dk_coop C;
	struct dk_halt_req q = { 0 };
	struct dk_key k = { 0 };
	const char *from = NULL, *until = NULL, *keyf = NULL, *lift = NULL;
	char *zones[64], *end;
	long long id = -1;
	json_t *rec = NULL, *out = json_array(), *x;
	size_t i;
	int c;

	dk_prog_init(&P, prog, usage, DK_PROG_CONF, argc);
	P.lo = lo;
	P.many = "z";
	while ((c = dk_prog_opt(&P, argc, argv, "z:m:k:")) != -1)
		switch (c) {
		case 'z':
			if (q.nz == sizeof(zones) / sizeof(zones[0])) {
				dk_warnx(prog, "-z: at most 64 zones");
				return DK_EX_USAGE;
			}
			zones[q.nz++] = optarg;
			break;
		case 'm':
			q.reason = optarg;
			break;
		case 'k':
			keyf = optarg;
			break;
		case FROM:
			from = optarg;
			break;
		case UNTIL:
			until = optarg;
			break;
		case LIFT:
			lift = optarg;
			break;
		case ISLAND:
			q.island = 1;
			break;
		default:
			dk_prog_usage(&P, DK_EX_USAGE);
		}
	if (optind != argc || q.reason == NULL || (lift != NULL &&
	    (from != NULL || until != NULL || q.nz > 0 || q.island)))
		dk_prog_usage(&P, DK_EX_USAGE);
	if (q.reason[0] == '\0') {
		dk_warnx(prog, "-m: the reason is empty");
		return DK_EX_USAGE;
	}
	errno = 0;
	if (lift != NULL && ((id = strtoll(lift, &end, 10)) < 1 ||
	    *end != '\0' || errno != 0)) {
		dk_warnx(prog, "--lift %s: must be the entry number of a halt",
		    lift);
		return DK_EX_USAGE;
	}
	q.zones = zones;
	q.time = time(NULL);
	if (dk_prog_coop(&P, &C, DK_COOP_RULES, &e) < 0)
		goto fail;
	if (lift == NULL &&
	    (window("--from", from, C.rules.slot_minutes, &q.from, &e) < 0 ||
	    window("--until", until, C.rules.slot_minutes, &q.until, &e) < 0))
		goto fail;
	if (keyf != NULL && dk_key_read_sec(&k, keyf, &e) < 0)
		goto fail;
	if (dk_coop_open(&C, &e) < 0)
		goto fail;
	if (!C.st.have_rules) {
		dk_fail(&e, DK_EX_DATAERR, "%s: no rules entry yet: a halt "
		    "needs the slots and zones of the rules in force "
		    "(contract-sign writes them before the first contracts)",
		    C.lpath);
		goto fail;
	}
	rec = lift != NULL ? dk_halt_lift_make(&C.st, id, q.reason, q.time,
	    NULL, keyf != NULL ? &k : &C.op, &e) : dk_halt_make(&C.st, &q,
	    keyf != NULL ? &k : &C.op, &e);
	if (rec == NULL)
		goto fail;
	id = C.l.next;
	if (dk_halt_append(&C.l, &C.st, rec, out, &e) < 0 ||
	    dk_ledger_finish(&C.l, 0, &e) < 0)
		goto fail;
	if (lift == NULL)
		dk_warnx(prog, "halt at entry %lld: %zu contract%s cancelled",
		    id, json_array_size(out) - 1,
		    json_array_size(out) == 2 ? "" : "s");
	json_array_foreach(out, i, x)
		dk_emit(stdout, x);
	json_decref(rec);
	json_decref(out);
	dk_key_free(&k);
	dk_coop_free(&C);
	dk_prog_free(&P);
	return dk_finish_stdout(prog);
fail:
	dk_key_free(&k);
	return dk_prog_fail(&P, &e);
}
