/* C2SP signed notes: the vectors of tests/fixtures/note verify, each
 * one-byte change of them is rejected, and signing reproduces them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "denki.h"

static int pass, failed;

#define CHECK(c, ...) do { if (c) pass++; else { failed++; \
	fprintf(stderr, "test-note:%d: ", __LINE__); \
	fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } } while (0)

static void
one(const char *vkey, const char *note, size_t n)
{
	struct dk_vkey k, other;
	struct dk_err e;
	struct dk_checkpoint c;
	char *m = malloc(n + 1);
	size_t i, rejected = 0;
	long tl;

	CHECK(dk_vkey_parse(vkey, &k, &e) == 0, "vkey %s: %s", vkey, e.msg);
	tl = dk_note_open(note, n, &k, 1, &e);
	CHECK(tl > 0, "note by %s: %s", k.name, e.msg);
	for (i = 0; i < n; i++) {
		memcpy(m, note, n);
		m[i] = m[i] == 'A' ? 'B' : 'A';
		if (dk_note_open(m, n, &k, 1, &e) < 0)
			rejected++;
		else
			fprintf(stderr, "accepted with byte %zu changed\n", i);
	}
	CHECK(rejected == n, "%s: %zu of %zu one-byte changes rejected",
	    k.name, rejected, n);
	/* truncated, and signed by nobody we know */
	CHECK(dk_note_open(note, n - 1, &k, 1, &e) < 0, "truncated");
	other = k;
	other.pk[0] ^= 1;
	CHECK(dk_note_open(note, n, &other, 1, &e) < 0, "wrong key");
	other = k;
	other.id ^= 1;
	CHECK(dk_note_open(note, n, &other, 1, &e) < 0, "unknown key id");
	if (strstr(note, "coop-ledger") != NULL) {
		CHECK(dk_checkpoint_parse(note, tl, &c, &e) == 0 &&
		    c.size == 8 && strcmp(c.origin, "example.org/coop-ledger")
		    == 0, "checkpoint parse: %s", e.msg);
	}
	free(m);
}

int
main(int argc, char *argv[])
{
	const char *path = argc > 1 ? argv[1] :
	    "tests/fixtures/note/signed-note-vectors.txt";
	char line[1024], vkey[1100] = "", note[4096], *s;
	size_t n = 0;
	int in = 0, notes = 0;
	struct dk_key k;
	struct dk_err e;
	unsigned char seed[32], sk[64];
	char vk[512];
	FILE *fp;

	if (sodium_init() < 0)
		return 70;
	if ((fp = fopen(path, "r")) == NULL) {
		perror(path);
		return 66;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (in) {
			if (strcmp(line, "END\n") == 0) {
				one(vkey, note, n);
				notes++;
				in = 0;
				continue;
			}
			memcpy(note + n, line, strlen(line));
			n += strlen(line);
		} else if (strncmp(line, "VKEY ", 5) == 0) {
			snprintf(vkey, sizeof(vkey), "%s", line + 5);
			vkey[strcspn(vkey, "\n")] = '\0';
		} else if (strcmp(line, "BEGIN\n") == 0) {
			in = 1;
			n = 0;
		}
	}
	fclose(fp);
	CHECK(notes == 3, "read %d notes, want 3", notes);

	/* Ed25519 is deterministic: the project's checkpoint (seed 00..1f)
	 * signs to the same bytes. */
	for (n = 0; n < 32; n++)
		seed[n] = (unsigned char)n;
	memset(&k, 0, sizeof(k));
	k.sk = sk;
	crypto_sign_seed_keypair(k.pk, sk, seed);
	CHECK(dk_vkey_make("example.org/coop-ledger", k.pk, vk, sizeof(vk)) ==
	    0 && strcmp(vk, "example.org/coop-ledger+22a77fad+AQOhB7/zzhC+"
	    "HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4") == 0, "vkey: %s", vk);
	s = dk_note_sign("example.org/coop-ledger\n8\n"
	    "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",
	    "example.org/coop-ledger", &k, &e);
	CHECK(s != NULL && strstr(s, "Iqd/rbbWddauHYPXd1+uOA1bsesjyK6RnPsfe/"
	    "fcVcjS+fAnKNqUnHR4cHsxvLSJZZAqUmQ82YcWQuxjpI90PiQhtQI=\n") != NULL,
	    "signature reproduced");
	free(s);

	/* the time extension line: made and read; none is -1; a bad one,
	 * or a second, is refused; other extension lines are skipped */
	{
		static const char *bad[] = { "time \n", "time 01\n",
		    "time 1x\n", "time -1\n", "time 9007199254740992\n",
		    "time 1\ntime 2\n" };
		struct dk_checkpoint c;
		unsigned char root[32] = { 0 };
		char *t, buf[256];
		size_t i;

		t = dk_checkpoint_text("o.example", 7, root, 1767261900);
		CHECK(t != NULL && strstr(t, "\ntime 1767261900\n") != NULL &&
		    dk_checkpoint_parse(t, strlen(t), &c, &e) == 0 &&
		    c.time == 1767261900 && c.size == 7, "time line");
		free(t);
		t = dk_checkpoint_text("o.example", 7, root, -1);
		CHECK(t != NULL && strstr(t, "time") == NULL &&
		    dk_checkpoint_parse(t, strlen(t), &c, &e) == 0 &&
		    c.time == -1, "no time line");
		snprintf(buf, sizeof(buf), "%sother ext\ntime 5\n\n"
		    "\xe2\x80\x94 x AAAA\n", t);
		CHECK(dk_checkpoint_parse(buf, strlen(buf), &c, &e) == 0 &&
		    c.time == 5, "time after another extension line");
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			snprintf(buf, sizeof(buf), "%s%s", t, bad[i]);
			CHECK(dk_checkpoint_parse(buf, strlen(buf), &c, &e) < 0,
			    "bad time line %zu refused", i);
		}
		free(t);
	}
	printf("test-note: %d passed, %d failed\n", pass, failed);
	return failed ? 1 : 0;
}
