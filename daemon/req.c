/* SPDX-License-Identifier: MIT */
/*
 * req.c: answering a request (see req.h). Encodes the reply with the
 * codec and hands the frame to the request's connection; error messages
 * pass through redact(), the one redaction point for replies (the log has
 * its own, in log.c).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtp.h"
#include "dtp_json.h"
#include "log.h"
#include "metrics.h"
#include "redact.h"
#include "req.h"

void
req_free(struct req *r)
{
	json_decref(r->acc);
	free(r);
}

/* Encodes an error reply for r into *data; -1 when out of memory. */
static int
req_encode_error(const struct req *r, dtp_err code, const char *aws_type,
    const char *msg, char **data, size_t *len)
{
	dtp_enc e;
	int rc;

	dtp_enc_init(&e);
	dtp_enc_reply_error(&e, r->id, code, aws_type, msg);
	rc = dtp_enc_finish(&e, data, len);
	dtp_enc_free(&e);
	return rc;
}

void
req_reply_ok(struct req *r, const json_t *result)
{
	const char *key;
	json_t *v;
	dtp_enc e;
	char *data = NULL;
	size_t len = 0;
	int rc = 0;

	dtp_enc_init(&e);
	dtp_enc_reply_ok(&e, r->id,
	    result != NULL ? (uint32_t)json_object_size(result) : 0);
	if (result != NULL) {
		json_object_foreach((json_t *)result, key, v) {
			dtp_pack_cstr(&e, key);
			if ((rc = dtp_pack_json(&e, v)) != 0)
				break;
		}
	}
	if (rc == 0)
		rc = dtp_enc_finish(&e, &data, &len);
	dtp_enc_free(&e);
	if (rc != 0) {
		req_reply_error(r, DTP_E_INTERNAL, NULL, "reply could not be "
		    "encoded (too large or out of memory)");
		return;
	}
	log_debug("request %u %s answered", r->id, dtp_op_name(r->op));
	metrics_request(r->op, DTP_OK, metrics_clock_us() - r->arrived_us);
	r->send(r, data, len);
}

void
req_reply_error(struct req *r, dtp_err code, const char *aws_type,
    const char *fmt, ...)
{
	char msg[512], type[64];
	va_list ap;
	char *data = NULL;
	size_t len = 0;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Messages quote DynamoDB, STS, processes. */
	redact(msg);
	if (aws_type != NULL)
		aws_type = redact_quote(type, sizeof(type), aws_type,
		    strlen(aws_type));
	log_debug("request %u %s failed: %s%s%s", r->id, dtp_op_name(r->op),
	    aws_type != NULL ? aws_type : "", aws_type != NULL ? ": " : "",
	    msg);
	if (req_encode_error(r, code, aws_type, msg, &data, &len) != 0)
		data = NULL; /* the connection learns it from len 0 */
	metrics_request(r->op, code, metrics_clock_us() - r->arrived_us);
	r->send(r, data, data != NULL ? len : 0);
}
