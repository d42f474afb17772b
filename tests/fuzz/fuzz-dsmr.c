/* DSMR P1 telegrams: the framing of a serial stream (dk_dsmr_frame), each
 * telegram found parsed (dk_dsmr_parse), and the input parsed whole. */
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dk_err e = { 0 };
	struct dk_dsmr m;
	const char *s = (const char *)data;
	size_t off = 0, st, en;
	int rc;

	/* the stream: telegrams one after the other, as a meter sends */
	while (off < size) {
		rc = dk_dsmr_frame(s + off, size - off, &st, &en);
		if (rc == 0)
			break;
		FZ_ASSERT(st <= en && en <= size - off);
		if (rc == 1)
			dk_dsmr_parse(s + off + st, en - st,
			    "Europe/Amsterdam", &m, &e);
		if (en == 0)
			break;
		off += en;
	}
	dk_dsmr_parse(s, size, "Europe/Brussels", &m, &e);
	return 0;
}
