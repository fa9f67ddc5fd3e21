// stdio transports: leader/follower reader threads per transport and a mutex-guarded writer.
// See include/glassbox/transport/stdio.hpp for the contract.
#include "glassbox/transport/stdio.hpp"

#include "glassbox/jsonrpc/envelope.hpp"
#include "jsonrpc/serialize_append.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>

extern char** environ;

namespace glassbox::transport {
namespace {

void ignore_sigpipe_once() {
  static std::once_flag once;
  std::call_once(once, [] { ::signal(SIGPIPE, SIG_IGN); });
}

// A line to write: a passback answer's text (2 kB and more) between the bytes around it, so that
// it is copied once, where the line goes, and not into the line first. `text` and `tail` are empty
// for any other line.
struct LinePieces {
  std::string_view head, text, tail;
};

bool write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// The pieces in order, by writev (the pipe takes them as one write of their sum).
bool write_all(int fd, const LinePieces& line) {
  if (line.text.empty() && line.tail.empty()) return write_all(fd, line.head);
  iovec parts[3];
  int count = 0;
  for (std::string_view piece : {line.head, line.text, line.tail}) {
    if (!piece.empty()) parts[count++] = {const_cast<char*>(piece.data()), piece.size()};
  }
  iovec* next = parts;
  while (count > 0) {
    ssize_t n = ::writev(fd, next, count);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    // Past the pieces written whole, into the one written in part.
    auto written = static_cast<std::size_t>(n);
    while (count > 0 && written >= next->iov_len) {
      written -= next->iov_len;
      ++next;
      --count;
    }
    if (count > 0) {
      next->iov_base = static_cast<char*>(next->iov_base) + written;
      next->iov_len -= written;
    }
  }
  return true;
}

// Reading follows a leader/follower scheme. One thread at a time, the leader, polls, reads and
// parses, then delivers each message by calling on_message itself: a quick handler costs no
// thread hand-off at all, which is most of the price of a small call. A watchdog notices a
// delivery that runs past handoff_after (or a callback calls will_block()) and promotes another
// thread to leader, so input keeps flowing behind a slow handler; the old leader retires when its
// callback returns and parks for the next promotion.
class FdTransport : public Transport, public std::enable_shared_from_this<FdTransport> {
 public:
  FdTransport(int read_fd, int write_fd, std::size_t max_message_bytes, bool owns_fds,
              bool ordered = false, std::chrono::microseconds handoff_after = kDefaultHandoffAfter)
      : handoff_after_(handoff_after),
        // A descriptor of our own to read: a read() still waiting after close() then holds only
        // it, never a number the owner closes and reuses once on_close has run.
        read_fd_(owns_fds ? read_fd : ::fcntl(read_fd, F_DUPFD_CLOEXEC, 0)),
        write_fd_(write_fd),
        owns_fds_(owns_fds),
        ordered_(ordered),
        reader_(
            {.max_message_bytes = max_message_bytes, .max_telemetry_bytes = max_message_bytes}) {
    ignore_sigpipe_once();
    if (read_fd_ < 0) throw std::system_error(errno, std::generic_category(), "dup");
    if (::pipe2(wake_, O_CLOEXEC) != 0) {
      int error = errno;
      if (!owns_fds_) ::close(read_fd_);
      throw std::system_error(error, std::generic_category(), "pipe2");
    }
  }

  // Runs in the last owner: every thread of the transport holds it, so none is left by now.
  ~FdTransport() override {
    close();
    ::close(wake_[0]);
    ::close(wake_[1]);
    ::close(read_fd_);  // ours: owned, or our duplicate
    if (owns_fds_) close_write_end();
  }

  void start(Callbacks callbacks) override {
    callbacks_ = std::move(callbacks);
    std::lock_guard lock(lead_mutex_);
    leader_wanted_ = true;
    spawn_reader_locked();
    if (!ordered_) std::thread([self = shared_from_this()] { self->watch(); }).detach();
  }

  bool send(const jsonrpc::Message& message, const SendOptions&) override {
    // Each thread serializes into a buffer it keeps: no allocation per line (a passback answer
    // is 2 kB and more).
    thread_local std::string t_line;
    std::string& line = t_line;
    line.clear();
    const std::size_t raw_at = jsonrpc::serialize_append_without_raw(line, message);
    line.push_back('\n');
    LinePieces pieces{.head = line};
    if (raw_at != SIZE_MAX) {
      pieces = {.head = pieces.head.substr(0, raw_at),
                .text = std::get<jsonrpc::Response>(message).raw->json,
                .tail = pieces.head.substr(raw_at)};
    }
    bool sent = send_line(pieces);
    if (line.capacity() > kMaxBatchedBytes) std::string().swap(line);
    return sent;
  }

  void close() override {
    if (closed_.exchange(true)) return;
    on_close_requested();
    char byte = 1;
    [[maybe_unused]] ssize_t n = ::write(wake_[1], &byte, 1);
    // A leader in standby reads again, to see the end.
    std::lock_guard lock(lead_mutex_);
    resume_now_ = true;
    standby_cv_.notify_all();
    // A leader blocked in read() cannot be woken (no poll: see read_some): the end is announced
    // on a thread of its own (not the closer's, which may hold locks on_close takes). The reader
    // leaves at its next chunk of input or end of input, and drops it.
    if (blocked_in_read_ && !ended_) {
      std::thread([self = shared_from_this()] {
        std::unique_lock lock(self->lead_mutex_);
        self->finish(lock);
      }).detach();
    }
  }

  bool callbacks_may_block() const noexcept override { return !ordered_; }
  bool carries_headers() const noexcept override { return false; }

  void will_block() noexcept override {
    if (ordered_) return;
    std::lock_guard lock(lead_mutex_);
    if (delivering_ && leader_thread_ == std::this_thread::get_id()) promote_locked();
  }

  // The caller leads in the leader's place while the leader is in standby (see lead()); a lone
  // caller that finds the leader reading asks it to stand by after its answer, for the next call.
  bool read_on_caller(const CallerRead& read) override {
    if (ordered_) return false;
    std::unique_lock lock(lead_mutex_);
    if (ended_) return false;
    bool alone = read.alone();
    // A leader promoted past stays flagged until it wakes: its epoch says whether it still leads.
    const bool standby = standby_ && standby_epoch_ == leader_epoch_;
    if (!standby || caller_leading_ || !alone) {
      if (standby && !caller_leading_) resume_locked();  // another caller waits: read now
      if (!standby) {
        if (alone) caller_wait_ = read;
        // A second caller waits on the leader: when the lone caller's answer comes, that
        // caller may already have left, so alone() alone would wrongly let the leader stand by.
        caller_behind_ = !alone;
      }
      return false;
    }
    const std::uint64_t epoch = leader_epoch_;
    caller_leading_ = true;
    caller_led_ = true;
    lead_for_caller(lock, epoch, read);
    caller_leading_ = false;
    // Reading goes back to the leader at once unless this was the only caller and its answer
    // was all there was; else the leader waits a tick for the next call's caller.
    if (epoch == leader_epoch_ && !ended_ && (!read.done() || !queue_.empty() || !read.alone()))
      resume_locked();
    return true;
  }

 protected:
  // The process transport ends its child here; the write end closes first so the child sees EOF.
  virtual void on_close_requested() {}

  void close_write_end() {
    std::lock_guard lock(write_mutex_);
    flush_locked();
    if (owns_fds_ && write_fd_ >= 0) {
      ::close(write_fd_);
      write_fd_ = -1;
    }
  }

 private:
  static constexpr std::chrono::microseconds kDefaultHandoffAfter = StdioOptions{}.handoff_after;
  const std::chrono::microseconds handoff_after_;  // StdioOptions::handoff_after
  // Parked readers kept for reuse; more than this many slow handlers at once cost a new thread.
  static constexpr std::size_t kMaxParkedReaders = 8;

  // A batch also goes out once it holds this much; its buffer is kept for the next batch (a
  // larger one, grown by a long line, is let go). Small, so that each leader's malloc arena
  // stays small (peak RSS).
  static constexpr std::size_t kMaxBatchedBytes = 16 * 1024;
  // Lines sent while a batch is delivered (its answers, and the requests a client's completions
  // start) leave in groups of this many: the peer starts on them while the rest of the batch
  // runs, instead of idling until its end (at 16 in flight, answers held to the batch's end made
  // two busy processes take turns: see docs/benchmarks.md, "Answers in groups").
  static constexpr int kLinesPerWrite = 4;

  // Starts holding the answers `thread` sends (a batch), or with an empty id flushes them.
  void batch_answers(std::thread::id thread) {
    std::lock_guard lock(write_mutex_);
    if (thread == std::thread::id()) flush_locked();
    batch_thread_ = thread;
  }

  bool send_line(const LinePieces& line) {
    std::lock_guard lock(write_mutex_);
    if (closed_.load() || write_fd_ < 0) return false;
    // The leader answering one of several messages that arrived together: its lines go out a
    // few to a write (kLinesPerWrite) and the rest when the batch is done, not one system call
    // each.
    if (batch_thread_ == std::this_thread::get_id()) {
      batched_.append(line.head).append(line.text).append(line.tail);
      if (++batched_lines_ >= kLinesPerWrite) return flush_locked();
      return batched_.size() < kMaxBatchedBytes || flush_locked();
    }
    return flush_locked() && write_locked(line);
  }

  bool flush_locked() {
    batched_lines_ = 0;
    if (batched_.empty()) return true;
    bool written = write_locked({.head = batched_});
    if (batched_.capacity() > 2 * kMaxBatchedBytes) {
      batched_ = {};
    } else {
      batched_.clear();
    }
    return written;
  }

  bool write_locked(const LinePieces& bytes) {
    if (write_fd_ < 0) return false;
    if (!write_all(write_fd_, bytes)) {
      broken_ = true;
      return false;
    }
    return true;
  }

  void spawn_reader_locked() {
    std::thread([self = shared_from_this()] { self->reader(); }).detach();
  }

  // A reader thread: waits to be promoted, leads until it retires, parks again.
  void reader() {
    std::unique_lock lock(lead_mutex_);
    for (;;) {
      ++parked_;
      lead_cv_.wait(lock, [&] { return leader_wanted_ || ended_; });
      --parked_;
      if (!leader_wanted_) break;  // ended
      leader_wanted_ = false;
      lead(lock, ++leader_epoch_);
      if (ended_ || parked_ >= kMaxParkedReaders) break;
    }
  }

  // Called with the lock held; returns with it held, when this thread retired or input ended.
  // When a lone caller's answer has come, the leader stands by instead of reading on: the
  // caller's next call reads its own answer (read_on_caller), which saves two thread switches.
  void lead(std::unique_lock<std::mutex>& lock, std::uint64_t epoch) {
    for (;;) {
      if (!deliver_queued(lock, epoch, nullptr)) return;  // promoted past
      if (input_ended_) {
        finish(lock);
        return;
      }
      if (caller_wait_ && caller_wait_->done()) {
        bool alone = caller_wait_->alone();
        caller_wait_.reset();
        if (alone && !caller_behind_ && !stand_by(lock, epoch)) return;
        continue;
      }
      read_into_queue(lock, -1);
      if (ended_) return;  // closed while the read waited (close() announced the end)
    }
  }

  // The caller's turn as leader (lock held): until its answer, its deadline, end of input or a
  // promotion past `epoch`.
  void lead_for_caller(std::unique_lock<std::mutex>& lock, std::uint64_t epoch,
                       const CallerRead& read) {
    for (;;) {
      if (!deliver_queued(lock, epoch, &read) || read.done()) return;
      if (input_ended_) {
        finish(lock);
        return;
      }
      auto left = std::chrono::ceil<std::chrono::milliseconds>(read.deadline -
                                                               std::chrono::steady_clock::now());
      if (left.count() <= 0) return;
      read_into_queue(lock, static_cast<int>(std::min<std::int64_t>(left.count(), 1 << 30)));
    }
  }

  // Delivers what is queued, stopping early once `until` is done; false when promoted past. A
  // caller leading in the leader's place passes its wait as `until`.
  bool deliver_queued(std::unique_lock<std::mutex>& lock, std::uint64_t epoch,
                      const CallerRead* until) {
    bool batching = false;  // a lone message (a sequential call's) takes no write lock here
    while (!queue_.empty() && !(until && until->done())) {
      jsonrpc::Message message = std::move(queue_.front());
      queue_.pop_front();
      delivering_ = true;
      leader_thread_ = std::this_thread::get_id();
      if (!queue_.empty()) {
        batch_answers(leader_thread_);
        batching = true;
      }
      if (until != nullptr) {
        ++caller_deliveries_;  // watched by the leader in standby (stand_by), not the watchdog
      } else {
        ++deliveries_;
        if (watchdog_asleep_) watch_cv_.notify_one();
      }
      lock.unlock();
      if (callbacks_.on_message) callbacks_.on_message(std::move(message), MessageContext{});
      lock.lock();
      if (epoch != leader_epoch_) return false;  // another thread leads now
      delivering_ = false;
    }
    if (batching) batch_answers({});
    return true;
  }

  // Reads one chunk without the lock; false when the wait timed out with nothing read. A wait
  // without a timeout blocks in read() itself, as `cat` does: no poll() per message.
  bool read_into_queue(std::unique_lock<std::mutex>& lock, int timeout_ms) {
    const bool blocking = timeout_ms < 0;
    blocked_in_read_ = blocking;
    lock.unlock();
    read_batch_.clear();  // the leader's alone, like reader_: kept to save an allocation a read
    Read r = read_some(read_batch_, timeout_ms);
    lock.lock();
    blocked_in_read_ = false;
    if (ended_) return true;  // closed meanwhile: what was read is dropped
    for (auto& m : read_batch_) queue_.push_back(std::move(m));
    read_batch_.clear();
    if (r == Read::kEnded) input_ended_ = true;
    return r != Read::kTimedOut;
  }

  // The leader lends its turn to callers: it wakes each tick, and leads again when asked, or when
  // no caller read during a whole tick. False when promoted past or at the end.
  bool stand_by(std::unique_lock<std::mutex>& lock, std::uint64_t epoch) {
    standby_ = true;
    standby_epoch_ = epoch;
    caller_led_ = false;
    std::uint64_t seen = caller_deliveries_;
    for (;;) {
      standby_cv_.wait_for(lock, handoff_after_,
                           [&] { return ended_ || resume_now_ || epoch != leader_epoch_; });
      if (ended_ || epoch != leader_epoch_) break;
      if (caller_leading_) {
        // The watchdog's part for the caller's deliveries, on the tick this thread wakes for
        // anyway: one that outlasts a whole tick has another thread lead (this one, parked).
        if (delivering_ && caller_deliveries_ == seen) promote_locked();
        seen = caller_deliveries_;
        resume_now_ = false;
        continue;
      }
      seen = caller_deliveries_;
      if (resume_now_ || !caller_led_) break;
      caller_led_ = false;
    }
    standby_ = false;
    resume_now_ = false;
    return !ended_ && epoch == leader_epoch_;
  }

  void resume_locked() {
    resume_now_ = true;
    standby_cv_.notify_one();
  }

  enum class Read { kSome, kEnded, kTimedOut };

  // Reads one chunk into `batch` (parse errors are answered here); kEnded at end of input. With
  // a timeout it polls first (the wake pipe ends the wait on close()); without one (timeout_ms
  // < 0) it blocks in read() alone, the one system call `cat` pays to wait.
  Read read_some(std::vector<jsonrpc::Message>& batch, int timeout_ms) {
    char buffer[64 * 1024];
    for (;;) {
      if (closed_.load()) return Read::kEnded;
      if (timeout_ms >= 0) {
        pollfd fds[2] = {{read_fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
        int ready = ::poll(fds, 2, timeout_ms);
        if (ready < 0) {
          if (errno == EINTR) continue;
          return Read::kEnded;
        }
        if (ready == 0) return Read::kTimedOut;
        if (fds[1].revents != 0) return Read::kEnded;
        if (fds[0].revents == 0) continue;
      }
      ssize_t n = ::read(read_fd_, buffer, sizeof buffer);
      if (n < 0 && errno == EAGAIN && timeout_ms < 0) {
        // A non-blocking descriptor (the caller's choice): wait for it as before.
        pollfd fds[2] = {{read_fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
        if (::poll(fds, 2, -1) > 0 && fds[1].revents != 0) return Read::kEnded;
        continue;
      }
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (closed_.load()) return Read::kEnded;  // closed while read() waited: dropped
      if (n <= 0) {
        // A last line without its newline still counts at end of input: a piped
        // `echo request | server` gets its answer (sends work until close()).
        if (!closed_.load() && !reader_.blank()) take(reader_.finish(), batch);
        return Read::kEnded;
      }
      // Lines are read as they arrive: a line's telemetry over its bound is dropped while read,
      // and a line too large to keep is still answered, with its id when it was an answer.
      std::string_view data(buffer, static_cast<std::size_t>(n));
      while (!data.empty()) {
        std::size_t nl = data.find('\n');
        reader_.feed(data.substr(0, nl));
        if (nl == std::string_view::npos) break;
        take(reader_.finish(), batch);
        data.remove_prefix(nl + 1);
      }
      if (!batch.empty()) return Read::kSome;
    }
  }

  // A refusal goes back to the peer; a message (or the error that ends a broken answer's call)
  // is delivered.
  void take(jsonrpc::Received received, std::vector<jsonrpc::Message>& batch) {
    if (received.reply) send(*received.reply, {});
    if (received.message) batch.push_back(std::move(*received.message));
  }

  // End of input, every queued message delivered (or close() while the leader waits in read()):
  // on_close once, and every thread winds down.
  void finish(std::unique_lock<std::mutex>& lock) {
    if (ended_) return;
    ended_ = true;
    lead_cv_.notify_all();
    watch_cv_.notify_all();
    standby_cv_.notify_all();
    lock.unlock();
    if (callbacks_.on_close) callbacks_.on_close();
    lock.lock();
  }

  void promote_locked() {
    if (leader_wanted_ || ended_) return;
    batch_answers({});  // answers held for a batch must not wait behind a slow handler
    ++leader_epoch_;    // the current leader retires when its callback returns
    delivering_ = false;
    leader_wanted_ = true;
    if (parked_ > 0) {
      lead_cv_.notify_one();
    } else {
      spawn_reader_locked();
    }
  }

  // The watchdog: ticks every handoff_after_ while the leader delivers, sleeps when it does not
  // (the leader wakes it), and promotes a new leader when one delivery outlasts a whole tick. A
  // caller's deliveries are the standby leader's to watch (stand_by): sequential calls then wake
  // one thread a tick, not two.
  void watch() {
    std::unique_lock lock(lead_mutex_);
    auto leader_delivering = [&] { return delivering_ && !caller_leading_; };
    std::uint64_t seen = deliveries_;
    while (!ended_) {
      if (!leader_delivering() && deliveries_ == seen) {
        watchdog_asleep_ = true;
        watch_cv_.wait(lock, [&] { return ended_ || leader_delivering(); });
        watchdog_asleep_ = false;
      }
      seen = deliveries_;
      watch_cv_.wait_for(lock, handoff_after_, [&] { return ended_; });
      if (leader_delivering() && deliveries_ == seen) promote_locked();
    }
  }

  int read_fd_;
  int write_fd_;
  bool owns_fds_;
  bool ordered_;  // no second reader ever: one delivery at a time, in arrival order
  int wake_[2] = {-1, -1};
  jsonrpc::EnvelopeReader reader_;  // the leader's alone
  Callbacks callbacks_;
  std::mutex write_mutex_;  // guards the write side: the fd, the batch
  std::string batched_;
  int batched_lines_ = 0;  // lines in batched_
  std::thread::id batch_thread_;
  std::atomic<bool> closed_{false};
  bool broken_ = false;

  std::mutex lead_mutex_;  // guards everything below
  std::condition_variable lead_cv_;
  std::condition_variable watch_cv_;
  std::deque<jsonrpc::Message> queue_;  // parsed, not yet delivered
  std::uint64_t leader_epoch_ = 0;
  std::uint64_t deliveries_ = 0;         // by the leader
  std::uint64_t caller_deliveries_ = 0;  // by a caller in its place (read_on_caller)
  std::thread::id leader_thread_;
  std::size_t parked_ = 0;
  bool leader_wanted_ = false;
  bool delivering_ = false;  // the current leader is inside on_message
  bool input_ended_ = false;
  bool blocked_in_read_ = false;              // the leader waits in read(), without a poll
  std::vector<jsonrpc::Message> read_batch_;  // the leader's alone: one chunk's messages
  bool ended_ = false;                        // on_close has been called (or is being called)
  bool watchdog_asleep_ = false;
  std::condition_variable standby_cv_;
  bool standby_ = false;                   // the leader lends its turn to callers
  std::uint64_t standby_epoch_ = 0;        // ...the leader of this epoch
  bool caller_leading_ = false;            // a caller reads in its place
  bool caller_led_ = false;                // a caller read during this standby tick
  bool resume_now_ = false;                // the leader in standby is asked to read again
  std::optional<CallerRead> caller_wait_;  // a lone caller waiting while the leader reads
  bool caller_behind_ = false;             // another caller came while caller_wait_ waited: read on
};

class ProcessTransport final : public FdTransport {
 public:
  ProcessTransport(pid_t pid, int read_fd, int write_fd, const ProcessOptions& options)
      : FdTransport(read_fd, write_fd, options.max_message_bytes, true, options.ordered_delivery),
        pid_(pid),
        grace_(options.shutdown_grace) {}

  ~ProcessTransport() override {
    close();
    reap();
  }

 private:
  void on_close_requested() override {
    close_write_end();  // MCP stdio shutdown: close the child's stdin first...
    reap();             // ...then SIGTERM after a grace period, then SIGKILL.
  }

  void reap() {
    std::lock_guard lock(reap_mutex_);
    if (reaped_) return;
    auto wait_for = [this](std::chrono::milliseconds budget) {
      auto deadline = std::chrono::steady_clock::now() + budget;
      do {
        int status = 0;
        pid_t r = ::waitpid(pid_, &status, WNOHANG);
        if (r == pid_ || (r < 0 && errno == ECHILD)) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      } while (std::chrono::steady_clock::now() < deadline);
      return false;
    };
    if (!wait_for(grace_)) {
      ::kill(pid_, SIGTERM);
      if (!wait_for(grace_)) {
        ::kill(pid_, SIGKILL);
        wait_for(std::chrono::seconds(5));
      }
    }
    reaped_ = true;
  }

  pid_t pid_;
  std::chrono::milliseconds grace_;
  std::mutex reap_mutex_;
  bool reaped_ = false;
};

}  // namespace

std::shared_ptr<Transport> make_stdio_transport(StdioOptions options) {
  return std::make_shared<FdTransport>(options.read_fd, options.write_fd, options.max_message_bytes,
                                       false, options.ordered_delivery, options.handoff_after);
}

std::shared_ptr<Transport> spawn_process(ProcessOptions options) {
  if (options.argv.empty()) throw std::invalid_argument("spawn_process: empty command");
  ignore_sigpipe_once();
  int to_child[2];
  int from_child[2];
  if (::pipe2(to_child, O_CLOEXEC) != 0)
    throw std::system_error(errno, std::generic_category(), "pipe2");
  if (::pipe2(from_child, O_CLOEXEC) != 0) {
    ::close(to_child[0]);
    ::close(to_child[1]);
    throw std::system_error(errno, std::generic_category(), "pipe2");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, to_child[0], 0);
  posix_spawn_file_actions_adddup2(&actions, from_child[1], 1);
  if (!options.inherit_stderr)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  std::vector<char*> argv;
  for (auto& a : options.argv) argv.push_back(a.data());
  argv.push_back(nullptr);
  // The child's environment: ours, with options.env set over it.
  std::vector<std::string> variables;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view entry(*e);
    std::string_view name = entry.substr(0, entry.find('='));
    bool replaced = std::any_of(options.env.begin(), options.env.end(),
                                [&](const auto& kv) { return kv.first == name; });
    if (!replaced) variables.emplace_back(entry);
  }
  for (const auto& [name, value] : options.env) variables.push_back(name + "=" + value);
  std::vector<char*> envp;
  for (auto& v : variables) envp.push_back(v.data());
  envp.push_back(nullptr);
  pid_t pid = 0;
  int rc = ::posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(to_child[0]);
  ::close(from_child[1]);
  if (rc != 0) {
    ::close(to_child[1]);
    ::close(from_child[0]);
    throw std::system_error(rc, std::generic_category(), "cannot start " + options.argv[0]);
  }
  return std::make_shared<ProcessTransport>(pid, from_child[0], to_child[1], options);
}

}  // namespace glassbox::transport
