/*
 * Issue 17's scenario files of denki-simulate: the input as a YAML file
 * (scen.yaml in a folder of its own, made once, beside a community c/
 * with coop.yaml, homes kn1-kn3 and data/kn1-kn3.csv, all empty) read by
 * dk_scen_load; a scenario read has its homes and copies in range.
 */
#include "fuzz.h"

static char dir[64], path[96];
static const char *const files[] = { "scen.yaml", "c/coop.yaml",
	"c/kn1.yaml", "c/kn2.yaml", "c/kn3.yaml", "c/data/kn1.csv",
	"c/data/kn2.csv", "c/data/kn3.csv", "c/data", "c", "", NULL };

/* the folder removed at exit */
static void
clean(void)
{
	char p[128];
	size_t i;

	for (i = 0; files[i] != NULL; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
		remove(p);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dk_err e = { 0 };
	struct dk_scen s;
	char p[128], buf[4096];
	size_t i;
	FILE *fp;

	if (dir[0] == '\0') {
		FZ_ASSERT(dk_init(&e) == 0);
		snprintf(dir, sizeof(dir), "/tmp/denki-fuzz-scen.XXXXXX");
		FZ_ASSERT(mkdtemp(dir) != NULL);
		snprintf(p, sizeof(p), "%s/c", dir);
		FZ_ASSERT(mkdir(p, 0700) == 0);
		snprintf(p, sizeof(p), "%s/c/data", dir);
		FZ_ASSERT(mkdir(p, 0700) == 0);
		for (i = 1; files[i][0] != '\0' && strchr(files[i], '.');
		    i++) {
			snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
			FZ_ASSERT((fp = fopen(p, "w")) != NULL);
			fclose(fp);
		}
		snprintf(path, sizeof(path), "%s/scen.yaml", dir);
		atexit(clean);
	}
	FZ_ASSERT((fp = fopen(path, "w")) != NULL);
	FZ_ASSERT(fwrite(data, 1, size, fp) == size);
	FZ_ASSERT(fclose(fp) == 0);
	if (dk_scen_load(&s, path, &e) < 0)
		return 0;
	FZ_ASSERT(strcmp(s.name, "scen") == 0);
	FZ_ASSERT(s.copies >= 1 && s.nsrc >= 1 && s.nsrc <= 3 &&
	    s.nh == s.nsrc * (size_t)s.copies);
	FZ_ASSERT(s.days >= 1 && strlen(s.start) == 10);
	for (i = 0; i < s.nh; i++) {
		FZ_ASSERT(s.h[i].src < s.nsrc && dk_valid_id(s.h[i].id));
		FZ_ASSERT(s.h[i].pv_w >= 0 && s.h[i].bat_wh >= 0 &&
		    s.h[i].bat_w >= 0 && s.h[i].load_pct >= 0);
	}
	for (i = 0; i < s.nsrc; i++)
		FZ_ASSERT(dk_scen_data(&s, i, buf, sizeof(buf)) == buf);
	dk_scen_free(&s);
	return 0;
}
