#include "report.hpp"

#include "process.hpp"

#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>

namespace glassbox::bench {

namespace {

constexpr std::string_view kBegin = "<!-- bench:results:begin -->";
constexpr std::string_view kEnd = "<!-- bench:results:end -->";

std::string trim(std::string text) {
  auto space = [](unsigned char c) { return std::isspace(c); };
  text.erase(text.begin(), std::find_if_not(text.begin(), text.end(), space));
  text.erase(std::find_if_not(text.rbegin(), text.rend(), space).base(), text.end());
  return text;
}

// Display width: every UTF-8 code point counts one column ("µs", "×").
std::size_t columns(const std::string& text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

}  // namespace

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return one + " " + five + " " + fifteen;
}

Machine describe_machine(const std::string& log_dir) {
  Machine machine;
  std::time_t now = std::time(nullptr);
  char date[64];
  std::strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
  machine.date = date;
  machine.cores = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);) {
    if (line.rfind("model name", 0) == 0) {
      machine.cpu_model = trim(line.substr(line.find(':') + 1));
      break;
    }
  }
  utsname names{};
  if (uname(&names) == 0) machine.kernel = std::string(names.sysname) + " " + names.release;
  machine.load_average = load_average();
  std::string node_log = log_dir + "/node-version.log";
  std::remove(node_log.c_str());
  try {
    Process node({.argv = {"node", "--version"}, .log_path = node_log});
    node.wait_for_exit(std::chrono::seconds(10));
    machine.node_version = trim(tail_of_file(node_log, 100));
  } catch (const std::exception&) {
    machine.node_version = "(node not found)";
  }
  return machine;
}

MarkdownTable::MarkdownTable(std::vector<std::string> headers) {
  for (std::string& header : headers) {
    bool right = !header.empty() && header[0] == '>';
    right_aligned_.push_back(right);
    headers_.push_back(right ? header.substr(1) : header);
  }
}

void MarkdownTable::add_row(std::vector<std::string> cells) {
  cells.resize(headers_.size());
  rows_.push_back(std::move(cells));
}

std::string MarkdownTable::str() const {
  std::vector<std::size_t> widths;
  for (const std::string& header : headers_)
    widths.push_back(std::max<std::size_t>(3, columns(header)));
  for (const auto& row : rows_)
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], columns(row[i]));
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out = "|";
    for (std::size_t i = 0; i < cells.size(); ++i) {
      std::string pad(widths[i] - columns(cells[i]), ' ');
      out += " " + (right_aligned_[i] ? pad + cells[i] : cells[i] + pad) + " |";
    }
    return out + "\n";
  };
  std::string out = line(headers_) + "|";
  for (std::size_t i = 0; i < headers_.size(); ++i)
    out += right_aligned_[i] ? " " + std::string(widths[i] - 1, '-') + ": |"
                             : " " + std::string(widths[i], '-') + " |";
  out += "\n";
  for (const auto& row : rows_) out += line(row);
  return out;
}

std::string with_thousands(double value) {
  if (!std::isfinite(value)) return "-";
  std::string digits = std::to_string(static_cast<long long>(std::llround(value)));
  std::string out;
  int count = 0;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    if (count > 0 && count % 3 == 0 && *it != '-') out.insert(out.begin(), ',');
    out.insert(out.begin(), *it);
    ++count;
  }
  return out;
}

std::string fixed(double value, int digits) {
  if (!std::isfinite(value)) return "-";
  std::ostringstream out;
  out.setf(std::ios::fixed);
  out.precision(digits);
  out << value;
  return out.str();
}

std::string times(double ratio) {
  if (!std::isfinite(ratio) || ratio <= 0) return "-";
  return fixed(ratio, ratio < 10 ? 2 : 1) + "×";
}

std::string megabytes(long kilobytes) {
  return kilobytes > 0 ? fixed(static_cast<double>(kilobytes) / 1024.0, 1) : "-";
}

bool replace_results_block(const std::string& path, const std::string& block) {
  std::string text;
  {
    std::ifstream in(path);
    std::stringstream content;
    content << in.rdbuf();
    text = content.str();
  }
  std::string replacement = std::string(kBegin) + "\n" + block + std::string(kEnd);
  std::size_t begin = text.find(kBegin);
  std::size_t end = text.find(kEnd);
  if (begin != std::string::npos && end != std::string::npos && end > begin)
    text.replace(begin, end + kEnd.size() - begin, replacement);
  else
    text += "\n" + replacement + "\n";
  std::ofstream out(path, std::ios::trunc);
  out << text;
  return static_cast<bool>(out);
}

}  // namespace glassbox::bench
