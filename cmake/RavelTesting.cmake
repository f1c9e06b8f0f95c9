# ravel_unit_test(NAME SOURCES a.cc b.cc DEPS lib1 lib2)
# A GoogleTest binary whose cases are registered one by one with CTest, labelled "unit"
# (the set `make test-asan` runs).
function(ravel_unit_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  gtest_discover_tests(${name} PROPERTIES LABELS unit DISCOVERY_TIMEOUT 60)
endfunction()
