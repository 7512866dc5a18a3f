// File: src/ranking/gbdt_kernel.h (internal)
//
// The ISA-specific flat-tree scoring kernels behind GbdtRanker, and the
// runtime CPU checks that pick one. Each kernel lives in its own translation
// unit (gbdt_kernel_avx2.cc, gbdt_kernel_avx512.cc) whose functions carry
// `__attribute__((target(...)))`; nothing else in the library is compiled for
// AVX. This header is plain C++ (no intrinsics, no inline functions) so that
// including it never puts shared inline code into an AVX context.
//
//   GbdtFlatModelRef m = {...};
//   if (GbdtCpuHasAvx512()) GbdtScoreFlatAvx512(m, block, stride, n, acc);
//
// The kernels are pure functions over immutable data: thread-safe.
#ifndef AISLE_SRC_RANKING_GBDT_KERNEL_H_
#define AISLE_SRC_RANKING_GBDT_KERNEL_H_

#include <cstddef>
#include <cstdint>

namespace aisle::ranking::internal {

// Rows per block (deadline granularity) and the accumulator stride.
inline constexpr size_t kGbdtBlockRows = 64;
// Bit 31 of a node's feature word: NaN goes right at this node.
inline constexpr uint32_t kGbdtNanRightBit = 0x80000000u;
// Readable entries past the last node of the node arrays.
inline constexpr size_t kGbdtNodePadding = 16;

// One perfect tree of depth `depth` stored breadth-first: internal node i of
// the tree is node_offset + i (children 2i+1, 2i+2); its 2^depth leaves are
// leaf_offset + [0, 2^depth).
struct GbdtFlatTreeRef {
  uint32_t node_offset;
  uint32_t leaf_offset;
  uint32_t depth;
  uint32_t output;
};

// The compiled flat trees in structure-of-arrays form (level l of a tree is
// the contiguous run [2^l - 1, 2^(l+1) - 1) of its nodes). `feature` and
// `threshold` hold at least kGbdtNodePadding readable entries after the last
// node (kernels load whole vectors of a level).
//
// The kernels first copy the `num_columns` layout columns the flat trees read
// (`columns`) into a column-major block, column j (the j-th entry of
// `columns`) at scratch + j * kGbdtBlockRows; a node's feature word holds that
// offset, so a row's value is scratch[(word & ~kGbdtNanRightBit) + row].
struct GbdtFlatModelRef {
  // j * kGbdtBlockRows for the node's column columns[j], | kGbdtNanRightBit
  // when NaN goes right at the node.
  const uint32_t* feature;
  const float* threshold;  // go right when x > threshold
  const double* leaves;
  // The same leaves as floats, or null. Set only when every leaf is exactly a
  // float (XGBoost models are), so float -> double conversion gives back the
  // same double; padded like the node arrays.
  const float* leaves_f;
  const GbdtFlatTreeRef* trees;
  size_t num_trees;
  const uint32_t* columns;  // layout columns read by the flat trees
  size_t num_columns;
};

// Adds every flat tree's leaf, in tree order, to the accumulators of rows
// [0, n) of a block. Row r of the block starts at rows + r * stride (floats).
// scratch holds num_columns * kGbdtBlockRows floats (the kernel's column-major
// copy). acc is column-major: acc[output * kGbdtBlockRows + r], pre-filled by
// the caller. Requires 1 <= n <= kGbdtBlockRows, num_columns >= 1 and
// num_columns * kGbdtBlockRows < 2^31. Only call a kernel after its
// GbdtCpuHas*() check returned true.
using GbdtFlatKernelFn = void (*)(const GbdtFlatModelRef& model, const float* rows, size_t stride,
                                  size_t n, float* scratch, double* acc);

void GbdtScoreFlatAvx512(const GbdtFlatModelRef& model, const float* rows, size_t stride, size_t n,
                         float* scratch, double* acc);
void GbdtScoreFlatAvx2(const GbdtFlatModelRef& model, const float* rows, size_t stride, size_t n,
                       float* scratch, double* acc);

// CPU (and OS) support, checked once and cached.
bool GbdtCpuHasAvx512();
bool GbdtCpuHasAvx2();

}  // namespace aisle::ranking::internal

#endif  // AISLE_SRC_RANKING_GBDT_KERNEL_H_
