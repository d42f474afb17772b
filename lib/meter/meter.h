/*
 * lib/meter/meter.h: the map of the meter layer.
 *
 * The household side: reading records from CSV and the simulator, the meter
 * drivers (ECHONET Lite, B-route, DSMR, SunSpec, HTTP JSON), counters
 * walked into slot readings, and the SQLite store of samples, records not
 * yet delivered and the history bid forecasts from; the work of
 * meter-read and bid. Above ledger, of which it uses the rules (slot
 * length, time zone, prices) and, in verify.c only, the registry.
 */
#ifndef DK_METER_H
#define DK_METER_H

#include "ledger/ledger.h"

/* reading.c: the reading record checked; verify.c: its signature verified
 * against the registry (settle's side, apart: bid links no registry) */
int dk_reading_check(json_t *rec, const struct dk_rules *, int64_t *slot,
    struct dk_err *);
int dk_reading_verify(json_t *rec, const struct dk_participant *,
    struct dk_err *);
int dk_reading_admit(json_t *rec, const struct dk_rules *,
    const struct dk_registry *, int require, int64_t *slot, struct dk_err *);

/* meter.c: reading records from CSV files and the simulator; with line
 * set, each reading as its line instead (the canonical form, signed by
 * key unless NULL; the meter a valid id), no record built */
typedef int (*dk_reading_fn)(void *ctx, json_t *reading, struct dk_err *);
typedef int (*dk_line_fn)(void *ctx, const char *line, struct dk_err *);
struct dk_csvopt {
	const char *meter;
	const char *import_col;	/* NULL: detect */
	const char *export_col;
	const struct dk_rules *rules;
	void (*warn)(void *ctx, const char *msg);	/* gaps, resets */
	dk_line_fn line;	/* NULL: records to the dk_reading_fn */
	const struct dk_key *key;	/* signs line's readings */
};
int dk_meter_csv(FILE *, const char *name, const struct dk_csvopt *,
    dk_reading_fn, void *ctx, struct dk_err *);
int dk_meter_sim(const struct dk_csvopt *, uint64_t seed, int64_t from,
    int nslots, long long pv_peak_w, long long load_w, dk_reading_fn,
    void *ctx, struct dk_err *);

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
	/* a battery's state (battery.c; sample version 2): 1 when the three
	 * below are meant, each -1 when unknown */
	int batt;
	int soc_pct;		/* ECHONET 027D E4 */
	int64_t soc_wh;		/* E2 (DC) */
	int mode;		/* CF, or DA when CF is missing: 0x40..0x49 */
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
void dk_el_head(unsigned char *buf, unsigned tid, const unsigned char seoj[3],
    const unsigned char deoj[3], int esv, int opc);
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
struct dk_el_udp;	/* the UDP socket of drv-echonet.c, to host */
struct dk_el_udp *dk_el_udp_open(const struct dk_conf *, const char *host,
    struct dk_el_io *, struct dk_err *);
void dk_el_udp_close(struct dk_el_udp *);
/* battery.c: the storage battery class 0x027D: its state in a sample,
 * and the SetC that sets it, its answer checked */
#define DK_EL_SETC	0x61
#define DK_EL_SET_RES	0x71
#define DK_EL_SETC_SNA	0x51
struct dk_el_setprop {
	unsigned char epc, pdc;
	unsigned char edt[4];
};
const char *dk_batt_mode_name(int code);
int dk_batt_mode_code(const char *name);
int dk_batt_state_check(struct dk_sample *, char *why, size_t len);
int dk_batt_sample_json(const struct dk_sample *, json_t *);
int dk_batt_sample_from_json(struct dk_sample *, json_t *, long long v,
    struct dk_err *);
size_t dk_el_setc(unsigned char *buf, size_t cap, unsigned tid,
    const unsigned char seoj[3], const unsigned char deoj[3],
    const struct dk_el_setprop *, int n);
int dk_batt_answer(const struct dk_el_frame *, const struct dk_el_setprop *,
    int n, const char *peer, struct dk_err *);
int dk_batt_set(struct dk_el_io *, const unsigned char eoj[3],
    const struct dk_el_setprop *, int n, unsigned tid,
    void (*warn)(void *, const char *), void *ctx, struct dk_err *);
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
int dk_http_post(const char *url, const char *body, size_t len, long timeout,
    long *status, char **answer, size_t *alen, struct dk_err *);
struct dk_http_opt {
	long connect_timeout, max_time;	/* seconds */
	const char *cacert, *cert, *key, *proxy;	/* NULL: curl's default */
	const char *content_type;	/* NULL: curl's */
	int https_only;		/* no plain HTTP */
	int net_tempfail;	/* the network's failures 75, not 69 */
};
int dk_url_local(const char *url);
int dk_http_post_opt(const char *url, const char *body, size_t len,
    const struct dk_http_opt *, long *status, char **answer, size_t *alen,
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

/* forecast.c: the Wh of a household's next slot (import or export, or a
 * series of its own) by each method at once, fed one slot at a time, and
 * the method of the smallest error over the last window_days (a rolling
 * backtest); forecast-bid.c: bid's forecast of a slot from its history */
enum { DK_FC_YESTERDAY, DK_FC_LASTWEEK, DK_FC_BLEND, DK_FC_MEAN7,
	DK_FC_MEDIAN7, DK_FC_ETS, DK_FC_COMBO, DK_FC_CLEARSKY, DK_FC_N };
struct dk_fcopt {
	int slot_minutes;
	int window_days;	/* of the backtest; 0: 28 */
	int geo;		/* 1: lat and lon given: clearsky applies */
	double lat, lon;	/* degrees, north and east */
};
struct dk_fc;
struct dk_fc *dk_fc_new(const struct dk_fcopt *, int64_t t0, struct dk_err *);
void dk_fc_feed(struct dk_fc *, int64_t wh);	/* DK_NOVAL: none */
void dk_fc_feed_n(struct dk_fc *, const int64_t *wh, size_t n);
struct dk_fc *dk_fc_fed(const struct dk_fcopt *, int64_t t0, const int64_t *wh,
    size_t n, struct dk_err *);
int64_t dk_fc_next(const struct dk_fc *, int method);
int64_t dk_fc_ahead(const struct dk_fc *, int method, int h);
int dk_fc_chosen(const struct dk_fc *);
int dk_fc_chosen_ahead(const struct dk_fc *, int h);
double dk_fc_mae(const struct dk_fc *, int method);
double dk_fc_mae_ahead(const struct dk_fc *, int method, int h);
int64_t dk_fc_scored(const struct dk_fc *);
const char *dk_fc_name(int method);
int dk_fc_find(const char *name);
double dk_fc_clearsky(double lat, double lon, int64_t start, int minutes);
void dk_fc_free(struct dk_fc *);

/* db.c: the household's SQLite state that outlives a run (lib/meter/db.h
 * is private to the layer): opened, transactions, closed */
struct dk_db;
struct dk_db *dk_db_open(const char *path, struct dk_err *);
struct dk_db *dk_db_open_as(const char *path, int flags, struct dk_err *);
void dk_db_one_thread(void);
int dk_db_begin(struct dk_db *, struct dk_err *);
int dk_db_commit(struct dk_db *, struct dk_err *);
void dk_db_rollback(struct dk_db *);
void dk_db_close(struct dk_db *);
/* history.c: bid's readings (its forecast's history) and slots bid for */
int dk_db_put_reading(struct dk_db *, const char *meter, int64_t slot,
    int64_t import_wh, int64_t export_wh, struct dk_err *);
int dk_db_get_net(struct dk_db *, const char *const *meters, size_t n,
    int64_t slot, int64_t *net, struct dk_err *);
int dk_db_order_sent(struct dk_db *, int64_t slot, struct dk_err *);
int dk_db_mark_sent(struct dk_db *, int64_t slot, const char *id,
    struct dk_err *);
/* spool.c: meter-read's samples, the walks, the records they made */
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
/* deliver.c: the records not yet delivered, handed out at least once
 * (to a dk_line_fn, meter.c's) */
int dk_db_deliver(struct dk_db *, int batch, dk_line_fn, void *ctx,
    long *n, struct dk_err *);

/* outbox.c: denki-submit's outbox: lines stored before they are sent,
 * each kept with the receipt (checked against the intake key) or the
 * rejection that answered it; send.c: the pending ones POSTed to the
 * intake, oldest first, with retries after a random backoff */
struct dk_outbox;
struct dk_outline {
	const char *src;	/* "file:line", for messages */
	json_t *rec;		/* dk_outbox_kind said yes */
};
struct dk_outbatch {
	size_t n;
	long long *seq;
	char (*id)[65];
	char **src;
	char *body;		/* the n lines, each with its newline */
	size_t len;
};
struct dk_outcb {
	int (*receipt)(void *ctx, json_t *receipt, struct dk_err *);
	void (*rejected)(void *ctx, const char *src, const char *id,
	    const char *reason);
	void (*bad)(void *ctx, const char *src, const char *id,
	    const char *why);	/* an answer that does not check */
	void *ctx;
};
struct dk_outres {
	long received, rejected, bad, unanswered;
	int extra;		/* more answer lines than lines sent */
};
struct dk_outbox *dk_outbox_open(const char *path, struct dk_err *);
void dk_outbox_close(struct dk_outbox *);
const char *dk_outbox_kind(json_t *rec, struct dk_err *);
int dk_outbox_put(struct dk_outbox *, const struct dk_outline *, size_t n,
    long *added, struct dk_err *);
int dk_outbox_take(struct dk_outbox *, char *const *files, int n, int keep,
    void (*warn)(void *, const char *), void *ctx, struct dk_err *);
int dk_outbox_pending(struct dk_outbox *, size_t max, size_t maxbytes,
    struct dk_outbatch *, struct dk_err *);
void dk_outbatch_free(struct dk_outbatch *);
int dk_outbox_answer(struct dk_outbox *, const struct dk_outbatch *,
    const char *body, size_t len, const unsigned char pk[32],
    const struct dk_outcb *, struct dk_outres *, struct dk_err *);
int dk_outbox_receipts(struct dk_outbox *, dk_line_fn, void *ctx,
    struct dk_err *);
long dk_outbox_count(struct dk_outbox *, int state, struct dk_err *);
struct dk_sendopt {
	const char *url;
	struct dk_http_opt http;
	const unsigned char *pk;	/* the intake key's 32 bytes */
	long retries;		/* further tries of a request */
	long base_ms, cap_ms;	/* the backoff: base x 2^try, at most cap */
	size_t batch;		/* lines a request, at most */
	struct dk_outcb cb;
	void (*warn)(void *ctx, const char *msg);	/* retries */
};
int dk_outbox_send(struct dk_outbox *, const struct dk_sendopt *,
    struct dk_outres *, struct dk_err *);
long dk_jitter_ms(long max_ms);
void dk_sleep_ms(long ms);

/* home.c: a household's configuration: the rules, the meter, the state */
int dk_home_rules(struct dk_conf *, struct dk_rules *, struct dk_err *);
const char *dk_home_meter(const struct dk_conf *, const char *m);
struct dk_db *dk_home_db(const struct dk_conf *, struct dk_err *);

/* devkey.c: the device key that signs the readings (meter.key, made on
 * the first run; meter.sign: no, or no configuration file and no
 * meter.key: path NULL, nothing signed) */
struct dk_devkey {
	char *path, *pub;	/* the key files; NULL: readings unsigned */
	int made;		/* 1: made by this run */
	struct dk_key key;
};
int dk_devkey_open(struct dk_devkey *, const struct dk_conf *,
    const char *meter, struct dk_err *);
char *dk_devkey_pub_text(const struct dk_devkey *, const char *meter,
    struct dk_err *);
void dk_devkey_free(struct dk_devkey *);

/* read.c: meter-read's csv files and simulator, set up from conf (the
 * columns, sim.*) over base (meter, rules, warn, line, key) */
int dk_read_csv(const struct dk_conf *, const struct dk_csvopt *base,
    char **files, int nfiles, dk_reading_fn, void *ctx, struct dk_err *);
int dk_read_sim(const struct dk_conf *, const struct dk_csvopt *base,
    const char *start, long long nslots, dk_reading_fn, void *ctx,
    struct dk_err *);

/* store.c: meter-read's run over a device driver: samples stored, walked
 * into records (signed with the device key, opened into dev after the
 * samples are stored), the new ones handed to out;
 * deliver.c: dk_stdout_line, an out for stdout */
struct dk_storeopt {
	const char *driver;	/* its name, for messages */
	dk_driver_fn drv;
	struct dk_conf *conf;	/* meter.samples.file set for each file */
	const struct dk_rules *rules;
	const char *meter;	/* for samples that name none */
	char **files;		/* the samples driver's, one poll each */
	int nfiles;
	int each;		/* each line delivered alone, not 64 */
	dk_line_fn out;
	void (*warn)(void *ctx, const char *msg);
	void *ctx;		/* of out and warn */
	struct dk_devkey *dev;	/* the caller's to free; NULL: freed here */
};
int dk_store_run(const struct dk_storeopt *, struct dk_err *);
int dk_store_probe(const struct dk_storeopt *, dk_reading_fn, void *ctx,
    struct dk_err *);
int dk_drv_file(struct dk_conf *, const char *file, struct dk_err *);
int dk_stdout_line(void *ctx, const char *line, struct dk_err *);

/* strategy.c: bid's price strategy (bid.strategy: fixed, ramp, learn;
 * denki-bid(1), STRATEGIES); strategy-mem.c: its memory, what happened to
 * the household's orders (clearings, contracts, settlements) read back
 * from a ledger or a feed of those records into the state database */
#define DK_STRAT_FIXED	0
#define DK_STRAT_RAMP	1
#define DK_STRAT_LEARN	2
struct dk_strategy {
	int kind;		/* DK_STRAT_* */
	long long risk;		/* bid.risk, 0 to 100 */
	long long ramp_slots;	/* bid.ramp_slots: the ramp's updates */
	long long learn_days;	/* bid.learn_days: the memory used */
	char *ledger;		/* bid.ledger: its path, or NULL */
	int have_opk;		/* bid.operator_pub was read: */
	unsigned char opk[32];	/* the key the ledger must be signed by */
};
struct dk_bidder;
int dk_strategy_open(struct dk_strategy *, const struct dk_conf *,
    struct dk_db *, struct dk_err *);
void dk_strategy_free(struct dk_strategy *);
int dk_ramp_price(int sell, int64_t top, int64_t buyback, long long ahead,
    long long updates, int64_t *price, struct dk_err *);
int dk_learn_price(int sell, const int64_t *prices, size_t n,
    int64_t err_cost, long long risk, int64_t top, int64_t buyback,
    int64_t *price, struct dk_err *);
int dk_strategy_price(struct dk_bidder *, int64_t slot, int64_t net,
    int64_t *price, struct dk_err *);
struct dk_memcount {
	long clearings, contracts, settlements;	/* new ones */
};
int dk_mem_migrate(struct dk_db *, struct dk_err *);
int dk_mem_record(struct dk_bidder *, struct dk_rules *cur, json_t *rec,
    struct dk_memcount *, struct dk_err *);
int dk_mem_ledger(struct dk_bidder *, const char *path,
    struct dk_memcount *, struct dk_err *);
int dk_mem_feed(struct dk_bidder *, const char *path,
    struct dk_memcount *, struct dk_err *);
int dk_mem_prices(struct dk_db *, int64_t slot, int64_t from,
    int64_t step, int64_t **prices, size_t *n, struct dk_err *);
int dk_mem_err_cost(struct dk_db *, int64_t from, int64_t cap,
    int64_t *cost, struct dk_err *);
int dk_mem_latest(struct dk_db *, const char *const *meters, size_t n,
    int64_t *slot, struct dk_err *);
int dk_mem_read(struct dk_bidder *, const char *ledger, const char *feed,
    struct dk_memcount *, struct dk_err *);

/* bid.c: readings into the history, and orders forecast from it */
struct dk_bidder {
	struct dk_rules rules;
	struct dk_key key;
	struct dk_db *db;
	const char *participant;
	const char *meterlist;	/* as configured, for messages */
	char **meters;		/* into mbuf */
	char *mbuf;
	size_t nmeters;
	long long min_wh, sell_markup, buy_markdown;
	int force;		/* bid again for a slot already bid for */
	int dry;		/* mark nothing as bid for */
	int64_t latest;		/* the newest reading kept; INT64_MIN */
	int64_t *targets;	/* the slots to bid for */
	size_t ntargets;
	struct dk_strategy strat;	/* strategy.c */
	void (*warn)(void *ctx, const char *msg);
	void *ctx;
	struct dk_fcopt fc;	/* forecast-bid.c: bid.latitude, longitude */
	int fc_pin;		/* bid.forecast; -1: auto */
	struct dk_fcstate *fcs;	/* forecast-bid.c's, between slots */
	struct dk_fchist *hist;	/* forecast-bid.c's, between days */
	struct dk_bidbatt *batt;	/* battery-db.c; NULL: none */
};
int dk_bidder_open(struct dk_bidder *, const struct dk_conf *,
    struct dk_err *);
int dk_bidder_reading(struct dk_bidder *, json_t *rec, struct dk_err *);
struct dk_flatreading {		/* a grid reading's line, read flat */
	char meter[DK_ID_MAX + 1];
	int64_t slot, imp, exp;
};
int dk_bidder_flat(const struct dk_bidder *, const char *line, size_t n,
    struct dk_flatreading *);
int dk_bidder_put(struct dk_bidder *, const struct dk_flatreading *,
    struct dk_err *);
int dk_bidder_want(struct dk_bidder *, int64_t slot, struct dk_err *);
#define DK_ORDER_MAX	512	/* an order's line, and its NUL */
int dk_bidder_line(struct dk_bidder *, int64_t slot, char *line,
    struct dk_err *);
int dk_bidder_orders(struct dk_bidder *, char **text, size_t *len,
    struct dk_err *);
void dk_bidder_close(struct dk_bidder *);
int64_t dk_record_slot(json_t *rec);
void dk_bidder_fresh(struct dk_bidder *);
int dk_bidder_run(struct dk_bidder *, const char *ledger, const char *feed,
    int keep, int64_t first, long count, char **text, size_t *len,
    struct dk_err *);
int dk_bidder_fc_conf(struct dk_bidder *, const struct dk_conf *,
    struct dk_err *);	/* forecast-bid.c */
int dk_bidder_forecast(struct dk_bidder *, int64_t slot, int64_t *net,
    char *why, size_t len, struct dk_err *);
void dk_bidder_fc_free(struct dk_bidder *);
int dk_bidder_hist_put(struct dk_bidder *, const char *meter, int64_t slot,
    int64_t imp, int64_t exp, struct dk_err *);
void dk_bidder_hist_free(struct dk_bidder *);

/* plan.c: a battery's plan for the next slots (dynamic programming over a
 * grid of states of charge; denki-bid(1), Battery) */
#define DK_PLAN_MAXSLOTS	192	/* 48 hours of 15-minute slots */
#define DK_PLAN_MAXSTATES	4096
struct dk_batt {
	int64_t cap_wh, reserve_wh;	/* stored (DC), Wh */
	int64_t max_charge_w, max_discharge_w;	/* AC side */
	int64_t eff_charge, eff_discharge;	/* per mille, 1 to 1000 */
	int64_t degradation;	/* micro-units per kWh discharged (DC) */
	int64_t end_price;	/* micro-units per kWh stored at the end */
	int64_t step_wh;	/* the grid of states */
};
struct dk_plan_slot {
	int64_t load_wh, pv_wh;	/* the forecast */
	int64_t buy, sell;	/* micro-units per kWh */
	int64_t charge_wh, discharge_wh;	/* the plan: AC side */
	int64_t soc_wh;		/* stored at the end of the slot */
	int64_t grid_wh;	/* load - pv + charge - discharge: + import */
};
int dk_batt_check(const struct dk_batt *, struct dk_err *);
int64_t dk_batt_ac(const struct dk_batt *, int64_t d);
int64_t dk_wh_money(int64_t wh, int64_t price);
int dk_plan(const struct dk_batt *, int64_t soc0, int slot_minutes,
    struct dk_plan_slot *, int n, int64_t *value, struct dk_err *);
/* battery-prices.c: the prices of each slot for the plan (battery.prices) */
struct dk_slotprice {
	int64_t slot, buy, sell;
};
int dk_batt_prices(const char *file, const struct dk_rules *,
    struct dk_slotprice **, size_t *n, struct dk_err *);
void dk_batt_price(const struct dk_slotprice *, size_t n,
    const struct dk_rules *, int64_t slot, int64_t *buy, int64_t *sell);
/* battery-db.c: the battery's states and readings in the state database;
 * bid's battery (battery.*): what the plan leaves over or lacks */
int dk_db_put_batt(struct dk_db *, const struct dk_sample *,
    struct dk_err *);
int dk_db_batt_plan(struct dk_db *, int64_t slot, int64_t *charge,
    int64_t *discharge, struct dk_err *);
int dk_batt_follow(const struct dk_conf *, const char *slot, int *mode,
    long long *watts, long long *wh, struct dk_err *);
int dk_bidbatt_open(struct dk_bidder *, const struct dk_conf *,
    struct dk_err *);
int dk_bidbatt_reading(struct dk_bidder *, json_t *rec, struct dk_err *);
int dk_bidbatt_net(struct dk_bidder *, int64_t slot, int64_t *net,
    struct dk_err *);
void dk_bidbatt_fresh(struct dk_bidder *);
void dk_bidbatt_close(struct dk_bidder *);

#endif
