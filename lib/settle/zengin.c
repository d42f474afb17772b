/*
 * zengin.c: a payment run's credit transfers as the Zengin (全銀協) file
 * of 総合振込: header, data, trailer and end records of 120 bytes, names
 * in half-width katakana (JIS X 0201, as Shift_JIS has it); the layout,
 * field by field, is in denki-pay(1).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "settle.h"

struct rec {
	char b[121];
	size_t n;
};

/* N: a number, right-aligned, zeros before */
static void
num(struct rec *r, unsigned long long v, int w)
{
	r->n += snprintf(r->b + r->n, sizeof(r->b) - r->n, "%0*llu", w, v);
}

/* N from a string of digits */
static void
nstr(struct rec *r, const char *s, int w)
{
	num(r, s != NULL ? strtoull(s, NULL, 10) : 0, w);
}

/* C: characters, left-aligned, spaces after */
static int
chars(struct rec *r, const char *s, size_t w, const char *who,
    const char *what, struct dk_err *e)
{
	size_t n = 0;

	if (s != NULL && dk_kana(s, r->b + r->n, w, &n, e) < 0)
		return dk_failpre(e, "%s: %s", who, what);
	memset(r->b + r->n + n, ' ', w - n);
	r->n += w;
	return 0;
}

static const char *
str(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static void
put(FILE *fp, struct rec *r)
{
	fwrite(r->b, 1, 120, fp);
	fputs("\r\n", fp);
	r->n = 0;
}

/*
 * The file of run p (dk_pay_file's): the payments with an amount above
 * 0, in yen, into *buf (malloc'd), *len bytes; a name outside the Zengin
 * characters or too long is refused naming its member.
 */
int
dk_zengin(const struct dk_payfile *p, char **buf, size_t *len,
    struct dk_err *e)
{
	struct rec r = { .n = 0 };
	unsigned long long total = 0, count = 0, yen;
	json_t *x, *d, *o = p->payer;
	const char *id;
	size_t i;
	FILE *fp;

	if (p->exp != 0 || strcmp(p->currency, "JPY") != 0)
		return dk_fail(e, DK_EX_DATAERR, "a Zengin file pays yen; the "
		    "ledger's currency is %s", p->currency);
	if ((fp = open_memstream(buf, len)) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	/* header: 1, 21 総合振込, 0 JIS, the payer's company code and name,
	 * the day (MMDD), its bank, branch, account */
	r.b[r.n++] = '1';
	num(&r, 21, 2);
	r.b[r.n++] = '0';
	nstr(&r, str(o, "company_code"), 10);
	if (chars(&r, str(o, "kana"), 40, "operator", "kana", e) < 0)
		goto fail;
	nstr(&r, p->date + 5, 2);
	nstr(&r, p->date + 8, 2);
	nstr(&r, str(o, "bank"), 4);
	if (chars(&r, str(o, "bank_kana"), 15, "operator", "bank_kana",
	    e) < 0)
		goto fail;
	nstr(&r, str(o, "branch"), 3);
	if (chars(&r, str(o, "branch_kana"), 15, "operator", "branch_kana",
	    e) < 0)
		goto fail;
	nstr(&r, str(o, "account_type"), 1);
	nstr(&r, str(o, "account"), 7);
	chars(&r, NULL, 17, NULL, NULL, e);
	put(fp, &r);
	json_array_foreach(p->pays, i, x) {
		if (json_integer_value(json_object_get(x, "amount")) <= 0)
			continue;
		d = json_object_get(x, "bank");
		id = str(x, "participant");
		yen = json_integer_value(json_object_get(x, "amount")) /
		    1000000;
		if (yen > 9999999999ULL) {
			dk_fail(e, DK_EX_DATAERR, "%s: %llu yen: more than "
			    "the 10 digits of the amount", id, yen);
			goto fail;
		}
		r.b[r.n++] = '2';
		nstr(&r, str(d, "bank"), 4);
		if (chars(&r, str(d, "bank_kana"), 15, id, "bank_kana", e) < 0)
			goto fail;
		nstr(&r, str(d, "branch"), 3);
		if (chars(&r, str(d, "branch_kana"), 15, id, "branch_kana",
		    e) < 0)
			goto fail;
		num(&r, 0, 4);		/* clearing house: not used */
		nstr(&r, str(d, "account_type"), 1);
		nstr(&r, str(d, "account"), 7);
		if (chars(&r, str(d, "kana"), 30, id, "kana", e) < 0)
			goto fail;
		num(&r, yen, 10);
		r.b[r.n++] = '0';	/* new code: other */
		num(&r, 0, 10);		/* customer codes 1 and 2 */
		num(&r, 0, 10);
		r.b[r.n++] = '7';	/* telegraphic transfer */
		chars(&r, NULL, 8, NULL, NULL, e);	/* mark, dummy */
		put(fp, &r);
		total += yen;
		count++;
	}
	if (count > 999999 || total > 999999999999ULL) {
		dk_fail(e, DK_EX_DATAERR, "%llu transfers of %llu yen: more "
		    "than the trailer's 6 and 12 digits", count, total);
		goto fail;
	}
	r.b[r.n++] = '8';
	num(&r, count, 6);
	num(&r, total, 12);
	chars(&r, NULL, 101, NULL, NULL, e);
	put(fp, &r);
	r.b[r.n++] = '9';
	chars(&r, NULL, 119, NULL, NULL, e);
	put(fp, &r);
	if (fclose(fp) != 0)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	return 0;
fail:
	fclose(fp);
	free(*buf);
	*buf = NULL;
	return -1;
}
