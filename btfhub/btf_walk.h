/* btf_walk: the layout of raw BTF type records (linux/btf.h), for code that
 * rewrites BTF bytes itself: how long each record is and where its type IDs
 * are. Kinds this does not know make callers leave the BTF as it is. */
#ifndef BPFPACK_BTF_WALK_H
#define BPFPACK_BTF_WALK_H

#include <stddef.h>
#include <stdint.h>

#include <linux/btf.h>

/* Bytes after the 12-byte common header of a type record, or -1 for a kind
 * this code does not know (the caller then leaves the BTF as it is). */
static inline long btf_walk_extra_len(uint32_t kind, uint32_t vlen)
{
	switch (kind) {
	case BTF_KIND_INT:
	case BTF_KIND_VAR:
	case BTF_KIND_DECL_TAG:
		return 4;
	case BTF_KIND_ARRAY:
		return 12;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
	case BTF_KIND_DATASEC:
	case BTF_KIND_ENUM64:
		return 12L * vlen;
	case BTF_KIND_ENUM:
	case BTF_KIND_FUNC_PROTO:
		return 8L * vlen;
	case BTF_KIND_PTR:
	case BTF_KIND_FWD:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_FUNC:
	case BTF_KIND_FLOAT:
	case BTF_KIND_TYPE_TAG:
		return 0;
	default:
		return -1;
	}
}

/* Offsets (within the record) of the u32 fields holding type IDs, in record
 * order. Returns how many were written to POS (at most 2 + vlen). */
static inline size_t btf_walk_type_refs(uint32_t kind, uint32_t vlen, uint32_t *pos)
{
	size_t n = 0;
	uint32_t i;

	switch (kind) {
	case BTF_KIND_PTR:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_FUNC:
	case BTF_KIND_VAR:
	case BTF_KIND_DECL_TAG:
	case BTF_KIND_TYPE_TAG:
		pos[n++] = 8;
		break;
	case BTF_KIND_ARRAY:
		pos[n++] = 12;
		pos[n++] = 16;
		break;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		for (i = 0; i < vlen; i++)
			pos[n++] = 12 + 12 * i + 4;
		break;
	case BTF_KIND_FUNC_PROTO:
		pos[n++] = 8;
		for (i = 0; i < vlen; i++)
			pos[n++] = 12 + 8 * i + 4;
		break;
	case BTF_KIND_DATASEC:
		for (i = 0; i < vlen; i++)
			pos[n++] = 12 + 12 * i;
		break;
	default:
		break;
	}
	return n;
}

#endif
