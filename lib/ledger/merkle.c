/* merkle.c: RFC 6962/9162 Merkle trees: roots, inclusion and consistency
 * proofs made and checked, and the compact tree the ledger appends to. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ledger.h"

/*
 * RFC 6962 / RFC 9162 Merkle trees over SHA-256: a leaf is H(0x00 || d),
 * a node H(0x01 || left || right), and a tree of n > 1 leaves splits at k,
 * the largest power of two below n.  Proofs are made from the leaf hashes
 * and checked with the verification algorithms of RFC 9162 2.1.3.2 and
 * 2.1.4.2, with two more rules: a first size of 0 is refused, and so is
 * any hash that is not 32 bytes (the caller passes lengths).
 */

void
dk_merkle_leaf(const void *d, size_t n, unsigned char out[32])
{
	unsigned char z = 0;

	dk_sha256_2(&z, 1, d, n, out);
}

static void
dk_merkle_node(const unsigned char l[32], const unsigned char r[32],
    unsigned char out[32])
{
	unsigned char buf[33];

	buf[0] = 1;
	memcpy(buf + 1, l, 32);
	dk_sha256_2(buf, sizeof(buf), r, 32, out);
}

static size_t
split(size_t n)
{
	size_t k = 1;

	while (k << 1 < n)
		k <<= 1;
	return k;
}

void
dk_merkle_root(const unsigned char (*lh)[32], size_t n, unsigned char out[32])
{
	unsigned char a[32], b[32];
	size_t k;

	if (n == 0) {
		crypto_hash_sha256(out, NULL, 0);
		return;
	}
	if (n == 1) {
		memcpy(out, lh[0], 32);
		return;
	}
	k = split(n);
	dk_merkle_root(lh, k, a);
	dk_merkle_root(lh + k, n - k, b);
	dk_merkle_node(a, b, out);
}

static void
path(const unsigned char (*lh)[32], size_t n, size_t m,
    unsigned char (*p)[32], size_t *np)
{
	size_t k;

	if (n <= 1)
		return;
	k = split(n);
	if (m < k) {
		path(lh, k, m, p, np);
		dk_merkle_root(lh + k, n - k, p[(*np)++]);
	} else {
		path(lh + k, n - k, m - k, p, np);
		dk_merkle_root(lh, k, p[(*np)++]);
	}
}

/* The audit path of leaf m in a tree of n leaves; p holds at least 64. */
int
dk_merkle_inclusion(const unsigned char (*lh)[32], size_t n, size_t m,
    unsigned char (*p)[32], size_t *np, struct dk_err *e)
{
	*np = 0;
	if (m >= n)
		return dk_fail(e, DK_EX_DATAERR, "leaf %zu is not in a tree "
		    "of %zu", m, n);
	path(lh, n, m, p, np);
	return 0;
}

static void
subproof(const unsigned char (*lh)[32], size_t n, size_t m, int b,
    unsigned char (*p)[32], size_t *np)
{
	size_t k;

	if (m == n) {
		if (!b)
			dk_merkle_root(lh, n, p[(*np)++]);
		return;
	}
	k = split(n);
	if (m <= k) {
		subproof(lh, k, m, b, p, np);
		dk_merkle_root(lh + k, n - k, p[(*np)++]);
	} else {
		subproof(lh + k, n - k, m - k, 0, p, np);
		dk_merkle_root(lh, k, p[(*np)++]);
	}
}

int
dk_merkle_consistency(const unsigned char (*lh)[32], size_t n, size_t m,
    unsigned char (*p)[32], size_t *np, struct dk_err *e)
{
	*np = 0;
	if (m == 0 || m > n)
		return dk_fail(e, DK_EX_DATAERR, "no consistency proof from "
		    "size %zu to size %zu (0 < first <= second)", m, n);
	subproof(lh, n, m, 1, p, np);
	return 0;
}

int
dk_merkle_verify_inclusion(uint64_t idx, uint64_t size,
    const unsigned char leaf[32], const unsigned char (*p)[32], size_t np,
    const unsigned char root[32], struct dk_err *e)
{
	unsigned char r[32];
	uint64_t fn = idx, sn = size - 1;
	size_t i;

	if (idx >= size)
		return dk_fail(e, DK_EX_NO, "index %llu is beyond the tree "
		    "size %llu", (unsigned long long)idx,
		    (unsigned long long)size);
	memcpy(r, leaf, 32);
	for (i = 0; i < np; i++) {
		if (sn == 0)
			return dk_fail(e, DK_EX_NO, "inclusion proof too long");
		if ((fn & 1) || fn == sn) {
			dk_merkle_node(p[i], r, r);
			if (!(fn & 1))
				while (!(fn & 1) && fn != 0) {
					fn >>= 1;
					sn >>= 1;
				}
		} else
			dk_merkle_node(r, p[i], r);
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0)
		return dk_fail(e, DK_EX_NO, "inclusion proof too short");
	if (sodium_memcmp(r, root, 32) != 0)
		return dk_fail(e, DK_EX_NO, "inclusion proof does not lead to "
		    "the root");
	return 0;
}

int
dk_merkle_verify_consistency(uint64_t size1, uint64_t size2,
    const unsigned char root1[32], const unsigned char root2[32],
    const unsigned char (*p)[32], size_t np, struct dk_err *e)
{
	unsigned char fr[32], sr[32];
	uint64_t fn, sn;
	size_t i = 0;

	if (size1 == 0)
		return dk_fail(e, DK_EX_NO, "consistency from size 0 is not "
		    "provable");
	if (size1 > size2)
		return dk_fail(e, DK_EX_NO, "first size %llu exceeds second "
		    "size %llu", (unsigned long long)size1,
		    (unsigned long long)size2);
	if (size1 == size2) {
		if (np != 0)
			return dk_fail(e, DK_EX_NO, "equal sizes need an empty "
			    "proof");
		if (sodium_memcmp(root1, root2, 32) != 0)
			return dk_fail(e, DK_EX_NO, "equal sizes with "
			    "different roots");
		return 0;
	}
	fn = size1 - 1;
	sn = size2 - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	if ((size1 & (size1 - 1)) == 0) {	/* a power of two */
		memcpy(fr, root1, 32);
	} else {
		if (np == 0)
			return dk_fail(e, DK_EX_NO, "empty consistency proof");
		memcpy(fr, p[0], 32);
		i = 1;
	}
	memcpy(sr, fr, 32);
	for (; i < np; i++) {
		if (sn == 0)
			return dk_fail(e, DK_EX_NO, "consistency proof too "
			    "long");
		if ((fn & 1) || fn == sn) {
			dk_merkle_node(p[i], fr, fr);
			dk_merkle_node(p[i], sr, sr);
			if (!(fn & 1))
				while (!(fn & 1) && fn != 0) {
					fn >>= 1;
					sn >>= 1;
				}
		} else
			dk_merkle_node(sr, p[i], sr);
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0)
		return dk_fail(e, DK_EX_NO, "consistency proof too short");
	if (sodium_memcmp(fr, root1, 32) != 0 ||
	    sodium_memcmp(sr, root2, 32) != 0)
		return dk_fail(e, DK_EX_NO, "consistency proof does not join "
		    "the two roots");
	return 0;
}

/*
 * A tree grown one leaf at a time: the roots of its perfect subtrees, left
 * to right (a compact range), so that appending and taking the root cost
 * O(log n) whatever the size.
 */
int
dk_mtree_append(struct dk_mtree *t, const unsigned char leaf[32])
{
	unsigned char h[32];
	uint64_t n;

	if (t->depth == 64)
		return -1;
	memcpy(h, leaf, 32);
	/* merge while the new subtree is as big as the last one */
	for (n = t->size; n & 1; n >>= 1)
		dk_merkle_node(t->stack[--t->depth], h, h);
	memcpy(t->stack[t->depth++], h, 32);
	t->size++;
	return 0;
}

void
dk_mtree_root(const struct dk_mtree *t, unsigned char out[32])
{
	unsigned char h[32];
	int i;

	if (t->size == 0) {
		crypto_hash_sha256(out, NULL, 0);
		return;
	}
	memcpy(h, t->stack[t->depth - 1], 32);
	for (i = t->depth - 2; i >= 0; i--)
		dk_merkle_node(t->stack[i], h, h);
	memcpy(out, h, 32);
}
