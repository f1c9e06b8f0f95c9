# `cmake --install`: the ravel executable, the libraries a tool author builds on (the
# interception layer, the scheduler, the strategies, the schedule files), their headers
# under include/ravel/, and a CMake package:
#
#   find_package(ravel REQUIRED)
#   target_link_libraries(my_tool PRIVATE ravel::intercept)
#   ravel_add_stress_test(my_test_under_stress my_test RUNS 500)
include(CMakePackageConfigHelpers)

set(RAVEL_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/ravel)
set_target_properties(ravel PROPERTIES EXPORT_NAME ravel)

install(TARGETS ravel ravel_base ravel_syscalls ravel_ptrace ravel_intercept ravel_strategies ravel_scheduler ravel_replay
  EXPORT ravelTargets
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})

# The sync shim `--preempt sync` preloads into guests (cli/preempt.cc finds it here).
install(TARGETS ravel_sync LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}/ravel)
install(FILES ${PROJECT_SOURCE_DIR}/preempt/sync_marker.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/ravel/preempt)

foreach(dir base intercept strategies scheduler replay)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${dir}/
    DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/ravel/${dir}
    FILES_MATCHING PATTERN "*.h"
    PATTERN "tracer_core.h" EXCLUDE          # the tracer's internals
    PATTERN "decode_internal.h" EXCLUDE
    PATTERN "*_test_util.h" EXCLUDE)
endforeach()

install(EXPORT ravelTargets NAMESPACE ravel:: DESTINATION ${RAVEL_INSTALL_CMAKEDIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/ravelConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/ravelConfig.cmake
  INSTALL_DESTINATION ${RAVEL_INSTALL_CMAKEDIR})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/ravelConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES
  ${CMAKE_CURRENT_BINARY_DIR}/ravelConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/ravelConfigVersion.cmake
  ${PROJECT_SOURCE_DIR}/cmake/RavelStressTest.cmake
  DESTINATION ${RAVEL_INSTALL_CMAKEDIR})
