/*
 * lib/ledger/ledger.h: the map of the ledger layer.
 *
 * The records every program reads (the market rules, the registry of
 * participants), the append-only ledger file (entries, Merkle tree,
 * checkpoints, proofs, locking) and the replay of the whole ledger into a
 * state. Above crypto.
 */
#ifndef DK_LEDGER_H
#define DK_LEDGER_H

#include "crypto/crypto.h"

/* rules.c: the market rules in force (a ledger record) */
struct dk_revrules {		/* version 3: when a trade waits for review */
	int on;			/* any rule set */
	int64_t value;		/* a trade worth more (micro-units); 0: off */
	int64_t wh;		/* a trade of more Wh; 0: off */
	int band_pct;		/* price this far from the recent median */
	int band_slots;		/* the clearings the median is of */
	int tenure_days;	/* a party enrolled fewer days; 0: off */
	int credit_floor;	/* a party's credit score below it; 0: off */
	int roles;		/* a consumer selling, a seller past its
				 * registered capacity */
	int lead_minutes;	/* the deadline: this long before the slot */
};
#define DK_LINKS_MAX	32
struct dk_link {		/* a line or transformer between two zones */
	char name[DK_ID_MAX + 1];
	char a[DK_ID_MAX + 1], b[DK_ID_MAX + 1];
	int64_t cap_wh;		/* Wh per slot, either way */
	int64_t wheel;		/* micro-units per kWh crossing it */
};
struct dk_rules {
	char currency[8];
	char tz[64];
	char mechanism[16];
	char terms[65];		/* SHA-256 hex of the terms text */
	int slot_minutes;
	int64_t retail;		/* micro-units per kWh */
	int64_t buyback;
	int64_t fee;
	int64_t mmr;		/* mid-market: the community price */
	int zonal;		/* zones matter: wheeling or links set */
	int64_t wheel_inside;	/* micro-units per kWh, every trade */
	int64_t wheel_between;	/* per kWh between zones without links */
	size_t nlinks;		/* 0: zones are joined without limits */
	struct dk_link link[DK_LINKS_MAX];
	/* version 2: money (denki-formats(5), Settlement rule) */
	char imbalance[65];	/* SHA-256 hex of the price series, or "" */
	int64_t tol_wh;		/* the tolerance band: Wh, */
	int tol_pct;		/* and percent of the contracted Wh */
	int fee_bps;		/* of a contract's value */
	int fee_payer;		/* DK_PAYER_* */
	int64_t monthly_fee;	/* micro-units a month */
	int tax_bps;		/* on the cooperative's fees */
	int imb_given;		/* an audit's: imb_price is the slot's */
	int64_t imb_price;
	struct dk_revrules review;	/* version 3 (rules-review.c) */
};
#define DK_PAYER_BUYER	0
#define DK_PAYER_SELLER	1
#define DK_PAYER_SPLIT	2
int dk_rules_from_conf(struct dk_rules *, const struct dk_conf *,
    struct dk_err *);
int dk_rules_from_json(struct dk_rules *, json_t *, struct dk_err *);
json_t *dk_rules_json(const struct dk_rules *);
const char *dk_fee_payer_name(int payer);
int dk_revrules_conf(struct dk_revrules *, const struct dk_conf *,
    struct dk_err *);
int dk_revrules_from_json(struct dk_revrules *, json_t *, struct dk_err *);
void dk_revrules_json(const struct dk_revrules *, json_t *);

/* series.c: series of imbalance prices, by the SHA-256 of their file */
int dk_series_load(const char *path, int slot_minutes, char hash[65],
    struct dk_err *);
int dk_series_price(const char *hash, int64_t slot, int64_t *price,
    struct dk_err *);
const char *dk_series_unused(void);

/* registry.c: who may trade, replayed from participant records */
struct dk_participant {
	char id[DK_ID_MAX + 1];
	char zone[DK_ID_MAX + 1];
	char role[16];
	char key[64];		/* as in the record: minisign base64 */
	unsigned char pk[32];
	int active;
	int64_t max_wh;		/* Wh per slot over its orders; -1: none */
	int64_t max_day;	/* micro-units a day it may owe; -1: none */
	int64_t scope;		/* a reviewer's: the largest trade value
				 * (micro-units) it may approve; -1: none */
	int64_t capacity_wh;	/* a seller's registered capacity, Wh a
				 * slot; -1: none */
	size_t nmeters;
	char **meters;
	char **meter_key;	/* parallel to meters: the key that signs its
				 * readings (minisign base64), or NULL */
	int has_req;		/* a request or recovery was applied: */
	int64_t req_time;	/* the time of the last, which the next
				 * must pass (no replay) */
};
struct dk_registry {
	size_t n;
	struct dk_participant *p;
	size_t pcap;		/* participants p has room for */
	size_t *idx;		/* hash of ids: index + 1, 0 empty */
	size_t idxcap, nidx;	/* slots (a power of 2); entries indexed */
	struct dk_meterent {	/* hash of every meter ever registered */
		char *meter;	/* NULL: empty */
		size_t p;	/* its last owner's index in p */
	} *midx;
	size_t midxcap, nmidx;	/* slots (a power of 2); meters in it */
	int v2;			/* a participant record of version 2 seen */
	int has_rpk;		/* the genesis names a recovery key: */
	unsigned char rpk[32];
};
int dk_participant_check(json_t *rec, struct dk_err *);
int dk_role_valid(const char *role);
int dk_role_trades(const char *role);
int dk_meters_check(json_t *rec, struct dk_err *);
int dk_registry_apply(struct dk_registry *, json_t *rec, struct dk_err *);
int dk_registry_put(struct dk_registry *, json_t *rec, struct dk_err *);
const struct dk_participant *dk_registry_find(const struct dk_registry *,
    const char *id);
const struct dk_participant *dk_registry_meter(const struct dk_registry *,
    const char *meter);
const char *dk_participant_meter_key(const struct dk_participant *,
    const char *meter);
void dk_registry_free(struct dk_registry *);
size_t dk_strhash(const char *);

/* regedit.c: a change the operator asks for (denki-registry), as the
 * participant record that makes it */
struct dk_regedit {
	const char *cmd;	/* update, revoke or reinstate */
	const char *id;
	const char *keyf;	/* -k: a public key file (recover), or NULL */
	const char *zone, *role;	/* NULL: kept */
	char **meters;		/* -m, -M: for a member's request */
	size_t nmeters;
	char **mkeys;
	size_t nmkeys;
	long long max_wh, max_day;	/* -2: kept; -1: none */
};
json_t *dk_registry_edit(const struct dk_registry *,
    const struct dk_regedit *, struct dk_err *);
json_t *dk_participant_json(const struct dk_participant *);
int dk_regedit_limit(int opt, const char *s, long long *out,
    struct dk_err *);
int dk_registry_scope(json_t *rec, int given, long long scope,
    struct dk_err *);
int dk_registry_capacity(json_t *rec, int given, long long wh,
    struct dk_err *);
int dk_regedit_check(const char *cmd, const char *given, int nops,
    char **ops, struct dk_err *);

/* enrol.c: the member's signed requests (enrolment, key change), the
 * recovery record a second authority countersigns, and what the registry
 * requires of a participant record that changes a member's own part */
struct dk_request {
	const char *id;
	const struct dk_key *key;	/* the member's: signs (secret) */
	const struct dk_key *old;	/* NULL, or the key it replaces */
	char **meters;		/* -m */
	size_t nmeters;
	char **mkeys;		/* -M "meter=pubkey file" */
	size_t nmkeys;
	const char *zone, *role;
	int64_t time;
};
json_t *dk_request_make(const struct dk_request *, struct dk_err *);
int dk_request_check(json_t *req, struct dk_err *);
json_t *dk_recovery_make(const struct dk_participant *,
    const struct dk_key *newkey, const char *reason, int64_t time,
    struct dk_err *);
int dk_recovery_check(json_t *rec, const unsigned char *rpk,
    struct dk_err *);
int dk_recovery_countersign(json_t *rec, const struct dk_key *,
    char **what, struct dk_err *);
json_t *dk_request_read(const char *path, struct dk_err *);
json_t *dk_registry_request(const struct dk_registry *, json_t *req,
    const char *name, int add, long long max_wh, long long max_day,
    struct dk_err *);
int dk_participant_proof(const struct dk_registry *,
    const struct dk_participant *prev, json_t *rec, struct dk_err *);
json_t *dk_registry_recovery(const struct dk_registry *, const char *id,
    const struct dk_key *newkey, const char *reason, int64_t time,
    struct dk_err *);
json_t *dk_registry_history(json_t *prev, json_t *rec, long long seq);
int dk_members_only(json_t *o, const char *const *names, const char *what,
    struct dk_err *);
char *dk_history_text(json_t *history);


/* merkle.c: RFC 6962/9162 trees, inclusion and consistency proofs */
void dk_merkle_leaf(const void *, size_t, unsigned char out[32]);
void dk_merkle_root(const unsigned char (*leaves)[32], size_t n,
    unsigned char out[32]);
int dk_merkle_inclusion(const unsigned char (*leaves)[32], size_t n,
    size_t m, unsigned char (*proof)[32], size_t *np, struct dk_err *);
int dk_merkle_consistency(const unsigned char (*leaves)[32], size_t n,
    size_t m, unsigned char (*proof)[32], size_t *np, struct dk_err *);
int dk_merkle_verify_inclusion(uint64_t idx, uint64_t size,
    const unsigned char leaf[32], const unsigned char (*proof)[32],
    size_t np, const unsigned char root[32], struct dk_err *);
int dk_merkle_verify_consistency(uint64_t size1, uint64_t size2,
    const unsigned char root1[32], const unsigned char root2[32],
    const unsigned char (*proof)[32], size_t np, struct dk_err *);
struct dk_mtree {
	uint64_t size;
	int depth;
	unsigned char stack[64][32];
};
int dk_mtree_append(struct dk_mtree *, const unsigned char leaf[32]);
void dk_mtree_root(const struct dk_mtree *, unsigned char out[32]);

/* wpolicy.c: witnesses: those a verifier trusts and how many must have
 * cosigned (a witness policy), those a writer asks */
#define DK_WITNESS_MAX	16
#define DK_SKEW_DEFAULT	600	/* seconds between the operator's clock and
				 * a witness's */
struct dk_wkey {
	struct dk_vkey k;	/* its cosignature key (type 0x04) */
	char *url;		/* a writer's: where it takes add-checkpoint */
	uint64_t size;		/* the largest tree it cosigned in the ledger
				 * scanned; 0: none */
};
struct dk_wpolicy {
	struct dk_wkey w[DK_WITNESS_MAX];
	size_t n;
	long quorum;		/* how many must have cosigned; -1: all */
	long long skew;		/* the most a cosignature's time may be from
				 * its checkpoint's, in seconds */
};
void dk_wpolicy_init(struct dk_wpolicy *);
int dk_wpolicy_add(struct dk_wpolicy *, const char *vkey, const char *url,
    struct dk_err *);
int dk_wpolicy_file(struct dk_wpolicy *, const char *path, struct dk_err *);
size_t dk_wpolicy_quorum(const struct dk_wpolicy *);
int dk_wpolicy_note(struct dk_wpolicy *, const char *note,
    const struct dk_checkpoint *, size_t *count, struct dk_err *);
int dk_wpolicy_check(struct dk_wpolicy *, const char *note, struct dk_err *);
struct dk_scaninfo;
int dk_wpolicy_last(const struct dk_wpolicy *, const char *path,
    const struct dk_scaninfo *, struct dk_err *);
int dk_wpolicy_ledger(struct dk_wpolicy *, const char *path,
    const unsigned char pk[32], struct dk_err *);
void dk_wpolicy_free(struct dk_wpolicy *);

/* ledger.c: the append-only, hash-linked, operator-signed ledger
 * (appended to in ledger.c, read in ledger-scan.c, its genesis and
 * checkpoint entries checked in ledger-cp.c) */
typedef int (*dk_entry_fn)(void *ctx, long long seq, long line, json_t *rec,
    struct dk_err *);
struct dk_scaninfo {
	char origin[256];	/* from the genesis entry; "" without one */
	int committed;		/* its readings: 1 committed, 0 open */
	struct dk_key key;	/* the operator key the genesis names */
	struct dk_mtree tree;	/* every entry read */
	long long entries, checkpoints;
	char *note;		/* the last checkpoint's signed note */
	long long note_seq;	/* its entry */
	off_t good;		/* bytes of whole entries read */
	off_t last_start;	/* where the last of them starts */
	off_t note_end;		/* where the last checkpoint entry ends */
	long long fail_seq;	/* the entry a failed scan stopped at */
	int last_type_checkpoint;
	int torn;		/* the scan stopped at a torn last line */
	int want_leaves;	/* set to keep every leaf hash: */
	unsigned char (*leaves)[32];
	size_t nleaves, capleaves;
	const char *rec_text;	/* during the callback: the entry's "rec" */
	size_t rec_len;		/* as bytes of its line; NULL if not found */
	int64_t cp_time;	/* the time line of the last checkpoint with
				 * one (Unix seconds) */
	long long cp_time_seq;	/* its entry; 0: no checkpoint has a time */
	struct dk_wpolicy *policy;	/* set to check each checkpoint's
				 * cosignatures by these witnesses */
	size_t note_cosigs;	/* of them, those that cosigned the last */
	const char *const *only;	/* set (NULL-ended) to hand the caller
				 * only records of these types (and parse
				 * no others: dk_ledger_scan_only); then
				 * (without a policy) of the checkpoints
				 * only the last one's signature is
				 * checked, at the scan's end: for
				 * simulate's figures, not an audit */
};
struct dk_ledger;
/* a writer's witnesses, asked at a commit that ends with a checkpoint
 * (its note): the cosignature lines they gave, to add to the note
 * (malloc'd, "" for none), or NULL to stop the commit, with e filled */
typedef char *(*dk_cosign_fn)(void *ctx, const struct dk_ledger *,
    const char *note, struct dk_err *);
struct dk_ledger {
	int fd;
	char *path;
	long long next;		/* seq of the next entry */
	char prev[65];		/* hash of the last line */
	const struct dk_key *op;
	struct dk_scaninfo info;
	char *pend;		/* lines added, not yet committed (those not
				 * written ahead: it starts at byte pout of
				 * them), or the last commit's, kept */
	size_t npend, cappend;	/* (npend: all of them, written ahead too;
				 * the offsets below count from the first) */
	char base_prev[65];	/* where the pending lines started */
	long long base_next;
	struct dk_mtree base_tree;
	long long committed;
	int last_cp;		/* the last entry added is a checkpoint */
	size_t rec_off;		/* where its record's text starts in the
				 * pending lines (dk_ledger_last_text) */
	size_t base_nleaves;
	dk_cosign_fn cosign;	/* the witnesses, or NULL */
	void *cosign_ctx;
	size_t cosign_room;	/* bytes their lines can take, at most */
	char *cp_note;		/* the last checkpoint added: its note, */
	size_t cp_off;		/* where its line starts in the pending
				 * lines, */
	char cp_prev[65];	/* and the chain and tree before it */
	struct dk_mtree cp_tree;
	size_t cp_nleaves;
	struct dk_scache_w *sw;	/* opened through the state cache: what
				 * the entries added give it, written at
				 * each commit; NULL: the next start reads
				 * them */
	size_t hold;		/* 0, or (dk_ledger_spill) the pending
				 * bytes held before they are written,
				 * unacknowledged, ahead of the commit */
	int (*spill_first)(void *, struct dk_err *);
	void *spill_ctx;	/* what must be on disk before them */
	size_t pout;		/* of the pending lines, those written
				 * already: l->pend starts at byte pout */
	off_t run_at;		/* the last commit: where its lines start, */
	size_t run_n;		/* how long they are, */
	int run_out;		/* whether some were written before it, */
	int cut;		/* (the run cut back since: none kept) */
	char *view;		/* and then the file there, mapped */
	size_t nview, view_skip;
};
int dk_ledger_scan(const char *path, const unsigned char *oppk, dk_entry_fn,
    void *ctx, struct dk_err *);
int dk_ledger_scan_only(const char *path, const unsigned char *oppk,
    const char *const *types, dk_entry_fn, void *ctx, struct dk_err *);
int dk_ledger_scan_info(const char *path, const unsigned char *oppk,
    dk_entry_fn, void *ctx, struct dk_scaninfo *, struct dk_err *);
int dk_ledger_scan_fd(int fd, const char *path, const unsigned char *oppk,
    dk_entry_fn, void *ctx, struct dk_scaninfo *, struct dk_err *);
FILE *dk_ledger_fopen(const char *path, struct dk_err *);
int dk_ledger_scan_resume(FILE *, const char *name, long line0,
    const unsigned char *oppk, dk_entry_fn, void *ctx, char prev[65],
    long long *next, struct dk_scaninfo *, struct dk_err *);
void dk_scaninfo_free(struct dk_scaninfo *);
/* A reader that follows a ledger as it grows (ledger-scan.c): each
 * dk_follow reads what was appended since the one before, as
 * dk_ledger_scan_only reads the whole; dk_follow_end, once no more is
 * appended, refuses entries after the last checkpoint. */
struct dk_follow {
	struct dk_scaninfo si;	/* the scan so far (si.good: bytes read) */
	char prev[65];		/* the last line's hash */
	long long next;		/* the next entry, and line */
};
void dk_follow_init(struct dk_follow *, const char *const *types);
int dk_follow(struct dk_follow *, const char *path,
    const unsigned char *oppk, dk_entry_fn, void *ctx, struct dk_err *);
int dk_follow_end(struct dk_follow *, const char *path, struct dk_err *);
int dk_ledger_open(struct dk_ledger *, const char *path,
    const struct dk_key *op, dk_entry_fn, void *ctx, struct dk_err *);
int dk_ledger_open_w(struct dk_ledger *, const char *path,
    const struct dk_key *op, dk_entry_fn, void *ctx, struct dk_wpolicy *,
    struct dk_err *);
void dk_ledger_witnesses(struct dk_ledger *, dk_cosign_fn, void *ctx,
    size_t n);
int dk_ledger_genesis(struct dk_ledger *, const char *origin,
    int committed, struct dk_err *);
int dk_ledger_genesis_with(struct dk_ledger *, const char *origin,
    int committed, json_t *extra, struct dk_err *);
int dk_ledger_add(struct dk_ledger *, json_t *rec, struct dk_err *);
int dk_ledger_add_canon(struct dk_ledger *, json_t *rec, const char *c,
    struct dk_err *);
int dk_ledger_add_order(struct dk_ledger *, const char *line,
    struct dk_err *);
int dk_ledger_add_flat(struct dk_ledger *, json_t *head, const char *c,
    size_t n, struct dk_err *);
int dk_ledger_checkpoint(struct dk_ledger *, struct dk_err *);
size_t dk_ledger_last_text(const struct dk_ledger *);
/* what denki-settle and denki-contract-sign hold of their pending lines
 * before they write them ahead of the commit (dk_ledger_spill) */
#define DK_LEDGER_HOLD	((size_t)4 << 20)
void dk_ledger_spill(struct dk_ledger *, size_t hold,
    int (*first)(void *ctx, struct dk_err *), void *ctx);
const char *dk_ledger_lines(struct dk_ledger *, struct dk_err *);
int dk_ledger_commit(struct dk_ledger *, struct dk_err *);
int dk_ledger_finish(struct dk_ledger *, int dry, struct dk_err *);
void dk_ledger_close(struct dk_ledger *);

/* opening.c: readings as salted commitments (a ledger of committed
 * readings) and their openings, kept in the operator's store */
int dk_readings_mode(const char *, int *committed, struct dk_err *);
int dk_readings_conf(const struct dk_conf *, int *committed,
    struct dk_err *);
json_t *dk_commit_reading(json_t *reading, long long seq, json_t **opening);
json_t *dk_commit_canon(json_t *reading, const char *rc, size_t n,
    long long seq, char **opening, size_t *len);
char *dk_commitment_text(json_t *c);
int dk_commitment_check(json_t *rec, struct dk_err *);
int dk_is_hex64(const char *);
int dk_opening_check(json_t *opening, json_t *rec, long long seq,
    struct dk_err *);
int dk_openings_load(const char *path, json_t **byseq, struct dk_err *);
json_t *dk_openings_get(json_t *byseq, long long seq);
int dk_openings_trim(const char *path, const long long *cs, size_t ncs,
    struct dk_err *);
int dk_openings_append(const char *path, const char *buf, size_t n,
    off_t *before, struct dk_err *);
void dk_openings_cut(const char *path, off_t before);
int dk_openings_select(const char *lpath, const char *store,
    const unsigned char *oppk, long long entries, const char *member,
    char **buf, size_t *n, long long *count, long long *missing,
    struct dk_err *);

/* proof.c: what a member asks of the ledger: inclusion and consistency
 * proofs under its latest checkpoint (si scanned with want_leaves) */
json_t *dk_proof_inclusion(const struct dk_scaninfo *si, const char *path,
    long long seq, struct dk_err *);
int dk_proof_consistency(const struct dk_scaninfo *si,
    const unsigned char *pk, const char *name, const char *note,
    json_t **out, unsigned long long *size1, struct dk_err *);

/* sqlite.c: a state database opened in WAL mode with its schema; or
 * DK_SQLITE_UNSYNCED, a throwaway one (state_sync: off) */
struct sqlite3;
struct sqlite3 *dk_sqlite_open(const char *path, const char *schema,
    struct dk_err *);
#define DK_SQLITE_UNSYNCED	1
struct sqlite3 *dk_sqlite_open_as(const char *path, const char *schema,
    int flags, struct dk_err *);
int dk_sqlite_fail(struct sqlite3 *, struct dk_err *, const char *what);

/* witness.c: a witness of logs (C2SP tlog-witness add-checkpoint): the
 * last checkpoint it cosigned for each origin, kept in SQLite */
struct dk_witness {
	struct sqlite3 *db;
	char name[256];		/* its cosignatures' key name */
	const struct dk_key *key;
	struct dk_vkey *logs;	/* the logs' keys; each one's origin is its
				 * name */
	size_t nlogs;
};
int dk_witness_logs(struct dk_witness *, const char *path, struct dk_err *);
int dk_witness_open(struct dk_witness *, const char *state,
    const char *name, const struct dk_key *, struct dk_err *);
int dk_witness_add(struct dk_witness *, const char *body, size_t len,
    uint64_t now, char **out, uint64_t *size, struct dk_err *);
int dk_witness_checkpoint(struct dk_witness *, const char *hex, char **out,
    struct dk_err *);
int dk_witness_route(const char *method, const char *script,
    const char *info, char hex[65], struct dk_err *);
void dk_witness_close(struct dk_witness *);
const char *dk_witness_reason(int http);
int dk_witness_exit(int http);
int dk_witness_http(int exit);

/* receipt.c: the intake's signed receipts of the lines it received, and
 * the ledger record naming the intake key (denki-formats(5)) */
#define DK_GATE_DEFAULT	60	/* gate_closure_minutes */
#define DK_GATE_MAX	10080	/* a week */
struct dk_intakekey {		/* an intake record replayed */
	char key[64];		/* as in the record: minisign base64 */
	unsigned char pk[32];
	long long seq;		/* its entry */
	long long gate_minutes;
};
struct dk_state;
int dk_line_id(json_t *rec, char out[65]);
int dk_time_utc(int64_t, char *out, size_t len);
json_t *dk_receipt_make(const char *canon_line, size_t n, const char *kind,
    const char *who, const char *slot, int64_t received, const char *origin,
    const struct dk_key *, struct dk_err *);
int dk_receipt_check(json_t *receipt, const unsigned char pk[32],
    struct dk_err *);
json_t *dk_intake_record(const struct dk_key *, long long gate_minutes);
int dk_intake_check(json_t *rec, struct dk_key *, long long *gate,
    struct dk_err *);
const struct dk_intakekey *dk_state_intake(const struct dk_state *,
    const unsigned char pk[32]);
int dk_state_intake_add(struct dk_state *, long long seq, json_t *rec,
    struct dk_err *);
const struct dk_intakekey *dk_intake_named(const struct dk_state *,
    const char *lpath, const unsigned char pk[32], struct dk_err *);
json_t *dk_intake_publish(const struct dk_state *, const struct dk_key *,
    long long gate, long long *same);

/* halt.c: emergency halts and island mode (denki-halt, denki-grid-watch):
 * halt, halt_lift and cancel records, checked and replayed */
#define DK_HELD		"held: "	/* an order held by a halt: its reason */
#define DK_GW_REASON	"grid-watch: "	/* how grid-watch's reasons begin */
struct dk_halt {
	long long seq;		/* its entry */
	int island;		/* kind island: the utility is gone */
	char (*zones)[DK_ID_MAX + 1];	/* none: every zone */
	size_t nz;
	int64_t from, until;	/* slots from <= t < until (a lift cuts) */
	int64_t time;
	int lifted;
	int watch;		/* grid-watch's: its reason says so */
};
struct dk_halts {
	struct dk_halt *v;
	size_t n, cap;
	unsigned char oppk[32];	/* the genesis's operator key */
	int have_oppk;
	json_t *expect;		/* the cancel records a halt still owes */
	size_t pos;
	long long expect_seq;
};
struct dk_halt_req {		/* what denki-halt and grid-watch ask */
	int island;
	char **zones;
	size_t nz;
	int64_t from, until, time;
	const char *reason;
	json_t *telemetry;	/* or NULL */
};
struct dk_state;
json_t *dk_halt_make(const struct dk_state *, const struct dk_halt_req *,
    const struct dk_key *, struct dk_err *);
json_t *dk_halt_lift_make(const struct dk_state *, long long halt,
    const char *reason, int64_t time, json_t *telemetry,
    const struct dk_key *, struct dk_err *);
int dk_halt_apply(struct dk_state *, long long seq, const char *type,
    json_t *rec, struct dk_err *);
const struct dk_halt *dk_halt_find(const struct dk_state *, const char *zone,
    int64_t slot, int island);
json_t *dk_halt_cancels(const struct dk_state *);
int dk_halt_append(struct dk_ledger *, struct dk_state *, json_t *rec,
    json_t *out, struct dk_err *);
void dk_halts_free(struct dk_halts *);

/* gridwatch.c: grid telemetry judged a reading at a time (grid.* of
 * coop.yaml): a zone out of its bands halted, a stable one lifted */
struct dk_gw_conf {
	int64_t fmin, fmax;	/* mHz */
	int64_t vmin, vmax;	/* mV */
	int64_t stable, stuck, gap;	/* seconds */
	int64_t halt_minutes;	/* a halt's window */
};
struct dk_gw_zone {
	char zone[DK_ID_MAX + 1];
	int halted;
	long long seq;		/* the halt in force, when known */
	int64_t last_t, ok_since, same_since;	/* -1: none */
	int64_t f, v;		/* its last reading's */
};
struct dk_gw {
	struct dk_gw_conf c;
	const struct dk_rules *r;
	struct dk_gw_zone *z;
	size_t nz, cap;
};
struct dk_gw_reading {
	int64_t t;
	size_t zone;		/* index into z */
	int64_t f, v;
	int64_t flow[DK_LINKS_MAX];	/* W, a to b */
	unsigned char has_flow[DK_LINKS_MAX];
};
#define DK_GW_HALT	1
#define DK_GW_LIFT	2
#define DK_GW_GAP	4
int dk_gw_conf(struct dk_gw_conf *, const struct dk_conf *, struct dk_err *);
int dk_gw_init(struct dk_gw *, const struct dk_gw_conf *,
    const struct dk_state *, int64_t now, struct dk_err *);
int dk_gw_read(struct dk_gw *, json_t *rec, struct dk_gw_reading *,
    struct dk_err *);
int dk_gw_step(struct dk_gw *, const struct dk_gw_reading *, char *why,
    size_t n, char *gapwhy, size_t gn, struct dk_err *);
void dk_gw_free(struct dk_gw *);
struct dk_gw_said {		/* what dk_gw_line decided, and why */
	size_t zone;
	char why[300], gap[200];
	json_t *tel;		/* a decision's: the reading and where */
};
int dk_gw_line(struct dk_gw *, const char *s, size_t n, const char *where,
    int poll, struct dk_gw_said *, struct dk_err *);
json_t *dk_gw_decision(const struct dk_gw *, const struct dk_state *,
    int what, size_t zone, const char *why, json_t *tel, int64_t now,
    const struct dk_key *, struct dk_err *);

/* state.c: what the ledger says so far, replayed entry by entry */
struct dk_contract {		/* what settlement and the day limits read */
	char seller[DK_ID_MAX + 1];	/* "" when not an id */
	char buyer[DK_ID_MAX + 1];
	unsigned char has;	/* DK_C_* bits: the fields the record had */
	int64_t wh, price, buy_price, fee, wheeling;
};
#define DK_C_SELLER	1	/* seller: a string */
#define DK_C_BUYER	2
#define DK_C_BUY_PRICE	4	/* buy_price: present */
#define DK_C_CANCELLED	8	/* cancelled by a halt (a cancel record) */
struct dk_slotstate {
	int64_t slot;
	struct dk_rules rules;	/* in force when it was cleared */
	struct dk_contract *c;	/* its contracts, in the ledger's order */
	size_t nc, capc;
	int settled;
	json_t *prov;	/* participant -> its provisional settlement not
			 * yet trued up; NULL: none */
};
struct dk_state {
	struct dk_registry reg;
	struct dk_rules rules;
	int have_rules;
	json_t *terms;		/* object: hash -> text */
	json_t *billed;		/* month -> {participant: true}: billed the
				 * membership fee (transfers "membership") */
	size_t nslots, capslots;
	struct dk_slotstate *slots;	/* in the order they were cleared */
	size_t *bytime;		/* their indexes, by slot time */
	long long entries;
	struct dk_intakekey *intake;	/* every intake record, in order: the
				 * last is the key in use */
	size_t nintake, capintake;
	struct dk_halts halts;	/* halt.c */
};
void dk_state_init(struct dk_state *);
int dk_state_apply(void *state, long long seq, long line, json_t *rec,
    struct dk_err *);
struct dk_slotstate *dk_state_slot(struct dk_state *, int64_t slot);
json_t *dk_state_contracts(const struct dk_slotstate *);
void dk_state_contract_of(json_t *rec, struct dk_contract *);
int dk_state_apply_settled(struct dk_state *, int settlement, int64_t t,
    const char *ts, struct dk_err *);
void dk_state_free(struct dk_state *);
int64_t dk_state_day_owed(const struct dk_state *, const char *participant,
    int64_t slot);
int dk_state_put_contract(struct dk_state *, int64_t slot,
    const struct dk_contract *);

/* state-cache.c: the state kept beside the ledger (LEDGER.state) and
 * brought up to date from where it was last read: a scan given
 * dk_scache_apply and a struct dk_scache reads only what was appended */
struct dk_scache {
	struct dk_state *st;	/* the state the entries go into */
	dk_entry_fn fn;		/* each entry read from the ledger itself;
				 * NULL: dk_state_apply on st */
	void *ctx;
	int nocache;		/* set: the whole ledger read, the cache
				 * written again */
	uint64_t *avoid;	/* (meter, slot) pairs (dk_scache_avoid): a
				 * reading or commitment the cache holds of
				 * one means a whole read; only callers that
				 * fill it (settle) are kept from the cache's
				 * readings and commitments so */
	size_t navoid, capavoid;
	uint64_t *abits;	/* inside: a bit of each avoided pair's
				 * first bits, looked at before avoid */
	int abits_shift;	/* 64 - the bits */
	int want_k;		/* set: kseq filled (settle) */
	int used;		/* out: the state came from the cache */
	long long *kseq;	/* out: with want_k, the commitments the
				 * cache held */
	size_t nk, capk;
	FILE *out;		/* inside: the lines to add, */
	char *obuf;
	size_t olen;
	struct dk_scaninfo *si;
	struct dk_mtree cptree;	/* the tree before the last checkpoint, */
	off_t cp_start;		/* where its line starts */
	int again;		/* the entry read settles a settled slot */
	struct dk_scache_w *w;	/* out: the cache as the scan left it, for
				 * a writer's dk_ledger_open to keep */
};
void dk_scache_init(struct dk_scache *, struct dk_state *);
int dk_scache_apply(void *scache, long long seq, long line, json_t *rec,
    struct dk_err *);
uint64_t dk_scache_pair(const char *meter, const char *slot);
int dk_scache_avoid(struct dk_scache *, const char *meter, const char *slot);
void dk_scache_free(struct dk_scache *);

/* timeline.c: each slot's clearing, contracts and settlement bounded by
 * the times of the checkpoints around them; the seed's limits, in seconds
 * (report only: the rules do not carry them) */
#define DK_LATE_CLEAR	(15 * 60)	/* cleared after the slot's start */
#define DK_LATE_CONTRACT (30 * 60)	/* contracted after its start */
#define DK_LATE_SETTLE	(60 * 60)	/* settled after its end */
json_t *dk_timeline(const char *path, const unsigned char oppk[32],
    struct dk_err *);

/* verify.c: a proof against the operator's checkpoints; a checkpoint kept
 * from before against a ledger's tree */
json_t *dk_proof_hashes(const unsigned char (*p)[32], size_t n);
int dk_proof_verify(json_t *proof, const unsigned char pk[32],
    const char *origin, char *ok, size_t oklen, struct dk_err *);
int dk_checkpoint_against(const char *file, const char *path,
    const unsigned char pk[32], const struct dk_scaninfo *,
    char **evidence, struct dk_err *);

#endif
