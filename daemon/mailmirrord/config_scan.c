/* config_scan.c - integer literals that libconfig 1.5 would truncate. */
#include "mailmirrord/config_scan.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Characters of a libconfig setting name ([A-Za-z*][-A-Za-z0-9_*]*): a
 * digit after one of them is part of the name, not a number. */
static bool is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '*' || c == '-';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Reads the number at t[*i] and advances *i past it. Returns true when it
 * is an integer outside what libconfig stores without loss. */
static bool number_out_of_range(const char *t, size_t len, size_t *i)
{
	size_t p = *i;
	bool neg = false, big = false, hex = false;
	uint64_t v = 0, limit;

	if (t[p] == '-' || t[p] == '+')
		neg = t[p++] == '-';
	if (p + 1 < len && t[p] == '0' &&
	    (t[p + 1] == 'x' || t[p + 1] == 'X')) {
		hex = true;
		for (p += 2; p < len && hex_value(t[p]) >= 0; p++) {
			if (v > (UINT64_MAX >> 4))
				big = true;
			v = v << 4 | (uint64_t)hex_value(t[p]);
		}
	} else {
		for (; p < len && is_digit(t[p]); p++) {
			unsigned d = (unsigned)(t[p] - '0');
			if (v > (UINT64_MAX - d) / 10)
				big = true;
			v = v * 10 + d;
		}
		if (p < len && (t[p] == '.' || t[p] == 'e' || t[p] == 'E')) {
			/* a float: libconfig keeps it as a double */
			for (p++; p < len &&
			          (is_digit(t[p]) || t[p] == 'e' ||
			           t[p] == 'E' || t[p] == '-' || t[p] == '+');
			     p++)
				;
			*i = p;
			return false;
		}
	}
	if (p < len && t[p] == 'L') {
		p++;
		limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	} else {
		/* hex without L is read as an unsigned 32-bit value and stored
		 * in an int */
		limit = neg && !hex ? (uint64_t)INT32_MAX + 1 : INT32_MAX;
	}
	*i = p;
	return big || v > limit;
}

int conf_scan_integers(const char *t, size_t len,
                       void (*wide)(void *payload, const char *literal, int n,
                                    int line),
                       void (*include)(void *payload, const char *path,
                                       int line),
                       void *payload)
{
	bool line_start = true;
	int line = 1, found = 0;
	size_t i = 0;

	while (i < len) {
		char c = t[i];

		if (c == '\n') {
			line++;
			line_start = true;
			i++;
			continue;
		}
		if (line_start && (c == ' ' || c == '\t' || c == '\r')) {
			i++;
			continue;
		}
		if (line_start && c == '@' && len - i > 8 &&
		    memcmp(t + i, "@include", 8) == 0) {
			char path[4096];
			size_t n = 0;

			for (i += 8; i < len && (t[i] == ' ' || t[i] == '\t');)
				i++;
			if (i < len && t[i] == '"') {
				for (i++; i < len && t[i] != '"' &&
				          t[i] != '\n' && n < sizeof(path) - 1;
				     i++)
					path[n++] = t[i];
				path[n] = '\0';
				if (include != NULL && i < len && t[i] == '"')
					include(payload, path, line);
			}
			while (i < len && t[i] != '\n')
				i++;
			continue;
		}
		line_start = false;

		if (c == '#' || (c == '/' && i + 1 < len && t[i + 1] == '/')) {
			while (i < len && t[i] != '\n')
				i++;
		} else if (c == '/' && i + 1 < len && t[i + 1] == '*') {
			for (i += 2; i < len; i++) {
				if (t[i] == '\n')
					line++;
				else if (t[i] == '*' && i + 1 < len &&
				         t[i + 1] == '/')
					break;
			}
			i = i + 2 < len ? i + 2 : len;
		} else if (c == '"') {
			for (i++; i < len && t[i] != '"'; i++) {
				if (t[i] == '\\' && i + 1 < len &&
				    t[i + 1] != '\n')
					i++;
				else if (t[i] == '\n')
					line++;
			}
			i++;
		} else if ((is_digit(c) ||
		            ((c == '-' || c == '+') && i + 1 < len &&
		             is_digit(t[i + 1]))) &&
		           (i == 0 || !is_name_char(t[i - 1]))) {
			size_t start = i;
			if (number_out_of_range(t, len, &i)) {
				wide(payload, t + start, (int)(i - start),
				     line);
				found++;
			}
		} else {
			i++;
		}
	}
	return found;
}

/* ------------------------------------------------- duplicate settings */

struct name_ref {
	size_t off, len;
	int line;
};

static bool is_name_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '*';
}

/* Skips a comment or a string at t[i], counting lines; returns i when
 * there is none. */
static size_t skip_inert(const char *t, size_t len, size_t i, int *line)
{
	if (t[i] == '#' || (t[i] == '/' && i + 1 < len && t[i + 1] == '/')) {
		while (i < len && t[i] != '\n')
			i++;
	} else if (t[i] == '/' && i + 1 < len && t[i + 1] == '*') {
		for (i += 2; i < len; i++) {
			if (t[i] == '\n')
				(*line)++;
			else if (t[i] == '*' && i + 1 < len && t[i + 1] == '/')
				break;
		}
		i = i + 2 < len ? i + 2 : len;
	} else if (t[i] == '"') {
		for (i++; i < len && t[i] != '"'; i++) {
			if (t[i] == '\\' && i + 1 < len && t[i + 1] != '\n')
				i++;
			else if (t[i] == '\n')
				(*line)++;
		}
		i++;
	}
	return i;
}

/* Whether the word t[i..j) is a setting's name: "=" or ":" follows. */
static bool name_follows(const char *t, size_t len, size_t j)
{
	while (j < len &&
	       (t[j] == ' ' || t[j] == '\t' || t[j] == '\r' || t[j] == '\n'))
		j++;
	return j < len && (t[j] == '=' || t[j] == ':');
}

int conf_scan_duplicate(const char *t, size_t len, char *name, size_t namesz,
                        int *line_out, int *first_line, bool *top)
{
	struct name_ref *names = NULL;
	size_t n = 0, cap = 0, *scopes = NULL, depth = 0, scap = 0, i = 0;
	size_t scope = 0; /* where the innermost group's names start */
	int line = 1, found = 0;

	while (i < len && found == 0) {
		size_t k = skip_inert(t, len, i, &line);
		char c = t[i];

		if (k != i) {
			i = k;
		} else if (c == '\n') {
			line++;
			i++;
		} else if (c == '@' && (i == 0 || t[i - 1] == '\n')) {
			while (i < len && t[i] != '\n')
				i++;
		} else if (c == '{') {
			if (depth == scap) {
				size_t nc = scap ? scap * 2 : 16;
				size_t *v = realloc(scopes, nc * sizeof(*v));
				if (v == NULL) {
					found = -1;
					break;
				}
				scopes = v;
				scap = nc;
			}
			scopes[depth++] = scope;
			scope = n;
			i++;
		} else if (c == '}') {
			if (depth > 0) {
				n = scope;
				scope = scopes[--depth];
			}
			i++;
		} else if (is_name_start(c) &&
		           (i == 0 || !is_name_char(t[i - 1]))) {
			size_t j = i;
			while (j < len && is_name_char(t[j]))
				j++;
			if (!name_follows(t, len, j)) {
				i = j;
				continue;
			}
			for (size_t m = scope; m < n; m++) {
				if (names[m].len == j - i &&
				    memcmp(t + names[m].off, t + i, j - i) ==
				            0) {
					int w = j - i > 200 ? 200
					                    : (int)(j - i);
					if (namesz > 0)
						snprintf(name, namesz, "%.*s",
						         w, t + i);
					*line_out = line;
					*first_line = names[m].line;
					*top = depth == 0;
					found = 1;
					break;
				}
			}
			if (found)
				break;
			if (n == cap) {
				size_t nc = cap ? cap * 2 : 64;
				struct name_ref *v =
				        realloc(names, nc * sizeof(*v));
				if (v == NULL) {
					found = -1;
					break;
				}
				names = v;
				cap = nc;
			}
			names[n++] = (struct name_ref){i, j - i, line};
			i = j;
		} else {
			i++;
		}
	}
	free(names);
	free(scopes);
	return found;
}
