/* The canonical-form check: dk_is_canonical(text) must say what comparing
 * dk_canon's output with the text says, for every value the parser takes. */
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dk_err e = { 0 };
	const char *s = (const char *)data;
	json_t *v;
	char *c;
	int canon;

	if ((v = dk_parse_member(s, size, "x", &e)) == NULL) {
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
