/*
 * pain001.c: a payment run's credit transfers as an ISO 20022
 * pain.001.001.03 message (CustomerCreditTransferInitiation), one payment
 * information block from the cooperative's account, one transaction a
 * member paid; valid against the schema of tests/fixtures/.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "settle.h"


static const char *
str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s != NULL ? s : "";
}

/* A financial institution: its BIC, or "NOTPROVIDED" where the SEPA
 * rules let the IBAN alone name the bank. */
static void
agent(FILE *fp, const char *tag, json_t *d, int always, int indent)
{
	const char *bic = json_string_value(json_object_get(d, "bic"));

	if (bic == NULL && !always)
		return;
	fprintf(fp, "%*s<%s><FinInstnId>", indent, "", tag);
	if (bic != NULL)
		fprintf(fp, "<BIC>%s</BIC>", bic);
	else
		fputs("<Othr><Id>NOTPROVIDED</Id></Othr>", fp);
	fprintf(fp, "</FinInstnId></%s>\n", tag);
}

/*
 * The message of run p (dk_pay_file's): the payments with an amount
 * above 0, into *buf (malloc'd), *len bytes.
 */
int
dk_pain001(const struct dk_payfile *p, char **buf, size_t *len,
    struct dk_err *e)
{
	char amt[40], sum[40], id[40];
	int64_t total = 0;
	size_t i, n = 0;
	json_t *x;
	FILE *fp;

	json_array_foreach(p->pays, i, x)
		if (json_integer_value(json_object_get(x, "amount")) > 0) {
			n++;
			total += json_integer_value(json_object_get(x,
			    "amount"));
		}
	dk_minor_str(total, p->exp, sum, sizeof(sum));
	snprintf(id, sizeof(id), "DENKI-%lld", p->seq);
	if ((fp = open_memstream(buf, len)) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	fprintf(fp, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:"
	    "pain.001.001.03\">\n"
	    "<CstmrCdtTrfInitn>\n"
	    "  <GrpHdr>\n"
	    "    <MsgId>%s</MsgId>\n"
	    "    <CreDtTm>%.19s</CreDtTm>\n"
	    "    <NbOfTxs>%zu</NbOfTxs>\n"
	    "    <CtrlSum>%s</CtrlSum>\n"
	    "    <InitgPty><Nm>", id, p->created, n, sum);
	dk_xml_text(fp, str(p->payer, "name"));
	fprintf(fp, "</Nm></InitgPty>\n"
	    "  </GrpHdr>\n"
	    "  <PmtInf>\n"
	    "    <PmtInfId>%s-1</PmtInfId>\n"
	    "    <PmtMtd>TRF</PmtMtd>\n"
	    "    <NbOfTxs>%zu</NbOfTxs>\n"
	    "    <CtrlSum>%s</CtrlSum>\n", id, n, sum);
	if (strcmp(p->currency, "EUR") == 0)
		fputs("    <PmtTpInf><SvcLvl><Cd>SEPA</Cd></SvcLvl></PmtTpInf>\n",
		    fp);
	fprintf(fp, "    <ReqdExctnDt>%s</ReqdExctnDt>\n"
	    "    <Dbtr><Nm>", p->date);
	dk_xml_text(fp, str(p->payer, "name"));
	fprintf(fp, "</Nm></Dbtr>\n"
	    "    <DbtrAcct><Id><IBAN>%s</IBAN></Id></DbtrAcct>\n",
	    str(p->payer, "iban"));
	agent(fp, "DbtrAgt", p->payer, 1, 4);
	fputs("    <ChrgBr>SLEV</ChrgBr>\n", fp);
	n = 0;
	json_array_foreach(p->pays, i, x) {
		if (json_integer_value(json_object_get(x, "amount")) <= 0)
			continue;
		dk_minor_str(json_integer_value(json_object_get(x, "amount")),
		    p->exp, amt, sizeof(amt));
		fprintf(fp, "    <CdtTrfTxInf>\n"
		    "      <PmtId><EndToEndId>%s-%zu</EndToEndId></PmtId>\n"
		    "      <Amt><InstdAmt Ccy=\"%s\">%s</InstdAmt></Amt>\n",
		    id, ++n, p->currency, amt);
		agent(fp, "CdtrAgt", json_object_get(x, "bank"), 0, 6);
		fputs("      <Cdtr><Nm>", fp);
		dk_xml_text(fp, str(json_object_get(x, "bank"), "name"));
		fprintf(fp, "</Nm></Cdtr>\n"
		    "      <CdtrAcct><Id><IBAN>%s</IBAN></Id></CdtrAcct>\n"
		    "      <RmtInf><Ustrd>", str(json_object_get(x, "bank"),
		    "iban"));
		dk_xml_text(fp, p->label);
		fprintf(fp, " %s %s</Ustrd></RmtInf>\n"
		    "    </CdtTrfTxInf>\n", p->period,
		    str(x, "participant"));
	}
	fputs("  </PmtInf>\n</CstmrCdtTrfInitn>\n</Document>\n", fp);
	if (fclose(fp) != 0)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	return 0;
}
