/*
 * lib/core/core.h: the map of the core layer.
 *
 * The bottom layer: errors and the exit-status table, JSON lines in the
 * canonical profile, integer money, times and slots, the configuration.
 * Nothing here knows about keys, the ledger, the market or meters.
 */
#ifndef DK_CORE_H
#define DK_CORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
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
int dk_stdout_null(void);
const char *dk_exit_text(int status);
int dk_valid_id(const char *);
int dk_grow(void *arrp, size_t n, size_t *cap, size_t size,
    size_t first);	/* grow.c */
/* Whether any of the 8 bytes in w is below 0x20, above 0x7E or a
 * backslash: one a canonical line's string must escape, or not ASCII
 * (the bit hacks' hasless, hasmore and haszero: exact for "any", as the
 * borrows and carries only add to a byte found already).  with_quote:
 * a '"' too. */
static inline int
dk_odd8(uint64_t w, int with_quote)
{
	const uint64_t ones = 0x0101010101010101ULL,
	    high = 0x8080808080808080ULL, b = w ^ (ones * '\\'),
	    q = w ^ (ones * '"');

	return ((((w - ones * 0x20) & ~w) | (w + ones) | w |
	    ((b - ones) & ~b) | (with_quote ? (q - ones) & ~q : 0)) &
	    high) != 0;
}
FILE *dk_membuf(char **buf, size_t *len);	/* membuf.c: open_memstream's
						 * bytes, grown by realloc */

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
json_t *dk_parse_flat(const char *buf, size_t len);
int dk_profile_flat(const char *s, size_t n);
json_t *dk_parse_member(const char *buf, size_t len, const char *key,
    struct dk_err *);
int dk_profile_check(json_t *, struct dk_err *);
const char *dk_first_diff(json_t *a, json_t *b);
int dk_is_canonical(const char *, size_t);
char *dk_canon_without(json_t *obj, const char *key);
int dk_emit(FILE *, json_t *);
int dk_get_int(json_t *obj, const char *key, long long min, long long max,
    long long *out, struct dk_err *);
const char *dk_get_str(json_t *obj, const char *key, struct dk_err *);
const char *dk_get_id(json_t *obj, const char *key, struct dk_err *);
int dk_check_type(json_t *obj, const char *type, struct dk_err *);

/* jalloc.c: jansson's small blocks from free lists (dk_jalloc_on) */
void dk_jalloc_on(void);
char *dk_json_dumps(const json_t *, size_t flags);

/* canon.c: canonical text, jansson's sorted compact dump written fast */
char *dk_canon(json_t *);
size_t dk_lltoa(long long, char out[24]);

/* money.c: integer energy and money, and the one rounding rule; each
 * returns -1 rather than wrap (see denki-formats(5), Units) */
int dk_value(int64_t wh, int64_t price_per_kwh, int64_t *out);
int dk_muldiv(int64_t a, int64_t b, int64_t d, int64_t *out);
int dk_share(int64_t amount, int64_t num, int64_t den, int64_t *out);
int dk_add(int64_t *sum, int64_t x);
void dk_money_str(int64_t micro, char *out, size_t len);

/* slot.c: RFC 3339 times and delivery slots */
int dk_time_parse(const char *, int64_t *, struct dk_err *);
int dk_time_format(int64_t, const char *tz, char *out, size_t len);
int64_t dk_days_from_civil(int64_t y, int m, int d);
int dk_slot_parse(const char *, int slot_minutes, int64_t *, struct dk_err *);

/* file.c: a whole file written at once, under a new name then renamed */
#define DK_FILE_FORCE	1	/* replace a file that is there (-f) */
int dk_file_write(const char *path, const void *buf, size_t n, mode_t mode,
    int flags, struct dk_err *);

/* cgi.c: a request's body (CGI: CONTENT_LENGTH bytes) within a limit;
 * a CGI program's media types, pipes and answer */
int dk_body_read(FILE *, int cgi, size_t max, char **buf, size_t *len,
    struct dk_err *);
int dk_cgi_media(const char *ct, const char *const *types);
void dk_cgi_blocking(int fd);
void dk_cgi_drain(FILE *, size_t max);
void dk_cgi_answer(FILE *, int http, const char *reason, const char *allow,
    const char *ctype, const char *body, size_t len);

/* conf.c: YAML configuration, flattened to dotted keys; -D overrides;
 * every key checked against one table of settings (the YAML reader in
 * conf-yaml.c, the table and its checks in conf-keys.c) */
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
int dk_conf_check_in(const struct dk_confkey *, size_t n, const char *doc,
    const struct dk_conf *, size_t i, struct dk_err *);

#endif
