/* SPDX-License-Identifier: MIT */
/*
 * dtp_json: lossless conversion between msgpack objects and jansson trees,
 * for the DynamoDB documents the protocol carries as maps
 * (CreateTableInput, TableDescription). Pure, no I/O.
 *
 * Mapping: nil<->null, bool<->true/false, positive/negative int<->integer
 * (json_int_t, 64-bit; a uint above INT64_MAX is refused), float32/64<->real,
 * str<->string (must be valid UTF-8 without NUL, as jansson requires),
 * array<->array, map with str keys<->object. bin and ext are refused.
 */
#ifndef DTP_JSON_H
#define DTP_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>
#include <msgpack.h>

#include "dtp.h"

/*
 * Returns a new reference, or NULL with a one-line reason in err (errlen
 * bytes) naming the offending path, e.g. "KeySchema[0].AttributeName:
 * not valid UTF-8". Depth is bounded by DTP_DEPTH_MAX.
 */
json_t *dtp_to_json(const msgpack_object *o, char *err, size_t errlen);

/*
 * True when dtp_to_json(o) would succeed given the memory; else false with
 * the reason it would give in err. Allocates nothing for the documents
 * the protocol carries (maps of up to 32 keys), so a caller can check a
 * document now and convert it later, if ever.
 */
bool dtp_json_check(const msgpack_object *o, char *err, size_t errlen);

/* Packs j into e. Returns 0, or -1 on a value it cannot carry (a JSON
 * object key with NUL, nesting deeper than DTP_DEPTH_MAX) or out of memory;
 * on -1 the encoder is marked failed, so a half-packed frame is never sent. */
int dtp_pack_json(dtp_enc *e, const json_t *j);

#endif /* DTP_JSON_H */
