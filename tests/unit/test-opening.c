/* Unit tests for lib/ledger/opening.c and the settlement of a slot from
 * nets: readings as salted commitments, their openings, the store. */
#include <sys/stat.h>
#include <sys/wait.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "denki.h"
#include "check.h"

#define S10 "2026-01-01T10:00:00+00:00"
#define RD "{\"export_wh\":0,\"import_wh\":590,\"meter\":\"m1\",\"slot\":\"" \
	S10 "\",\"type\":\"reading\",\"v\":1}"

static json_t *
js(const char *s)
{
	return json_loads(s, 0, NULL);
}

/* The hash by hand: SHA-256 of the salt's bytes and the reading's. */
static void
by_hand(const char *salthex, const char *canon, char out[65])
{
	unsigned char salt[32], h[32];
	crypto_hash_sha256_state st;

	sodium_hex2bin(salt, 32, salthex, 64, NULL, NULL, NULL);
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, salt, 32);
	crypto_hash_sha256_update(&st, (const unsigned char *)canon,
	    strlen(canon));
	crypto_hash_sha256_final(&st, h);
	sodium_bin2hex(out, 65, h, 32);
}

/* op is c's opening at seq, of rd, its hash made as by_hand makes it */
static void
opens(json_t *op, json_t *c, json_t *rd, long long seq)
{
	struct dk_err e = { 0 };
	char want[65];

	CHECK_INT(json_integer_value(json_object_get(op, "seq")), seq);
	CHECK(json_equal(json_object_get(op, "reading"), rd));
	by_hand(json_string_value(json_object_get(op, "salt")), RD, want);
	CHECK_STR(json_string_value(json_object_get(c, "hash")), want);
	CHECK_INT(dk_opening_check(op, c, seq, &e), 0);
}

static void
test_commit(void)
{
	struct dk_err e = { 0 };
	json_t *rd = js(RD), *c, *op, *c2, *op2, *bad;
	char *s;
	int committed = -1;

	CHECK_INT(dk_readings_mode("committed", &committed, &e), 0);
	CHECK_INT(committed, 1);
	CHECK_INT(dk_readings_mode("open", &committed, &e), 0);
	CHECK_INT(committed, 0);
	CHECK_INT(dk_readings_mode("Committed", &committed, &e), -1);
	CHECK_INT(e.status, DK_EX_CONFIG);
	CHECK_STR(e.msg, "readings: must be committed or open, got "
	    "\"Committed\"");

	c = dk_commit_reading(rd, 17, &op);
	CHECK(c != NULL && op != NULL);
	CHECK_INT(dk_commitment_check(c, &e), 0);
	CHECK_INT(json_object_size(c), 5);
	CHECK_STR(json_string_value(json_object_get(c, "meter")), "m1");
	CHECK_STR(json_string_value(json_object_get(c, "slot")), S10);
	/* the energy is not in the commitment (beside its hash, whose 64
	 * random-looking digits hold "590" now and then: 1 run in 70) */
	bad = json_deep_copy(c);
	json_object_del(bad, "hash");
	s = dk_canon(bad);
	CHECK(strstr(s, "590") == NULL);
	free(s);
	json_decref(bad);
	opens(op, c, rd, 17);

	/* a new salt each time: the same reading, another hash */
	c2 = dk_commit_reading(rd, 17, &op2);
	CHECK(strcmp(json_string_value(json_object_get(c, "hash")),
	    json_string_value(json_object_get(c2, "hash"))) != 0);
	CHECK(strcmp(json_string_value(json_object_get(op, "salt")),
	    json_string_value(json_object_get(op2, "salt"))) != 0);
	/* one's opening does not open the other */
	memset(&e, 0, sizeof(e));
	CHECK_INT(dk_opening_check(op2, c, 17, &e), -1);
	CHECK_INT(e.status, DK_EX_NO);
	CHECK_HAS(e.msg, "the opening does not match its commitment");

	/* another value, or another slot or meter with a matching hash */
	bad = json_deep_copy(op);
	json_object_set_new(json_object_get(bad, "reading"), "import_wh",
	    json_integer(591));
	memset(&e, 0, sizeof(e));
	CHECK_INT(dk_opening_check(bad, c, 17, &e), -1);
	CHECK_INT(e.status, DK_EX_NO);
	json_decref(bad);
	bad = json_deep_copy(c);
	json_object_set_new(bad, "meter", json_string("m2"));
	memset(&e, 0, sizeof(e));
	CHECK_INT(dk_opening_check(op, bad, 17, &e), -1);
	CHECK_STR(e.msg, "the opening's reading is of another slot or meter "
	    "than its commitment");
	json_decref(bad);

	/* the records' shapes */
	bad = json_deep_copy(op);
	json_object_set_new(bad, "salt", json_string("00"));
	memset(&e, 0, sizeof(e));
	CHECK_INT(dk_opening_check(bad, c, 17, &e), -1);
	CHECK_INT(e.status, DK_EX_DATAERR);
	CHECK_STR(e.msg, "salt: must be 64 lowercase hex digits");
	json_object_set(bad, "salt", json_object_get(op, "salt"));
	json_object_set_new(bad, "extra", json_true());
	memset(&e, 0, sizeof(e));
	CHECK_INT(dk_opening_check(bad, c, 17, &e), -1);
	CHECK_HAS(e.msg, "and nothing else");
	json_decref(bad);
	bad = json_deep_copy(c);
	json_object_set_new(bad, "hash", json_string("ABC"));
	memset(&e, 0, sizeof(e));
	CHECK_INT(dk_commitment_check(bad, &e), -1);
	CHECK_STR(e.msg, "hash: must be 64 lowercase hex digits");
	json_object_set(bad, "hash", json_object_get(c, "hash"));
	json_object_set_new(bad, "import_wh", json_integer(590));
	memset(&e, 0, sizeof(e));
	CHECK_INT(dk_commitment_check(bad, &e), -1);
	CHECK_HAS(e.msg, "and nothing else");
	json_decref(bad);

	json_decref(c);
	json_decref(c2);
	json_decref(op);
	json_decref(op2);
	json_decref(rd);
}

static void
test_store(void)
{
	struct dk_err e = { 0 };
	json_t *rd = js(RD), *c, *op, *all;
	const long long five[] = { 5, 6, 7, 8, 9 }, keep59[] = { 5, 9 };
	char path[300], path2[300], *line, buf[4096];
	struct stat sb;
	off_t before, size;
	size_t n = 0;
	int i;
	FILE *fp;

	tmpdir_make("test-opening");
	snprintf(path, sizeof(path), "%s/ledger.jsonl.openings", ck_tmp);
	/* three openings, of entries 5, 6 and 9 */
	for (i = 0; i < 3; i++) {
		c = dk_commit_reading(rd, i == 2 ? 9 : 5 + i, &op);
		line = dk_canon(op);
		n += snprintf(buf + n, sizeof(buf) - n, "%s\n", line);
		free(line);
		json_decref(c);
		json_decref(op);
	}
	CHECK_INT(dk_openings_append(path, buf, n, &before, &e), 0);
	CHECK_INT(before, 0);
	CHECK_INT(stat(path, &sb), 0);
	CHECK_INT(sb.st_mode & 0777, 0600);
	CHECK_INT(dk_openings_load(path, &all, &e), 0);
	CHECK_INT(json_object_size(all), 3);
	CHECK(dk_openings_get(all, 6) != NULL);
	CHECK(dk_openings_get(all, 7) == NULL);
	json_decref(all);

	/* entries 5 to 9 are commitments: nothing dropped, nothing written */
	CHECK_INT(stat(path, &sb), 0);
	size = sb.st_size;
	CHECK_INT(dk_openings_trim(path, five, 5, &e), 0);
	CHECK_INT(stat(path, &sb), 0);
	CHECK_INT(sb.st_size, size);

	/* a run cut off: entries 6 and 9 are not commitments (any more),
	 * the store's last lines: dropped, read from its end */
	CHECK_INT(dk_openings_trim(path, five, 1, &e), 0);
	CHECK_INT(dk_openings_load(path, &all, &e), 0);
	CHECK_INT(json_object_size(all), 1);
	CHECK(dk_openings_get(all, 5) != NULL);
	json_decref(all);
	CHECK_INT(stat(path, &sb), 0);
	CHECK_INT(sb.st_mode & 0777, 0600);
	CHECK_INT(sb.st_size, strchr(buf, '\n') - buf + 1);

	/* none a commitment: the store emptied */
	CHECK_INT(dk_openings_trim(path, NULL, 0, &e), 0);
	CHECK_INT(stat(path, &sb), 0);
	CHECK_INT(sb.st_size, 0);
	CHECK_INT(dk_openings_append(path, buf, n, &before, &e), 0);

	/* an opening in the middle of no commitment (never a run's) is
	 * kept when the last one's entry is a commitment; an empty line
	 * at the end goes with the openings after the last good one */
	fp = fopen(path, "a");
	fputs("\n", fp);
	fclose(fp);
	CHECK_INT(dk_openings_trim(path, keep59, 2, &e), 0);
	CHECK_INT(stat(path, &sb), 0);
	CHECK_INT(sb.st_size, n);
	CHECK_INT(dk_openings_load(path, &all, &e), 0);
	CHECK_INT(json_object_size(all), 3);
	json_decref(all);

	/* a last line cut off (no newline): the store read whole, each
	 * line: the one cut off named */
	fp = fopen(path, "a");
	fputs("{\"type\":\"open", fp);
	fclose(fp);
	CHECK_INT(dk_openings_trim(path, keep59, 2, &e), -1);
	CHECK_INT(e.status, DK_EX_DATAERR);
	CHECK_HAS(e.msg, ".openings:4:");
	memset(&e, 0, sizeof(e));
	/* a last line that is no opening: the same */
	CHECK_INT(truncate(path, n), 0);
	fp = fopen(path, "a");
	fputs("{\"type\":\"reading\",\"v\":1}\n", fp);
	fclose(fp);
	CHECK_INT(dk_openings_trim(path, keep59, 2, &e), -1);
	CHECK_HAS(e.msg, ".openings:4: type: must be \"opening\"");
	memset(&e, 0, sizeof(e));
	/* whole lines of openings read whole: 6 dropped in the middle */
	CHECK_INT(truncate(path, n - 1), 0);	/* no newline at the end */
	CHECK_INT(chmod(path, 0644), 0);
	CHECK_INT(dk_openings_trim(path, keep59, 2, &e), 0);
	CHECK_INT(dk_openings_load(path, &all, &e), 0);
	CHECK_INT(json_object_size(all), 2);
	CHECK(dk_openings_get(all, 6) == NULL);
	json_decref(all);
	CHECK_INT(stat(path, &sb), 0);
	CHECK_INT(sb.st_mode & 0777, 0600);
	/* no store: nothing to trim */
	snprintf(path2, sizeof(path2), "%s/no.openings", ck_tmp);
	CHECK_INT(dk_openings_trim(path2, keep59, 2, &e), 0);
	CHECK(access(path2, F_OK) != 0);

	/* a failed ledger write: the store cut back */
	CHECK_INT(dk_openings_append(path, buf, strchr(buf, '\n') - buf + 1,
	    &before, &e), 0);
	CHECK(before > 0);
	dk_openings_cut(path, before);
	CHECK_INT(stat(path, &sb), 0);
	CHECK_INT(sb.st_size, before);

	/* a seq twice, or a line that is no opening: named by line */
	fp = fopen(path, "a");
	fputs(buf, fp);
	fclose(fp);
	memset(&e, 0, sizeof(e));
	CHECK_INT(dk_openings_load(path, &all, &e), -1);
	CHECK(all == NULL);
	CHECK_INT(e.status, DK_EX_DATAERR);
	CHECK_HAS(e.msg, ".openings:3: seq: entry 5 opened a second time");
	memset(&e, 0, sizeof(e));
	CHECK_INT(dk_openings_load(tmpfile_write("x.openings",
	    "{\"type\":\"reading\",\"v\":1}\n"), &all, &e), -1);
	CHECK_HAS(e.msg, "x.openings:1: type: must be \"opening\"");
	memset(&e, 0, sizeof(e));
	snprintf(path, sizeof(path), "%s/none", ck_tmp);
	CHECK_INT(dk_openings_load(path, &all, &e), -1);
	CHECK_INT(e.status, DK_EX_NOINPUT);
	json_decref(rd);
	tmpdir_remove();
}

/* A slot settled from nets is the slot settled from readings, but for
 * the metered energy the settlement records of v 2 leave out. */
static void
test_net(void)
{
	struct dk_err e = { 0 };
	struct dk_registry reg;
	struct dk_rules r;
	struct dk_key k;
	char *kb;
	json_t *rds, *cs, *a, *b, *nets, *x;
	size_t i;
	int64_t t;

	memset(&reg, 0, sizeof(reg));
	memset(&r, 0, sizeof(r));
	strcpy(r.tz, "UTC");
	r.slot_minutes = 30;
	r.retail = 300000;
	r.buyback = 100000;
	CHECK_INT(dk_key_generate(&k, &e), 0);
	kb = dk_key_pub_b64(&k);
	x = json_pack("{s:s,s:i,s:s,s:s,s:[s,s],s:s,s:s,s:s}", "type",
	    "participant", "v", 1, "id", "p1", "key", kb, "meters", "m1", "m2",
	    "zone", "main", "role", "prosumer", "status", "active");
	free(kb);
	dk_key_free(&k);
	if (dk_registry_apply(&reg, x, &e) < 0)
		fprintf(stderr, "registry: %s\n", e.msg);
	json_decref(x);
	dk_slot_parse(S10, 30, &t, &e);
	rds = json_pack("[{s:s,s:i,s:s,s:s,s:i,s:i},{s:s,s:i,s:s,s:s,s:i,"
	    "s:i}]", "type", "reading", "v", 1, "meter", "m1", "slot", S10,
	    "import_wh", 700, "export_wh", 100, "type", "reading", "v", 1,
	    "meter", "m2", "slot", S10, "import_wh", 0, "export_wh", 1333);
	cs = json_array();
	a = json_array();
	b = json_array();
	CHECK_INT(dk_settle(t, cs, rds, &reg, &r, a, &e), 0);
	nets = json_pack("{s:i}", "p1", 100 + 1333 - 700);
	CHECK_INT(dk_settle_net(t, cs, nets, &reg, &r, b, &e), 0);
	CHECK_INT(json_array_size(a), json_array_size(b));
	json_array_foreach(a, i, x) {
		if (strcmp(json_string_value(json_object_get(x, "type")),
		    "settlement") == 0) {
			dk_settlement_private(x);
			dk_settlement_private(json_array_get(b, i));
			CHECK_INT(json_integer_value(json_object_get(x, "v")), 2);
			CHECK(json_object_get(x, "import_wh") == NULL);
		}
		CHECK(json_equal(x, json_array_get(b, i)));
	}
	/* a participant not in the registry, a net beyond a slot's limits */
	json_object_set_new(nets, "p9", json_integer(1));
	memset(&e, 0, sizeof(e));
	CHECK_INT(dk_settle_net(t, cs, nets, &reg, &r, b, &e), -1);
	CHECK_STR(e.msg, "participant p9 is not in the registry");
	json_object_del(nets, "p9");
	json_object_set_new(nets, "p1", json_integer(DK_MAX_WH + 1));
	memset(&e, 0, sizeof(e));
	CHECK_INT(dk_settle_net(t, cs, nets, &reg, &r, b, &e), -1);
	CHECK_HAS(e.msg, "beyond the limits of a slot");
	json_decref(nets);
	json_decref(rds);
	json_decref(cs);
	json_decref(a);
	json_decref(b);
	dk_registry_free(&reg);
}

/* The genesis says the mode; a reader takes it from there. */
static void
test_genesis(void)
{
	struct dk_err e = { 0 };
	struct dk_ledger l;
	struct dk_scaninfo si;
	struct dk_key op;
	char path[300], line[1024], *k;
	json_t *g, *ent;
	FILE *fp;
	int mode;

	tmpdir_make("test-opening-g");
	CHECK_INT(dk_key_generate(&op, &e), 0);
	for (mode = 0; mode <= 1; mode++) {
		snprintf(path, sizeof(path), "%s/l%d.jsonl", ck_tmp, mode);
		CHECK_INT(dk_ledger_open(&l, path, &op, NULL, NULL, &e), 0);
		CHECK_INT(dk_ledger_genesis(&l, "test/g", mode, &e), 0);
		CHECK_INT(l.info.committed, mode);
		CHECK_INT(dk_ledger_finish(&l, 0, &e), 0);
		dk_ledger_close(&l);
		memset(&si, 0, sizeof(si));
		CHECK_INT(dk_ledger_scan_info(path, op.pk, NULL, NULL, &si, &e),
		    0);
		CHECK_INT(si.committed, mode);
		dk_scaninfo_free(&si);
		fp = fopen(path, "r");
		CHECK(fgets(line, sizeof(line), fp) != NULL);
		fclose(fp);
		CHECK_INT(strstr(line, "\"readings\":\"committed\"") != NULL,
		    mode);
	}
	/* a mode no reader knows: the genesis is refused */
	k = dk_key_pub_b64(&op);
	dk_vkey_make("test/g", op.pk, line, sizeof(line));
	g = json_pack("{s:s,s:i,s:s,s:s,s:s,s:s}", "type", "ledger", "v", 1,
	    "origin", "test/g", "key", k, "vkey", line, "readings",
	    "sometimes");
	ent = json_pack("{s:s,s:i,s:i,s:s,s:o}", "type", "entry", "v", 2,
	    "seq", 0, "prev", "0000000000000000000000000000000000000000000000"
	    "000000000000000000", "rec", g);
	free(k);
	k = dk_canon(ent);
	json_decref(ent);
	snprintf(path, sizeof(path), "%s/bad.jsonl", ck_tmp);
	fp = fopen(path, "w");
	fprintf(fp, "%s\n", k);
	fclose(fp);
	free(k);
	memset(&si, 0, sizeof(si));
	memset(&e, 0, sizeof(e));
	CHECK_INT(dk_ledger_scan_info(path, op.pk, NULL, NULL, &si, &e), -1);
	CHECK_INT(e.status, DK_EX_DATAERR);
	CHECK_HAS(e.msg, "readings: must be committed or open, got "
	    "\"sometimes\"");
	dk_scaninfo_free(&si);
	dk_key_free(&op);
	tmpdir_remove();
}

/* dk_commit_canon: the opening's line what dk_canon writes of it (the
 * keys in order around the reading's text), opening its commitment; the
 * commitment dk_commit_reading's but for the salt's hash. */
static void
test_commit_canon(void)
{
	struct dk_err e = { 0 };
	json_t *rd = js(RD), *c, *c2, *op, *op2;
	char *rc = dk_canon(rd), *line, *again;
	size_t n = 0;

	c = dk_commit_canon(rd, rc, strlen(rc), 4242, &line, &n);
	CHECK(c != NULL && line != NULL);
	CHECK_INT(n, strlen(line));
	CHECK_INT(dk_commitment_check(c, &e), 0);
	op = dk_parse(line, n, &e);
	CHECK(op != NULL);
	again = dk_canon(op);
	CHECK_STR(again, line);
	opens(op, c, rd, 4242);
	c2 = dk_commit_reading(rd, 4242, &op2);
	json_object_set(c2, "hash", json_object_get(c, "hash"));
	CHECK(json_equal(c, c2));
	json_decref(c2);
	json_decref(op2);
	json_decref(op);
	json_decref(c);
	free(again);
	free(line);
	free(rc);
	json_decref(rd);
}

/* The private text of a settlement from its canonical one is
 * dk_canon's of its private copy, whatever its members hold. */
static void
private_same(const char *js)
{
	json_error_t je;
	json_t *x = json_loads(js, 0, &je), *y;
	char *c, *want, *got;

	CHECKF(x != NULL, "%s: %s", js, je.text);
	if (x == NULL)
		return;
	y = json_deep_copy(x);
	dk_settlement_private(y);
	c = dk_canon(x);
	want = dk_canon(y);
	got = dk_settlement_private_text(y, c, strlen(c));
	CHECKF(got != NULL && strcmp(got, want) == 0, "%s: %s, not %s", js,
	    got ? got : "(null)", want);
	free(c);
	free(want);
	free(got);
	json_decref(x);
	json_decref(y);
}

static void
test_private_text(void)
{
	json_t *x = json_pack("{s:s,s:i}", "type", "settlement", "net", 1);
	char *c = dk_canon(x), *t;

	private_same("{\"type\":\"settlement\",\"v\":1,\"export_wh\":5,"
	    "\"import_wh\":-7,\"net\":-3,\"participant\":\"p1\"}");
	/* first and last members cut, one only, none */
	private_same("{\"export_wh\":0,\"v\":1}");
	private_same("{\"a\":1,\"import_wh\":0,\"v\":1,\"zz\":\"}\"}");
	private_same("{\"v\":3,\"w\":[1,{\"export_wh\":2}]}");
	/* the names inside strings, nested objects, escapes */
	private_same("{\"export_wh\":12,\"note\":\"\\\"export_wh\\\":1,\","
	    "\"import_wh\":{\"v\":9,\"x\":\"]\"},\"p\":\"a\\\\\",\"v\":1,"
	    "\"x\":{\"import_wh\":[\"{\"]}}");
	/* provisional: kept whole */
	private_same("{\"export_wh\":3,\"provisional\":[\"m1\"],\"v\":3}");
	/* no "v": the long way (NULL) */
	t = dk_settlement_private_text(x, c, strlen(c));
	CHECK(t == NULL);
	free(t);
	free(c);
	json_decref(x);
}

/* dk_commitment_text: dk_canon's bytes of the commitment, whatever its
 * strings hold or whatever else it is. */
static void
commitment_same(const char *js)
{
	json_error_t je;
	json_t *x = json_loads(js, 0, &je);
	char *want, *got;

	CHECKF(x != NULL, "%s: %s", js, je.text);
	if (x == NULL)
		return;
	want = dk_canon(x);
	got = dk_commitment_text(x);
	CHECKF(got != NULL && strcmp(got, want) == 0, "%s: %s, not %s", js,
	    got ? got : "(null)", want);
	free(want);
	free(got);
	json_decref(x);
}

static void
test_commitment_text(void)
{
	commitment_same("{\"type\":\"commitment\",\"v\":1,\"slot\":"
	    "\"2026-01-01T10:00:00+01:00\",\"meter\":\"kn1-m\",\"hash\":"
	    "\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"}");
	/* escapes, UTF-8, DEL: written the long way, the same bytes */
	commitment_same("{\"hash\":\"h\",\"meter\":\"a\\\"b\",\"slot\":\"s\","
	    "\"type\":\"commitment\",\"v\":1}");
	commitment_same("{\"hash\":\"h\",\"meter\":\"m\",\"slot\":\"\\u0001\\\\\","
	    "\"type\":\"commitment\",\"v\":1}");
	commitment_same("{\"hash\":\"h\",\"meter\":\"\\u00e9\",\"slot\":\"\\u007f\","
	    "\"type\":\"commitment\",\"v\":1}");
	/* another type, another v, a member more or instead */
	commitment_same("{\"hash\":\"h\",\"meter\":\"m\",\"slot\":\"s\","
	    "\"type\":\"reading\",\"v\":1}");
	commitment_same("{\"hash\":\"h\",\"meter\":\"m\",\"slot\":\"s\","
	    "\"type\":\"commitment\",\"v\":2}");
	commitment_same("{\"hash\":\"h\",\"meter\":\"m\",\"slot\":\"s\","
	    "\"type\":\"commitment\",\"v\":1,\"x\":0}");
	commitment_same("{\"hash\":\"h\",\"meter\":\"m\",\"slot\":\"s\","
	    "\"x\":\"commitment\",\"v\":1}");
}

/* the salt of a new commitment to RD (hex, 65 bytes) */
static void
salt_of(char out[65])
{
	json_t *rd = js(RD), *c, *op;

	out[0] = '\0';
	if ((c = dk_commit_reading(rd, 1, &op)) != NULL)
		snprintf(out, 65, "%s", json_string_value(json_object_get(op,
		    "salt")));
	json_decref(c);
	json_decref(op);
	json_decref(rd);
}

static void *
thread_salt(void *out)
{
	salt_of(out);
	return NULL;
}

/* Salts come from a pool a draw fills: a thread has its own, and a child
 * forked after a draw does not hand out the parent's next ones. */
static void
test_salt_pool(void)
{
	char a[65], b[65], t[65], kid[65] = "";
	int p[2], st;
	pthread_t th;
	pid_t pid;

	salt_of(a);		/* the pool drawn */
	CHECK_INT(pipe(p), 0);
	if ((pid = fork()) == 0) {
		salt_of(kid);
		(void)!write(p[1], kid, 64);
		_exit(0);
	}
	close(p[1]);
	CHECK_INT((int)read(p[0], kid, 64), 64);
	kid[64] = '\0';
	close(p[0]);
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st));
	CHECK_INT(pthread_create(&th, NULL, thread_salt, t), 0);
	pthread_join(th, NULL);
	salt_of(b);		/* the parent's next, after the fork */
	CHECK_INT((int)strlen(a), 64);
	CHECK(strcmp(a, b) != 0);
	CHECKF(strcmp(kid, b) != 0, "the child's salt %s is the parent's", kid);
	CHECKF(strcmp(t, b) != 0, "the thread's salt %s is main's", t);
	CHECK(strcmp(kid, t) != 0);
}

int
main(void)
{
	struct dk_err e = { 0 };

	CHECK_INT(dk_init(&e), 0);
	test_commit();
	test_salt_pool();
	test_commit_canon();
	test_private_text();
	test_commitment_text();
	test_store();
	test_net();
	test_genesis();
	return check_done("test-opening");
}
