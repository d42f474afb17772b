/*
 * Shared by the harnesses in tests/fuzz/: each is a libFuzzer target
 * (LLVMFuzzerTestOneInput) built two ways, with clang's -fsanitize=fuzzer
 * for `make fuzz`, and with driver.c as a plain program that replays the
 * corpus and regress files in `make check`.  A harness calls the public
 * functions of lib/ on the input, and abort()s when two of them disagree.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "denki.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The input as a NUL-terminated string of its own (it may hold NULs). */
static inline char *
fz_str(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* The input as a file (a memfd, mode 0600) for the functions that read a
 * path: its fd, and its name in path. */
static inline int
fz_file(const uint8_t *data, size_t size, char *path, size_t n)
{
	int fd = memfd_create("fuzz", 0);

	if (fd < 0 || fchmod(fd, 0600) < 0 ||
	    (size > 0 && write(fd, data, size) != (ssize_t)size) ||
	    lseek(fd, 0, SEEK_SET) != 0)
		abort();
	snprintf(path, n, "/proc/self/fd/%d", fd);
	return fd;
}

/* Each line of s (n bytes) that starts {"prev":"<64 hex> gets the hash of
 * the line before, as the writers set it (an input of the ledger harnesses
 * that starts "rechain\n"), so that the fuzzer reaches the records past
 * the first changed line. */
#define FZ_HEAD "{\"prev\":\""

static inline void
fz_rechain(char *s, size_t n)
{
	unsigned char leaf[32];
	char prev[65];
	char *p = s, *end = s + n, *nl;

	memset(prev, '0', 64);
	prev[64] = '\0';
	while (p < end) {
		nl = memchr(p, '\n', end - p);
		if (nl == NULL)
			nl = end;
		if ((size_t)(nl - p) >= strlen(FZ_HEAD) + 64 &&
		    memcmp(p, FZ_HEAD, strlen(FZ_HEAD)) == 0)
			memcpy(p + strlen(FZ_HEAD), prev, 64);
		dk_merkle_leaf(p, nl - p, leaf);
		sodium_bin2hex(prev, sizeof(prev), leaf, 32);
		p = nl + 1;
	}
}

/* A ledger harness's input as a file (fz_file), its lines rechained
 * first when it starts "rechain\n"; *s (to free) holds its bytes. */
static inline int
fz_ledger(const uint8_t *data, size_t size, char **s, char *path, size_t n)
{
	*s = fz_str(data, size);
	if (size >= 8 && memcmp(*s, "rechain\n", 8) == 0) {
		fz_rechain(*s + 8, size - 8);
		return fz_file((const uint8_t *)*s + 8, size - 8, path, n);
	}
	return fz_file(data, size, path, n);
}

#define FZ_ASSERT(c) do {						\
	if (!(c)) {							\
		fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #c);	\
		abort();						\
	}								\
} while (0)

#endif
