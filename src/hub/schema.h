// The hub's database schema, as migrations (docs/storage.md says which SQL both backends share).
#pragma once

#include <span>

#include "mamori/hub/database.h"

namespace mamori::hub {

std::span<const Migration> hubMigrations();

}  // namespace mamori::hub
