# aisle_module(<name> [DEPS <targets>...])
#
# Declares the library target aisle_<name> for include/aisle/<name>/ and
# src/<name>/*.cc (an INTERFACE library when the module is header-only), and,
# when tests are on, one test binary aisle_<name>_<file> for each
# tests/<name>/<file>_test.cc, registered with CTest as <name>.<file>_test. Modules list the other modules
# they use in DEPS (as aisle_<other>) next to external targets.
set(AISLE_MODULES "" CACHE INTERNAL "")

function(aisle_module name)
  cmake_parse_arguments(ARG "" "" "DEPS;TEST_DEPS" ${ARGN})
  set(target aisle_${name})
  file(GLOB srcs CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/${name}/*.cc)
  if(srcs)
    add_library(${target} STATIC ${srcs})
    target_include_directories(${target} PUBLIC
      $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
      $<INSTALL_INTERFACE:include>
      PRIVATE ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(${target} PUBLIC ${ARG_DEPS} aisle_flags PRIVATE aisle_warnings)
  else()
    add_library(${target} INTERFACE)
    target_include_directories(${target} INTERFACE
      $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
      $<INSTALL_INTERFACE:include>)
    target_link_libraries(${target} INTERFACE ${ARG_DEPS} aisle_flags)
  endif()
  add_library(aisle::${name} ALIAS ${target})
  set(AISLE_MODULES ${AISLE_MODULES} ${target} CACHE INTERNAL "")

  if(AISLE_BUILD_TESTS)
    # One binary per test file, so a half-written test of one concept never
    # stops another from building.
    file(GLOB tests CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/tests/${name}/*_test.cc)
    foreach(test_src ${tests})
      get_filename_component(stem ${test_src} NAME_WE)
      set(test_target aisle_${name}_${stem})
      add_executable(${test_target} ${test_src})
      target_include_directories(${test_target} PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/tests)
      target_link_libraries(${test_target} PRIVATE ${target} ${ARG_TEST_DEPS}
        GTest::gtest GTest::gmock GTest::gtest_main aisle_warnings)
      target_compile_definitions(${test_target} PRIVATE
        AISLE_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
        AISLE_SHARED_DATA_DIR="${PROJECT_SOURCE_DIR}/../shared/data")
      add_test(NAME ${name}.${stem} COMMAND ${test_target})
      set_tests_properties(${name}.${stem} PROPERTIES LABELS ${name} TIMEOUT 600)
    endforeach()
  endif()
endfunction()

# aisle_benchmark(<file.cc> [LIBS ...]): one Google Benchmark binary per file,
# named after the file (benchmarks/retrieval/ann_benchmark.cc -> ann_benchmark).
function(aisle_benchmark file)
  cmake_parse_arguments(ARG "" "" "LIBS" ${ARGN})
  get_filename_component(bname ${file} NAME_WE)
  add_executable(${bname} ${file})
  target_include_directories(${bname} PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/benchmarks)
  target_link_libraries(${bname} PRIVATE ${ARG_LIBS} benchmark::benchmark aisle_warnings)
  target_compile_definitions(${bname} PRIVATE
    AISLE_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    AISLE_SHARED_DATA_DIR="${PROJECT_SOURCE_DIR}/../shared/data")
endfunction()
