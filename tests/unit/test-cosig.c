/* Unit tests for lib/crypto/cosig.c: C2SP tlog-cosignature/v1 (Ed25519,
 * type 0x04) against vectors made apart from denki (tests/cosig-vector.py:
 * Python's hashlib and OpenSSL's Ed25519), and every way a cosignature
 * line can be wrong. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "denki.h"
#include "check.h"

#define NAME	"witness.example/w1"
#define T	1679315147ULL
#define TEXT	"example.org/coop-ledger\n8\n" \
		"XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n"
#define TEXT_EXT TEXT "time 1780000000\n"
/* the log's signature of TEXT (tests/fixtures/note, vector 3) */
#define LOGSIG	"\xe2\x80\x94 example.org/coop-ledger Iqd/rbbWddauHYPXd1+uOA" \
		"1bsesjyK6RnPsfe/fcVcjS+fAnKNqUnHR4cHsxvLSJZZAqUmQ82YcWQux" \
		"jpI90PiQhtQI=\n"
#define LOGVKEY	"example.org/coop-ledger+22a77fad+AQOhB7/zzhC+HXDdGOdLwJln5" \
		"NYwm6UNXx3chmQSVTG4"
/* what tests/cosig-vector.py printed */
#define VKEY	NAME "+20324abe+BCmsuuFBvMrwsi4alNNNC8c2HlJtC/4SyJeUvJMilm3X"
#define COSIG	"\xe2\x80\x94 " NAME " IDJKvgAAAABkGFDLGrkR95twsX6x6tYENOUz" \
		"ze6hZX3/0sHtYABVHnBp9j7DABghTpeS0o3rv/JdzakwegbM4t4+erpejM51" \
		"jrI3Dg==\n"
#define COSIG_EXT "\xe2\x80\x94 " NAME " IDJKvgAAAABkGFDLW60aYkGP2q/H7sl9" \
		"Iqp4XSy5IqVkah6TaEkiIx/2dbfW8tOMm+FV3fQ7mogt6qIvu1tJbkn9gMe1" \
		"0OjO/lWGCg==\n"
/* a witness's key as published (transparency-dev/formats,
 * note/note_cosigv1_test.go): its key id checks */
#define REMORA	"remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34" \
		"x7onlmtw2"

static unsigned char sk[64];
static struct dk_key key;
static struct dk_vkey vk;

static char *
cat3(const char *a, const char *b, const char *c)
{
	char *s;

	if (asprintf(&s, "%s%s%s", a, b, c) < 0)
		abort();
	return s;
}

/* find in text + "\n" + lines */
static int
find(const char *text, const char *lines, const struct dk_vkey *k,
    uint64_t *t, struct dk_err *e)
{
	char *n = cat3(text, "\n", lines);
	int rc = dk_cosig_find(n, strlen(n), k, t, e);

	free(n);
	return rc;
}

/* A cosignature line of NAME with its bytes changed by f. */
static char *
reline(const char *line, void (*f)(unsigned char *, size_t *))
{
	unsigned char raw[256];
	char b[512], *out;
	const char *p = line + 4 + strlen(NAME) + 1;
	size_t n;

	if (sodium_base642bin(raw, sizeof(raw), p, strcspn(p, "\n"), NULL, &n,
	    NULL, sodium_base64_VARIANT_ORIGINAL) != 0)
		abort();
	f(raw, &n);
	sodium_bin2base64(b, sizeof(b), raw, n,
	    sodium_base64_VARIANT_ORIGINAL);
	if (asprintf(&out, "\xe2\x80\x94 %s %s\n", NAME, b) < 0)
		abort();
	return out;
}

static void
later(unsigned char *r, size_t *n)
{
	(void)n;
	r[11]++;
}

static void
short1(unsigned char *r, size_t *n)
{
	(void)r;
	(*n)--;
}

static void
zero_time(unsigned char *r, size_t *n)
{
	(void)n;
	memset(r + 4, 0, 8);
}

static void
bad_sig(unsigned char *r, size_t *n)
{
	r[*n - 1] ^= 1;
}

static void
test_kat(void)
{
	struct dk_err e = { 0 };
	char b[256], *s;

	CHECK_INT(dk_cosig_vkey_make(NAME, key.pk, b, sizeof(b)), 0);
	CHECK_STR(b, VKEY);
	CHECK_INT(dk_cosig_vkey_make(NAME, key.pk, b, strlen(VKEY)), -1);
	CHECK_INT(dk_cosig_vkey_make("a b", key.pk, b, sizeof(b)), -1);
	s = dk_cosig_sign(TEXT, strlen(TEXT), NAME, &key, T, &e);
	CHECK_STR(s, COSIG);
	free(s);
	s = dk_cosig_sign(TEXT_EXT, strlen(TEXT_EXT), NAME, &key, T, &e);
	CHECK_STR(s, COSIG_EXT);
	free(s);
}

static void
test_vkeys(void)
{
	struct dk_err e = { 0 };
	struct dk_vkey k;

	CHECKF(dk_cosig_vkey_parse(VKEY, &k, &e) == 0, "%s", e.msg);
	CHECK_STR(k.name, NAME);
	CHECK_INT(k.id, 0x20324abe);
	CHECK(memcmp(k.pk, key.pk, 32) == 0);
	CHECKF(dk_cosig_vkey_parse(REMORA, &k, &e) == 0, "%s", e.msg);
	CHECK_INT(k.id, 0xda77ade7);
	/* a log's key (type 0x01) is no witness's, and the other way */
	CHECK_INT(dk_cosig_vkey_parse(LOGVKEY, &k, &e), -1);
	CHECK_HAS(e.msg, "type 0x04");
	CHECK_INT(dk_vkey_parse(VKEY, &k, &e), -1);
	CHECK_INT(dk_cosig_vkey_parse(NAME "+20324abf+BCmsuuFBvMrwsi4alNNNC8c"
	    "2HlJtC/4SyJeUvJMilm3X", &k, &e), -1);
	CHECK_HAS(e.msg, "key id does not match");
	CHECK_INT(dk_cosig_vkey_parse(NAME "+20324abe", &k, &e), -1);
	CHECK_INT(dk_cosig_vkey_parse(NAME "+20324abe+BCmsuuFBvMrwsi4alNNNC8c"
	    "2HlJtC/4SyJeUvJMilm3", &k, &e), -1);
}

static void
test_find(void)
{
	struct dk_err e = { 0 };
	struct dk_vkey other = vk;
	uint64_t t = 0;
	char *l, *n, big[4000], *b;
	unsigned char raw[2432];

	/* the log's line and the witness's, in either order */
	CHECKF(find(TEXT, LOGSIG COSIG, &vk, &t, &e) == 1, "%s", e.msg);
	CHECK_INT(t, T);
	t = 0;
	CHECK_INT(find(TEXT, COSIG LOGSIG, &vk, &t, &e), 1);
	CHECK_INT(t, T);
	CHECK_INT(find(TEXT_EXT, COSIG_EXT, &vk, &t, &e), 1);
	/* the log's signature still opens the note a witness cosigned */
	n = cat3(TEXT, "\n", LOGSIG COSIG);
	CHECK(dk_vkey_parse(LOGVKEY, &other, &e) == 0 &&
	    dk_note_open(n, strlen(n), &other, 1, &e) == (long)strlen(TEXT));
	free(n);
	/* no line of the witness's */
	CHECK_INT(find(TEXT, LOGSIG, &vk, &t, &e), 0);
	other = vk;
	other.id ^= 1;
	CHECK_INT(find(TEXT, LOGSIG COSIG, &other, &t, &e), 0);
	other = vk;
	snprintf(other.name, sizeof(other.name), "witness.example/w2");
	CHECK_INT(find(TEXT, LOGSIG COSIG, &other, &t, &e), 0);
	/* its name and id with another key: the line fails */
	other = vk;
	other.pk[0] ^= 1;
	CHECK_INT(find(TEXT, LOGSIG COSIG, &other, &t, &e), -1);
	CHECK_HAS(e.msg, "invalid signature");
	/* other text: a changed size, a dropped or added extension line */
	CHECK_INT(find("example.org/coop-ledger\n9\n"
	    "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n", COSIG, &vk, &t,
	    &e), -1);
	CHECK_INT(find(TEXT, COSIG_EXT, &vk, &t, &e), -1);
	CHECK_INT(find(TEXT_EXT, COSIG, &vk, &t, &e), -1);
	/* another time than the one signed */
	l = reline(COSIG, later);
	CHECK_INT(find(TEXT, l, &vk, &t, &e), -1);
	CHECK_HAS(e.msg, "invalid signature");
	free(l);
	l = reline(COSIG, zero_time);
	CHECK_INT(find(TEXT, l, &vk, &t, &e), -1);
	CHECK_HAS(e.msg, "time 0");
	free(l);
	l = reline(COSIG, bad_sig);
	CHECK_INT(find(TEXT, l, &vk, &t, &e), -1);
	free(l);
	/* truncated: a byte short, a line without its newline, base64 cut */
	l = reline(COSIG, short1);
	CHECK_INT(find(TEXT, l, &vk, &t, &e), -1);
	CHECK_HAS(e.msg, "75 bytes, not 76");
	free(l);
	n = cat3(TEXT, "\n", COSIG);
	CHECK_INT(dk_cosig_find(n, strlen(n) - 1, &vk, &t, &e), -1);
	CHECK_INT(dk_cosig_find(n, strlen(n) - 5, &vk, &t, &e), -1);
	CHECK_INT(dk_cosig_find(n, strlen(TEXT), &vk, &t, &e), -1);
	free(n);
	/* bad base64 */
	l = strdup(COSIG);
	l[strlen(l) - 6] = '!';
	CHECK_INT(find(TEXT, l, &vk, &t, &e), -1);
	CHECK_HAS(e.msg, "base64");
	free(l);
	/* an ML-DSA-44 cosignature by another witness is skipped */
	memset(raw, 7, sizeof(raw));
	sodium_bin2base64(big, sizeof(big), raw, sizeof(raw),
	    sodium_base64_VARIANT_ORIGINAL);
	if (asprintf(&b, LOGSIG "\xe2\x80\x94 pq.example %s\n" COSIG, big) < 0)
		abort();
	CHECKF(find(TEXT, b, &vk, &t, &e) == 1, "%s", e.msg);
	free(b);
}

static void
test_sign_refuses(void)
{
	struct dk_err e = { 0 };
	struct dk_key pub = key;

	CHECK(dk_cosig_sign(TEXT, strlen(TEXT), NAME, &key, 0, &e) == NULL);
	CHECK(dk_cosig_sign(TEXT, strlen(TEXT), NAME, &key,
	    0x8000000000000000ULL, &e) == NULL);
	CHECK(dk_cosig_sign(TEXT, strlen(TEXT) - 1, NAME, &key, T, &e) ==
	    NULL);
	CHECK(dk_cosig_sign(TEXT, strlen(TEXT), "a+b", &key, T, &e) == NULL);
	pub.sk = NULL;
	CHECK(dk_cosig_sign(TEXT, strlen(TEXT), NAME, &pub, T, &e) == NULL);
}

/* a fresh key: its lines verify, and the latest time 2^63-1 too */
static void
test_roundtrip(void)
{
	struct dk_err e = { 0 };
	struct dk_key k;
	struct dk_vkey v;
	char b[256], *s;
	uint64_t t = 0;

	CHECK(dk_key_generate(&k, &e) == 0);
	CHECK(dk_cosig_vkey_make("w.example", k.pk, b, sizeof(b)) == 0 &&
	    dk_cosig_vkey_parse(b, &v, &e) == 0);
	s = dk_cosig_sign(TEXT_EXT, strlen(TEXT_EXT), "w.example", &k,
	    0x7fffffffffffffffULL, &e);
	CHECK(s != NULL);
	CHECK_INT(find(TEXT_EXT, s ? s : "", &v, &t, &e), 1);
	CHECK(t == 0x7fffffffffffffffULL);
	CHECK_INT(find(TEXT_EXT, s ? s : "", &vk, &t, &e), 0);
	free(s);
	dk_key_free(&k);
}

/* test-cosig NOTE VKEY (for tests/witness.bats): prints the time of the
 * cosignature of VKEY in the note file NOTE, and exits 0; 1 when the
 * note holds no line of VKEY's, 2 when one does not verify. */
static int
check_file(const char *path, const char *vkey)
{
	struct dk_err e = { 0 };
	struct dk_vkey k;
	uint64_t t = 0;
	size_t n;
	char *s = slurp(path, &n);
	int rc;

	if (s == NULL || dk_cosig_vkey_parse(vkey, &k, &e) < 0) {
		fprintf(stderr, "test-cosig: %s: %s\n", path, s ? e.msg :
		    "cannot read");
		return 2;
	}
	rc = dk_cosig_find(s, n, &k, &t, &e);
	free(s);
	if (rc < 0) {
		fprintf(stderr, "test-cosig: %s: %s\n", path, e.msg);
		return 2;
	}
	if (rc == 0) {
		fprintf(stderr, "test-cosig: %s: no cosignature of %s\n",
		    path, k.name);
		return 1;
	}
	printf("%llu\n", (unsigned long long)t);
	return 0;
}

int
main(int argc, char *argv[])
{
	unsigned char seed[32];
	struct dk_err e = { 0 };
	int i;

	if (sodium_init() < 0)
		return 70;
	if (argc == 3)
		return check_file(argv[1], argv[2]);
	for (i = 0; i < 32; i++)
		seed[i] = 0x20 + i;
	crypto_sign_seed_keypair(key.pk, sk, seed);
	key.sk = sk;
	if (dk_cosig_vkey_parse(VKEY, &vk, &e) < 0) {
		fprintf(stderr, "test-cosig: %s\n", e.msg);
		return 1;
	}
	test_kat();
	test_vkeys();
	test_find();
	test_sign_refuses();
	test_roundtrip();
	return check_done("test-cosig");
}
