/* SPDX-License-Identifier: MIT */
/*
 * libdyntable: the public asynchronous entry points, one per row of
 * DTC_REQUESTS (client_internal.h); sync.c holds their blocking twins.
 * Each hands its arguments to dtc_submit() (client.c).
 */
#include "client_internal.h"

/* One definition per row of DTC_REQUESTS (client_internal.h). */
#define DTC_ASYNC(name, OP, PARAMS, ARGS)                                  \
	dyntable_status                                                    \
	dyntable_##name(DTC_UNPAREN(PARAMS), dyntable_cb *cb, void *privdata) \
	{                                                                  \
		const dtc_args a = { DTC_UNPAREN(ARGS) };                   \
                                                                           \
		return dtc_submit(c, DYNTABLE_OP_##OP, &a, cb, NULL,       \
		    privdata, NULL, NULL, 0);                               \
	}
DTC_REQUESTS(DTC_ASYNC)
