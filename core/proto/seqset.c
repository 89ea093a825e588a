/* seqset.c - sequence sets: parse, test membership, format.
 *
 * RFC 9051 9 (and RFC 3501 9):
 *	seq-number   = nz-number / "*"
 *	seq-range    = seq-number ":" seq-number
 *	sequence-set = (seq-number / seq-range) ["," sequence-set]
 *	nz-number    = digit-nz *DIGIT	; non-zero unsigned 32-bit
 */
#include "proto/view.h"

#include <stdint.h>
#include <stdlib.h>

/* One seq-number at s[*i]: "*" gives 0. */
static int parse_seqnum(uint32_t *out, const char *s, size_t len, size_t *i,
			bool allow_star)
{
	if (*i < len && s[*i] == '*') {
		if (!allow_star)
			return IMAP4_EPROTO;
		(*i)++;
		*out = 0;
		return 0;
	}
	uint64_t v = 0;
	size_t start = *i;
	while (*i < len && s[*i] >= '0' && s[*i] <= '9') {
		v = v * 10 + (uint64_t)(s[*i] - '0');
		if (v > UINT32_MAX)
			return IMAP4_EPROTO;
		(*i)++;
	}
	if (*i == start || v == 0)
		return IMAP4_EPROTO;
	*out = (uint32_t)v;
	return 0;
}

int imap4_view_seqset(imap4_seqset *out, struct imap4_arena *arena,
		      const char *s, size_t len, bool allow_star)
{
	out->ranges = NULL;
	out->count = 0;
	if (!s || len == 0)
		return IMAP4_EPROTO;

	/* Memory follows the bytes received: one range per comma. */
	size_t n = 1;
	for (size_t i = 0; i < len; i++)
		n += s[i] == ',';
	if (n > SIZE_MAX / sizeof(imap4_range))
		return IMAP4_ENOMEM;
	imap4_range *r = imap4_arena_alloc(arena, n * sizeof(*r));
	if (!r)
		return IMAP4_ENOMEM;

	size_t i = 0, k = 0;
	for (;;) {
		uint32_t lo, hi;
		int rc = parse_seqnum(&lo, s, len, &i, allow_star);
		if (rc < 0)
			return rc;
		hi = lo;
		if (i < len && s[i] == ':') {
			i++;
			rc = parse_seqnum(&hi, s, len, &i, allow_star);
			if (rc < 0)
				return rc;
		}
		/* "4:2" is "2:4" (RFC 9051 9, seq-range), and "*:4" is
		 * "4:*": "*" always lands in hi so a reader tests one end. */
		if (lo == 0 || (hi != 0 && lo > hi)) {
			uint32_t t = lo;
			lo = hi;
			hi = t;
		}
		r[k].lo = lo;
		r[k].hi = hi;
		k++;
		if (i == len)
			break;
		if (s[i] != ',')
			return IMAP4_EPROTO;
		i++;
	}
	out->ranges = r;
	out->count = k;
	return 0;
}

int imap4_seqset_parse(imap4_seqset *out, struct imap4_arena *arena,
		       const char *s, size_t len)
{
	if (!out || !arena)
		return IMAP4_EINVAL;
	return imap4_view_seqset(out, arena, s, len, true);
}

bool imap4_seqset_contains(const imap4_seqset *set, uint32_t n, uint32_t star)
{
	if (!set || n == 0)
		return false;
	for (size_t i = 0; i < set->count; i++) {
		uint32_t lo = set->ranges[i].lo ? set->ranges[i].lo : star;
		uint32_t hi = set->ranges[i].hi ? set->ranges[i].hi : star;
		/* "5:*" with * = 3 is 3:5 (RFC 9051 6.4.8 example). */
		if (lo > hi) {
			uint32_t t = lo;
			lo = hi;
			hi = t;
		}
		if (n >= lo && n <= hi)
			return true;
	}
	return false;
}

static size_t put_u32(char *p, uint32_t v)
{
	char tmp[10];
	size_t n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (size_t i = 0; i < n; i++)
		p[i] = tmp[n - 1 - i];
	return n;
}

int imap4_seqset_format(char **out, const uint32_t *nums, size_t count)
{
	if (!out)
		return IMAP4_EINVAL;
	*out = NULL;
	if (!nums || count == 0)
		return IMAP4_EINVAL;
	for (size_t i = 0; i < count; i++) {
		if (nums[i] == 0 || (i > 0 && nums[i] < nums[i - 1]))
			return IMAP4_EINVAL;
	}

	/* At most "4294967295:4294967295," per number. */
	if (count > (SIZE_MAX - 1) / 22)
		return IMAP4_ENOMEM;
	char *buf = malloc(count * 22 + 1);
	if (!buf)
		return IMAP4_ENOMEM;

	char *p = buf;
	size_t i = 0;
	while (i < count) {
		size_t j = i;
		/* Duplicates fold into the run they belong to. */
		while (j + 1 < count && (nums[j + 1] == nums[j] ||
					 nums[j + 1] == nums[j] + 1))
			j++;
		if (p != buf)
			*p++ = ',';
		p += put_u32(p, nums[i]);
		if (nums[j] != nums[i]) {
			*p++ = ':';
			p += put_u32(p, nums[j]);
		}
		i = j + 1;
	}
	*p = '\0';
	*out = buf;
	return 0;
}
