#include "replay/signature.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace ravel {

void SignatureTracker::OnStep(ThreadId thread, int64_t what) {
  std::deque<int64_t>& mine = recent_[thread];
  mine.push_back(what);
  if (mine.size() > kSignatureSteps) mine.pop_front();
  last_thread_ = thread;
}

std::string SignatureTracker::Signature(const std::string& outcome, int threads, WhatNamer name) const {
  std::vector<std::string> parts;
  if (outcome == "deadlock") {
    for (const auto& [thread, whats] : recent_) parts.push_back(name(static_cast<int32_t>(whats.back())));
    std::sort(parts.begin(), parts.end());
  } else if (auto it = recent_.find(last_thread_); it != recent_.end()) {
    for (int64_t what : it->second) parts.push_back(name(static_cast<int32_t>(what)));
  }
  if (threads <= 1) return absl::StrCat(outcome, " in a single-threaded run");
  return absl::StrCat(outcome, " after ", parts.empty() ? "nothing" : absl::StrJoin(parts, " > "));
}

}  // namespace ravel
