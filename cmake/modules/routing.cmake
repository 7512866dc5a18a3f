aisle_module(routing DEPS aisle_core absl::flat_hash_map absl::strings absl::str_format
  absl::synchronization absl::time nlohmann_json::nlohmann_json)
