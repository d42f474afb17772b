/*
 * The harnesses of tests/fuzz/ as plain programs: each file named is read
 * and given to LLVMFuzzerTestOneInput once, as libFuzzer would.  `make
 * check` replays the seed corpora and every input that ever crashed
 * (tests/fuzz/regress/) this way, built with the normal compiler, so that
 * no machine without libFuzzer goes without them.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
main(int argc, char *argv[])
{
	int i;

	for (i = 1; i < argc; i++) {
		FILE *fp = fopen(argv[i], "rb");
		uint8_t *buf = NULL, *exact;
		size_t n = 0, cap = 0, got;

		if (fp == NULL) {
			fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
			return 66;
		}
		do {
			if (n == cap) {
				cap = cap ? cap * 2 : 4096;
				if ((buf = realloc(buf, cap)) == NULL) {
					fprintf(stderr, "out of memory\n");
					return 70;
				}
			}
			got = fread(buf + n, 1, cap - n, fp);
			n += got;
		} while (got > 0);
		if (ferror(fp)) {
			fprintf(stderr, "%s: read error\n", argv[i]);
			return 74;
		}
		fclose(fp);
		/* exactly n bytes, as libFuzzer gives them, so that ASan
		 * sees a read past the input */
		if ((exact = malloc(n ? n : 1)) == NULL) {
			fprintf(stderr, "out of memory\n");
			return 70;
		}
		memcpy(exact, buf, n);
		free(buf);
		LLVMFuzzerTestOneInput(exact, n);
		free(exact);
	}
	return 0;
}
