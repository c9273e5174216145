/* SPDX-License-Identifier: MIT */
/*
 * test_retry.c: unit tests of retry.c, the standard retry policy.
 */
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "retry.h"

static void
test_classify_transport(void **state)
{
	(void)state;
	assert_int_equal(retry_classify(true, 0, NULL), RETRY_TRANSIENT);
	/* A transport failure wins over whatever status came before it. */
	assert_int_equal(retry_classify(true, 200, NULL), RETRY_TRANSIENT);
	assert_int_equal(retry_classify(true, 400, "ValidationException"),
	    RETRY_TRANSIENT);
}

static void
test_classify_status(void **state)
{
	static const long transient[] = { 500, 502, 503, 504 };
	static const long other[] = { 200, 400, 401, 403, 404, 409, 413, 429,
		501, 505, 509 };

	(void)state;
	for (size_t i = 0; i < sizeof transient / sizeof transient[0]; i++)
		assert_int_equal(retry_classify(false, transient[i], NULL),
		    RETRY_TRANSIENT);
	for (size_t i = 0; i < sizeof other / sizeof other[0]; i++)
		assert_int_equal(retry_classify(false, other[i], NULL),
		    RETRY_NO);
	/* An empty type is no type. */
	assert_int_equal(retry_classify(false, 503, ""), RETRY_TRANSIENT);
	assert_int_equal(retry_classify(false, 400, ""), RETRY_NO);
}

static void
test_classify_throttling(void **state)
{
	static const char *const codes[] = { "Throttling",
		"ThrottlingException", "ThrottledException",
		"RequestThrottledException", "TooManyRequestsException",
		"ProvisionedThroughputExceededException",
		"TransactionInProgressException", "RequestLimitExceeded",
		"BandwidthLimitExceeded", "LimitExceededException",
		"RequestThrottled", "SlowDown", "PriorRequestNotComplete",
		"EC2ThrottledException" };

	(void)state;
	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
		assert_int_equal(retry_classify(false, 400, codes[i]),
		    RETRY_THROTTLING);
		/* The code decides, not the status. */
		assert_int_equal(retry_classify(false, 503, codes[i]),
		    RETRY_THROTTLING);
	}
}

static void
test_classify_codes(void **state)
{
	static const char *const no[] = { "ResourceNotFoundException",
		"ResourceInUseException", "ValidationException",
		"AccessDeniedException", "UnrecognizedClientException",
		"InvalidSignatureException", "IncompleteSignatureException",
		"MissingAuthenticationTokenException", "SerializationException",
		"UnknownOperationException", "ConditionalCheckFailedException",
		/* Exact matches only. */
		"throttlingexception", "ThrottlingException2",
		"com.amazon.coral.availability#ThrottlingException" };

	(void)state;
	assert_int_equal(retry_classify(false, 400, "RequestTimeout"),
	    RETRY_TRANSIENT);
	assert_int_equal(retry_classify(false, 400, "RequestTimeoutException"),
	    RETRY_TRANSIENT);
	assert_int_equal(retry_classify(false, 409,
			     "ReplicatedWriteConflictException"),
	    RETRY_TRANSIENT);
	for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
		assert_int_equal(retry_classify(false, 400, no[i]), RETRY_NO);
	/* A 5xx stays transient even with a non-retryable code. */
	assert_int_equal(retry_classify(false, 500, "InternalServerError"),
	    RETRY_TRANSIENT);
}

static void
test_backoff_full_jitter(void **state)
{
	(void)state;
	/* rand 0 never waits; the first retry waits below base. */
	assert_int_equal(retry_backoff_ms(0, 25, 20000, 0.0), 0);
	assert_int_equal(retry_backoff_ms(0, 25, 20000, 0.5), 12);
	assert_int_equal(retry_backoff_ms(0, 1000, 20000, 0.5), 500);
	assert_int_equal(retry_backoff_ms(1, 1000, 20000, 0.5), 1000);
	assert_int_equal(retry_backoff_ms(3, 1000, 20000, 0.5), 4000);
	assert_int_equal(retry_backoff_ms(4, 1000, 20000, 0.5), 8000);
	/* 2^5 s exceeds the cap. */
	assert_int_equal(retry_backoff_ms(5, 1000, 20000, 0.5), 10000);
	assert_int_equal(retry_backoff_ms(5, 1000, 20000, 0.999999),
	    19999);
	/* Never reaches the ceiling itself. */
	assert_true(retry_backoff_ms(2, 50, 20000, 0.99999999) < 200);
}

static void
test_backoff_bounds(void **state)
{
	(void)state;
	/* Huge retry numbers and bases saturate at the cap. */
	assert_int_equal(retry_backoff_ms(1000, 50, 20000, 0.5), 10000);
	assert_int_equal(retry_backoff_ms(UINT_MAX, UINT_MAX, 20000, 0.5),
	    10000);
	assert_int_equal(retry_backoff_ms(63, 3, 20000, 0.5), 10000);
	assert_int_equal(retry_backoff_ms(64, 3, 20000, 0.5), 10000);
	/* Out-of-contract randoms are clamped, never beyond the ceiling. */
	assert_int_equal(retry_backoff_ms(0, 100, 20000, -1.0), 0);
	assert_int_equal(retry_backoff_ms(0, 100, 20000, NAN), 0);
	assert_int_equal(retry_backoff_ms(0, 100, 20000, 1.0), 99);
	assert_int_equal(retry_backoff_ms(0, 100, 20000, 7.0), 99);
	/* Zero base or cap: no wait. */
	assert_int_equal(retry_backoff_ms(3, 0, 20000, 0.5), 0);
	assert_int_equal(retry_backoff_ms(3, 50, 0, 0.5), 0);
	assert_int_equal(retry_backoff_ms(3, 50, 0, 1.0), 0);
}

static void
test_bucket_costs(void **state)
{
	struct retry_bucket b;
	unsigned taken = 99;

	(void)state;
	retry_bucket_init(&b);
	assert_int_equal(b.capacity, 500);
	assert_int_equal(b.max, 500);

	assert_true(retry_bucket_take(&b, RETRY_THROTTLING, &taken));
	assert_int_equal(taken, 5);
	assert_int_equal(b.capacity, 495);
	assert_true(retry_bucket_take(&b, RETRY_TRANSIENT, &taken));
	assert_int_equal(taken, 10);
	assert_int_equal(b.capacity, 485);

	/* RETRY_NO never takes anything. */
	assert_false(retry_bucket_take(&b, RETRY_NO, &taken));
	assert_int_equal(taken, 0);
	assert_int_equal(b.capacity, 485);

	/* Refund the last retry's cost, or 1 after a first-try success. */
	retry_bucket_refund(&b, 10);
	assert_int_equal(b.capacity, 495);
	retry_bucket_refund(&b, 0);
	assert_int_equal(b.capacity, 496);
	retry_bucket_refund(&b, 5);
	assert_int_equal(b.capacity, 500);
	/* Never beyond the maximum. */
	retry_bucket_refund(&b, 0);
	retry_bucket_refund(&b, 10);
	assert_int_equal(b.capacity, 500);
}

static void
test_bucket_exhaustion(void **state)
{
	struct retry_bucket b;
	unsigned taken, n = 0;

	(void)state;
	retry_bucket_init(&b);
	while (retry_bucket_take(&b, RETRY_TRANSIENT, &taken))
		n++;
	assert_int_equal(n, 50);
	assert_int_equal(b.capacity, 0);
	assert_int_equal(taken, 0);
	assert_false(retry_bucket_take(&b, RETRY_THROTTLING, &taken));

	/* 9 tokens: a throttling retry fits, a transient one does not. */
	for (int i = 0; i < 9; i++)
		retry_bucket_refund(&b, 0);
	assert_false(retry_bucket_take(&b, RETRY_TRANSIENT, &taken));
	assert_int_equal(b.capacity, 9);
	assert_true(retry_bucket_take(&b, RETRY_THROTTLING, &taken));
	assert_int_equal(b.capacity, 4);
	assert_false(retry_bucket_take(&b, RETRY_THROTTLING, NULL));

	/* Exactly the cost is enough. */
	retry_bucket_refund(&b, 0);
	assert_true(retry_bucket_take(&b, RETRY_THROTTLING, NULL));
	assert_int_equal(b.capacity, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify_transport),
		cmocka_unit_test(test_classify_status),
		cmocka_unit_test(test_classify_throttling),
		cmocka_unit_test(test_classify_codes),
		cmocka_unit_test(test_backoff_full_jitter),
		cmocka_unit_test(test_backoff_bounds),
		cmocka_unit_test(test_bucket_costs),
		cmocka_unit_test(test_bucket_exhaustion),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
