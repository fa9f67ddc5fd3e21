// Bad-input catalogue (docs/bad-input.md), command-line rows: bin/glassbox against a hostile
// stdio server (tests/hardening/hostile_stdio_server.cpp, a real child process), and the one
// function every printer passes a server's text through.
#include "terminal_text.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

extern char** environ;

namespace glassbox::hardening {
namespace {

struct CliRun {
  int code = -1;
  std::string out, err;
  double seconds = 0;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs bin/glassbox with `args`, stdout and stderr to temporary files (no terminal: no colour).
CliRun glassbox(std::vector<std::string> args) {
  args.insert(args.begin(), GLASSBOX_BIN);
  char out_path[] = "/tmp/glassbox-cli-out-XXXXXX";
  char err_path[] = "/tmp/glassbox-cli-err-XXXXXX";
  int out_fd = ::mkstemp(out_path);
  int err_fd = ::mkstemp(err_path);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_fd, 1);
  posix_spawn_file_actions_adddup2(&actions, err_fd, 2);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  auto start = std::chrono::steady_clock::now();
  pid_t pid = 0;
  CliRun run;
  if (::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ) == 0) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    run.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  posix_spawn_file_actions_destroy(&actions);
  ::close(out_fd);
  ::close(err_fd);
  run.out = slurp(out_path);
  run.err = slurp(err_path);
  ::unlink(out_path);
  ::unlink(err_path);
  return run;
}

CliRun call_hostile(const std::string& mode, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"call", "work"};
  args.insert(args.end(), extra.begin(), extra.end());
  for (const char* a : {"--", HOSTILE_SERVER_BIN}) args.emplace_back(a);
  args.push_back(mode);
  return glassbox(args);
}

}  // namespace

TEST(Cli, B99_MalformedResultsExit3AtOnceNamingTheProblem) {
  struct Case {
    const char* mode;
    const char* says;
  };
  for (const Case& c :
       {Case{"null-result", "invalid response: the result of tools/call is null, not an object"},
        Case{"string-content",
             "invalid response: the result of tools/call has content that is a string, not an "
             "array"},
        Case{"both",
             "invalid response: a message needs a method, or exactly one of result and "
             "error"}}) {
    SCOPED_TRACE(c.mode);
    CliRun run = call_hostile(c.mode);
    EXPECT_EQ(run.code, 3) << run.err;
    EXPECT_NE(run.err.find(c.says), std::string::npos) << run.err;
    EXPECT_TRUE(run.out.empty()) << run.out;
    EXPECT_LT(run.seconds, 20.0);  // not the 60 s timeout
    std::printf("[ measure ] %s: exit %d in %.2f s\n", c.mode, run.code, run.seconds);
  }
}

TEST(Cli, B100_ANumberOutOfRangeIsAUsageErrorNotInfinity) {
  for (const char* arg : {"a=1e400", "a=-1e400"}) {
    CliRun run = glassbox({"call", "add", arg, "b=1", "--", HOSTILE_SERVER_BIN, "null-result"});
    EXPECT_EQ(run.code, 2) << run.err;
    EXPECT_NE(run.err.find(std::string("'") + arg + "': the number is out of range"),
              std::string::npos)
        << run.err;
  }
  CliRun json = glassbox(
      {"call", "add", "--json", R"({"a":[1,1e400]})", "--", HOSTILE_SERVER_BIN, "null-result"});
  EXPECT_EQ(json.code, 2) << json.err;
  EXPECT_NE(json.err.find("--json: the number at a[1] is out of range"), std::string::npos)
      << json.err;
}

TEST(Cli, B101_NothingAServerSaysReachesTheTerminalRaw) {
  CliRun run = call_hostile("terminal");
  EXPECT_EQ(run.code, 0) << run.err;
  for (const std::string* printed : {&run.out, &run.err}) {
    EXPECT_EQ(printed->find('\x1b'), std::string::npos) << *printed;  // no escape at all
    EXPECT_EQ(printed->find('\r'), std::string::npos) << *printed;
    EXPECT_EQ(printed->find("\xc2\x9b"), std::string::npos) << *printed;      // C1 CSI
    EXPECT_EQ(printed->find("\xe2\x80\xae"), std::string::npos) << *printed;  // RLO
  }
  // The waterfall and the log on stderr are one line per item: no line was forged.
  EXPECT_EQ(run.err.find("\n  forged-span"), std::string::npos) << run.err;
  // Shown, escaped: the result text (whose line breaks are its own, kept), the log line, and in
  // the waterfall the span name.
  EXPECT_NE(run.out.find("result \\x1b]0;pwned\\x07\\x1b[2J\\u009b31m\\u202e\n  forged-span"),
            std::string::npos)
      << run.out;
  EXPECT_NE(run.err.find(R"([server error] log\x1b]0;pwned)"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find(R"(tools/call \x1b]0;pwned)"), std::string::npos) << run.err;
  // Every line of the waterfall is one of ours: the trace line, two spans, the summary.
  std::printf("[ measure ] stderr of the hostile call:\n%s", run.err.c_str());
}

TEST(Cli, B102_TerminalSafeEscapesControlsAndKeepsText) {
  using cli::Lines;
  using cli::terminal_safe;
  EXPECT_EQ(terminal_safe("plain ünïcödé █ text"), "plain ünïcödé █ text");
  EXPECT_EQ(terminal_safe("\x1b]0;t\x07"), R"(\x1b]0;t\x07)");
  EXPECT_EQ(terminal_safe("a\r\nb\tc\x7f"), R"(a\x0d\x0ab\x09c\x7f)");
  EXPECT_EQ(terminal_safe("a\r\nb\tc", Lines::kept), "a\nb\tc");
  EXPECT_EQ(terminal_safe("x\ry", Lines::kept), R"(x\x0dy)");
  EXPECT_EQ(terminal_safe("\xc2\x9b\xe2\x80\xae\xe2\x81\xa6"), R"(\u009b\u202e\u2066)");
  EXPECT_EQ(terminal_safe("bad \xff\xc3\x28 \xed\xa0\x80"), R"(bad \xff\xc3( \xed\xa0\x80)");
  EXPECT_EQ(terminal_safe(R"({"a":"\u001b"})"
                          "\xc2\x9b",
                          Lines::json),
            R"({"a":"\u001b"})"
            R"(\u009b)");
  EXPECT_EQ(terminal_safe("\x7f", Lines::json), R"(\u007f)");
}

}  // namespace glassbox::hardening
