/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _NTY_DROP_KINDS_H
#define _NTY_DROP_KINDS_H

#include <net/dropreason.h>

/*
 * Every kind of drop (drop.c gives each its stage, counter and reason),
 * listed once as the kernel's DEFINE_DROP_REASON() lists its reasons:
 * FN(ID, name) for each kind, FNE for the last, so that the enum, the
 * names debugfs prints and the tracepoint's symbols cannot disagree.
 */
#define NTY_DROP_KINDS(FN, FNE) \
	FN(OTHERHOST, otherhost) \
	FN(BACKLOG_FULL, backlog_full) \
	FN(BACKLOG_FAULT, backlog_fault) \
	FN(DEV_GONE, dev_unregistered) \
	FN(HDR_SHORT, hdr_short) \
	FN(HDR_VERSION, hdr_version) \
	FN(HDR_TYPE, hdr_type) \
	FN(HDR_LEN, hdr_len) \
	FN(CSUM, csum) \
	FN(NO_SOCKET, no_socket) \
	FN(RCVBUF, rcvbuf) \
	FN(SOCKET_FAULT, socket_fault) \
	FN(SOCK_BACKLOG, sock_backlog_full) \
	FN(NO_CONNECTION, no_connection) \
	FN(SYN_QUEUE, syn_queue_full) \
	FN(LISTEN_OVERFLOW, accept_queue_full) \
	FN(DUP_SEG, dup_segment) \
	FN(OUT_OF_WINDOW, out_of_window) \
	FN(BAD_SEG, bad_segment) \
	FN(NOT_UNICAST, stream_not_unicast) \
	FN(ACK_UNSENT, ack_unsent_data) \
	FN(ACK_TOO_OLD, ack_too_old) \
	FN(RST_SEQ, rst_not_exact) \
	FN(SYN_SYNCED, syn_synchronized) \
	FN(PROTO_MEM, proto_mem) \
	FN(NOT_ETHER, not_ethernet) \
	FN(OFO_PRUNE, ofo_pruned) \
	FNE(SOCKET_FILTER, socket_filter)

#define NTY_DROP_ENUM(id, name)	NTY_DROP_##id,
enum nty_drop_kind_id {
	NTY_DROP_KINDS(NTY_DROP_ENUM, NTY_DROP_ENUM)
	__NTY_DROP_MAX
};

#undef NTY_DROP_ENUM

/* drop.c's name tables, by kind and by the kernel's reason. */
#define NTY_DROP_NAME(id, name)	[NTY_DROP_##id] = #name,
#define NTY_REASON_NAME(reason)	[SKB_DROP_REASON_##reason] = #reason,

#endif /* _NTY_DROP_KINDS_H */
