// File: aisle/core/status_macros.h
//
// Early-return helpers for absl::Status and absl::StatusOr, used on every
// path that can fail on input.
//
//   absl::StatusOr<Catalog> Load(absl::string_view path) {
//     AISLE_ASSIGN_OR_RETURN(std::string bytes, ReadFile(path));
//     AISLE_RETURN_IF_ERROR(Validate(bytes));
//     ...
//   }
#ifndef AISLE_CORE_STATUS_MACROS_H_
#define AISLE_CORE_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define AISLE_RETURN_IF_ERROR(expr)                \
  do {                                             \
    ::absl::Status aisle_status_ = (expr);         \
    if (!aisle_status_.ok()) return aisle_status_; \
  } while (0)

#define AISLE_STATUS_CONCAT_INNER_(a, b) a##b
#define AISLE_STATUS_CONCAT_(a, b) AISLE_STATUS_CONCAT_INNER_(a, b)

#define AISLE_ASSIGN_OR_RETURN(lhs, expr) \
  AISLE_ASSIGN_OR_RETURN_IMPL_(AISLE_STATUS_CONCAT_(aisle_statusor_, __LINE__), lhs, expr)

#define AISLE_ASSIGN_OR_RETURN_IMPL_(var, lhs, expr) \
  auto var = (expr);                                 \
  if (!var.ok()) return std::move(var).status();     \
  lhs = std::move(var).value()

#endif  // AISLE_CORE_STATUS_MACROS_H_
