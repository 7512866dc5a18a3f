aisle_module(ranking DEPS aisle_core Eigen3::Eigen nlohmann_json::nlohmann_json
  absl::flat_hash_map absl::strings absl::str_format)
