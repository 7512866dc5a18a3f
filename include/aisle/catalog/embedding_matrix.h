// File: aisle/catalog/embedding_matrix.h
//
// EmbeddingMatrix: item embeddings in one piece, as read from an embeddings
// file (embedding_file.h) and handed to CatalogBuilder::AttachEmbeddings().
//
//   aisle::catalog::EmbeddingMatrix m{.rows = 2, .dim = 2, .data = {1, 0, 0, 1}};
//   aisle::MatrixView v = m.view();
//
// A plain value type: thread-compatible.
#ifndef AISLE_CATALOG_EMBEDDING_MATRIX_H_
#define AISLE_CATALOG_EMBEDDING_MATRIX_H_

#include <cstddef>
#include <string>
#include <vector>

#include "aisle/core/matrix.h"

namespace aisle::catalog {

// Embeddings supplied in one piece: `rows` x `dim` row-major floats. When
// `ids` is empty, row r belongs to ItemIndex r; otherwise row r belongs to
// the item with external id ids[r] and every item must appear exactly once.
struct EmbeddingMatrix {
  size_t rows = 0;
  size_t dim = 0;
  std::vector<float> data{};
  std::vector<std::string> ids{};

  MatrixView view() const { return MatrixView(data.data(), rows, dim); }
};

}  // namespace aisle::catalog

#endif  // AISLE_CATALOG_EMBEDDING_MATRIX_H_
