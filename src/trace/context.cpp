#include "glassbox/trace/context.hpp"

#include <pthread.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstring>
#include <random>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace glassbox::trace {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

// The value of each byte as a lowercase hex digit, 0xff for any other byte (uppercase is
// invalid in W3C trace context): one load a digit, every request's traceparent goes through it.
constexpr auto kHexValues = [] {
  std::array<std::uint8_t, 256> t{};
  t.fill(0xff);
  for (int i = 0; i < 16; ++i)
    t[static_cast<unsigned char>(kHexDigits[i])] = static_cast<std::uint8_t>(i);
  return t;
}();

#if defined(__SSE2__)
// Sixteen digits into eight bytes at once (a trace id is two such runs, a span id one): each
// digit is checked ('0'-'9' or 'a'-'f', by signed compares: a byte over 0x7f is negative and
// fails both), turned into its value, and the pairs are joined and packed.
bool parse_hex16(const char* hex, std::uint8_t* out) noexcept {
  const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(hex));
  const __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(c, _mm_set1_epi8('0' - 1)),
                                      _mm_cmplt_epi8(c, _mm_set1_epi8('9' + 1)));
  const __m128i letter = _mm_and_si128(_mm_cmpgt_epi8(c, _mm_set1_epi8('a' - 1)),
                                       _mm_cmplt_epi8(c, _mm_set1_epi8('f' + 1)));
  if (_mm_movemask_epi8(_mm_or_si128(digit, letter)) != 0xffff) return false;
  const __m128i base = _mm_or_si128(_mm_and_si128(digit, _mm_set1_epi8('0')),
                                    _mm_and_si128(letter, _mm_set1_epi8('a' - 10)));
  const __m128i values = _mm_sub_epi8(c, base);
  // Little endian: the first digit of a pair is the low byte of its 16-bit lane.
  const __m128i high = _mm_slli_epi16(_mm_and_si128(values, _mm_set1_epi16(0x00ff)), 4);
  const __m128i bytes = _mm_or_si128(high, _mm_srli_epi16(values, 8));
  _mm_storel_epi64(reinterpret_cast<__m128i*>(out), _mm_packus_epi16(bytes, bytes));
  return true;
}
#endif

bool parse_hex(std::string_view hex, std::uint8_t* out, std::size_t n) noexcept {
  if (hex.size() != 2 * n) return false;
  std::size_t i = 0;
#if defined(__SSE2__)
  for (; i + 8 <= n; i += 8)
    if (!parse_hex16(hex.data() + 2 * i, out + i)) return false;
#endif
  unsigned bad = 0;  // checked once at the end: a valid id is the case to make fast
  for (; i < n; ++i) {
    unsigned hi = kHexValues[static_cast<unsigned char>(hex[2 * i])];
    unsigned lo = kHexValues[static_cast<unsigned char>(hex[2 * i + 1])];
    bad |= hi | lo;
    out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return (bad & 0xf0) == 0;
}

// xoshiro256** (Blackman and Vigna), one state per thread, seeded from std::random_device.
// A forked child reseeds: it would otherwise repeat the parent's sequence.
std::atomic<std::uint64_t> fork_generation{0};

void on_fork_child() {
  fork_generation.fetch_add(1, std::memory_order_relaxed);
}

struct Xoshiro {
  std::uint64_t s[4];
  std::uint64_t generation = ~0ull;

  static std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }

  void seed() noexcept {
    static const int registered = pthread_atfork(nullptr, nullptr, on_fork_child);
    (void)registered;
    generation = fork_generation.load(std::memory_order_relaxed);
    std::uint64_t seed_bits[4];
    try {
      std::random_device device;
      for (auto& word : seed_bits) word = (static_cast<std::uint64_t>(device()) << 32) ^ device();
    } catch (...) {
      // No entropy source: fall back to addresses and the clock (still distinct per thread).
      auto t =
          static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
          reinterpret_cast<std::uintptr_t>(this);
      for (auto& word : seed_bits) word = t = t * 6364136223846793005ull + 1442695040888963407ull;
    }
    // splitmix64 spreads the seed so that no state word is zero.
    for (int i = 0; i < 4; ++i) {
      std::uint64_t z = seed_bits[i] + 0x9e3779b97f4a7c15ull * (i + 1);
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
      s[i] = z ^ (z >> 31);
    }
  }

  std::uint64_t next() noexcept {
    if (generation != fork_generation.load(std::memory_order_relaxed)) [[unlikely]]
      seed();
    const std::uint64_t result = rotl(s[1] * 5, 7) * 9;
    const std::uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
  }

  std::uint64_t next_nonzero() noexcept {
    std::uint64_t v;
    do v = next();
    while (v == 0);
    return v;
  }
};

thread_local Xoshiro tls_rng;

bool is_lcalpha(char c) {
  return c >= 'a' && c <= 'z';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// W3C key: simple-key = lcalpha 0*255(lcalpha / DIGIT / "_" / "-"/ "*" / "/")
// multi-tenant-key = tenant-id "@" system-id; tenant-id = (lcalpha / DIGIT) 0*240(...),
// system-id = lcalpha 0*13(...).
bool valid_key_chars(std::string_view s) {
  for (char c : s)
    if (!(is_lcalpha(c) || is_digit(c) || c == '_' || c == '-' || c == '*' || c == '/'))
      return false;
  return true;
}

bool valid_tracestate_key(std::string_view key) {
  if (key.empty()) return false;
  auto at = key.find('@');
  if (at == std::string_view::npos) {
    return key.size() <= 256 && is_lcalpha(key[0]) && valid_key_chars(key.substr(1));
  }
  std::string_view tenant = key.substr(0, at);
  std::string_view system = key.substr(at + 1);
  if (tenant.empty() || tenant.size() > 241 || system.empty() || system.size() > 14) return false;
  if (!(is_lcalpha(tenant[0]) || is_digit(tenant[0]))) return false;
  if (!is_lcalpha(system[0])) return false;
  return valid_key_chars(tenant.substr(1)) && valid_key_chars(system.substr(1));
}

// value = 0*255(chr) nblk-chr; chr = %x20 / nblk-chr; nblk-chr = %x21-2B / %x2D-3C / %x3E-7E
bool valid_tracestate_value(std::string_view value) {
  if (value.empty() || value.size() > 256) return false;
  for (char c : value) {
    if (c < 0x20 || c > 0x7e || c == ',' || c == '=') return false;
  }
  return value.back() != ' ';
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

template <std::size_t N>
std::optional<Id<N>> Id<N>::from_hex(std::string_view hex) noexcept {
  std::array<std::uint8_t, N> bytes;
  if (!parse_hex(hex, bytes.data(), N)) return std::nullopt;
  return Id(bytes);
}

template <std::size_t N>
std::optional<Id<N>> Id<N>::from_bytes(std::string_view raw) noexcept {
  if (raw.size() != N) return std::nullopt;
  std::array<std::uint8_t, N> bytes;
  std::memcpy(bytes.data(), raw.data(), N);
  return Id(bytes);
}

template <std::size_t N>
void Id<N>::to_hex(char* out) const noexcept {
  // Ids are written for every span of every passback.
#if defined(__SSE2__)
  // Eight bytes at a time: their nibbles side by side, each turned into its digit at once.
  static_assert(N % 8 == 0);
  const __m128i low_nibble = _mm_set1_epi8(0x0f), nine = _mm_set1_epi8(9);
  const __m128i zero = _mm_set1_epi8('0'), letters = _mm_set1_epi8('a' - '0' - 10);
  for (std::size_t i = 0; i < N; i += 8) {
    const __m128i bytes = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(bytes_.data() + i));
    const __m128i high = _mm_and_si128(_mm_srli_epi16(bytes, 4), low_nibble);
    const __m128i nibbles = _mm_unpacklo_epi8(high, _mm_and_si128(bytes, low_nibble));
    const __m128i digits = _mm_add_epi8(_mm_add_epi8(nibbles, zero),
                                        _mm_and_si128(_mm_cmpgt_epi8(nibbles, nine), letters));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 2 * i), digits);
  }
#else
  // Two digits per byte from one table.
  static constexpr auto kPairs = [] {
    std::array<char, 512> t{};
    for (int b = 0; b < 256; ++b) {
      t[2 * b] = kHexDigits[b >> 4];
      t[2 * b + 1] = kHexDigits[b & 0xf];
    }
    return t;
  }();
  for (std::size_t i = 0; i < N; ++i) std::memcpy(out + 2 * i, &kPairs[2 * bytes_[i]], 2);
#endif
}

template <std::size_t N>
std::string Id<N>::to_hex() const {
  std::string s(2 * N, '\0');
  to_hex(s.data());
  return s;
}

template class Id<16>;
template class Id<8>;

std::optional<SpanContext> parse_traceparent(std::string_view tp, std::string_view tracestate) {
  // "vv-<32>-<16>-ff": 2 + 1 + 32 + 1 + 16 + 1 + 2 = 55
  if (tp.size() < 55) return std::nullopt;
  std::uint8_t version;
  if (!parse_hex(tp.substr(0, 2), &version, 1) || version == 0xff) return std::nullopt;
  if (version == 0) {
    if (tp.size() != 55) return std::nullopt;
  } else if (tp.size() > 55 && tp[55] != '-') {
    // A future version may append fields after a '-'; anything else is not a traceparent.
    return std::nullopt;
  }
  if (tp[2] != '-' || tp[35] != '-' || tp[52] != '-') return std::nullopt;
  SpanContext context;
  auto trace_id = TraceId::from_hex(tp.substr(3, 32));
  auto span_id = SpanId::from_hex(tp.substr(36, 16));
  std::uint8_t flags;
  if (!trace_id || !span_id || !parse_hex(tp.substr(53, 2), &flags, 1)) return std::nullopt;
  if (!trace_id->is_valid() || !span_id->is_valid()) return std::nullopt;
  context.trace_id = *trace_id;
  context.span_id = *span_id;
  // Version 00 defines only the sampled bit; keep the others for a later version's sake but
  // never propagate them under our "00".
  context.flags = version == 0 ? flags : (flags & kTraceFlagSampled);
  context.remote = true;
  if (!tracestate.empty()) {
    if (auto normalized = validate_tracestate(tracestate))
      context.tracestate = std::move(*normalized);
  }
  return context;
}

std::string format_traceparent(const SpanContext& context) {
  std::string s(55, '-');
  s[0] = '0';
  s[1] = '0';
  context.trace_id.to_hex(s.data() + 3);
  context.span_id.to_hex(s.data() + 36);
  s[53] = kHexDigits[context.flags >> 4];
  s[54] = kHexDigits[context.flags & 0xf];
  return s;
}

std::optional<std::string> validate_tracestate(std::string_view tracestate) {
  if (tracestate.size() > 512) return std::nullopt;
  std::string out;
  out.reserve(tracestate.size());
  std::size_t members = 0;
  std::string_view keys[32];
  while (true) {
    auto comma = tracestate.find(',');
    std::string_view member = trim_ows(tracestate.substr(0, comma));
    if (!member.empty()) {
      auto eq = member.find('=');
      if (eq == std::string_view::npos) return std::nullopt;
      std::string_view key = member.substr(0, eq);
      std::string_view value = member.substr(eq + 1);
      if (!valid_tracestate_key(key) || !valid_tracestate_value(value)) return std::nullopt;
      if (members == 32) return std::nullopt;
      for (std::size_t i = 0; i < members; ++i)
        if (keys[i] == key) return std::nullopt;  // duplicate keys are invalid
      keys[members++] = key;
      if (!out.empty()) out += ',';
      out += member;
    }
    if (comma == std::string_view::npos) break;
    tracestate.remove_prefix(comma + 1);
  }
  return out;
}

TraceId generate_trace_id() noexcept {
  std::array<std::uint8_t, 16> bytes;
  std::uint64_t a = tls_rng.next_nonzero();
  std::uint64_t b = tls_rng.next();
  std::memcpy(bytes.data(), &a, 8);
  std::memcpy(bytes.data() + 8, &b, 8);
  return TraceId(bytes);
}

SpanId generate_span_id() noexcept {
  std::array<std::uint8_t, 8> bytes;
  std::uint64_t a = tls_rng.next_nonzero();
  std::memcpy(bytes.data(), &a, 8);
  return SpanId(bytes);
}

}  // namespace glassbox::trace
