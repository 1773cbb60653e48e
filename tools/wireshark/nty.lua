-- SPDX-License-Identifier: GPL-2.0
--
-- Wireshark and tshark dissector (Lua 5.2, as Wireshark 4.0 has it) for NTY frames (include/uapi/linux/nty.h,
-- struct ntyhdr): the 24-byte header after the Ethernet header, on the
-- module's EtherType (0x88B5 unless nty.ko was loaded with ethertype=).
--
--   tshark -X lua_script:tools/wireshark/nty.lua -r cap.pcap -V
--   tshark -X lua_script:tools/wireshark/nty.lua -r cap.pcap \
--          -T fields -e nty.srcport -e nty.flags.syn -e nty.seq
--
-- For Wireshark itself, copy the file into the personal Lua plugins
-- folder (Help > About Wireshark > Folders, "Personal Lua Plugins", e.g.
-- ~/.local/lib/wireshark/plugins/) and restart it; filter with "nty".
--
-- The checksum is RFC 1071's over the header and payload with the field
-- zero, no pseudo-header.  A frame sent through a device that computes
-- checksums (veth, a NIC with tx-checksumming) is captured before the
-- device fills the field in: its checksum shows "unverified" when it is
-- zero, as Wireshark shows offloaded TCP checksums.

local nty = Proto("nty", "NTY receive-path protocol")

local types = { [1] = "dgram", [2] = "stream" }

local f = nty.fields
f.version = ProtoField.uint8("nty.version", "Version", base.DEC)
f.type = ProtoField.uint8("nty.type", "Type", base.DEC, types)
f.flags = ProtoField.uint8("nty.flags", "Flags", base.HEX)
f.syn = ProtoField.bool("nty.flags.syn", "SYN", 8, nil, 0x01)
f.ack_flag = ProtoField.bool("nty.flags.ack", "ACK", 8, nil, 0x02)
f.fin = ProtoField.bool("nty.flags.fin", "FIN", 8, nil, 0x04)
f.rst = ProtoField.bool("nty.flags.rst", "RST", 8, nil, 0x08)
f.flags_other = ProtoField.uint8("nty.flags.unknown", "Unknown flags", base.HEX, nil, 0xf0)
f.reserved = ProtoField.uint8("nty.reserved", "Reserved", base.HEX)
f.srcport = ProtoField.uint16("nty.srcport", "Source port", base.DEC)
f.dstport = ProtoField.uint16("nty.dstport", "Destination port", base.DEC)
f.port = ProtoField.uint16("nty.port", "Port", base.DEC)
f.len = ProtoField.uint16("nty.len", "Length", base.DEC)
f.checksum = ProtoField.uint16("nty.checksum", "Checksum", base.HEX)
f.checksum_status = ProtoField.string("nty.checksum.status", "Checksum status")
f.checksum_calc = ProtoField.uint16("nty.checksum.calculated", "Calculated checksum", base.HEX)
f.seq = ProtoField.uint32("nty.seq", "Sequence number", base.DEC)
f.ack = ProtoField.uint32("nty.ack", "Acknowledgment number", base.DEC)
f.window = ProtoField.uint16("nty.window", "Window (raw)", base.DEC)
f.window_size = ProtoField.uint32("nty.window.size", "Window size (bytes, raw << 4)", base.DEC)
f.reserved2 = ProtoField.uint16("nty.reserved2", "Reserved", base.HEX)
f.payload_len = ProtoField.uint16("nty.payload.len", "Payload length", base.DEC)
f.payload = ProtoField.bytes("nty.payload", "Payload")

local e_short = ProtoExpert.new("nty.short", "Frame shorter than the NTY header",
	expert.group.MALFORMED, expert.severity.ERROR)
local e_len = ProtoExpert.new("nty.len.bad", "Length field disagrees with the frame",
	expert.group.MALFORMED, expert.severity.ERROR)
local e_csum = ProtoExpert.new("nty.checksum.bad", "Bad checksum",
	expert.group.CHECKSUM, expert.severity.ERROR)
local e_version = ProtoExpert.new("nty.version.bad", "Unknown NTY version",
	expert.group.MALFORMED, expert.severity.WARN)
local e_type = ProtoExpert.new("nty.type.bad", "Unknown NTY frame type",
	expert.group.MALFORMED, expert.severity.WARN)
nty.experts = { e_short, e_len, e_csum, e_version, e_type }

nty.prefs.ethertype = Pref.uint("EtherType", 0x88b5, "nty.ko's ethertype= parameter")
nty.prefs.check_checksum = Pref.bool("Validate the checksum", true,
	"Compute the RFC 1071 checksum over header and payload")

local NTY_HLEN = 24
local WINDOW_SHIFT = 4

-- RFC 1071 over the first n bytes of tvb, the checksum field counted as 0.
local function checksum(tvb, n)
	local sum = 0
	for i = 0, n - 2, 2 do
		if i ~= 10 then
			sum = sum + tvb:range(i, 2):uint()
		end
	end
	if n % 2 == 1 then
		sum = sum + tvb:range(n - 1, 1):uint() * 256
	end
	while sum > 0xffff do
		sum = bit32.band(sum, 0xffff) + bit32.rshift(sum, 16)
	end
	return bit32.band(bit32.bnot(sum), 0xffff)
end

function nty.dissector(tvb, pinfo, tree)
	local n = tvb:len()
	pinfo.cols.protocol = "NTY"
	local t = tree:add(nty, tvb(), "NTY")
	if n < NTY_HLEN then
		t:add_proto_expert_info(e_short, string.format("%d of %d header bytes", n, NTY_HLEN))
		pinfo.cols.info = "NTY (truncated)"
		return n
	end
	local version = tvb(0, 1):uint()
	local ftype = tvb(1, 1):uint()
	local flags = tvb(2, 1):uint()
	local sport = tvb(4, 2):uint()
	local dport = tvb(6, 2):uint()
	local len = tvb(8, 2):uint()

	local vi = t:add(f.version, tvb(0, 1))
	if version ~= 1 then
		vi:add_proto_expert_info(e_version)
	end
	local ti = t:add(f.type, tvb(1, 1))
	if not types[ftype] then
		ti:add_proto_expert_info(e_type)
	end
	local fl = t:add(f.flags, tvb(2, 1))
	fl:add(f.syn, tvb(2, 1))
	fl:add(f.ack_flag, tvb(2, 1))
	fl:add(f.fin, tvb(2, 1))
	fl:add(f.rst, tvb(2, 1))
	fl:add(f.flags_other, tvb(2, 1))
	t:add(f.reserved, tvb(3, 1))
	t:add(f.srcport, tvb(4, 2))
	t:add(f.dstport, tvb(6, 2))
	t:add(f.port, tvb(4, 2)):set_hidden()
	t:add(f.port, tvb(6, 2)):set_hidden()
	local li = t:add(f.len, tvb(8, 2))
	-- A frame may carry Ethernet padding after len bytes, never fewer.
	local good_len = len >= NTY_HLEN and len <= n
	if not good_len then
		li:add_proto_expert_info(e_len, string.format("length %d, frame %d bytes", len, n))
	end
	local ci = t:add(f.checksum, tvb(10, 2))
	local check = tvb(10, 2):uint()
	local status = "unverified"
	if nty.prefs.check_checksum and good_len then
		local calc = checksum(tvb, len)
		ci:add(f.checksum_calc, tvb(10, 2), calc):set_generated()
		if calc == check then
			status = "good"
		elseif check ~= 0 then
			status = "bad"
			ci:add_proto_expert_info(e_csum, string.format("0x%04x, should be 0x%04x",
				check, calc))
		end
	end
	t:add(f.checksum_status, tvb(10, 2), status):set_generated()
	t:add(f.seq, tvb(12, 4))
	t:add(f.ack, tvb(16, 4))
	local wi = t:add(f.window, tvb(20, 2))
	wi:add(f.window_size, tvb(20, 2), bit32.lshift(tvb(20, 2):uint(), WINDOW_SHIFT)):set_generated()
	t:add(f.reserved2, tvb(22, 2))

	local plen = (good_len and len or n) - NTY_HLEN
	t:add(f.payload_len, tvb(8, 2), plen):set_generated()
	if plen > 0 then
		t:add(f.payload, tvb(NTY_HLEN, plen))
	end

	local names = {}
	for bit, name in pairs({ [1] = "SYN", [2] = "ACK", [4] = "FIN", [8] = "RST" }) do
		if bit32.band(flags, bit) ~= 0 then
			names[#names + 1] = name
		end
	end
	table.sort(names)
	local info = string.format("%s %d > %d len=%d", types[ftype] or "type " .. ftype,
		sport, dport, plen)
	if ftype == 2 then
		info = info .. string.format(" [%s] seq=%d ack=%d win=%d", table.concat(names, ","),
			tvb(12, 4):uint(), tvb(16, 4):uint(), bit32.lshift(tvb(20, 2):uint(), WINDOW_SHIFT))
	end
	pinfo.cols.info = info
	t:append_text(string.format(", %s", info))
	return n
end

local registered
function nty.prefs_changed()
	local et = DissectorTable.get("ethertype")
	if registered then
		et:remove(registered, nty)
	end
	registered = nty.prefs.ethertype
	et:add(registered, nty)
end

DissectorTable.get("ethertype"):add(0x88b5, nty)
registered = 0x88b5
