/* Unit tests for lib/core/file.c: a whole file written at once. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"
#include "check.h"

/* How many entries the test folder holds (no temporary left behind). */
static int
entries(void)
{
	struct dirent *d;
	DIR *dp = opendir(ck_tmp);
	int n = 0;

	if (dp == NULL)
		return -1;
	while ((d = readdir(dp)) != NULL)
		if (strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0)
			n++;
	closedir(dp);
	return n;
}

static mode_t
mode_of(const char *p)
{
	struct stat st;

	if (lstat(p, &st) < 0)
		return (mode_t)-1;
	return st.st_mode & 07777;
}

int
main(void)
{
	struct dk_err e = { 0 };
	char p[256], q[512], link[256], name[256], *s;
	size_t n;
	mode_t old;
	struct stat st;

	tmpdir_make("test-file");
	snprintf(p, sizeof(p), "%s/a.txt", ck_tmp);
	snprintf(q, sizeof(q), "%s/b.key", ck_tmp);
	snprintf(link, sizeof(link), "%s/c.lnk", ck_tmp);
	old = umask(022);

	/* a new file: the bytes, the mode, nothing else in the folder */
	CHECK_INT(dk_file_write(p, "one\n", 4, 0644, 0, &e), 0);
	s = slurp(p, &n);
	CHECK_STR(s, "one\n");
	CHECK_INT(n, 4);
	free(s);
	CHECK_INT(mode_of(p), 0644);
	CHECK_INT(entries(), 1);

	/* without DK_FILE_FORCE an existing file is left alone: 73 */
	CHECK_INT(dk_file_write(p, "two\n", 4, 0644, 0, &e), -1);
	CHECK_INT(e.status, DK_EX_CANTCREAT);
	CHECK_HAS(e.msg, "a.txt: exists; -f overwrites it");
	s = slurp(p, NULL);
	CHECK_STR(s, "one\n");
	free(s);
	CHECK_INT(entries(), 1);

	/* with it, the file is replaced, in the new mode */
	e.status = 0;
	CHECK_INT(dk_file_write(p, "three\n", 6, 0600, DK_FILE_FORCE, &e), 0);
	s = slurp(p, NULL);
	CHECK_STR(s, "three\n");
	free(s);
	CHECK_INT(mode_of(p), 0600);
	CHECK_INT(entries(), 1);

	/* the umask applies, as it does to open(2) */
	umask(077);
	CHECK_INT(dk_file_write(q, "k", 1, 0644, 0, &e), 0);
	CHECK_INT(mode_of(q), 0600);
	umask(022);

	/* a link at the name, even a dangling one, is not followed: it
	 * exists; -f replaces the link itself, its target untouched */
	CHECK(symlink(p, link) == 0);
	CHECK_INT(dk_file_write(link, "x", 1, 0644, 0, &e), -1);
	CHECK_HAS(e.msg, "c.lnk: exists; -f overwrites it");
	CHECK_INT(dk_file_write(link, "x", 1, 0644, DK_FILE_FORCE, &e), 0);
	CHECK(lstat(link, &st) == 0 && S_ISREG(st.st_mode));
	s = slurp(p, NULL);
	CHECK_STR(s, "three\n");
	free(s);
	s = slurp(link, NULL);
	CHECK_STR(s, "x");
	free(s);
	unlink(link);
	CHECK(symlink("nowhere", link) == 0);
	CHECK_INT(dk_file_write(link, "y", 1, 0644, 0, &e), -1);
	CHECK_INT(e.status, DK_EX_CANTCREAT);
	unlink(link);

	/* an empty file is a file */
	unlink(q);
	CHECK_INT(dk_file_write(q, "", 0, 0644, 0, &e), 0);
	s = slurp(q, &n);
	CHECK_INT(n, 0);
	free(s);

	/* a name as long as a name can be: the new file beside it is not
	 * named after it */
	memset(name, 'n', 255);
	name[255] = '\0';
	snprintf(q, sizeof(q), "%s/%s", ck_tmp, name);
	CHECK_INT(dk_file_write(q, "long", 4, 0644, 0, &e), 0);
	s = slurp(q, NULL);
	CHECK_STR(s, "long");
	free(s);
	unlink(q);

	/* a folder that is not there: 73 with the path and the reason */
	e.status = 0;
	snprintf(q, sizeof(q), "%s/no/such.txt", ck_tmp);
	CHECK_INT(dk_file_write(q, "z", 1, 0644, 0, &e), -1);
	CHECK_INT(e.status, DK_EX_CANTCREAT);
	CHECK_HAS(e.msg, "no/such.txt: No such file or directory");

	/* a folder at the name: not replaced, even with -f */
	snprintf(q, sizeof(q), "%s/d", ck_tmp);
	CHECK(mkdir(q, 0755) == 0);
	CHECK_INT(dk_file_write(q, "z", 1, 0644, DK_FILE_FORCE, &e), -1);
	CHECK_INT(e.status, DK_EX_CANTCREAT);
	CHECK_INT(dk_file_write(q, "z", 1, 0644, 0, &e), -1);
	CHECK_HAS(e.msg, "d: exists; -f overwrites it");
	rmdir(q);
	CHECK_INT(entries(), 2);

	umask(old);
	tmpdir_remove();
	return check_done("test-file");
}
