/* fetch.h - what a streamed literal of a FETCH response belongs to.
 *
 * A literal above the stream threshold reaches the literal sink before the
 * response around it is complete, with only the bytes before it (the
 * prefix, see imap4_literal_sink in imap4.h). This tells the sink which
 * message and which item those bytes are for.
 */
#ifndef IMAP4_PROTO_FETCH_H
#define IMAP4_PROTO_FETCH_H

#include <stddef.h>
#include <stdint.h>

/* Reads the len bytes of prefix, a FETCH response up to (not including)
 * a literal's "{n}" ("* 4 FETCH (UID 9 BODY[] "), and stores the sequence
 * number in *seq and the name of the item whose value holds the literal
 * into item as sent, origin included ("BODY[]<0>"; "BODY[]<0.512>" from a
 * server that echoes the length, which imap4_msg_parse types as BODY[] at
 * origin 0 all the same), NUL-terminated. Earlier literals of the response
 * must be in the prefix whole, as the reader keeps them. A literal nested
 * in a value (an ENVELOPE subject) belongs to that item.
 *
 * 0; IMAP4_EPROTO when the prefix is not the start of a FETCH response or
 * does not end where a value can begin; IMAP4_ELIMIT when the name does not
 * fit in itemlen bytes with its NUL; IMAP4_EINVAL for NULL pointers. On
 * error *seq is 0 and item (if itemlen > 0) is "". Nothing is allocated. */
int imap4_fetch_prefix_parse(uint32_t *seq, char *item, size_t itemlen,
			     const char *prefix, size_t len);

#endif
