/* Unit tests for lib/settle/bank.c, pay.c and members.c: IBAN check digits,
 * BICs, minor units and the payments' rounding, Zengin characters,
 * periods, and the pay book's check of payment runs and returns. */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "denki.h"
#include "check.h"

static int
iban_ok(const char *s)
{
	struct dk_err e = { 0 };

	return dk_iban_check(s, &e) == 0;
}

static void
test_iban(void)
{
	struct dk_err e = { 0 };

	/* the examples of the banks and of the ISO 13616 registry */
	CHECK(iban_ok("DE89370400440532013000"));
	CHECK(iban_ok("GB29NWBK60161331926819"));
	CHECK(iban_ok("GB82WEST12345698765432"));
	CHECK(iban_ok("FR1420041010050500013M02606"));
	CHECK(iban_ok("NL91ABNA0417164300"));
	CHECK(iban_ok("BE68539007547034"));
	CHECK(iban_ok("CH9300762011623852957"));
	CHECK(iban_ok("AT611904300234573201"));
	CHECK(iban_ok("NO9386011117947"));
	/* one character wrong, two swapped, a wrong length, a space, small */
	CHECK(!iban_ok("DE89370400440532013001"));
	CHECK(!iban_ok("GB82WEST12345698765423"));
	CHECK(!iban_ok("GB29NWBK6016133192681"));
	CHECK(!iban_ok("DE89 3704 0044 0532 0130 00"));
	CHECK(!iban_ok("de89370400440532013000"));
	CHECK(!iban_ok("DE8937040044053201300X"));
	CHECK(!iban_ok("D189370400440532013000"));
	CHECK(!iban_ok(""));
	CHECK_INT(dk_iban_check("GB82WEST12345698765433", &e), -1);
	CHECK_HAS(e.msg, "wrong check digits");
	CHECK_INT(e.status, DK_EX_DATAERR);
	/* an IBAN of a country not in the table: the check digits only */
	CHECK(iban_ok("SA0380000000608010167519"));
	CHECK(!iban_ok("SA0380000000608010167518"));
}

static void
test_bic(void)
{
	struct dk_err e = { 0 };

	CHECK_INT(dk_bic_check("COBADEFFXXX", &e), 0);
	CHECK_INT(dk_bic_check("DEUTDEFF", &e), 0);
	CHECK_INT(dk_bic_check("NWBKGB2L", &e), 0);
	CHECK_INT(dk_bic_check("COBADEFF", &e), 0);
	CHECK_INT(dk_bic_check("COBADE", &e), -1);
	CHECK_INT(dk_bic_check("COBADEFFXX", &e), -1);
	CHECK_INT(dk_bic_check("C0BADEFF", &e), -1);	/* a digit in the bank */
	CHECK_INT(dk_bic_check("COBADE1F", &e), -1);	/* the schema: [A-Z2-9] */
	CHECK_INT(dk_bic_check("COBADEFO", &e), -1);	/* then not O */
	CHECK_INT(dk_bic_check("cobadeff", &e), -1);
}

static void
test_money(void)
{
	char s[40];

	CHECK_INT(dk_currency_exp("EUR"), 2);
	CHECK_INT(dk_currency_exp("JPY"), 0);
	CHECK_INT(dk_currency_exp("XXX"), -1);
	/* toward zero, to a cent and to a yen */
	CHECK_INT(dk_pay_round(16190050, 2), 16190000);
	CHECK_INT(dk_pay_round(16199999, 2), 16190000);
	CHECK_INT(dk_pay_round(-10803000, 2), -10800000);
	CHECK_INT(dk_pay_round(-7050, 2), 0);
	CHECK_INT(dk_pay_round(9999, 2), 0);
	CHECK_INT(dk_pay_round(10000, 2), 10000);
	CHECK_INT(dk_pay_round(16190050, 0), 16000000);
	CHECK_INT(dk_pay_round(-999999, 0), 0);
	dk_minor_str(16190000, 2, s, sizeof(s));
	CHECK_STR(s, "16.19");
	dk_minor_str(50000, 2, s, sizeof(s));
	CHECK_STR(s, "0.05");
	dk_minor_str(1234000000, 2, s, sizeof(s));
	CHECK_STR(s, "1234.00");
	dk_minor_str(16000000, 0, s, sizeof(s));
	CHECK_STR(s, "16");
}

static void
test_kana(void)
{
	struct dk_err e = { 0 };
	char out[64];
	size_t n = 0;

	/* ヤマダ ハナコ: ダ is two bytes, the full-width space one */
	CHECK_INT(dk_kana("ヤマダ　ハナコ", out, 30, &n, &e), 0);
	CHECK_INT(n, 8);
	CHECK(memcmp(out, "\xD4\xCF\xC0\xDE\x20\xCA\xC5\xBA", 8) == 0);
	/* hiragana, small letters, ー, Latin small and full width, ヴ, パ */
	CHECK_INT(dk_kana("きょうと", out, 30, &n, &e), 0);
	CHECK_INT(n, 4);
	CHECK(memcmp(out, "\xB7\xD6\xB3\xC4", 4) == 0);
	CHECK_INT(dk_kana("ッー", out, 30, &n, &e), 0);
	CHECK(n == 2 && memcmp(out, "\xC2-", 2) == 0);
	CHECK_INT(dk_kana("abc１Ｂ", out, 30, &n, &e), 0);
	CHECK(n == 5 && memcmp(out, "ABC1B", 5) == 0);
	CHECK_INT(dk_kana("ヴパ", out, 30, &n, &e), 0);
	CHECK(n == 4 && memcmp(out, "\xB3\xDE\xCA\xDF", 4) == 0);
	/* half-width given as it is, its small letters large */
	CHECK_INT(dk_kana("ｶﾌﾞｼｷｶﾞｲｼｬ", out, 30, &n, &e), 0);
	CHECK(n == 10 && memcmp(out, "\xB6\xCC\xDE\xBC\xB7\xB6\xDE\xB2\xBC\xD4",
	    10) == 0);
	/* refused: a kanji, a symbol, too long, not UTF-8 */
	CHECK_INT(dk_kana("山田", out, 30, &n, &e), -1);
	CHECK_HAS(e.msg, "U+5C71");
	CHECK_INT(dk_kana("A&B", out, 30, &n, &e), -1);
	CHECK_INT(dk_kana("ガガガ", out, 5, &n, &e), -1);
	CHECK_HAS(e.msg, "longer than the 5");
	CHECK_INT(dk_kana("\xff", out, 30, &n, &e), -1);
}

static void
test_period(void)
{
	struct dk_err e = { 0 };
	int64_t f, t;

	CHECK_INT(dk_period_parse("2016-07", "UTC", &f, &t, &e), 0);
	CHECK_INT(f, dk_days_from_civil(2016, 7, 1) * 86400);
	CHECK_INT(t, dk_days_from_civil(2016, 8, 1) * 86400);
	CHECK_INT(dk_period_parse("2016-12", "UTC", &f, &t, &e), 0);
	CHECK_INT(t, dk_days_from_civil(2017, 1, 1) * 86400);
	/* Tokyo's midnight is 15:00 the day before in UTC */
	CHECK_INT(dk_period_parse("2016-07-01..2016-07-15", "Asia/Tokyo", &f,
	    &t, &e), 0);
	CHECK_INT(f, dk_days_from_civil(2016, 7, 1) * 86400 - 9 * 3600);
	CHECK_INT(t, dk_days_from_civil(2016, 7, 16) * 86400 - 9 * 3600);
	/* Berlin in summer: UTC+2 */
	CHECK_INT(dk_period_parse("2016-07..2016-08", "Europe/Berlin", &f, &t,
	    &e), 0);
	CHECK_INT(f, dk_days_from_civil(2016, 7, 1) * 86400 - 2 * 3600);
	CHECK_INT(t, dk_days_from_civil(2016, 9, 1) * 86400 - 2 * 3600);
	CHECK_INT(dk_period_parse("2016-13", "UTC", &f, &t, &e), -1);
	CHECK_INT(e.status, DK_EX_USAGE);
	CHECK_INT(dk_period_parse("2016-02-30", "UTC", &f, &t, &e), -1);
	CHECK_INT(dk_period_parse("2016-7", "UTC", &f, &t, &e), -1);
	CHECK_INT(dk_period_parse("2016-07-02..2016-07-01", "UTC", &f, &t,
	    &e), -1);
	CHECK_INT(dk_period_parse("2016-07..", "UTC", &f, &t, &e), -1);
}

static json_t *
transfer(const char *slot, const char *from, const char *to, long long a)
{
	return json_pack("{s:s,s:i,s:s,s:s,s:s,s:I,s:s}", "type", "transfer",
	    "v", 1, "slot", slot, "from", from, "to", to, "amount",
	    (json_int_t)a, "reason", "p2p");
}

static json_t *
runrec(const char *to, const char *pays)
{
	json_error_t je;
	json_t *r = json_pack("{s:s,s:i,s:s,s:s,s:s,s:s,s:s,s:s}", "type",
	    "payment_run", "v", 1, "period", "2026-01", "from",
	    "2026-01-01T00:00:00+00:00", "to", to, "currency", "EUR",
	    "format", "pain.001", "file", "0123456789abcdef0123456789abcdef"
	    "0123456789abcdef0123456789abcdef");

	json_object_set_new(r, "payments", json_loads(pays, 0, &je));
	return r;
}

static int
apply(struct dk_paybook *pb, long long seq, json_t *rec, struct dk_err *e)
{
	int rc = dk_paybook_record(pb, seq, rec, "EUR", e);

	json_decref(rec);
	return rc;
}

static void
test_paybook(void)
{
	struct dk_paybook pb;
	struct dk_err e = { 0 };
	json_t *plan, *ret;
	int64_t a = 0;
	const char *feb = "2026-02-01T00:00:00+00:00";

	dk_paybook_init(&pb);
	/* bob pays alice 1.2345 EUR in January, the utility pays alice 1
	 * EUR in February, bob pays the operator 0.1 */
	CHECK_INT(apply(&pb, 5, transfer("2026-01-01T10:00:00+00:00", "bob",
	    "alice", 1234500), &e), 0);
	CHECK_INT(apply(&pb, 6, transfer("2026-01-01T10:00:00+00:00", "bob",
	    "operator", 100000), &e), 0);
	CHECK_INT(apply(&pb, 7, transfer("2026-02-01T10:00:00+00:00",
	    "utility", "alice", 1000000), &e), 0);
	plan = dk_paybook_plan(&pb, 0, dk_days_from_civil(2026, 2, 1) * 86400,
	    2, &e);
	CHECK_INT(json_array_size(plan), 2);
	CHECK_INT(json_integer_value(json_object_get(json_array_get(plan, 0),
	    "amount")), 1230000);
	CHECK_INT(json_integer_value(json_object_get(json_array_get(plan, 1),
	    "owed")), -1334500);
	json_decref(plan);
	/* more than owed; then in the wrong order; then right */
	CHECK_INT(apply(&pb, 8, runrec(feb, "[{\"participant\":\"alice\","
	    "\"amount\":1240000}]"), &e), -1);
	CHECK_INT(e.status, DK_EX_NO);
	CHECK_HAS(e.msg, "payment_run (entry 8): participant alice: it pays "
	    "1240000, but 1234500 is owed (1230000");
	CHECK_INT(apply(&pb, 8, runrec(feb, "[{\"participant\":\"bob\","
	    "\"amount\":-1330000},{\"participant\":\"alice\",\"amount\":"
	    "1230000}]"), &e), -1);
	CHECK_HAS(e.msg, "not in the order of ids");
	CHECK_INT(apply(&pb, 8, runrec(feb, "[{\"participant\":\"alice\","
	    "\"amount\":1230000},{\"participant\":\"bob\",\"amount\":"
	    "-1330000}]"), &e), 0);
	/* the same again: paid twice */
	CHECK_INT(apply(&pb, 10, runrec(feb, "[{\"participant\":\"alice\","
	    "\"amount\":1230000}]"), &e), -1);
	CHECK_HAS(e.msg, "but 4500 is owed (0,");
	/* an earlier period: runs go forward */
	CHECK_INT(apply(&pb, 10, runrec("2026-01-15T00:00:00+00:00", "[]"),
	    &e), -1);
	CHECK_HAS(e.msg, "runs go forward");
	/* a return: the amount the run paid, once; then paid again */
	CHECK_INT(dk_paybook_find(&pb, "2026-01", "alice", &a), 8);
	CHECK_INT(a, 1230000);
	ret = dk_payrun_return(&pb, "2026-01", "alice", &e);
	json_object_set_new(ret, "amount", json_integer(1240000));
	CHECK_INT(apply(&pb, 10, json_deep_copy(ret), &e), -1);
	CHECK_HAS(e.msg, "paid alice 1230000, not 1240000");
	json_object_set_new(ret, "amount", json_integer(1230000));
	CHECK_INT(apply(&pb, 10, json_deep_copy(ret), &e), 0);
	CHECK_INT(apply(&pb, 11, ret, &e), -1);
	CHECK_HAS(e.msg, "returned already");
	CHECK_INT(dk_paybook_find(&pb, "2026-01", "alice", &a), 0);
	/* March: alice's February and her returned January payment */
	CHECK_INT(apply(&pb, 12, runrec("2026-03-01T00:00:00+00:00",
	    "[{\"participant\":\"alice\",\"amount\":2230000}]"), &e), 0);
	dk_paybook_free(&pb);
}

static void
test_members(void)
{
	struct dk_err e = { 0 };
	char path[128], *set[3];
	char a[] = "iban=gb29 nwbk 6016 1331 9268 19", b[] = "name=Alice";
	char c[] = "bic=";
	json_t *m = NULL, *m2 = NULL;

	snprintf(path, sizeof(path), "%s/members.jsonl", tmpdir_make("pay"));
	CHECK_INT(dk_members_load(path, &m, &e), 0);
	CHECK_INT(json_object_size(m), 0);
	set[0] = a;
	set[1] = b;
	CHECK_INT(dk_members_set(path, m, "alice", set, 2, &e), 0);
	CHECK_STR(json_string_value(json_object_get(json_object_get(m,
	    "alice"), "iban")), "GB29NWBK60161331926819");
	CHECK(dk_bank_missing(json_object_get(m, "alice"), "pain.001",
	    0) == NULL);
	CHECK_STR(dk_bank_missing(json_object_get(m, "alice"), "zengin", 0),
	    "kana");
	CHECK_STR(dk_bank_missing(NULL, "zengin", 0), "all");
	{
		char t[] = "name=Alice\tB";

		set[0] = t;
		CHECK_INT(dk_members_set(path, m, "alice", set, 1, &e), -1);
		CHECK_STR(e.msg, "alice: name: a control character at byte 6");
	}
	set[0] = c;
	CHECK_INT(dk_members_set(path, m, "alice", set, 1, &e), 0);
	CHECK_INT(dk_members_load(path, &m2, &e), 0);
	CHECK(json_equal(m, m2));
	json_decref(m2);
	/* a member twice, a bad line, a store others may read: -1 naming
	 * the file and line, and nothing handed back */
	{
		FILE *fp;
		char *line = NULL;
		size_t cap = 0;

		fp = fopen(path, "r");
		CHECK(fp != NULL && getline(&line, &cap, fp) > 0);
		fclose(fp);
		fp = fopen(path, "a");
		fputs(line, fp);
		fclose(fp);
		free(line);
		m2 = json_true();	/* a singleton: nothing to leak */
		CHECK_INT(dk_members_load(path, &m2, &e), -1);
		CHECK(m2 == NULL);
		CHECK_INT(e.status, DK_EX_DATAERR);
		CHECK(strstr(e.msg, "members.jsonl:2: participant alice: a "
		    "second record") != NULL);
		memset(&e, 0, sizeof(e));
		fp = fopen(path, "w");
		fputs("{\"type\":\"bank\"\n", fp);
		fclose(fp);
		CHECK_INT(dk_members_load(path, &m2, &e), -1);
		CHECK(m2 == NULL && strstr(e.msg, "members.jsonl:1: ") != NULL);
		memset(&e, 0, sizeof(e));
		chmod(path, 0644);
		CHECK_INT(dk_members_load(path, &m2, &e), -1);
		CHECK(m2 == NULL);
		CHECK_INT(e.status, DK_EX_NOPERM);
		memset(&e, 0, sizeof(e));
	}
	json_decref(m);
	tmpdir_remove();
}

int
main(void)
{
	struct dk_err e = { 0 };

	if (dk_init(&e) < 0)
		return 2;
	test_iban();
	test_bic();
	test_money();
	test_kana();
	test_period();
	test_paybook();
	test_members();
	return check_done("test-pay");
}
