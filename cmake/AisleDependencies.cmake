# Every dependency comes from a Debian 12 package (scripts/setup.sh installs
# them). Nothing is downloaded at configure or build time.
find_package(Threads REQUIRED)
find_package(absl CONFIG REQUIRED)
find_package(Eigen3 3.3 CONFIG REQUIRED)
find_package(FlatBuffers CONFIG REQUIRED)  # capital letters matter on Debian
find_package(nlohmann_json 3 CONFIG REQUIRED)
find_package(PkgConfig REQUIRED)

# xxHash ships no CMake config on Debian: use pkg-config.
pkg_check_modules(XXHASH REQUIRED IMPORTED_TARGET libxxhash)
if(NOT TARGET xxHash::xxhash)
  add_library(xxHash::xxhash INTERFACE IMPORTED)
  target_link_libraries(xxHash::xxhash INTERFACE PkgConfig::XXHASH)
endif()

# hnswlib is header-only with neither a CMake config nor a .pc file.
find_path(HNSWLIB_INCLUDE_DIR hnswlib/hnswlib.h REQUIRED)
if(NOT TARGET hnswlib::hnswlib)
  add_library(hnswlib::hnswlib INTERFACE IMPORTED)
  target_include_directories(hnswlib::hnswlib SYSTEM INTERFACE ${HNSWLIB_INCLUDE_DIR})
endif()

if(AISLE_BUILD_TESTS)
  find_package(GTest CONFIG REQUIRED)
endif()
if(AISLE_BUILD_BENCHMARKS)
  find_package(benchmark CONFIG REQUIRED)
  # Peers measured side by side in the benchmarks; optional.
  # Debian's xgboost CMake config names a CLI binary the -dev package does not
  # ship, so import the library directly.
  find_library(XGBOOST_LIBRARY xgboost)
  find_path(XGBOOST_INCLUDE_DIR xgboost/c_api.h)
  if(XGBOOST_LIBRARY AND XGBOOST_INCLUDE_DIR AND NOT TARGET xgboost::xgboost)
    add_library(xgboost::xgboost UNKNOWN IMPORTED)
    set_target_properties(xgboost::xgboost PROPERTIES IMPORTED_LOCATION ${XGBOOST_LIBRARY}
      INTERFACE_INCLUDE_DIRECTORIES ${XGBOOST_INCLUDE_DIR})
  endif()
  find_package(faiss CONFIG QUIET)
endif()
