/*
 * keyenc.c: secret keys at rest under a passphrase, as minisign keeps them:
 * the passphrase (from a file descriptor or the terminal, never argv) and
 * the scrypt stream minisign XORs over key number, secret key and checksum.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "crypto.h"

/* one line of at most cap-1 bytes from fd, its line end dropped */
static int
read_line(int fd, char *buf, size_t cap, const char *what, struct dk_err *e)
{
	size_t n = 0;
	ssize_t r;
	char c;

	for (;;) {
		r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			sodium_memzero(buf, cap);
			return dk_fail(e, DK_EX_DATAERR, "passphrase: %s: %s",
			    what, strerror(errno));
		}
		if (r == 0 || c == '\n')
			break;
		if (n == cap - 1) {
			sodium_memzero(buf, cap);
			return dk_fail(e, DK_EX_DATAERR, "passphrase: %s: "
			    "longer than %zu bytes", what, cap - 1);
		}
		buf[n++] = c;
	}
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	return 0;
}

/*
 * Reads a passphrase into buf (cap bytes, sodium_malloc'd by the caller):
 * the first line of what file descriptor fd gives, or, when fd is -1, a
 * line typed on the terminal without echo after prompt.  Returns -2 when
 * fd is -1 and there is no terminal, -1 on another error.
 */
int
dk_pass_read(int fd, const char *prompt, char *buf, size_t cap,
    struct dk_err *e)
{
	struct termios old, quiet;
	char what[32];
	int tty, echo_off = 0, rc;

	if (fd >= 0) {
		snprintf(what, sizeof(what), "file descriptor %d", fd);
		return read_line(fd, buf, cap, what, e);
	}
	if ((tty = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
		dk_fail(e, DK_EX_DATAERR, "passphrase: no terminal to ask "
		    "on (/dev/tty: %s)", strerror(errno));
		return -2;
	}
	if (tcgetattr(tty, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
		echo_off = tcsetattr(tty, TCSAFLUSH, &quiet) == 0;
	}
	if (write(tty, prompt, strlen(prompt)) < 0) {
		/* the prompt is a courtesy */
	}
	rc = read_line(tty, buf, cap, "/dev/tty", e);
	if (echo_off)
		tcsetattr(tty, TCSAFLUSH, &old);
	if (write(tty, "\n", 1) < 0) {
		/* so is the line end */
	}
	close(tty);
	return rc;
}

/*
 * XORs over the n bytes at buf the first n bytes of scrypt (libsodium's
 * crypto_pwhash_scryptsalsa208sha256) of pass with salt and the limits:
 * minisign's encryption, and its decryption.  Limits above minisign's
 * (libsodium's "sensitive" ones) are refused: a key file must not make
 * denki reserve memory without bound.
 */
int
dk_scrypt_xor(unsigned char *buf, size_t n, const char *pass,
    const unsigned char salt[32], unsigned long long ops,
    unsigned long long mem, struct dk_err *e)
{
	unsigned char *stream;
	size_t i;

	if (ops > crypto_pwhash_scryptsalsa208sha256_OPSLIMIT_SENSITIVE ||
	    mem > crypto_pwhash_scryptsalsa208sha256_MEMLIMIT_SENSITIVE)
		return dk_fail(e, DK_EX_DATAERR, "scrypt limits %llu, %llu: "
		    "above minisign's %llu, %llu", ops, mem,
		    (unsigned long long)
		    crypto_pwhash_scryptsalsa208sha256_OPSLIMIT_SENSITIVE,
		    (unsigned long long)
		    crypto_pwhash_scryptsalsa208sha256_MEMLIMIT_SENSITIVE);
	if ((stream = sodium_malloc(n)) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of secure memory");
	if (crypto_pwhash_scryptsalsa208sha256(stream, n, pass, strlen(pass),
	    salt, ops, (size_t)mem) != 0) {
		sodium_free(stream);
		return dk_fail(e, DK_EX_SOFTWARE, "scrypt failed (out of "
		    "memory? it needs %llu bytes)", mem);
	}
	for (i = 0; i < n; i++)
		buf[i] ^= stream[i];
	sodium_free(stream);	/* wipes it */
	return 0;
}
