aisle_module(policy DEPS aisle_core Eigen3::Eigen absl::flat_hash_map absl::flat_hash_set
  absl::synchronization absl::strings absl::str_format absl::time Threads::Threads)
