/* sha256.c: SHA-256 of two parts (a prefix and the data) for the Merkle
 * tree's leaves and nodes, the readings' commitments and the records'
 * ids, and of bytes given in parts (the state cache's marks): with the
 * CPU's SHA extensions when it has them, libsodium's otherwise. */
#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "crypto.h"

/* 1 with SHA-NI (and the SSSE3 and SSE4.1 it uses), 0 without; -1 not
 * asked yet. */
static int have_ni = -1;

static const uint32_t IV[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372,
	0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <immintrin.h>

static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b,
	0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01,
	0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7,
	0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
	0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152,
	0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
	0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
	0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08,
	0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f,
	0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
};

/* n blocks of 64 bytes at p into the state h (a, b, ..., h), with the
 * SHA-NI instructions: sixteen groups of four rounds, each group's
 * message words made two groups ahead (sha256msg1, sha256msg2). */
__attribute__((target("sha,sse4.1,ssse3")))
static void
blocks_ni(uint32_t h[8], const unsigned char *p, size_t n)
{
	const __m128i mask = _mm_set_epi64x(0x0c0d0e0f08090a0bULL,
	    0x0405060700010203ULL);
	__m128i s0, s1, t, msg, save0, save1, w[4];
	int g;

	t = _mm_loadu_si128((const __m128i *)&h[0]);
	s1 = _mm_loadu_si128((const __m128i *)&h[4]);
	t = _mm_shuffle_epi32(t, 0xB1);			/* CDAB */
	s1 = _mm_shuffle_epi32(s1, 0x1B);		/* EFGH */
	s0 = _mm_alignr_epi8(t, s1, 8);			/* ABEF */
	s1 = _mm_blend_epi16(s1, t, 0xF0);		/* CDGH */
	for (; n > 0; n--, p += 64) {
		save0 = s0;
		save1 = s1;
		/* unrolled, the message words stay in registers and the
		 * tests on g go (GCC's -O2 keeps the loop otherwise) */
#pragma GCC unroll 16
		for (g = 0; g < 16; g++) {
			if (g < 4)
				w[g] = _mm_shuffle_epi8(_mm_loadu_si128(
				    (const __m128i *)(p + 16 * g)), mask);
			msg = _mm_add_epi32(w[g & 3], _mm_loadu_si128(
			    (const __m128i *)&K[4 * g]));
			s1 = _mm_sha256rnds2_epu32(s1, s0, msg);
			if (g >= 3 && g <= 14)	/* the words of group g+1 */
				w[(g + 1) & 3] = _mm_sha256msg2_epu32(
				    _mm_add_epi32(w[(g + 1) & 3],
				    _mm_alignr_epi8(w[g & 3], w[(g - 1) & 3],
				    4)), w[g & 3]);
			msg = _mm_shuffle_epi32(msg, 0x0E);
			s0 = _mm_sha256rnds2_epu32(s0, s1, msg);
			if (g >= 1 && g <= 12)
				w[(g - 1) & 3] = _mm_sha256msg1_epu32(
				    w[(g - 1) & 3], w[g & 3]);
		}
		s0 = _mm_add_epi32(s0, save0);
		s1 = _mm_add_epi32(s1, save1);
	}
	t = _mm_shuffle_epi32(s0, 0x1B);		/* FEBA */
	s1 = _mm_shuffle_epi32(s1, 0xB1);		/* DCHG */
	s0 = _mm_blend_epi16(t, s1, 0xF0);		/* DCBA */
	s1 = _mm_alignr_epi8(s1, t, 8);			/* HGFE */
	_mm_storeu_si128((__m128i *)&h[0], s0);
	_mm_storeu_si128((__m128i *)&h[4], s1);
}

static int
ni(void)
{
	unsigned a, b, c, d;
	int yes = 0;

	if (have_ni >= 0)
		return have_ni;
	if (__get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 9)) &&
	    (c & (1u << 19)) && __get_cpuid_count(7, 0, &a, &b, &c, &d) &&
	    (b & (1u << 29)))
		yes = 1;
	return have_ni = yes;
}

static void
put32(unsigned char *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

/* n bytes at p after the t->total bytes before, SHA-NI: a block's part
 * kept in t->buf until the block is whole. */
static void
update_ni(struct dk_sha256 *t, const unsigned char *p, size_t n)
{
	size_t k = (size_t)(t->total % 64), m;

	if (n == 0)	/* p may be NULL */
		return;
	t->total += n;
	if (k > 0) {
		m = 64 - k < n ? 64 - k : n;
		memcpy(t->buf + k, p, m);
		p += m;
		n -= m;
		if (k + m < 64)
			return;
		blocks_ni(t->h, t->buf, 1);
	}
	blocks_ni(t->h, p, n / 64);
	if (n % 64 > 0)
		memcpy(t->buf, p + n / 64 * 64, n % 64);
}

/* The padding (0x80, zeros, the length in bits) and the digest. */
static void
final_ni(struct dk_sha256 *t, unsigned char out[32])
{
	size_t k = (size_t)(t->total % 64), m = k < 56 ? 64 : 128;
	unsigned char buf[128];
	uint32_t h[8];
	int i;

	memcpy(buf, t->buf, k);
	buf[k] = 0x80;
	memset(buf + k + 1, 0, m - k - 1);
	put32(buf + m - 8, (uint32_t)(t->total >> 29));
	put32(buf + m - 4, (uint32_t)(t->total << 3));
	memcpy(h, t->h, sizeof(h));
	blocks_ni(h, buf, m / 64);
	for (i = 0; i < 8; i++)	/* big-endian words, a store each */
		h[i] = __builtin_bswap32(h[i]);
	memcpy(out, h, 32);
}
#else
static int
ni(void)
{
	return have_ni = 0;
}

static void
update_ni(struct dk_sha256 *t, const unsigned char *p, size_t n)
{
	(void)t, (void)p, (void)n;
}

static void
final_ni(struct dk_sha256 *t, unsigned char out[32])
{
	(void)t, (void)out;
}
#endif

/* A hash of bytes given in parts (the state cache's marks hash every
 * byte of the file before them): SHA-NI when the CPU has it, libsodium
 * otherwise, as the CPU was when dk_sha256_init began it.  A copy of
 * the struct goes on from where it was. */
void
dk_sha256_init(struct dk_sha256 *t)
{
	if ((t->ni = ni())) {	/* sod left as it is, not used */
		memcpy(t->h, IV, sizeof(t->h));
		t->total = 0;
	} else
		crypto_hash_sha256_init(&t->sod);
}

void
dk_sha256_update(struct dk_sha256 *t, const void *p, size_t n)
{
	if (t->ni)
		update_ni(t, p, n);
	else
		crypto_hash_sha256_update(&t->sod, p, n);
}

void
dk_sha256_final(struct dk_sha256 *t, unsigned char out[32])
{
	if (t->ni)
		final_ni(t, out);
	else
		crypto_hash_sha256_final(&t->sod, out);
}

/* SHA-256(a || b) into out. */
void
dk_sha256_2(const void *a, size_t an, const void *b, size_t bn,
    unsigned char out[32])
{
	struct dk_sha256 t;

	dk_sha256_init(&t);
	dk_sha256_update(&t, a, an);
	dk_sha256_update(&t, b, bn);
	dk_sha256_final(&t, out);
}

/* For the tests: SHA-NI off (0) or as the CPU has it (1); whether it
 * is used now. */
int
dk_sha256_ni(int on)
{
	have_ni = -1;
	if (!on)
		have_ni = 0;
	return ni();
}

/* A hash (a leaf's, a commitment's, a record's id: public) in lowercase
 * hex, the bytes sodium_bin2hex writes, without its constant time (for
 * secrets, as salts are): a settle run writes two for every entry. */
void
dk_hash_hex(const unsigned char h[32], char hex[65])
{
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
	/* SSE2 (every x86-64 has it): sixteen bytes' nibbles at once,
	 * each '0' + n, and 39 more past 9 ('a' is '0' + 10 + 39) */
	const __m128i f = _mm_set1_epi8(15), nine = _mm_set1_epi8(9);
	__m128i v, hi, lo, n;
	int i, j;

	for (i = 0; i < 2; i++) {
		v = _mm_loadu_si128((const __m128i *)(h + 16 * i));
		hi = _mm_and_si128(_mm_srli_epi16(v, 4), f);
		lo = _mm_and_si128(v, f);
		for (j = 0; j < 2; j++) {
			n = j ? _mm_unpackhi_epi8(hi, lo) :
			    _mm_unpacklo_epi8(hi, lo);
			n = _mm_add_epi8(_mm_add_epi8(n, _mm_set1_epi8('0')),
			    _mm_and_si128(_mm_cmpgt_epi8(n, nine),
			    _mm_set1_epi8(39)));
			_mm_storeu_si128((__m128i *)(hex + 32 * i + 16 * j), n);
		}
	}
#else
	static const char digit[] = "0123456789abcdef";
	int i;

	for (i = 0; i < 32; i++) {
		hex[2 * i] = digit[h[i] >> 4];
		hex[2 * i + 1] = digit[h[i] & 15];
	}
#endif
	hex[64] = '\0';
}
