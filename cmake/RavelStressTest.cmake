# ravel_add_stress_test(NAME TARGET [RUNS N] [STRATEGY S] [JOBS J] [TIMEOUT SECONDS]
#                       [ARGS arg...])
#
# Registers a CTest test NAME that runs `ravel stress` on the executable TARGET (with
# ARGS): RUNS schedules (default 100) with strategy S (default pct), J at a time (default:
# one per CPU). The test fails when a schedule fails; the failing schedule, the guest's
# output and the exact `ravel replay` command are left in <build dir>/NAME-artifacts, and a
# JUnit report in <build dir>/NAME.junit.xml. Under CTest's sharding variables
# (GTEST_SHARD_INDEX/GTEST_TOTAL_SHARDS) the seeds are split across shards.
#
#   find_package(ravel REQUIRED)
#   add_executable(queue_test queue_test.cc)
#   ravel_add_stress_test(queue_test_stress queue_test RUNS 1000)
function(ravel_add_stress_test name target)
  cmake_parse_arguments(ARG "" "RUNS;STRATEGY;JOBS;TIMEOUT" "ARGS" ${ARGN})
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "ravel_add_stress_test(${name}): unknown arguments ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT ARG_RUNS)
    set(ARG_RUNS 100)
  endif()
  if(NOT ARG_STRATEGY)
    set(ARG_STRATEGY pct)
  endif()
  set(options --runs ${ARG_RUNS} --strategy ${ARG_STRATEGY}
      --artifacts ${CMAKE_CURRENT_BINARY_DIR}/${name}-artifacts
      --junit ${CMAKE_CURRENT_BINARY_DIR}/${name}.junit.xml)
  if(ARG_JOBS)
    list(APPEND options --jobs ${ARG_JOBS})
  endif()
  if(ARG_TIMEOUT)
    list(APPEND options --timeout ${ARG_TIMEOUT})
  endif()
  if(TARGET ravel::ravel)
    set(ravel_exe $<TARGET_FILE:ravel::ravel>)
  else()
    message(FATAL_ERROR "ravel_add_stress_test(${name}): no ravel::ravel target (find_package(ravel) first)")
  endif()
  add_test(NAME ${name} COMMAND ${ravel_exe} stress ${options} -- $<TARGET_FILE:${target}> ${ARG_ARGS})
  set_tests_properties(${name} PROPERTIES LABELS ravel-stress)
endfunction()
