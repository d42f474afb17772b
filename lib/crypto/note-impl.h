/*
 * note-impl.h: what note.c (signed notes) shares with cosig.c (witness
 * cosignatures) inside the crypto layer: key ids and verifier keys of any
 * signature type, and a note's signature lines read one at a time.
 */
#ifndef DK_NOTE_IMPL_H
#define DK_NOTE_IMPL_H

#include "crypto.h"

#define DK_EMDASH "\xe2\x80\x94"
#define DK_SIG_ED25519	0x01	/* a log's signature (signed-note) */
#define DK_SIG_COSIG	0x04	/* a timestamped cosignature */
/* room for any signature line's bytes: an ML-DSA-44 cosignature (another
 * witness's) is 2432 */
#define DK_NOTESIG_MAX	4096

uint32_t dk_note_keyid(const char *name, unsigned char type,
    const unsigned char pk[32]);
int dk_note_name_ok(const char *s, size_t n);
int dk_note_vkey_make(const char *name, unsigned char type,
    const unsigned char pk[32], char *out, size_t n);
int dk_note_vkey_parse(const char *s, unsigned char type, struct dk_vkey *,
    struct dk_err *);
/* one signature line: its name, key id and bytes (key id first) */
struct dk_notesig {
	char name[256];
	uint32_t id;
	unsigned char raw[DK_NOTESIG_MAX];
	size_t len;
};
/* the next line at *p before end: 1 and *p moved past it, 0 at the end,
 * -1 with e filled when it is not a signature line */
int dk_note_sig_next(const char **p, const char *end, struct dk_notesig *,
    struct dk_err *);

#endif
