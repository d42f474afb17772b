/*
 * payrun.c: a payment run made (denki-pay): the pay book's plan joined
 * with the member store: who is paid by the bank file, who owes the
 * cooperative, who is held for want of bank details; the payment_run
 * and payment_return records it appends.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "settle.h"

void
dk_payrun_free(struct dk_payrun *r)
{
	json_decref(r->rec);
	json_decref(r->lines);
	json_decref(r->f.pays);
	memset(r, 0, sizeof(*r));
}

/*
 * The run of period (its bounds in zone tz; it ends no earlier than the
 * last run's) in format fmt, from the pay
 * book pb and the member store members: r->rec, the payment_run record
 * without its "file"; r->f.pays, the credit transfers with each
 * member's details; r->lines, a "payment" record a member for stdout,
 * with its status: credit (in the bank file), debit (it owes: to
 * collect), held (owed, but the store has not the details fmt needs:
 * "missing" names the first field missing; carried to the next run).
 */
int
dk_payrun_plan(struct dk_payrun *r, struct dk_paybook *pb, json_t *members,
    const char *fmt, const char *period, const char *tz, const char *cur,
    struct dk_err *e)
{
	json_t *plan, *x, *pays, *held, *d;
	const char *id, *miss, *status;
	char from[40], to[40];
	int64_t f, t, a;
	size_t i;

	memset(r, 0, sizeof(*r));
	if ((r->f.exp = dk_currency_exp(cur)) < 0)
		return dk_fail(e, DK_EX_DATAERR, "currency %s: its minor units "
		    "are not known to denki-pay", cur);
	if (dk_period_parse(period, tz, &f, &t, e) < 0)
		return -1;
	if (t < pb->last_to) {
		dk_time_format(pb->last_to, tz, to, sizeof(to));
		return dk_fail(e, DK_EX_USAGE, "-P %s: ends before the period "
		    "of the last run (entry %lld, to %s): runs go forward",
		    period, pb->last_seq, to);
	}
	dk_time_format(f, tz, from, sizeof(from));
	dk_time_format(t, tz, to, sizeof(to));
	if ((plan = dk_paybook_plan(pb, f, t, r->f.exp, e)) == NULL)
		return -1;
	r->lines = json_array();
	r->f.pays = json_array();
	pays = json_array();
	held = json_array();
	json_array_foreach(plan, i, x) {
		id = json_string_value(json_object_get(x, "participant"));
		a = json_integer_value(json_object_get(x, "amount"));
		d = json_object_get(members, id);
		miss = NULL;
		if (a == 0)
			continue;	/* under a minor unit: carried */
		if (a < 0) {
			status = "debit";
			r->ndebit++;
			r->debit -= a;
		} else if ((miss = dk_bank_missing(d, fmt, 0)) != NULL) {
			status = "held";
			r->nheld++;
			json_array_append_new(held, json_string(id));
		} else {
			status = "credit";
			r->ncredit++;
			r->credit += a;
			json_array_append_new(r->f.pays, json_pack("{s:s,s:I,"
			    "s:O}", "participant", id, "amount", (json_int_t)a,
			    "bank", d));
		}
		if (a < 0 || miss == NULL)
			json_array_append_new(pays, json_pack("{s:s,s:I}",
			    "participant", id, "amount", (json_int_t)a));
		json_array_append_new(r->lines, json_pack("{s:s,s:i,s:s,s:s,"
		    "s:I,s:O,s:O,s:s,s:s}", "type", "payment", "v", 1,
		    "period", period, "participant", id, "amount",
		    (json_int_t)a, "owed", json_object_get(x, "owed"),
		    "period_net", json_object_get(x, "period"), "status",
		    status, "currency", cur));
		if (miss != NULL)
			json_object_set_new(json_array_get(r->lines,
			    json_array_size(r->lines) - 1), "missing",
			    json_string(miss));
	}
	json_decref(plan);
	r->rec = json_pack("{s:s,s:i,s:s,s:s,s:s,s:s,s:s,s:o}", "type",
	    "payment_run", "v", 1, "period", period, "from", from, "to", to,
	    "currency", cur, "format", fmt, "payments", pays);
	if (json_array_size(held) > 0)
		json_object_set_new(r->rec, "held", held);
	else
		json_decref(held);
	if (r->rec == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	return 0;
}

/* The bank file of r (which pays someone) in *buf, and its SHA-256 in
 * the run's record. */
static int
payrun_file(struct dk_payrun *r, const char *fmt, char **buf,
    size_t *len, struct dk_err *e)
{
	char hex[65];

	if ((strcmp(fmt, "zengin") == 0 ? dk_zengin(&r->f, buf, len, e) :
	    dk_pain001(&r->f, buf, len, e)) < 0)
		return -1;
	dk_sha256_hex(*buf, *len, hex);
	json_object_set_new(r->rec, "file", json_string(hex));
	return 0;
}

/*
 * Run r made: its bank file when it pays someone, its record checked
 * against the pay book as ledger-verify will check it, the file written
 * at out (a new file: never over one), then the record appended to l
 * with a checkpoint; if the append fails, the file is removed again.  A
 * dry run writes and appends nothing.  A run of no payment appends
 * nothing either.
 */
int
dk_payrun_commit(struct dk_payrun *r, struct dk_paybook *pb,
    struct dk_ledger *l, const char *fmt, const char *out, int dry,
    struct dk_err *e)
{
	const char *miss = dk_bank_missing(r->f.payer, fmt, 1);
	char *buf = NULL;
	size_t len = 0;
	int rc = -1;

	if (r->ncredit > 0 && miss != NULL)
		return dk_fail(e, DK_EX_CONFIG, "operator: no %s, which a %s "
		    "file needs of the cooperative's account (denki pay -m "
		    "operator field=value)", strcmp(miss, "all") == 0 ?
		    "bank details" : miss, fmt);
	if ((r->ncredit > 0 && payrun_file(r, fmt, &buf, &len, e) < 0) ||
	    dk_paybook_record(pb, l->next, r->rec, r->f.currency, e) < 0 ||
	    (r->ncredit > 0 && !dry && dk_file_write(out, buf, len, 0644, 0,
	    e) < 0))
		goto done;
	if (json_array_size(json_object_get(r->rec, "payments")) > 0 &&
	    (dk_ledger_add(l, r->rec, e) < 0 ||
	    dk_ledger_finish(l, dry, e) < 0)) {
		if (r->ncredit > 0 && !dry)
			unlink(out);
		goto done;
	}
	rc = 0;
done:
	free(buf);
	return rc;
}

/* The payment_return of id's payment in the last run of period that
 * paid it, or NULL. */
json_t *
dk_payrun_return(const struct dk_paybook *pb, const char *period,
    const char *id, struct dk_err *e)
{
	long long seq;
	int64_t a = 0;

	if ((seq = dk_paybook_find(pb, period, id, &a)) == 0) {
		dk_fail(e, DK_EX_DATAERR, "%s: no payment run for %s paid it, "
		    "or its payment was returned already", id, period);
		return NULL;
	}
	return json_pack("{s:s,s:i,s:I,s:s,s:s,s:I}", "type",
	    "payment_return", "v", 1, "run", (json_int_t)seq, "period", period,
	    "participant", id, "amount", (json_int_t)a);
}

/* One entry of the ledger a run reads: to the pay book (checked), then to
 * the report, which keeps the rules in force. */
int
dk_payscan_entry(void *ctx, long long seq, long line, json_t *rec,
    struct dk_err *e)
{
	struct dk_payscan *ps = ctx;

	if (dk_paybook_record(ps->pb, seq, rec, ps->r->rules.currency, e) < 0)
		return -1;
	return dk_report_entry(ps->r, seq, line, rec, e);
}
