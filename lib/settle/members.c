/*
 * members.c: the operator's member store (denki-formats(5), bank): each
 * member's bank details, personal data kept beside coop.yaml in a file
 * of mode 0600 and never in the ledger; read, checked, changed, written.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "settle.h"

static int
digits(json_t *rec, const char *k, size_t min, size_t max, struct dk_err *e)
{
	const char *s;
	size_t i, n;

	if (json_object_get(rec, k) == NULL)
		return 0;
	if ((s = json_string_value(json_object_get(rec, k))) == NULL)
		return dk_fail(e, DK_EX_DATAERR, "%s: must be a string of "
		    "digits", k);
	n = strlen(s);
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			break;
	if (i < n || n < min || n > max)
		return dk_fail(e, DK_EX_DATAERR, "%s: must be %zu%s%zu digits, "
		    "got \"%.20s\"", k, min, min == max ? "" : " to ",
		    min == max ? (size_t)0 : max, s);
	return 0;
}

static int
kana(json_t *rec, const char *k, size_t max, struct dk_err *e)
{
	const char *s = json_string_value(json_object_get(rec, k));
	char buf[64];
	size_t n;

	if (json_object_get(rec, k) == NULL)
		return 0;
	if (s == NULL)
		return dk_fail(e, DK_EX_DATAERR, "%s: must be a string", k);
	if (dk_kana(s, buf, max, &n, e) < 0)
		return dk_failpre(e, "%s", k);
	return 0;
}

/* What "account_type" may be: 1 ordinary (普通), 2 current (当座), 4
 * savings (貯蓄), 9 other. */
static int
acctype(json_t *rec, struct dk_err *e)
{
	const char *s = json_string_value(json_object_get(rec,
	    "account_type"));

	if (json_object_get(rec, "account_type") == NULL)
		return 0;
	if (s == NULL || strlen(s) != 1 || strchr("1249", s[0]) == NULL)
		return dk_fail(e, DK_EX_DATAERR, "account_type: must be \"1\" "
		    "(ordinary), \"2\" (current), \"4\" (savings) or \"9\" "
		    "(other)");
	return 0;
}

/* One record of the store: {"type":"bank","v":1,"participant":ID,...}
 * with only the fields denki-formats(5) names, each well formed. */
int
dk_bank_check(json_t *rec, struct dk_err *e)
{
	static const char *known[] = { "type", "v", "participant", "name",
	    "iban", "bic", "kana", "bank", "bank_kana", "branch",
	    "branch_kana", "account_type", "account", "company_code" };
	const char *k, *s;
	json_t *x;
	size_t i;
	long long v;

	if (dk_check_type(rec, "bank", e) < 0 ||
	    dk_get_int(rec, "v", 1, 1, &v, e) < 0)
		return -1;
	if (strcmp(json_string_value(json_object_get(rec, "participant")) ?
	    json_string_value(json_object_get(rec, "participant")) : "",
	    "operator") != 0 && dk_get_id(rec, "participant", e) == NULL)
		return -1;
	json_object_foreach(rec, k, x) {
		for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			if (strcmp(k, known[i]) == 0)
				break;
		if (i == sizeof(known) / sizeof(known[0]))
			return dk_fail(e, DK_EX_DATAERR, "%.40s: not a field "
			    "of bank details (name, iban, bic, kana, bank, "
			    "bank_kana, branch, branch_kana, account_type, "
			    "account, company_code)", k);
		if (i > 2 && !json_is_string(x))
			return dk_fail(e, DK_EX_DATAERR, "%s: must be a "
			    "string", k);
	}
	if ((s = json_string_value(json_object_get(rec, "name"))) != NULL) {
		if (strlen(s) == 0 || strlen(s) > 70)
			return dk_fail(e, DK_EX_DATAERR, "name: must be 1 to 70 "
			    "bytes");
		/* it goes into XML, which has no control characters */
		for (i = 0; s[i] != '\0'; i++)
			if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
				return dk_fail(e, DK_EX_DATAERR, "name: a "
				    "control character at byte %zu", i + 1);
	}
	if ((s = json_string_value(json_object_get(rec, "iban"))) != NULL &&
	    dk_iban_check(s, e) < 0)
		return dk_failpre(e, "iban");
	if ((s = json_string_value(json_object_get(rec, "bic"))) != NULL &&
	    dk_bic_check(s, e) < 0)
		return dk_failpre(e, "bic");
	if (kana(rec, "kana", 40, e) < 0 || kana(rec, "bank_kana", 15, e) < 0 ||
	    kana(rec, "branch_kana", 15, e) < 0 ||
	    digits(rec, "bank", 4, 4, e) < 0 ||
	    digits(rec, "branch", 3, 3, e) < 0 ||
	    digits(rec, "account", 1, 7, e) < 0 ||
	    digits(rec, "company_code", 10, 10, e) < 0 || acctype(rec, e) < 0)
		return -1;
	return 0;
}

/* What a payment in format fmt needs of the details d: NULL when they
 * have it, or the first field missing. */
const char *
dk_bank_missing(json_t *d, const char *fmt, int payer)
{
	static const char *sepa[] = { "name", "iban", NULL };
	static const char *zengin[] = { "kana", "bank", "branch",
	    "account_type", "account", NULL };
	const char **f = strcmp(fmt, "zengin") == 0 ? zengin : sepa;

	if (d == NULL)
		return "all";
	for (; *f != NULL; f++)
		if (json_object_get(d, *f) == NULL)
			return *f;
	if (payer && strcmp(fmt, "zengin") == 0 &&
	    json_object_get(d, "company_code") == NULL)
		return "company_code";
	return NULL;
}

/*
 * The store at path as an object, participant -> its record; a store
 * that does not exist is empty.  A store that others than its owner may
 * read is refused (77): it holds personal data.  -1: *out is NULL.
 */
int
dk_members_load(const char *path, json_t **out, struct dk_err *e)
{
	struct dk_reader r;
	struct stat sb;
	json_t *m, *rec;
	const char *id;
	char *line;
	long n;

	if ((m = *out = json_object()) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	if (stat(path, &sb) < 0) {
		if (errno == ENOENT)
			return 0;
		dk_fail(e, DK_EX_NOINPUT, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (sb.st_mode & 077) {
		dk_fail(e, DK_EX_NOPERM, "%s: mode %03o: the member store holds "
		    "personal data and must be readable by its owner only "
		    "(chmod 600 %s)", path, (unsigned)(sb.st_mode & 0777),
		    path);
		goto fail;
	}
	if (dk_reader_open(&r, path, e) < 0)
		goto fail;
	while ((n = dk_reader_next(&r, &line, e)) >= 0) {
		if (n == 0)
			continue;
		if ((rec = dk_parse(line, n, e)) == NULL ||
		    dk_bank_check(rec, e) < 0) {
			json_decref(rec);
			dk_failpre(e, "%s:%ld", path, r.line);
			dk_reader_close(&r);
			goto fail;
		}
		id = json_string_value(json_object_get(rec, "participant"));
		if (json_object_get(m, id) != NULL) {
			dk_fail(e, DK_EX_DATAERR, "%s:%ld: participant %s: a "
			    "second record", path, r.line, id);
			json_decref(rec);
			dk_reader_close(&r);
			goto fail;
		}
		json_object_set_new(m, id, rec);
	}
	dk_reader_close(&r);
	if (e->status == 0)
		return 0;
fail:
	/* nothing half-read is handed back */
	json_decref(m);
	*out = NULL;
	return -1;
}

/*
 * Member id's details changed by "field=value" assignments (an empty
 * value removes the field), checked, and the whole store written anew
 * at path, mode 0600, under a new name then renamed.
 */
int
dk_members_set(const char *path, json_t *m, const char *id, char **set,
    size_t nset, struct dk_err *e)
{
	json_t *rec, *x;
	const char *k;
	char *buf = NULL, *eq, *c, *w;
	size_t i, len = 0;
	FILE *fp;
	int rc;

	if (!dk_valid_id(id) && strcmp(id, "operator") != 0)
		return dk_fail(e, DK_EX_USAGE, "%.40s: not a participant id",
		    id);
	rec = json_object_get(m, id);
	rec = rec != NULL ? json_deep_copy(rec) : json_pack("{s:s,s:i,s:s}",
	    "type", "bank", "v", 1, "participant", id);
	for (i = 0; i < nset; i++) {
		if ((eq = strchr(set[i], '=')) == NULL || eq == set[i]) {
			json_decref(rec);
			return dk_fail(e, DK_EX_USAGE, "%.40s: must be "
			    "field=value", set[i]);
		}
		*eq = '\0';
		if (strcmp(set[i], "type") == 0 || strcmp(set[i], "v") == 0 ||
		    strcmp(set[i], "participant") == 0) {
			json_decref(rec);
			return dk_fail(e, DK_EX_USAGE, "%s: cannot be set",
			    set[i]);
		}
		/* an IBAN as printed, in groups of four */
		if (strcmp(set[i], "iban") == 0 || strcmp(set[i], "bic") == 0) {
			for (c = w = eq + 1; *c != '\0'; c++)
				if (*c != ' ')
					*w++ = toupper((unsigned char)*c);
			*w = '\0';
		}
		if (eq[1] == '\0')
			json_object_del(rec, set[i]);
		else
			json_object_set_new(rec, set[i], json_string(eq + 1));
		*eq = '=';
	}
	if (dk_bank_check(rec, e) < 0) {
		json_decref(rec);
		return dk_failpre(e, "%s", id);
	}
	json_object_set_new(m, id, rec);
	if ((fp = open_memstream(&buf, &len)) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	json_object_foreach(m, k, x)
		dk_emit(fp, x);
	fclose(fp);
	rc = dk_file_write(path, buf, len, 0600, DK_FILE_FORCE, e);
	free(buf);
	return rc;
}
