/* mime_entity.c - HTML's named character references, for mime_html.c.
 *
 * The names of HTML 4.01 (24.2-24.4: Latin-1, symbols and Greek, the
 * special ones), which are what mail generators write, and those of the
 * HTML Living Standard (13.5) for the letters of Latin Extended-A
 * (U+0100..U+017F: Polish, Czech, Hungarian, Turkish, the Baltic
 * languages), which a search must find as letters; apos, and the upper
 * case forms of the legacy ones, are the Living Standard's too. Code
 * points are the Living Standard's, which differs from HTML 4 for lang
 * and rang (U+27E8, U+27E9, as browsers show them). A name the table
 * lacks stays in the text as it was written.
 *
 * "legacy": the Living Standard also takes the name without its ";"
 * (browsers always did, for Latin-1 and & < > "), even when letters
 * follow it: "&copy2024" is the copyright sign and "2024".
 */
#include "proto/mime_internal.h"

#include <string.h>

static const struct entity {
	char name[9];
	uint16_t cp;
	uint8_t legacy;
} entities[] = {
        {"AElig", 0x00c6, 1},   {"AMP", 0x0026, 1},      {"Aacute", 0x00c1, 1},
        {"Abreve", 0x0102, 0},  {"Acirc", 0x00c2, 1},    {"Agrave", 0x00c0, 1},
        {"Alpha", 0x0391, 0},   {"Amacr", 0x0100, 0},    {"Aogon", 0x0104, 0},
        {"Aring", 0x00c5, 1},   {"Atilde", 0x00c3, 1},   {"Auml", 0x00c4, 1},
        {"Beta", 0x0392, 0},    {"COPY", 0x00a9, 1},     {"Cacute", 0x0106, 0},
        {"Ccaron", 0x010c, 0},  {"Ccedil", 0x00c7, 1},   {"Ccirc", 0x0108, 0},
        {"Cdot", 0x010a, 0},    {"Chi", 0x03a7, 0},      {"Dagger", 0x2021, 0},
        {"Dcaron", 0x010e, 0},  {"Delta", 0x0394, 0},    {"Dstrok", 0x0110, 0},
        {"ENG", 0x014a, 0},     {"ETH", 0x00d0, 1},      {"Eacute", 0x00c9, 1},
        {"Ecaron", 0x011a, 0},  {"Ecirc", 0x00ca, 1},    {"Edot", 0x0116, 0},
        {"Egrave", 0x00c8, 1},  {"Emacr", 0x0112, 0},    {"Eogon", 0x0118, 0},
        {"Epsilon", 0x0395, 0}, {"Eta", 0x0397, 0},      {"Euml", 0x00cb, 1},
        {"GT", 0x003e, 1},      {"Gamma", 0x0393, 0},    {"Gbreve", 0x011e, 0},
        {"Gcedil", 0x0122, 0},  {"Gcirc", 0x011c, 0},    {"Gdot", 0x0120, 0},
        {"Hcirc", 0x0124, 0},   {"Hstrok", 0x0126, 0},   {"IJlig", 0x0132, 0},
        {"Iacute", 0x00cd, 1},  {"Icirc", 0x00ce, 1},    {"Idot", 0x0130, 0},
        {"Igrave", 0x00cc, 1},  {"Imacr", 0x012a, 0},    {"Iogon", 0x012e, 0},
        {"Iota", 0x0399, 0},    {"Itilde", 0x0128, 0},   {"Iuml", 0x00cf, 1},
        {"Jcirc", 0x0134, 0},   {"Kappa", 0x039a, 0},    {"Kcedil", 0x0136, 0},
        {"LT", 0x003c, 1},      {"Lacute", 0x0139, 0},   {"Lambda", 0x039b, 0},
        {"Lcaron", 0x013d, 0},  {"Lcedil", 0x013b, 0},   {"Lmidot", 0x013f, 0},
        {"Lstrok", 0x0141, 0},  {"Mu", 0x039c, 0},       {"Nacute", 0x0143, 0},
        {"Ncaron", 0x0147, 0},  {"Ncedil", 0x0145, 0},   {"Ntilde", 0x00d1, 1},
        {"Nu", 0x039d, 0},      {"OElig", 0x0152, 0},    {"Oacute", 0x00d3, 1},
        {"Ocirc", 0x00d4, 1},   {"Odblac", 0x0150, 0},   {"Ograve", 0x00d2, 1},
        {"Omacr", 0x014c, 0},   {"Omega", 0x03a9, 0},    {"Omicron", 0x039f, 0},
        {"Oslash", 0x00d8, 1},  {"Otilde", 0x00d5, 1},   {"Ouml", 0x00d6, 1},
        {"Phi", 0x03a6, 0},     {"Pi", 0x03a0, 0},       {"Prime", 0x2033, 0},
        {"Psi", 0x03a8, 0},     {"QUOT", 0x0022, 1},     {"REG", 0x00ae, 1},
        {"Racute", 0x0154, 0},  {"Rcaron", 0x0158, 0},   {"Rcedil", 0x0156, 0},
        {"Rho", 0x03a1, 0},     {"Sacute", 0x015a, 0},   {"Scaron", 0x0160, 0},
        {"Scedil", 0x015e, 0},  {"Scirc", 0x015c, 0},    {"Sigma", 0x03a3, 0},
        {"THORN", 0x00de, 1},   {"Tau", 0x03a4, 0},      {"Tcaron", 0x0164, 0},
        {"Tcedil", 0x0162, 0},  {"Theta", 0x0398, 0},    {"Tstrok", 0x0166, 0},
        {"Uacute", 0x00da, 1},  {"Ubreve", 0x016c, 0},   {"Ucirc", 0x00db, 1},
        {"Udblac", 0x0170, 0},  {"Ugrave", 0x00d9, 1},   {"Umacr", 0x016a, 0},
        {"Uogon", 0x0172, 0},   {"Upsilon", 0x03a5, 0},  {"Uring", 0x016e, 0},
        {"Utilde", 0x0168, 0},  {"Uuml", 0x00dc, 1},     {"Wcirc", 0x0174, 0},
        {"Xi", 0x039e, 0},      {"Yacute", 0x00dd, 1},   {"Ycirc", 0x0176, 0},
        {"Yuml", 0x0178, 0},    {"Zacute", 0x0179, 0},   {"Zcaron", 0x017d, 0},
        {"Zdot", 0x017b, 0},    {"Zeta", 0x0396, 0},     {"aacute", 0x00e1, 1},
        {"abreve", 0x0103, 0},  {"acirc", 0x00e2, 1},    {"acute", 0x00b4, 1},
        {"aelig", 0x00e6, 1},   {"agrave", 0x00e0, 1},   {"alefsym", 0x2135, 0},
        {"alpha", 0x03b1, 0},   {"amacr", 0x0101, 0},    {"amp", 0x0026, 1},
        {"and", 0x2227, 0},     {"ang", 0x2220, 0},      {"aogon", 0x0105, 0},
        {"apos", 0x0027, 0},    {"aring", 0x00e5, 1},    {"asymp", 0x2248, 0},
        {"atilde", 0x00e3, 1},  {"auml", 0x00e4, 1},     {"bdquo", 0x201e, 0},
        {"beta", 0x03b2, 0},    {"brvbar", 0x00a6, 1},   {"bull", 0x2022, 0},
        {"cacute", 0x0107, 0},  {"cap", 0x2229, 0},      {"ccaron", 0x010d, 0},
        {"ccedil", 0x00e7, 1},  {"ccirc", 0x0109, 0},    {"cdot", 0x010b, 0},
        {"cedil", 0x00b8, 1},   {"cent", 0x00a2, 1},     {"chi", 0x03c7, 0},
        {"circ", 0x02c6, 0},    {"clubs", 0x2663, 0},    {"cong", 0x2245, 0},
        {"copy", 0x00a9, 1},    {"crarr", 0x21b5, 0},    {"cup", 0x222a, 0},
        {"curren", 0x00a4, 1},  {"dArr", 0x21d3, 0},     {"dagger", 0x2020, 0},
        {"darr", 0x2193, 0},    {"dcaron", 0x010f, 0},   {"deg", 0x00b0, 1},
        {"delta", 0x03b4, 0},   {"diams", 0x2666, 0},    {"divide", 0x00f7, 1},
        {"dstrok", 0x0111, 0},  {"eacute", 0x00e9, 1},   {"ecaron", 0x011b, 0},
        {"ecirc", 0x00ea, 1},   {"edot", 0x0117, 0},     {"egrave", 0x00e8, 1},
        {"emacr", 0x0113, 0},   {"empty", 0x2205, 0},    {"emsp", 0x2003, 0},
        {"eng", 0x014b, 0},     {"ensp", 0x2002, 0},     {"eogon", 0x0119, 0},
        {"epsilon", 0x03b5, 0}, {"equiv", 0x2261, 0},    {"eta", 0x03b7, 0},
        {"eth", 0x00f0, 1},     {"euml", 0x00eb, 1},     {"euro", 0x20ac, 0},
        {"exist", 0x2203, 0},   {"fnof", 0x0192, 0},     {"forall", 0x2200, 0},
        {"frac12", 0x00bd, 1},  {"frac14", 0x00bc, 1},   {"frac34", 0x00be, 1},
        {"frasl", 0x2044, 0},   {"gamma", 0x03b3, 0},    {"gbreve", 0x011f, 0},
        {"gcirc", 0x011d, 0},   {"gdot", 0x0121, 0},     {"ge", 0x2265, 0},
        {"gt", 0x003e, 1},      {"hArr", 0x21d4, 0},     {"harr", 0x2194, 0},
        {"hcirc", 0x0125, 0},   {"hearts", 0x2665, 0},   {"hellip", 0x2026, 0},
        {"hstrok", 0x0127, 0},  {"iacute", 0x00ed, 1},   {"icirc", 0x00ee, 1},
        {"iexcl", 0x00a1, 1},   {"igrave", 0x00ec, 1},   {"ijlig", 0x0133, 0},
        {"imacr", 0x012b, 0},   {"image", 0x2111, 0},    {"imath", 0x0131, 0},
        {"infin", 0x221e, 0},   {"inodot", 0x0131, 0},   {"int", 0x222b, 0},
        {"iogon", 0x012f, 0},   {"iota", 0x03b9, 0},     {"iquest", 0x00bf, 1},
        {"isin", 0x2208, 0},    {"itilde", 0x0129, 0},   {"iuml", 0x00ef, 1},
        {"jcirc", 0x0135, 0},   {"kappa", 0x03ba, 0},    {"kcedil", 0x0137, 0},
        {"kgreen", 0x0138, 0},  {"lArr", 0x21d0, 0},     {"lacute", 0x013a, 0},
        {"lambda", 0x03bb, 0},  {"lang", 0x27e8, 0},     {"laquo", 0x00ab, 1},
        {"larr", 0x2190, 0},    {"lcaron", 0x013e, 0},   {"lcedil", 0x013c, 0},
        {"lceil", 0x2308, 0},   {"ldquo", 0x201c, 0},    {"le", 0x2264, 0},
        {"lfloor", 0x230a, 0},  {"lmidot", 0x0140, 0},   {"lowast", 0x2217, 0},
        {"loz", 0x25ca, 0},     {"lrm", 0x200e, 0},      {"lsaquo", 0x2039, 0},
        {"lsquo", 0x2018, 0},   {"lstrok", 0x0142, 0},   {"lt", 0x003c, 1},
        {"macr", 0x00af, 1},    {"mdash", 0x2014, 0},    {"micro", 0x00b5, 1},
        {"middot", 0x00b7, 1},  {"minus", 0x2212, 0},    {"mu", 0x03bc, 0},
        {"nabla", 0x2207, 0},   {"nacute", 0x0144, 0},   {"napos", 0x0149, 0},
        {"nbsp", 0x00a0, 1},    {"ncaron", 0x0148, 0},   {"ncedil", 0x0146, 0},
        {"ndash", 0x2013, 0},   {"ne", 0x2260, 0},       {"ni", 0x220b, 0},
        {"not", 0x00ac, 1},     {"notin", 0x2209, 0},    {"nsub", 0x2284, 0},
        {"ntilde", 0x00f1, 1},  {"nu", 0x03bd, 0},       {"oacute", 0x00f3, 1},
        {"ocirc", 0x00f4, 1},   {"odblac", 0x0151, 0},   {"oelig", 0x0153, 0},
        {"ograve", 0x00f2, 1},  {"oline", 0x203e, 0},    {"omacr", 0x014d, 0},
        {"omega", 0x03c9, 0},   {"omicron", 0x03bf, 0},  {"oplus", 0x2295, 0},
        {"or", 0x2228, 0},      {"ordf", 0x00aa, 1},     {"ordm", 0x00ba, 1},
        {"oslash", 0x00f8, 1},  {"otilde", 0x00f5, 1},   {"otimes", 0x2297, 0},
        {"ouml", 0x00f6, 1},    {"para", 0x00b6, 1},     {"part", 0x2202, 0},
        {"permil", 0x2030, 0},  {"perp", 0x22a5, 0},     {"phi", 0x03c6, 0},
        {"pi", 0x03c0, 0},      {"piv", 0x03d6, 0},      {"plusmn", 0x00b1, 1},
        {"pound", 0x00a3, 1},   {"prime", 0x2032, 0},    {"prod", 0x220f, 0},
        {"prop", 0x221d, 0},    {"psi", 0x03c8, 0},      {"quot", 0x0022, 1},
        {"rArr", 0x21d2, 0},    {"racute", 0x0155, 0},   {"radic", 0x221a, 0},
        {"rang", 0x27e9, 0},    {"raquo", 0x00bb, 1},    {"rarr", 0x2192, 0},
        {"rcaron", 0x0159, 0},  {"rcedil", 0x0157, 0},   {"rceil", 0x2309, 0},
        {"rdquo", 0x201d, 0},   {"real", 0x211c, 0},     {"reg", 0x00ae, 1},
        {"rfloor", 0x230b, 0},  {"rho", 0x03c1, 0},      {"rlm", 0x200f, 0},
        {"rsaquo", 0x203a, 0},  {"rsquo", 0x2019, 0},    {"sacute", 0x015b, 0},
        {"sbquo", 0x201a, 0},   {"scaron", 0x0161, 0},   {"scedil", 0x015f, 0},
        {"scirc", 0x015d, 0},   {"sdot", 0x22c5, 0},     {"sect", 0x00a7, 1},
        {"shy", 0x00ad, 1},     {"sigma", 0x03c3, 0},    {"sigmaf", 0x03c2, 0},
        {"sim", 0x223c, 0},     {"spades", 0x2660, 0},   {"sub", 0x2282, 0},
        {"sube", 0x2286, 0},    {"sum", 0x2211, 0},      {"sup", 0x2283, 0},
        {"sup1", 0x00b9, 1},    {"sup2", 0x00b2, 1},     {"sup3", 0x00b3, 1},
        {"supe", 0x2287, 0},    {"szlig", 0x00df, 1},    {"tau", 0x03c4, 0},
        {"tcaron", 0x0165, 0},  {"tcedil", 0x0163, 0},   {"there4", 0x2234, 0},
        {"theta", 0x03b8, 0},   {"thetasym", 0x03d1, 0}, {"thinsp", 0x2009, 0},
        {"thorn", 0x00fe, 1},   {"tilde", 0x02dc, 0},    {"times", 0x00d7, 1},
        {"trade", 0x2122, 0},   {"tstrok", 0x0167, 0},   {"uArr", 0x21d1, 0},
        {"uacute", 0x00fa, 1},  {"uarr", 0x2191, 0},     {"ubreve", 0x016d, 0},
        {"ucirc", 0x00fb, 1},   {"udblac", 0x0171, 0},   {"ugrave", 0x00f9, 1},
        {"umacr", 0x016b, 0},   {"uml", 0x00a8, 1},      {"uogon", 0x0173, 0},
        {"upsih", 0x03d2, 0},   {"upsilon", 0x03c5, 0},  {"uring", 0x016f, 0},
        {"utilde", 0x0169, 0},  {"uuml", 0x00fc, 1},     {"wcirc", 0x0175, 0},
        {"weierp", 0x2118, 0},  {"xi", 0x03be, 0},       {"yacute", 0x00fd, 1},
        {"ycirc", 0x0177, 0},   {"yen", 0x00a5, 1},      {"yuml", 0x00ff, 1},
        {"zacute", 0x017a, 0},  {"zcaron", 0x017e, 0},   {"zdot", 0x017c, 0},
        {"zeta", 0x03b6, 0},    {"zwj", 0x200d, 0},      {"zwnj", 0x200c, 0},
};

/* The first entry of each first letter, from 'A' to 'z', and the end of
 * the table: made with the table, so that a name is looked for among
 * those of its letter (a tenth of the table at most). */
static const uint16_t first_of['z' - 'A' + 2] = {
        0,   12,  13,  20,  24,  36,  36,  42,  44,  54,  55,  57,
        64,  65,  70,  81,  85,  86,  91,  96,  102, 113, 113, 114,
        115, 118, 122, 122, 122, 122, 122, 122, 122, 140, 144, 160,
        169, 187, 193, 199, 205, 222, 223, 226, 246, 252, 266, 283,
        296, 297, 314, 335, 347, 362, 362, 364, 365, 369, 375,
};

/* strcmp() of name[0..n) (letters and digits, n below the size of the
 * table's names) against a name of the table, both past their first
 * letter, which is the same. */
static int compare(const char *name, size_t n, const char *e)
{
	size_t i = 1;
	while (i < n && name[i] == e[i])
		i++;
	if (i == n)
		return e[i] ? -1 : 0;
	return (unsigned char)name[i] - (unsigned char)e[i];
}

static const struct entity *find(const char *name, size_t n)
{
	if (n == 0 || n >= sizeof(entities[0].name) || name[0] < 'A' ||
	    name[0] > 'z')
		return NULL;
	size_t lo = first_of[name[0] - 'A'], hi = first_of[name[0] - 'A' + 1];
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = compare(name, n, entities[mid].name);
		if (r == 0)
			return &entities[mid];
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

uint32_t imap4_mime_entity_find(const char *name, size_t n)
{
	const struct entity *e = find(name, n);
	return e ? e->cp : 0;
}

size_t imap4_mime_entity_legacy(const char *name, size_t n, uint32_t *cp)
{
	/* the longest legacy names ("frac12", "middot") have six letters */
	for (size_t k = n < 6 ? n : 6; k >= 2; k--) {
		const struct entity *e = find(name, k);
		if (e && e->legacy) {
			*cp = e->cp;
			return k;
		}
	}
	return 0;
}
