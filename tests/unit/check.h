/*
 * Tiny assertion macros for the unit tests of lib/.  Each failed check
 * prints one line to stderr; check_done() prints the tally on stdout and
 * gives the exit status (1 if anything failed).
 */
#ifndef CHECK_H
#define CHECK_H

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int ck_pass, ck_fail;

#define CHECK(cond) do {						\
	if (cond)							\
		ck_pass++;						\
	else {								\
		ck_fail++;						\
		fprintf(stderr, "%s:%d: FAIL: %s\n", __FILE__, __LINE__,	\
		    #cond);						\
	}								\
} while (0)

/* Like CHECK, with a printf-style explanation on failure. */
#define CHECKF(cond, ...) do {						\
	if (cond)							\
		ck_pass++;						\
	else {								\
		ck_fail++;						\
		fprintf(stderr, "%s:%d: FAIL: %s: ", __FILE__, __LINE__,	\
		    #cond);						\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
	}								\
} while (0)

#define CHECK_INT(got, want) do {					\
	long long ck_g = (long long)(got), ck_w = (long long)(want);	\
	if (ck_g == ck_w)						\
		ck_pass++;						\
	else {								\
		ck_fail++;						\
		fprintf(stderr, "%s:%d: FAIL: %s: got %lld, want %lld\n",	\
		    __FILE__, __LINE__, #got, ck_g, ck_w);		\
	}								\
} while (0)

#define CHECK_STR(got, want) do {					\
	const char *ck_g = (got), *ck_w = (want);			\
	if (ck_g != NULL && ck_w != NULL && strcmp(ck_g, ck_w) == 0)	\
		ck_pass++;						\
	else {								\
		ck_fail++;						\
		fprintf(stderr, "%s:%d: FAIL: %s:\n  got  \"%s\"\n"	\
		    "  want \"%s\"\n", __FILE__, __LINE__, #got,	\
		    ck_g ? ck_g : "(null)", ck_w ? ck_w : "(null)");	\
	}								\
} while (0)

/* got contains the substring want */
#define CHECK_HAS(got, want) do {					\
	const char *ck_g = (got), *ck_w = (want);			\
	if (ck_g != NULL && strstr(ck_g, ck_w) != NULL)			\
		ck_pass++;						\
	else {								\
		ck_fail++;						\
		fprintf(stderr, "%s:%d: FAIL: %s: \"%s\" does not "	\
		    "contain \"%s\"\n", __FILE__, __LINE__, #got,	\
		    ck_g ? ck_g : "(null)", ck_w);			\
	}								\
} while (0)

static inline int
check_done(const char *name)
{
	printf("%s: %d passed, %d failed\n", name, ck_pass, ck_fail);
	fflush(stdout);
	return ck_fail ? 1 : 0;
}

/* A fresh folder under /tmp, and its removal (one level of files). */
static char ck_tmp[64];

static inline const char *
tmpdir_make(const char *name)
{
	snprintf(ck_tmp, sizeof(ck_tmp), "/tmp/%s.XXXXXX", name);
	if (mkdtemp(ck_tmp) == NULL) {
		perror("mkdtemp");
		exit(2);
	}
	return ck_tmp;
}

/* Removes the files in the folder, then the folder (tests make no
 * subfolders). */
static inline void
tmpdir_remove(void)
{
	struct dirent *d;
	char p[sizeof(ck_tmp) + 258];
	DIR *dp;

	if (ck_tmp[0] == '\0')
		return;
	if ((dp = opendir(ck_tmp)) != NULL) {
		while ((d = readdir(dp)) != NULL) {
			if (strcmp(d->d_name, ".") == 0 ||
			    strcmp(d->d_name, "..") == 0)
				continue;
			snprintf(p, sizeof(p), "%s/%s", ck_tmp, d->d_name);
			unlink(p);
		}
		closedir(dp);
	}
	rmdir(ck_tmp);
	ck_tmp[0] = '\0';
}

/* Writes text to dir/name; returns the path in a static buffer. */
static inline const char *
tmpfile_write(const char *name, const char *text)
{
	static char p[1024];
	FILE *fp;

	snprintf(p, sizeof(p), "%s/%s", ck_tmp, name);
	if ((fp = fopen(p, "w")) == NULL) {
		perror(p);
		exit(2);
	}
	fputs(text, fp);
	fclose(fp);
	return p;
}

/* The whole file as a malloc'd string, NULL if it cannot be read. */
static inline char *
slurp(const char *path, size_t *lenp)
{
	FILE *fp = fopen(path, "rb");
	char *s = NULL;
	size_t cap = 0, len = 0, n;

	if (fp == NULL)
		return NULL;
	for (;;) {
		if (len + 4097 > cap) {
			cap = (len + 4097) * 2;
			s = realloc(s, cap);
		}
		n = fread(s + len, 1, cap - len - 1, fp);
		if (n == 0)
			break;
		len += n;
	}
	fclose(fp);
	s[len] = '\0';
	if (lenp != NULL)
		*lenp = len;
	return s;
}

static inline int
spit(const char *path, const char *buf, size_t len)
{
	FILE *fp = fopen(path, "wb");
	int rc = 0;

	if (fp == NULL)
		return -1;
	if (fwrite(buf, 1, len, fp) != len)
		rc = -1;
	if (fclose(fp) != 0)
		rc = -1;
	return rc;
}

#endif
