/*
 * sig.c: Ed25519 keys in minisign's file layout (made, read, written),
 * signatures of records, and minisign signatures of whole files.
 */
#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "crypto.h"
#include "keyfile.h"

/*
 * Key files use minisign's layout, so that minisign and signify can read
 * them: line 1 "untrusted comment: ...", line 2 base64 of
 *   public: "Ed" keynum[8] pk[32]                                (42 bytes)
 *   secret: "Ed" kdf[2] "B2" salt[32] ops[8] mem[8] keynum[8]
 *           sk[64] chk[32]                                       (158 bytes)
 * Secret keys are stored without a passphrase (kdf 0), as minisign -W does,
 * or, with kdf "Sc", under one as minisign stores them: salt[32], ops[8]
 * and mem[8] (little-endian scrypt limits), and keynum, sk and chk XORed
 * with 104 bytes of scrypt (keyenc.c).
 * chk is minisign's BLAKE2b-256("Ed" || keynum || sk).
 */
#define PUBLEN 42
#define COMMENT_PREFIX "untrusted comment: "
#define COMMENTMAX DK_KEY_COMMENTMAX
/* line 1 with its newline: what minisign's fgets of 1024 bytes takes */
#define LINE1MAX ((int)sizeof(COMMENT_PREFIX) - 1 + COMMENTMAX + 1)

int
dk_init(struct dk_err *e)
{
	if (sodium_init() < 0)
		return dk_fail(e, DK_EX_SOFTWARE, "libsodium failed to start");
	return 0;
}

int
dk_key_generate(struct dk_key *k, struct dk_err *e)
{
	memset(k, 0, sizeof(*k));
	k->sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
	if (k->sk == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of secure memory");
	crypto_sign_keypair(k->pk, k->sk);
	randombytes_buf(k->keynum, sizeof(k->keynum));
	return 0;
}

void
dk_key_free(struct dk_key *k)
{
	if (k->sk != NULL)
		sodium_free(k->sk);	/* wipes it */
	k->sk = NULL;
}

static char *
b64(const unsigned char *bin, size_t n)
{
	size_t len = sodium_base64_ENCODED_LEN(n,
	    sodium_base64_VARIANT_ORIGINAL);
	char *s = malloc(len);

	if (s != NULL)
		sodium_bin2base64(s, len, bin, n,
		    sodium_base64_VARIANT_ORIGINAL);
	return s;
}

/* A base64 letter's value; X (its top bit set) for any other byte. */
#define X 0xff
static const unsigned char b64val[256] = {
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, 62, X, X, X, 63,
	52, 53, 54, 55, 56, 57, 58, 59, 60, 61, X, X, X, X, X, X,
	X, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
	15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, X, X, X, X, X,
	X, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
	41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
};
#undef X

/*
 * A signature's 64 bytes from its 88 letters ("==" last, the last
 * letter's unused bits zero), as sodium_base642bin decodes them, without
 * its constant time (for secrets; a signature is public): 1 when taken,
 * 0 for any other text, which sodium_base642bin then judges.  Four
 * letters a step by the table, any bad one seen at the end (a settle,
 * clear or contract-sign run reads one for every order and reading).
 */
static int
sig64(const char *s, size_t len, unsigned char out[64])
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned a, b, c, d, bad = 0;
	uint32_t w;
	int i;

	if (len != 88 || p[86] != '=' || p[87] != '=')
		return 0;
	for (i = 0; i < 21; i++, p += 4) {
		a = b64val[p[0]];
		b = b64val[p[1]];
		c = b64val[p[2]];
		d = b64val[p[3]];
		bad |= a | b | c | d;
		w = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 | d;
		out[3 * i] = (unsigned char)(w >> 16);
		out[3 * i + 1] = (unsigned char)(w >> 8);
		out[3 * i + 2] = (unsigned char)w;
	}
	a = b64val[p[0]];
	b = b64val[p[1]];
	if (((bad | a | b) & 0x80) || (b & 15))
		return 0;
	out[63] = (unsigned char)(a << 2 | b >> 4);
	return 1;
}

static int
unb64(const char *s, unsigned char *bin, size_t n)
{
	size_t got;

	if (n == 64 && sig64(s, strlen(s), bin))
		return 0;
	if (sodium_base642bin(bin, n, s, strlen(s), NULL, &got, NULL,
	    sodium_base64_VARIANT_ORIGINAL) != 0 || got != n)
		return -1;
	return 0;
}

/* Exactly n bytes of standard base64 (with its padding), or -1; a
 * signature's (n 64) not in constant time. */
int
dk_unb64(const char *s, size_t len, unsigned char *bin, size_t n)
{
	size_t got;

	if (n == 64 && sig64(s, len, bin))
		return 0;
	if (sodium_base642bin(bin, n, s, len, NULL, &got, NULL,
	    sodium_base64_VARIANT_ORIGINAL) != 0 || got != n)
		return -1;
	return 0;
}

char *
dk_key_pub_b64(const struct dk_key *k)
{
	unsigned char raw[PUBLEN];

	memcpy(raw, "Ed", 2);
	memcpy(raw + 2, k->keynum, 8);
	memcpy(raw + 10, k->pk, 32);
	return b64(raw, sizeof(raw));
}

int
dk_key_from_b64(struct dk_key *k, const char *s, struct dk_err *e)
{
	unsigned char raw[PUBLEN];

	if (unb64(s, raw, sizeof(raw)) < 0 || memcmp(raw, "Ed", 2) != 0)
		return dk_fail(e, DK_EX_DATAERR,
		    "not an Ed25519 public key in minisign layout "
		    "(base64 of \"Ed\", 8-byte key number, 32-byte key)");
	memcpy(k->keynum, raw + 2, 8);
	memcpy(k->pk, raw + 10, 32);
	return 0;
}

int
dk_key_write_pub(const struct dk_key *k, const char *path,
    const char *comment, int force, struct dk_err *e)
{
	char *s = dk_key_pub_b64(k), *text = NULL;
	int rc;

	if (s == NULL || asprintf(&text, "untrusted comment: %s\n%s\n",
	    comment, s) < 0) {
		free(s);
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	}
	rc = dk_file_write(path, text, strlen(text), 0644,
	    force ? DK_FILE_FORCE : 0, e);
	free(s);
	free(text);
	return rc;
}

/* minisign's seckey_compute_chk: BLAKE2b-256("Ed" || keynum || sk) */
void
dk_seckey_chk(unsigned char chk[crypto_generichash_BYTES],
    const unsigned char *raw)
{
	crypto_generichash_state hs;

	crypto_generichash_init(&hs, NULL, 0, crypto_generichash_BYTES);
	crypto_generichash_update(&hs, raw, 2);
	crypto_generichash_update(&hs, raw + SK_KEYNUM, 8);
	crypto_generichash_update(&hs, raw + SK_SK, 64);
	crypto_generichash_final(&hs, chk, crypto_generichash_BYTES);
	sodium_memzero(&hs, sizeof(hs));
}

int
dk_key_write_sec(const struct dk_key *k, const char *path,
    const char *comment, int force, struct dk_err *e)
{
	return dk_key_write_sec_kdf(k, path, comment, force, NULL, 0, 0, e);
}

int
dk_key_write_sec_pass(const struct dk_key *k, const char *path,
    const char *comment, int force, const char *pass, struct dk_err *e)
{
	if (pass == NULL)
		return dk_key_write_sec(k, path, comment, force, e);
	return dk_key_write_sec_kdf(k, path, comment, force, pass,
	    crypto_pwhash_scryptsalsa208sha256_OPSLIMIT_SENSITIVE,
	    crypto_pwhash_scryptsalsa208sha256_MEMLIMIT_SENSITIVE, e);
}

/*
 * Writes the secret key, encrypted as minisign -G does when pass is not
 * NULL: kdf "Sc", a random salt, the scrypt limits, and key number, key
 * and checksum XORed with the scrypt stream.  Files keygen writes use
 * minisign's limits (dk_key_write_sec_pass); tests use small ones.
 */
int
dk_key_write_sec_kdf(const struct dk_key *k, const char *path,
    const char *comment, int force, const char *pass,
    unsigned long long ops, unsigned long long mem, struct dk_err *e)
{
	unsigned char *raw;
	char *s, *text = NULL;
	size_t len;
	int rc;

	raw = sodium_malloc(SECLEN);
	if (raw == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of secure memory");
	memset(raw, 0, SECLEN);
	memcpy(raw, "Ed", 2);
	memcpy(raw + SK_CHKALG, "B2", 2);
	memcpy(raw + SK_KEYNUM, k->keynum, 8);
	memcpy(raw + SK_SK, k->sk, 64);
	dk_seckey_chk(raw + SK_CHK, raw);
	if (pass != NULL) {
		if (dk_seckey_encrypt(raw, pass, ops, mem, e) < 0) {
			sodium_free(raw);
			return -1;
		}
	}
	len = sodium_base64_ENCODED_LEN(SECLEN, sodium_base64_VARIANT_ORIGINAL);
	s = sodium_malloc(len);
	text = sodium_malloc(len + strlen(comment) + 32);
	if (s == NULL || text == NULL) {
		sodium_free(raw);
		sodium_free(s);
		return dk_fail(e, DK_EX_SOFTWARE, "out of secure memory");
	}
	sodium_bin2base64(s, len, raw, SECLEN, sodium_base64_VARIANT_ORIGINAL);
	sprintf(text, "untrusted comment: %s\n%s\n", comment, s);
	rc = dk_file_write(path, text, strlen(text), 0600,
	    force ? DK_FILE_FORCE : 0, e);
	sodium_free(raw);
	sodium_free(s);
	sodium_free(text);
	return rc;
}

/*
 * Reads a key file into buf (cap bytes; sodium_malloc'd memory for a
 * secret key, which never passes through stdio's buffers) and points
 * *line at line 2, without its line end.  Line 1 must be the comment,
 * at most LINE1MAX bytes with its newline, as minisign reads it.  A
 * secret key must be a regular file (its mode is then in *st); a FIFO in
 * its place is refused, not waited on.  A public key may come from a pipe.
 */
static int
read_key_file(const char *path, int secret, char *buf, size_t cap,
    char **line, struct stat *st, struct dk_err *e)
{
	char *nl, *l2;
	size_t n = 0;
	ssize_t r;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY |
	    (secret ? O_NONBLOCK : 0))) < 0)
		return dk_fail(e, DK_EX_NOINPUT, "%s: %s", path,
		    strerror(errno));
	if (fstat(fd, st) < 0) {
		dk_fail(e, DK_EX_IOERR, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (secret && !S_ISREG(st->st_mode)) {
		close(fd);
		return dk_fail(e, DK_EX_DATAERR, "%s: not a key file (not a "
		    "regular file)", path);
	}
	while (n < cap - 1) {
		r = read(fd, buf + n, cap - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			dk_fail(e, DK_EX_IOERR, "%s: %s", path,
			    strerror(errno));
			close(fd);
			return -1;
		}
		if (r == 0)
			break;
		n += r;
	}
	close(fd);
	buf[n] = '\0';
	if (strncmp(buf, COMMENT_PREFIX, sizeof(COMMENT_PREFIX) - 1) != 0)
		return dk_fail(e, DK_EX_DATAERR,
		    "%s:1: must start with \"untrusted comment: \"", path);
	nl = memchr(buf, '\n', n < LINE1MAX ? n : LINE1MAX);
	if (nl == NULL && n >= LINE1MAX)
		return dk_fail(e, DK_EX_DATAERR, "%s:1: the comment is longer "
		    "than %d bytes (minisign's limit)", path, COMMENTMAX);
	if (nl == NULL || nl[1] == '\0')
		return dk_fail(e, DK_EX_DATAERR, "%s:2: missing key line",
		    path);
	l2 = nl + 1;
	l2[strcspn(l2, "\r\n")] = '\0';
	*line = l2;
	return 0;
}

int
dk_key_read_pub(struct dk_key *k, const char *path, struct dk_err *e)
{
	char buf[LINE1MAX + 256], *line;
	struct stat st;

	memset(k, 0, sizeof(*k));
	if (read_key_file(path, 0, buf, sizeof(buf), &line, &st, e) < 0)
		return -1;
	if (dk_key_from_b64(k, line, e) < 0)
		return dk_failpre(e, "%s:2", path);
	return 0;
}

/* A path as a shell word: as it is, or in single quotes. */
static void
shell_word(const char *s, char *out, size_t len)
{
	static const char plain[] = "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.,/:@%+=-";
	size_t i, o = 0;

	if (s[0] != '\0' && s[0] != '-' && strspn(s, plain) == strlen(s)) {
		snprintf(out, len, "%s", s);
		return;
	}
	if (s[0] == '-' && len > 2) {	/* not an option to chmod */
		out[o++] = '.';
		out[o++] = '/';
	}
	if (o + 1 < len)
		out[o++] = '\'';
	for (i = 0; s[i] != '\0' && o + 5 < len; i++)
		if (s[i] == '\'') {
			memcpy(out + o, "'\\''", 4);
			o += 4;
		} else
			out[o++] = s[i];
	if (o + 1 < len)
		out[o++] = '\'';
	out[o] = '\0';
}

/*
 * Reads a secret key, unencrypted (kdf 0, as minisign -G -W and
 * denki-keygen write it) or encrypted (kdf "Sc", as minisign -G and
 * denki-keygen -e write it: dk_seckey_decrypt).  The file must be
 * readable by its owner alone.
 * The public key is derived from the seed, never taken from the file:
 * an altered public half would make every signature use the wrong public
 * key, and two signatures of one message under two public keys give the
 * secret scalar away.  A file whose public half is not the seed's is
 * refused, and so is one whose checksum is neither zero (minisign -G -W
 * leaves it zero) nor BLAKE2b-256 of "Ed" || keynum || sk.
 */
int
dk_key_read_sec(struct dk_key *k, const char *path, struct dk_err *e)
{
	unsigned char *raw, chk[crypto_generichash_BYTES];
	char *buf, *line, word[600];
	size_t blen = LINE1MAX + 256;
	struct stat st;
	int rc = -1, enc;

	memset(k, 0, sizeof(*k));
	raw = sodium_malloc(SECLEN);
	buf = sodium_malloc(blen);
	k->sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
	if (raw == NULL || buf == NULL || k->sk == NULL) {
		dk_fail(e, DK_EX_SOFTWARE, "out of secure memory");
		goto out;
	}
	if (read_key_file(path, 1, buf, blen, &line, &st, e) < 0)
		goto out;
	if (unb64(line, raw, SECLEN) < 0 || memcmp(raw, "Ed", 2) != 0 ||
	    memcmp(raw + SK_CHKALG, "B2", 2) != 0) {
		dk_fail(e, DK_EX_DATAERR,
		    "%s:2: not an Ed25519 secret key in minisign layout", path);
		goto out;
	}
	shell_word(path, word, sizeof(word));
	enc = memcmp(raw + SK_KDFALG, "Sc", 2) == 0;
	if (!enc && (raw[SK_KDFALG] != 0 || raw[SK_KDFALG + 1] != 0)) {
		dk_fail(e, DK_EX_DATAERR, "%s:2: unknown key derivation "
		    "function (minisign knows 0 0 and \"Sc\")", path);
		goto out;
	}
	/* as ssh does: a secret others can read is no longer a secret */
	if ((st.st_mode & 077) != 0) {
		dk_fail(e, DK_EX_CONFIG, "%s: permissions %04o are too open: "
		    "a secret key must be readable by its owner alone; run: "
		    "chmod 600 %s", path, (unsigned)(st.st_mode & 07777),
		    word);
		goto out;
	}
	if (enc && dk_seckey_decrypt(raw, path, word, e) < 0)
		goto out;
	crypto_sign_seed_keypair(k->pk, k->sk, raw + SK_SK);
	if (sodium_memcmp(k->sk + 32, raw + SK_SK + 32, 32) != 0) {
		dk_fail(e, DK_EX_DATAERR, "%s:2: public half: not the public "
		    "key of the secret seed: the file was altered or damaged; "
		    "denki will not sign with it", path);
		goto out;
	}
	if (!enc && !sodium_is_zero(raw + SK_CHK, sizeof(chk))) {
		dk_seckey_chk(chk, raw);
		if (sodium_memcmp(chk, raw + SK_CHK, sizeof(chk)) != 0) {
			dk_fail(e, DK_EX_DATAERR, "%s:2: checksum: not "
			    "BLAKE2b-256 of \"Ed\", key number and secret "
			    "key: the file was altered or damaged", path);
			goto out;
		}
	}
	memcpy(k->keynum, raw + SK_KEYNUM, 8);
	rc = 0;
out:
	sodium_memzero(chk, sizeof(chk));
	sodium_free(raw);
	sodium_free(buf);
	if (rc < 0)
		dk_key_free(k);
	return rc;
}

/* The signature of the n bytes of msg by k, base64 as a record's "sig"
 * holds it, in out (a record's text signed without building it): its 88
 * letters by a table, not by sodium_bin2base64's constant time (for
 * secrets; a signature is public), the same letters. */
void
dk_sign_b64(const void *msg, size_t n, const struct dk_key *k,
    char out[DK_SIG_B64])
{
	static const char abc[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned char sig[crypto_sign_BYTES];
	char *o = out;
	int i;

	crypto_sign_detached(sig, NULL, msg, n, k->sk);
	for (i = 0; i < 63; i += 3) {
		*o++ = abc[sig[i] >> 2];
		*o++ = abc[(sig[i] & 3) << 4 | sig[i + 1] >> 4];
		*o++ = abc[(sig[i + 1] & 15) << 2 | sig[i + 2] >> 6];
		*o++ = abc[sig[i + 2] & 63];
	}
	*o++ = abc[sig[63] >> 2];
	*o++ = abc[(sig[63] & 3) << 4];
	*o++ = '=';
	*o++ = '=';
	*o = '\0';
}

int
dk_sign_record(json_t *rec, const struct dk_key *k, struct dk_err *e)
{
	char *msg, s[DK_SIG_B64];

	if ((msg = dk_canon_without(rec, "sig")) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	dk_sign_b64(msg, strlen(msg), k, s);
	free(msg);
	json_object_set_new(rec, "sig", json_string(s));
	return 0;
}

int
dk_verify_bytes(const unsigned char sig[64], const void *msg, size_t n,
    const unsigned char pk[32])
{
	return crypto_sign_verify_detached(sig, msg, n, pk) == 0 ? 0 : -1;
}

int
dk_verify_record(json_t *rec, const unsigned char pk[32], struct dk_err *e)
{
	unsigned char sig[crypto_sign_BYTES];
	const char *s;
	char *msg;
	int ok;

	if (json_object_get(rec, "sig") == NULL)
		return dk_fail(e, DK_EX_DATAERR, "sig: missing: unsigned");
	if ((s = dk_get_str(rec, "sig", e)) == NULL)
		return -1;
	if (unb64(s, sig, sizeof(sig)) < 0)
		return dk_fail(e, DK_EX_DATAERR,
		    "sig: must be base64 of a 64-byte Ed25519 signature");
	if ((msg = dk_canon_without(rec, "sig")) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	ok = dk_verify_bytes(sig, msg, strlen(msg), pk) == 0;
	free(msg);
	if (!ok)
		return dk_fail(e, DK_EX_DATAERR,
		    "sig: bad signature: the record was not signed by this "
		    "key, or was changed after signing");
	return 0;
}

void
dk_sha256_hex(const void *p, size_t n, char out[65])
{
	unsigned char h[crypto_hash_sha256_BYTES];

	dk_sha256_2("", 0, p, n, h);
	dk_hash_hex(h, out);
}

/*
 * A detached signature that both minisign -V and signify -V accept: the
 * legacy "Ed" form over the raw message, with a trusted comment and its
 * global signature (minisign's 4-line layout; signify reads lines 1-2).
 */
char *
dk_minisig(const void *msg, size_t len, const struct dk_key *k,
    const char *untrusted, const char *trusted, struct dk_err *e)
{
	unsigned char raw[74], *g;
	char b1[128], b2[128], *out = NULL;
	size_t tl = strlen(trusted);

	if (strchr(trusted, '\n') != NULL || strchr(untrusted, '\n') != NULL) {
		dk_fail(e, DK_EX_SOFTWARE, "comments must be one line");
		return NULL;
	}
	memcpy(raw, "Ed", 2);
	memcpy(raw + 2, k->keynum, 8);
	crypto_sign_detached(raw + 10, NULL, msg, len, k->sk);
	if ((g = malloc(64 + tl)) == NULL) {
		dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		return NULL;
	}
	memcpy(g, raw + 10, 64);
	memcpy(g + 64, trusted, tl);
	sodium_bin2base64(b1, sizeof(b1), raw, sizeof(raw),
	    sodium_base64_VARIANT_ORIGINAL);
	crypto_sign_detached(raw + 10, NULL, g, 64 + tl, k->sk);
	free(g);
	sodium_bin2base64(b2, sizeof(b2), raw + 10, 64,
	    sodium_base64_VARIANT_ORIGINAL);
	if (asprintf(&out, "untrusted comment: %s\n%s\ntrusted comment: %s\n"
	    "%s\n", untrusted, b1, trusted, b2) < 0) {
		dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		return NULL;
	}
	return out;
}

/* A record's "sig": its text, and the signature in sig; NULL if it has
 * none or not one that can be. */
static const char *
sig_field(json_t *rec, unsigned char sig[64], struct dk_err *e)
{
	const char *s;

	if (json_object_get(rec, "sig") == NULL) {
		dk_fail(e, DK_EX_DATAERR, "sig: missing: unsigned");
		return NULL;
	}
	if ((s = dk_get_str(rec, "sig", e)) == NULL)
		return NULL;
	if (unb64(s, sig, 64) < 0) {
		dk_fail(e, DK_EX_DATAERR,
		    "sig: must be base64 of a 64-byte Ed25519 signature");
		return NULL;
	}
	return s;
}

/* What dk_verify_record would check, for checking it elsewhere. */
int
dk_record_sig(json_t *rec, char **msg, size_t *len, unsigned char sig[64],
    struct dk_err *e)
{
	if (sig_field(rec, sig, e) == NULL)
		return -1;
	if ((*msg = dk_canon_without(rec, "sig")) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	*len = strlen(*msg);
	return 0;
}

/*
 * Where text, rec's canonical line, holds rec's signature member
 * (,"sig":"..."), when cutting it out leaves what dk_canon_without(rec,
 * "sig") would make: 1 with the member's *cut bytes at *off (its
 * signature decoded into sig); 0 when that is not sure, and the record
 * must be canonicalised; -1 when rec has no good signature (e says).  The
 * cut is made only where it is unambiguous: the sig field's bytes are the
 * string the record holds, at the one place ,"sig":" occurs (inside a
 * string a quote is escaped, so only a key can match), and the record has
 * no other object in it.
 */
int
dk_record_sig_cut(json_t *rec, const char *text, size_t tlen, size_t *off,
    size_t *cut, unsigned char sig[64], struct dk_err *e)
{
	static const char key[] = ",\"sig\":\"";
	const char *s, *k, *end = text + tlen;
	size_t kl = sizeof(key) - 1, sl;
	json_t *x;
	const char *name;

	if ((s = sig_field(rec, sig, e)) == NULL)
		return -1;
	json_object_foreach(rec, name, x)
		if (json_is_object(x) || json_is_array(x))
			return 0;
	sl = strlen(s);
	k = memmem(text, tlen, key, kl);
	if (k == NULL || (size_t)(end - k) < kl + sl + 1 ||
	    memcmp(k + kl, s, sl) != 0 || k[kl + sl] != '"' ||
	    memmem(k + 1, end - k - 1, key, kl) != NULL)
		return 0;
	*off = (size_t)(k - text);
	*cut = kl + sl + 1;
	return 1;
}

/*
 * The same as dk_record_sig, given text, the record's canonical line
 * (NULL if not known): the message is then that line with its signature
 * member cut out where dk_record_sig_cut finds it, without the JSON work;
 * otherwise the record is canonicalised as before.
 */
int
dk_record_sig_text(json_t *rec, const char *text, size_t tlen, char **msg,
    size_t *len, unsigned char sig[64], struct dk_err *e)
{
	size_t off, cut;
	int rc;

	if (text == NULL)
		return dk_record_sig(rec, msg, len, sig, e);
	if ((rc = dk_record_sig_cut(rec, text, tlen, &off, &cut, sig, e)) < 0)
		return -1;
	if (rc == 0)
		return dk_record_sig(rec, msg, len, sig, e);
	*len = tlen - cut;
	if ((*msg = malloc(*len + 1)) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	memcpy(*msg, text, off);
	memcpy(*msg + off, text + off + cut, *len - off);
	(*msg)[*len] = '\0';
	return 0;
}

/* A key file named by a setting: the secret key, or the public one. */
int
dk_conf_key(const struct dk_conf *c, const char *key, int secret,
    struct dk_key *k, struct dk_err *e)
{
	char *p = dk_conf_path(c, key, NULL);
	int rc;

	if (p == NULL)
		return dk_fail(e, DK_EX_CONFIG, "%s: %s: missing (the path "
		    "of a %s key file)", c->path ? c->path : "config", key,
		    secret ? "secret" : "public");
	rc = secret ? dk_key_read_sec(k, p, e) : dk_key_read_pub(k, p, e);
	free(p);
	return rc;
}
