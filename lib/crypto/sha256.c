/* sha256.c: SHA-256 of two parts (a prefix and the data) for the Merkle
 * tree's leaves and nodes, the readings' commitments and the records'
 * ids: with the CPU's SHA extensions when it has them, libsodium's
 * otherwise. */
#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "crypto.h"

/* 1 with SHA-NI (and the SSSE3 and SSE4.1 it uses), 0 without; -1 not
 * asked yet. */
static int have_ni = -1;

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

/*
 * The same over two messages at once, n blocks of each: a block's rounds
 * wait on the rounds before them (sha256rnds2's latency, not its
 * throughput, bounds one message), so two independent messages' rounds
 * interleaved run in little more than the time of one.
 */
__attribute__((target("sha,sse4.1,ssse3")))
static void
blocks_ni2(uint32_t ha[8], const unsigned char *pa, uint32_t hb[8],
    const unsigned char *pb, size_t n)
{
	const __m128i mask = _mm_set_epi64x(0x0c0d0e0f08090a0bULL,
	    0x0405060700010203ULL);
	__m128i a0, a1, b0, b1, t, ma, mb, sa0, sa1, sb0, sb1, k, wa[4], wb[4];
	int g;

	t = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&ha[0]), 0xB1);
	a1 = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&ha[4]), 0x1B);
	a0 = _mm_alignr_epi8(t, a1, 8);
	a1 = _mm_blend_epi16(a1, t, 0xF0);
	t = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&hb[0]), 0xB1);
	b1 = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&hb[4]), 0x1B);
	b0 = _mm_alignr_epi8(t, b1, 8);
	b1 = _mm_blend_epi16(b1, t, 0xF0);
	for (; n > 0; n--, pa += 64, pb += 64) {
		sa0 = a0;
		sa1 = a1;
		sb0 = b0;
		sb1 = b1;
#pragma GCC unroll 16
		for (g = 0; g < 16; g++) {
			if (g < 4) {
				wa[g] = _mm_shuffle_epi8(_mm_loadu_si128(
				    (const __m128i *)(pa + 16 * g)), mask);
				wb[g] = _mm_shuffle_epi8(_mm_loadu_si128(
				    (const __m128i *)(pb + 16 * g)), mask);
			}
			k = _mm_loadu_si128((const __m128i *)&K[4 * g]);
			ma = _mm_add_epi32(wa[g & 3], k);
			mb = _mm_add_epi32(wb[g & 3], k);
			a1 = _mm_sha256rnds2_epu32(a1, a0, ma);
			b1 = _mm_sha256rnds2_epu32(b1, b0, mb);
			if (g >= 3 && g <= 14) {
				wa[(g + 1) & 3] = _mm_sha256msg2_epu32(
				    _mm_add_epi32(wa[(g + 1) & 3],
				    _mm_alignr_epi8(wa[g & 3], wa[(g - 1) & 3],
				    4)), wa[g & 3]);
				wb[(g + 1) & 3] = _mm_sha256msg2_epu32(
				    _mm_add_epi32(wb[(g + 1) & 3],
				    _mm_alignr_epi8(wb[g & 3], wb[(g - 1) & 3],
				    4)), wb[g & 3]);
			}
			ma = _mm_shuffle_epi32(ma, 0x0E);
			mb = _mm_shuffle_epi32(mb, 0x0E);
			a0 = _mm_sha256rnds2_epu32(a0, a1, ma);
			b0 = _mm_sha256rnds2_epu32(b0, b1, mb);
			if (g >= 1 && g <= 12) {
				wa[(g - 1) & 3] = _mm_sha256msg1_epu32(
				    wa[(g - 1) & 3], wa[g & 3]);
				wb[(g - 1) & 3] = _mm_sha256msg1_epu32(
				    wb[(g - 1) & 3], wb[g & 3]);
			}
		}
		a0 = _mm_add_epi32(a0, sa0);
		a1 = _mm_add_epi32(a1, sa1);
		b0 = _mm_add_epi32(b0, sb0);
		b1 = _mm_add_epi32(b1, sb1);
	}
	t = _mm_shuffle_epi32(a0, 0x1B);
	a1 = _mm_shuffle_epi32(a1, 0xB1);
	_mm_storeu_si128((__m128i *)&ha[0], _mm_blend_epi16(t, a1, 0xF0));
	_mm_storeu_si128((__m128i *)&ha[4], _mm_alignr_epi8(a1, t, 8));
	t = _mm_shuffle_epi32(b0, 0x1B);
	b1 = _mm_shuffle_epi32(b1, 0xB1);
	_mm_storeu_si128((__m128i *)&hb[0], _mm_blend_epi16(t, b1, 0xF0));
	_mm_storeu_si128((__m128i *)&hb[4], _mm_alignr_epi8(b1, t, 8));
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

/* SHA-256 of a (an bytes) then b (bn bytes), with SHA-NI. */
static void
hash_ni(const void *a, size_t an, const void *b, size_t bn,
    unsigned char out[32])
{
	uint32_t h[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
	unsigned char buf[128];
	const unsigned char *q = b;
	size_t k = an, m, total = an + bn;
	int i;

	/* a is short (at most 64 bytes): a block of it and b's first */
	memcpy(buf, a, an);
	m = 64 - k < bn ? 64 - k : bn;
	if (m > 0)
		memcpy(buf + k, q, m);
	k += m;
	q += m;
	bn -= m;
	if (k == 64) {
		blocks_ni(h, buf, 1);
		blocks_ni(h, q, bn / 64);
		q += bn / 64 * 64;
		if ((k = bn % 64) > 0)
			memcpy(buf, q, k);
	}
	/* the padding: 0x80, zeros, the length in bits */
	buf[k++] = 0x80;
	m = k <= 56 ? 64 : 128;
	memset(buf + k, 0, m - k);
	put32(buf + m - 8, (uint32_t)((uint64_t)total >> 29));
	put32(buf + m - 4, (uint32_t)(total << 3));
	blocks_ni(h, buf, m / 64);
	for (i = 0; i < 8; i++)	/* big-endian words, a store each */
		h[i] = __builtin_bswap32(h[i]);
	memcpy(out, h, 32);
}
/* The message a || b padded, in buf (of PAD2 bytes): its blocks. */
#define PAD2 2048

static size_t
padded(unsigned char *buf, const void *a, size_t an, const void *b,
    size_t bn)
{
	size_t k = an + bn, m;
	uint64_t bits = (uint64_t)k << 3;

	memcpy(buf, a, an);
	memcpy(buf + an, b, bn);
	buf[k++] = 0x80;
	m = (k + 8 + 63) / 64 * 64;
	memset(buf + k, 0, m - k);
	put32(buf + m - 8, (uint32_t)(bits >> 32));
	put32(buf + m - 4, (uint32_t)bits);
	return m / 64;
}

/* SHA-256 of a || b and of a || c, the common blocks of both at once. */
static void
hash_ni2(const void *a, size_t an, const void *b, size_t bn, const void *c,
    size_t cn, unsigned char out1[32], unsigned char out2[32])
{
	uint32_t h[2][8] = { { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 },
		{ 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 } };
	unsigned char x[PAD2], y[PAD2];
	size_t nx = padded(x, a, an, b, bn), ny = padded(y, a, an, c, cn),
	    both = nx < ny ? nx : ny;
	int i;

	blocks_ni2(h[0], x, h[1], y, both);
	blocks_ni(h[0], x + 64 * both, nx - both);
	blocks_ni(h[1], y + 64 * both, ny - both);
	for (i = 0; i < 8; i++) {
		h[0][i] = __builtin_bswap32(h[0][i]);
		h[1][i] = __builtin_bswap32(h[1][i]);
	}
	memcpy(out1, h[0], 32);
	memcpy(out2, h[1], 32);
}
#else
static int
ni(void)
{
	return have_ni = 0;
}

static void
hash_ni(const void *a, size_t an, const void *b, size_t bn,
    unsigned char out[32])
{
	(void)a, (void)an, (void)b, (void)bn, (void)out;
}

#define PAD2 0

static void
hash_ni2(const void *a, size_t an, const void *b, size_t bn, const void *c,
    size_t cn, unsigned char out1[32], unsigned char out2[32])
{
	(void)a, (void)an, (void)b, (void)bn, (void)c, (void)cn;
	(void)out1, (void)out2;
}
#endif

/* SHA-256(a || b) into out; a is at most 64 bytes. */
void
dk_sha256_2(const void *a, size_t an, const void *b, size_t bn,
    unsigned char out[32])
{
	crypto_hash_sha256_state st;

	if (an <= 64 && ni()) {
		hash_ni(a, an, b, bn, out);
		return;
	}
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, a, an);
	crypto_hash_sha256_update(&st, b, bn);
	crypto_hash_sha256_final(&st, out);
}

/*
 * SHA-256(a || b) into out1 and SHA-256(a || c) into out2 (a at most 64
 * bytes): with SHA-NI, two messages of a ledger's lines (under PAD2
 * bytes padded) hashed at once, in about the time of one.
 */
void
dk_sha256_2x(const void *a, size_t an, const void *b, size_t bn,
    const void *c, size_t cn, unsigned char out1[32],
    unsigned char out2[32])
{
	if (an <= 64 && ni() && an + bn + 72 <= PAD2 && an + cn + 72 <=
	    PAD2) {
		hash_ni2(a, an, b, bn, c, cn, out1, out2);
		return;
	}
	dk_sha256_2(a, an, b, bn, out1);
	dk_sha256_2(a, an, c, cn, out2);
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
