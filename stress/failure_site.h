// Where a failing guest says it failed: the source location in the forms test frameworks
// and assert() print, GoogleTest's "file.cc:74: Failure" and assert's "prog: file.c:12:
// fn: Assertion `x' failed.". It names a bug better than the last syscalls do, so stress
// buckets failures by it when there is one ("fail(exit 1) at file.cc:74").
#ifndef RAVEL_STRESS_FAILURE_SITE_H_
#define RAVEL_STRESS_FAILURE_SITE_H_

#include <string>

namespace ravel {

// "file.cc:74" (the basename and line) from the guest's output `text`; "" when it names none.
std::string FailureSiteIn(const std::string& text);

// FailureSiteIn of the last 16 KiB of the guest's stderr, else of its stdout.
std::string FailureSite(const std::string& out_path, const std::string& err_path);

}  // namespace ravel

#endif  // RAVEL_STRESS_FAILURE_SITE_H_
