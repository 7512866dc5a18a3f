aisle_module(retrieval DEPS aisle_core aisle_catalog hnswlib::hnswlib Eigen3::Eigen absl::flat_hash_map
  absl::synchronization absl::strings absl::str_format absl::random_random Threads::Threads
  # Tests search with policy::LiveItemFilter, the filter the engine passes.
  TEST_DEPS aisle_policy)
