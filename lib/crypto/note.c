/* note.c: C2SP signed notes and tlog checkpoints: verifier keys, signing
 * and opening a note, a checkpoint's text parsed and made. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "note-impl.h"

/*
 * C2SP signed notes (signed-note/v1.0.0) with Ed25519 keys (type 0x01), and
 * the tlog-checkpoint body (tlog-checkpoint/v1.0.0): origin, tree size,
 * base64 root, optional extension lines.  denki's one extension line is
 * "time N", the signer's clock in decimal Unix seconds.
 *
 * A note is its text (ending in "\n"), one blank line, then signature
 * lines "\u2014 NAME BASE64(keyid[4] || sig[64])\n".  The key id is the first
 * four bytes of SHA-256(name || "\n" || 0x01 || pk), big-endian.  The
 * verifier key is "name+hex8(id)+base64(0x01 || pk)".
 */

/* SHA-256(name || "\n" || type || pk)[:4], big-endian */
uint32_t
dk_note_keyid(const char *name, unsigned char type, const unsigned char pk[32])
{
	crypto_hash_sha256_state st;
	unsigned char h[32], nl = '\n';

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const unsigned char *)name,
	    strlen(name));
	crypto_hash_sha256_update(&st, &nl, 1);
	crypto_hash_sha256_update(&st, &type, 1);
	crypto_hash_sha256_update(&st, pk, 32);
	crypto_hash_sha256_final(&st, h);
	return (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 |
	    (uint32_t)h[2] << 8 | h[3];
}

static uint32_t
keyid(const char *name, const unsigned char pk[32])
{
	return dk_note_keyid(name, DK_SIG_ED25519, pk);
}

int
dk_note_name_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] == ' ' || s[i] == '+' || (unsigned char)s[i] < 0x21)
			return 0;
	return 1;
}

int
dk_note_vkey_make(const char *name, unsigned char type,
    const unsigned char pk[32], char *out, size_t n)
{
	unsigned char raw[33];
	char b[64];

	if (!dk_note_name_ok(name, strlen(name)))
		return -1;
	raw[0] = type;
	memcpy(raw + 1, pk, 32);
	sodium_bin2base64(b, sizeof(b), raw, sizeof(raw),
	    sodium_base64_VARIANT_ORIGINAL);
	if ((size_t)snprintf(out, n, "%s+%08x+%s", name,
	    dk_note_keyid(name, type, pk), b) >= n)
		return -1;
	return 0;
}

int
dk_vkey_make(const char *name, const unsigned char pk[32], char *out,
    size_t n)
{
	return dk_note_vkey_make(name, DK_SIG_ED25519, pk, out, n);
}

int
dk_note_vkey_parse(const char *s, unsigned char type, struct dk_vkey *k,
    struct dk_err *e)
{
	const char *p1 = strchr(s, '+'), *p2;
	unsigned char raw[33];
	size_t got;
	char *end;
	unsigned long id;

	/* split at the first two '+' only: base64 may hold more */
	if (p1 == NULL || (p2 = strchr(p1 + 1, '+')) == NULL ||
	    (size_t)(p1 - s) >= sizeof(k->name) ||
	    !dk_note_name_ok(s, p1 - s) || p2 - p1 != 9)
		return dk_fail(e, DK_EX_DATAERR, "not a verifier key "
		    "(name+hex8+base64)");
	memcpy(k->name, s, p1 - s);
	k->name[p1 - s] = '\0';
	id = strtoul(p1 + 1, &end, 16);
	if (end != p2)
		return dk_fail(e, DK_EX_DATAERR, "verifier key: bad key id");
	if (sodium_base642bin(raw, sizeof(raw), p2 + 1, strlen(p2 + 1), NULL,
	    &got, NULL, sodium_base64_VARIANT_ORIGINAL) != 0 || got != 33 ||
	    raw[0] != type)
		return dk_fail(e, DK_EX_DATAERR, "verifier key: not %s "
		    "(type 0x%02x and 32 bytes)", type == DK_SIG_ED25519 ?
		    "an Ed25519 key" : "an Ed25519 cosignature key", type);
	memcpy(k->pk, raw + 1, 32);
	k->id = (uint32_t)id;
	if (dk_note_keyid(k->name, type, k->pk) != k->id)
		return dk_fail(e, DK_EX_DATAERR, "verifier key: the key id "
		    "does not match the name and key");
	return 0;
}

int
dk_vkey_parse(const char *s, struct dk_vkey *k, struct dk_err *e)
{
	return dk_note_vkey_parse(s, DK_SIG_ED25519, k, e);
}

char *
dk_note_sign(const char *text, const char *name, const struct dk_key *k,
    struct dk_err *e)
{
	unsigned char raw[68];
	char b[128], *out;
	size_t n = strlen(text);
	uint32_t id;

	if (n == 0 || text[n - 1] != '\n' ||
	    !dk_note_name_ok(name, strlen(name))) {
		dk_fail(e, DK_EX_SOFTWARE, "note: text must end in a newline "
		    "and the name have no spaces or '+'");
		return NULL;
	}
	id = keyid(name, k->pk);
	raw[0] = id >> 24;
	raw[1] = id >> 16;
	raw[2] = id >> 8;
	raw[3] = id;
	crypto_sign_detached(raw + 4, NULL, (const unsigned char *)text, n,
	    k->sk);
	sodium_bin2base64(b, sizeof(b), raw, sizeof(raw),
	    sodium_base64_VARIANT_ORIGINAL);
	if (asprintf(&out, "%s\n" DK_EMDASH " %s %s\n", text, name, b) < 0) {
		dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		return NULL;
	}
	return out;
}

static int
utf8_ok(const unsigned char *s, size_t n)
{
	size_t i = 0, k, need;
	uint32_t c;

	while (i < n) {
		c = s[i];
		if (c < 0x80) {
			if (c < 0x20 && c != '\n')
				return 0;
			if (c == 0x7f)
				return 0;
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			need = 1;
			c &= 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			need = 2;
			c &= 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			need = 3;
			c &= 0x07;
		} else
			return 0;
		for (k = 1; k <= need; k++) {
			if (i + k >= n || (s[i + k] & 0xc0) != 0x80)
				return 0;
			c = c << 6 | (s[i + k] & 0x3f);
		}
		if ((need == 1 && c < 0x80) || (need == 2 && c < 0x800) ||
		    (need == 3 && (c < 0x10000 || c > 0x10ffff)) ||
		    (c >= 0xd800 && c <= 0xdfff))
			return 0;
		i += need + 1;
	}
	return 1;
}

int
dk_note_sig_next(const char **pp, const char *end, struct dk_notesig *s,
    struct dk_err *e)
{
	const char *p = *pp, *nl, *sp;

	if (p >= end)
		return 0;
	nl = memchr(p, '\n', end - p);
	if (nl == NULL || nl - p < 4 || memcmp(p, DK_EMDASH " ", 4) != 0)
		return dk_fail(e, DK_EX_NO, "note: a signature line must start "
		    "with an em dash and a space");
	p += 4;
	sp = memchr(p, ' ', nl - p);
	if (sp == NULL || !dk_note_name_ok(p, sp - p) ||
	    (size_t)(sp - p) >= sizeof(s->name))
		return dk_fail(e, DK_EX_NO, "note: bad signature line (name)");
	memcpy(s->name, p, sp - p);
	s->name[sp - p] = '\0';
	if (sodium_base642bin(s->raw, sizeof(s->raw), sp + 1, nl - sp - 1,
	    NULL, &s->len, NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    s->len < 5)
		return dk_fail(e, DK_EX_NO, "note: bad signature line "
		    "(base64)");
	s->id = (uint32_t)s->raw[0] << 24 | (uint32_t)s->raw[1] << 16 |
	    (uint32_t)s->raw[2] << 8 | s->raw[3];
	*pp = nl + 1;
	return 1;
}

/* The form of a note: UTF-8 text, a blank line, at most 100 signature
 * lines each well formed.  Returns the length of the text (with its final
 * newline) or -1; no signature is checked. */
long
dk_note_text(const char *note, size_t len, struct dk_err *e)
{
	const char *p, *end = note + len;
	struct dk_notesig s;
	size_t nsig = 0;
	long tlen;
	int rc;

	if (!utf8_ok((const unsigned char *)note, len))
		return dk_fail(e, DK_EX_NO, "note: not UTF-8 text without "
		    "control characters");
	for (p = end - 1; p > note; p--)
		if (p[0] == '\n' && p[-1] == '\n')
			break;
	if (p <= note)
		return dk_fail(e, DK_EX_NO, "note: no blank line before the "
		    "signatures");
	tlen = p - note;		/* the text keeps its final newline */
	if (p + 1 == end || end[-1] != '\n')
		return dk_fail(e, DK_EX_NO, "note: the signatures must end "
		    "in a newline");
	for (p++; (rc = dk_note_sig_next(&p, end, &s, e)) > 0; )
		if (++nsig > 100)
			return dk_fail(e, DK_EX_NO, "note: more than 100 "
			    "signatures");
	return rc < 0 ? -1 : tlen;
}

/* Opens a note: checks its form and its signatures by the known keys.
 * Returns the length of the text (with its final newline) or -1. */
long
dk_note_open(const char *note, size_t len, const struct dk_vkey *keys,
    size_t nkeys, struct dk_err *e)
{
	const char *p, *end = note + len;
	struct dk_notesig s;
	size_t i, ok = 0;
	long tlen;

	if ((tlen = dk_note_text(note, len, e)) < 0)
		return -1;
	for (p = note + tlen + 1; dk_note_sig_next(&p, end, &s, e) > 0; )
		for (i = 0; i < nkeys; i++) {
			if (keys[i].id != s.id || strcmp(keys[i].name, s.name)
			    != 0)
				continue;
			if (s.len != 68 || dk_verify_bytes(s.raw + 4, note,
			    tlen, keys[i].pk) < 0)
				return dk_fail(e, DK_EX_NO, "note: invalid "
				    "signature for key %s+%08x", s.name, s.id);
			ok++;
		}
	if (ok == 0)
		return dk_fail(e, DK_EX_NO, "note: no signature by a known key");
	return tlen;
}

/* An extension line "time N": N decimal, no leading zero, at most 2^53-1. */
static int
time_line(const char *p, const char *nl, int64_t *t, struct dk_err *e)
{
	const char *d = p + 5;
	int64_t v = 0;

	if (*t >= 0)
		return dk_fail(e, DK_EX_NO, "checkpoint: a second time line");
	if (d == nl || (d[0] == '0' && nl - d > 1) || nl - d > 16)
		return dk_fail(e, DK_EX_NO, "checkpoint: time: must be "
		    "decimal Unix seconds");
	for (; d < nl; d++) {
		if (*d < '0' || *d > '9')
			return dk_fail(e, DK_EX_NO, "checkpoint: time: must "
			    "be decimal Unix seconds");
		v = v * 10 + (*d - '0');
	}
	if (v > DK_MAX_SAFE_INT)
		return dk_fail(e, DK_EX_NO, "checkpoint: time: beyond 2^53-1");
	*t = v;
	return 0;
}

/* The checkpoint of a note's text (or of a whole note: its extension
 * lines end at the blank line before the signatures). */
int
dk_checkpoint_parse(const char *text, size_t len, struct dk_checkpoint *c,
    struct dk_err *e)
{
	const char *p = text, *nl, *end = text + len;
	size_t got;
	char num[32];
	char *x;
	int line;

	memset(c, 0, sizeof(*c));
	c->time = -1;
	for (line = 0; line < 3; line++) {
		nl = memchr(p, '\n', end - p);
		if (nl == NULL || nl == p)
			return dk_fail(e, DK_EX_NO, "checkpoint: line %d is "
			    "missing or empty", line + 1);
		if (line == 0) {
			if ((size_t)(nl - p) >= sizeof(c->origin))
				return dk_fail(e, DK_EX_NO, "checkpoint: origin "
				    "too long");
			memcpy(c->origin, p, nl - p);
		} else if (line == 1) {
			if (nl - p >= (long)sizeof(num) ||
			    (p[0] == '0' && nl - p > 1))
				return dk_fail(e, DK_EX_NO, "checkpoint: bad "
				    "tree size");
			memcpy(num, p, nl - p);
			num[nl - p] = '\0';
			for (x = num; *x; x++)
				if (*x < '0' || *x > '9')
					return dk_fail(e, DK_EX_NO, "checkpoint:"
					    " tree size must be decimal");
			c->size = strtoull(num, NULL, 10);
		} else if (sodium_base642bin(c->root, 32, p, nl - p, NULL, &got,
		    NULL, sodium_base64_VARIANT_ORIGINAL) != 0 || got != 32)
			return dk_fail(e, DK_EX_NO, "checkpoint: the root must "
			    "be base64 of 32 bytes");
		p = nl + 1;
	}
	/* extension lines: "time N" is read, any other is the signer's */
	while (p < end && (nl = memchr(p, '\n', end - p)) != NULL && nl != p) {
		if (nl - p >= 5 && memcmp(p, "time ", 5) == 0 &&
		    time_line(p, nl, &c->time, e) < 0)
			return -1;
		p = nl + 1;
	}
	return 0;
}

/* The text of a checkpoint; with its time line unless time < 0. */
char *
dk_checkpoint_text(const char *origin, uint64_t size,
    const unsigned char root[32], int64_t time)
{
	char b[64], *out;
	int rc;

	sodium_bin2base64(b, sizeof(b), root, 32,
	    sodium_base64_VARIANT_ORIGINAL);
	if (time >= 0)
		rc = asprintf(&out, "%s\n%llu\n%s\ntime %lld\n", origin,
		    (unsigned long long)size, b, (long long)time);
	else
		rc = asprintf(&out, "%s\n%llu\n%s\n", origin,
		    (unsigned long long)size, b);
	return rc < 0 ? NULL : out;
}
