// File: aisle/core/matrix.h
//
// Views over contiguous row-major float matrices: embeddings (items x dims)
// and feature matrices (candidates x features). Views never own memory.
//
//   std::vector<float> data(rows * cols);
//   aisle::MatrixView m(data.data(), rows, cols);
//   const float* row = m.Row(3);
//
// Views are thread-compatible.
#ifndef AISLE_CORE_MATRIX_H_
#define AISLE_CORE_MATRIX_H_

#include <cstddef>

#include "absl/types/span.h"

namespace aisle {

struct MatrixView {
  const float* data = nullptr;
  size_t rows = 0;
  size_t cols = 0;

  MatrixView() = default;
  MatrixView(const float* d, size_t r, size_t c) : data(d), rows(r), cols(c) {}
  const float* Row(size_t r) const { return data + r * cols; }
  absl::Span<const float> RowSpan(size_t r) const { return {data + r * cols, cols}; }
  bool empty() const { return rows == 0; }
};

struct MutableMatrixView {
  float* data = nullptr;
  size_t rows = 0;
  size_t cols = 0;

  MutableMatrixView() = default;
  MutableMatrixView(float* d, size_t r, size_t c) : data(d), rows(r), cols(c) {}
  float* Row(size_t r) const { return data + r * cols; }
  operator MatrixView() const { return MatrixView(data, rows, cols); }
};

}  // namespace aisle

#endif  // AISLE_CORE_MATRIX_H_
