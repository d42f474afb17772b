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

#define FZ_ASSERT(c) do {						\
	if (!(c)) {							\
		fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #c);	\
		abort();						\
	}								\
} while (0)

#endif
