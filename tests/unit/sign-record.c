/* Test helper: signs each JSON line on stdin with a key, as a participant's
 * software would ("sig" over the canonical record without "sig"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "denki.h"

int
main(int argc, char *argv[])
{
	struct dk_err e = { 0 };
	struct dk_key k;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	json_error_t je;
	json_t *v;

	if (argc != 2) {
		fprintf(stderr, "usage: sign-record keyfile <records\n");
		return 64;
	}
	if (dk_init(&e) < 0 || dk_key_read_sec(&k, argv[1], &e) < 0) {
		fprintf(stderr, "sign-record: %s\n", e.msg);
		return e.status;
	}
	while ((n = getline(&line, &cap, stdin)) > 0) {
		v = json_loadb(line, n, 0, &je);
		if (v == NULL || dk_sign_record(v, &k, &e) < 0) {
			fprintf(stderr, "sign-record: bad line\n");
			return 65;
		}
		dk_emit(stdout, v);
		json_decref(v);
	}
	free(line);
	dk_key_free(&k);
	return 0;
}
