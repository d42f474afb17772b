/*
 * state-cache.c: the state of the ledger's past (state.c) kept in a file
 * beside it, LEDGER.state, and brought up to date from where it was last
 * read, as the inbox's cache is (lib/market/inbox-cache.c), and by a
 * writer with what it appended: no whole replay at each start of clear,
 * contract-sign and settle, nor a read of what the writer before added.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "ledger-impl.h"

/*
 * The file (denki-formats(5), State cache): a header line, then lines of
 * what the state took of each entry, in the ledger's order, each
 *   J <seq> <offset> <record>	an entry the state replays: its line
 *			starts at offset in the ledger and holds the record's
 *			bytes, as the start checks (of a settlement, only a
 *			slot's first)
 *   C <seq> <slot> <has> <wh> <price> <buy_price> <fee> <wheeling>
 *     <seller> <buyer>	a contract, as the state keeps it
 *   R <seq> <pair>, K <seq> <pair>	a reading, a commitment: its
 *			meter and slot (dk_scache_pair)
 * (fields split by tabs) and after each run of them a mark, where the
 * ledger was read to (always the end of a checkpoint entry):
 *   M <json> <SHA-256 of every byte of the file before this line>
 * What follows the last good mark is left out and written over.
 */
#define HEADER	"denki-state-cache\t1\n"
/* a ledger smaller is read whole (in a few milliseconds), no cache kept */
#define DK_SCACHE_MIN	(256 * 1024)

struct mark {
	long long size, line, next, cplen, cp_time, cp_time_seq, checkpoints;
	char prev[65];
	struct dk_mtree cptree;	/* the tree before the last checkpoint */
	char origin[256];
	struct dk_key key;
	int committed;
};

/* A writer's: the cache as its start left it, and the lines of what it
 * has added since (ledger.c), written after a commit. */
struct dk_scache_w {
	struct dk_state *st;
	char *path;		/* NAME.state */
	size_t end;		/* its good part, through its last mark, */
	struct dk_sha256 h;	/* the hash of those bytes, */
	char hex[65];		/* the digest in that mark's line, */
	long long line, next, checkpoints;	/* and that mark's */
	FILE *out;		/* the lines since */
	char *obuf;
	size_t olen;
	struct dk_mtree cptree;	/* the last checkpoint added: the tree */
	long long cp_start;	/* before it, where its line starts; -1 */
	unsigned char *settled;	/* each slot (by its index in st): a
				 * settlement of it in the ledger */
	size_t nset;
};

void
dk_scache_init(struct dk_scache *sc, struct dk_state *st)
{
	memset(sc, 0, sizeof(*sc));
	sc->st = st;
}

void
dk_scache_free(struct dk_scache *sc)
{
	if (sc->out != NULL)
		fclose(sc->out);
	free(sc->obuf);
	free(sc->kseq);
	free(sc->avoid);
	free(sc->abits);
	dk_scache_w_free(sc->w);
	sc->w = NULL;
	sc->avoid = NULL;
	sc->abits = NULL;
	sc->navoid = sc->capavoid = 0;
	sc->out = NULL;
	sc->obuf = NULL;
	sc->kseq = NULL;
	sc->nk = sc->capk = 0;
}

/* A reading's or commitment's meter and slot, as 64 bits of their
 * SHA-256. */
uint64_t
dk_scache_pair(const char *meter, const char *slot)
{
	struct dk_sha256 h;
	unsigned char d[32];
	uint64_t v = 0;
	int i;

	dk_sha256_init(&h);
	dk_sha256_update(&h, (const unsigned char *)meter,
	    strlen(meter));
	dk_sha256_update(&h, (const unsigned char *)"\t", 1);
	dk_sha256_update(&h, (const unsigned char *)slot,
	    strlen(slot));
	dk_sha256_final(&h, d);
	for (i = 0; i < 8; i++)
		v = v << 8 | d[i];
	return v;
}

/* A reading to come (its meter and slot): if the cache holds a reading or
 * commitment of the same, the ledger is read whole, so that the caller's
 * function sees that entry. */
int
dk_scache_avoid(struct dk_scache *sc, const char *meter, const char *slot)
{
	if (meter == NULL || slot == NULL)
		return 0;
	if (dk_grow(&sc->avoid, sc->navoid, &sc->capavoid,
	    sizeof(*sc->avoid), 256) < 0)
		return -1;
	sc->avoid[sc->navoid++] = dk_scache_pair(meter, slot);
	return 0;
}

static const char *
str(json_t *rec, const char *key)
{
	return json_string_value(json_object_get(rec, key));
}

static int
plain(const char *s)
{
	return strpbrk(s, "\t\n") == NULL;
}

/* What the state takes of entry seq, but a checkpoint, as a line of the
 * cache: its line starts at off, its record is rec, the bytes of which
 * in the line are text (len; NULL: not found); again: a settlement of a
 * slot settled before it.  The same for a reader and for a writer. */
static int
line_of(FILE *out, struct dk_state *st, long long seq, long long off,
    const char *type, json_t *rec, const char *text, size_t len, int again,
    struct dk_err *e)
{
	static const char *const none[] = { "order", "trade", "payment_run",
	    "payment_return", "pending", "review", "dispute",
	    "dispute_resolution", NULL };
	struct dk_contract c;
	const char *m, *s;
	char *canon;
	int64_t t;
	size_t i;

	for (i = 0; none[i] != NULL; i++)
		if (strcmp(type, none[i]) == 0)
			return 0;
	if (strcmp(type, "reading") == 0 || strcmp(type, "commitment") == 0) {
		if ((m = str(rec, "meter")) != NULL &&
		    (s = str(rec, "slot")) != NULL)
			fprintf(out, "%c\t%lld\t%016llx\n", type[0] == 'r' ?
			    'R' : 'K', seq, (unsigned long long)
			    dk_scache_pair(m, s));
		return 0;
	}
	if (strcmp(type, "transfer") == 0 && ((s = str(rec, "reason")) ==
	    NULL || strcmp(s, "membership") != 0))
		return 0;
	if (strcmp(type, "settlement") == 0 && again &&
	    json_object_get(rec, "provisional") == NULL)
		return 0;
	if (strcmp(type, "contract") == 0 && (s = str(rec, "slot")) != NULL &&
	    dk_slot_parse(s, st->rules.slot_minutes, &t, e) == 0 &&
	    dk_state_slot(st, t) != NULL) {
		dk_state_contract_of(rec, &c);
		if (plain(c.seller) && plain(c.buyer)) {
			fprintf(out, "C\t%lld\t%lld\t%u\t%lld\t%lld\t%lld\t"
			    "%lld\t%lld\t%s\t%s\n", seq, (long long)t,
			    (unsigned)c.has, (long long)c.wh,
			    (long long)c.price, (long long)c.buy_price,
			    (long long)c.fee, (long long)c.wheeling,
			    c.seller, c.buyer);
			return 0;
		}
	}
	memset(e, 0, sizeof(*e));
	if (text != NULL) {
		fprintf(out, "J\t%lld\t%lld\t%.*s\n", seq, off, (int)len,
		    text);
		return 0;
	}
	/* a line out of the usual frame: the next start reads it all */
	if ((canon = dk_canon(rec)) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	fprintf(out, "J\t%lld\t%lld\t%s\n", seq, off, canon);
	free(canon);
	return 0;
}

/* What the state took of entry seq, as read. */
static int
take(struct dk_scache *sc, long long seq, const char *type, json_t *rec,
    struct dk_err *e)
{
	struct dk_scaninfo *si = sc->si;

	if (strcmp(type, "checkpoint") == 0) {
		sc->cptree = si->tree;	/* before its own leaf */
		sc->cp_start = si->good;
		return 0;
	}
	return line_of(sc->out, sc->st, seq, (long long)si->good, type, rec,
	    si->rec_text, si->rec_len, sc->again, e);
}

/* Each entry read: into the state (or the caller's function), and, while
 * the cache is being brought up to date, what the state took into it. */
int
dk_scache_apply(void *ctx, long long seq, long line, json_t *rec,
    struct dk_err *e)
{
	struct dk_scache *sc = ctx;
	const char *type = json_string_value(json_object_get(rec, "type"));
	const struct dk_slotstate *ss;
	int64_t t;
	int rc;

	/* a slot's first settlement is the one that settles it */
	sc->again = 0;
	if (sc->out != NULL && strcmp(type, "settlement") == 0 &&
	    json_is_string(json_object_get(rec, "slot")) &&
	    dk_slot_parse(str(rec, "slot"), sc->st->rules.slot_minutes, &t,
	    e) == 0 && (ss = dk_state_slot(sc->st, t)) != NULL)
		sc->again = ss->settled;
	memset(e, 0, sizeof(*e));
	rc = sc->fn != NULL ? sc->fn(sc->ctx, seq, line, rec, e) :
	    dk_state_apply(sc->st, seq, line, rec, e);
	if (rc < 0 || sc->out == NULL)
		return rc;
	return take(sc, seq, type, rec, e);
}

/* The fields of a line split at its tabs, in place: how many (at most
 * max). */
static int
fields(char *s, char **f, int max)
{
	int n = 0;

	f[n++] = s;
	while (n < max && (s = strchr(s, '\t')) != NULL) {
		*s++ = '\0';
		f[n++] = s;
	}
	return n;
}

static int
mark_read(const char *js, size_t n, struct mark *m)
{
	struct dk_err e = { 0 };
	json_t *o = dk_parse(js, n, &e);
	const char *t, *p, *k, *og;
	size_t tl;
	int ok;

	memset(m, 0, sizeof(*m));
	if (o == NULL)
		return 0;
	t = str(o, "cptree");
	p = str(o, "prev");
	k = str(o, "key");
	og = str(o, "origin");
	m->size = json_integer_value(json_object_get(o, "size"));
	m->line = json_integer_value(json_object_get(o, "line"));
	m->next = json_integer_value(json_object_get(o, "next"));
	m->cplen = json_integer_value(json_object_get(o, "cplen"));
	m->cp_time = json_integer_value(json_object_get(o, "cp_time"));
	m->cp_time_seq = json_integer_value(json_object_get(o, "cp_time_seq"));
	m->checkpoints = json_integer_value(json_object_get(o, "checkpoints"));
	m->committed = json_is_true(json_object_get(o, "committed"));
	m->cptree.size = json_integer_value(json_object_get(o, "cpsize"));
	ok = t != NULL && p != NULL && k != NULL && og != NULL &&
	    strlen(p) == 64 && strlen(og) < sizeof(m->origin) &&
	    sodium_hex2bin((unsigned char *)m->cptree.stack,
	    sizeof(m->cptree.stack), t, strlen(t), NULL, &tl, NULL) == 0 &&
	    tl % 32 == 0 && (int)(tl / 32) == __builtin_popcountll(
	    m->cptree.size) &&
	    dk_key_from_b64(&m->key, k, &e) == 0 && m->size > 0 &&
	    m->next > 1 && m->cplen > 0 && m->cplen < m->size;
	if (ok) {
		m->cptree.depth = (int)(tl / 32);
		strcpy(m->prev, p);
		strcpy(m->origin, og);
	}
	json_decref(o);
	return ok;
}

static char *
mark_text(const struct mark *m)
{
	char t[sizeof(m->cptree.stack) * 2 + 1], *s;
	char *k = dk_key_pub_b64(&m->key);
	json_t *o;

	sodium_bin2hex(t, sizeof(t), m->cptree.stack[0], (size_t)
	    m->cptree.depth * 32);
	o = json_pack("{s:I,s:I,s:I,s:s,s:I,s:I,s:s,s:I,s:I,s:I,s:s,s:s,"
	    "s:b}", "size", (json_int_t)m->size, "line", (json_int_t)m->line,
	    "next", (json_int_t)m->next, "prev", m->prev,
	    "cplen", (json_int_t)m->cplen,
	    "cpsize", (json_int_t)m->cptree.size, "cptree", t,
	    "cp_time", (json_int_t)m->cp_time,
	    "cp_time_seq", (json_int_t)m->cp_time_seq,
	    "checkpoints", (json_int_t)m->checkpoints, "origin", m->origin,
	    "key", k != NULL ? k : "", "committed", m->committed);
	free(k);
	s = o != NULL ? dk_canon(o) : NULL;
	json_decref(o);
	return s;
}

static void
digest(const struct dk_sha256 *h, char hex[65])
{
	struct dk_sha256 c = *h;
	unsigned char d[32];

	dk_sha256_final(&c, d);
	dk_hash_hex(d, hex);
}

/* The cache file read: its good part ends at *end (after its last good
 * mark, m), h the hash of it.  0 when it has none. */
static int
cache_marked(const char *buf, size_t n, size_t *end, struct mark *m,
    struct dk_sha256 *h)
{
	struct dk_sha256 cur;
	size_t pos = strlen(HEADER), len;
	const char *nl, *tab;
	char hex[65];
	int have = 0;

	*end = 0;
	if (n < pos || memcmp(buf, HEADER, pos) != 0)
		return 0;
	dk_sha256_init(&cur);
	dk_sha256_update(&cur, (const unsigned char *)buf, pos);
	while (pos < n && (nl = memchr(buf + pos, '\n', n - pos)) != NULL) {
		len = (size_t)(nl - (buf + pos)) + 1;
		if (len > 2 && memcmp(buf + pos, "M\t", 2) == 0) {
			tab = nl - 65;
			digest(&cur, hex);
			if (len < 2 + 66 || *tab != '\t' ||
			    memcmp(tab + 1, hex, 64) != 0 ||
			    !mark_read(buf + pos + 2, (size_t)(tab - buf - pos -
			    2), m))
				break;
			have = 1;
			dk_sha256_update(&cur, (const unsigned char *)
			    buf + pos, len);
			*end = pos + len;
			*h = cur;
		} else
			dk_sha256_update(&cur, (const unsigned char *)
			    buf + pos, len);
		pos += len;
	}
	return have;
}

static int
cmp64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The pairs to avoid sorted, and a bit set for each's first bits (at
 * least 16 bits a pair): most pairs of the cache are told apart there,
 * not by a search of them all.  -1: out of memory. */
static int
avoid_ready(struct dk_scache *sc)
{
	size_t i;
	int b = 12;

	free(sc->abits);
	sc->abits = NULL;
	if (sc->navoid == 0)
		return 0;
	if (sc->navoid > 1)
		qsort(sc->avoid, sc->navoid, sizeof(*sc->avoid), cmp64);
	while (b < 30 && ((size_t)1 << b) < sc->navoid * 16)
		b++;
	if ((sc->abits = calloc((size_t)1 << (b - 6), 8)) == NULL)
		return -1;
	sc->abits_shift = 64 - b;
	for (i = 0; i < sc->navoid; i++)
		sc->abits[sc->avoid[i] >> sc->abits_shift >> 6] |=
		    (uint64_t)1 << (sc->avoid[i] >> sc->abits_shift & 63);
	return 0;
}

/* Pair pr is one to avoid. */
static int
avoided(const struct dk_scache *sc, uint64_t pr)
{
	uint64_t k = pr >> sc->abits_shift;

	return sc->navoid > 0 && (sc->abits[k >> 6] >> (k & 63) & 1) &&
	    bsearch(&pr, sc->avoid, sc->navoid, sizeof(pr), cmp64) != NULL;
}

static int
push_seq(struct dk_scache *sc, long long seq)
{
	if (dk_grow(&sc->kseq, sc->nk, &sc->capk, sizeof(*sc->kseq),
	    1024) < 0)
		return -1;
	sc->kseq[sc->nk++] = seq;
	return 0;
}

/*
 * Entry seq's line, at off in the ledger (before its first size bytes),
 * is the one whose record is rec:
 *   {"prev":"<64>","rec":REC,"seq":N,"type":"entry","v":2}
 */
static int
in_ledger(int fd, long long size, long long seq, long long off,
    const char *rec)
{
	static const char head[] = "{\"prev\":\"", mid[] = "\",\"rec\":",
	    tail[] = ",\"type\":\"entry\",\"v\":2}\n";
	char sq[40], *line, *buf;
	size_t rl = strlen(rec), hl = strlen(head) + 64 + strlen(mid), sl, n;
	int ok, b = off > 0;	/* the byte before: the previous line's end */

	sl = (size_t)snprintf(sq, sizeof(sq), ",\"seq\":%lld%s", seq, tail);
	n = hl + rl + sl;
	if (off < 0 || off + (long long)n > size ||
	    (buf = malloc(n + 1)) == NULL)
		return 0;
	line = buf + b;
	ok = pread(fd, buf, n + b, (off_t)off - b) == (ssize_t)(n + b) &&
	    (!b || buf[0] == '\n') &&
	    memcmp(line, head, strlen(head)) == 0 &&
	    memcmp(line + hl - strlen(mid), mid, strlen(mid)) == 0 &&
	    memcmp(line + hl, rec, rl) == 0 &&
	    memcmp(line + hl + rl, sq, sl) == 0;
	free(buf);
	return ok;
}

/* The genesis rec names the origin, key and readings the scan has from
 * the mark (and checked the mark's checkpoint against). */
static int
genesis_same(const struct dk_scaninfo *si, const unsigned char *oppk,
    json_t *rec)
{
	struct dk_scaninfo g;
	struct dk_err e = { 0 };
	int ok;

	memset(&g, 0, sizeof(g));
	ok = dk_ledger_genesis_check(&g, oppk, rec, &e) == 0 &&
	    memcmp(g.key.pk, si->key.pk, 32) == 0 &&
	    memcmp(g.key.keynum, si->key.keynum, 8) == 0 &&
	    strcmp(g.origin, si->origin) == 0 &&
	    g.committed == si->committed;
	dk_scaninfo_free(&g);
	return ok;
}

/* The lines of the good part into the state: 0 at the first that does
 * not go in, or at a reading or commitment of a pair to avoid.  The
 * first is the genesis's J line (entry 0 at offset 0), which must name
 * what the mark does; the J lines' entries rise. */
static int
cache_apply(struct dk_scache *sc, char *buf, size_t end, int fd,
    long long size, const unsigned char *oppk)
{
	struct dk_err e = { 0 };
	struct dk_contract c;
	char *p = buf + strlen(HEADER), *nl, *f[11];
	json_t *rec;
	uint64_t pr;
	long long seq, off, last = -1;
	int n, rc;

	for (; p < buf + end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(buf + end - p))) == NULL)
			return 0;
		/* a reading's or commitment's pair, looked at only by a
		 * caller that avoids pairs or keeps commitments (settle;
		 * which alone would refuse such a line cut short, that the
		 * digest holds as written) */
		if ((p[0] == 'R' || p[0] == 'K') && p[1] == '\t' &&
		    last >= 0 && sc->navoid == 0 && !sc->want_k)
			continue;
		*nl = '\0';
		n = fields(p, f, p[0] == 'J' ? 4 : 11);
		if (n < 3 || f[0][1] != '\0')
			return 0;
		seq = strtoll(f[1], NULL, 10);
		if (last < 0 && (f[0][0] != 'J' || seq != 0))
			return 0;
		switch (f[0][0]) {
		case 'M':
			break;
		case 'J':
			off = strtoll(f[2], NULL, 10);
			if (n != 4 || seq <= last || (seq == 0) != (off == 0) ||
			    !in_ledger(fd, size, seq, off, f[3]) ||
			    (rec = dk_parse(f[3], strlen(f[3]), &e)) == NULL)
				return 0;
			last = seq;
			if (seq == 0 && !genesis_same(sc->si, oppk, rec)) {
				json_decref(rec);
				return 0;
			}
			rc = dk_state_apply(sc->st, seq, 0, rec, &e);
			json_decref(rec);
			if (rc < 0)
				return 0;
			break;
		case 'C':
			if (n != 11 || strlen(f[9]) > DK_ID_MAX ||
			    strlen(f[10]) > DK_ID_MAX)
				return 0;
			memset(&c, 0, sizeof(c));
			c.has = (unsigned char)strtoul(f[3], NULL, 10);
			c.wh = strtoll(f[4], NULL, 10);
			c.price = strtoll(f[5], NULL, 10);
			c.buy_price = strtoll(f[6], NULL, 10);
			c.fee = strtoll(f[7], NULL, 10);
			c.wheeling = strtoll(f[8], NULL, 10);
			strcpy(c.seller, f[9]);
			strcpy(c.buyer, f[10]);
			if (dk_state_put_contract(sc->st, strtoll(f[2], NULL,
			    10), &c) < 0)
				return 0;
			break;
		case 'R':
		case 'K':
			pr = strtoull(f[2], NULL, 16);
			if (avoided(sc, pr))
				return 0;
			if (f[0][0] == 'K' && sc->want_k &&
			    push_seq(sc, seq) < 0)
				return 0;
			break;
		default:
			return 0;
		}
	}
	return 1;
}

/*
 * The ledger still holds what the cache was built from: at least m->size
 * bytes, whose last line (m->cplen bytes) hashes to m->prev and is a
 * checkpoint of the operator's (oppk, else the cached genesis key),
 * signing the cached tree before it.  Then si, prev and next stand there.
 */
static int
ledger_holds(int fd, const struct mark *m, const unsigned char *oppk,
    struct dk_scaninfo *si, char prev[65], long long *next)
{
	struct dk_err e = { 0 };
	struct dk_checkpoint cp;
	struct stat sb;
	unsigned char leaf[32], root[32];
	char hex[65], *line;
	off_t at = (off_t)(m->size - m->cplen - 2);
	json_t *v = NULL, *rec;
	int ok = 0;

	if (fstat(fd, &sb) < 0 || sb.st_size < m->size ||
	    (line = malloc((size_t)m->cplen + 2)) == NULL)
		return 0;
	if (pread(fd, line, (size_t)m->cplen + 2, at) != m->cplen + 2 ||
	    line[0] != '\n' || line[m->cplen + 1] != '\n')
		goto out;
	dk_merkle_leaf(line + 1, (size_t)m->cplen, leaf);
	dk_hash_hex(leaf, hex);
	if (strcmp(hex, m->prev) != 0 || (oppk != NULL &&
	    memcmp(m->key.pk, oppk, 32) != 0) ||
	    (v = dk_parse(line + 1, (size_t)m->cplen, &e)) == NULL ||
	    json_integer_value(json_object_get(v, "seq")) != m->next - 1 ||
	    !json_is_object(rec = json_object_get(v, "rec")))
		goto out;
	strcpy(si->origin, m->origin);
	si->key = m->key;
	si->committed = m->committed;
	if (dk_ledger_cp_open(si, oppk, rec, m->next - 1, &cp, &e) < 0)
		goto out;
	dk_mtree_root(&m->cptree, root);
	if (cp.size != (uint64_t)m->next - 1 || m->cptree.size != cp.size ||
	    memcmp(root, cp.root, 32) != 0)
		goto out;
	si->tree = m->cptree;
	dk_mtree_append(&si->tree, leaf);
	free(si->note);
	si->note = strdup(json_string_value(json_object_get(rec, "note")));
	si->note_seq = m->next - 1;
	si->cp_time = m->cp_time;
	si->cp_time_seq = m->cp_time_seq;
	si->checkpoints = m->checkpoints;
	si->good = si->note_end = (off_t)m->size;
	si->last_start = (off_t)(m->size - m->cplen - 1);
	si->entries = m->next;
	si->last_type_checkpoint = 1;
	strcpy(prev, m->prev);
	*next = m->next;
	ok = si->note != NULL;
out:
	json_decref(v);
	free(line);
	return ok;
}

/* si as a scan from the first entry finds it, keeping what its caller
 * set (the witnesses' policy, whether leaves are kept). */
static void
si_reset(struct dk_scaninfo *si)
{
	struct dk_wpolicy *p = si->policy;
	int wl = si->want_leaves;

	dk_scaninfo_free(si);
	memset(si, 0, sizeof(*si));
	si->policy = p;
	si->want_leaves = wl;
}

static void
state_reset(struct dk_scache *sc)
{
	dk_state_free(sc->st);
	dk_state_init(sc->st);
	sc->nk = 0;
	sc->used = 0;
}

static int
put(int fd, const void *b, size_t n, struct dk_sha256 *h)
{
	dk_sha256_update(h, b, n);
	return write(fd, b, n) == (ssize_t)n ? 0 : -1;
}

/* Mark m as the line after those h hashes, at fd's place: then h hashes
 * it too, hex holds the digest it ends with and *n its length. */
static int
put_mark(int fd, const struct mark *m, struct dk_sha256 *h,
    char hex[65], size_t *n)
{
	char *t = mark_text(m), *line;
	int len, rc;

	if (t == NULL)
		return -1;
	digest(h, hex);
	len = asprintf(&line, "M\t%s\t%s\n", t, hex);
	free(t);
	if (len < 0)
		return -1;
	*n = (size_t)len;
	rc = put(fd, line, (size_t)len, h);
	free(line);
	return rc;
}

/* The cache as it stands after its good part (end bytes, hash h, the
 * digest hex of its last mark, m), for a writer to keep up to date; end
 * 0: none yet, the lines of the ledger read in sc (its next, its
 * checkpoints in m). */
static void
w_keep(struct dk_scache *sc, const char *path, size_t end,
    const struct dk_sha256 *h, const char *hex, const struct mark *m)
{
	struct dk_scache_w *w;
	struct dk_state *st = sc->st;
	size_t i;

	if ((w = calloc(1, sizeof(*w))) == NULL ||
	    (w->path = strdup(path)) == NULL ||
	    (w->settled = calloc(st->nslots + 1, 1)) == NULL ||
	    (w->out = open_memstream(&w->obuf, &w->olen)) == NULL) {
		dk_scache_w_free(w);
		return;
	}
	w->st = st;
	w->end = end;
	w->line = m->line;
	w->next = m->next;
	w->checkpoints = m->checkpoints;
	w->cp_start = -1;
	if (end > 0) {
		w->h = *h;
		memcpy(w->hex, hex, 64);
	} else if (fflush(sc->out) != 0 ||
	    fwrite(sc->obuf, 1, sc->olen, w->out) != sc->olen) {
		dk_scache_w_free(w);
		return;
	} else if (sc->cp_start >= 0) {
		w->cptree = sc->cptree;
		w->cp_start = sc->cp_start;
	}
	for (i = 0; i < st->nslots; i++)
		w->settled[i] = st->slots[i].settled != 0;
	w->nset = st->nslots + 1;
	dk_scache_w_free(sc->w);
	sc->w = w;
}

/* What the scan took since the mark, and the mark where it ends, after
 * the good part of the cache (end bytes, hash h): a cache rebuilt when
 * end is 0; kept for a writer (w_keep) when it is all written. */
static void
cache_write(struct dk_scache *sc, const char *path, int cfd, size_t end,
    struct dk_sha256 *h, const struct mark *old, long long next,
    const char *prev)
{
	struct dk_scaninfo *si = sc->si;
	struct mark m;
	char hex[65];
	size_t n;

	memset(&m, 0, sizeof(m));
	m.size = (long long)si->good;
	m.line = (end > 0 ? old->line : 0) + next - (end > 0 ? old->next : 0);
	m.next = next;
	m.cplen = (long long)(si->good - sc->cp_start) - 1;
	m.cp_time = si->cp_time;
	m.cp_time_seq = si->cp_time_seq;
	m.checkpoints = si->checkpoints;
	m.cptree = sc->cptree;
	m.key = si->key;
	m.key.sk = NULL;
	m.committed = si->committed;
	snprintf(m.prev, sizeof(m.prev), "%s", prev);
	snprintf(m.origin, sizeof(m.origin), "%s", si->origin);
	if (fflush(sc->out) != 0)
		return;
	if (end == 0)
		dk_sha256_init(h);
	/* a cache cut short is read as far as its last good mark */
	if (ftruncate(cfd, (off_t)end) == 0 &&
	    lseek(cfd, (off_t)end, SEEK_SET) == (off_t)end &&
	    (end > 0 || put(cfd, HEADER, strlen(HEADER), h) == 0) &&
	    put(cfd, sc->obuf, sc->olen, h) == 0 &&
	    put_mark(cfd, &m, h, hex, &n) == 0)
		w_keep(sc, path, (end > 0 ? end : strlen(HEADER)) + sc->olen +
		    n, h, hex, &m);
}

/* A ledger too small for a cache read whole, what the state took of it
 * kept for a writer, whose commit makes it one (w_keep). */
static int
scan_small(FILE *fp, const char *name, const unsigned char *oppk,
    struct dk_scache *sc, char prev[65], long long *next,
    struct dk_scaninfo *si, struct dk_err *e)
{
	struct mark m;
	char *path = NULL;
	int rc;

	free(sc->obuf);
	sc->obuf = NULL;
	if ((sc->out = open_memstream(&sc->obuf, &sc->olen)) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	sc->cp_start = -1;
	rc = dk_ledger_scan_plain(fp, name, oppk, dk_scache_apply, sc, prev,
	    next, si, e);
	memset(&m, 0, sizeof(m));
	m.checkpoints = si->checkpoints;
	if (rc == 0 && (*next == 0 || (si->last_type_checkpoint &&
	    si->origin[0] != '\0')) && asprintf(&path, "%s.state", name) >= 0)
		w_keep(sc, path, 0, NULL, NULL, &m);
	free(path);
	fclose(sc->out);
	sc->out = NULL;
	return rc;
}

/*
 * The scan of dk_ledger_scan_fp given dk_scache_apply: from where the
 * cache at NAME.state ends when the ledger still holds what it was built
 * from, else (no cache, a cache of another ledger or version, edited,
 * or a ledger rolled back, replaced or cut) from the first entry, and
 * the cache written again.  A writer with witnesses reads it all (their
 * consistency proofs need every leaf).  What the cache says of the
 * ledger never goes wrong quietly: a ledger that is bad is read again
 * from its first entry, for the whole scan's message.
 */
int
dk_scache_scan(FILE *fp, const char *name, const unsigned char *oppk,
    struct dk_scache *sc, char prev[65], long long *next,
    struct dk_scaninfo *si, struct dk_err *e)
{
	struct dk_sha256 h;
	struct mark m;
	struct stat sb;
	char *path = NULL, *buf = NULL, mhex[65] = "";
	size_t end = 0;
	int cfd = -1, rc;

	sc->si = si;
	sc->used = 0;
	dk_scache_w_free(sc->w);
	sc->w = NULL;
	if (avoid_ready(sc) < 0)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	if (si != NULL && !si->want_leaves && (si->policy == NULL ||
	    si->policy->n == 0) && fstat(fileno(fp), &sb) == 0 &&
	    sb.st_size < DK_SCACHE_MIN)
		return scan_small(fp, name, oppk, sc, prev, next, si, e);
	if (si == NULL || fstat(fileno(fp), &sb) < 0 || si->want_leaves ||
	    (si->policy != NULL &&
	    si->policy->n > 0) || asprintf(&path, "%s.state", name) < 0 ||
	    (cfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW |
	    O_NONBLOCK, 0600)) < 0 || fstat(cfd, &sb) < 0 ||
	    !S_ISREG(sb.st_mode) || flock(cfd, LOCK_EX) < 0) {
		free(path);
		if (cfd >= 0)
			close(cfd);
		return dk_ledger_scan_plain(fp, name, oppk, dk_scache_apply, sc,
		    prev, next, si, e);
	}
	if (!sc->nocache && fstat(cfd, &sb) == 0 && sb.st_size > 0 &&
	    (buf = malloc((size_t)sb.st_size + 1)) != NULL &&
	    pread(cfd, buf, (size_t)sb.st_size, 0) == sb.st_size &&
	    (buf[sb.st_size] = '\0') == '\0' &&
	    cache_marked(buf, (size_t)sb.st_size, &end, &m, &h) &&
	    ledger_holds(fileno(fp), &m, oppk, si, prev, next) &&
	    cache_apply(sc, buf, end, fileno(fp), m.size, oppk) &&
	    fseeko(fp, (off_t)m.size, SEEK_SET) == 0) {
		sc->used = 1;
		sc->st->entries = m.next;
		memcpy(mhex, buf + end - 65, 64);
	} else {
		end = 0;
		state_reset(sc);
		si_reset(si);
		rewind(fp);
		strcpy(prev, "0000000000000000000000000000000000000000000000000"
		    "000000000000000");
		*next = 0;
	}
	free(buf);
	free(sc->obuf);
	sc->obuf = NULL;
	if ((sc->out = open_memstream(&sc->obuf, &sc->olen)) == NULL) {
		close(cfd);
		free(path);
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	}
	sc->cp_start = -1;
	si->last_type_checkpoint = 0;
	rc = dk_ledger_scan_resume(fp, name, sc->used ? (long)m.line : 0, oppk,
	    dk_scache_apply, sc, prev, next, si, e);
	if (rc == 0 && sc->used && *next == m.next) {
		si->last_type_checkpoint = 1;	/* nothing new */
		w_keep(sc, path, end, &h, mhex, &m);
	} else if (rc == 0 && si->last_type_checkpoint && sc->cp_start >= 0 &&
	    si->origin[0] != '\0')
		cache_write(sc, path, cfd, end, &h, &m, *next, prev);
	fclose(sc->out);
	sc->out = NULL;
	if (rc < 0 && sc->used && e->status == DK_EX_DATAERR) {
		/* for the message a scan from the first entry gives */
		memset(e, 0, sizeof(*e));
		state_reset(sc);
		si_reset(si);
		rewind(fp);
		rc = dk_ledger_scan_plain(fp, name, oppk, dk_scache_apply, sc,
		    prev, next, si, e);
	}
	close(cfd);
	free(path);
	return rc;
}

/* Settlement rec of the writer's: whether its slot was settled before
 * (1), as a reader's dk_scache_apply finds it; its slot is now. */
static int
w_again(struct dk_scache_w *w, json_t *rec)
{
	struct dk_err e = { 0 };
	const struct dk_slotstate *ss;
	unsigned char *ns;
	const char *s = str(rec, "slot");
	size_t i, cap;
	int64_t t;
	int was;

	if (s == NULL || dk_slot_parse(s, w->st->rules.slot_minutes, &t,
	    &e) < 0 || (ss = dk_state_slot(w->st, t)) == NULL)
		return 0;
	if ((i = (size_t)(ss - w->st->slots)) >= w->nset) {
		cap = w->st->capslots > i ? w->st->capslots : i + 1;
		if ((ns = realloc(w->settled, cap)) == NULL)
			return -1;
		memset(ns + w->nset, 0, cap - w->nset);
		w->settled = ns;
		w->nset = cap;
	}
	was = w->settled[i];
	w->settled[i] = 1;
	return was;
}

/* The entry l added last (rec, the bytes text of len in its line): its
 * line of the cache, as a reader's scan would take it. */
int
dk_scache_w_add(struct dk_scache_w *w, const struct dk_ledger *l,
    json_t *rec, const char *text, size_t len)
{
	struct dk_err e = { 0 };
	const char *type = str(rec, "type");
	long long off = l->committed + (long long)l->cp_off;
	int again = 0;

	if (strcmp(type, "checkpoint") == 0) {
		w->cptree = l->cp_tree;	/* before its own leaf */
		w->cp_start = off;
		w->checkpoints++;
		return 0;
	}
	if (strcmp(type, "settlement") == 0 && (again = w_again(w, rec)) < 0)
		return -1;
	return line_of(w->out, w->st, l->next - 1, off, type, rec, text, len,
	    again, &e);
}

/*
 * After l's commit (its entries on disk): the lines of what it added and
 * a mark at its last checkpoint, after the cache's good part as the
 * start left it, when the file still ends there (no other program wrote
 * it since).  A commit that does not end with a checkpoint leaves its
 * lines for the next.  -1: the cache is left to the next start.
 */
int
dk_scache_w_commit(struct dk_scache_w *w, const struct dk_ledger *l)
{
	struct dk_sha256 h = w->h;
	struct mark m;
	struct stat sb;
	char tail[66], hex[65];
	size_t n = 0;
	int fd, ok;

	if (!l->last_cp || w->cp_start < 0 || (w->end == 0 &&
	    l->committed < DK_SCACHE_MIN))
		return 0;
	memset(&m, 0, sizeof(m));
	m.size = l->committed;
	m.line = w->line + l->next - w->next;
	m.next = l->next;
	m.cplen = l->committed - w->cp_start - 1;
	m.cp_time = l->info.cp_time;
	m.cp_time_seq = l->info.cp_time_seq;
	m.checkpoints = w->checkpoints;
	m.cptree = w->cptree;
	m.key = l->info.key;
	m.key.sk = NULL;
	m.committed = l->info.committed;
	snprintf(m.prev, sizeof(m.prev), "%s", l->prev);
	snprintf(m.origin, sizeof(m.origin), "%s", l->info.origin);
	if (fflush(w->out) != 0 || (w->end > 0 && w->end < sizeof(tail)))
		return -1;
	if (w->end == 0)
		dk_sha256_init(&h);
	/* none yet: the whole cache, as a start that reads the ledger
	 * whole writes it; else after the part the start left */
	fd = open(w->path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK |
	    (w->end == 0 ? O_CREAT : 0), 0600);
	ok = fd >= 0 && flock(fd, LOCK_EX) == 0 && fstat(fd, &sb) == 0 &&
	    S_ISREG(sb.st_mode) && (w->end == 0 ||
	    (sb.st_size >= (off_t)w->end &&
	    pread(fd, tail, sizeof(tail), (off_t)(w->end - sizeof(tail))) ==
	    (ssize_t)sizeof(tail) && tail[0] == '\t' &&
	    memcmp(tail + 1, w->hex, 64) == 0 && tail[65] == '\n')) &&
	    ftruncate(fd, (off_t)w->end) == 0 &&
	    lseek(fd, (off_t)w->end, SEEK_SET) == (off_t)w->end &&
	    (w->end > 0 || put(fd, HEADER, strlen(HEADER), &h) == 0) &&
	    put(fd, w->obuf, w->olen, &h) == 0 &&
	    put_mark(fd, &m, &h, hex, &n) == 0;
	if (fd >= 0)
		close(fd);
	if (!ok)
		return -1;
	w->end += (w->end == 0 ? strlen(HEADER) : 0) + w->olen + n;
	w->h = h;
	memcpy(w->hex, hex, 64);
	w->line = m.line;
	w->next = m.next;
	w->cp_start = -1;
	fclose(w->out);
	free(w->obuf);
	w->obuf = NULL;
	return (w->out = open_memstream(&w->obuf, &w->olen)) == NULL ? -1 : 0;
}

void
dk_scache_w_free(struct dk_scache_w *w)
{
	if (w == NULL)
		return;
	if (w->out != NULL)
		fclose(w->out);
	free(w->obuf);
	free(w->path);
	free(w->settled);
	free(w);
}
