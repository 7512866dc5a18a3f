aisle_module(catalog DEPS aisle_core absl::flat_hash_map absl::strings absl::str_format
  absl::random_random nlohmann_json::nlohmann_json)
