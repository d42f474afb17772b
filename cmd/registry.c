/* denki-registry: who may trade; every change a signed ledger entry. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "denki.h"

static const char *prog = "denki-registry";

static void
usage(int code)
{
	fprintf(code ? stderr : stdout,
	    "usage: denki-registry [-c config] [-D key=value] add ID -k pubkey "
	    "[-m meter]... [-M meter=pubkey]... [-z zone] [-r role]\n"
	    "           [-w max_wh] [-l max_day]\n"
	    "       denki-registry [-c config] [-D key=value] update ID "
	    "[-k pubkey] [-m meter]... [-M meter=pubkey]... [-z zone] "
	    "[-r role]\n"
	    "           [-w max_wh] [-l max_day]\n"
	    "       denki-registry [-c config] [-D key=value] revoke ID\n"
	    "       denki-registry [-c config] [-D key=value] reinstate ID\n"
	    "       denki-registry [-c config] [-D key=value] list\n");
	exit(code);
}

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

static int
fail(struct dk_err *e)
{
	dk_warnx(prog, "%s", e->msg);
	return e->status ? e->status : DK_EX_SOFTWARE;
}

int
main(int argc, char *argv[])
{
	static const struct option lo[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct dk_err e = { 0 };
	struct dk_conf conf;
	struct dk_state st;
	struct dk_ledger l;
	struct dk_key op, pk;
	const struct dk_participant *p;
	const char *cfg = NULL, *keyf = NULL, *zone = NULL, *role = NULL;
	const char *cmd, *id = NULL;
	char **defs = NULL, **meters = NULL, **mkeys = NULL, *lpath = NULL;
	char *b64;
	size_t ndefs = 0, nmeters = 0, nmkeys = 0, i, j;
	json_t *rec, *m, *mk;
	int c;
	long long maxwh = -2, maxday = -2;	/* -2: not given */

	defs = calloc(argc, sizeof(*defs));
	meters = calloc(argc, sizeof(*meters));
	mkeys = calloc(argc, sizeof(*mkeys));
	while ((c = getopt_long(argc, argv, "c:D:k:m:M:z:r:w:l:h", lo,
	    NULL)) != -1)
		switch (c) {
		case 'c':
			cfg = optarg;
			break;
		case 'D':
			defs[ndefs++] = optarg;
			break;
		case 'k':
			keyf = optarg;
			break;
		case 'm':
			meters[nmeters++] = optarg;
			break;
		case 'M':
			if (strchr(optarg, '=') == NULL) {
				dk_warnx(prog, "-M %s: must be meter=pubkey "
				    "(the meter's public key file)", optarg);
				return DK_EX_USAGE;
			}
			mkeys[nmkeys++] = optarg;
			break;
		case 'z':
			zone = optarg;
			break;
		case 'r':
			role = optarg;
			break;
		case 'w':
			if (limit_arg("-w", optarg, DK_MAX_WH, &maxwh) < 0)
				return DK_EX_USAGE;
			break;
		case 'l':
			if (limit_arg("-l", optarg, DK_MAX_SAFE_INT, &maxday) < 0)
				return DK_EX_USAGE;
			break;
		case 'h':
			usage(0);
			break;
		case 'V':
			printf("%s %s\n", prog, DK_VERSION);
			return 0;
		default:
			usage(DK_EX_USAGE);
		}
	if (optind >= argc)
		usage(DK_EX_USAGE);
	cmd = argv[optind++];
	if (strcmp(cmd, "list") == 0) {
		if (optind != argc)
			usage(DK_EX_USAGE);
	} else if (strcmp(cmd, "add") == 0 || strcmp(cmd, "update") == 0 ||
	    strcmp(cmd, "revoke") == 0 || strcmp(cmd, "reinstate") == 0) {
		if (optind != argc - 1)
			usage(DK_EX_USAGE);
		id = argv[optind];
		if (!dk_valid_id(id)) {
			dk_warnx(prog, "%s: an id must be 1 to 32 of "
			    "[A-Za-z0-9._-]", id);
			return DK_EX_USAGE;
		}
	} else {
		dk_warnx(prog, "%s: unknown command (add, update, revoke, "
		    "reinstate, list)", cmd);
		usage(DK_EX_USAGE);
	}
	for (i = 0; i < nmeters; i++)
		if (!dk_valid_id(meters[i])) {
			dk_warnx(prog, "-m %s: a meter id must be 1 to 32 of "
			    "[A-Za-z0-9._-]", meters[i]);
			return DK_EX_USAGE;
		}
	if (strcmp(cmd, "add") == 0 && keyf == NULL) {
		dk_warnx(prog, "add: -k names the participant's public key "
		    "file");
		return DK_EX_USAGE;
	}
	if (dk_init(&e) < 0 ||
	    dk_conf_open(&conf, cfg, DK_CONF_COOP, defs, ndefs, &e) < 0)
		return fail(&e);
	if ((lpath = dk_conf_path(&conf, "ledger", "ledger.jsonl")) == NULL)
		return DK_EX_SOFTWARE;
	dk_state_init(&st);

	if (strcmp(cmd, "list") == 0) {
		FILE *t = fopen(lpath, "r");
		if (t != NULL) {
			fclose(t);
			if (dk_ledger_scan(lpath, NULL, dk_state_apply, &st,
			    &e) < 0)
				return fail(&e);
		}
		for (i = 0; i < st.reg.n; i++) {
			p = &st.reg.p[i];
			m = json_array();
			for (j = 0; j < p->nmeters; j++)
				json_array_append_new(m,
				    json_string(p->meters[j]));
			rec = json_pack("{s:s,s:i,s:s,s:s,s:s,s:s,s:s,s:o}",
			    "type", "participant", "v", 1, "id", p->id,
			    "key", p->key,
			    "zone", p->zone, "role", p->role,
			    "status", p->active ? "active" : "revoked",
			    "meters", m);
			if (p->max_wh >= 0)
				json_object_set_new(rec, "max_wh",
				    json_integer(p->max_wh));
			if (p->max_day >= 0)
				json_object_set_new(rec, "max_day",
				    json_integer(p->max_day));
			mk = json_array();
			for (j = 0; j < p->nmeters; j++)
				if (p->meter_key[j] != NULL)
					json_array_append_new(mk, json_pack(
					    "{s:s,s:s}", "meter", p->meters[j],
					    "key", p->meter_key[j]));
			if (json_array_size(mk) > 0)
				json_object_set(rec, "meter_keys", mk);
			json_decref(mk);
			dk_emit(stdout, rec);
			json_decref(rec);
		}
		dk_state_free(&st);
		return dk_finish_stdout(prog);
	}

	if (dk_conf_key(&conf, "operator.key", 1, &op, &e) < 0)
		return fail(&e);
	if (dk_ledger_open(&l, lpath, &op, dk_state_apply, &st, &e) < 0)
		return fail(&e);
	if (dk_ledger_genesis(&l, dk_conf_str(&conf, "origin", DK_ORIGIN),
	    &e) < 0) {
		dk_ledger_close(&l);
		return fail(&e);
	}
	p = dk_registry_find(&st.reg, id);
	if (strcmp(cmd, "add") == 0 && p != NULL) {
		dk_fail(&e, DK_EX_DATAERR, "%s: already registered; use "
		    "update", id);
		goto out;
	}
	if (strcmp(cmd, "add") != 0 && p == NULL) {
		dk_fail(&e, DK_EX_DATAERR, "%s: not registered", id);
		goto out;
	}
	rec = json_pack("{s:s,s:i,s:s}", "type", "participant", "v", 1,
	    "id", id);
	if (keyf != NULL) {
		if (dk_key_read_pub(&pk, keyf, &e) < 0) {
			json_decref(rec);
			goto out;
		}
		b64 = dk_key_pub_b64(&pk);
	} else
		b64 = strdup(p->key);
	json_object_set_new(rec, "key", json_string(b64));
	free(b64);
	json_object_set_new(rec, "zone", json_string(zone ? zone :
	    p ? p->zone : "main"));
	json_object_set_new(rec, "role", json_string(role ? role :
	    p ? p->role : "prosumer"));
	if (strcmp(cmd, "revoke") == 0 && !p->active) {
		dk_fail(&e, DK_EX_DATAERR, "%s: already revoked", id);
		json_decref(rec);
		goto out;
	}
	if (strcmp(cmd, "reinstate") == 0 && p->active) {
		dk_fail(&e, DK_EX_DATAERR, "%s: not revoked", id);
		json_decref(rec);
		goto out;
	}
	/* update keeps the status: only reinstate lifts a revocation */
	json_object_set_new(rec, "status", json_string(
	    strcmp(cmd, "revoke") == 0 || (strcmp(cmd, "update") == 0 &&
	    !p->active) ? "revoked" : "active"));
	m = json_array();
	if (nmeters > 0)
		for (i = 0; i < nmeters; i++)
			json_array_append_new(m, json_string(meters[i]));
	else if (p != NULL)
		for (i = 0; i < p->nmeters; i++)
			json_array_append_new(m, json_string(p->meters[i]));
	json_object_set_new(rec, "meters", m);
	/* limits: given, or kept from the participant's last record */
	if (maxwh == -2)
		maxwh = p ? p->max_wh : -1;
	if (maxday == -2)
		maxday = p ? p->max_day : -1;
	if (maxwh >= 0)
		json_object_set_new(rec, "max_wh", json_integer(maxwh));
	if (maxday >= 0)
		json_object_set_new(rec, "max_day", json_integer(maxday));
	/* the meters' keys, in the order of the meters: kept for meters
	 * still listed, -M sets one */
	for (i = 0; i < nmkeys; i++) {
		int found = 0;
		*strchr(mkeys[i], '=') = '\0';
		json_array_foreach(json_object_get(rec, "meters"), j, m)
			if (strcmp(json_string_value(m), mkeys[i]) == 0)
				found = 1;
		if (!found) {
			dk_fail(&e, DK_EX_USAGE, "-M %s: not one of %s's "
			    "meters (-m)", mkeys[i], id);
			json_decref(rec);
			goto out;
		}
	}
	mk = json_array();
	json_array_foreach(json_object_get(rec, "meters"), j, m) {
		const char *mid = json_string_value(m), *old = NULL;
		char *nb64 = NULL;
		for (i = 0; i < nmkeys; i++)
			if (strcmp(mkeys[i], mid) == 0) {
				if (dk_key_read_pub(&pk, mkeys[i] +
				    strlen(mkeys[i]) + 1, &e) < 0) {
					dk_failpre(&e, "-M %s", mid);
					json_decref(mk);
					json_decref(rec);
					goto out;
				}
				free(nb64);
				nb64 = dk_key_pub_b64(&pk);
			}
		if (nb64 == NULL && p != NULL)
			old = dk_participant_meter_key(p, mid);
		if (nb64 != NULL || old != NULL)
			json_array_append_new(mk, json_pack("{s:s,s:s}",
			    "meter", mid, "key", nb64 ? nb64 : old));
		free(nb64);
	}
	if (json_array_size(mk) > 0)
		json_object_set(rec, "meter_keys", mk);
	json_decref(mk);
	if (dk_registry_apply(&st.reg, rec, &e) == 0 &&
	    dk_ledger_add(&l, rec, &e) == 0 &&
	    dk_ledger_checkpoint(&l, &e) == 0 && dk_ledger_commit(&l, &e) == 0)
		dk_emit(stdout, rec);
	json_decref(rec);
out:
	dk_ledger_close(&l);
	dk_key_free(&op);
	dk_state_free(&st);
	free(lpath);
	if (e.status != 0)
		return fail(&e);
	return dk_finish_stdout(prog);
}
