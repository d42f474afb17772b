/* denki-ledger-export: a ledger file for people without denki; the
 * openings of its committed readings for an auditor or one member. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "denki.h"
#include "prog.h"

static const char *prog = "denki-ledger-export";
static const char usage[] =
    "usage: denki-ledger-export [-af] [-c config] [-D key=value] "
    "[-m participant] [-o file]\n";

int
main(int argc, char *argv[])
{
	struct dk_prog P;
	struct dk_err e = { 0 };
	struct dk_coop C;
	struct dk_scaninfo si;
	struct dk_checkpoint cp;
	struct dk_key op;
	const char *outp = NULL, *member = NULL;
	char *buf, *sig, *sigpath = NULL, trusted[512], name[300],
	    root[64], *store = NULL, *opath = NULL, *obuf = NULL;
	size_t on = 0;
	long long nopen = 0, missing = 0;
	int c, force = 0, auditor = 0;
	json_t *out;
	FILE *fp;

	memset(&op, 0, sizeof(op));
	dk_prog_init(&P, prog, usage, DK_PROG_CONF, argc);
	while ((c = dk_prog_opt(&P, argc, argv, "o:fam:")) != -1)
		switch (c) {
		case 'a':
			auditor = 1;
			break;
		case 'm':
			member = optarg;
			break;
		case 'o':
			outp = optarg;
			break;
		case 'f':
			force = 1;
			break;
		}
	if (optind != argc || (auditor && member != NULL))
		dk_prog_usage(&P, DK_EX_USAGE);
	if (dk_prog_coop(&P, &C, 0, &e) < 0 ||
	    dk_conf_key(&C.conf, "operator.key", 1, &op, &e) < 0)
		goto fail;
	/* everything up to the latest checkpoint, checked as it is read */
	memset(&si, 0, sizeof(si));
	if (dk_ledger_scan_info(C.lpath, op.pk, NULL, NULL, &si, &e) < 0)
		goto fail;
	if (si.note == NULL) {
		dk_fail(&e, DK_EX_DATAERR, "%s: no checkpoint to export up to",
		    C.lpath);
		goto fail;
	}
	dk_checkpoint_parse(si.note, strlen(si.note), &cp, &e);
	if ((auditor || member != NULL) && !si.committed) {
		dk_fail(&e, DK_EX_DATAERR, "%s: its readings are open, in "
		    "every copy: there are no openings to give", C.lpath);
		goto fail;
	}
	if ((auditor || member != NULL) && (asprintf(&store, "%s.openings",
	    C.lpath) < 0 || dk_openings_select(C.lpath, store, op.pk,
	    si.note_seq + 1, member, &obuf, &on, &nopen, &missing, &e) < 0))
		goto fail;
	if ((buf = malloc(si.note_end + 1)) == NULL ||
	    (fp = fopen(C.lpath, "r")) == NULL ||
	    fread(buf, 1, si.note_end, fp) != (size_t)si.note_end) {
		dk_fail(&e, DK_EX_IOERR, "%s: cannot read it back", C.lpath);
		goto fail;
	}
	fclose(fp);
	if (outp == NULL) {
		snprintf(name, sizeof(name), "ledger-%lld.jsonl",
		    si.note_seq + 1);
		outp = name;
	}
	sodium_bin2base64(root, sizeof(root), cp.root, 32,
	    sodium_base64_VARIANT_ORIGINAL);
	snprintf(trusted, sizeof(trusted), "origin=%s entries=%lld "
	    "tree_size=%llu root=%s", si.origin, si.note_seq + 1,
	    (unsigned long long)cp.size, root);
	if ((sig = dk_minisig(buf, si.note_end, &op, "verify with the "
	    "operator's public key: minisign -V or signify -V", trusted,
	    &e)) == NULL || asprintf(&sigpath, "%s.minisig", outp) < 0)
		goto fail;
	dk_key_free(&op);	/* signed: the secret is no longer needed */
	if ((auditor || member != NULL) && asprintf(&opath, "%s.openings",
	    outp) < 0)
		goto fail;
	if (!force && (access(outp, F_OK) == 0 || access(sigpath, F_OK) == 0 ||
	    (opath != NULL && access(opath, F_OK) == 0))) {
		dk_fail(&e, DK_EX_CANTCREAT, "%s: exists; -f overwrites it",
		    access(outp, F_OK) == 0 ? outp : access(sigpath, F_OK) ==
		    0 ? sigpath : opath);
		goto fail;
	}
	if (missing > 0)
		dk_warnx(prog, "%lld committed reading%s without an opening in "
		    "%s: %s cannot be recomputed from the copy", missing,
		    missing == 1 ? "" : "s", store, missing == 1 ? "its slot" :
		    "their slots");
	/* the openings are personal data: 0600, whoever receives them */
	if (opath != NULL && dk_file_write(opath, obuf ? obuf : "", on, 0600,
	    force ? DK_FILE_FORCE : 0, &e) < 0)
		goto fail;
	if (dk_file_write(outp, buf, si.note_end, 0644, force ?
	    DK_FILE_FORCE : 0, &e) < 0 ||
	    dk_file_write(sigpath, sig, strlen(sig), 0644, force ?
	    DK_FILE_FORCE : 0, &e) < 0)
		goto fail;
	out = json_pack("{s:s,s:i,s:s,s:s,s:I,s:s,s:s}", "type", "export",
	    "v", 1, "file", outp, "signature", sigpath,
	    "entries", (json_int_t)(si.note_seq + 1), "origin", si.origin,
	    "trusted_comment", trusted);
	json_object_set_new(out, "copy", json_string(auditor ? "auditor" :
	    member != NULL ? "member" : "public"));
	if (member != NULL)
		json_object_set_new(out, "participant", json_string(member));
	if (opath != NULL) {
		json_object_set_new(out, "openings", json_string(opath));
		json_object_set_new(out, "opened", json_integer(nopen));
	}
	dk_emit(stdout, out);
	json_decref(out);
	free(store);
	free(opath);
	free(obuf);
	return dk_finish_stdout(prog);
fail:
	dk_key_free(&op);	/* wiped however it ends */
	free(store);
	free(opath);
	free(obuf);
	return dk_prog_fail(&P, &e);
}
