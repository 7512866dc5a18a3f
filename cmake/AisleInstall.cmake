# AisleInstall: what `cmake --install <build> --prefix <dir>` puts under <dir>.
#
#   include/aisle/**.h                 the C++ headers (one concept per header)
#   include/aisle.h                    the C ABI (capi/aisle.h)
#   lib/libaisle.a                     every module's objects and the C ABI's, one archive
#   lib/libaisle.so.<major> (+ .so)    the C ABI shared library (target aisle_c), SOVERSION'd
#   lib/cmake/aisle/aisleConfig.cmake  find_package(aisle): aisle::aisle (static, C++ and C ABI)
#     aisleConfigVersion.cmake           and aisle::c (shared, C ABI only)
#     aisleTargets*.cmake
#   lib/pkgconfig/aisle.pc             pkg-config: -laisle (shared), --static for the archive deps
#
# Nothing else is installed: tests, benchmarks and examples have no install
# rules (scripts/test-install.sh checks the installed file list).
#
# In the build tree nothing changes: aisle::aisle stays the INTERFACE target
# over the per-module static libraries aisle_<module>. The combined archive
# aisle_static is what the installed aisle::aisle names; it is archived from
# the modules' object files (nothing is compiled twice).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(AISLE_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/aisle)

# --- The combined static library -------------------------------------------
# Objects of every module with sources, plus the C ABI's, so that a C program
# can link the archive instead of libaisle.so. Its link interface is every
# external dependency the modules name (absl, xxHash, hnswlib, Eigen,
# nlohmann-json, Threads); aisle's own module targets and its build-only
# flag targets are left out.
set(_aisle_objects "")
set(_aisle_deps "")
foreach(_m IN LISTS AISLE_MODULES)
  get_target_property(_type ${_m} TYPE)
  if(_type STREQUAL "STATIC_LIBRARY")
    list(APPEND _aisle_objects $<TARGET_OBJECTS:${_m}>)
  endif()
  get_target_property(_libs ${_m} INTERFACE_LINK_LIBRARIES)
  foreach(_l IN LISTS _libs)
    if(_l MATCHES "^\\$<LINK_ONLY:" OR _l MATCHES "^aisle_" OR _l MATCHES "^aisle::")
      continue()
    endif()
    list(APPEND _aisle_deps ${_l})
  endforeach()
endforeach()
if(TARGET aisle_c)
  list(APPEND _aisle_objects $<TARGET_OBJECTS:aisle_c>)
endif()
list(REMOVE_DUPLICATES _aisle_deps)

# aisleConfig.cmake.in finds exactly these packages; a module that starts
# using anything else must add it there (and to aisle.pc.in) first.
foreach(_d IN LISTS _aisle_deps)
  if(NOT _d MATCHES "^(absl::|Eigen3::Eigen$|nlohmann_json::nlohmann_json$|Threads::Threads$|xxHash::xxhash$|hnswlib::hnswlib$)")
    message(FATAL_ERROR "aisle install: a module links '${_d}', which cmake/aisleConfig.cmake.in "
                        "does not find for consumers; add a find_dependency for it there "
                        "(and to cmake/aisle.pc.in).")
  endif()
endforeach()

add_library(aisle_static STATIC ${_aisle_objects})
set_target_properties(aisle_static PROPERTIES
  OUTPUT_NAME aisle
  EXPORT_NAME aisle
  LINKER_LANGUAGE CXX
  ARCHIVE_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/lib)
target_compile_features(aisle_static INTERFACE cxx_std_20)
target_include_directories(aisle_static INTERFACE
  $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
  $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/capi>
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
target_link_libraries(aisle_static INTERFACE ${_aisle_deps})
if(AISLE_SANITIZE)
  # Objects built with -fsanitize need the sanitizer runtimes at the final link.
  target_link_options(aisle_static INTERFACE -fsanitize=address,undefined)
endif()
# The objects come from these targets: build them first.
add_dependencies(aisle_static ${AISLE_MODULES})
if(TARGET aisle_c)
  add_dependencies(aisle_static aisle_c)
endif()

# --- Headers and libraries ---------------------------------------------------
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/aisle
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.h")
install(TARGETS aisle_static EXPORT aisleTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
if(TARGET aisle_c)
  install(FILES ${PROJECT_SOURCE_DIR}/capi/aisle.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  set_target_properties(aisle_c PROPERTIES EXPORT_NAME c)
  install(TARGETS aisle_c EXPORT aisleTargets
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

# --- CMake package -------------------------------------------------------------
install(EXPORT aisleTargets NAMESPACE aisle:: DESTINATION ${AISLE_INSTALL_CMAKEDIR}
  FILE aisleTargets.cmake)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/aisleConfig.cmake.in
  ${PROJECT_BINARY_DIR}/aisleConfig.cmake
  INSTALL_DESTINATION ${AISLE_INSTALL_CMAKEDIR})
# 0.x releases may change the C++ API between minor versions; from 1.0 on a
# major version is the compatibility promise (as the shared library's SOVERSION).
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(_aisle_compat SameMinorVersion)
else()
  set(_aisle_compat SameMajorVersion)
endif()
write_basic_package_version_file(${PROJECT_BINARY_DIR}/aisleConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY ${_aisle_compat})
install(FILES ${PROJECT_BINARY_DIR}/aisleConfig.cmake ${PROJECT_BINARY_DIR}/aisleConfigVersion.cmake
  DESTINATION ${AISLE_INSTALL_CMAKEDIR})

# --- pkg-config ------------------------------------------------------------------
# prefix is computed from the .pc file's own location, so the installed tree
# is relocatable (and `cmake --install --prefix <dir>` gets a correct file).
file(RELATIVE_PATH AISLE_PC_PREFIX_FROM_PCDIR
  /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
string(REGEX REPLACE "/$" "" AISLE_PC_PREFIX_FROM_PCDIR "${AISLE_PC_PREFIX_FROM_PCDIR}")
set(_aisle_pc_requires "")
foreach(_d IN LISTS _aisle_deps)
  if(_d MATCHES "^absl::(.+)$")
    list(APPEND _aisle_pc_requires absl_${CMAKE_MATCH_1})
  elseif(_d STREQUAL "xxHash::xxhash")
    list(APPEND _aisle_pc_requires libxxhash)
  endif()
  # Eigen, nlohmann-json and hnswlib are header-only and used by aisle's
  # sources only (no installed header includes them): nothing to link.
endforeach()
list(REMOVE_DUPLICATES _aisle_pc_requires)
list(SORT _aisle_pc_requires)
string(REPLACE ";" " " AISLE_PC_REQUIRES_PRIVATE "${_aisle_pc_requires}")
configure_file(${PROJECT_SOURCE_DIR}/cmake/aisle.pc.in ${PROJECT_BINARY_DIR}/aisle.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/aisle.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
