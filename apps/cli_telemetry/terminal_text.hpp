// Text that came from a server, made safe to print on a terminal. Servers choose span names,
// service.name, log messages, tool results, error messages: printed raw, `ESC ] 0 ;` retitles
// the window, `ESC [ 2 J` clears the screen, and `\r\n` forges lines of the waterfall. Every
// printer of the command line passes such text through terminal_safe(); colour comes only from
// glassbox's own codes, added after.
//
// Threads: a pure function.
#pragma once

#include <string>
#include <string_view>

namespace glassbox::cli {

enum class Lines {
  joined,  // one line: '\n' is escaped like any other control (names, services, log messages)
  kept,    // '\n' and '\t' stay (tool result text, resource text); a '\r' before '\n' is dropped
  json,    // serialized JSON (--json-output): every escape is JSON's own `\u00XX`, so it stays JSON
};

// C0 controls, DEL, C1 controls (U+0080-U+009F), the bidirectional overrides and isolates
// (U+202A-U+202E, U+2066-U+2069) and invalid UTF-8 bytes become visible escapes (`\x1b`,
// `\u202e`); everything else is kept as is.
std::string terminal_safe(std::string_view text, Lines lines = Lines::joined);

}  // namespace glassbox::cli
