/*
 * lib/crypto/crypto.h: the map of the crypto layer.
 *
 * Keys (minisign layout), record signatures, C2SP signed notes and
 * checkpoints, witnesses' cosignatures, and signature checks on worker
 * threads. Above core.
 */
#ifndef DK_CRYPTO_H
#define DK_CRYPTO_H

#include <sodium.h>

#include "core/core.h"

/* sig.c: Ed25519 keys (minisign layout), record signatures, hashes */
struct dk_key {
	unsigned char keynum[8];
	unsigned char pk[32];
	unsigned char *sk;	/* sodium_malloc'd seed||pk, or NULL */
};
/* the longest untrusted comment minisign reads: line 1 and its newline
 * in 1023 bytes */
#define DK_KEY_COMMENTMAX 1003
int dk_init(struct dk_err *);
int dk_key_generate(struct dk_key *, struct dk_err *);
void dk_key_free(struct dk_key *);
int dk_key_write_pub(const struct dk_key *, const char *path,
    const char *comment, int force, struct dk_err *);
int dk_key_write_sec(const struct dk_key *, const char *path,
    const char *comment, int force, struct dk_err *);
/* as dk_key_write_sec, encrypted under pass as minisign -G does (scrypt
 * at minisign's limits); _kdf takes the limits (for tests) */
int dk_key_write_sec_pass(const struct dk_key *, const char *path,
    const char *comment, int force, const char *pass, struct dk_err *);
int dk_key_write_sec_kdf(const struct dk_key *, const char *path,
    const char *comment, int force, const char *pass,
    unsigned long long ops, unsigned long long mem, struct dk_err *);
int dk_key_read_pub(struct dk_key *, const char *path, struct dk_err *);
int dk_key_read_sec(struct dk_key *, const char *path, struct dk_err *);
char *dk_key_pub_b64(const struct dk_key *);
int dk_key_from_b64(struct dk_key *, const char *b64, struct dk_err *);
int dk_unb64(const char *s, size_t len, unsigned char *bin, size_t n);
int dk_sign_record(json_t *rec, const struct dk_key *, struct dk_err *);
#define DK_SIG_B64	89	/* base64 of 64 bytes, and its NUL */
void dk_sign_b64(const void *msg, size_t n, const struct dk_key *,
    char out[DK_SIG_B64]);
int dk_verify_record(json_t *rec, const unsigned char pk[32], struct dk_err *);
/* The one Ed25519 check of the library: 0 when sig is pk's signature of
 * the n bytes at msg, else -1. */
int dk_verify_bytes(const unsigned char sig[64], const void *msg, size_t n,
    const unsigned char pk[32]);
int dk_record_sig(json_t *rec, char **msg, size_t *len, unsigned char sig[64],
    struct dk_err *);
int dk_record_sig_text(json_t *rec, const char *text, size_t tlen,
    char **msg, size_t *len, unsigned char sig[64], struct dk_err *);
int dk_record_sig_cut(json_t *rec, const char *text, size_t tlen,
    size_t *off, size_t *cut, unsigned char sig[64], struct dk_err *);
void dk_sha256_hex(const void *, size_t, char out[65]);
/* sha256.c: SHA-256 of a prefix and data, or of bytes given in parts,
 * SHA-NI when the CPU has it (dk_sha256_hex's too); a public hash in
 * hex */
void dk_sha256_2(const void *a, size_t an, const void *b, size_t bn,
    unsigned char out[32]);
struct dk_sha256 {
	uint32_t h[8];		/* with SHA-NI: the state, */
	unsigned char buf[64];	/* the last block's bytes so far, */
	uint64_t total;		/* and the bytes hashed */
	crypto_hash_sha256_state sod;	/* without */
	int ni;
};
void dk_sha256_init(struct dk_sha256 *);
void dk_sha256_update(struct dk_sha256 *, const void *, size_t);
void dk_sha256_final(struct dk_sha256 *, unsigned char out[32]);
void dk_hash_hex(const unsigned char h[32], char hex[65]);
int dk_sha256_ni(int on);
char *dk_minisig(const void *msg, size_t len, const struct dk_key *,
    const char *untrusted, const char *trusted, struct dk_err *);

/* keyenc.c: passphrases (fd or terminal) and minisign's scrypt stream */
#define DK_PASSMAX 1024
int dk_pass_read(int fd, const char *prompt, char *buf, size_t cap,
    struct dk_err *);
int dk_scrypt_xor(unsigned char *buf, size_t n, const char *pass,
    const unsigned char salt[32], unsigned long long ops,
    unsigned long long mem, struct dk_err *);

/* note.c: C2SP signed notes and tlog checkpoints (Ed25519) */
struct dk_vkey {
	char name[256];
	uint32_t id;
	unsigned char pk[32];
};
struct dk_checkpoint {
	char origin[256];
	uint64_t size;
	unsigned char root[32];
	int64_t time;		/* its "time" extension line: Unix seconds;
				 * -1: none (a checkpoint of format 1) */
};
int dk_vkey_make(const char *name, const unsigned char pk[32], char *out,
    size_t n);
int dk_vkey_parse(const char *, struct dk_vkey *, struct dk_err *);
char *dk_note_sign(const char *text, const char *name, const struct dk_key *,
    struct dk_err *);
long dk_note_text(const char *note, size_t len, struct dk_err *);
long dk_note_open(const char *note, size_t len, const struct dk_vkey *keys,
    size_t nkeys, struct dk_err *);
int dk_checkpoint_parse(const char *text, size_t len, struct dk_checkpoint *,
    struct dk_err *);
char *dk_checkpoint_text(const char *origin, uint64_t size,
    const unsigned char root[32], int64_t time);

/* cosig.c: C2SP tlog-cosignature/v1, a witness's timestamped Ed25519
 * cosignature (signature type 0x04) of a checkpoint note's text */
int dk_cosig_vkey_make(const char *name, const unsigned char pk[32],
    char *out, size_t n);
int dk_cosig_vkey_parse(const char *, struct dk_vkey *, struct dk_err *);
char *dk_cosig_sign(const char *text, size_t len, const char *name,
    const struct dk_key *, uint64_t t, struct dk_err *);
int dk_cosig_find(const char *note, size_t len, const struct dk_vkey *,
    uint64_t *t, struct dk_err *);

/* pool.c: signature checks on worker threads */
struct dk_pool;
struct dk_pool *dk_pool_new(int threads);
int dk_pool_add(struct dk_pool *, long long seq, long line, char *msg,
    size_t len, const unsigned char sig[64], const unsigned char pk[32],
    const char *what);
int dk_pool_finish(struct dk_pool *, const char *name, long long *bad_seq,
    struct dk_err *);
long long dk_pool_checked(struct dk_pool *);
void dk_pool_free(struct dk_pool *);

/* ahead.c: records' signatures checked ahead on worker threads, then
 * taken as checked by dk_verify_record_ahead (all good, or none) */
void dk_ahead_add(json_t *rec, const unsigned char pk[32], int threads);
void dk_ahead_add_msg(json_t *rec, char *msg, size_t n,
    const unsigned char sig[64], const unsigned char pk[32], int threads);
void dk_ahead_add_key(const char *line, char *msg, size_t n,
    const unsigned char sig[64], const unsigned char pk[32], int threads);
void dk_ahead_done(void);
void dk_ahead_forget(void);
int dk_ahead_good(const void *at, const unsigned char pk[32]);
int dk_verify_record_ahead(json_t *rec, const unsigned char pk[32],
    struct dk_err *);

/* sig.c: a key named by a setting of the configuration */
int dk_conf_key(const struct dk_conf *, const char *key, int secret,
    struct dk_key *, struct dk_err *);

#endif
