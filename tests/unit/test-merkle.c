/* RFC 6962 vectors (tests/fixtures/merkle): every root, every inclusion
 * and consistency proof for trees of up to 8 leaves, made and verified,
 * and each proof rejected after any one change. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "denki.h"

static int pass, failed;

#define CHECK(c, ...) do { if (c) pass++; else { failed++; \
	fprintf(stderr, "test-merkle:%d: ", __LINE__); \
	fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } } while (0)

static unsigned char leaf[8][32], root[9][32];

static int
unhex(const char *h, unsigned char *out, size_t max)
{
	size_t n = 0;

	if (strcmp(h, "-") == 0)
		return 0;
	if (sodium_hex2bin(out, max, h, strlen(h), NULL, &n, NULL) != 0)
		return -1;
	return (int)n;
}

int
main(int argc, char *argv[])
{
	const char *path = argc > 1 ? argv[1] :
	    "tests/fixtures/merkle/rfc6962-vectors.txt";
	char line[4096], *tok, *save;
	unsigned char p[64][32], q[64][32], in[64];
	size_t np, nq, i, k;
	struct dk_err e;
	FILE *fp;
	int nincl = 0, ncons = 0;

	if (sodium_init() < 0)
		return 70;
	/* dk_hash_hex: sodium_bin2hex's bytes, every byte value */
	for (k = 0; k < 8; k++) {
		char a[65], b[65];

		for (i = 0; i < 32; i++)
			in[i] = (unsigned char)(k * 32 + i);
		dk_hash_hex(in, a);
		sodium_bin2hex(b, sizeof(b), in, 32);
		CHECK(strcmp(a, b) == 0, "dk_hash_hex: %s, not %s", a, b);
	}
	if ((fp = fopen(path, "r")) == NULL) {
		perror(path);
		return 66;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		tok = strtok_r(line, " ", &save);
		if (tok == NULL || tok[0] == '#')
			continue;
		if (strcmp(tok, "LEAF") == 0) {
			int idx = atoi(strtok_r(NULL, " ", &save));
			int n = unhex(strtok_r(NULL, " ", &save), in,
			    sizeof(in));
			unsigned char want[32];
			dk_merkle_leaf(in, n, leaf[idx]);
			unhex(strtok_r(NULL, " ", &save), want, 32);
			CHECK(memcmp(want, leaf[idx], 32) == 0, "leaf %d", idx);
		} else if (strcmp(tok, "ROOT") == 0) {
			int n = atoi(strtok_r(NULL, " ", &save));
			unsigned char got[32];
			unhex(strtok_r(NULL, " ", &save), root[n], 32);
			dk_merkle_root((const unsigned char (*)[32])leaf, n,
			    got);
			CHECK(memcmp(got, root[n], 32) == 0, "root %d", n);
		} else if (strcmp(tok, "INCL") == 0) {
			int idx = atoi(strtok_r(NULL, " ", &save));
			int n = atoi(strtok_r(NULL, " ", &save));
			nq = 0;
			while ((tok = strtok_r(NULL, " ", &save)) != NULL)
				if (unhex(tok, q[nq], 32) == 32)
					nq++;
			CHECK(dk_merkle_inclusion((const unsigned char (*)[32])
			    leaf, n, idx, p, &np, &e) == 0, "make incl");
			CHECK(np == nq && memcmp(p, q, 32 * np) == 0,
			    "inclusion proof %d in %d", idx, n);
			CHECK(dk_merkle_verify_inclusion(idx, n, leaf[idx],
			    (const unsigned char (*)[32])q, nq, root[n],
			    &e) == 0, "verify incl %d %d: %s", idx, n, e.msg);
			/* every mutation fails */
			CHECK(dk_merkle_verify_inclusion(idx + 1, n, leaf[idx],
			    (const unsigned char (*)[32])q, nq, root[n],
			    &e) < 0, "incl idx+1 %d %d", idx, n);
			CHECK(dk_merkle_verify_inclusion(idx, n * 2, leaf[idx],
			    (const unsigned char (*)[32])q, nq, root[n],
			    &e) < 0 || n == 1, "incl size*2 %d %d", idx, n);
			for (i = 0; i < nq; i++) {
				q[i][0] ^= 8;
				CHECK(dk_merkle_verify_inclusion(idx, n,
				    leaf[idx], (const unsigned char (*)[32])q,
				    nq, root[n], &e) < 0, "incl bit %zu", i);
				q[i][0] ^= 8;
			}
			if (nq > 0)
				CHECK(dk_merkle_verify_inclusion(idx, n,
				    leaf[idx], (const unsigned char (*)[32])q,
				    nq - 1, root[n], &e) < 0, "incl truncated");
			memcpy(q[nq], root[n], 32);
			CHECK(dk_merkle_verify_inclusion(idx, n, leaf[idx],
			    (const unsigned char (*)[32])q, nq + 1, root[n],
			    &e) < 0, "incl trailing garbage");
			nincl++;
		} else if (strcmp(tok, "CONS") == 0) {
			int a = atoi(strtok_r(NULL, " ", &save));
			int b = atoi(strtok_r(NULL, " ", &save));
			nq = 0;
			while ((tok = strtok_r(NULL, " ", &save)) != NULL)
				if (unhex(tok, q[nq], 32) == 32)
					nq++;
			CHECK(dk_merkle_consistency((const unsigned char (*)
			    [32])leaf, b, a, p, &np, &e) == 0, "make cons");
			CHECK(np == nq && memcmp(p, q, 32 * np) == 0,
			    "consistency proof %d %d", a, b);
			CHECK(dk_merkle_verify_consistency(a, b, root[a],
			    root[b], (const unsigned char (*)[32])q, nq,
			    &e) == 0, "verify cons %d %d: %s", a, b, e.msg);
			if (a != b)
				CHECK(dk_merkle_verify_consistency(a, b,
				    root[b], root[a], (const unsigned char (*)
				    [32])q, nq, &e) < 0, "swapped roots");
			for (k = 0; k < nq; k++) {
				q[k][31] ^= 1;
				CHECK(dk_merkle_verify_consistency(a, b,
				    root[a], root[b], (const unsigned char (*)
				    [32])q, nq, &e) < 0, "cons bit");
				q[k][31] ^= 1;
			}
			ncons++;
		}
	}
	fclose(fp);
	CHECK(nincl == 36 && ncons == 36, "read %d inclusion and %d "
	    "consistency proofs, want 36 and 36", nincl, ncons);
	/* the compact range gives the same roots, leaf by leaf */
	{
		struct dk_mtree t;
		unsigned char got[32];
		int n;

		memset(&t, 0, sizeof(t));
		dk_mtree_root(&t, got);
		CHECK(memcmp(got, root[0], 32) == 0, "mtree root 0");
		for (n = 1; n <= 8; n++) {
			dk_mtree_append(&t, leaf[n - 1]);
			dk_mtree_root(&t, got);
			CHECK(memcmp(got, root[n], 32) == 0, "mtree root %d", n);
		}
	}
	/* and for bigger trees, against the recursive definition */
	{
		static unsigned char many[300][32];
		struct dk_mtree t;
		unsigned char a[32], b[32];
		size_t n, bad = 0;

		memset(&t, 0, sizeof(t));
		for (n = 0; n < 300; n++) {
			dk_merkle_leaf(&n, sizeof(n), many[n]);
			dk_mtree_append(&t, many[n]);
			dk_mtree_root(&t, a);
			dk_merkle_root((const unsigned char (*)[32])many, n + 1,
			    b);
			bad += memcmp(a, b, 32) != 0;
		}
		CHECK(bad == 0, "mtree differs from the recursive root %zu "
		    "times in 300", bad);
	}
	/* a first size of 0 is refused, even 0 -> 0 with an empty proof */
	CHECK(dk_merkle_verify_consistency(0, 0, root[0], root[0], NULL, 0,
	    &e) < 0, "size1 0");
	CHECK(dk_merkle_verify_consistency(3, 2, root[3], root[2], NULL, 0,
	    &e) < 0, "size1 > size2");
	printf("test-merkle: %d passed, %d failed\n", pass, failed);
	return failed ? 1 : 0;
}
