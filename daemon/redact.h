/* SPDX-License-Identifier: MIT */
/*
 * redact.h: the one point every external text passes through before it
 * reaches a log line, a client's reply or `status` (issue 11).
 *
 * External text is anything the daemon did not write itself: DynamoDB's
 * and STS's error messages, a credential_process's stderr, URLs from the
 * configuration. It may quote a secret: an error that echoes the
 * Authorization header, a process that prints the keys it gave earlier,
 * an endpoint with user:password in it. Two kinds of secret are removed:
 *
 *   - what the daemon knows to be secret: every key, token and secret file
 *     it has held (registered here as they are loaded), and
 *   - what looks like one: AWS access key ids (AKIA..., ASIA...), a SigV4
 *     Credential= scope and Signature=, X-Amz-Security-Token values, a
 *     URL's user:password@, 40-character secret keys, long base64 tokens.
 *
 * An access key id keeps its last four characters ("****WXYZ"), as logs
 * and `status` show it; everything else becomes "***". Pure and
 * single-threaded (the daemon's loop), no I/O.
 */
#ifndef REDACT_H
#define REDACT_H

#include <stddef.h>

#define REDACT_QUOTE_MAX 400  /* bytes of one external text quoted, at most */
#define REDACT_KNOWN_MAX 32   /* secrets remembered; the oldest go first */

/* Remembers a secret (copied; wiped when forgotten): every occurrence
 * becomes "***". Shorter than 4 characters: ignored (too common to find). */
void redact_add_secret(const char *s);
/* Remembers an access key id: every occurrence becomes "****" and its last
 * four characters. */
void redact_add_key_id(const char *s);
/* Wipes and forgets everything remembered (exit, tests). */
void redact_forget_all(void);

/*
 * Redacts the NUL-terminated text in buf in place (the result is never
 * longer) and returns its new length. Control characters become ' '.
 */
size_t redact(char *buf);
/*
 * Copies at most REDACT_QUOTE_MAX bytes of external text src (len bytes,
 * NUL not needed) into dst (size dstlen), redacted, with "..." when cut.
 * Returns dst.
 */
char *redact_quote(char *dst, size_t dstlen, const char *src, size_t len);

#endif /* REDACT_H */
