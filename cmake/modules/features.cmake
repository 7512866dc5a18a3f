aisle_module(features DEPS aisle_core absl::flat_hash_map absl::synchronization absl::strings
  absl::str_format absl::time Threads::Threads)
