/* config_scan.h - checks on the configuration's text that libconfig skips.
 *
 * Internal to config.c. libconfig 1.5 (Debian 12) converts an integer
 * literal that does not fit in an int by truncation, without an error:
 * "port = 4294967297;" reads as 1, a valid port. conf_scan_integers()
 * finds such literals in the text before libconfig parses it, so that
 * they are reported instead of silently changed.
 */
#ifndef MAILMIRRORD_CONFIG_SCAN_H
#define MAILMIRRORD_CONFIG_SCAN_H

#include <stdbool.h>
#include <stddef.h>

/* Scans text (len bytes, the contents of one file) as libconfig's lexer
 * would: strings and the three comment forms are skipped; wide is called
 * with each integer literal outside the int range, or an int64 one ("L"
 * suffix) outside int64 (n bytes at literal, not NUL-terminated), and its
 * line. include, when not NULL, is called with the path of each "@include"
 * line (unresolved) and its line, so that the caller can scan included
 * files too. Returns the number of such literals. */
int conf_scan_integers(const char *text, size_t len,
                       void (*wide)(void *payload, const char *literal, int n,
                                    int line),
                       void (*include)(void *payload, const char *path,
                                       int line),
                       void *payload);

/* libconfig refuses a setting written twice in one group with "duplicate
 * setting name", without the name. This finds, in text (len bytes), the
 * first name set twice within one group (the top level is one), scanning
 * as libconfig's lexer does (strings and comments skipped; the lines of
 * @include are not followed, so a duplicate across files is not found).
 * Returns 1 and sets name (NUL-terminated, cut to namesz), *line (of the
 * second), *first_line and *top (whether the group is the top level); 0
 * when there is none; -1 when out of memory. */
int conf_scan_duplicate(const char *text, size_t len, char *name, size_t namesz,
                        int *line, int *first_line, bool *top);

#endif
