// Printing the load comparison: Markdown tables that read well in a terminal too, number
// formats, the machine the run was made on, and the results block of docs/benchmarks.md.
#pragma once

#include <string>
#include <vector>

namespace glassbox::bench {

struct Machine {
  std::string date;  // UTC
  int cores = 0;     // nproc
  std::string cpu_model;
  std::string kernel;
  std::string load_average;  // /proc/loadavg, first three fields
  std::string node_version;
};

Machine describe_machine(const std::string& log_dir);
std::string load_average();

// A Markdown table whose columns are padded to one width, so it lines up on a terminal.
class MarkdownTable {
 public:
  // A header starting with '>' is a right-aligned (numeric) column; the '>' is not printed.
  explicit MarkdownTable(std::vector<std::string> headers);
  void add_row(std::vector<std::string> cells);
  std::string str() const;

 private:
  std::vector<std::string> headers_;
  std::vector<bool> right_aligned_;
  std::vector<std::vector<std::string>> rows_;
};

std::string with_thousands(double value);     // 165432 -> "165,432"
std::string fixed(double value, int digits);  // fixed(3.14159, 1) -> "3.1"
std::string times(double ratio);              // 5.234 -> "5.2×"
std::string megabytes(long kilobytes);        // 4710 -> "4.6"

// Replaces what lies between the markers `<!-- bench:results:begin -->` and
// `<!-- bench:results:end -->` of the Markdown file at `path` with `block`; appends the markers
// and block when the file has none. Returns false when the file cannot be written.
bool replace_results_block(const std::string& path, const std::string& block);

}  // namespace glassbox::bench
