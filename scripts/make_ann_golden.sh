#!/bin/sh
# Regenerates tests/data/retrieval/ann_v1_golden.bin, the golden AISLEANN
# format-version-1 file. Only run this when adding a NEW format version's
# golden file: the v1 file must never change (it proves old files still load).
# Usage: scripts/make_ann_golden.sh [build-dir]
set -eu
build="${1:-build}"
"$build/aisle_retrieval_ann_index_test" --gtest_also_run_disabled_tests \
  --gtest_filter='AnnIndexGolden.DISABLED_WriteGoldenV1'
