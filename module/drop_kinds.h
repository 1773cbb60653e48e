/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The lists NTY names things by, each once, for X-macros as the kernel's
 * dropreason-core.h: the stages a frame is dropped at, the socket queues,
 * the drop kinds.
 */
#ifndef _NTY_DROP_KINDS_H
#define _NTY_DROP_KINDS_H

#include <net/dropreason.h>

/*
 * The stages a frame can be dropped at, named once: the drop table, the
 * journeys and the tracepoints expand this list (stages 4, 5, 6, 7 and 8
 * of the list at the top).  S(id, name) for each, E() for the last.
 */
#define NTY_DROP_STAGES(S, E)						\
	S(RCV, rcv)							\
	S(BACKLOG, backlog)						\
	S(PROTOCOL, protocol)						\
	S(DEMUX, demux)							\
	E(SOCKET, socket)

#define NTY_STAGE_ENUM(id, name)	NTY_STAGE_##id,
enum nty_stage {
	NTY_DROP_STAGES(NTY_STAGE_ENUM, NTY_STAGE_ENUM)
	__NTY_STAGE_MAX
};

#undef NTY_STAGE_ENUM

/* The socket queues a frame can take (nty:nty_sock_enqueue), named once. */
#define NTY_SOCK_QUEUES(S, E)						\
	S(RECEIVE, receive)						\
	S(BACKLOG, backlog)						\
	S(PREQUEUE, prequeue)						\
	E(OFO, ofo)

#define NTY_Q_ENUM(id, name)	NTY_Q_##id,
enum nty_sock_queue {
	NTY_SOCK_QUEUES(NTY_Q_ENUM, NTY_Q_ENUM)
	__NTY_Q_MAX
};

#undef NTY_Q_ENUM

/* For a name table: [NTY_STAGE_RCV] = "rcv", ... */
#define NTY_STAGE_NAME(id, name)	[NTY_STAGE_##id] = #name,
#define NTY_Q_NAME(id, name)		[NTY_Q_##id] = #name,

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
