/*
 * lib/settle/settle.h: the map of the settle layer.
 *
 * Metered energy against contracts, money to the unit, for one slot; and
 * what reads the whole ledger with the market and settlement in hand: the
 * audit (ledger-verify) and the figures of the report.  Above meter and
 * market.
 */
#ifndef DK_SETTLE_H
#define DK_SETTLE_H

#include "meter/meter.h"
#include "market/market.h"

/* settle.c: metered energy against contracts, one slot */
int dk_settle(int64_t slot, json_t *contracts, json_t *readings,
    const struct dk_registry *, const struct dk_rules *, json_t *out,
    struct dk_err *);	/* on a bad reading, e->item is its index */
int dk_settle_net(int64_t slot, json_t *contracts, json_t *nets,
    const struct dk_registry *, const struct dk_rules *, json_t *out,
    struct dk_err *);
int dk_settle_mixed(int64_t slot, json_t *contracts, json_t *readings,
    json_t *nets, const struct dk_registry *, const struct dk_rules *,
    json_t *out, struct dk_err *);
/* A slot's settlement and transfer records as plain fields: what
 * dk_settle's JSON is made of, and what a settle run writes and applies
 * (rectext.c: dk_srec_text) without JSON. */
#define DK_SR_SETTLEMENT	1
#define DK_SR_TRANSFER		2
#define DK_SR_FEE_PCT	1	/* a settlement's members of version 2 */
#define DK_SR_TAX	2
#define DK_SR_TOL	4	/* tolerance_wh */
#define DK_SR_IMB	8	/* imbalance_price */
#define DK_SR_SPLIT	16	/* wheeling and rent */
struct dk_srec {
	int type;		/* DK_SR_SETTLEMENT or DK_SR_TRANSFER */
	unsigned flags;		/* a settlement's DK_SR_* members */
	const struct dk_participant *p;	/* a settlement's participant */
	const char *from, *to, *reason;	/* a transfer's */
	int64_t amount;
	int64_t sold, bought, exp, imp, dev, paid, received, fees, upaid;
	int64_t ureceived, net, feepct, tax, tol, imb, wheeling, rent;
};
struct dk_srecs {		/* reused slot after slot */
	struct dk_srec *set, *tr;	/* the settlements, by participant, */
	size_t nset, capset, ntr, captr;	/* then the transfers */
	char ts[40];		/* the slot, as records write it */
	int oom;
	const struct dk_contract **c;	/* the slot's contracts */
	size_t capc;
	const char *const *ok;	/* NULL, or by reading given dk_settle_plain:
				 * the key of its meter that found its signature
				 * good ahead (NULL: dk_reading_verify checks it),
				 * the registry's own string, compared by address:
				 * the registry must not change between the check
				 * ahead and the settling (no run applies a
				 * participant record in between) */
};
int dk_settle_plain(int64_t slot, const struct dk_slotstate *,
    json_t *readings, const struct dk_registry *, struct dk_srecs *,
    struct dk_err *);
json_t *dk_srec_json(const struct dk_srec *, const char *ts);
void dk_srecs_free(struct dk_srecs *);

/* provisional.c: a slot settled at its deadline with a member's reading
 * missing, provisionally; its true-up when the reading comes */
int dk_settle_prov(int64_t slot, json_t *contracts, json_t *readings,
    const struct dk_registry *, const struct dk_rules *, json_t *out,
    size_t *nprov, struct dk_err *);
int dk_trueup(json_t *prov, json_t *contracts, json_t *readings,
    const struct dk_registry *, const struct dk_rules *, json_t *out,
    struct dk_err *);
json_t *dk_contracts_by_party(json_t *contracts);
json_t *dk_prov_missed(const struct dk_slotstate *,
    const struct dk_registry *, const char *meter);
int dk_trueup_net(json_t *prov, json_t *contracts, int64_t net,
    const struct dk_registry *, const struct dk_rules *, json_t *out,
    struct dk_err *);

/* monthly.c: the membership fee of the slot's month, once per participant */
int dk_settle_monthly(int64_t slot, const struct dk_state *,
    const struct dk_rules *, json_t *out, struct dk_err *);

/* run.c: a settlement run (denki-settle): readings in, slots settled
 * into the ledger */
struct dk_sreading {
	int64_t slot;
	json_t *rec;		/* its record when its line was not flat; NULL
				 * for a flat one (made again from canon for its
				 * slot: dk_sreading_rec) and for a slot due */
	const char *file;	/* the file and line it came from, for */
	long line;		/* messages (file: the caller's, kept) */
	char *canon;		/* its canonical text, ncanon bytes (NULL: a
				 * slot due); a flat one's meter and slot after
				 * its NUL, each NUL-ended */
	size_t ncanon;
	const char *meter;	/* its meter and slot, in rec or canon's block */
	const char *slotstr;
	size_t sigoff, siglen;	/* what its meter signed: canon without the
				 * siglen bytes at sigoff (",\"sig\":\"...\""),
				 * the signature's base64 8 bytes into them;
				 * siglen 0: left to the check made later */
	const char *key;	/* the registry's key of its meter, that
				 * runcheck.c checks its signature with, or
				 * NULL (none: the check made later names
				 * what is wrong) */
};
json_t *dk_sreading_rec(const struct dk_sreading *);
struct dk_settle_run {
	struct dk_sreading *v;	/* the readings to settle */
	size_t n, cap;
	long nother;		/* pv and battery readings left out */
	long ngap;		/* gap records read */
	long ndup;		/* readings given again, or in the ledger */
	int require;		/* settle.signed: required */
	int newmode;		/* readings: committed (1) for a new ledger */
	int committed;		/* the ledger's readings are committed */
	char *opath;		/* the operator's store of openings */
	json_t *openings;	/* what the store held (seq -> opening) */
	long long *cseq;	/* the ledger's commitments' seqs, sorted */
	size_t ncseq, capcseq;
	char *obuf;		/* openings of this run, lines to append */
	size_t nobuf, capobuf;
	int oahead;		/* some written ahead, the store then */
	off_t obefore;		/* this long (cut back to it if the run
				 * ends without its commit) */
	char *sout;		/* the records settled, lines for stdout that
				 * the ledger's pending lines do not hold */
	size_t nsout, capsout;
	struct dk_spiece {	/* stdout, in order: bytes of sout (their */
		size_t off;	/* newlines in), or a record's text in the */
		uint32_t n;	/* ledger's lines (dk_ledger_last_text, read */
		uint32_t led;	/* at dk_ledger_lines: led 1, a newline after) */
	} *sp;
	size_t nsp, capsp;
	int unread;		/* stdout is read by nobody (/dev/null): sout
				 * only the record being made, no pieces */
	struct dk_wpolicy *wp;	/* the writer's witnesses, or NULL */
	int64_t now;		/* the clock when the run began */
	int64_t deadline;	/* settle.deadline_minutes, in seconds */
	long ndue;		/* slots due with no reading given */
	struct dk_srecs sr;	/* a slot's records, plain */
	const char **okv;	/* its readings' keys found good (sr.ok) */
	size_t capok;
	struct dk_runcheck *chk;	/* the checks on threads (runcheck.c) */
};
#define DK_SETTLE_TAKEN		0
#define DK_SETTLE_GAP		1
#define DK_SETTLE_REJECTED	2
#define DK_SETTLE_WAIT		3	/* before its deadline: e->msg */
int dk_settle_run_init(struct dk_settle_run *, const struct dk_conf *,
    struct dk_err *);
int dk_settle_run_add(struct dk_settle_run *, const char *line, size_t n,
    const char *name, long lineno, const struct dk_rules *,
    struct dk_err *);
void dk_settle_run_sort(struct dk_settle_run *);
int dk_settle_run_open(struct dk_settle_run *, struct dk_ledger *,
    const char *lpath, const struct dk_key *op, const char *origin,
    struct dk_state *, struct dk_err *);
int dk_settle_run_slot(struct dk_settle_run *, size_t i, size_t *end,
    struct dk_state *, struct dk_ledger *, const char *tz, json_t *out,
    struct dk_err *);
int dk_settle_run_ahead(void *run, struct dk_err *);
int dk_settle_run_print(const struct dk_settle_run *, struct dk_ledger *,
    FILE *, struct dk_err *);
int dk_settle_run_finish(struct dk_settle_run *, struct dk_ledger *,
    int dry, struct dk_err *);
void dk_settle_run_free(struct dk_settle_run *);
/* runcheck.c: the run's reading signatures checked on threads while its
 * slots are settled */
void dk_settle_run_precheck(struct dk_settle_run *,
    const struct dk_registry *, int threads);
int dk_settle_run_check_wait(struct dk_settle_run *, size_t j);
int dk_settle_run_check_good(const struct dk_settle_run *, size_t i);
void dk_settle_run_check_stop(struct dk_settle_run *);
void dk_settlement_private(json_t *rec);
char *dk_settlement_private_text(json_t *rec, const char *c, size_t n);
/* rectext.c: a settle record's canonical line (and a settlement's private
 * one) written directly */
int dk_record_key(const char *k, size_t n);
#define DK_RT_OUT	1	/* a provisional settlement or a true-up */
size_t dk_record_text(json_t *rec, char *buf, size_t cap, char *priv,
    size_t pcap, size_t *pn, int *kind);
size_t dk_srec_text(const struct dk_srec *, const char *ts, char *buf,
    size_t cap, char *priv, size_t pcap, size_t *pn);

/* pay.c: what each member is owed or owes, from the ledger's transfers
 * less its payment runs' payments (the pay book); payment_run and
 * payment_return records checked against it */
struct dk_payslot {
	int64_t slot, amount;
};
struct dk_paymember {
	char id[DK_ID_MAX + 1];
	struct dk_payslot *v;	/* its transfers' sum a slot, ledger order */
	size_t n, cap;
	int64_t paid;		/* by runs, less what the bank returned */
};
struct dk_paybook {
	struct dk_paymember *m;
	size_t nm;
	json_t *idx;		/* id -> index in m */
	json_t *runs;		/* entry -> {"paid", "returned", "period"} */
	int64_t last_to;	/* the end of the last run's period */
	long long last_seq;
};
void dk_paybook_init(struct dk_paybook *);
void dk_paybook_free(struct dk_paybook *);
int dk_paybook_transfer(struct dk_paybook *, json_t *rec, struct dk_err *);
int dk_paybook_record(struct dk_paybook *, long long seq, json_t *rec,
    const char *currency, struct dk_err *);
json_t *dk_paybook_plan(struct dk_paybook *, int64_t from, int64_t to,
    int exp, struct dk_err *);
long long dk_paybook_find(const struct dk_paybook *, const char *period,
    const char *id, int64_t *amount);
const char *dk_seqkey(long long seq);
int dk_period_parse(const char *, const char *tz, int64_t *from,
    int64_t *to, struct dk_err *);

/* bank.c: IBAN, BIC, minor units, Zengin characters */
int dk_iban_check(const char *, struct dk_err *);
int dk_bic_check(const char *, struct dk_err *);
int dk_currency_exp(const char *currency);
int64_t dk_minor_unit(int exp);
int64_t dk_pay_round(int64_t micro, int exp);
void dk_minor_str(int64_t micro, int exp, char *out, size_t len);
int dk_kana(const char *utf8, char *out, size_t max, size_t *n,
    struct dk_err *);

/* members.c: the operator's member store of bank details */
int dk_bank_check(json_t *rec, struct dk_err *);
const char *dk_bank_missing(json_t *details, const char *format, int payer);
int dk_members_load(const char *path, json_t **out, struct dk_err *);
int dk_members_set(const char *path, json_t *members, const char *id,
    char **set, size_t nset, struct dk_err *);

/* pain001.c, zengin.c: a run's bank file */
struct dk_payfile {
	json_t *payer;		/* the cooperative's bank details */
	json_t *pays;		/* [{participant, amount, bank}], by id */
	const char *currency;
	int exp;		/* its minor units */
	const char *date;	/* of execution, YYYY-MM-DD */
	const char *created;	/* RFC 3339 */
	const char *period;
	const char *label;	/* before the period in remittance text */
	long long seq;		/* the run's entry: names the message */
};
int dk_pain001(const struct dk_payfile *, char **buf, size_t *len,
    struct dk_err *);
int dk_zengin(const struct dk_payfile *, char **buf, size_t *len,
    struct dk_err *);

/* payrun.c: a payment run made: the plan with the member store, its
 * bank file, its record; a payment returned */
struct dk_payrun {
	json_t *rec;		/* payment_run, "file" set by dk_payrun_file */
	json_t *lines;		/* a "payment" record a member, for stdout */
	struct dk_payfile f;	/* what the bank file pays */
	size_t ncredit, ndebit, nheld;
	int64_t credit, debit;	/* the sums paid and to collect */
};
int dk_payrun_plan(struct dk_payrun *, struct dk_paybook *, json_t *members,
    const char *format, const char *period, const char *tz,
    const char *currency, struct dk_err *);
int dk_payrun_commit(struct dk_payrun *, struct dk_paybook *,
    struct dk_ledger *, const char *format, const char *out, int dry,
    struct dk_err *);
json_t *dk_payrun_return(const struct dk_paybook *, const char *period,
    const char *id, struct dk_err *);
void dk_payrun_free(struct dk_payrun *);
/* the ledger read for a run: the report's reading of each entry
 * (report.c), its transfers and runs to the pay book */
struct dk_report;
struct dk_payscan {
	struct dk_report *r;	/* dk_report_init'ed */
	struct dk_paybook *pb;
};
int dk_payscan_entry(void *ctx, long long seq, long line, json_t *rec,
    struct dk_err *);
int dk_report_init(struct dk_report *);		/* report.c */
int dk_report_entry(void *ctx, long long seq, long line, json_t *rec,
    struct dk_err *);				/* report.c */

/* island.c: an island slot's settlement: deviations shared among the
 * members an island halt covers, no utility (denki-formats(5)) */
int dk_island(int64_t slot, const struct dk_state *, const struct dk_rules *,
    json_t *out, struct dk_err *);

/* audit-halt.c: the audit's checks of halts, lifts and cancels */
int dk_audit_halt(struct dk_state *, const struct dk_scaninfo *,
    long long seq, const char *type, json_t *rec, struct dk_err *);

/* audit.c: the offline audit of a whole ledger, replayed and checked */
struct dk_audit {		/* the figures of the verdict */
	long long entries, orders, slots_cleared, contracts, slots_settled,
	    transfers, checkpoints, signatures;
	long long readings, unsigned_readings;	/* in the ledger */
	long long unproven;	/* participants with no request of their own */
	json_t *recoveries;	/* a "recovered" record for each recovery */
	size_t participants;
	int64_t contract_wh;
	struct dk_scaninfo si;	/* origin, last checkpoint, leaves if asked */
	long long commitments, opened;	/* committed readings; opened */
	json_t *unopened;	/* slots settled without every opening, whose
				 * settlement was replayed from its records'
				 * deviations, not recomputed from readings */
	long long provisional, trueups;	/* settlement records provisional;
					 * true-ups */
	long long member_slots;	/* settlement records */
	json_t *pending;	/* [slot, participant]: provisional, not
				 * trued up */
	long long disputes, disputes_open;	/* dispute.c */
	long long held, approved, rejected, expired;	/* expert review */
	long long cancelled;	/* contracts cancelled by a halt: not in */
	int64_t cancelled_wh;	/* contracts, contract_wh */
};
int dk_audit_ledger(struct dk_audit *, const char *path,
    const unsigned char oppk[32], const char *openings, int threads,
    int want_leaves, struct dk_wpolicy *, struct dk_err *);
json_t *dk_audit_json(const struct dk_audit *, const char *path);
const char *dk_audit_note(const struct dk_audit *);
void dk_audit_free(struct dk_audit *);

/* receipts.c: a member's receipts against the ledger (ledger-verify -R) */
long dk_receipts_check(const char *rpath, const char *lpath,
    const unsigned char oppk[32], FILE *out, struct dk_err *);

/* report.c: the figures of denki-report, over the whole ledger or a
 * period of it (denki-statement: with each day and each flow of money) */
struct dk_sday {		/* a member's or the community's day (or slot) */
	char date[17];		/* YYYY-MM-DD, the slot's own (or with its
				 * time, YYYY-MM-DDTHH:MM, in a day's period) */
	long long slots;
	int64_t exp, imp, sold, bought, gout, gin, net, baseline;
};
struct dk_sflow {		/* transfers with one party for one reason */
	char party[DK_ID_MAX + 1];	/* "" in the community's, by reason */
	char reason[DK_ID_MAX + 1];
	int64_t paid, received;
	long long n;
};
struct dk_member {		/* a member's statement */
	char id[DK_ID_MAX + 1];
	long long slots;
	int64_t exp, imp, sold, bought, net, baseline;
	int64_t gout, gin;	/* deviations: to and from the utility */
	struct dk_sday *d;	/* by date, with DK_REPORT_DETAIL */
	size_t nd;
	struct dk_sflow *f;	/* by party and reason, with the detail */
	size_t nf;
	int64_t comp;		/* disputes' compensation, in net (dispute.c) */
};
#define DK_REPORT_DETAIL	1	/* days, flows, the community's slots */
#define DK_REPORT_NOFLOWS	2	/* no transfers read: no flows, no
					 * compensation in members' nets;
					 * entries counts those read */
struct dk_report {
	struct dk_rules rules;	/* the last in force */
	int have_rules;
	struct dk_member *m;	/* sorted by id */
	size_t nm, cap;
	json_t *idx;		/* id -> index in m, while the scan reads */
	long long entries, orders, slots, contracts;
	int64_t sell_wh, buy_wh, matchable, matched, value;
	int64_t avg;		/* the average P2P price, when matched > 0 */
	char first[40], last[40];	/* the first and last slot settled */
	json_t *prices;		/* slot -> [retail, buyback] when cleared */
	/* a period (dk_report_period): slots whose names start at from
	 * and end at to, compared as text ("2016-07", "2016-07-05") */
	char from[11], to[11];
	int flags;
	int bucket;		/* 10: a dk_sday a day; 16: a slot (a day's) */
	struct dk_member all;	/* the community: every member summed */
	json_t *cslots;		/* slot -> [export, import] of the members */
	int64_t local_wh;	/* sum over slots of min(export, import) */
	long long transfers;
	json_t *known;		/* id -> true: every participant registered */
	char cp_origin[128];	/* the last checkpoint: the log's name, */
	long long cp_size;	/* its tree size, */
	char cp_root[48];	/* and its root hash (base64) */
	json_t *periods;	/* day or month -> [member-slots, on readings,
				 * provisional, trued up] */
	json_t *provpos;	/* "slot id" -> [position, retail, buyback]
				 * of a provisional settlement */
};
int dk_report_ledger(struct dk_report *, const char *path,
    const unsigned char *oppk, struct dk_err *);
int dk_report_period(struct dk_report *, const char *path,
    const unsigned char *oppk, const char *from, const char *to, int flags,
    struct dk_err *);
int dk_report_begin(struct dk_report *, const char *from, const char *to,
    int flags, struct dk_err *);
const char *const *dk_report_types(const struct dk_report *);
int dk_report_end(struct dk_report *, struct dk_err *);
const struct dk_member *dk_report_member(const struct dk_report *,
    const char *id);

/* statement.c: a member's statement or the community's for a period,
 * as text, CSV (RFC 4180) or JSON lines; html.c: as a page with charts */
struct dk_stmt {
	const struct dk_report *r;	/* dk_report_period, with the detail */
	const struct dk_member *m;	/* NULL: the community's statement */
	const char *id;			/* the member asked for */
	const char *period;		/* as given */
	const char *ledger;
	int checked;			/* the operator's key was checked */
	long long ef;			/* g CO2 a kWh from the grid; -1 */
};
int dk_stmt_period(const char *arg, char from[11], char to[11],
    struct dk_err *);
const char *dk_stmt_reason(const char *reason);
const struct dk_member *dk_stmt_member(const struct dk_stmt *);
const char *dk_stmt_unit(const struct dk_stmt *);
#define DK_STMT_FIGS	7
struct dk_stmt_fig {
	const char *name, *label;	/* "self_sufficiency", for people */
	char v[48];			/* "-" when it has no value */
};
void dk_stmt_figures(const struct dk_stmt *, struct dk_stmt_fig *);
int dk_stmt_text(FILE *, const struct dk_stmt *);
int dk_stmt_csv(FILE *, const struct dk_stmt *);
int dk_stmt_json(FILE *, const struct dk_stmt *);
int dk_stmt_html(FILE *, const struct dk_stmt *);
void dk_xml_text(FILE *, const char *);
/* pdf.c: the page printed to PDF by headless Chromium */
int dk_stmt_pdf(const struct dk_stmt *, const char *out, struct dk_err *);
json_t *dk_report_summary_json(const struct dk_report *, const char *path);
json_t *dk_report_statement_json(const struct dk_member *);
json_t *dk_report_completion_json(const struct dk_report *);
void dk_report_free(struct dk_report *);


/* credit.c: each member's credit score from the ledger alone, as of an
 * entry and a time (denki-formats(5), Credit score); a verifier replaying
 * a decision recomputes it from the entries before that decision's and
 * the time it names */
#define DK_CREDIT_MAX		1000
#define DK_CREDIT_TENURE	200	/* points at DK_CREDIT_DAYS enrolled */
#define DK_CREDIT_DAYS		365
#define DK_CREDIT_DELIVERY	400	/* points with nothing missed */
#define DK_CREDIT_PAYMENTS	200	/* less, per payment returned: */
#define DK_CREDIT_DEBIT		100	/* a collection (amount < 0) */
#define DK_CREDIT_CREDIT	25	/* a payment to the member */
#define DK_CREDIT_DISPUTES	200	/* less, per dispute lost: */
#define DK_CREDIT_LOST		50
struct dk_creditm {		/* a member's account, from the ledger */
	char id[DK_ID_MAX + 1];
	long long enrol_seq;	/* its first participant record; -1: none */
	int64_t enrolled;	/* the time of the first checkpoint after
				 * it; -1: none yet */
	int64_t pos_wh;		/* contracted net positions, summed */
	int64_t miss_wh;	/* the part of them not delivered or taken */
	long long settled;	/* settlements counted */
	long long ret_debit, ret_credit;	/* payment_return records */
	long long lost;		/* dispute_resolution records it lost */
};
struct dk_credit {
	struct dk_creditm *m;
	size_t n, cap;
	json_t *idx;		/* id -> index in m */
	json_t *prov;		/* "slot id" -> position: provisional */
	json_t *keys;		/* id -> [its key (base64), whether an active
				 * reviewer], as its last record says */
	long long upto;		/* entries from it on are left out; -1: none */
	long long entries;	/* read */
	int64_t cp_time;	/* the last checkpoint's time; -1: none */
	const struct dk_wpolicy *wp;	/* NULL, or the witnesses whose
				 * cosignatures bound the checkpoints' times */
};
struct dk_credit_score {
	const struct dk_creditm *m;
	int64_t at, days;	/* the time asked; whole days enrolled then */
	int miss_bp;		/* missed_wh / contracted_wh, basis points */
	int score, tenure, delivery, payments, disputes;
};
void dk_credit_init(struct dk_credit *, long long upto);
int dk_credit_entry(void *ctx, long long seq, long line, json_t *rec,
    struct dk_err *);
int dk_credit_ledger(struct dk_credit *, const char *path,
    const unsigned char *oppk, long long upto, struct dk_err *);
int dk_credit_score(const struct dk_credit *, const char *id, int64_t at,
    struct dk_credit_score *, struct dk_err *);
json_t *dk_credit_json(const struct dk_credit *,
    const struct dk_credit_score *);
void dk_credit_free(struct dk_credit *);
int dk_checkpoint_bound(json_t *rec, const struct dk_wpolicy *, int64_t *t,
    struct dk_err *);


/* kpi.c: the platform's KPIs for a period, from the ledger alone and the
 * receipts given (denki-kpi(1) defines each) */
#define DK_KPI_MATCH	0	/* ratios: matched of matchable Wh */
#define DK_KPI_AUTO	1	/* contracts without a review, of trades */
#define DK_KPI_SETTLED	2	/* contracted member-slots settled */
#define DK_KPI_RATIOS	3
#define DK_KPI_RECEIPT	0	/* times: receipt to clearing */
#define DK_KPI_CONTRACT	1	/* clearing to contract */
#define DK_KPI_SETTLE	2	/* slot end to settlement */
#define DK_KPI_DISTS	3
struct dk_kpi_ratio {
	long long num, den;
	long long target_bp;	/* met when num / den >= target_bp / 10000 */
};
struct dk_kpi_dist {		/* seconds, INT64_MAX: unbounded */
	int64_t *v;
	size_t n, cap;
	int64_t p50, p99, max, limit;
	long long over, unbounded;
	long long early;	/* bounded before the step could start: apart
				 * from v, a fault */
	int met;		/* p99 <= limit and none early */
};
struct dk_kpi {
	struct dk_kslot *s;	/* the slots the ledger names */
	size_t ns, caps;
	json_t *byslot;		/* slot time -> index in s */
	json_t *orders;		/* the ids of the ledger's orders */
	json_t *pend;		/* pending trades: true once contracted */
	json_t *pairs;		/* contracted member-slots, how settled */
	struct { long long seq; int64_t t; } *cp;	/* timed checkpoints */
	size_t ncp, capcp;
	struct { long long seq; size_t slot; } *cs;	/* the contracts */
	size_t ncs, capcs;
	struct dk_state ik;	/* only the ledger's intake keys */
	const struct dk_wpolicy *wp;	/* NULL, or the witnesses whose
				 * cosignatures' times bound too */
	int minutes;		/* slot length in force */
	long long gate_min;	/* gate closure in force, minutes */
	char tz[64];		/* the last rules' */
	char origin[256];
	long long entries;
	int64_t from, to;	/* the period: slots starting in [from, to) */
	int with_receipts;
	long long slots;	/* cleared in the period */
	long long censored;	/* receipted orders not in their book */
	struct dk_kpi_ratio r[DK_KPI_RATIOS];
	struct dk_kpi_dist d[DK_KPI_DISTS];
	int met;		/* every KPI measured met its target */
};
void dk_kpi_init(struct dk_kpi *);
int dk_kpi_entry(void *ctx, long long seq, long line, json_t *rec,
    struct dk_err *);
int dk_kpi_receipts(struct dk_kpi *, const char *path, struct dk_err *);
int dk_kpi_figures(struct dk_kpi *, struct dk_err *);
json_t *dk_kpi_json(const struct dk_kpi *, const char *period);
void dk_kpi_text(FILE *, const struct dk_kpi *, const char *period);
void dk_kpi_free(struct dk_kpi *);
/* dispute.c: a member's signed claim against its contract or settlement
 * (dispute) and a reviewer's decision with compensating transfers
 * (dispute_resolution), checked as the ledger is replayed */
struct dk_dtarget {		/* a contract or settlement entry */
	long long seq;
	char kind;		/* 'c' contract, 's' settlement */
	char slot[40];
	char a[DK_ID_MAX + 1];	/* seller, or the settlement's participant */
	char b[DK_ID_MAX + 1];	/* buyer; "" */
};
struct dk_dcase {		/* a dispute opened */
	long long seq, entry;	/* its entry; the entry it is against */
	long long resolved;	/* the resolution's entry; 0: open */
	char kind, slot[40];
	char by[DK_ID_MAX + 1];	/* the claimant */
	char other[DK_ID_MAX + 1];	/* the contract's other party; "" */
	char reviewer[DK_ID_MAX + 1];	/* who resolved it; "" */
};
struct dk_disputes {
	struct dk_dtarget *t;	/* by seq */
	size_t nt, capt;
	struct dk_dcase *c;
	size_t nc, capc;
};
struct dk_dreplay {		/* dk_dispute_replay's context */
	struct dk_state *st;
	struct dk_disputes *d;
};
void dk_disputes_init(struct dk_disputes *);
void dk_disputes_free(struct dk_disputes *);
int dk_disputes_note(struct dk_disputes *, long long seq, json_t *rec,
    struct dk_err *);
const struct dk_dtarget *dk_dispute_target(const struct dk_disputes *,
    long long seq);
const struct dk_dcase *dk_dispute_case(const struct dk_disputes *,
    long long seq);
int dk_dispute_entry(struct dk_disputes *, const struct dk_registry *,
    long long seq, json_t *rec, json_t *then, struct dk_err *);
json_t *dk_dispute_status(const struct dk_dcase *);
void dk_disputes_print(FILE *, const struct dk_disputes *);
const char *dk_dispute_said(json_t *rec, long long at);
json_t *dk_dispute_add(struct dk_disputes *, const struct dk_registry *,
    const char *path, long long seq, json_t *then, struct dk_err *);
int dk_dispute_replay(void *ctx, long long seq, long line, json_t *rec,
    struct dk_err *);
const struct dk_participant *dk_registry_by_key(const struct dk_registry *,
    const struct dk_key *);
json_t *dk_dispute_make(struct dk_disputes *, const struct dk_registry *,
    const struct dk_key *, const char *id, long long entry,
    const char *reason, int64_t time, long long seq, struct dk_err *);
json_t *dk_dispute_claim(json_t *proof, const unsigned char *pk,
    const char *id, const struct dk_key *, const char *reason, int64_t time,
    struct dk_err *);
json_t *dk_resolution_make(struct dk_disputes *, const struct dk_registry *,
    const struct dk_key *, long long dispute, int upheld,
    const char *comment, char **xf, size_t nxf, int64_t time,
    long long seq, json_t *then, struct dk_err *);
/* bundle.c: a dispute's evidence for a mediator, and its checks offline */
int dk_bundle_write(const char *lpath, const char *opath,
    const struct dk_disputes *, const struct dk_registry *, long long ds,
    const char *dir, struct dk_err *);
int dk_bundle_verify(const char *dir, FILE *out, struct dk_err *);
json_t *dk_bundle_resolution(const char *dir, const struct dk_key *,
    long long dispute, int upheld, const char *comment, char **xf,
    size_t nxf, int64_t time, struct dk_err *);
/* html.c, for another page of the statement's charts */
const char *dk_stmt_css(void);
void dk_stmt_charts(FILE *, const struct dk_stmt *, const char *idp);

/* scenario.c, simdata.c, simbat.c, simrun.c, simkpi.c: denki-simulate, a
 * community's season run through the real programs from a scenario */
struct dk_scen_home {
	char id[DK_ID_MAX + 1];	/* kn3, or its copy kn3-2 */
	size_t src;		/* its home in the community: dk_scen.src */
	int copy;		/* 0: the home itself */
	long long pv_w, bat_wh, bat_w, load_pct;
	long long bat_reserve, bat_eff;	/* Wh; per mille each way */
};
struct dk_scen {
	struct dk_conf c;	/* the file, flattened */
	char *name;		/* its name less .yaml */
	char *community;	/* the folder of coop.yaml and the homes */
	char start[11];		/* the first day traded */
	int64_t day0;		/* it, in days since 1970-01-01 */
	int days, copies, shift;
	long long load_pct;	/* the copies' */
	const char *strategy;	/* bid.strategy; NULL: the homes' own */
	char (*src)[DK_ID_MAX + 1];
	size_t nsrc;
	struct dk_scen_home *h;	/* copy by copy, each in src's order */
	size_t nh;
};
int dk_scen_load(struct dk_scen *, const char *path, struct dk_err *);
const char *dk_scen_data(const struct dk_scen *, size_t i, char *buf,
    size_t n);
void dk_scen_free(struct dk_scen *);
struct dk_sim_series {		/* a home's whole days, Wh a slot */
	int64_t *imp, *exp;
	size_t n, spd;		/* slots, slots a day */
};
int dk_sim_source(const char *csv, const struct dk_conf *home,
    const struct dk_rules *, int64_t tstart, struct dk_sim_series *,
    struct dk_err *);
void dk_sim_series_free(struct dk_sim_series *);
int dk_sim_home_series(const struct dk_sim_series *src,
    const struct dk_scen *, const struct dk_scen_home *, int slot_minutes,
    struct dk_sim_series *, struct dk_err *);
int dk_sim_csv(FILE *, const struct dk_sim_series *, size_t from, size_t n,
    int head, int64_t tstart, int slot_minutes, struct dk_err *);
/* simbat.c: a home's battery following bid's plan */
void dk_sim_batt(const struct dk_scen_home *, struct dk_batt *);
void dk_sim_batt_conf(FILE *, const struct dk_scen_home *, int spd);
void dk_sim_batt_follow(const struct dk_batt *, int slot_minutes,
    int64_t *soc, int64_t *charge, int64_t *discharge, int64_t *imp,
    int64_t *exp, size_t n);
int dk_sim_batt_day(const char *yaml, const struct dk_batt *,
    const struct dk_rules *, const char *bmeter, int64_t t0, int spd,
    int64_t *soc, int64_t *imp, int64_t *exp, FILE *bfp, struct dk_err *);
struct dk_sim {
	const struct dk_scen *sc;
	const char *dir;	/* the run's folder, made here */
	int jobs;		/* programs at once */
	int step;		/* days a run of each program takes */
	void (*progress)(void *, int day, int days, const char *what);
	void *ctx;
	/* filled by the run */
	struct dk_rules rules;
	int64_t tstart;		/* the first day's midnight */
	int spd;		/* slots a day */
	long long readings, settled, orders;	/* signed; checked by settle */
	int64_t ms;		/* the run's wall-clock time */
	/* the ledger's figures, read after each step (dk_sim_follow) */
	int following;		/* rep, fol and op set */
	struct dk_report rep;
	struct dk_follow fol;
	struct dk_key op;
};
int dk_sim_run(struct dk_sim *, struct dk_err *);
int dk_sim_follow(struct dk_sim *, struct dk_err *);
void dk_sim_free(struct dk_sim *);
struct dk_sim_kpi {
	char name[64];
	long long homes, days, slots, orders, contracts;
	int64_t imp, exp, local, bought, sold, matched, matchable;
	int64_t net, baseline, gin, gout;
	long long signs, verifies;	/* Ed25519 of the run */
	int64_t ms;
	char currency[8];
	char pct[3][48];	/* self-sufficiency, P2P share, matching rate,
				 * as the community's statement shows them */
};
int dk_sim_kpi(struct dk_sim_kpi *, struct dk_sim *, struct dk_report *,
    struct dk_err *);
json_t *dk_sim_kpi_json(const struct dk_sim_kpi *);
int dk_sim_text(FILE *, const struct dk_sim_kpi *, size_t n);
int dk_sim_html(FILE *, const struct dk_sim_kpi *, struct dk_report *,
    size_t n);

/* review.c: expert review (denki-formats(5), Expert review): what the review
 * rules read from the ledger before a slot's clearing, a trade's reasons,
 * the pending record contract-sign writes instead of its contract */
#define DK_REVIEW_SLOTS	10000	/* the most recent clearing prices kept */
struct dk_revhist {
	struct dk_credit cr;	/* credit scores and tenure */
	int64_t *ring;		/* the recent clearing prices, */
	size_t n, head;		/* how many, and where the next goes */
	int has_cur;		/* the last clearing's price, not yet recent */
	int64_t cur;
	int64_t cp_time;	/* the latest checkpoint time; -1: none */
};
void dk_revhist_init(struct dk_revhist *);
int dk_revhist_entry(void *ctx, long long seq, long line, json_t *rec,
    struct dk_err *);
int dk_revhist_ledger(struct dk_revhist *, int fd, const char *path,
    struct dk_err *);
int dk_revhist_note(struct dk_revhist *, const char *note, struct dk_err *);
int dk_revhist_median(const struct dk_revhist *, int n, int64_t *m, int *k);
void dk_revhist_free(struct dk_revhist *);
int64_t dk_trade_value(json_t *contract);
json_t *dk_review_reasons(const struct dk_revhist *,
    const struct dk_registry *, const struct dk_rules *, int64_t slot,
    json_t *contracts, size_t i, struct dk_err *);
json_t *dk_pending_make(json_t *contract, json_t *reasons,
    const struct dk_rules *, int64_t slot, struct dk_err *);
int dk_review_hold(struct dk_revhist *, const struct dk_state *,
    json_t *clearing, json_t *contracts, int64_t slot, struct dk_err *);

/* review-queue.c: the pending trades of a ledger replayed with their
 * decisions (review records) and the contracts approved; each decision
 * and approved contract checked as it is read */
struct dk_revq {
	struct dk_revhist h;
	const struct dk_registry *reg;	/* the registry as of each entry */
	json_t *pend;		/* pending id -> its item (review-queue.c) */
	json_t *ids;		/* the pending ids, in the ledger's order */
	json_t *recent;		/* participant -> its last contracts and
				 * settlements, the evidence */
	char approved[65];	/* an approve just read (its id), */
	json_t *approve;	/* whose contract must come next */
	long long npending, napproved, nrejected;
};
void dk_revq_init(struct dk_revq *, const struct dk_registry *);
int dk_revq_entry(void *ctx, long long seq, long line, json_t *rec,
    struct dk_err *);
json_t *dk_review_decision(const struct dk_revq *, const char *decision,
    const char *pending, const char *comment, const char *by, int64_t time,
    const struct dk_key *, struct dk_err *);
int dk_review_check(const struct dk_revq *, json_t *rec, struct dk_err *);
json_t *dk_revq_contract(const struct dk_revq *, json_t *decision,
    struct dk_err *);
json_t *dk_revq_list(const struct dk_revq *, int64_t now, struct dk_err *);
long long dk_revq_expired(const struct dk_revq *);
int dk_revq_ledger(struct dk_revq *, struct dk_state *, int fd,
    const char *path, struct dk_err *);
const char *dk_revq_find(const struct dk_revq *, const char *prefix,
    struct dk_err *);
const struct dk_participant *dk_registry_key(const struct dk_registry *,
    const unsigned char pk[32]);
void dk_revq_free(struct dk_revq *);

/* audit-review.c: ledger-verify's checks of review, on the replay */
int dk_audit_held(struct dk_revq *, const struct dk_state *, json_t *expect,
    size_t pos, json_t *rec, struct dk_err *);

#endif
