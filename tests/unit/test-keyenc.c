/* Unit tests for lib/crypto/keyenc.c and the encrypted secret keys of
 * sig.c: passphrases from a file descriptor, minisign's scrypt stream, and
 * the round trip of a key written and read under a passphrase (small
 * scrypt limits here; denki-keygen -e uses minisign's). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "denki.h"
#include "check.h"

#define OPS crypto_pwhash_scryptsalsa208sha256_OPSLIMIT_MIN
#define MEM crypto_pwhash_scryptsalsa208sha256_MEMLIMIT_MIN

/* a pipe's read end holding text, its write end closed */
static int
pipe_with(const char *text)
{
	int p[2];

	if (pipe(p) < 0)
		return -1;
	if (write(p[1], text, strlen(text)) != (ssize_t)strlen(text))
		return -1;
	close(p[1]);
	return p[0];
}

/* dk_key_read_sec with the passphrase text on DENKI_PASSFD */
static int
read_with(struct dk_key *k, const char *path, const char *text,
    struct dk_err *e)
{
	char name[16];
	int fd = pipe_with(text), rc;

	snprintf(name, sizeof(name), "%d", fd);
	setenv("DENKI_PASSFD", name, 1);
	memset(e, 0, sizeof(*e));
	rc = dk_key_read_sec(k, path, e);
	unsetenv("DENKI_PASSFD");
	close(fd);
	return rc;
}

static void
test_pass_read(void)
{
	struct dk_err e = { 0 };
	char buf[16];
	int fd;

	fd = pipe_with("first line\r\nsecond\n");
	CHECK_INT(dk_pass_read(fd, "", buf, sizeof(buf), &e), 0);
	CHECK_STR(buf, "first line");
	close(fd);
	fd = pipe_with("no line end");
	CHECK_INT(dk_pass_read(fd, "", buf, sizeof(buf), &e), 0);
	CHECK_STR(buf, "no line end");
	close(fd);
	fd = pipe_with("");
	CHECK_INT(dk_pass_read(fd, "", buf, sizeof(buf), &e), 0);
	CHECK_STR(buf, "");
	close(fd);
	fd = pipe_with("0123456789abcdef\n");	/* 16 bytes: one too many */
	CHECK_INT(dk_pass_read(fd, "", buf, sizeof(buf), &e), -1);
	CHECK_INT(e.status, DK_EX_DATAERR);
	CHECK_HAS(e.msg, "longer than 15 bytes");
	close(fd);
	CHECK_INT(dk_pass_read(1000, "", buf, sizeof(buf), &e), -1);
	CHECK_HAS(e.msg, "file descriptor 1000");
}

static void
test_scrypt(void)
{
	struct dk_err e = { 0 };
	unsigned char salt[32], a[104], b[104], c[104];

	randombytes_buf(salt, sizeof(salt));
	randombytes_buf(a, sizeof(a));
	memcpy(b, a, sizeof(a));
	memcpy(c, a, sizeof(a));
	CHECK_INT(dk_scrypt_xor(b, sizeof(b), "pw", salt, OPS, MEM, &e), 0);
	CHECK(memcmp(a, b, sizeof(a)) != 0);
	CHECK_INT(dk_scrypt_xor(c, sizeof(c), "pw2", salt, OPS, MEM, &e), 0);
	CHECK(memcmp(b, c, sizeof(b)) != 0);
	/* the same stream again: the XOR undoes itself */
	CHECK_INT(dk_scrypt_xor(b, sizeof(b), "pw", salt, OPS, MEM, &e), 0);
	CHECK(memcmp(a, b, sizeof(a)) == 0);
	/* limits above minisign's are refused before any work */
	CHECK_INT(dk_scrypt_xor(b, sizeof(b), "pw", salt,
	    crypto_pwhash_scryptsalsa208sha256_OPSLIMIT_SENSITIVE + 1, MEM,
	    &e), -1);
	CHECK_INT(e.status, DK_EX_DATAERR);
	CHECK_HAS(e.msg, "above minisign's");
	CHECK_INT(dk_scrypt_xor(b, sizeof(b), "pw", salt, OPS,
	    crypto_pwhash_scryptsalsa208sha256_MEMLIMIT_SENSITIVE * 2ULL, &e),
	    -1);
}

static void
test_round_trip(const char *dir)
{
	struct dk_err e = { 0 };
	struct dk_key k, r;
	char p[256], *text;

	snprintf(p, sizeof(p), "%s/enc.key", dir);
	CHECK_INT(dk_key_generate(&k, &e), 0);
	CHECK_INT(dk_key_write_sec_kdf(&k, p, "enc", 0, "s3cret", OPS, MEM,
	    &e), 0);
	/* kdf "Sc" in the file: "EdScB2" base64 is "RWRTY0Iy" */
	text = slurp(p, NULL);
	CHECK(text != NULL && strstr(text, "\nRWRTY0Iy") != NULL);
	free(text);
	/* the right passphrase: the same key */
	CHECK_INT(read_with(&r, p, "s3cret\n", &e), 0);
	CHECK(r.sk != NULL && memcmp(r.sk, k.sk, 64) == 0);
	CHECK(memcmp(r.pk, k.pk, 32) == 0);
	CHECK(memcmp(r.keynum, k.keynum, 8) == 0);
	dk_key_free(&r);
	/* a wrong one, an empty one, and a DENKI_PASSFD that is no number */
	CHECK_INT(read_with(&r, p, "s3cret!\n", &e), -1);
	CHECK_INT(e.status, DK_EX_DATAERR);
	CHECK_HAS(e.msg, "enc.key: wrong passphrase");
	CHECK(r.sk == NULL);
	CHECK_INT(read_with(&r, p, "\n", &e), -1);
	CHECK_HAS(e.msg, "enc.key: the passphrase is empty");
	setenv("DENKI_PASSFD", "3x", 1);
	CHECK_INT(dk_key_read_sec(&r, p, &e), -1);
	unsetenv("DENKI_PASSFD");
	CHECK_HAS(e.msg, "DENKI_PASSFD: must be the number");
	/* an unencrypted key ignores DENKI_PASSFD */
	snprintf(p, sizeof(p), "%s/plain.key", dir);
	CHECK_INT(dk_key_write_sec_pass(&k, p, "plain", 0, NULL, &e), 0);
	CHECK_INT(read_with(&r, p, "whatever\n", &e), 0);
	CHECK(r.sk != NULL && memcmp(r.sk, k.sk, 64) == 0);
	dk_key_free(&r);
	dk_key_free(&k);
}

int
main(void)
{
	struct dk_err e = { 0 };

	if (dk_init(&e) < 0) {
		fprintf(stderr, "dk_init: %s\n", e.msg);
		return 1;
	}
	umask(077);
	tmpdir_make("test-keyenc");
	test_pass_read();
	test_scrypt();
	test_round_trip(ck_tmp);
	tmpdir_remove();
	return check_done("test-keyenc");
}
