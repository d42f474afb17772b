/*
 * file.c: the one way denki writes a whole file (keys, exports): into a
 * new file beside it, synced, then put in place under the final name, so
 * that a reader or a crash sees the old file or the new, never half.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core.h"

/* A new file in path's folder, created with mode (less the umask, as
 * open does); its name in tmp, short whatever the length of path's. */
static int
open_beside(const char *path, mode_t mode, char *tmp, size_t len)
{
	static unsigned long count;
	const char *slash = strrchr(path, '/');
	int dirlen = slash != NULL ? (int)(slash - path) + 1 : 0;
	unsigned long r;
	int fd, tries;

	for (tries = 0; tries < 100; tries++) {
		r = (unsigned long)getpid() * 2654435761UL ^
		    (unsigned long)time(NULL) ^ ++count * 40503UL;
		if ((size_t)snprintf(tmp, len, "%.*s.denki-%06lx.tmp", dirlen,
		    path, r & 0xffffff) >= len) {
			errno = ENAMETOOLONG;
			return -1;
		}
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, mode);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	return -1;
}

static int
write_all(int fd, const char *buf, size_t n)
{
	size_t off = 0;
	ssize_t w;

	while (off < n) {
		w = write(fd, buf + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		off += w;
	}
	return 0;
}

/* tmp renamed to path only if nothing has that name: no overwrite
 * without -f, even in a race.  Where the file system cannot, link(2)
 * does the same. */
static int
put_new(const char *tmp, const char *path)
{
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
		return -1;
	if (link(tmp, path) < 0)
		return -1;
	unlink(tmp);
	return 0;
}

/* The folder's entry of the new name on disk too. */
static void
sync_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char dir[4096];
	int fd;

	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if ((size_t)(slash - path) >= sizeof(dir))
		return;
	else
		snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 :
		    (int)(slash - path), path);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return;
	fsync(fd);
	close(fd);
}

/*
 * Writes n bytes of buf as the file path, mode mode (less the umask).
 * An existing file (or link, or anything else) at path is an error,
 * "exists; -f overwrites it", unless flags has DK_FILE_FORCE: then it is
 * replaced in one step.  Nothing is left behind on failure; a file that
 * was there stays as it was.  Errors: DK_EX_CANTCREAT when the file
 * cannot be made, DK_EX_IOERR when the bytes cannot be written.
 */
int
dk_file_write(const char *path, const void *buf, size_t n, mode_t mode,
    int flags, struct dk_err *e)
{
	char tmp[4200];
	int fd, err;

	if ((fd = open_beside(path, mode, tmp, sizeof(tmp))) < 0)
		return dk_fail(e, DK_EX_CANTCREAT, "%s: %s", path,
		    strerror(errno));
	if (write_all(fd, buf, n) < 0 || fsync(fd) < 0) {
		err = errno;
		close(fd);
		unlink(tmp);
		return dk_fail(e, DK_EX_IOERR, "%s: %s", path, strerror(err));
	}
	if (close(fd) < 0) {
		err = errno;
		unlink(tmp);
		return dk_fail(e, DK_EX_IOERR, "%s: %s", path, strerror(err));
	}
	if (flags & DK_FILE_FORCE ? rename(tmp, path) < 0 :
	    put_new(tmp, path) < 0) {
		err = errno;
		unlink(tmp);
		if (err == EEXIST)
			return dk_fail(e, DK_EX_CANTCREAT,
			    "%s: exists; -f overwrites it", path);
		return dk_fail(e, DK_EX_CANTCREAT, "%s: %s", path,
		    strerror(err));
	}
	sync_dir(path);
	return 0;
}
