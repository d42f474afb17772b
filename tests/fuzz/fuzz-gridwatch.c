/*
 * Issue 16's grid telemetry: each line of the input given to dk_gw_line,
 * as denki-grid-watch reads its file, or as it polls when the input starts
 * "poll\n", over the zones hill, town and sea of a rules with two links; a
 * decision carries its reading, a zone halts once before it lifts.
 */
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dk_state st;
	static const struct dk_gw_conf gc = { 49800, 50200, 207000, 253000,
		600, 300, 120, 120 };
	static int init;
	struct dk_err e = { 0 };
	struct dk_gw g;
	struct dk_gw_said o;
	const char *p = (const char *)data, *end = p + size, *nl;
	int halted[8] = { 0 }, rc, poll = 0;
	size_t i;

	if (!init) {
		FZ_ASSERT(dk_init(&e) == 0);
		dk_state_init(&st);
		st.rules.slot_minutes = 30;
		strcpy(st.rules.tz, "UTC");
		st.rules.nlinks = 2;
		strcpy(st.rules.link[0].name, "t1");
		strcpy(st.rules.link[0].a, "hill");
		strcpy(st.rules.link[0].b, "town");
		st.rules.link[0].cap_wh = 5000;
		strcpy(st.rules.link[1].name, "t2");
		strcpy(st.rules.link[1].a, "town");
		strcpy(st.rules.link[1].b, "sea");
		st.rules.link[1].cap_wh = 1;
		st.have_rules = 1;
		init = 1;
	}
	if (size >= 5 && memcmp(data, "poll\n", 5) == 0) {
		poll = 1;
		p += 5;
	}
	FZ_ASSERT(dk_gw_init(&g, &gc, &st, 0, &e) == 0);
	FZ_ASSERT(g.nz == 3);
	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', end - p)) == NULL)
			nl = end;
		rc = dk_gw_line(&g, p, nl - p, "fuzz:1", poll, &o, &e);
		if (rc <= 0 || (rc & (DK_GW_HALT | DK_GW_LIFT)) == 0) {
			if (rc > 0)
				FZ_ASSERT(o.tel == NULL && o.zone < g.nz);
			continue;
		}
		FZ_ASSERT(o.zone < g.nz && o.tel != NULL && o.why[0] != '\0');
		FZ_ASSERT((rc & (DK_GW_HALT | DK_GW_LIFT)) !=
		    (DK_GW_HALT | DK_GW_LIFT));
		/* a halt of a zone not halted, a lift of one halted */
		FZ_ASSERT(halted[o.zone] == ((rc & DK_GW_LIFT) != 0));
		halted[o.zone] = (rc & DK_GW_HALT) != 0;
		FZ_ASSERT(g.z[o.zone].halted == halted[o.zone]);
		json_decref(o.tel);
	}
	for (i = 0; i < g.nz; i++)
		FZ_ASSERT(g.z[i].halted == halted[i]);
	dk_gw_free(&g);
	return 0;
}
