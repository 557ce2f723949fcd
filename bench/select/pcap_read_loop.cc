// The limit for `mamori select`: the fastest a program can take packets out of a capture file with
// libpcap, doing nothing with them but touching their length. Prints packets, seconds, packets/s.
#include <pcap/pcap.h>

#include <chrono>
#include <cstdint>
#include <cstdio>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CAPTURE\n", argv[0]);
    return 2;
  }
  char errbuf[PCAP_ERRBUF_SIZE];
  const auto start = std::chrono::steady_clock::now();
  pcap_t* p = pcap_open_offline(argv[1], errbuf);
  if (p == nullptr) {
    std::fprintf(stderr, "%s: %s\n", argv[1], errbuf);
    return 1;
  }
  pcap_pkthdr* hdr = nullptr;
  const u_char* data = nullptr;
  uint64_t packets = 0, bytes = 0, firstBytes = 0;
  int rc;
  while ((rc = pcap_next_ex(p, &hdr, &data)) == 1) {
    ++packets;
    bytes += hdr->caplen;
    firstBytes += data[0];  // touch the packet, as any consumer must
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  pcap_close(p);
  std::printf("packets %llu bytes %llu seconds %.6f pps %.0f check %llu\n",
              static_cast<unsigned long long>(packets), static_cast<unsigned long long>(bytes), secs,
              static_cast<double>(packets) / secs, static_cast<unsigned long long>(firstBytes));
  return rc == PCAP_ERROR ? 1 : 0;
}
