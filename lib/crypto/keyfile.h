/*
 * keyfile.h: the secret key file's layout (minisign's), shared inside the
 * crypto layer by sig.c (files) and keyenc.c (their encryption).
 */
#ifndef DK_KEYFILE_H
#define DK_KEYFILE_H

#include <sodium.h>

/* "Ed" kdf[2] "B2" salt[32] ops[8] mem[8] keynum[8] sk[64] chk[32] */
#define SECLEN 158
#define SK_KDFALG 2
#define SK_CHKALG 4
#define SK_SALT 6
#define SK_OPS 38
#define SK_MEM 46
#define SK_KEYNUM 54
#define SK_SK 62
#define SK_CHK 126

/* sig.c: minisign's checksum, BLAKE2b-256("Ed" || keynum || sk) */
void dk_seckey_chk(unsigned char chk[crypto_generichash_BYTES],
    const unsigned char *raw);
/* keyenc.c: encrypts a SECLEN-byte key in place (kdf "Sc", new salt), or
 * decrypts one with the passphrase from DENKI_PASSFD or the terminal */
int dk_seckey_encrypt(unsigned char *raw, const char *pass,
    unsigned long long ops, unsigned long long mem, struct dk_err *);
int dk_seckey_decrypt(unsigned char *raw, const char *path,
    const char *word, struct dk_err *);

#endif
