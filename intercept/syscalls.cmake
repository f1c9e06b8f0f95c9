# ravel_syscalls: the x86-64 syscall table (names, argument kinds, strace
# classes, errno/signal names) and the strace-style printer. Pure code: it
# reads the traced process only through the RemoteReader interface.
# Included from intercept/CMakeLists.txt, so paths are relative to intercept/.

add_library(ravel_syscalls
  syscall_table.cc
  syscall_printer.cc
  decode_names.cc
  decode_strings.cc
  decode_flags.cc
  decode_constants.cc
  decode_structs.cc
  decode_net.cc
)
target_include_directories(ravel_syscalls PUBLIC
  $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}> $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}/ravel>)
set_target_properties(ravel_syscalls PROPERTIES EXPORT_NAME syscalls)
add_library(ravel::syscalls ALIAS ravel_syscalls)
target_link_libraries(ravel_syscalls
  PUBLIC absl::status absl::statusor absl::strings absl::str_format
  PRIVATE absl::flat_hash_map
)

ravel_unit_test(syscalls_test
  SOURCES syscall_table_test.cc syscall_printer_test.cc
  DEPS ravel_syscalls)
