/* The HTTP meters' JSON (Fronius Solar API, Enphase Envoy): the body
 * through dk_json_body and each of the four readers. */
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dk_err e = { 0 };
	struct dk_sample s, two[2];
	json_t *j;
	int n;

	if ((j = dk_json_body((const char *)data, size, "fuzz", &e)) == NULL)
		return 0;
	dk_fronius_meter(j, "0", &s, &e);
	dk_fronius_meter(j, NULL, &s, &e);
	dk_fronius_inverter(j, &s, &e);
	dk_enphase_v1(j, 1767261600, &s, &e);
	dk_enphase_production(j, 1767261600, two, &n, &e);
	json_decref(j);
	return 0;
}
