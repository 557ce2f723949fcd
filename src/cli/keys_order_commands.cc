// `mamori keys gen`, `mamori order sign`, `mamori order verify`: the commission's side of orders.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include <fmt/format.h>

#include "cli.h"
#include "mamori/core/signing.h"
#include "mamori/core/time.h"
#include "mamori/sensor/selection_order.h"

namespace mamori::cli {
namespace {

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Failure(path + ": cannot read file");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void writeNewFile(const std::filesystem::path& path, const std::string& text) {
  if (std::filesystem::exists(path)) throw Failure(path.string() + ": already exists; not overwriting");
  std::ofstream out(path, std::ios::binary);
  out << text;
  out.close();
  if (!out) throw Failure(path.string() + ": cannot write");
}

std::string scopesText(const sensor::SelectionOrder& o) {
  std::string s;
  for (unsigned c = 0; c < sensor::kDirectionClassCount; ++c) {
    if (o.inScope(static_cast<sensor::DirectionClass>(c))) {
      if (!s.empty()) s += ", ";
      s += sensor::directionClassName(static_cast<sensor::DirectionClass>(c));
    }
  }
  return s;
}

}  // namespace

void addKeysCommand(CLI::App& app) {
  auto* keys = app.add_subcommand("keys", "Manage Ed25519 signing keys (the commission's order key)");
  keys->require_subcommand(1);
  auto* gen = keys->add_subcommand("gen", "Generate a key pair: DIR/signing.key (secret, mode 0600) "
                                          "and DIR/signing.pub");
  static std::string outDir;
  gen->add_option("--out", outDir, "Directory to write the key pair into (created if missing)")
      ->required();
  gen->callback([] {
    const std::filesystem::path dir(outDir);
    std::filesystem::create_directories(dir);
    const auto key = SigningKey::generate();
    if (std::filesystem::exists(dir / "signing.pub")) {
      throw Failure((dir / "signing.pub").string() + ": already exists; not overwriting");
    }
    key.saveFile(dir / "signing.key").valueOrThrow();
    writeNewFile(dir / "signing.pub", key.publicKey().toPem());
    std::printf("wrote %s (secret: keep it offline) and %s\nkey id %s\n",
                (dir / "signing.key").c_str(), (dir / "signing.pub").c_str(),
                key.publicKey().keyId().c_str());
  });
}

void addOrderCommand(CLI::App& app) {
  auto* order = app.add_subcommand("order", "Sign and verify selection orders");
  order->require_subcommand(1);

  auto* sign = order->add_subcommand(
      "sign", "Validate ORDER.json and write it, signed (DSSE envelope), to standard output");
  static std::string keyPath, orderPath;
  sign->add_option("--key", keyPath, "The commission's signing key (PEM)")->required();
  sign->add_option("order", orderPath, "The order document (JSON)")->required();
  sign->callback([] {
    const std::string text = readFile(orderPath);
    auto parsed = sensor::parseSelectionOrder(text);
    if (!parsed) throw Failure(orderPath + ": not signing an invalid order: " + parsed.error().message);
    const auto key = SigningKey::loadFile(keyPath).valueOrThrow();
    std::cout << dsseSign(key, sensor::kOrderPayloadType, text) << "\n";
  });

  auto* verify = order->add_subcommand(
      "verify", "Check a signed order's signature and content, and whether it is valid now");
  static std::string trustPath, signedPath, at;
  verify->add_option("--trust", trustPath, "The commission's public key (PEM)")->required();
  verify->add_option("--at", at, "Check validity at this RFC 3339 time instead of now");
  verify->add_option("signed", signedPath, "The signed order")->required();
  verify->callback([] {
    const auto trust = VerifyKey::loadFile(trustPath).valueOrThrow();
    const int64_t when = at.empty() ? nowMicros() : parseRfc3339(at).valueOrThrow();
    auto payload = dsseVerify(trust, readFile(signedPath), sensor::kOrderPayloadType);
    if (!payload) throw Failure(signedPath + ": " + payload.error().message);
    auto o = sensor::parseSelectionOrder(*payload);
    if (!o) throw Failure(signedPath + ": signature valid but order invalid: " + o.error().message);
    std::printf("signature: valid (key %s)\norder: %s\npurpose: %s\nscopes: %s\nvalid: %s to %s\n"
                "criteria: %zu\nsha256: %s\n",
                trust.keyId().c_str(), o->id.c_str(), o->purpose.c_str(), scopesText(*o).c_str(),
                formatRfc3339(o->validFrom).c_str(), formatRfc3339(o->validUntil).c_str(),
                o->criteria.size(), o->sha256.c_str());
    if (!o->validAt(when)) {
      std::printf("status: NOT valid at %s\n", formatRfc3339(when).c_str());
      gExitCode = kExitFailure;
    } else {
      std::printf("status: valid at %s\n", formatRfc3339(when).c_str());
    }
  });
}

}  // namespace mamori::cli
