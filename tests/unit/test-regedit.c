/* Unit tests for lib/ledger/regedit.c: the participant record of each
 * change the operator makes with denki-registry (zone, role, limits,
 * status), the record that lists a participant, and which command takes
 * which options. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "denki.h"
#include "check.h"

static struct dk_registry reg;
static struct dk_err e;

/* The change made, applied to the registry; its canonical text without
 * the member's request, or the message when it is refused. */
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
	CHECK(json_object_get(rec, "request") == NULL);
	s = dk_canon(rec);
	json_decref(rec);
	return s;
}

/* limits kept (-2), or given: EDITL names both */
#define EDIT(...) EDITL(.max_wh = -2, .max_day = -2, __VA_ARGS__)
#define EDITL(...) (free(s), s = edit(&(struct dk_regedit){ __VA_ARGS__ }))

/* id enrolled by its own request, with the meters given */
static void
enrol(const char *id, struct dk_key *k, char **meters, size_t n,
    const char *zone)
{
	struct dk_request q = { .id = id, .key = k, .meters = meters,
	    .nmeters = n, .zone = zone, .time = 1767225600 };
	json_t *req, *rec;

	CHECK_INT(dk_key_generate(k, &e), 0);
	CHECK((req = dk_request_make(&q, &e)) != NULL);
	CHECK((rec = dk_registry_request(&reg, req, "t.json", 1, -1, -1,
	    &e)) != NULL);
	CHECK_INT(dk_registry_apply(&reg, rec, &e), 0);
	json_decref(req);
	json_decref(rec);
}

int
main(void)
{
	struct dk_key ka, kb;
	char want[1024], *kab, *kbb;
	char *meters[] = { "m1", "m2" };
	char *s = NULL;
	json_t *rec;

	CHECK_INT(dk_init(&e), 0);
	enrol("alice", &ka, NULL, 0, NULL);
	enrol("bob", &kb, meters, 2, "north");
	kab = dk_key_pub_b64(&ka);
	kbb = dk_key_pub_b64(&kb);

	/* update: what is given, the rest kept; limits set and dropped */
	EDITL(.cmd = "update", .id = "bob", .role = "consumer", .max_wh = 5000,
	    .max_day = 0);
	snprintf(want, sizeof(want), "{\"id\":\"bob\",\"key\":\"%s\","
	    "\"max_day\":0,\"max_wh\":5000,\"meters\":[\"m1\",\"m2\"],\"role\":"
	    "\"consumer\",\"status\":\"active\",\"type\":\"participant\","
	    "\"v\":2,\"zone\":\"north\"}", kbb);
	CHECK_STR(s, want);
	/* what the registry lists is the record that made it */
	rec = dk_participant_json(dk_registry_find(&reg, "bob"));
	free(s);
	s = dk_canon(rec);
	json_decref(rec);
	CHECK_STR(s, want);
	EDITL(.cmd = "update", .id = "bob", .max_wh = -1, .max_day = -2);
	CHECK(strstr(s, "max_wh") == NULL);
	CHECK_HAS(s, "\"max_day\":0");
	EDIT(.cmd = "update", .id = "alice", .zone = "east");
	snprintf(want, sizeof(want), "{\"id\":\"alice\",\"key\":\"%s\","
	    "\"meters\":[],\"role\":\"prosumer\",\"status\":\"active\","
	    "\"type\":\"participant\",\"v\":2,\"zone\":\"east\"}", kab);
	CHECK_STR(s, want);

	/* refusals: the message and the status */
	EDIT(.cmd = "add", .id = "carol");
	CHECK_STR(s, "add: the operator updates, revokes or reinstates; a "
	    "member enrols by its signed request");
	CHECK_INT(e.status, DK_EX_USAGE);
	EDIT(.cmd = "update", .id = "carol");
	CHECK_STR(s, "carol: not registered");
	CHECK_INT(e.status, DK_EX_DATAERR);
	EDIT(.cmd = "reinstate", .id = "alice");
	CHECK_STR(s, "alice: not revoked");

	/* revoke; an update keeps the revocation; reinstate lifts it */
	EDIT(.cmd = "revoke", .id = "alice");
	CHECK_HAS(s, "\"status\":\"revoked\"");
	EDIT(.cmd = "revoke", .id = "alice");
	CHECK_STR(s, "alice: already revoked");
	EDIT(.cmd = "update", .id = "alice", .zone = "south");
	CHECK_HAS(s, "\"status\":\"revoked\"");
	CHECK_HAS(s, "\"zone\":\"south\"");
	EDIT(.cmd = "reinstate", .id = "alice");
	CHECK_HAS(s, "\"status\":\"active\"");
	CHECK_HAS(s, kab);

	/* which command takes which options and operands */
	{
		char *one[] = { "kn1" }, *bad[] = { "k n" };
		CHECK_INT(dk_regedit_check("update", "zw", 1, one, &e), 0);
		CHECK_INT(dk_regedit_check("update", "k", 1, one, &e), -1);
		CHECK_HAS(e.msg, "update -k: a member's key");
		CHECK_INT(dk_regedit_check("add", "k", 1, one, &e), -1);
		CHECK_HAS(e.msg, "add -k: a bare public key proves nothing");
		CHECK_INT(dk_regedit_check("request", "m", 1, one, &e), -1);
		CHECK_STR(e.msg, "request: -s is required");
		CHECK_INT(dk_regedit_check("recover", "kR", 1, bad, &e), -1);
		CHECK_STR(e.msg, "k n: an id must be 1 to 32 of "
		    "[A-Za-z0-9._-]");
		CHECK_INT(dk_regedit_check("list", "", 1, one, &e), -1);
		CHECK_STR(e.msg, "");
		CHECK_INT(e.status, DK_EX_USAGE);
		CHECK_INT(dk_regedit_check("rekey", "w", 0, one, &e), -1);
		CHECK_STR(e.msg, "rekey: -w: not an option of this command");
		CHECK_INT(dk_regedit_check("enroll", "", 0, one, &e), -1);
		CHECK_HAS(e.msg, "enroll: unknown command");
		/* add takes several requests; rekey one */
		{
			char *three[] = { "a.json", "b.json", "c.json" };
			CHECK_INT(dk_regedit_check("add", "w", 3, three, &e),
			    0);
			CHECK_INT(dk_regedit_check("rekey", "", 2, three, &e),
			    -1);
			CHECK_INT(e.status, DK_EX_USAGE);
		}
	}

	free(s);
	free(kab);
	free(kbb);
	dk_key_free(&ka);
	dk_key_free(&kb);
	dk_registry_free(&reg);
	return check_done("test-regedit");
}
