/*
 * Unit tests for the exit-status table (lib/core/core.h, dk_exit_text in
 * lib/core/err.c).  With the argument "table" it prints the table instead, a
 * line "NUMBER<TAB>MEANING" per status, for tests/exit-status.bats to hold
 * denki(7) and every page's EXIT STATUS equal to it.  Also dk_stdout_null
 * (err.c).
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "denki.h"
#include "check.h"

int
main(int argc, char *argv[])
{
	int i, n = 0;

	if (argc == 2 && strcmp(argv[1], "table") == 0) {
		for (i = 0; i < 256; i++)
			if (dk_exit_text(i) != NULL)
				printf("%d\t%s\n", i, dk_exit_text(i));
		return 0;
	}
	/* the sysexits numbers, under their names */
	CHECK(DK_EX_OK == 0 && DK_EX_NO == 1 && DK_EX_USAGE == 64 &&
	    DK_EX_DATAERR == 65 && DK_EX_NOINPUT == 66 &&
	    DK_EX_UNAVAILABLE == 69 && DK_EX_SOFTWARE == 70 &&
	    DK_EX_CANTCREAT == 73 && DK_EX_IOERR == 74 &&
	    DK_EX_TEMPFAIL == 75 && DK_EX_NOPERM == 77 && DK_EX_CONFIG == 78);
	CHECK(strcmp(dk_exit_text(DK_EX_OK), "ok") == 0);
	CHECK(strcmp(dk_exit_text(DK_EX_NO), "the answer is no") == 0);
	CHECK(strcmp(dk_exit_text(DK_EX_DATAERR), "bad input data") == 0);
	CHECK(strcmp(dk_exit_text(DK_EX_IOERR), "I/O error") == 0);
	CHECK(strcmp(dk_exit_text(DK_EX_CONFIG), "bad configuration") == 0);
	/* twelve statuses, each with a one-line meaning; nothing else */
	for (i = -1; i < 300; i++) {
		const char *t = dk_exit_text(i);
		if (t == NULL)
			continue;
		n++;
		CHECKF(*t != '\0' && strchr(t, '\n') == NULL &&
		    t[strlen(t) - 1] != '.', "%d: \"%s\"", i, t);
	}
	CHECKF(n == 12, "%d statuses", n);
	CHECK(dk_exit_text(2) == NULL && dk_exit_text(67) == NULL &&
	    dk_exit_text(-1) == NULL && dk_exit_text(255) == NULL);
	/* dk_stdout_null: the device /dev/null, not another device, not a
	 * pipe */
	{
		int keep = dup(1), fd, p[2], a, b, c;

		fflush(stdout);
		fd = open("/dev/null", O_WRONLY);
		dup2(fd, 1);
		close(fd);
		a = dk_stdout_null();
		fd = open("/dev/zero", O_WRONLY);
		dup2(fd, 1);
		close(fd);
		b = dk_stdout_null();
		if (pipe(p) == 0) {
			dup2(p[1], 1);
			close(p[0]);
			close(p[1]);
		}
		c = dk_stdout_null();
		dup2(keep, 1);
		close(keep);
		CHECK(a == 1 && b == 0 && c == 0);
	}
	return check_done("test-exit");
}
