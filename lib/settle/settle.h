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

/* run.c: a settlement run (denki-settle): readings in, slots settled
 * into the ledger */
struct dk_sreading {
	int64_t slot;
	json_t *rec;
	char *where;		/* "file:line", for messages */
	char *canon;		/* its canonical text */
};
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
	json_t *cseq;		/* seq -> true: the ledger's commitments */
	char *obuf;		/* openings of this run, lines to append */
	size_t nobuf, capobuf;
	struct dk_wpolicy *wp;	/* the writer's witnesses, or NULL */
};
#define DK_SETTLE_TAKEN		0
#define DK_SETTLE_GAP		1
#define DK_SETTLE_REJECTED	2
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
int dk_settle_run_finish(struct dk_settle_run *, struct dk_ledger *,
    int dry, struct dk_err *);
void dk_settle_run_free(struct dk_settle_run *);
void dk_settlement_private(json_t *rec);

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
};
int dk_audit_ledger(struct dk_audit *, const char *path,
    const unsigned char oppk[32], const char *openings, int threads,
    int want_leaves, struct dk_wpolicy *, struct dk_err *);
json_t *dk_audit_json(const struct dk_audit *, const char *path);
void dk_audit_free(struct dk_audit *);

/* receipts.c: a member's receipts against the ledger (ledger-verify -R) */
long dk_receipts_check(const char *rpath, const char *lpath,
    const unsigned char oppk[32], FILE *out, struct dk_err *);

/* report.c: the figures of denki-report, over the whole ledger */
struct dk_member {		/* a member's statement */
	char id[DK_ID_MAX + 1];
	long long slots;
	int64_t exp, imp, sold, bought, net, baseline;
};
struct dk_report {
	struct dk_rules rules;	/* the last in force */
	int have_rules;
	struct dk_member *m;	/* sorted by id */
	size_t nm;
	long long entries, orders, slots, contracts;
	int64_t sell_wh, buy_wh, matchable, matched, value;
	int64_t avg;		/* the average P2P price, when matched > 0 */
	char first[40], last[40];	/* the first and last slot settled */
	json_t *prices;		/* slot -> [retail, buyback] when cleared */
};
int dk_report_ledger(struct dk_report *, const char *path,
    const unsigned char *oppk, struct dk_err *);
json_t *dk_report_summary_json(const struct dk_report *, const char *path);
json_t *dk_report_statement_json(const struct dk_member *);
void dk_report_free(struct dk_report *);

#endif
