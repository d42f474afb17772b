/*
 * SunSpec register maps: the input is the device's holding registers from
 * 40000 on (big-endian 16-bit words, as Modbus gives them); reads outside
 * it are refused as a device refuses an address.  dk_sunspec_poll looks
 * for the SunS marker at 40000, 0 and 50000, walks the model chain and
 * decodes the inverter and meter models, with the sign convention of the
 * input's length.
 */
#include "fuzz.h"

struct map {
	const uint8_t *p;
	size_t n;		/* registers */
};

static int
regs(void *ctx, unsigned addr, unsigned n, uint16_t *out, struct dk_err *e)
{
	struct map *m = ctx;
	unsigned i;

	FZ_ASSERT(n >= 1 && n <= 125 && addr + n <= 65536);
	if (addr < 40000 || addr - 40000 + n > m->n) {
		dk_fail(e, DK_EX_DATAERR, "illegal data address");
		return 1;
	}
	for (i = 0; i < n; i++)
		out[i] = (uint16_t)(m->p[2 * (addr - 40000 + i)] << 8 |
		    m->p[2 * (addr - 40000 + i) + 1]);
	return 0;
}

static int
put(void *ctx, const struct dk_sample *s, struct dk_err *e)
{
	(void)ctx;
	(void)e;
	json_decref(dk_sample_json(s, "UTC"));
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dk_err e = { 0 };
	struct map m = { data, size / 2 };
	unsigned found;

	dk_sunspec_poll(regs, &m, -1, size % 2 ? -1 : 1, 1767261600, put,
	    NULL, &found, &e);
	return 0;
}
