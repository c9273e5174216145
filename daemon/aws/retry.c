/* SPDX-License-Identifier: MIT */
/*
 * retry.c: the AWS "standard" retry policy, pure (no I/O, no clock, no
 * randomness of its own: the caller passes a uniform number in [0,1)).
 *
 * Sources, as keyed in shared/reference/dynamodb-and-aws.md §4:
 * classification follows botocore retries/standard.py and aws-sdk-go-v2
 * aws/retry (transient: 500/502/503/504, RequestTimeout(Exception),
 * connection errors; throttling: the shared error-code list below), the
 * backoff is their full jitter rand * min(base * 2^i, cap), and the quota
 * is botocore quota.py / Go / aws-c-io: 500 tokens, a retry costs 5 (10
 * for a transient error here, see retry_bucket_take), a success refunds
 * 1 or the last retry's cost.
 */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "retry.h"

#define RETRY_BUCKET_SIZE	 500u /* initial and maximum capacity */
#define RETRY_COST		 5u   /* a retry after a throttling error */
#define RETRY_COST_TRANSIENT	 10u  /* a retry after a transient error */
#define RETRY_NO_RETRY_INCREMENT 1u   /* refund of a first-try success */

/* Error codes retried as throttling: botocore _THROTTLED_ERROR_CODES, the
 * same list as Go's DefaultThrottleErrorCodes. */
static const char *const retry_throttling_codes[] = {
	"Throttling",
	"ThrottlingException",
	"ThrottledException",
	"RequestThrottledException",
	"TooManyRequestsException",
	"ProvisionedThroughputExceededException",
	"TransactionInProgressException",
	"RequestLimitExceeded",
	"BandwidthLimitExceeded",
	"LimitExceededException",
	"RequestThrottled",
	"SlowDown",
	"PriorRequestNotComplete",
	"EC2ThrottledException",
};

/* Error codes retried as transient: botocore _TRANSIENT_ERROR_CODES (its
 * PriorRequestNotComplete is matched above first), plus DynamoDB's
 * ReplicatedWriteConflictException, which the service model marks
 * retryable (non-throttling). */
static const char *const retry_transient_codes[] = {
	"RequestTimeout",
	"RequestTimeoutException",
	"ReplicatedWriteConflictException",
};

static bool
retry_code_in(const char *code, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(code, list[i]) == 0)
			return true;
	return false;
}

enum retry_class
retry_classify(bool transport_failed, long http_status, const char *aws_type)
{
	if (transport_failed)
		return RETRY_TRANSIENT;
	if (aws_type != NULL && aws_type[0] != '\0') {
		if (retry_code_in(aws_type, retry_throttling_codes,
			sizeof retry_throttling_codes /
			    sizeof retry_throttling_codes[0]))
			return RETRY_THROTTLING;
		if (retry_code_in(aws_type, retry_transient_codes,
			sizeof retry_transient_codes /
			    sizeof retry_transient_codes[0]))
			return RETRY_TRANSIENT;
	}
	switch (http_status) {
	case 500:
	case 502:
	case 503:
	case 504:
		return RETRY_TRANSIENT;
	default:
		/* 429 without a throttling code is not retried in standard
		 * mode (neither botocore nor Go list it). */
		return RETRY_NO;
	}
}

unsigned
retry_backoff_ms(unsigned retry, unsigned base_ms, unsigned cap_ms,
    double rand01)
{
	unsigned ceiling = cap_ms;

	/* min(base * 2^retry, cap) without overflowing: stop doubling once
	 * the cap is reached. */
	if (base_ms < cap_ms) {
		unsigned long long t = base_ms;
		for (unsigned i = 0; i < retry && t < cap_ms; i++)
			t *= 2;
		if (t < cap_ms)
			ceiling = (unsigned)t;
	}
	if (!(rand01 > 0.0)) /* also catches NaN */
		return 0;
	if (rand01 >= 1.0)
		return ceiling == 0 ? 0 : ceiling - 1;
	return (unsigned)(rand01 * (double)ceiling);
}

void
retry_bucket_init(struct retry_bucket *b)
{
	b->capacity = RETRY_BUCKET_SIZE;
	b->max = RETRY_BUCKET_SIZE;
}

/*
 * The header's contract charges 10 for every RETRY_TRANSIENT. botocore,
 * Go and aws-c-io charge 10 only for timeouts and connection errors and 5
 * for a 5xx; the difference only makes the breaker trip a little earlier
 * during a 5xx storm.
 */
bool
retry_bucket_take(struct retry_bucket *b, enum retry_class cls,
    unsigned *taken)
{
	unsigned cost;

	switch (cls) {
	case RETRY_TRANSIENT:
		cost = RETRY_COST_TRANSIENT;
		break;
	case RETRY_THROTTLING:
		cost = RETRY_COST;
		break;
	case RETRY_NO:
	default:
		if (taken != NULL)
			*taken = 0;
		return false;
	}
	if (b->capacity < cost) {
		if (taken != NULL)
			*taken = 0;
		return false;
	}
	b->capacity -= cost;
	if (taken != NULL)
		*taken = cost;
	return true;
}

void
retry_bucket_refund(struct retry_bucket *b, unsigned taken)
{
	unsigned amount = taken != 0 ? taken : RETRY_NO_RETRY_INCREMENT;

	if (b->max - b->capacity < amount)
		b->capacity = b->max;
	else
		b->capacity += amount;
}
