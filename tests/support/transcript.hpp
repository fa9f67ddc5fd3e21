// Golden JSON-RPC transcripts on disk (tests/golden/): comment lines first, then steps, each a
// '> ' line (what a client sends) followed by its '< ' lines (what the server answers). The
// server's golden test checks the '< ' lines, the client's the '> ' ones; both rewrite the file
// when regenerating (GLASSBOX_UPDATE_GOLDEN=1).
#pragma once

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace glassbox::testing {

struct TranscriptStep {
  std::string send;                   // one raw line, possibly malformed on purpose
  std::vector<std::string> expected;  // the lines the server answers with, in order
};

struct Transcript {
  std::vector<std::string> header;  // comment lines, kept when regenerating
  std::vector<TranscriptStep> steps;
};

inline Transcript read_transcript(const std::filesystem::path& path) {
  Transcript t;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("> ", 0) == 0) {
      t.steps.push_back({line.substr(2), {}});
    } else if (line.rfind("< ", 0) == 0 && !t.steps.empty()) {
      t.steps.back().expected.push_back(line.substr(2));
    } else if (t.steps.empty()) {
      t.header.push_back(line);
    }
  }
  return t;
}

inline void write_transcript(const std::filesystem::path& path, const Transcript& t) {
  std::ofstream out(path);
  for (const auto& h : t.header) out << h << "\n";
  for (const auto& s : t.steps) {
    out << "> " << s.send << "\n";
    for (const auto& e : s.expected) out << "< " << e << "\n";
  }
}

}  // namespace glassbox::testing
