/* SPDX-License-Identifier: MIT */
/*
 * Shared by the fuzz targets in tests/fuzz. Each target defines
 * LLVMFuzzerTestOneInput(); it is linked either with libFuzzer (clang,
 * DYNTABLE_FUZZ=ON) or with fuzz_replay.c, whose main() feeds it the
 * files of a seed corpus (the unit.fuzz_replay_* tests).
 *
 * A target must never crash, leak or trip a sanitizer on any input, and
 * it checks its own properties with FUZZ_CHECK: a failed check aborts,
 * which libFuzzer reports as a crash and saves the input.
 */
#ifndef DYNTABLE_FUZZ_H
#define DYNTABLE_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                    \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stderr, "%s:%d: check failed: %s\n",        \
			    __FILE__, __LINE__, #cond);                     \
			abort();                                            \
		}                                                           \
	} while (0)

#endif /* DYNTABLE_FUZZ_H */
