/* Unit tests for lib/settle/run.c: a settlement run's readings (gaps,
 * refusals, pv and battery, copies) and the slots it cannot settle. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "denki.h"
#include "check.h"

#define S10 "2026-01-01T10:00:00+00:00"
#define S11 "2026-01-01T11:00:00+00:00"

static struct dk_settle_run run;
static struct dk_rules rules;
static struct dk_err e;
static long lineno;

/* One input line, as line lineno of "in". */
static int
add(const char *line)
{
	memset(&e, 0, sizeof(e));
	return dk_settle_run_add(&run, line, strlen(line), "in", ++lineno,
	    &rules, &e);
}

static const char *
rd(const char *meter, const char *slot, int imp, const char *extra)
{
	static char b[4][300];
	static int n;

	n = (n + 1) % 4;
	snprintf(b[n], sizeof(b[n]), "{\"export_wh\":0,\"import_wh\":%d,%s"
	    "\"meter\":\"%s\",\"slot\":\"%s\",\"type\":\"reading\",\"v\":1}",
	    imp, extra, meter, slot);
	return b[n];
}

/* A configuration: the prices, hourly slots, and up to two more. */
static void
conf(struct dk_conf *c, const char *a, const char *b)
{
	memset(&e, 0, sizeof(e));
	dk_conf_load(c, NULL, &e);
	CHECK_INT(dk_conf_set(c, "prices.retail=300", &e), 0);
	CHECK_INT(dk_conf_set(c, "prices.buyback=100", &e), 0);
	CHECK_INT(dk_conf_set(c, "slot_minutes=60", &e), 0);
	if (a != NULL)
		CHECK_INT(dk_conf_set(c, a, &e), 0);
	if (b != NULL)
		CHECK_INT(dk_conf_set(c, b, &e), 0);
}

int
main(void)
{
	struct dk_conf c;
	struct dk_key op;
	struct dk_ledger l;
	struct dk_state st;
	json_t *out, *rec;
	char lpath[256];
	size_t end;

	CHECK_INT(dk_init(&e), 0);

	/* settle.signed: required (the default) or registered */
	conf(&c, "settle.signed=maybe", NULL);
	CHECK_INT(dk_settle_run_init(&run, &c, &e), -1);
	CHECK_INT(e.status, DK_EX_CONFIG);
	CHECK_STR(e.msg, "settle.signed: must be registered or required, "
	    "got \"maybe\"");
	dk_conf_free(&c);
	conf(&c, "settle.signed=required", NULL);
	CHECK_INT(dk_rules_from_conf(&rules, &c, &e), 0);
	CHECK_INT(dk_settle_run_init(&run, &c, &e), 0);
	CHECK_INT(run.require, 1);
	CHECK_INT(add(rd("m1", S10, 5, "")), DK_SETTLE_REJECTED);
	CHECK_STR(e.msg, "meter m1: unsigned, and settle.signed is required");
	CHECK_INT(e.status, DK_EX_DATAERR);
	dk_settle_run_free(&run);
	dk_conf_free(&c);

	conf(&c, NULL, NULL);
	CHECK_INT(dk_settle_run_init(&run, &c, &e), 0);
	CHECK_INT(run.require, 1);
	dk_conf_free(&c);

	conf(&c, "settle.signed=registered", NULL);
	CHECK_INT(dk_rules_from_conf(&rules, &c, &e), 0);
	CHECK_INT(dk_settle_run_init(&run, &c, &e), 0);
	CHECK_INT(run.require, 0);

	/* gaps say what is missing; they are not readings */
	CHECK_INT(add("{\"last\":\"" S11 "\",\"meter\":\"m1\",\"reason\":"
	    "\"offline\",\"slot\":\"" S10 "\",\"type\":\"gap\",\"v\":1}"),
	    DK_SETTLE_GAP);
	CHECK_STR(e.msg, "meter m1: slots " S10 " to " S11 ": a gap "
	    "(offline), no reading");
	CHECK_INT(add("{\"last\":\"" S10 "\",\"meter\":\"m1\",\"reason\":"
	    "\"x\",\"slot\":\"" S10 "\",\"type\":\"gap\",\"v\":1}"),
	    DK_SETTLE_GAP);
	CHECK_STR(e.msg, "meter m1: slot " S10 ": a gap (x), no reading");
	CHECK_INT(run.ngap, 2);
	CHECK_INT(run.n, 0);

	/* refusals: not JSON, not a reading, a slot off the grid */
	CHECK_INT(add("{\"type\":"), DK_SETTLE_REJECTED);
	CHECK_INT(e.status, DK_EX_DATAERR);
	CHECK_INT(add("{\"type\":\"order\",\"v\":1}"), DK_SETTLE_REJECTED);
	CHECK_INT(add(rd("m1", "2026-01-01T10:30:00+00:00", 1, "")),
	    DK_SETTLE_REJECTED);
	CHECK(strncmp(e.msg, "slot: ", 6) == 0);

	/* a meter's flat canonical line, and the same reading written
	 * otherwise: one record, one canonical text (the line's) */
	CHECK_INT(add(rd("m3", S10, 7, "")), DK_SETTLE_TAKEN);
	CHECK_INT(add("{ \"v\": 1, \"type\": \"reading\", \"slot\": \"" S10
	    "\", \"meter\": \"m3\", \"import_wh\": 7, \"export_wh\": 0 }"),
	    DK_SETTLE_TAKEN);
	CHECK_INT(run.n, 2);
	/* the flat line keeps no tree, its record made again from the line
	 * (dk_sreading_rec); the other keeps the parser's: the same */
	CHECK(run.v[0].rec == NULL);
	CHECK(run.v[1].rec != NULL);
	rec = dk_sreading_rec(&run.v[0]);
	CHECK(rec != NULL && json_equal(rec, run.v[1].rec));
	{
		json_t *want = json_loads(rd("m3", S10, 7, ""), 0, NULL);

		CHECK(rec != NULL && json_equal(rec, want));
		json_decref(want);
	}
	json_decref(rec);
	rec = dk_sreading_rec(&run.v[1]);
	CHECK(rec == run.v[1].rec);
	json_decref(rec);
	CHECK_STR(run.v[0].slotstr, S10);
	CHECK_INT(run.v[0].siglen, 0);		/* unsigned: nothing to cut */
	CHECK_STR(run.v[0].canon, rd("m3", S10, 7, ""));
	CHECK_STR(run.v[1].canon, run.v[0].canon);
	CHECK_STR(run.v[0].meter, "m3");
	/* signed: what the meter signed is the line without its "sig",
	 * flat or not (the check ahead cuts it there, runcheck.c) */
	CHECK_INT(dk_key_generate(&op, &e), 0);
	rec = json_loads(rd("m4", S10, 9, ""), 0, NULL);
	CHECK_INT(dk_sign_record(rec, &op, &e), 0);
	{
		char *c = dk_canon(rec), *w = dk_canon_without(rec, "sig");
		char *sp = strstr(c, ",\"sig\":\"");
		json_t *r2;

		CHECK_INT(add(c), DK_SETTLE_TAKEN);
		CHECK(run.v[2].rec == NULL);
		CHECK(sp != NULL && run.v[2].sigoff == (size_t)(sp - c));
		CHECK_INT(run.v[2].siglen, strlen(c) - strlen(w));
		CHECK(memcmp(c, w, run.v[2].sigoff) == 0 &&
		    strcmp(c + run.v[2].sigoff + run.v[2].siglen,
		    w + run.v[2].sigoff) == 0);
		r2 = dk_sreading_rec(&run.v[2]);
		CHECK(r2 != NULL && json_equal(r2, rec));
		json_decref(r2);
		free(c);
		free(w);
	}
	json_decref(rec);
	dk_key_free(&op);
	/* flat, but refused as the parser's tree is */
	CHECK_INT(add(rd("m3", S10, -7, "")), DK_SETTLE_REJECTED);
	CHECK_HAS(e.msg, "import_wh");
	dk_settle_run_free(&run);

	/* pv and battery: counted, left out */
	CHECK_INT(add(rd("m1", S10, 5, "\"kind\":\"pv\",")), DK_SETTLE_TAKEN);
	CHECK_INT(add(rd("m1", S10, 5, "\"kind\":\"battery\",")),
	    DK_SETTLE_TAKEN);
	CHECK_INT(run.nother, 2);
	CHECK_INT(run.n, 0);

	/* in slot order, then meter; an exact copy is one reading */
	lineno = 9;
	CHECK_INT(add(rd("m2", S11, 1, "")), DK_SETTLE_TAKEN);
	CHECK_INT(add(rd("m1", S11, 2, "")), DK_SETTLE_TAKEN);
	CHECK_INT(add(rd("m9", S10, 3, "\"kind\":\"grid\",")),
	    DK_SETTLE_TAKEN);
	CHECK_INT(add(rd("m2", S11, 1, "")), DK_SETTLE_TAKEN);
	CHECK_INT(run.n, 4);
	dk_settle_run_sort(&run);
	CHECK_INT(run.n, 3);
	CHECK_INT(run.ndup, 1);
	CHECK_STR(run.v[0].file, "in");
	CHECK_INT(run.v[0].line, 12);
	CHECK_STR(run.v[1].file, "in");
	CHECK_INT(run.v[1].line, 11);
	CHECK_STR(run.v[2].file, "in");
	CHECK_INT(run.v[2].line, 10);
	CHECK(run.v[0].slot < run.v[1].slot);
	CHECK_INT(run.v[1].slot, run.v[2].slot);

	/* a ledger that holds m1's reading already, and no clearing */
	tmpdir_make("test-run");
	snprintf(lpath, sizeof(lpath), "%s/ledger.jsonl", ck_tmp);
	CHECK_INT(dk_key_generate(&op, &e), 0);
	CHECK_INT(dk_ledger_open(&l, lpath, &op, NULL, NULL, &e), 0);
	CHECK_INT(dk_ledger_genesis(&l, "test/run", 0, &e), 0);
	rec = json_loads(rd("m1", S11, 2, ""), 0, NULL);
	CHECK_INT(dk_ledger_add(&l, rec, &e), 0);
	json_decref(rec);
	CHECK_INT(dk_ledger_finish(&l, 0, &e), 0);
	dk_ledger_close(&l);

	/* the reading the ledger has leaves the run */
	dk_state_init(&st);
	CHECK_INT(dk_settle_run_open(&run, &l, lpath, &op, "test/run", &st,
	    &e), 0);
	CHECK_INT(run.n, 2);
	CHECK_INT(run.ndup, 2);
	CHECK_STR(run.v[1].file, "in");
	CHECK_INT(run.v[1].line, 10);

	/* a slot never cleared: every reading of it refused, nothing added */
	out = json_array();
	memset(&e, 0, sizeof(e));
	CHECK_INT(dk_settle_run_slot(&run, 0, &end, &st, &l, "UTC", out, &e),
	    DK_SETTLE_REJECTED);
	CHECK_INT(end, 1);
	CHECK_INT(e.item, -1);
	CHECK_INT(e.status, DK_EX_DATAERR);
	CHECK_STR(e.msg, "slot " S10 " was never cleared; clear it first "
	    "(denki-clear -s clears a slot even when nobody bid)");
	CHECK_INT(dk_settle_run_slot(&run, 1, &end, &st, &l, "UTC", out, &e),
	    DK_SETTLE_REJECTED);
	CHECK_INT(end, 2);
	CHECK_INT(json_array_size(out), 0);
	CHECK_INT(l.npend, 0);
	json_decref(out);
	dk_ledger_close(&l);
	dk_state_free(&st);

	dk_key_free(&op);
	dk_settle_run_free(&run);
	dk_conf_free(&c);
	tmpdir_remove();
	return check_done("test-run");
}
