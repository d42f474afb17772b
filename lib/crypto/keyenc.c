/*
 * keyenc.c: secret keys at rest under a passphrase, as minisign keeps them:
 * the passphrase (from a file descriptor or the terminal, never argv) and
 * the scrypt stream minisign XORs over key number, secret key and checksum.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "crypto.h"
#include "keyfile.h"

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
 * While echo is off: a signal that ends or stops the program (Ctrl-C,
 * Ctrl-\, Ctrl-Z, a hangup, a kill) first gives the terminal its echo
 * back, then does what it would have done.
 */
static const int quiet_sigs[] = { SIGINT, SIGQUIT, SIGTSTP, SIGTERM, SIGHUP };
#define NQUIET (sizeof(quiet_sigs) / sizeof(quiet_sigs[0]))
static int quiet_tty = -1;
static struct termios quiet_old;
static struct sigaction quiet_prev[NQUIET];

static void
quiet_restore(int sig)
{
	size_t i;

	if (quiet_tty >= 0)
		tcsetattr(quiet_tty, TCSAFLUSH, &quiet_old);
	for (i = 0; i < NQUIET; i++)
		if (quiet_sigs[i] == sig)
			sigaction(sig, &quiet_prev[i], NULL);
	raise(sig);
}

static void
quiet_catch(int tty, const struct termios *old)
{
	struct sigaction sa;
	size_t i;

	quiet_tty = tty;
	quiet_old = *old;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = quiet_restore;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESETHAND;
	for (i = 0; i < NQUIET; i++)
		sigaction(quiet_sigs[i], &sa, &quiet_prev[i]);
}

static void
quiet_release(void)
{
	size_t i;

	for (i = 0; i < NQUIET; i++)
		sigaction(quiet_sigs[i], &quiet_prev[i], NULL);
	quiet_tty = -1;
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
		quiet_catch(tty, &old);
		echo_off = tcsetattr(tty, TCSAFLUSH, &quiet) == 0;
		if (!echo_off)
			quiet_release();
	}
	if (write(tty, prompt, strlen(prompt)) < 0) {
		/* the prompt is a courtesy */
	}
	rc = read_line(tty, buf, cap, "/dev/tty", e);
	if (echo_off) {
		tcsetattr(tty, TCSAFLUSH, &old);
		quiet_release();
	}
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

static void
le64_put(unsigned char *p, unsigned long long v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static unsigned long long
le64_get(const unsigned char *p)
{
	unsigned long long v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* Encrypts, in place, the SECLEN bytes at raw as minisign -G does. */
int
dk_seckey_encrypt(unsigned char *raw, const char *pass,
    unsigned long long ops, unsigned long long mem, struct dk_err *e)
{
	memcpy(raw + SK_KDFALG, "Sc", 2);
	randombytes_buf(raw + SK_SALT, 32);
	le64_put(raw + SK_OPS, ops);
	le64_put(raw + SK_MEM, mem);
	return dk_scrypt_xor(raw + SK_KEYNUM, SECLEN - SK_KEYNUM, pass,
	    raw + SK_SALT, ops, mem, e);
}

/*
 * Decrypts, in place (the SECLEN bytes at raw), a secret key encrypted as
 * minisign does (kdf "Sc"), with the passphrase from the file descriptor
 * DENKI_PASSFD names, else from the terminal.  The checksum tells a wrong
 * passphrase; word is the path as a shell word, for the message.
 */
int
dk_seckey_decrypt(unsigned char *raw, const char *path, const char *word,
    struct dk_err *e)
{
	unsigned char chk[crypto_generichash_BYTES];
	const char *v = getenv("DENKI_PASSFD");
	char *pass, *end, prompt[600];
	long fd = -1;
	int rc;

	if (v != NULL) {
		errno = 0;
		fd = strtol(v, &end, 10);
		if (*v == '\0' || *end != '\0' || errno != 0 || fd < 0 ||
		    fd > 1000000)
			return dk_fail(e, DK_EX_DATAERR, "DENKI_PASSFD: must "
			    "be the number of a file descriptor, got \"%.40s\"",
			    v);
	}
	if ((pass = sodium_malloc(DK_PASSMAX)) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of secure memory");
	snprintf(prompt, sizeof(prompt), "Passphrase for %s: ", path);
	rc = dk_pass_read((int)fd, prompt, pass, DK_PASSMAX, e);
	if (rc == -2)
		dk_fail(e, DK_EX_DATAERR, "%s: the key is encrypted with a "
		    "password and there is no terminal to ask for it: give "
		    "it on a file descriptor named by DENKI_PASSFD (e.g. "
		    "DENKI_PASSFD=3 ... 3<pass.txt), or remove the password "
		    "with minisign -C -W -s %s", path, word);
	else if (rc == 0 && *pass == '\0')
		rc = dk_fail(e, DK_EX_DATAERR, "%s: the passphrase is empty",
		    path);
	else if ((rc == 0 && dk_scrypt_xor(raw + SK_KEYNUM,
	    SECLEN - SK_KEYNUM, pass, raw + SK_SALT, le64_get(raw + SK_OPS),
	    le64_get(raw + SK_MEM), e) < 0) || rc < 0)
		rc = dk_failpre(e, "%s", path);
	sodium_free(pass);
	if (rc < 0)
		return -1;
	dk_seckey_chk(chk, raw);
	rc = sodium_memcmp(chk, raw + SK_CHK, sizeof(chk));
	sodium_memzero(chk, sizeof(chk));
	if (rc != 0)
		return dk_fail(e, DK_EX_DATAERR, "%s: wrong passphrase: the "
		    "decrypted key does not match its checksum", path);
	return 0;
}
