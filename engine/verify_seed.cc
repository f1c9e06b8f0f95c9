#include "engine/verify_seed.h"

#include <Zydis/Zydis.h>
#include <elf.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/run_text.h"
#include "intercept/guest.h"
#include "intercept/spawn.h"

namespace ravel {
namespace {

std::string NameOf(int32_t what) { return WhatName(what); }

VerifyRun AsVerifyRun(const RecordedRun& run) {
  VerifyRun out;
  out.schedule = run.result.schedule;
  out.step_fingerprints = run.step_fingerprints;
  out.warnings = run.warnings;
  return out;
}

}  // namespace

RecordedRun RunRecorded(const ScheduleConfig& spec) {
  RecordedRun out;
  ScheduleConfig run = spec;
  run.record = true;
  run.step_fingerprints = &out.step_fingerprints;
  run.warnings = &out.warnings;
  out.result = RunSchedule(run);
  return out;
}

VerifyVerdict CompareRecorded(const RecordedRun& first, const RecordedRun& second) {
  return CompareRuns(AsVerifyRun(first), AsVerifyRun(second), MachineFacts(first.result.schedule.command));
}

VerifiedRuns VerifySeed(const ScheduleConfig& spec, const std::function<void(const ScheduleResult& first)>& between) {
  VerifiedRuns out;
  RecordedRun first = RunRecorded(spec);
  out.first = first.result;
  if (!first.result.error.ok()) {
    out.error = first.result.error;
    out.exit_code = first.result.exit_code;
    return out;
  }
  if (between) between(first.result);
  ScheduleConfig again = spec;
  again.observer = nullptr;  // --trace watches the first run
  RecordedRun second = RunRecorded(again);
  out.second = second.result;
  if (!second.result.error.ok()) {
    out.error = second.result.error;
    out.exit_code = second.result.exit_code;
    return out;
  }
  out.verdict = CompareRecorded(first, second);
  out.exit_code = out.verdict.same ? out.first.exit_code : kExitNotDeterministic;
  return out;
}

absl::StatusOr<std::vector<uint64_t>> FindRdtscInstructions(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot be read"));
  const std::string file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto bad = [&](const char* why) { return absl::InvalidArgumentError(absl::StrCat(path, ": ", why)); };
  Elf64_Ehdr eh;
  if (file.size() < sizeof(eh)) return bad("not an ELF file");
  memcpy(&eh, file.data(), sizeof(eh));
  if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_X86_64) {
    return bad("not an x86-64 ELF file");
  }
  if (eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shoff > file.size() ||
      uint64_t{eh.e_shnum} * sizeof(Elf64_Shdr) > file.size() - eh.e_shoff) {
    return bad("bad section headers");
  }
  ZydisDecoder decoder;
  ZydisDecoderInit(&decoder, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
  std::vector<uint64_t> sites;
  for (int i = 0; i < eh.e_shnum; ++i) {
    Elf64_Shdr sh;
    memcpy(&sh, file.data() + eh.e_shoff + static_cast<uint64_t>(i) * sizeof(sh), sizeof(sh));
    if (sh.sh_type != SHT_PROGBITS || (sh.sh_flags & SHF_EXECINSTR) == 0) continue;
    if (sh.sh_offset > file.size() || sh.sh_size > file.size() - sh.sh_offset) return bad("a section lies outside the file");
    const auto* code = reinterpret_cast<const uint8_t*>(file.data() + sh.sh_offset);
    for (uint64_t at = 0; at < sh.sh_size;) {
      // Instructions only: no operands needed.
      ZydisDecodedInstruction insn;
      if (!ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(&decoder, nullptr, code + at, sh.sh_size - at, &insn))) {
        ++at;  // linear sweep: skip a byte that does not decode (data in code)
        continue;
      }
      if (insn.mnemonic == ZYDIS_MNEMONIC_RDTSC || insn.mnemonic == ZYDIS_MNEMONIC_RDTSCP) {
        sites.push_back(sh.sh_addr + at);
      }
      at += insn.length;
    }
  }
  std::sort(sites.begin(), sites.end());
  return sites;
}

RunFacts MachineFacts(const std::string& executable) {
  RunFacts facts;
  facts.rdtsc_untrapped = !Guest::HasRdtscInterception();
  if (facts.rdtsc_untrapped) {
    absl::StatusOr<std::vector<uint64_t>> sites = FindRdtscInstructions(executable);
    if (sites.ok()) facts.rdtsc_sites = std::move(*sites);
  }
  return facts;
}

std::string VerifiedLine(const VerifyVerdict& verdict, uint64_t seed) {
  return absl::StrFormat("ravel: verified: 2 runs of seed %d took the same %d steps (fingerprint %016x)", seed,
                         verdict.steps, verdict.fingerprint);
}

std::string NotDeterministicReport(const VerifyVerdict& verdict, uint64_t seed) {
  if (verdict.same || !verdict.difference.has_value()) return "";
  std::string out = absl::StrFormat("ravel: not deterministic: 2 runs of seed %d differ at %s\n", seed,
                                    DescribeDifference(*verdict.difference, verdict, NameOf));
  if (verdict.outcome != verdict.second_outcome) {
    absl::StrAppend(&out, "ravel:   outcomes: first run ", verdict.outcome, ", second run ", verdict.second_outcome,
                    "\n");
  }
  absl::StrAppend(&out, "ravel:   likely cause: ", DescribeCause(verdict.causes.front(), NameOf), "\n");
  for (size_t i = 1; i < verdict.causes.size(); ++i) {
    absl::StrAppend(&out, "ravel:   also possible: ", DescribeCause(verdict.causes[i], NameOf), "\n");
  }
  return out;
}

std::string NotReproducedPhrase(const VerifyVerdict& verdict) {
  if (verdict.same || !verdict.difference.has_value()) return "";
  const std::string how = verdict.second_outcome == "pass"
                              ? "failed once but not on a second run"
                              : verdict.second_outcome == verdict.outcome
                                    ? "failed twice the same way, but the runs took other steps"
                                    : absl::StrCat("failed once, then ", verdict.second_outcome, " on a second run");
  return absl::StrCat(how, ": not deterministic (", DescribeDifference(*verdict.difference, verdict, NameOf),
                      "; likely cause: ", LikelyCause(verdict), ")");
}

std::string LikelyCause(const VerifyVerdict& verdict) {
  return verdict.causes.empty() ? "" : DescribeCause(verdict.causes.front(), NameOf);
}

}  // namespace ravel
