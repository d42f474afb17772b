/* cosig.c: C2SP tlog-cosignature/v1 with Ed25519 (type 0x04): a witness's
 * verifier key, the cosignature line it adds to a checkpoint, and the line
 * of a given witness found and checked in a cosigned note. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "note-impl.h"

/*
 * A cosignature is a signature line "\u2014 NAME BASE64(keyid[4] || t[8] ||
 * sig[64])\n", t the POSIX time in big-endian, keyid the first four bytes
 * of SHA-256(name || "\n" || 0x04 || pk), and sig the Ed25519 signature of
 * "cosignature/v1\ntime T\n" followed by the whole note text (extension
 * lines too), T being t in decimal.
 */
#define COSIG_LEN	(4 + 8 + 64)
#define T_MAX		0x7fffffffffffffffULL	/* 2^63 - 1 */

int
dk_cosig_vkey_make(const char *name, const unsigned char pk[32], char *out,
    size_t n)
{
	return dk_note_vkey_make(name, DK_SIG_COSIG, pk, out, n);
}

int
dk_cosig_vkey_parse(const char *s, struct dk_vkey *k, struct dk_err *e)
{
	return dk_note_vkey_parse(s, DK_SIG_COSIG, k, e);
}

/* "cosignature/v1\ntime T\n" || text, in a new buffer */
static unsigned char *
message(const char *text, size_t len, uint64_t t, size_t *n)
{
	char head[64];
	unsigned char *m;
	int h;

	h = snprintf(head, sizeof(head), "cosignature/v1\ntime %llu\n",
	    (unsigned long long)t);
	if ((m = malloc(h + len)) == NULL)
		return NULL;
	memcpy(m, head, h);
	memcpy(m + h, text, len);
	*n = h + len;
	return m;
}

char *
dk_cosig_sign(const char *text, size_t len, const char *name,
    const struct dk_key *k, uint64_t t, struct dk_err *e)
{
	unsigned char raw[COSIG_LEN], *m;
	char b[sodium_base64_ENCODED_LEN(COSIG_LEN,
	    sodium_base64_VARIANT_ORIGINAL)], *out;
	size_t n;
	uint32_t id;
	int i;

	if (len == 0 || text[len - 1] != '\n' || memchr(text, '\0', len) ||
	    !dk_note_name_ok(name, strlen(name)) || k->sk == NULL) {
		dk_fail(e, DK_EX_SOFTWARE, "cosignature: the text must end in "
		    "a newline, the name have no spaces or '+', the key be "
		    "secret");
		return NULL;
	}
	if (t == 0 || t > T_MAX) {
		dk_fail(e, DK_EX_SOFTWARE, "cosignature: time %llu is not "
		    "between 1 and 2^63-1", (unsigned long long)t);
		return NULL;
	}
	if ((m = message(text, len, t, &n)) == NULL) {
		dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		return NULL;
	}
	id = dk_note_keyid(name, DK_SIG_COSIG, k->pk);
	for (i = 0; i < 4; i++)
		raw[i] = id >> (24 - 8 * i);
	for (i = 0; i < 8; i++)
		raw[4 + i] = t >> (56 - 8 * i);
	crypto_sign_detached(raw + 12, NULL, m, n, k->sk);
	free(m);
	sodium_bin2base64(b, sizeof(b), raw, sizeof(raw),
	    sodium_base64_VARIANT_ORIGINAL);
	if (asprintf(&out, DK_EMDASH " %s %s\n", name, b) < 0) {
		dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		return NULL;
	}
	return out;
}

/*
 * The cosignature of witness k in a signed note: 1 with its time in *t
 * when every line of k's (its name and key id) verifies (the first one's
 * time), 0 when the note holds none, -1 with e filled when the note is not
 * one or a line of k's does not verify.
 */
int
dk_cosig_find(const char *note, size_t len, const struct dk_vkey *k,
    uint64_t *t, struct dk_err *e)
{
	const char *p, *end = note + len;
	struct dk_notesig s;
	unsigned char *m;
	uint64_t ts;
	size_t n;
	long tlen;
	int i, found = 0, rc;

	if ((tlen = dk_note_text(note, len, e)) < 0)
		return -1;
	p = note + tlen + 1;
	while ((rc = dk_note_sig_next(&p, end, &s, e)) > 0) {
		if (s.id != k->id || strcmp(s.name, k->name) != 0)
			continue;
		if (s.len != COSIG_LEN)
			return dk_fail(e, DK_EX_NO, "cosignature of %s+%08x: "
			    "%zu bytes, not %d", s.name, s.id, s.len,
			    COSIG_LEN);
		for (ts = 0, i = 0; i < 8; i++)
			ts = ts << 8 | s.raw[4 + i];
		if (ts == 0 || ts > T_MAX)
			return dk_fail(e, DK_EX_NO, "cosignature of %s+%08x: "
			    "time %llu is not between 1 and 2^63-1", s.name,
			    s.id, (unsigned long long)ts);
		if ((m = message(note, tlen, ts, &n)) == NULL)
			return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		rc = dk_verify_bytes(s.raw + 12, m, n, k->pk);
		free(m);
		if (rc < 0)
			return dk_fail(e, DK_EX_NO, "cosignature of %s+%08x: "
			    "invalid signature", s.name, s.id);
		if (!found++)
			*t = ts;
	}
	return rc < 0 ? -1 : found > 0;
}
