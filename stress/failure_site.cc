#include "stress/failure_site.h"

#include <fstream>
#include <regex>

namespace ravel {
namespace {

// How much of the end of each output file is searched.
constexpr size_t kTailBytes = 16384;

// The last `bytes` of a file.
std::string Tail(const std::string& path, size_t bytes) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return "";
  const std::streamoff size = in.tellg();
  const std::streamoff from = size > static_cast<std::streamoff>(bytes) ? size - static_cast<std::streamoff>(bytes) : 0;
  in.seekg(from);
  std::string text(static_cast<size_t>(size - from), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  return text;
}

}  // namespace

std::string FailureSiteIn(const std::string& text) {
  static const std::regex kGtest(R"(([\w./+-]+:\d+): Failure)");
  static const std::regex kAssert(R"(: ([\w./+-]+:\d+): [^\n]*Assertion)");
  std::smatch m;
  if (!std::regex_search(text, m, kGtest) && !std::regex_search(text, m, kAssert)) return "";
  std::string site = m[1];
  if (size_t slash = site.rfind('/'); slash != std::string::npos) site = site.substr(slash + 1);
  return site;
}

std::string FailureSite(const std::string& out_path, const std::string& err_path) {
  for (const std::string& path : {err_path, out_path}) {
    if (std::string site = FailureSiteIn(Tail(path, kTailBytes)); !site.empty()) return site;
  }
  return "";
}

}  // namespace ravel
