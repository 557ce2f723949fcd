#include "proto/dns/dns.h"

#include <array>

#include "mamori/core/byte_cursor.h"

namespace mamori::sensor::dns {
namespace {

constexpr uint16_t kFlagResponse = 0x8000;

void appendDecimalEscape(std::string& out, uint8_t b) {
  out.push_back('\\');
  out.push_back(static_cast<char>('0' + b / 100));
  out.push_back(static_cast<char>('0' + (b / 10) % 10));
  out.push_back(static_cast<char>('0' + b % 10));
}

// One label in the master-file form dig prints: specials as \c, non-printables as \DDD.
void appendLabel(std::string& out, std::span<const uint8_t> label) {
  for (const uint8_t b : label) {
    switch (b) {
      case '.':
      case '\\':
      case '"':
      case '(':
      case ')':
      case ';':
      case '@':
      case '$':
        out.push_back('\\');
        out.push_back(static_cast<char>(b));
        break;
      default:
        if (b < 0x21 || b > 0x7e) {
          appendDecimalEscape(out, b);
        } else {
          out.push_back(static_cast<char>(b));
        }
    }
  }
}

// Reads the (possibly compressed) name at cur's position. cur advances past the bytes the name
// occupies in place (up to and including its first pointer). `text` may be null when only the
// framing matters. Every pointer must point strictly below the previous jump target (or, for
// the first pointer, below its own offset); the targets therefore strictly decrease, which rules
// out loops without a visited set. Compressors only ever point at names written earlier, so no
// valid message is rejected by this.
bool readName(std::span<const uint8_t> msg, ByteCursor& cur, std::string* text,
              std::string_view* why) {
  ByteCursor walk = cur;
  bool jumped = false;
  size_t limit = 0;
  size_t wire = 0;
  size_t jumps = 0;
  size_t labels = 0;
  if (text != nullptr) {
    text->clear();
  }
  for (;;) {
    const size_t at = walk.position();
    const uint8_t len = walk.u8();
    if (!walk.ok()) {
      *why = "dns_name_truncated";
      return false;
    }
    if ((len & 0xc0) == 0xc0) {
      const uint8_t low = walk.u8();
      if (!walk.ok()) {
        *why = "dns_name_truncated";
        return false;
      }
      const size_t target = (static_cast<size_t>(len & 0x3f) << 8) | low;
      if (target > at) {
        *why = "dns_name_forward_pointer";
        return false;
      }
      if (target == at || (jumped && target >= limit) || ++jumps > kMaxPointerJumps) {
        *why = "dns_name_loop";
        return false;
      }
      if (!jumped) {
        cur.skip(walk.position() - cur.position());
        jumped = true;
      }
      limit = target;
      walk = ByteCursor(msg);
      walk.seek(target);
      continue;
    }
    if ((len & 0xc0) != 0) {
      // 0x40-0xbf: a length above 63, or the obsolete extended label types (RFC 6891 6.2).
      *why = "dns_label_too_long";
      return false;
    }
    wire += 1 + static_cast<size_t>(len);
    if (wire > kMaxNameWireBytes) {
      *why = "dns_name_too_long";
      return false;
    }
    if (len == 0) {
      break;
    }
    const auto label = walk.bytes(len);
    if (!walk.ok()) {
      *why = "dns_name_truncated";
      return false;
    }
    if (text != nullptr) {
      if (labels > 0) {
        text->push_back('.');
      }
      appendLabel(*text, label);
    }
    ++labels;
  }
  if (!jumped) {
    cur.skip(walk.position() - cur.position());
  }
  if (text != nullptr && labels == 0) {
    text->push_back('.');
  }
  return true;
}

DnsParse malformed(std::string_view* reason, std::string_view why) {
  if (reason != nullptr) {
    *reason = why;
  }
  return DnsParse::kMalformed;
}

}  // namespace

DnsParse parseDnsMessage(std::span<const uint8_t> msg, DnsMessage& out, std::string_view* reason) {
  out.id = 0;
  out.isResponse = false;
  out.opcode = 0;
  out.rcode = 0;
  out.questions.clear();
  out.answers.clear();
  out.cnames.clear();
  if (reason != nullptr) {
    *reason = {};
  }

  ByteCursor c(msg);
  const uint16_t id = c.u16be();
  const uint16_t flags = c.u16be();
  const uint16_t qdCount = c.u16be();
  const uint16_t anCount = c.u16be();
  c.skip(4);  // NSCOUNT, ARCOUNT: those sections are not read
  if (!c.ok()) {
    return malformed(reason, "dns_truncated_header");
  }
  out.id = id;
  out.isResponse = (flags & kFlagResponse) != 0;
  out.opcode = static_cast<uint8_t>((flags >> 11) & 0x0f);
  out.rcode = static_cast<uint8_t>(flags & 0x0f);

  std::string_view why;
  for (uint32_t i = 0; i < qdCount; ++i) {
    const bool keep = out.questions.size() < kMaxQuestions;
    std::string name;
    if (!readName(msg, c, keep ? &name : nullptr, &why)) {
      return malformed(reason, why);
    }
    const uint16_t type = c.u16be();
    c.skip(2);  // QCLASS
    if (!c.ok()) {
      return malformed(reason, "dns_truncated_question");
    }
    if (keep) {
      out.questions.push_back(DnsQuestion{std::move(name), type});
    }
  }

  for (uint32_t i = 0; i < anCount; ++i) {
    if (!readName(msg, c, nullptr, &why)) {
      return malformed(reason, why);
    }
    const uint16_t type = c.u16be();
    const uint16_t rrClass = c.u16be();
    c.skip(4);  // TTL
    const uint16_t rdLength = c.u16be();
    if (!c.ok()) {
      return malformed(reason, "dns_truncated_answer");
    }
    const size_t rdStart = c.position();
    const auto rdata = c.bytes(rdLength);
    if (!c.ok()) {
      return malformed(reason, "dns_truncated_rdata");
    }
    if (rrClass != kClassIn) {
      continue;
    }
    if (type == kTypeA || type == kTypeAaaa) {
      const size_t want = type == kTypeA ? 4 : 16;
      if (rdata.size() != want) {
        return malformed(reason, "dns_rdlength_mismatch");
      }
      if (out.answers.size() < kMaxAnswers) {
        out.answers.push_back(type == kTypeA ? IpAddress::v4Bytes(rdata.data())
                                             : IpAddress::v6Bytes(rdata.data()));
      }
    } else if (type == kTypeCname) {
      // The target may point back into the whole message, but must end exactly at the end of
      // its RDATA; a view ending there makes an overrun show up as a truncated name.
      const size_t rdEnd = rdStart + rdLength;
      ByteCursor nc(msg.first(rdEnd));
      nc.seek(rdStart);
      const bool keep = out.cnames.size() < kMaxCnames;
      std::string target;
      if (!readName(msg.first(rdEnd), nc, keep ? &target : nullptr, &why)) {
        return malformed(reason, why == "dns_name_truncated" ? "dns_rdlength_mismatch" : why);
      }
      if (nc.position() != rdEnd) {
        return malformed(reason, "dns_rdlength_mismatch");
      }
      if (keep) {
        out.cnames.push_back(std::move(target));
      }
    }
  }
  return DnsParse::kOk;
}

std::span<const uint8_t> dnsTcpFrame(std::span<const uint8_t> stream) {
  ByteCursor c(stream);
  const uint16_t length = c.u16be();
  const auto message = c.bytes(length);
  if (!c.ok() || length == 0) {
    return {};
  }
  return message;
}

void appendHostText(std::string& out, std::span<const uint8_t> bytes) {
  for (const uint8_t b : bytes) {
    if (b == '\\') {
      out.append("\\\\");
    } else if (b < 0x21 || b > 0x7e) {
      appendDecimalEscape(out, b);
    } else {
      out.push_back(static_cast<char>(b));
    }
  }
}

std::string rcodeName(uint8_t rcode) {
  static constexpr std::array<std::string_view, 12> kLow = {
      "NOERROR",  "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",  "REFUSED",
      "YXDOMAIN", "YXRRSET", "NXRRSET",  "NOTAUTH",  "NOTZONE", "DSOTYPENI"};
  static constexpr std::array<std::string_view, 8> kExtended = {
      "BADVERS", "BADKEY", "BADTIME", "BADMODE", "BADNAME", "BADALG", "BADTRUNC", "BADCOOKIE"};
  if (rcode < kLow.size()) {
    return std::string(kLow[rcode]);
  }
  if (rcode >= 16 && rcode < 16 + kExtended.size()) {
    return std::string(kExtended[rcode - 16]);
  }
  return "RCODE" + std::to_string(rcode);
}

std::string typeName(uint16_t type) {
  struct Entry {
    uint16_t type;
    std::string_view name;
  };
  static constexpr std::array<Entry, 24> kNames = {{
      {1, "A"},     {2, "NS"},     {5, "CNAME"},  {6, "SOA"},     {12, "PTR"},   {13, "HINFO"},
      {15, "MX"},   {16, "TXT"},   {28, "AAAA"},  {33, "SRV"},    {35, "NAPTR"}, {41, "OPT"},
      {43, "DS"},   {46, "RRSIG"}, {47, "NSEC"},  {48, "DNSKEY"}, {50, "NSEC3"}, {52, "TLSA"},
      {64, "SVCB"}, {65, "HTTPS"}, {251, "IXFR"}, {252, "AXFR"},  {255, "ANY"},  {257, "CAA"},
  }};
  for (const auto& e : kNames) {
    if (e.type == type) {
      return std::string(e.name);
    }
  }
  return "TYPE" + std::to_string(type);
}

}  // namespace mamori::sensor::dns
