// libFuzzer target for the protective DNS wire format: parseMessage on arbitrary bytes, then, for
// whatever parses, the paths the resolver takes with it — FORMERR/REFUSED responses, fitting a
// response to a small client (truncation at record boundaries), re-encoding names with
// compression, and a cache round trip. Each output must parse again.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "mamori/dns/cache.h"
#include "mamori/dns/message.h"
#include "mamori/dns/writer.h"

namespace {

using namespace mamori::dns;

void require(bool condition) {
  if (!condition) __builtin_trap();
}

bool parses(std::span<const uint8_t> bytes) {
  Message m;
  return parseMessage(bytes, m) == ParseError::kNone;
}

void checkParsed(const Message& m, std::span<const uint8_t> input) {
  for (const Record& r : m.records) {
    require(r.offset < r.rdataOffset && r.end() <= input.size());
    Name owner;
    size_t next = 0;
    require(readName(input, r.offset, owner, &next) == ParseError::kNone);
  }
  if (m.edns.present) require(m.edns.recordEnd <= input.size());
  if (m.hasQuestion) {
    // Presentation text parses back to the very same bytes, case included.
    const auto back = Name::fromText(m.question.name.toText());
    require(back.ok() && back->identical(m.question.name));
  }

  // Fit the message to a 512-byte client, as the server does with upstream answers.
  std::vector<uint8_t> buf(input.begin(), input.end());
  buf.resize(input.size() + 64);
  const size_t n = fitResponse(buf, input.size(), m, 512);
  if (n != 0) {
    require(n <= 512);
    require(parses(std::span<const uint8_t>(buf.data(), n)));
  }

  // Re-encode the question and every address record with compression.
  std::array<uint8_t, 4096> out{};
  MessageWriter w(out, out.size());
  if (m.hasQuestion && w.start(m.header) &&
      w.addQuestion(m.question.name, m.question.type, m.question.qclass)) {
    for (const Record& r : m.records) {
      if (r.type != kTypeA && r.type != kTypeAaaa) continue;
      Name owner;
      size_t next = 0;
      if (readName(input, r.offset, owner, &next) != ParseError::kNone) __builtin_trap();
      if (!w.addRecord(r.section, owner, r.type, r.rclass, r.ttl, m.rdata(r))) break;
    }
    Message again;
    require(parseMessage(w.message(), again) == ParseError::kNone);
    require(again.question.name.identical(m.question.name));
  }

  // A cache round trip: whatever is stored comes back as a message that parses.
  static Cache cache(CacheOptions{size_t{1} << 20, 4, 0, 86400, 3600});
  static std::vector<uint8_t> hitBuffer(kMaxMessage);
  if (m.hasQuestion && cache.insert(m, false, 0)) {
    const auto hit =
        cache.lookup(m.question.name, m.question.type, m.question.qclass, false, 7, 0, hitBuffer);
    require(hit.has_value());
    require(parses(std::span<const uint8_t>(hitBuffer.data(), hit->length)));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> input(data, size);
  Message m;
  const ParseError e = parseMessage(input, m);
  require(!parseErrorName(e).empty() && !parseErrorMessage(e).empty());
  if (e == ParseError::kNone) checkParsed(m, input);

  // Whatever parsed of a query gets an error response that is itself a valid message.
  std::array<uint8_t, 512> out{};
  const size_t n = writeErrorResponse(m, kRcodeFormErr, out, out.size());
  if (n != 0) {
    require(n <= out.size());
    Message reply;
    const ParseError re = parseMessage(std::span<const uint8_t>(out.data(), n), reply);
    require(re == ParseError::kNone && reply.header.qr && reply.header.id == m.header.id);
  }
  return 0;
}
