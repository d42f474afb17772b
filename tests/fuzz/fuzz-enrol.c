/*
 * A member's enrolment request and a recovery record (issue 13): the file
 * as `denki registry add FILE` reads it, the request's own signature, and
 * the recovery's countersignature under a fixed recovery key.
 */
#include "fuzz.h"

/* a fixed key (tests/golden/a1.pub) as the recovery key */
static const char rkey[] =
    "RWTL3qkXIHwLRziugjnhIY0mCX5pHdCw6clOCJJyEMsj28C2x0Md0Nen";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dk_key key;
	static int init;
	struct dk_err e = { 0 };
	json_t *v, *w;
	char path[64];
	int fd;

	if (!init) {
		FZ_ASSERT(dk_init(&e) == 0);
		FZ_ASSERT(dk_key_from_b64(&key, rkey, &e) == 0);
		init = 1;
	}
	fd = fz_file(data, size, path, sizeof(path));
	w = dk_request_read(path, &e);
	close(fd);
	FZ_ASSERT((w == NULL) == (e.status != 0));
	if (w != NULL) {
		/* a request that checks is signed and names its member */
		if (dk_request_check(w, &e) == 0)
			FZ_ASSERT(json_is_string(json_object_get(w, "id")) &&
			    json_is_string(json_object_get(w, "sig")));
		dk_recovery_check(w, key.pk, &e);
		json_decref(w);
	}
	memset(&e, 0, sizeof(e));
	if ((v = dk_parse((const char *)data, size, &e)) != NULL) {
		dk_participant_check(v, &e);
		json_decref(v);
	}
	return 0;
}
