/* B-route lines from a Wi-SUN dongle (BP35A1/BP35C0): each line of the
 * input through dk_broute_erxudp, and a frame it gives through
 * dk_el_parse, as the driver reads them. */
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dk_el_frame f;
	unsigned char out[1024];
	char *s = fz_str(data, size), *p, *nl, why[160];
	size_t len;
	int rc;

	for (p = s; p != NULL && p < s + size; p = nl ? nl + 1 : NULL) {
		if ((nl = strchr(p, '\n')) != NULL)
			*nl = '\0';
		if (nl > p && nl[-1] == '\r')
			nl[-1] = '\0';
		rc = dk_broute_erxudp(p, "FE80:0000:0000:0000:021C:6400:030C:"
		    "12A4", out, sizeof(out), &len, why, sizeof(why));
		if (rc == 1) {
			FZ_ASSERT(len <= sizeof(out));
			dk_el_parse(out, len, &f, why, sizeof(why));
		}
	}
	free(s);
	return 0;
}
