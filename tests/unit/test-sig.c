/* Unit tests for lib/crypto/sig.c: keys in minisign layout, record signatures. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "denki.h"
#include "check.h"

static char dir[64];

static const char *
path(const char *name)
{
	static char p[4][256];
	static int k;

	k = (k + 1) % 4;
	snprintf(p[k], sizeof(p[k]), "%s/%s", dir, name);
	return p[k];
}

/* Line n (1-based) of a file, without its newline, in buf. */
static int
file_line(const char *file, int n, char *buf, size_t len)
{
	FILE *fp = fopen(file, "r");
	int i;

	buf[0] = '\0';
	if (fp == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (fgets(buf, len, fp) == NULL) {
			fclose(fp);
			buf[0] = '\0';
			return -1;
		}
	fclose(fp);
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static int
unb64(const char *s, unsigned char *bin, size_t max, size_t *got)
{
	return sodium_base642bin(bin, max, s, strlen(s), NULL, got, NULL,
	    sodium_base64_VARIANT_ORIGINAL);
}

static void
test_keys(void)
{
	struct dk_key k, k2, pub, sec;
	struct dk_err e;
	struct stat st;
	char line[1024], *s, *text;
	unsigned char raw[256], pk[32];
	size_t n;

	memset(&e, 0, sizeof(e));
	CHECK_INT(dk_key_generate(&k, &e), 0);
	CHECK(k.sk != NULL);
	/* the secret key's second half is the public key */
	CHECK(k.sk != NULL && memcmp(k.sk + 32, k.pk, 32) == 0);
	crypto_sign_ed25519_sk_to_pk(pk, k.sk);
	CHECK(memcmp(pk, k.pk, 32) == 0);

	CHECK_INT(dk_key_write_pub(&k, path("a.pub"), "denki public key a", 0,
	    &e), 0);
	CHECK_INT(dk_key_write_sec(&k, path("a.key"), "denki secret key a", 0,
	    &e), 0);
	CHECK_INT(stat(path("a.key"), &st), 0);
	CHECK_INT(st.st_mode & 07777, 0600);
	CHECK(S_ISREG(st.st_mode));
	CHECK_INT(stat(path("a.pub"), &st), 0);
	CHECK_INT(st.st_mode & 0077 & ~0644, 0);	/* no more than 0644 */

	/* the public file: minisign's layout, exactly two lines */
	text = slurp(path("a.pub"), &n);
	CHECK(text != NULL && strncmp(text, "untrusted comment: denki public "
	    "key a\n", 38) == 0);
	file_line(path("a.pub"), 2, line, sizeof(line));
	CHECK_INT(strlen(line), 56);
	CHECK_INT(unb64(line, raw, sizeof(raw), &n), 0);
	CHECK_INT(n, 42);
	CHECK(memcmp(raw, "Ed", 2) == 0);
	CHECK(memcmp(raw + 2, k.keynum, 8) == 0);
	CHECK(memcmp(raw + 10, k.pk, 32) == 0);
	CHECK(text != NULL && n == 42 && strlen(text) == 38 + 56 + 1 &&
	    text[strlen(text) - 1] == '\n');
	free(text);
	/* and dk_key_pub_b64 is that line */
	s = dk_key_pub_b64(&k);
	CHECK_STR(s, line);

	/* the secret file: 158 bytes, Ed, no KDF, B2, keynum, sk */
	file_line(path("a.key"), 1, line, sizeof(line));
	CHECK_STR(line, "untrusted comment: denki secret key a");
	file_line(path("a.key"), 2, line, sizeof(line));
	CHECK_INT(unb64(line, raw, sizeof(raw), &n), 0);
	CHECK_INT(n, 158);
	CHECK(memcmp(raw, "Ed\0\0B2", 6) == 0);
	CHECK(memcmp(raw + 54, k.keynum, 8) == 0);
	CHECK(memcmp(raw + 62, k.sk, 64) == 0);

	/* round trips */
	CHECK_INT(dk_key_read_pub(&pub, path("a.pub"), &e), 0);
	CHECK(memcmp(pub.pk, k.pk, 32) == 0);
	CHECK(memcmp(pub.keynum, k.keynum, 8) == 0);
	CHECK(pub.sk == NULL);
	CHECK_INT(dk_key_read_sec(&sec, path("a.key"), &e), 0);
	CHECK(sec.sk != NULL && memcmp(sec.sk, k.sk, 64) == 0);
	CHECK(memcmp(sec.pk, k.pk, 32) == 0);
	CHECK(memcmp(sec.keynum, k.keynum, 8) == 0);
	dk_key_free(&sec);
	CHECK(sec.sk == NULL);
	memset(&k2, 0, sizeof(k2));
	CHECK_INT(dk_key_from_b64(&k2, s, &e), 0);
	CHECK(memcmp(k2.pk, k.pk, 32) == 0);
	CHECK(memcmp(k2.keynum, k.keynum, 8) == 0);
	free(s);

	/* never overwritten without force */
	CHECK_INT(dk_key_generate(&k2, &e), 0);
	memset(&e, 0, sizeof(e));
	CHECK_INT(dk_key_write_sec(&k2, path("a.key"), "other", 0, &e), -1);
	CHECK_INT(e.status, DK_EX_CANTCREAT);
	CHECK_HAS(e.msg, path("a.key"));
	CHECK_HAS(e.msg, "exists");
	CHECK_INT(dk_key_write_pub(&k2, path("a.pub"), "other", 0, &e), -1);
	CHECK_INT(e.status, DK_EX_CANTCREAT);
	CHECK_INT(dk_key_read_sec(&sec, path("a.key"), &e), 0);
	CHECK(memcmp(sec.pk, k.pk, 32) == 0);	/* still the first key */
	dk_key_free(&sec);
	/* with force, replaced; the mode is 0600 again */
	chmod(path("a.key"), 0644);
	CHECK_INT(dk_key_write_sec(&k2, path("a.key"), "other", 1, &e), 0);
	CHECK_INT(dk_key_write_pub(&k2, path("a.pub"), "other", 1, &e), 0);
	CHECK_INT(stat(path("a.key"), &st), 0);
	CHECK_INT(st.st_mode & 07777, 0600);
	CHECK_INT(dk_key_read_sec(&sec, path("a.key"), &e), 0);
	CHECK(memcmp(sec.pk, k2.pk, 32) == 0);
	dk_key_free(&sec);
	CHECK_INT(dk_key_read_pub(&pub, path("a.pub"), &e), 0);
	CHECK(memcmp(pub.pk, k2.pk, 32) == 0);
	/* a symlink in the way is not followed */
	CHECK_INT(symlink(path("a.key"), path("link.key")), 0);
	CHECK_INT(dk_key_write_sec(&k, path("link.key"), "x", 0, &e), -1);
	CHECK_INT(dk_key_read_sec(&sec, path("a.key"), &e), 0);
	CHECK(memcmp(sec.pk, k2.pk, 32) == 0);
	dk_key_free(&sec);
	/* a folder that does not exist */
	CHECK_INT(dk_key_write_pub(&k, path("no/such.pub"), "x", 0, &e), -1);
	CHECK_INT(e.status, DK_EX_CANTCREAT);

	/* bad key files */
	memset(&e, 0, sizeof(e));
	CHECK_INT(dk_key_read_pub(&pub, path("missing.pub"), &e), -1);
	CHECK_INT(e.status, DK_EX_NOINPUT);
	tmpfile_write("bad1.pub", "comment: x\nRWQ=\n");
	CHECK_INT(dk_key_read_pub(&pub, path("bad1.pub"), &e), -1);
	CHECK_INT(e.status, DK_EX_DATAERR);
	CHECK_HAS(e.msg, ":1: must start with \"untrusted comment: \"");
	tmpfile_write("bad2.pub", "untrusted comment: x\n");
	CHECK_INT(dk_key_read_pub(&pub, path("bad2.pub"), &e), -1);
	CHECK_HAS(e.msg, ":2: missing key line");
	tmpfile_write("bad3.pub", "untrusted comment: x\nnot base64!\n");
	CHECK_INT(dk_key_read_pub(&pub, path("bad3.pub"), &e), -1);
	CHECK_INT(e.status, DK_EX_DATAERR);
	CHECK_HAS(e.msg, "bad3.pub:2: not an Ed25519 public key");
	/* a secret key file is not a public key, and the reverse */
	CHECK_INT(dk_key_read_pub(&pub, path("a.key"), &e), -1);
	CHECK_INT(dk_key_read_sec(&sec, path("a.pub"), &e), -1);
	CHECK_INT(e.status, DK_EX_DATAERR);
	CHECK(sec.sk == NULL);
	/* 42 bytes that do not start with "Ed" */
	memset(raw, 'x', 42);
	{
		char b[64];

		sodium_bin2base64(b, sizeof(b), raw, 42,
		    sodium_base64_VARIANT_ORIGINAL);
		CHECK_INT(dk_key_from_b64(&k2, b, &e), -1);
		memcpy(raw, "Ed", 2);
		sodium_bin2base64(b, sizeof(b), raw, 42,
		    sodium_base64_VARIANT_ORIGINAL);
		CHECK_INT(dk_key_from_b64(&k2, b, &e), 0);
		/* 41 bytes */
		sodium_bin2base64(b, sizeof(b), raw, 41,
		    sodium_base64_VARIANT_ORIGINAL);
		CHECK_INT(dk_key_from_b64(&k2, b, &e), -1);
	}
	/* an encrypted secret key (kdf "Sc") with a wrong passphrase (given
	 * on DENKI_PASSFD: no terminal is asked) is refused, by name */
	memset(raw, 0, 158);
	memcpy(raw, "EdScB2", 6);
	{
		char b[256], t[400], fdname[16];
		int pfd[2];

		sodium_bin2base64(b, sizeof(b), raw, 158,
		    sodium_base64_VARIANT_ORIGINAL);
		snprintf(t, sizeof(t), "untrusted comment: enc\n%s\n", b);
		chmod(tmpfile_write("enc.key", t), 0600);
		CHECK_INT(pipe(pfd), 0);
		CHECK_INT((int)write(pfd[1], "wrong\n", 6), 6);
		close(pfd[1]);
		snprintf(fdname, sizeof(fdname), "%d", pfd[0]);
		setenv("DENKI_PASSFD", fdname, 1);
		memset(&e, 0, sizeof(e));
		CHECK_INT(dk_key_read_sec(&sec, path("enc.key"), &e), -1);
		unsetenv("DENKI_PASSFD");
		close(pfd[0]);
		CHECK_INT(e.status, DK_EX_DATAERR);
		CHECK_HAS(e.msg, "wrong passphrase");
		CHECK(sec.sk == NULL);
	}
	dk_key_free(&k2);
	dk_key_free(&k);
}

/* Writes raw (158 bytes) as a secret key file name, with mode. */
static const char *
write_raw_key(const char *name, const unsigned char *raw, mode_t mode)
{
	char b[256], t[400];
	const char *p;

	sodium_bin2base64(b, sizeof(b), raw, 158,
	    sodium_base64_VARIANT_ORIGINAL);
	snprintf(t, sizeof(t), "untrusted comment: %s\n%s\n", name, b);
	p = tmpfile_write(name, t);
	chmod(p, mode);
	return p;
}

/* minisign's checksum: BLAKE2b-256("Ed" || keynum || sk) */
static void
chk_of(const unsigned char *raw, unsigned char out[32])
{
	unsigned char m[74];

	memcpy(m, raw, 2);
	memcpy(m + 2, raw + 54, 8);
	memcpy(m + 10, raw + 62, 64);
	crypto_generichash(out, 32, m, sizeof(m), NULL, 0);
}

static void
test_sec_checks(void)
{
	struct dk_key k, o, sec;
	struct dk_err e;
	unsigned char raw[256], good[158], chk[32];
	char line[1024], *t;
	size_t n;
	const char *p;

	memset(&e, 0, sizeof(e));
	CHECK_INT(dk_key_generate(&k, &e), 0);
	CHECK_INT(dk_key_generate(&o, &e), 0);
	CHECK_INT(dk_key_write_sec(&k, path("c.key"), "c", 0, &e), 0);
	file_line(path("c.key"), 2, line, sizeof(line));
	CHECK_INT(unb64(line, raw, sizeof(raw), &n), 0);
	CHECK_INT(n, 158);
	memcpy(good, raw, 158);
	/* the checksum is filled, minisign's way */
	chk_of(raw, chk);
	CHECK(memcmp(raw + 126, chk, 32) == 0);
	CHECK(!sodium_is_zero(chk, 32));

	/* the public half replaced by another key's: refused, whatever the
	 * checksum says (recomputed, zero, or left as it was) */
	memcpy(raw + 94, o.pk, 32);
	p = write_raw_key("alt1.key", raw, 0600);
	memset(&e, 0, sizeof(e));
	CHECK_INT(dk_key_read_sec(&sec, p, &e), -1);
	CHECK_INT(e.status, DK_EX_DATAERR);
	CHECK(sec.sk == NULL);
	chk_of(raw, raw + 126);
	p = write_raw_key("alt2.key", raw, 0600);
	CHECK_INT(dk_key_read_sec(&sec, p, &e), -1);
	CHECK_INT(e.status, DK_EX_DATAERR);
	CHECK_HAS(e.msg, "alt2.key:2: public half: not the public key of the "
	    "secret seed");
	CHECK(sec.sk == NULL);
	memset(raw + 126, 0, 32);
	p = write_raw_key("alt3.key", raw, 0600);
	CHECK_INT(dk_key_read_sec(&sec, p, &e), -1);
	CHECK_HAS(e.msg, "alt3.key:2: public half");
	/* one bit of the public half */
	memcpy(raw, good, 158);
	raw[100] ^= 1;
	chk_of(raw, raw + 126);
	p = write_raw_key("alt4.key", raw, 0600);
	CHECK_INT(dk_key_read_sec(&sec, p, &e), -1);
	CHECK_HAS(e.msg, "public half");

	/* a zero checksum (minisign -G -W) is read; the key is the seed's */
	memcpy(raw, good, 158);
	memset(raw + 126, 0, 32);
	p = write_raw_key("zero.key", raw, 0600);
	CHECK_INT(dk_key_read_sec(&sec, p, &e), 0);
	CHECK(memcmp(sec.pk, k.pk, 32) == 0);
	CHECK(memcmp(sec.keynum, k.keynum, 8) == 0);
	dk_key_free(&sec);
	/* a checksum that does not match: a changed key number, a changed
	 * checksum */
	memcpy(raw, good, 158);
	raw[55] ^= 0x80;
	p = write_raw_key("chk1.key", raw, 0600);
	memset(&e, 0, sizeof(e));
	CHECK_INT(dk_key_read_sec(&sec, p, &e), -1);
	CHECK_INT(e.status, DK_EX_DATAERR);
	CHECK_HAS(e.msg, "chk1.key:2: checksum: not BLAKE2b-256");
	memcpy(raw, good, 158);
	raw[157] ^= 1;
	p = write_raw_key("chk2.key", raw, 0600);
	CHECK_INT(dk_key_read_sec(&sec, p, &e), -1);
	CHECK_HAS(e.msg, "checksum");
	/* kdf fields other than 0 0 and "Sc" */
	memcpy(raw, good, 158);
	raw[2] = 'X';
	p = write_raw_key("kdf.key", raw, 0600);
	CHECK_INT(dk_key_read_sec(&sec, p, &e), -1);
	CHECK_HAS(e.msg, "unknown key derivation");

	/* readable by group or others: refused, with the command to run */
	memcpy(raw, good, 158);
	p = write_raw_key("loose.key", raw, 0640);
	memset(&e, 0, sizeof(e));
	CHECK_INT(dk_key_read_sec(&sec, p, &e), -1);
	CHECK_INT(e.status, DK_EX_CONFIG);
	CHECK(sec.sk == NULL);
	if (asprintf(&t, "%s: permissions 0640 are too open: a secret key "
	    "must be readable by its owner alone; run: chmod 600 %s", p,
	    p) > 0) {
		CHECK_STR(e.msg, t);
		free(t);
	}
	chmod(p, 0604);
	CHECK_INT(dk_key_read_sec(&sec, p, &e), -1);
	CHECK_HAS(e.msg, "permissions 0604");
	chmod(p, 0400);
	CHECK_INT(dk_key_read_sec(&sec, p, &e), 0);
	dk_key_free(&sec);
	/* a path that is not a shell word is quoted */
	p = write_raw_key("it's mine.key", raw, 0644);
	CHECK_INT(dk_key_read_sec(&sec, p, &e), -1);
	CHECK_HAS(e.msg, "run: chmod 600 '");
	CHECK_HAS(e.msg, "/it'\\''s mine.key'");
	/* a public key file, 0644, is not a secret key (said first) */
	CHECK_INT(dk_key_write_pub(&k, path("c.pub"), "c", 0, &e), 0);
	CHECK_INT(dk_key_read_sec(&sec, path("c.pub"), &e), -1);
	CHECK_INT(e.status, DK_EX_DATAERR);
	/* a folder or a FIFO in a key's place, refused at once */
	CHECK_INT(dk_key_read_sec(&sec, dir, &e), -1);
	CHECK_HAS(e.msg, "not a regular file");
	CHECK_INT(mkfifo(path("fifo.key"), 0600), 0);
	CHECK_INT(dk_key_read_sec(&sec, path("fifo.key"), &e), -1);
	CHECK_HAS(e.msg, "not a regular file");
	/* a public key may come from a pipe, as from <(...) */
	{
		struct dk_key pub;
		char fdpath[64], *text;
		int fds[2];

		CHECK_INT(pipe(fds), 0);
		text = dk_key_pub_b64(&k);
		dprintf(fds[1], "untrusted comment: piped\n%s\n", text);
		close(fds[1]);
		snprintf(fdpath, sizeof(fdpath), "/dev/fd/%d", fds[0]);
		CHECK_INT(dk_key_read_pub(&pub, fdpath, &e), 0);
		CHECK(memcmp(pub.pk, k.pk, 32) == 0);
		close(fds[0]);
		free(text);
	}

	/* comments up to minisign's 1003 bytes; a longer line 1 is refused */
	{
		char b[256], big[1400];

		sodium_bin2base64(b, sizeof(b), good, 158,
		    sodium_base64_VARIANT_ORIGINAL);
		memset(big, 'c', 1003);
		snprintf(big + 1003, sizeof(big) - 1003, "\n%s\n", b);
		if (asprintf(&t, "untrusted comment: %s", big) > 0) {
			p = tmpfile_write("long.key", t);
			chmod(p, 0600);
			memset(&e, 0, sizeof(e));
			CHECK_INT(dk_key_read_sec(&sec, p, &e), 0);
			dk_key_free(&sec);
			free(t);
		}
		if (asprintf(&t, "untrusted comment: c%s", big) > 0) {
			p = tmpfile_write("long2.key", t);
			chmod(p, 0600);
			memset(&e, 0, sizeof(e));
			CHECK_INT(dk_key_read_sec(&sec, p, &e), -1);
			CHECK_INT(e.status, DK_EX_DATAERR);
			CHECK_HAS(e.msg, "long2.key:1: the comment is longer "
			    "than 1003 bytes");
			free(t);
		}
		/* CRLF line ends, as a key pasted from elsewhere */
		snprintf(big, sizeof(big), "untrusted comment: c\r\n%s\r\n",
		    b);
		p = tmpfile_write("crlf.key", big);
		chmod(p, 0600);
		CHECK_INT(dk_key_read_sec(&sec, p, &e), 0);
		CHECK(memcmp(sec.pk, k.pk, 32) == 0);
		dk_key_free(&sec);
	}
	dk_key_free(&k);
	dk_key_free(&o);
}

static void
test_records(void)
{
	struct dk_key a, b;
	struct dk_err e;
	unsigned char sig[64];
	const char *want = "{\"n\":-3,\"s\":\"\xc3\xa9\",\"type\":\"order\","
	    "\"v\":1,\"x\":[1,{\"y\":null}]}";
	char *c;
	size_t n;
	json_t *r, *r2;

	memset(&e, 0, sizeof(e));
	CHECK_INT(dk_key_generate(&a, &e), 0);
	CHECK_INT(dk_key_generate(&b, &e), 0);
	r = json_pack("{s:s,s:i,s:[i,{s:n}],s:i,s:s}", "type", "order", "v",
	    1, "x", 1, "y", "n", -3, "s", "\xc3\xa9");
	CHECK_INT(dk_sign_record(r, &a, &e), 0);
	CHECK(json_is_string(json_object_get(r, "sig")));
	/* the signature is Ed25519 over the canonical bytes without sig */
	CHECK_INT(unb64(json_string_value(json_object_get(r, "sig")), sig,
	    sizeof(sig), &n), 0);
	CHECK_INT(n, 64);
	CHECK_INT(crypto_sign_verify_detached(sig, (const unsigned char *)want,
	    strlen(want), a.pk), 0);
	CHECK_INT(dk_verify_record(r, a.pk, &e), 0);
	/* the same record, keys in another order, verifies */
	c = dk_canon(r);
	r2 = json_loads(c, 0, NULL);
	free(c);
	CHECK_INT(dk_verify_record(r2, a.pk, &e), 0);
	json_decref(r2);

	/* signed by someone else */
	memset(&e, 0, sizeof(e));
	CHECK_INT(dk_verify_record(r, b.pk, &e), -1);
	CHECK_INT(e.status, DK_EX_DATAERR);
	CHECK_HAS(e.msg, "sig: bad signature");

	/* changed after signing: a value, a nested value, a new field */
	r2 = json_deep_copy(r);
	json_object_set_new(r2, "n", json_integer(-4));
	CHECK_INT(dk_verify_record(r2, a.pk, &e), -1);
	CHECK_HAS(e.msg, "bad signature");
	json_decref(r2);
	r2 = json_deep_copy(r);
	json_object_set_new(json_array_get(json_object_get(r2, "x"), 1), "y",
	    json_integer(0));
	CHECK_INT(dk_verify_record(r2, a.pk, &e), -1);
	json_decref(r2);
	r2 = json_deep_copy(r);
	json_object_set_new(r2, "extra", json_true());
	CHECK_INT(dk_verify_record(r2, a.pk, &e), -1);
	json_decref(r2);
	r2 = json_deep_copy(r);
	json_object_del(r2, "v");
	CHECK_INT(dk_verify_record(r2, a.pk, &e), -1);
	json_decref(r2);

	/* bad sig values */
	r2 = json_deep_copy(r);
	json_object_set_new(r2, "sig", json_string("not base64 at all!"));
	memset(&e, 0, sizeof(e));
	CHECK_INT(dk_verify_record(r2, a.pk, &e), -1);
	CHECK_INT(e.status, DK_EX_DATAERR);
	CHECK_HAS(e.msg, "sig: must be base64 of a 64-byte Ed25519 signature");
	json_object_set_new(r2, "sig", json_string("AAAA"));	/* 3 bytes */
	CHECK_INT(dk_verify_record(r2, a.pk, &e), -1);
	CHECK_HAS(e.msg, "64-byte");
	json_object_set_new(r2, "sig", json_string(""));
	CHECK_INT(dk_verify_record(r2, a.pk, &e), -1);
	json_object_set_new(r2, "sig", json_integer(5));
	CHECK_INT(dk_verify_record(r2, a.pk, &e), -1);
	CHECK_HAS(e.msg, "sig: must be a string");
	{
		/* a valid-looking signature with one bit changed */
		char b64[100];

		memcpy(b64, json_string_value(json_object_get(r, "sig")), 89);
		b64[10] = b64[10] == 'A' ? 'B' : 'A';
		json_object_set_new(r2, "sig", json_string(b64));
		CHECK_INT(dk_verify_record(r2, a.pk, &e), -1);
		CHECK_HAS(e.msg, "bad signature");
	}
	json_object_del(r2, "sig");
	CHECK_INT(dk_verify_record(r2, a.pk, &e), -1);
	CHECK_HAS(e.msg, "sig: missing");
	json_decref(r2);

	/* signing again replaces the sig; with another key it moves */
	CHECK_INT(dk_sign_record(r, &b, &e), 0);
	CHECK_INT(dk_verify_record(r, b.pk, &e), 0);
	CHECK_INT(dk_verify_record(r, a.pk, &e), -1);
	CHECK_INT(json_object_size(r), 6);
	json_decref(r);

	/* a key read back from files signs what the public file verifies */
	CHECK_INT(dk_key_write_sec(&a, path("s.key"), "s", 0, &e), 0);
	CHECK_INT(dk_key_write_pub(&a, path("s.pub"), "s", 0, &e), 0);
	{
		struct dk_key sk, pk;

		CHECK_INT(dk_key_read_sec(&sk, path("s.key"), &e), 0);
		CHECK_INT(dk_key_read_pub(&pk, path("s.pub"), &e), 0);
		r = json_pack("{s:s,s:i}", "type", "t", "v", 1);
		CHECK_INT(dk_sign_record(r, &sk, &e), 0);
		CHECK_INT(dk_verify_record(r, pk.pk, &e), 0);
		json_decref(r);
		dk_key_free(&sk);
	}
	dk_key_free(&a);
	dk_key_free(&b);
}

static void
test_sha256(void)
{
	char h[65];

	dk_sha256_hex("", 0, h);
	CHECK_STR(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca4959"
	    "91b7852b855");
	dk_sha256_hex("abc", 3, h);
	CHECK_STR(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410f"
	    "f61f20015ad");
	dk_sha256_hex("a\0b", 3, h);	/* bytes, not a C string */
	CHECK_STR(h, "59b271ae1bbcb1d31d41929817f4b16fb439eb4f31520b5ad1d5c"
	    "e98920a7138");
}

/* dk_unb64 of a signature (64 bytes), by hand, takes what
 * sodium_base642bin takes and gives its bytes: random signatures, each
 * letter changed to others (padding, a URL-safe one, a blank, bytes
 * above 0x7F, a NUL), unused bits set, other lengths. */
static void
test_unb64_sig(void)
{
	static const char other[] = "A/+=-_ .\n\x80\xff";
	unsigned char raw[64], a[64], b[64];
	char t[100], u[100];
	size_t got, len, i, k;
	int r, ra, rb, bad = 0, n = 0;

	for (r = 0; r < 40; r++) {
		randombytes_buf(raw, sizeof(raw));
		sodium_bin2base64(t, sizeof(t), raw, 64,
		    sodium_base64_VARIANT_ORIGINAL);
		CHECK(dk_unb64(t, strlen(t), a, 64) == 0 &&
		    memcmp(a, raw, 64) == 0);
		for (i = 0; i < 90; i++)
			for (k = 0; k < sizeof(other); k++) {
				memcpy(u, t, sizeof(t));
				len = strlen(u);
				if (i < 88)
					u[i] = other[k];
				else if (i == 88)	/* one letter short */
					len = 87 - k % 3;
				else			/* longer */
					u[len++] = other[k], u[len] = '\0';
				if (r == 0 && i == 85)	/* unused bits */
					u[85] = "BCDEFGHIJKLMNOPQ"[k];
				memset(a, 0, 64);
				memset(b, 0, 64);
				ra = dk_unb64(u, len, a, 64);
				rb = sodium_base642bin(b, 64, u, len, NULL, &got,
				    NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
				    got != 64 ? -1 : 0;
				n++;
				if (ra != rb || (ra == 0 && memcmp(a, b, 64)))
					bad++;
			}
	}
	CHECK_INT(bad, 0);
	CHECK(n > 30000);
}

/* dk_sign_b64's letters by hand: sodium_bin2base64's of the signature,
 * over 300 messages (their signatures random enough to use every letter
 * in every place), and one a verifier takes. */
static void
test_sign_b64(void)
{
	struct dk_err e = { 0 };
	struct dk_key k;
	unsigned char msg[40], sig[64];
	char a[DK_SIG_B64], b[DK_SIG_B64];
	int r, bad = 0;

	CHECK_INT(dk_key_generate(&k, &e), 0);
	for (r = 0; r < 300; r++) {
		randombytes_buf(msg, sizeof(msg));
		memset(a, 'x', sizeof(a));
		dk_sign_b64(msg, (size_t)r % sizeof(msg), &k, a);
		crypto_sign_detached(sig, NULL, msg, (size_t)r % sizeof(msg),
		    k.sk);
		sodium_bin2base64(b, sizeof(b), sig, 64,
		    sodium_base64_VARIANT_ORIGINAL);
		if (memcmp(a, b, sizeof(a)) != 0)
			bad++;
	}
	CHECK_INT(bad, 0);
	CHECK_INT((long long)strlen(a), 88);
	CHECK(dk_unb64(a, strlen(a), sig, 64) == 0 &&
	    dk_verify_bytes(sig, msg, (size_t)(r - 1) % sizeof(msg), k.pk) ==
	    0);
	dk_key_free(&k);
}

int
main(void)
{
	struct dk_err e;

	memset(&e, 0, sizeof(e));
	if (dk_init(&e) < 0) {
		fprintf(stderr, "dk_init: %s\n", e.msg);
		return 1;
	}
	umask(022);
	snprintf(dir, sizeof(dir), "%s", tmpdir_make("test-sig"));
	test_keys();
	test_sec_checks();
	test_records();
	test_sha256();
	test_unb64_sig();
	test_sign_b64();
	tmpdir_remove();
	return check_done("test-sig");
}
