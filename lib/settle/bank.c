/*
 * bank.c: what bank files need of a member's details and of money: IBANs
 * (ISO 13616, ISO 7064 mod 97-10), BICs (ISO 9362), a currency's minor
 * units (ISO 4217), and names as the half-width katakana of JIS X 0201.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "settle.h"

/* The IBAN's length in each country that has one, of those the SEPA
 * rulebook names most (ISO 13616 registry); another country's IBAN is
 * held to the check digits and the length of 15 to 34. */
static const struct {
	char cc[3];
	int len;
} iban_len[] = {
	{ "AT", 20 }, { "BE", 16 }, { "CH", 21 }, { "CY", 28 }, { "CZ", 24 },
	{ "DE", 22 }, { "DK", 18 }, { "EE", 20 }, { "ES", 24 }, { "FI", 18 },
	{ "FR", 27 }, { "GB", 22 }, { "GR", 27 }, { "HR", 21 }, { "HU", 28 },
	{ "IE", 22 }, { "IS", 26 }, { "IT", 27 }, { "LI", 21 }, { "LT", 20 },
	{ "LU", 20 }, { "LV", 21 }, { "MC", 27 }, { "MT", 31 }, { "NL", 18 },
	{ "NO", 15 }, { "PL", 28 }, { "PT", 25 }, { "RO", 24 }, { "SE", 24 },
	{ "SI", 19 }, { "SK", 24 }, { "SM", 27 },
};

/*
 * An IBAN in its electronic form (capitals and digits, no space): its
 * country's length and its check digits, ISO 7064 mod 97-10: the first
 * four characters moved to the end, letters as 10 to 35, the number
 * mod 97 is 1.
 */
int
dk_iban_check(const char *iban, struct dk_err *e)
{
	size_t n = strlen(iban), i, k;
	unsigned r = 0;
	int c;

	if (n < 15 || n > 34)
		return dk_fail(e, DK_EX_DATAERR, "IBAN \"%.40s\": must have 15 "
		    "to 34 characters, has %zu", iban, n);
	for (i = 0; i < n; i++)
		if (!(isupper((unsigned char)iban[i]) ||
		    isdigit((unsigned char)iban[i])))
			return dk_fail(e, DK_EX_DATAERR, "IBAN \"%.40s\": "
			    "character %zu: capital letters and digits only, "
			    "no space", iban, i + 1);
	if (!isupper((unsigned char)iban[0]) ||
	    !isupper((unsigned char)iban[1]) ||
	    !isdigit((unsigned char)iban[2]) ||
	    !isdigit((unsigned char)iban[3]))
		return dk_fail(e, DK_EX_DATAERR, "IBAN \"%.40s\": must start "
		    "with a country code and two check digits", iban);
	for (k = 0; k < sizeof(iban_len) / sizeof(iban_len[0]); k++)
		if (strncmp(iban, iban_len[k].cc, 2) == 0 &&
		    (size_t)iban_len[k].len != n)
			return dk_fail(e, DK_EX_DATAERR, "IBAN \"%.40s\": an "
			    "IBAN of %s has %d characters, not %zu", iban,
			    iban_len[k].cc, iban_len[k].len, n);
	for (i = 0; i < n; i++) {
		c = iban[(i + 4) % n];
		if (isdigit(c))
			r = (r * 10 + (c - '0')) % 97;
		else
			r = (r * 100 + (c - 'A' + 10)) % 97;
	}
	if (r != 1)
		return dk_fail(e, DK_EX_DATAERR, "IBAN \"%.40s\": wrong check "
		    "digits (mod 97 is %u, not 1): a mistyped character?",
		    iban, r);
	return 0;
}

/* A BIC as pain.001.001.03's schema has it (BICIdentifier):
 * [A-Z]{6}[A-Z2-9][A-NP-Z0-9]([A-Z0-9]{3})? */
int
dk_bic_check(const char *bic, struct dk_err *e)
{
	size_t n = strlen(bic), i;
	int ok = n == 8 || n == 11;

	for (i = 0; ok && i < 6; i++)
		ok = isupper((unsigned char)bic[i]);
	ok = ok && (isupper((unsigned char)bic[6]) ||
	    (bic[6] >= '2' && bic[6] <= '9'));
	ok = ok && bic[7] != 'O' && (isupper((unsigned char)bic[7]) ||
	    isdigit((unsigned char)bic[7]));
	for (i = 8; ok && i < n; i++)
		ok = isupper((unsigned char)bic[i]) ||
		    isdigit((unsigned char)bic[i]);
	if (!ok)
		return dk_fail(e, DK_EX_DATAERR, "BIC \"%.40s\": must be 8 or "
		    "11 characters: bank (4 letters), country (2), location "
		    "(2), branch (3, optional)", bic);
	return 0;
}

/* The minor units of a currency (ISO 4217's exponent), or -1 for one
 * this table does not know. */
int
dk_currency_exp(const char *cur)
{
	static const char *two[] = { "EUR", "USD", "GBP", "CHF", "SEK", "DKK",
	    "NOK", "PLN", "CZK", "HUF", "RON", "BGN", "AUD", "CAD", "NZD" };
	size_t i;

	if (strcmp(cur, "JPY") == 0 || strcmp(cur, "KRW") == 0 ||
	    strcmp(cur, "ISK") == 0)
		return 0;
	for (i = 0; i < sizeof(two) / sizeof(two[0]); i++)
		if (strcmp(cur, two[i]) == 0)
			return 2;
	return -1;
}

/* micro-units per minor unit: 10^(6 - exp) */
int64_t
dk_minor_unit(int exp)
{
	int64_t u = 1000000;

	while (exp-- > 0)
		u /= 10;
	return u;
}

/* The rounding of a payment (denki-formats(5), Payments): toward zero to
 * a whole minor unit; what is cut off stays owed, carried to the next. */
int64_t
dk_pay_round(int64_t micro, int exp)
{
	int64_t u = dk_minor_unit(exp);

	return micro / u * u;
}

/* A payment of micro-units, a multiple of the minor unit, as the decimal
 * of the currency ("12.34" for EUR, "1234" for JPY); not negative. */
void
dk_minor_str(int64_t micro, int exp, char *out, size_t len)
{
	int64_t u = dk_minor_unit(exp), m = micro / u, p = 1;
	int i;

	for (i = 0; i < exp; i++)
		p *= 10;
	if (exp == 0)
		snprintf(out, len, "%lld", (long long)m);
	else
		snprintf(out, len, "%lld.%0*lld", (long long)(m / p), exp,
		    (long long)(m % p));
}

/*
 * Full-width katakana U+30A1 to U+30F6 in JIS X 0201: the letter, and its
 * voiced or semi-voiced mark (0xDE, 0xDF) or 0.  Small letters become
 * their large ones (the Zengin files have no small kana), ヰ ヱ become
 * ｲ ｴ.
 */
static const unsigned char kata[86][2] = {
	{ 0xB1 }, { 0xB1 }, { 0xB2 }, { 0xB2 }, { 0xB3 }, { 0xB3 }, { 0xB4 },
	{ 0xB4 }, { 0xB5 }, { 0xB5 },
	{ 0xB6 }, { 0xB6, 0xDE }, { 0xB7 }, { 0xB7, 0xDE }, { 0xB8 },
	{ 0xB8, 0xDE }, { 0xB9 }, { 0xB9, 0xDE }, { 0xBA }, { 0xBA, 0xDE },
	{ 0xBB }, { 0xBB, 0xDE }, { 0xBC }, { 0xBC, 0xDE }, { 0xBD },
	{ 0xBD, 0xDE }, { 0xBE }, { 0xBE, 0xDE }, { 0xBF }, { 0xBF, 0xDE },
	{ 0xC0 }, { 0xC0, 0xDE }, { 0xC1 }, { 0xC1, 0xDE }, { 0xC2 }, { 0xC2 },
	{ 0xC2, 0xDE }, { 0xC3 }, { 0xC3, 0xDE }, { 0xC4 }, { 0xC4, 0xDE },
	{ 0xC5 }, { 0xC6 }, { 0xC7 }, { 0xC8 }, { 0xC9 },
	{ 0xCA }, { 0xCA, 0xDE }, { 0xCA, 0xDF }, { 0xCB }, { 0xCB, 0xDE },
	{ 0xCB, 0xDF }, { 0xCC }, { 0xCC, 0xDE }, { 0xCC, 0xDF }, { 0xCD },
	{ 0xCD, 0xDE }, { 0xCD, 0xDF }, { 0xCE }, { 0xCE, 0xDE },
	{ 0xCE, 0xDF },
	{ 0xCF }, { 0xD0 }, { 0xD1 }, { 0xD2 }, { 0xD3 },
	{ 0xD4 }, { 0xD4 }, { 0xD5 }, { 0xD5 }, { 0xD6 }, { 0xD6 },
	{ 0xD7 }, { 0xD8 }, { 0xD9 }, { 0xDA }, { 0xDB },
	{ 0xDC }, { 0xDC }, { 0xB2 }, { 0xB4 }, { 0xA6 }, { 0xDD },
	{ 0xB3, 0xDE }, { 0xB6 }, { 0xB9 },
};

/* One UTF-8 character of s: its code point and length, or -1. */
static long
utf8(const unsigned char *s, int *len)
{
	long c;
	int n, i;

	if (s[0] < 0x80) {
		*len = 1;
		return s[0];
	}
	n = (s[0] & 0xE0) == 0xC0 ? 2 : (s[0] & 0xF0) == 0xE0 ? 3 :
	    (s[0] & 0xF8) == 0xF0 ? 4 : 0;
	if (n == 0)
		return -1;
	c = s[0] & (0x7F >> n);
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return -1;
		c = c << 6 | (s[i] & 0x3F);
	}
	*len = n;
	return c;
}

/* One character as JIS X 0201 bytes in b (1 or 2), or 0 when the Zengin
 * character set has no such character. */
static int
zchar(long c, unsigned char *b)
{
	static const char ascii[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ "
	    "()-./,";

	if (c >= 'a' && c <= 'z')
		c -= 'a' - 'A';
	else if (c >= 0xFF10 && c <= 0xFF19)	/* full-width digits */
		c -= 0xFF10 - '0';
	else if (c >= 0xFF21 && c <= 0xFF3A)	/* full-width capitals */
		c -= 0xFF21 - 'A';
	else if (c >= 0xFF41 && c <= 0xFF5A)
		c -= 0xFF41 - 'A';
	else if (c == 0x3000)
		c = ' ';
	else if (c == 0x30FC || c == 0xFF70 || c == 0x2212 || c == 0xFF0D ||
	    c == 0x2010)			/* ー, ｰ, minus signs */
		c = '-';
	else if (c == 0xFF08 || c == 0xFF09 || c == 0xFF0E || c == 0xFF0F ||
	    c == 0xFF0C)
		c = c - 0xFF08 + '(';
	if (c > 0 && c < 0x80)
		return strchr(ascii, (int)c) != NULL ? (b[0] = c, 1) : 0;
	if (c >= 0x3041 && c <= 0x3096)		/* hiragana */
		c += 0x60;
	if (c >= 0x30A1 && c <= 0x30F6) {
		b[0] = kata[c - 0x30A1][0];
		b[1] = kata[c - 0x30A1][1];
		return b[1] ? 2 : 1;
	}
	if (c == 0x309B || c == 0x3099 || c == 0xFF9E)
		return b[0] = 0xDE, 1;
	if (c == 0x309C || c == 0x309A || c == 0xFF9F)
		return b[0] = 0xDF, 1;
	if (c == 0x300C || c == 0xFF62)
		return b[0] = 0xA2, 1;
	if (c == 0x300D || c == 0xFF63)
		return b[0] = 0xA3, 1;
	if (c >= 0xFF66 && c <= 0xFF9D) {	/* half-width katakana */
		b[0] = c - 0xFF61 + 0xA1;
		/* small ｧ to ｯ: their large letters */
		if (b[0] >= 0xA7 && b[0] <= 0xAB)
			b[0] = 0xB1 + (b[0] - 0xA7);
		else if (b[0] >= 0xAC && b[0] <= 0xAE)
			b[0] = 0xD4 + (b[0] - 0xAC);
		else if (b[0] == 0xAF)
			b[0] = 0xC2;
		return 1;
	}
	return 0;
}

/* How much of s a message shows: at most max bytes, whole characters. */
static int
shown(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n <= max)
		return (int)n;
	while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
		max--;
	return (int)max;
}

/*
 * A name in UTF-8 (katakana, hiragana, half-width katakana, digits,
 * Latin letters, space and ( ) - . / , in full or half width) as the
 * Zengin files' characters: JIS X 0201, which is also what Shift_JIS
 * has for them, one byte each; into out, at most max bytes, with its
 * length in *n.  Another character, or a name longer than max, is
 * refused naming the character.
 */
int
dk_kana(const char *s, char *out, size_t max, size_t *n, struct dk_err *e)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned char b[2];
	size_t o = 0;
	long c;
	int len, k;

	while (*p != '\0') {
		if ((c = utf8(p, &len)) < 0)
			return dk_fail(e, DK_EX_DATAERR, "\"%.*s\": not UTF-8",
			    shown(s, 0), s);
		if ((k = zchar(c, b)) == 0)
			return dk_fail(e, DK_EX_DATAERR, "\"%.*s\": \"%.*s\" "
			    "(U+%04lX) is not in the Zengin character set: "
			    "katakana, digits, capital letters, space and "
			    "( ) - . / , only", shown(s, 180), s, len,
			    (const char *)p, c);
		if (o + k > max)
			return dk_fail(e, DK_EX_DATAERR, "\"%.*s\": longer "
			    "than the %zu half-width characters the field "
			    "has", shown(s, 180), s, max);
		memcpy(out + o, b, k);
		o += k;
		p += len;
	}
	*n = o;
	return 0;
}
