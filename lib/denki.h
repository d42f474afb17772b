/*
 * libdenki: the map of the library.  One section per lib/ file.
 * lib/ reports, cmd/ decides: functions fill a struct dk_err and return -1
 * (or NULL); they never print or exit.
 */
#ifndef DENKI_H
#define DENKI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <jansson.h>

#define DK_VERSION "0.1.0"

/*
 * The frozen exit-status table (sysexits), shared by every program: the
 * number, its name, and its meaning in the words of denki(7)'s EXIT STATUS,
 * which each program's page quotes for the statuses that program returns
 * (tests/exit-status.bats holds the pages equal to this table).  None of
 * these numbers will change meaning.
 */
#define DK_EXIT_TABLE(X) \
	X(DK_EX_OK,		0,	"ok") \
	X(DK_EX_NO,		1,	"the answer is no") \
	X(DK_EX_USAGE,		64,	"usage") \
	X(DK_EX_DATAERR,	65,	"bad input data") \
	X(DK_EX_NOINPUT,	66,	"cannot open input") \
	X(DK_EX_UNAVAILABLE,	69,	"service unavailable") \
	X(DK_EX_SOFTWARE,	70,	"internal error") \
	X(DK_EX_CANTCREAT,	73,	"cannot create output") \
	X(DK_EX_IOERR,		74,	"I/O error") \
	X(DK_EX_TEMPFAIL,	75,	"try again later") \
	X(DK_EX_NOPERM,		77,	"permission denied") \
	X(DK_EX_CONFIG,		78,	"bad configuration")

#define DK_EX_ENUM(name, num, text)	name = num,
enum { DK_EXIT_TABLE(DK_EX_ENUM) };
#undef DK_EX_ENUM

/* Limits that keep every amount a slot's settlement makes below 2^53
 * (denki-formats(5), Limits): a slot holds DK_MAX_WH a side in orders and
 * each way in readings, and every price is at most DK_MAX_PRICE. */
#define DK_MAX_WH	100000000LL		/* 100 MWh in one order or slot */
#define DK_MAX_PRICE	10000000000LL		/* 10,000 units per kWh, in micro */
#define DK_MAX_SAFE_INT	9007199254740991LL	/* 2^53 - 1, the JCS profile */
#define DK_ID_MAX	32
#define DK_ORIGIN	"denki.local/ledger"	/* set "origin" to your own */

/* err.c */
struct dk_err {
	int status;		/* an exit status from the table above */
	long item;		/* which input item is at fault, if one is */
	char msg[512];
};
int dk_fail(struct dk_err *, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int dk_failpre(struct dk_err *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void dk_warnx(const char *prog, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int dk_finish_stdout(const char *prog);
const char *dk_exit_text(int status);
int dk_valid_id(const char *);

/* jsonl.c: JSON lines in the canonical profile (RFC 8785 restricted) */
struct dk_reader {
	FILE *fp;
	const char *name;	/* for messages: a path, or "stdin" */
	long line;		/* 1-based number of the line last read */
	char *buf;
	size_t cap;
	int torn;		/* the last line read had no newline */
	int owned;
};
int dk_reader_open(struct dk_reader *, const char *path, struct dk_err *);
long dk_reader_next(struct dk_reader *, char **line, struct dk_err *);
void dk_reader_close(struct dk_reader *);
json_t *dk_parse(const char *buf, size_t len, struct dk_err *);
json_t *dk_parse_member(const char *buf, size_t len, const char *key,
    struct dk_err *);
int dk_profile_check(json_t *, struct dk_err *);
char *dk_canon(json_t *);
int dk_is_canonical(const char *, size_t);
char *dk_canon_without(json_t *obj, const char *key);
int dk_emit(FILE *, json_t *);
int dk_get_int(json_t *obj, const char *key, long long min, long long max,
    long long *out, struct dk_err *);
const char *dk_get_str(json_t *obj, const char *key, struct dk_err *);
const char *dk_get_id(json_t *obj, const char *key, struct dk_err *);
int dk_check_type(json_t *obj, const char *type, struct dk_err *);

/* money.c: integer energy and money, and the one rounding rule; each
 * returns -1 rather than wrap (see denki-formats(5), Units) */
int dk_value(int64_t wh, int64_t price_per_kwh, int64_t *out);
int dk_muldiv(int64_t a, int64_t b, int64_t d, int64_t *out);
int dk_add(int64_t *sum, int64_t x);
void dk_money_str(int64_t micro, char *out, size_t len);

/* slot.c: RFC 3339 times and delivery slots */
int dk_time_parse(const char *, int64_t *, struct dk_err *);
int dk_time_format(int64_t, const char *tz, char *out, size_t len);
int64_t dk_days_from_civil(int64_t y, int m, int d);
int dk_slot_parse(const char *, int slot_minutes, int64_t *, struct dk_err *);

/* sig.c: Ed25519 keys (minisign layout), record signatures, hashes */
struct dk_key {
	unsigned char keynum[8];
	unsigned char pk[32];
	unsigned char *sk;	/* sodium_malloc'd seed||pk, or NULL */
};
/* the longest untrusted comment minisign reads: line 1 and its newline
 * in 1023 bytes */
#define DK_KEY_COMMENTMAX 1003
int dk_init(struct dk_err *);
int dk_key_generate(struct dk_key *, struct dk_err *);
void dk_key_free(struct dk_key *);
int dk_key_write_pub(const struct dk_key *, const char *path,
    const char *comment, int force, struct dk_err *);
int dk_key_write_sec(const struct dk_key *, const char *path,
    const char *comment, int force, struct dk_err *);
int dk_key_read_pub(struct dk_key *, const char *path, struct dk_err *);
int dk_key_read_sec(struct dk_key *, const char *path, struct dk_err *);
char *dk_key_pub_b64(const struct dk_key *);
int dk_key_from_b64(struct dk_key *, const char *b64, struct dk_err *);
int dk_unb64(const char *s, size_t len, unsigned char *bin, size_t n);
int dk_sign_record(json_t *rec, const struct dk_key *, struct dk_err *);
int dk_verify_record(json_t *rec, const unsigned char pk[32], struct dk_err *);
int dk_record_sig(json_t *rec, char **msg, size_t *len, unsigned char sig[64],
    struct dk_err *);
int dk_record_sig_text(json_t *rec, const char *text, size_t tlen,
    char **msg, size_t *len, unsigned char sig[64], struct dk_err *);
void dk_sha256_hex(const void *, size_t, char out[65]);
char *dk_minisig(const void *msg, size_t len, const struct dk_key *,
    const char *untrusted, const char *trusted, struct dk_err *);

/* conf.c: YAML configuration, flattened to dotted keys; -D overrides;
 * every key checked against one table of settings */
#define DK_CONF_COOP	1	/* the cooperative's file (coop.yaml) */
#define DK_CONF_HOME	2	/* a household's file (home.yaml) */
enum { DK_CONF_TEXT, DK_CONF_INT, DK_CONF_PATH, DK_CONF_LIST };
struct dk_confkey {
	const char *name;	/* dotted; "*" is a name the file chooses */
	int kinds;		/* DK_CONF_COOP, DK_CONF_HOME or both */
	int type;		/* DK_CONF_TEXT, ... */
	long long min, max;	/* DK_CONF_INT: the range */
};
struct dk_conf {
	char *path;
	char *dir;		/* relative paths resolve against this */
	size_t n;
	char **key;
	char **val;
	char *cli;		/* 1: given with -D, so relative to the cwd */
	size_t *line;		/* the file's line; 0: -D */
	int kind;		/* DK_CONF_COOP or _HOME; 0: not checked */
};
const struct dk_confkey *dk_conf_keys(size_t *n);
const struct dk_confkey *dk_conf_find(const char *key);
int dk_conf_load(struct dk_conf *, const char *path, struct dk_err *);
int dk_conf_set(struct dk_conf *, const char *assignment, struct dk_err *);
const char *dk_conf_str(const struct dk_conf *, const char *key,
    const char *def);
int dk_conf_int(const struct dk_conf *, const char *key, long long def,
    long long min, long long max, long long *out, struct dk_err *);
char *dk_conf_path(const struct dk_conf *, const char *key, const char *def);
void dk_conf_free(struct dk_conf *);
int dk_conf_open(struct dk_conf *, const char *path, int kind,
    char *const *defs, size_t ndefs, struct dk_err *);
int dk_conf_key(const struct dk_conf *, const char *key, int secret,
    struct dk_key *, struct dk_err *);

/* rules.c: the market rules in force (a ledger record) */
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
};
int dk_rules_from_conf(struct dk_rules *, const struct dk_conf *,
    struct dk_err *);
int dk_rules_from_json(struct dk_rules *, json_t *, struct dk_err *);
json_t *dk_rules_json(const struct dk_rules *);

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
	size_t nmeters;
	char **meters;
	char **meter_key;	/* parallel to meters: the key that signs its
				 * readings (minisign base64), or NULL */
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
};
int dk_participant_check(json_t *rec, struct dk_err *);
int dk_registry_apply(struct dk_registry *, json_t *rec, struct dk_err *);
const struct dk_participant *dk_registry_find(const struct dk_registry *,
    const char *id);
const struct dk_participant *dk_registry_meter(const struct dk_registry *,
    const char *meter);
const char *dk_participant_meter_key(const struct dk_participant *,
    const char *meter);
void dk_registry_free(struct dk_registry *);
size_t dk_strhash(const char *);

/* merkle.c: RFC 6962/9162 trees, inclusion and consistency proofs */
void dk_merkle_leaf(const void *, size_t, unsigned char out[32]);
void dk_merkle_node(const unsigned char l[32], const unsigned char r[32],
    unsigned char out[32]);
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

/* note.c: C2SP signed notes and tlog checkpoints (Ed25519) */
struct dk_vkey {
	char name[256];
	uint32_t id;
	unsigned char pk[32];
};
struct dk_checkpoint {
	char origin[256];
	uint64_t size;
	unsigned char root[32];
};
int dk_vkey_make(const char *name, const unsigned char pk[32], char *out,
    size_t n);
int dk_vkey_parse(const char *, struct dk_vkey *, struct dk_err *);
char *dk_note_sign(const char *text, const char *name, const struct dk_key *,
    struct dk_err *);
long dk_note_open(const char *note, size_t len, const struct dk_vkey *keys,
    size_t nkeys, struct dk_err *);
int dk_checkpoint_parse(const char *text, size_t len, struct dk_checkpoint *,
    struct dk_err *);
char *dk_checkpoint_text(const char *origin, uint64_t size,
    const unsigned char root[32]);

/* pool.c: signature checks on worker threads */
struct dk_pool;
struct dk_pool *dk_pool_new(int threads);
int dk_pool_add(struct dk_pool *, long long seq, long line, char *msg,
    size_t len, const unsigned char sig[64], const unsigned char pk[32],
    const char *what);
int dk_pool_finish(struct dk_pool *, const char *name, long long *bad_seq,
    struct dk_err *);
long long dk_pool_checked(struct dk_pool *);
void dk_pool_free(struct dk_pool *);

/* ledger.c: the append-only, hash-linked, operator-signed ledger */
typedef int (*dk_entry_fn)(void *ctx, long long seq, long line, json_t *rec,
    struct dk_err *);
struct dk_scaninfo {
	char origin[256];	/* from the genesis entry; "" without one */
	struct dk_key key;	/* the operator key the genesis names */
	struct dk_mtree tree;	/* every entry read */
	long long entries, checkpoints;
	char *note;		/* the last checkpoint's signed note */
	long long note_seq;	/* its entry */
	off_t good;		/* bytes of whole entries read */
	off_t note_end;		/* where the last checkpoint entry ends */
	long long fail_seq;	/* the entry a failed scan stopped at */
	int last_type_checkpoint;
	int torn;		/* the scan stopped at a torn last line */
	int want_leaves;	/* set to keep every leaf hash: */
	unsigned char (*leaves)[32];
	size_t nleaves, capleaves;
	const char *rec_text;	/* during the callback: the entry's "rec" */
	size_t rec_len;		/* as bytes of its line; NULL if not found */
};
struct dk_ledger {
	int fd;
	char *path;
	long long next;		/* seq of the next entry */
	char prev[65];		/* hash of the last line */
	const struct dk_key *op;
	struct dk_scaninfo info;
	char *pend;		/* lines added, not yet committed */
	size_t npend, cappend;
	char base_prev[65];	/* where the pending lines started */
	long long base_next;
	struct dk_mtree base_tree;
	long long committed;
	int last_cp;		/* the last entry added is a checkpoint */
};
int dk_ledger_scan(const char *path, const unsigned char *oppk, dk_entry_fn,
    void *ctx, struct dk_err *);
int dk_ledger_scan_info(const char *path, const unsigned char *oppk,
    dk_entry_fn, void *ctx, struct dk_scaninfo *, struct dk_err *);
int dk_ledger_scan_fd(int fd, const char *path, const unsigned char *oppk,
    dk_entry_fn, void *ctx, struct dk_scaninfo *, struct dk_err *);
void dk_scaninfo_free(struct dk_scaninfo *);
int dk_ledger_open(struct dk_ledger *, const char *path,
    const struct dk_key *op, dk_entry_fn, void *ctx, struct dk_err *);
int dk_ledger_genesis(struct dk_ledger *, const char *origin,
    struct dk_err *);
int dk_ledger_add(struct dk_ledger *, json_t *rec, struct dk_err *);
int dk_ledger_checkpoint(struct dk_ledger *, struct dk_err *);
int dk_ledger_commit(struct dk_ledger *, struct dk_err *);
void dk_ledger_close(struct dk_ledger *);

/* order.c: orders, checked against the rules and the registry */
enum { DK_SELL = 0, DK_BUY = 1 };
struct dk_order {
	json_t *rec;		/* as signed; the book keeps it */
	char id[65];		/* SHA-256 hex of the canonical signed line */
	char participant[DK_ID_MAX + 1];
	char zone[DK_ID_MAX + 1];	/* from the registry */
	int side;
	int64_t slot;
	int64_t wh;
	int64_t price;
	int64_t fill;		/* Wh allocated by clearing */
	const char *line;	/* the canonical line, when rec is NULL */
	size_t len;
	size_t src;		/* the caller's: where the order came from */
};
int dk_order_check(struct dk_order *, json_t *rec, const struct dk_rules *,
    const struct dk_registry *, struct dk_err *);
int dk_order_read(struct dk_order *, json_t *rec, const struct dk_rules *,
    const struct dk_registry *, struct dk_err *);
int dk_order_read_id(struct dk_order *, json_t *rec, const char *id,
    const struct dk_rules *, const struct dk_registry *, struct dk_err *);
struct dk_ordersig {		/* what checking an order's signature takes */
	unsigned char sig[64];
	const unsigned char *pk;
	size_t sigat, siglen;	/* the "sig" member, cut for the message */
};
int dk_order_line(struct dk_order *, const char *line, size_t len,
    const struct dk_rules *, const struct dk_registry *,
    struct dk_ordersig *);
int dk_order_line_verify(const struct dk_order *, const struct dk_ordersig *);

/* market.c: clearing one slot: uniform price, pay-as-bid, mid-market or
 * McAfee's trade reduction, over zones joined by links (denki-formats(5)) */
struct dk_trade {
	size_t sell, buy;	/* indexes into the sorted book */
	int64_t wh;
	int64_t price;		/* what the seller gets, per kWh */
	int64_t buy_price;	/* what the buyer pays, per kWh, wheeling in */
	int64_t wheeling;	/* per kWh, to the grid */
};
struct dk_zoneres {
	char name[DK_ID_MAX + 1];
	int have_price;
	int64_t price;		/* uniform: the zone's (seller's) price */
	int64_t sell_wh, buy_wh, sold_wh, bought_wh;
};
struct dk_clearing {
	int64_t slot;
	int matched;		/* 0: no trade, price is undefined */
	int have_price;		/* one price for the slot (see the man page) */
	int64_t price;
	int64_t wh;
	size_t nsell, nbuy;
	int64_t sell_wh, buy_wh;
	int reduced;		/* mcafee: the marginal orders were left out */
	char book[65];
	struct dk_trade *t;
	size_t nt;
	struct dk_zoneres *z;	/* zonal rules only */
	size_t nz;
	int64_t flow[DK_LINKS_MAX];	/* Wh from link a to b (< 0: b to a) */
};
typedef void (*dk_reject_fn)(void *ctx, const struct dk_order *,
    const char *reason);
struct dk_state;
size_t dk_book_filter(struct dk_order *, size_t n, const struct dk_state *,
    dk_reject_fn, void *ctx);	/* (size_t)-1: out of memory */
#define DK_REJECT_MAX	256
void dk_reject_first(void *buf, const struct dk_order *, const char *why);
int dk_clear(struct dk_order *, size_t n, int64_t slot,
    const struct dk_rules *,
    struct dk_clearing *, struct dk_err *);
json_t *dk_trade_json(const struct dk_clearing *, const struct dk_order *,
    const struct dk_trade *, const struct dk_rules *);
int dk_trade_print(FILE *, const char *slot, const struct dk_order *,
    const struct dk_trade *, const struct dk_rules *);
json_t *dk_clearing_json(const struct dk_clearing *, const struct dk_rules *);
json_t *dk_contract_json(json_t *trade, const struct dk_rules *);
void dk_clearing_free(struct dk_clearing *);

/* settle.c: metered energy against contracts, one slot */
int dk_reading_check(json_t *rec, const struct dk_rules *, int64_t *slot,
    struct dk_err *);
int dk_reading_verify(json_t *rec, const struct dk_participant *,
    struct dk_err *);
int dk_settle(int64_t slot, json_t *contracts, json_t *readings,
    const struct dk_registry *, const struct dk_rules *, json_t *out,
    struct dk_err *);	/* on a bad reading, e->item is its index */

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
struct dk_slotstate {
	int64_t slot;
	struct dk_rules rules;	/* in force when it was cleared */
	struct dk_contract *c;	/* its contracts, in the ledger's order */
	size_t nc, capc;
	int settled;
};
struct dk_state {
	struct dk_registry reg;
	struct dk_rules rules;
	int have_rules;
	json_t *terms;		/* object: hash -> text */
	size_t nslots, capslots;
	struct dk_slotstate *slots;	/* in the order they were cleared */
	size_t *bytime;		/* their indexes, by slot time */
	long long entries;
};
void dk_state_init(struct dk_state *);
int dk_state_apply(void *state, long long seq, long line, json_t *rec,
    struct dk_err *);
struct dk_slotstate *dk_state_slot(struct dk_state *, int64_t slot);
json_t *dk_state_contracts(const struct dk_slotstate *);
void dk_state_free(struct dk_state *);
int64_t dk_state_day_owed(const struct dk_state *, const char *participant,
    int64_t slot);

/* meter.c: reading records from CSV files and the simulator */
typedef int (*dk_reading_fn)(void *ctx, json_t *reading, struct dk_err *);
struct dk_csvopt {
	const char *meter;
	const char *import_col;	/* NULL: detect */
	const char *export_col;
	const struct dk_rules *rules;
	void (*warn)(void *ctx, const char *msg);	/* gaps, resets */
};
int dk_meter_csv(FILE *, const char *name, const struct dk_csvopt *,
    dk_reading_fn, void *ctx, struct dk_err *);
int dk_meter_sim(const char *meter, uint64_t seed, int64_t from, int nslots,
    long long pv_peak_w, long long load_w, const struct dk_rules *,
    dk_reading_fn, void *ctx, struct dk_err *);

/* meter drivers (lib/drv-*.c): one poll of a device's registers, as samples.
 * A driver reads its settings from conf keys "meter.<driver>.*", talks to
 * the device, and calls d->sample once per value it got.  It never prints;
 * meter-read stores every sample before it turns counters into slots. */
#define DK_NOVAL INT64_MIN	/* a register the device did not give */
struct dk_sample {
	char meter[DK_ID_MAX + 1];	/* "": the configured meter.id */
	char kind[16];		/* "grid", "pv" or "battery" */
	int64_t t;		/* unix time the values are for */
	int exact;		/* 1: the device stamped t on a slot boundary
				 * itself (ECHONET EA/EB fixed-time values) */
	int64_t import_mwh;	/* cumulative, milli-Wh; DK_NOVAL: unknown.
				 * pv: generated; battery: charged */
	int64_t export_mwh;	/* grid: fed in; battery: discharged */
	int64_t wrap_mwh;	/* where the counters wrap to 0; 0: never */
	int64_t power_w;	/* instantaneous, + import; DK_NOVAL: unknown */
};
struct dk_drv {
	const struct dk_conf *conf;
	int (*sample)(void *ctx, const struct dk_sample *, struct dk_err *);
	void (*warn)(void *ctx, const char *msg);	/* retries, refusals */
	void *ctx;
	long rejected;		/* frames or telegrams refused (bad CRC ...) */
};
typedef int (*dk_driver_fn)(struct dk_drv *, struct dk_err *);
dk_driver_fn dk_driver_find(const char *name);	/* drivers.c */
const char *dk_driver_names(void);
json_t *dk_sample_json(const struct dk_sample *, const char *tz);
int dk_sample_from_json(struct dk_sample *, json_t *, struct dk_err *);
int dk_drv_samples(struct dk_drv *, struct dk_err *);	/* samples.c */

/* walk.c: cumulative counters to slot readings and gaps (one meter) */
struct dk_slotres {
	const char *meter, *kind;
	int64_t slot;
	const char *gap;	/* NULL: a reading; else why there is none */
	int64_t last;		/* a gap: the last slot of its run (or slot) */
	int64_t import_wh, export_wh;
	int64_t import_total_wh, export_total_wh;	/* DK_NOVAL: unknown */
};
typedef int (*dk_slot_fn)(void *ctx, const struct dk_slotres *,
    struct dk_err *);
struct dk_walk {
	char meter[DK_ID_MAX + 1];
	char kind[16];
	int64_t slot, tol;	/* seconds */
	int started;		/* a first boundary was fixed */
	int have;		/* boundary b has a sample */
	int broken;		/* a counter went backwards since b */
	int64_t b;		/* slots before b have their result */
	int64_t bi, be, ui, ue;	/* counters at b: raw and unwrapped, mWh */
	int fed;
	int64_t pt, pi, pe, pui, pue;	/* the last sample fed */
	long late, resets;	/* this run: samples too late, resets seen */
};
int dk_counter_step(int64_t c0, int64_t c1, int64_t wrap, int64_t *d);
int64_t dk_slot_wh(int64_t u0, int64_t u1);
void dk_walk_init(struct dk_walk *, const char *meter, const char *kind,
    int slot_minutes, int64_t tolerance);
int dk_walk_feed(struct dk_walk *, const struct dk_sample *, dk_slot_fn,
    void *ctx, struct dk_err *);
json_t *dk_walk_json(const struct dk_walk *);
int dk_walk_from_json(struct dk_walk *, json_t *, struct dk_err *);
json_t *dk_slotres_json(const struct dk_slotres *, const char *tz);

/* sunspec.c: SunSpec register maps (the SunS marker, the model chain, the
 * integer inverter and meter models) read through any transport.  A read
 * function fills out[0..n-1] with holding registers addr..addr+n-1 and
 * returns 0; 1 when the device refuses the address (e->msg says how);
 * -1 on any other failure (e filled; DK_EX_TEMPFAIL: worth a retry). */
typedef int (*dk_regs_fn)(void *ctx, unsigned addr, unsigned n,
    uint16_t *out, struct dk_err *);
#define DK_SUNSPEC_MAXMODELS 64
struct dk_sunspec_model {
	unsigned addr;		/* of its ID register */
	unsigned id;
	unsigned len;		/* L: registers after ID and L */
};
int dk_sunspec_find(dk_regs_fn, void *ctx, long base, unsigned *found,
    struct dk_err *);
int dk_sunspec_walk(dk_regs_fn, void *ctx, unsigned base,
    struct dk_sunspec_model *, size_t max, size_t *n, struct dk_err *);
int dk_sunspec_scale(int64_t v, int exp10, int round, int64_t *out);
int dk_sunspec_decode(const uint16_t *model, unsigned addr, int sign,
    struct dk_sample *, struct dk_err *);
int dk_sunspec_poll(dk_regs_fn, void *ctx, long base, int sign, int64_t t,
    int (*put)(void *, const struct dk_sample *, struct dk_err *),
    void *pctx, unsigned *found, struct dk_err *);
int dk_drv_sunspec(struct dk_drv *, struct dk_err *);	/* drv-sunspec.c */
/* echonet.c: ECHONET Lite format-1 frames, and reading a node's smart
 * meter (0x0288), PV (0x0279) and battery (0x027D) into samples through a
 * transport (UDP in drv-echonet.c, a Wi-SUN dongle in drv-broute.c) */
#define DK_EL_GET	0x62
#define DK_EL_GET_RES	0x72
#define DK_EL_GET_SNA	0x52
struct dk_el_prop {
	unsigned char epc, pdc;
	const unsigned char *edt;	/* into the parsed buffer */
};
struct dk_el_frame {
	unsigned tid;
	unsigned char seoj[3], deoj[3], esv;
	int opc;
	struct dk_el_prop p[255];
};
size_t dk_el_get(unsigned char *buf, size_t cap, unsigned tid,
    const unsigned char seoj[3], const unsigned char deoj[3],
    const unsigned char *epcs, int n);
int dk_el_parse(const unsigned char *, size_t, struct dk_el_frame *,
    char *why, size_t whylen);
const struct dk_el_prop *dk_el_prop(const struct dk_el_frame *, int epc);
int dk_el_energy_mwh(uint32_t raw, uint32_t coef, int unit, int64_t *mwh);
struct dk_el_io {
	void *ctx;
	const char *peer;	/* for messages: "host:port", "device ipv6" */
	int timeout_ms;
	int retries;		/* further attempts after the first */
	/* 0 sent, 1 the send failed (worth a retry), -1 error (e set) */
	int (*send)(void *ctx, const unsigned char *, size_t, struct dk_err *);
	/* a frame from the peer: its length; 0 nothing before the deadline
	 * (CLOCK_MONOTONIC ms); -1 error (e set) */
	int (*recv)(void *ctx, unsigned char *, size_t cap, int64_t deadline,
	    struct dk_err *);
};
int dk_el_read(struct dk_drv *, struct dk_el_io *, const char *tz,
    struct dk_err *);
int64_t dk_el_now_ms(void);
int dk_drv_echonet(struct dk_drv *, struct dk_err *);	/* drv-echonet.c */
int dk_drv_broute(struct dk_drv *, struct dk_err *);	/* drv-broute.c */
int dk_broute_erxudp(char *line, const char *ip, unsigned char *out,
    size_t cap, size_t *len, char *why, size_t whylen);	/* drv-broute.c */
/* dsmr.c: DSMR P1 telegrams: framing, CRC-16/ARC, the registers we use */
struct dk_dsmr {
	char ident[64];		/* the header after '/', e.g. "KFM5KAIFA-METER" */
	int version;		/* 1-3:0.2.8: 42 for 4.2, 50 for 5.0; 0: absent */
	int emucs;		/* 1: Belgian e-MUCS (0-0:96.1.4 present) */
	int crc;		/* 1: the telegram had a CRC, and it was right */
	int64_t t;		/* 0-0:1.0.0 as unix time; DK_NOVAL: absent */
	int64_t import_mwh;	/* sum of 1-0:1.8.x (or 1.8.0); DK_NOVAL */
	int64_t export_mwh;	/* sum of 1-0:2.8.x (or 2.8.0); DK_NOVAL */
	int64_t power_w;	/* 1.7.0 - 2.7.0; DK_NOVAL: neither given */
};
unsigned dk_dsmr_crc(const void *, size_t);
int dk_dsmr_frame(const char *buf, size_t len, size_t *start, size_t *end);
int dk_dsmr_time(const char *s, size_t n, const char *tz, int64_t *t,
    struct dk_err *);
int dk_dsmr_parse(const char *buf, size_t len, const char *tz,
    struct dk_dsmr *, struct dk_err *);
int dk_drv_dsmr(struct dk_drv *, struct dk_err *);

/* http.c, solarjson.c: HTTP JSON devices (Fronius Solar API, Enphase) */
int dk_http_get(const char *url, long timeout, long retries,
    void (*warn)(void *, const char *), void *ctx, char **body, size_t *len,
    struct dk_err *);
json_t *dk_json_body(const char *body, size_t len, const char *what,
    struct dk_err *);
int dk_fronius_meter(json_t *, const char *id, struct dk_sample *,
    struct dk_err *);
int dk_fronius_inverter(json_t *, struct dk_sample *, struct dk_err *);
int dk_enphase_v1(json_t *, int64_t now, struct dk_sample *,
    struct dk_err *);
int dk_enphase_production(json_t *, int64_t now, struct dk_sample out[2],
    int *n, struct dk_err *);
int dk_drv_fronius(struct dk_drv *, struct dk_err *);
int dk_drv_enphase(struct dk_drv *, struct dk_err *);

/* db.c: SQLite state that outlives a run (the household's history) */
struct dk_db;
struct dk_db *dk_db_open(const char *path, struct dk_err *);
int dk_db_put_reading(struct dk_db *, const char *meter, int64_t slot,
    int64_t import_wh, int64_t export_wh, struct dk_err *);
int dk_db_get_net(struct dk_db *, const char *const *meters, size_t n,
    int64_t slot, int64_t *net, struct dk_err *);
int dk_db_order_sent(struct dk_db *, int64_t slot, struct dk_err *);
int dk_db_mark_sent(struct dk_db *, int64_t slot, const char *id,
    struct dk_err *);
/* the sample store: samples, the walks, and records not yet delivered */
int dk_db_begin(struct dk_db *, struct dk_err *);
int dk_db_commit(struct dk_db *, struct dk_err *);
void dk_db_rollback(struct dk_db *);
int dk_db_put_sample(struct dk_db *, const struct dk_sample *,
    struct dk_err *);
typedef json_t *(*dk_rec_fn)(void *ctx, const struct dk_slotres *,
    struct dk_err *);	/* the record to store, signed if need be */
struct dk_walkopt {
	int slot_minutes;
	int64_t tolerance;
	dk_rec_fn rec;
	void (*warn)(void *ctx, const char *msg);
	void *ctx;
};
int dk_db_walk(struct dk_db *, const struct dk_walkopt *, long *made,
    struct dk_err *);
typedef int (*dk_line_fn)(void *ctx, const char *line, struct dk_err *);
int dk_db_deliver(struct dk_db *, int batch, dk_line_fn, void *ctx,
    long *n, struct dk_err *);
void dk_db_close(struct dk_db *);

#endif
