/*
 * ledger-impl.h: what the files of the ledger share inside the ledger
 * layer (ledger.c appends, ledger-scan.c reads, ledger-cp.c checks the
 * genesis and checkpoint entries); programs use ledger.h.
 */
#ifndef DK_LEDGER_IMPL_H
#define DK_LEDGER_IMPL_H

#include <stdio.h>

#include "ledger.h"

/* ledger-cp.c */
int dk_ledger_cp_open(struct dk_scaninfo *, const unsigned char *oppk,
    json_t *rec, long long seq, struct dk_checkpoint *, struct dk_err *);
int dk_ledger_cp_check(struct dk_scaninfo *, const unsigned char *oppk,
    json_t *rec, long long seq, struct dk_err *);
int dk_ledger_cp_check_form(struct dk_scaninfo *, const unsigned char *oppk,
    json_t *rec, long long seq, struct dk_err *);
int dk_ledger_note_check(struct dk_scaninfo *, const unsigned char *oppk,
    struct dk_err *);
int dk_ledger_genesis_check(struct dk_scaninfo *, const unsigned char *oppk,
    json_t *rec, struct dk_err *);

/* ledger-scan.c */
int dk_ledger_scan_fp(FILE *, const char *name, const unsigned char *oppk,
    dk_entry_fn, void *ctx, char prev[65], long long *next,
    struct dk_scaninfo *, struct dk_err *);
int dk_ledger_scan_plain(FILE *, const char *name, const unsigned char *oppk,
    dk_entry_fn, void *ctx, char prev[65], long long *next,
    struct dk_scaninfo *, struct dk_err *);
int dk_scaninfo_leaf(struct dk_scaninfo *, const unsigned char leaf[32],
    struct dk_err *);

/* state.c */

/* state-cache.c; a writer that opened the ledger through the cache
 * keeps it up to date with what it appends (dk_scache_w_*) */
int dk_scache_scan(FILE *, const char *name, const unsigned char *oppk,
    struct dk_scache *, char prev[65], long long *next,
    struct dk_scaninfo *, struct dk_err *);
int dk_scache_w_add(struct dk_scache_w *, const struct dk_ledger *,
    json_t *rec, const char *text, size_t len);
int dk_scache_w_commit(struct dk_scache_w *, const struct dk_ledger *);
void dk_scache_w_free(struct dk_scache_w *);

#endif
