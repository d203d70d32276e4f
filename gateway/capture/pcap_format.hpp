#pragma once
// The classic libpcap file format (the "pcap" of tcpdump and Wireshark): a
// 24-byte global header, then per packet a 16-byte record header and the
// packet. Little-endian (host order on the platforms we build for; readers
// detect the order from the magic). Raw IP packets: LINKTYPE_RAW (101).
#include <chrono>
#include <cstdint>
#include <vector>

namespace tlsgate::capture {

constexpr std::uint32_t pcap_magic_us = 0xa1b2c3d4;  // microsecond timestamps
constexpr std::uint32_t linktype_raw = 101;          // packets start with the IP header
constexpr std::uint32_t pcap_snaplen = 65535;
constexpr std::size_t pcap_global_header_bytes = 24;
constexpr std::size_t pcap_record_header_bytes = 16;

// Appends the global header (version 2.4, thiszone 0, sigfigs 0).
void append_pcap_header(std::vector<std::uint8_t>& out);

// Appends one record header for a packet of `length` bytes captured at `ts`.
void append_record_header(std::vector<std::uint8_t>& out, std::chrono::system_clock::time_point ts,
                          std::uint32_t length);

// A complete global header as a value (for files and PCAP-over-IP readers).
std::vector<std::uint8_t> pcap_header();

}  // namespace tlsgate::capture
