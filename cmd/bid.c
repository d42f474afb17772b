/* denki-bid: a household's readings become signed orders for the next slot. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "denki.h"

static const char *prog = "denki-bid";

static void
usage(int code)
{
	fprintf(code ? stderr : stdout,
	    "usage: denki-bid [-fkn] [-c config] [-D key=value] [-s slot [-N count]] "
	    "[readings ...]\n");
	exit(code);
}

struct bidder {
	struct dk_rules rules;
	struct dk_key key;
	struct dk_db *db;
	const char *participant;
	char **meters;
	size_t nmeters;
	long long min_wh, sell_markup, buy_markdown;
	int force, dry;
	int64_t *targets;
	size_t ntargets;
};

static int
ours(const struct bidder *b, const char *m)
{
	size_t i;

	for (i = 0; i < b->nmeters; i++)
		if (strcmp(b->meters[i], m) == 0)
			return 1;
	return 0;
}

/*
 * The forecast is the same slot yesterday; the limits sit inside the
 * spread between buyback and retail: a seller asks buyback plus
 * sell_markup percent of the spread, a buyer bids retail minus the fee
 * minus buy_markdown percent of what is left above buyback.
 */
static int
bid(struct bidder *b, int64_t target, struct dk_err *e)
{
	const struct dk_rules *r = &b->rules;
	int64_t net, wh, price, top;
	char ts[40], yts[40];
	json_t *o;
	int rc;

	dk_time_format(target, r->tz, ts, sizeof(ts));
	if (!b->force && !b->dry) {
		if ((rc = dk_db_order_sent(b->db, target, e)) < 0)
			return -1;
		if (rc == 1) {
			dk_warnx(prog, "slot %s: already bid for; -f bids "
			    "again", ts);
			return 0;
		}
	}
	rc = dk_db_get_net(b->db, (const char *const *)b->meters, b->nmeters,
	    target - 86400, &net, e);
	if (rc < 0)
		return -1;
	if (rc == 1) {
		dk_time_format(target - 86400, r->tz, yts, sizeof(yts));
		dk_warnx(prog, "slot %s: no reading of %s yet to forecast "
		    "from; no order", ts, yts);
		return 0;
	}
	wh = net < 0 ? -net : net;
	if (wh < b->min_wh || wh == 0)
		return 0;
	if (wh > DK_MAX_WH)
		wh = DK_MAX_WH;
	/* the rules and the percentages are in range, so the price lies
	 * between buyback and retail, both at most DK_MAX_PRICE */
	if (net > 0) {
		if (dk_muldiv(r->retail - r->buyback, b->sell_markup, 100,
		    &price) < 0)
			return dk_fail(e, DK_EX_SOFTWARE, "price: overflow");
		price += r->buyback;
	} else {
		top = r->retail - r->fee;
		if (top < r->buyback)
			top = r->buyback;
		if (dk_muldiv(top - r->buyback, b->buy_markdown, 100,
		    &price) < 0)
			return dk_fail(e, DK_EX_SOFTWARE, "price: overflow");
		price = top - price;
	}
	o = json_pack("{s:s,s:i,s:s,s:s,s:s,s:I,s:I}", "type", "order",
	    "v", 1, "participant", b->participant, "slot", ts,
	    "side", net > 0 ? "sell" : "buy", "wh", (json_int_t)wh,
	    "price", (json_int_t)price);
	if (o == NULL || dk_sign_record(o, &b->key, e) < 0) {
		json_decref(o);
		return -1;
	}
	if (!b->dry) {
		char *c = dk_canon(o), id[65];
		dk_sha256_hex(c, strlen(c), id);
		free(c);
		if (dk_db_mark_sent(b->db, target, id, e) < 0) {
			json_decref(o);
			return -1;
		}
	}
	dk_emit(stdout, o);
	json_decref(o);
	return 0;
}

static int
want(struct bidder *b, int64_t t)
{
	size_t i;

	for (i = 0; i < b->ntargets; i++)
		if (b->targets[i] == t)
			return 0;
	b->targets = realloc(b->targets, (b->ntargets + 1) * sizeof(int64_t));
	if (b->targets == NULL)
		return -1;
	b->targets[b->ntargets++] = t;
	return 0;
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
	struct dk_reader rd;
	struct bidder b;
	const char *cfg = NULL, *slotarg = NULL, *ms, *m, *tp, *kd;
	char **defs, *dbpath = NULL, *line, *tmp, *tok;
	size_t ndefs = 0, i;
	int c, keep = 0, bad = 0, argi;
	long count = 1, ci;
	char *end;
	int64_t latest = INT64_MIN;
	int64_t t;
	long n;
	json_t *rec;

	memset(&b, 0, sizeof(b));
	defs = calloc(argc, sizeof(*defs));
	while ((c = getopt_long(argc, argv, "c:D:s:N:fknh", lo, NULL)) != -1)
		switch (c) {
		case 'c':
			cfg = optarg;
			break;
		case 'D':
			defs[ndefs++] = optarg;
			break;
		case 's':
			slotarg = optarg;
			break;
		case 'N':
			count = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || count < 1 ||
			    count > 100000) {
				dk_warnx(prog, "-N %s: must be 1 to 100000 "
				    "slots", optarg);
				return DK_EX_USAGE;
			}
			break;
		case 'f':
			b.force = 1;
			break;
		case 'k':
			keep = 1;
			break;
		case 'n':
			b.dry = 1;
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
	if (dk_init(&e) < 0 ||
	    dk_conf_open(&conf, cfg, DK_CONF_HOME, defs, ndefs, &e) < 0 ||
	    dk_rules_from_conf(&b.rules, &conf, &e) < 0)
		goto fail;
	b.participant = dk_conf_str(&conf, "participant", NULL);
	if (b.participant == NULL || !dk_valid_id(b.participant)) {
		dk_fail(&e, DK_EX_CONFIG, "%s: participant: must be the "
		    "household's id", conf.path ? conf.path : "config");
		goto fail;
	}
	ms = dk_conf_str(&conf, "meters", dk_conf_str(&conf, "meter.id",
	    NULL));
	if (ms == NULL) {
		dk_fail(&e, DK_EX_CONFIG, "%s: meters: the household's meter "
		    "ids are missing", conf.path ? conf.path : "config");
		goto fail;
	}
	tmp = strdup(ms);
	b.meters = calloc(strlen(ms) + 1, sizeof(char *));
	for (tok = strtok(tmp, ", "); tok != NULL; tok = strtok(NULL, ", "))
		b.meters[b.nmeters++] = tok;
	if (dk_conf_int(&conf, "bid.min_wh", 1, 1, DK_MAX_WH, &b.min_wh,
	    &e) < 0 ||
	    dk_conf_int(&conf, "bid.sell_markup", 20, 0, 100,
	    &b.sell_markup, &e) < 0 ||
	    dk_conf_int(&conf, "bid.buy_markdown", 20, 0, 100,
	    &b.buy_markdown, &e) < 0)
		goto fail;
	if (dk_conf_key(&conf, "key", 1, &b.key, &e) < 0)
		goto fail;
	if ((dbpath = dk_conf_path(&conf, "state", "denki-home.db")) == NULL ||
	    (b.db = dk_db_open(dbpath, &e)) == NULL)
		goto fail;
	if (optind == argc && isatty(0) && slotarg == NULL) {
		dk_warnx(prog, "no readings given and stdin is a terminal");
		usage(DK_EX_USAGE);
	}
	for (argi = optind; argi < argc || (argi == optind &&
	    !(slotarg != NULL && isatty(0))); argi++) {
		if (dk_reader_open(&rd, argi < argc ? argv[argi] : "-",
		    &e) < 0)
			goto fail;
		while ((n = dk_reader_next(&rd, &line, &e)) >= 0) {
			if (n == 0)
				continue;
			if ((rec = dk_parse(line, n, &e)) == NULL)
				goto badrec;
			/* a gap record (no reading) and pv or battery
			 * readings are not the grid's net: skipped */
			tp = json_string_value(json_object_get(rec, "type"));
			kd = json_string_value(json_object_get(rec, "kind"));
			if ((tp != NULL && strcmp(tp, "gap") == 0) ||
			    (kd != NULL && strcmp(kd, "grid") != 0 &&
			    dk_reading_check(rec, &b.rules, &t, &e) == 0)) {
				json_decref(rec);
				continue;
			}
			if (dk_reading_check(rec, &b.rules, &t, &e) < 0) {
				json_decref(rec);
				goto badrec;
			}
			m = json_string_value(json_object_get(rec, "meter"));
			if (!ours(&b, m)) {
				dk_fail(&e, DK_EX_DATAERR, "meter: %s is not "
				    "one of this household's meters (%s)", m,
				    ms);
				json_decref(rec);
				goto badrec;
			}
			if (dk_db_put_reading(b.db, m, t,
			    json_integer_value(json_object_get(rec,
			    "import_wh")), json_integer_value(
			    json_object_get(rec, "export_wh")), &e) < 0) {
				json_decref(rec);
				goto fail;
			}
			json_decref(rec);
			if (t > latest)
				latest = t;
			continue;
badrec:
			dk_warnx(prog, "%s:%ld: %s", rd.name, rd.line, e.msg);
			bad = 1;
			e.status = 0;
			if (!keep) {
				dk_reader_close(&rd);
				return DK_EX_DATAERR;
			}
		}
		if (e.status != 0)
			goto fail;
		dk_reader_close(&rd);
		if (argi >= argc)
			break;
	}
	/* the cron case: the slot after the newest reading */
	if (slotarg == NULL && latest != INT64_MIN &&
	    want(&b, latest + b.rules.slot_minutes * 60LL) < 0)
		goto fail;
	if (slotarg != NULL) {
		if (dk_slot_parse(slotarg, b.rules.slot_minutes, &t, &e) < 0) {
			dk_failpre(&e, "-s");
			e.status = DK_EX_USAGE;
			goto fail;
		}
		for (ci = 0; ci < count; ci++)
			if (want(&b, t + ci * b.rules.slot_minutes * 60LL) < 0)
				goto fail;
	}
	for (i = 0; i < b.ntargets; i++)
		if (bid(&b, b.targets[i], &e) < 0)
			goto fail;
	dk_db_close(b.db);
	dk_key_free(&b.key);
	c = dk_finish_stdout(prog);
	return c ? c : bad ? DK_EX_DATAERR : DK_EX_OK;
fail:
	dk_key_free(&b.key);
	dk_warnx(prog, "%s", e.msg);
	return e.status ? e.status : DK_EX_SOFTWARE;
}
