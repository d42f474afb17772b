/* The canonical-form check: dk_is_canonical(text) must say what comparing
 * dk_canon's output with the text says, for every value the parser takes;
 * and what dk_parse_flat takes, the parser takes too, canonical, the same. */
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dk_err e = { 0 };
	const char *s = (const char *)data;
	json_t *v;
	char *c;
	json_t *f = dk_parse_flat(s, size);
	int canon;

	v = dk_parse_member(s, size, "x", &e);
	if (f != NULL && (v == NULL || !json_equal(f, v) ||
	    !dk_is_canonical(s, size))) {
		fprintf(stderr, "dk_parse_flat took what the parser does not "
		    "take as it: %.*s\n", (int)size, s);
		abort();
	}
	json_decref(f);
	if (v == NULL) {
		dk_is_canonical(s, size);	/* asked all the same */
		return 0;
	}
	c = dk_canon(v);
	if (c != NULL) {
		canon = strlen(c) == size && memcmp(c, s, size) == 0;
		if (dk_is_canonical(s, size) != canon) {
			fprintf(stderr, "dk_is_canonical %d, dk_canon %d: %s\n",
			    !canon, canon, c);
			abort();
		}
		free(c);
	}
	json_decref(v);
	return 0;
}
