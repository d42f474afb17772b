/* denki: the front program; "denki NAME ARGS" runs denki-NAME. */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "denki.h"

static const struct {
	const char *name, *what;
} progs[] = {
	{ "keygen", "make an Ed25519 key pair for a participant, a device or the operator" },
	{ "registry", "enrol members by their signed requests; update, revoke, recover, list" },
	{ "meter-read", "read a meter into reading records, one per slot" },
	{ "bid", "turn a household's readings into signed orders for the next slot" },
	{ "battery", "set a home battery's mode, power and amount over ECHONET Lite" },
	{ "submit", "send orders and readings to the cooperative's intake and keep its signed receipts" },
	{ "clear", "clear the market of each slot: a double auction, by zone" },
	{ "contract-sign", "sign cleared trades as contracts and append them to the ledger" },
	{ "review", "the trades held for review, and a reviewer's signed approval or rejection" },
	{ "settle", "settle metered energy against contracts and append it to the ledger" },
	{ "ledger-verify", "audit a ledger offline: chain, signatures, checkpoints, replay, balances" },
	{ "report", "what each member earned and saved, and the community's figures" },
	{ "statement", "a member's or the community's statement for a month: text, CSV, HTML, PDF" },
	{ "ledger-proof", "inclusion and consistency proofs from the ledger, and its latest checkpoint" },
	{ "proof-verify", "check inclusion and consistency proofs offline against signed checkpoints" },
	{ "ledger-export", "a signed copy of the ledger, for auditors without denki" },
	{ "ledger-recover", "cut an unacknowledged tail off the ledger after a crash" },
	{ "witness", "cosign the checkpoints of logs it knows, as C2SP tlog-witness says" },
	{ "pay", "a payment run: bank files (pain.001, Zengin) and what members owe" },
	{ "intake", "take orders and readings into the inbox, each answered by a signed receipt" },
	{ "halt", "halt trading in zones for a window (or island mode), or lift a halt: a signed ledger entry" },
	{ "grid-watch", "watch grid telemetry and halt a zone out of its bands, lift it when stable" },
	{ "kpi", "the KPIs of a period beside their targets, and members' credit scores, from the ledger" },
	{ "dispute", "open a member's dispute, bundle its evidence for a mediator, resolve it with compensation" },
	{ "simulate", "run a community's season from a scenario through the real programs; compare two" },
	{ NULL, NULL }
};

static void
usage(int code)
{
	FILE *fp = code ? stderr : stdout;
	int i;

	fprintf(fp, "usage: denki NAME [ARGS...]\n"
	    "       denki -h | --version\n\nprograms:\n");
	for (i = 0; progs[i].name != NULL; i++)
		fprintf(fp, "  %-14s %s\n", progs[i].name, progs[i].what);
	fprintf(fp, "\n'denki NAME -h' or man denki-NAME tells more.\n");
	exit(code);
}

int
main(int argc, char *argv[])
{
	char self[PATH_MAX], path[PATH_MAX + 64], prog[128];
	ssize_t n;
	int i;

	if (argc < 2)
		usage(0);
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)
		usage(0);
	if (strcmp(argv[1], "--version") == 0) {
		printf("denki %s\n", DK_VERSION);
		return 0;
	}
	for (i = 0; progs[i].name != NULL; i++)
		if (strcmp(progs[i].name, argv[1]) == 0)
			break;
	if (progs[i].name == NULL) {
		fprintf(stderr, "denki: %s: not a denki program\n", argv[1]);
		usage(DK_EX_USAGE);
	}
	snprintf(prog, sizeof(prog), "denki-%s", argv[1]);
	argv[1] = prog;
	/* The programs beside this one first, so a build tree runs its own. */
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		snprintf(path, sizeof(path), "%s/%s", dirname(self), prog);
		execv(path, argv + 1);
	}
	execvp(prog, argv + 1);
	fprintf(stderr, "denki: %s: %s\n", prog, strerror(errno));
	return errno == ENOENT ? DK_EX_UNAVAILABLE : DK_EX_SOFTWARE;
}
