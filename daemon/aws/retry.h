/* SPDX-License-Identifier: MIT */
/*
 * retry.h: the AWS standard retry policy (retry.c). Pure.
 */
#ifndef DYNTABLED_RETRY_H
#define DYNTABLED_RETRY_H

#include <stdbool.h>

enum retry_class {
	RETRY_NO = 0,	  /* success, or an error not worth retrying */
	RETRY_TRANSIENT,  /* 5xx, timeouts, connection errors */
	RETRY_THROTTLING, /* ThrottlingException, LimitExceededException, ... */
};

/* Classifies one attempt: transport failed (curl error), else HTTP status
 * and DynamoDB error type (may be NULL). */
enum retry_class retry_classify(bool transport_failed, long http_status,
    const char *aws_type);
/* Full-jitter backoff before retry number `retry` (0-based), in ms:
 * rand01 * min(base_ms * 2^retry, cap_ms). rand01 in [0,1). */
unsigned retry_backoff_ms(unsigned retry, unsigned base_ms, unsigned cap_ms,
    double rand01);

/* The retry quota (token bucket) of the standard mode. */
struct retry_bucket {
	unsigned capacity; /* 500 when full */
	unsigned max;
};
void retry_bucket_init(struct retry_bucket *b);
/* Takes the cost of a retry (5, or 10 for a transient error); false when
 * the bucket is too low and the error must be returned instead. */
bool retry_bucket_take(struct retry_bucket *b, enum retry_class cls,
    unsigned *taken);
/* After a success: refund `taken` (the last retry's cost), or 1 if none. */
void retry_bucket_refund(struct retry_bucket *b, unsigned taken);

#endif /* DYNTABLED_RETRY_H */
