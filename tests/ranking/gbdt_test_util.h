// File: tests/ranking/gbdt_test_util.h
//
// Readers for the GBDT parity fixtures (libsvm, TSV, one-number-per-token
// prediction files) shared by the GBDT test binaries. Test-only.
#ifndef AISLE_TESTS_RANKING_GBDT_TEST_UTIL_H_
#define AISLE_TESTS_RANKING_GBDT_TEST_UTIL_H_

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

namespace aisle::ranking::testing {

inline std::string SharedGbdt(const std::string& rel) {
  return std::string(AISLE_SHARED_DATA_DIR) + "/gbdt/" + rel;
}
inline std::string RankingFixture(const std::string& rel) {
  return std::string(AISLE_SOURCE_DIR) + "/tests/data/ranking/" + rel;
}
inline bool FileExists(const std::string& path) { return std::ifstream(path).good(); }

struct Dense {
  std::vector<float> data;
  std::vector<double> exact;  // the values as double (ReadTable only)
  size_t rows = 0;
  size_t cols = 0;
};

// libsvm: "<label> idx:value ..." with literal column indices; absent entries
// are NaN (missing).
inline Dense ReadLibsvm(const std::string& path, size_t cols) {
  Dense d;
  d.cols = cols;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::istringstream ss(line);
    std::string tok;
    ss >> tok;  // label
    const size_t base = d.data.size();
    d.data.resize(base + cols, std::numeric_limits<float>::quiet_NaN());
    while (ss >> tok) {
      const size_t colon = tok.find(':');
      if (colon == std::string::npos) continue;
      if (tok.compare(0, colon, "qid") == 0) continue;
      const size_t idx = std::strtoul(tok.c_str(), nullptr, 10);
      if (idx < cols) d.data[base + idx] = std::strtof(tok.c_str() + colon + 1, nullptr);
    }
    ++d.rows;
  }
  return d;
}

// Whitespace-separated table; `skip` leading columns dropped (labels).
inline Dense ReadTable(const std::string& path, size_t skip = 0) {
  Dense d;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ss(line);
    std::string tok;
    std::vector<float> row;
    size_t i = 0;
    while (ss >> tok) {
      if (i++ < skip) continue;
      const double v = tok == "nan" || tok == "NaN" ? std::numeric_limits<double>::quiet_NaN()
                                                    : std::strtod(tok.c_str(), nullptr);
      row.push_back(static_cast<float>(v));
      d.exact.push_back(v);
    }
    if (row.empty()) continue;
    if (d.rows == 0) d.cols = row.size();
    if (row.size() != d.cols) return Dense{};  // ragged: caller's assertion fails
    d.data.insert(d.data.end(), row.begin(), row.end());
    ++d.rows;
  }
  return d;
}

// Every whitespace-separated number in the file, in order.
inline std::vector<double> ReadNumbers(const std::string& path) {
  std::vector<double> v;
  std::ifstream in(path);
  std::string tok;
  while (in >> tok) {
    v.push_back(tok == "nan" || tok == "NaN" ? std::numeric_limits<double>::quiet_NaN()
                                             : std::strtod(tok.c_str(), nullptr));
  }
  return v;
}

// |a - b| <= tol * max(1, |b|).
inline bool Near(double a, double b, double tol) {
  return std::fabs(a - b) <= tol * std::max(1.0, std::fabs(b));
}

}  // namespace aisle::ranking::testing

#endif  // AISLE_TESTS_RANKING_GBDT_TEST_UTIL_H_
