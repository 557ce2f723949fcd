# Every dependency is a Debian package installed by scripts/setup.sh; docs/dependencies.md says
# why each is here.
find_package(PkgConfig REQUIRED)
pkg_check_modules(OPENSSL REQUIRED IMPORTED_TARGET libcrypto>=3.0)   # Ed25519, AES, SHA-256
pkg_check_modules(PCAP REQUIRED IMPORTED_TARGET libpcap)              # pcap/pcapng/live capture
pkg_check_modules(HS REQUIRED IMPORTED_TARGET libhs)                  # vectorscan: payload patterns
pkg_check_modules(TOMLPP REQUIRED IMPORTED_TARGET tomlplusplus)       # policy files
pkg_check_modules(SQLITE REQUIRED IMPORTED_TARGET sqlite3)            # hub: embedded database
pkg_check_modules(PQ REQUIRED IMPORTED_TARGET libpq)                  # hub: PostgreSQL
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)          # hub: Argon2id passwords
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)       # hub: HTTP server and client
find_package(nlohmann_json 3.10 REQUIRED)                             # JSON records, orders
find_package(fmt REQUIRED)                                            # formatting
find_package(CLI11 CONFIG REQUIRED)                                   # command line
if(MAMORI_TESTS)
  find_package(GTest REQUIRED)
endif()
if(MAMORI_BENCH)
  # The detection benchmark's peer: ModSecurity v3 with the OWASP Core Rule Set (modsecurity-crs).
  pkg_check_modules(MODSECURITY IMPORTED_TARGET modsecurity)
endif()
