/* seqview.c - sequence numbers to UIDs; see seqview.h for the contract. */
#include "mailmirrord/seqview.h"

#include <stdlib.h>
#include <string.h>

void seqview_reset(struct seqview *v, int64_t box, bool build)
{
	v->box = box;
	v->ok = build;
	v->settled = false;
	v->n = 0;
	v->nmore = 0;
}

void seqview_free(struct seqview *v)
{
	free(v->uid);
	free(v->more);
	*v = (struct seqview){0};
}

void seqview_untrust(struct seqview *v)
{
	v->ok = false;
	v->settled = false;
	v->n = 0;
	v->nmore = 0;
}

void seqview_saw(struct seqview *v, uint32_t seq, uint32_t uid, uint64_t limit)
{
	if (!v->ok)
		return;
	if (seq == 0 || uid == 0) {
		seqview_untrust(v);
		return;
	}
	if (seq <= v->n) {
		if (v->uid[seq - 1] != uid)
			seqview_untrust(v);
		return;
	}
	if (v->nmore >= limit) {
		seqview_untrust(v);
		return;
	}
	if (v->nmore == v->capmore) {
		size_t cap = v->capmore ? 2 * v->capmore : 256;
		struct seqview_pair *m = realloc(v->more, cap * sizeof(*m));
		if (!m) {
			seqview_untrust(v);
			return;
		}
		v->more = m;
		v->capmore = cap;
	}
	v->more[v->nmore++] = (struct seqview_pair){seq, uid};
}

uint32_t seqview_uid(const struct seqview *v, uint32_t seq)
{
	return v->ok && seq >= 1 && seq <= v->n ? v->uid[seq - 1] : 0;
}

uint32_t seqview_expunge(struct seqview *v, uint32_t seq)
{
	if (!v->ok)
		return 0;
	if (seq == 0) {
		seqview_untrust(v);
		return 0;
	}
	uint32_t uid = 0;
	if (seq <= v->n) {
		uid = v->uid[seq - 1];
		memmove(&v->uid[seq - 1], &v->uid[seq],
		        (v->n - seq) * sizeof(*v->uid));
		v->n--;
	}
	size_t k = 0;
	for (size_t i = 0; i < v->nmore; i++) {
		struct seqview_pair p = v->more[i];
		if (p.seq == seq)
			continue;
		if (p.seq > seq)
			p.seq--;
		v->more[k++] = p;
	}
	v->nmore = k;
	return uid;
}

static int by_seq(const void *a, const void *b)
{
	const struct seqview_pair *x = a, *y = b;
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

bool seqview_settle(struct seqview *v, uint32_t exists)
{
	if (!v->ok)
		return false;
	if (v->nmore) /* qsort's array may not be NULL, even empty */
		qsort(v->more, v->nmore, sizeof(*v->more), by_seq);
	bool ok = true;
	for (size_t i = 0; ok && i < v->nmore; i++) {
		struct seqview_pair p = v->more[i];
		if (p.seq <= v->n) {
			/* The same message named twice (its flags again) */
			ok = v->uid[p.seq - 1] == p.uid;
			continue;
		}
		/* A gap: a message no response named */
		if (p.seq != v->n + 1 || (v->n && p.uid <= v->uid[v->n - 1])) {
			ok = false;
			break;
		}
		if (v->n == v->cap) {
			size_t cap = v->cap ? 2 * v->cap : 256;
			uint32_t *u = realloc(v->uid, cap * sizeof(*u));
			if (!u) {
				ok = false;
				break;
			}
			v->uid = u;
			v->cap = cap;
		}
		v->uid[v->n++] = p.uid;
	}
	v->nmore = 0;
	if (!ok || v->n != exists) {
		seqview_untrust(v);
		return false;
	}
	v->settled = true;
	return true;
}

bool seqview_ready(const struct seqview *v, int64_t box)
{
	return v->ok && v->settled && box && v->box == box;
}
