// File: aisle/catalog/internal/string_arena.h
//
// Internal to the catalog module. StringArena copies strings into large
// chunks whose addresses never change, so the absl::string_view handed out
// stays valid for the arena's lifetime, including after the arena is moved
// (chunks are heap blocks owned through unique_ptr). The catalog keys its
// hash maps by these views, so interning 1M ids costs one memcpy each and no
// per-string allocation.
//
//   aisle::catalog::internal::StringArena arena;
//   absl::string_view kept = arena.Store(temporary);
//
// Not thread-safe for Store(); views it returned may be read concurrently.
#ifndef AISLE_CATALOG_INTERNAL_STRING_ARENA_H_
#define AISLE_CATALOG_INTERNAL_STRING_ARENA_H_

#include <cstddef>
#include <cstring>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace aisle::catalog::internal {

class StringArena {
 public:
  StringArena() = default;
  StringArena(StringArena&& o) noexcept
      : chunks_(std::move(o.chunks_)),
        cursor_(std::exchange(o.cursor_, nullptr)),
        left_(std::exchange(o.left_, 0)),
        capacity_(std::exchange(o.capacity_, 0)) {}
  StringArena& operator=(StringArena&& o) noexcept {
    chunks_ = std::move(o.chunks_);
    cursor_ = std::exchange(o.cursor_, nullptr);
    left_ = std::exchange(o.left_, 0);
    capacity_ = std::exchange(o.capacity_, 0);
    return *this;
  }
  StringArena(const StringArena&) = delete;
  StringArena& operator=(const StringArena&) = delete;

  // Copies `s` into the arena and returns a view of the copy.
  absl::string_view Store(absl::string_view s) {
    if (s.empty()) return absl::string_view();
    if (s.size() > left_) NewChunk(s.size());
    char* dst = cursor_;
    std::memcpy(dst, s.data(), s.size());
    cursor_ += s.size();
    left_ -= s.size();
    return absl::string_view(dst, s.size());
  }

  // Bytes held in chunks (capacity, not just what is used).
  size_t capacity_bytes() const { return capacity_; }

 private:
  static constexpr size_t kChunkSize = size_t{1} << 20;
  void NewChunk(size_t at_least) {
    const size_t n = at_least > kChunkSize ? at_least : kChunkSize;
    chunks_.push_back(std::make_unique_for_overwrite<char[]>(n));
    cursor_ = chunks_.back().get();
    left_ = n;
    capacity_ += n;
  }

  std::vector<std::unique_ptr<char[]>> chunks_;
  char* cursor_ = nullptr;
  size_t left_ = 0;
  size_t capacity_ = 0;
};

}  // namespace aisle::catalog::internal

#endif  // AISLE_CATALOG_INTERNAL_STRING_ARENA_H_
