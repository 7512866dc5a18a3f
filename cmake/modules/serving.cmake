# The serving module composes every other module (pipeline builder, engine).
# Until the engine exists it holds the resilience pieces: breakers, overload
# control, runtime switches.
aisle_module(serving DEPS aisle_core absl::flat_hash_map absl::synchronization absl::strings
  absl::str_format absl::time absl::any_invocable Threads::Threads)
