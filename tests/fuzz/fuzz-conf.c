/* Configuration: a YAML file as dk_conf_load reads it (from a memfd),
 * then the market rules read from it, as every program starts. */
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dk_err e = { 0 };
	struct dk_conf c;
	struct dk_rules r;
	char path[64];
	int fd = fz_file(data, size, path, sizeof(path));

	if (dk_conf_load(&c, path, &e) == 0) {
		memset(&r, 0, sizeof(r));
		dk_rules_from_conf(&r, &c, &e);
		dk_conf_free(&c);
	}
	close(fd);
	return 0;
}
