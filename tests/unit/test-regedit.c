/* Unit tests for lib/ledger/regedit.c: the participant record of each
 * change denki-registry makes, and the record that lists a participant. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "denki.h"
#include "check.h"

static struct dk_registry reg;
static struct dk_err e;

/* A key file in the test folder; its base64 in b64 (64 bytes). */
static const char *
keyfile(const char *name, char *b64)
{
	static char p[4][256];
	static int n;
	struct dk_key k;
	char *s;

	n = (n + 1) % 4;
	snprintf(p[n], sizeof(p[n]), "%s/%s.pub", ck_tmp, name);
	CHECK_INT(dk_key_generate(&k, &e), 0);
	CHECK_INT(dk_key_write_pub(&k, p[n], "test", 0, &e), 0);
	s = dk_key_pub_b64(&k);
	snprintf(b64, 64, "%s", s);
	free(s);
	dk_key_free(&k);
	return p[n];
}

/* The change made, applied to the registry; its canonical text, or the
 * message when it is refused. */
static char *
edit(const struct dk_regedit *x)
{
	json_t *rec;
	char *s;

	memset(&e, 0, sizeof(e));
	if ((rec = dk_registry_edit(&reg, x, &e)) == NULL)
		return strdup(e.msg);
	CHECK_INT(dk_participant_check(rec, &e), 0);
	CHECK_INT(dk_registry_apply(&reg, rec, &e), 0);
	s = dk_canon(rec);
	json_decref(rec);
	return s;
}

/* limits kept (-2), or given: EDITL names both */
#define EDIT(...) EDITL(.max_wh = -2, .max_day = -2, __VA_ARGS__)
#define EDITL(...) (free(s), s = edit(&(struct dk_regedit){ __VA_ARGS__ }))

int
main(void)
{
	char ka[64], kb[64], km[64], km2[64], want[1024];
	const char *fa, *fb, *fm, *fm2;
	char *meters[] = { "m1", "m2" }, *one[] = { "m2" };
	char *mk[2], mkbuf[2][300];
	char *s = NULL;
	json_t *rec;

	CHECK_INT(dk_init(&e), 0);
	tmpdir_make("test-regedit");
	fa = keyfile("alice", ka);
	fb = keyfile("bob", kb);
	fm = keyfile("m1", km);
	fm2 = keyfile("m2", km2);

	/* add: the defaults, then what is given */
	EDIT(.cmd = "add", .id = "alice", .keyf = fa);
	snprintf(want, sizeof(want), "{\"id\":\"alice\",\"key\":\"%s\","
	    "\"meters\":[],\"role\":\"prosumer\",\"status\":\"active\","
	    "\"type\":\"participant\",\"v\":1,\"zone\":\"main\"}", ka);
	CHECK_STR(s, want);
	snprintf(mkbuf[0], sizeof(mkbuf[0]), "m1=%s", fm);
	mk[0] = mkbuf[0];
	EDITL(.cmd = "add", .id = "bob", .keyf = fb, .zone = "north",
	    .role = "consumer", .meters = meters, .nmeters = 2, .mkeys = mk,
	    .nmkeys = 1, .max_wh = 5000, .max_day = 0);
	snprintf(want, sizeof(want), "{\"id\":\"bob\",\"key\":\"%s\","
	    "\"max_day\":0,\"max_wh\":5000,\"meter_keys\":[{\"key\":\"%s\","
	    "\"meter\":\"m1\"}],\"meters\":[\"m1\",\"m2\"],\"role\":"
	    "\"consumer\",\"status\":\"active\",\"type\":\"participant\","
	    "\"v\":1,\"zone\":\"north\"}", kb, km);
	CHECK_STR(s, want);

	/* what the registry lists is the record that made it */
	rec = dk_participant_json(dk_registry_find(&reg, "bob"));
	free(s);
	s = dk_canon(rec);
	json_decref(rec);
	CHECK_STR(s, want);

	/* refusals: the message and the status */
	EDIT(.cmd = "add", .id = "alice", .keyf = fb);
	CHECK_STR(s, "alice: already registered; use update");
	CHECK_INT(e.status, DK_EX_DATAERR);
	EDIT(.cmd = "update", .id = "carol");
	CHECK_STR(s, "carol: not registered");
	EDIT(.cmd = "reinstate", .id = "alice");
	CHECK_STR(s, "alice: not revoked");
	EDIT(.cmd = "update", .id = "alice", .mkeys = mk, .nmkeys = 1);
	CHECK_STR(s, "-M m1: not one of alice's meters (-m)");
	CHECK_INT(e.status, DK_EX_USAGE);
	snprintf(mkbuf[1], sizeof(mkbuf[1]), "m2=%s/none.pub", ck_tmp);
	mk[1] = mkbuf[1];
	EDIT(.cmd = "update", .id = "bob", .mkeys = mk + 1, .nmkeys = 1);
	CHECK(strncmp(s, "-M m2: ", 7) == 0);
	CHECK_HAS(s, "none.pub");
	EDIT(.cmd = "add", .id = "carol", .keyf = "/nonexistent/k.pub");
	CHECK_HAS(s, "/nonexistent/k.pub");

	/* update keeps what it is not given: zone, role, meters, their
	 * keys, limits; -M adds a meter's key; -w none drops a limit */
	snprintf(mkbuf[1], sizeof(mkbuf[1]), "m2=%s", fm2);
	EDITL(.cmd = "update", .id = "bob", .mkeys = mk + 1, .nmkeys = 1,
	    .max_wh = -1, .max_day = -2);
	snprintf(want, sizeof(want), "{\"id\":\"bob\",\"key\":\"%s\","
	    "\"max_day\":0,\"meter_keys\":[{\"key\":\"%s\",\"meter\":\"m1\"},"
	    "{\"key\":\"%s\",\"meter\":\"m2\"}],\"meters\":[\"m1\",\"m2\"],"
	    "\"role\":\"consumer\",\"status\":\"active\",\"type\":"
	    "\"participant\",\"v\":1,\"zone\":\"north\"}", kb, km, km2);
	CHECK_STR(s, want);
	/* -m replaces the meters; the keys of meters gone go with them */
	EDIT(.cmd = "update", .id = "bob", .meters = one, .nmeters = 1);
	CHECK_HAS(s, "\"meter_keys\":[{\"key\":\"");
	CHECK_HAS(s, "\"meter\":\"m2\"}],\"meters\":[\"m2\"]");
	CHECK(strstr(s, km) == NULL);

	/* revoke; an update keeps the revocation; reinstate lifts it */
	EDIT(.cmd = "revoke", .id = "alice");
	CHECK_HAS(s, "\"status\":\"revoked\"");
	EDIT(.cmd = "revoke", .id = "alice");
	CHECK_STR(s, "alice: already revoked");
	EDIT(.cmd = "update", .id = "alice", .zone = "south");
	CHECK_HAS(s, "\"status\":\"revoked\"");
	CHECK_HAS(s, "\"zone\":\"south\"");
	rec = dk_participant_json(dk_registry_find(&reg, "alice"));
	CHECK_STR(json_string_value(json_object_get(rec, "status")),
	    "revoked");
	json_decref(rec);
	EDIT(.cmd = "reinstate", .id = "alice");
	CHECK_HAS(s, "\"status\":\"active\"");
	CHECK_HAS(s, ka);

	free(s);
	dk_registry_free(&reg);
	tmpdir_remove();
	return check_done("test-regedit");
}
