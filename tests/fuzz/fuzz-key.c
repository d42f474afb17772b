/*
 * Key files (minisign's layout): the input as a public key file and as a
 * secret key file (a memfd of mode 0600), and its text as a bare base64
 * key and as a C2SP verifier key.  An encrypted secret key gets the
 * empty passphrase of /dev/null (DENKI_PASSFD): refused before any scrypt,
 * and never a prompt on the fuzzer's terminal.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	struct dk_err e = { 0 };
	struct dk_key k;
	struct dk_vkey vk;
	char path[64], *s;
	int fd;

	if (!init) {
		char nfd[16];

		FZ_ASSERT(dk_init(&e) == 0);
		snprintf(nfd, sizeof(nfd), "%d", open("/dev/null", O_RDONLY));
		FZ_ASSERT(setenv("DENKI_PASSFD", nfd, 1) == 0);
		init = 1;
	}
	fd = fz_file(data, size, path, sizeof(path));
	memset(&k, 0, sizeof(k));
	if (dk_key_read_pub(&k, path, &e) == 0)
		dk_key_free(&k);
	memset(&k, 0, sizeof(k));
	if (dk_key_read_sec(&k, path, &e) == 0)
		dk_key_free(&k);
	close(fd);
	s = fz_str(data, size);
	memset(&k, 0, sizeof(k));
	if (dk_key_from_b64(&k, s, &e) == 0)
		dk_key_free(&k);
	dk_vkey_parse(s, &vk, &e);
	free(s);
	return 0;
}
