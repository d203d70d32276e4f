#include "gateway/daemon/privileges.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "gateway/diag.hpp"

namespace tlsgate {
namespace {

// capset(2) is per thread, and threads already exist (the flow log's writer):
// each one is signalled and sets its own, like libpsx does for libcap.
struct CapSet {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3]{};
};
CapSet wanted;
CapSet empty_set;
#if defined(__SANITIZE_THREAD__)
// ThreadSanitizer's own background thread blocks every signal and runs none of
// our code: it never answers, and is not waited for (TSan builds only).
constexpr int silent_threads_allowed = 1;
#else
constexpr int silent_threads_allowed = 0;
#endif
std::atomic<int> threads_done{0};
std::atomic<int> threads_failed{0};

int set_caps(CapSet& caps) { return static_cast<int>(::syscall(SYS_capset, &caps.header, caps.data)); }

// Async-signal-safe: two raw syscalls and atomics.
void on_capset_signal(int) {
  const int saved = errno;
  // A thread that already lost the permitted set (setuid without keep-caps)
  // cannot take CAP_NET_ADMIN back: it keeps nothing, which is fine.
  if (set_caps(wanted) != 0 && set_caps(empty_set) != 0) threads_failed.fetch_add(1);
  threads_done.fetch_add(1);
  errno = saved;
}

void fail(const std::string& what) { throw std::runtime_error("dropping privileges: " + what + ": " + std::strerror(errno)); }

void set_caps_everywhere() {
  if (set_caps(wanted) != 0) {
    // Started without CAP_NET_ADMIN at all: nothing to keep.
    diag::warning("cannot keep cap_net_admin (%s): keeping no capability", std::strerror(errno));
    wanted = CapSet{};
    if (set_caps(wanted) != 0) fail("capset");
  }
  const int signal_number = SIGRTMIN + 3;
  struct sigaction action {}, previous{};
  action.sa_handler = on_capset_signal;
  action.sa_flags = SA_RESTART;
  sigemptyset(&action.sa_mask);
  if (::sigaction(signal_number, &action, &previous) != 0) fail("sigaction");
  threads_done = 0;
  threads_failed = 0;
  int sent = 0;
  const pid_t self = static_cast<pid_t>(::syscall(SYS_gettid));
  if (DIR* dir = ::opendir("/proc/self/task")) {
    while (const dirent* entry = ::readdir(dir)) {
      const pid_t tid = static_cast<pid_t>(std::atoi(entry->d_name));
      if (tid <= 0 || tid == self) continue;
      if (::syscall(SYS_tgkill, ::getpid(), tid, signal_number) == 0) ++sent;
    }
    ::closedir(dir);
  } else {
    fail("/proc/self/task");
  }
  const int answers_needed = sent - silent_threads_allowed;
  for (int i = 0; i < 400 && threads_done.load() < answers_needed; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ::sigaction(signal_number, &previous, nullptr);
  if (threads_done.load() < answers_needed || threads_failed.load() > 0) {
    errno = EAGAIN;
    fail("not every thread dropped its capabilities");
  }
}

// fchown on a descriptor opened with O_NOFOLLOW: a symlink planted in a directory the user
// can write makes the open fail, and nothing can be swapped in between the check and the
// chown. Only regular files and directories; false when `fd` is something else.
bool chown_fd(int fd, uid_t uid, gid_t gid, const std::string& name, bool& is_dir) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) fail("fstat " + name);
  is_dir = S_ISDIR(st.st_mode);
  if (!is_dir && !S_ISREG(st.st_mode)) return false;
  if (::fchown(fd, uid, gid) != 0) fail("chown " + name);
  return true;
}

// Only regular files and the directory itself, one level deep: a state_dir or
// flow_log pointing somewhere shared must not give away more than tlsgate's files.
// A missing path or a symlink is skipped (the daemon opens its files O_NOFOLLOW too).
void hand_over(const std::vector<std::string>& paths, uid_t uid, gid_t gid) {
  constexpr int flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY;
  for (const auto& path : paths) {
    const int fd = ::open(path.c_str(), flags);
    if (fd < 0) continue;
    bool is_dir = false;
    const bool owned = chown_fd(fd, uid, gid, path, is_dir);
    DIR* dir = owned && is_dir ? ::fdopendir(fd) : nullptr;
    if (!dir) {
      ::close(fd);
      continue;
    }
    while (const dirent* entry = ::readdir(dir)) {
      const std::string name = entry->d_name;
      if (name == "." || name == "..") continue;
      const int child = ::openat(::dirfd(dir), name.c_str(), flags);
      if (child < 0) continue;
      struct stat st {};
      if (::fstat(child, &st) == 0 && S_ISREG(st.st_mode) && ::fchown(child, uid, gid) != 0)
        fail("chown " + path + "/" + name);
      ::close(child);
    }
    ::closedir(dir);  // closes fd
  }
}

void switch_user(const std::string& name, const PrivilegePlan& plan) {
  errno = 0;
  const passwd* pw = ::getpwnam(name.c_str());
  if (!pw) {
    errno = errno ? errno : ENOENT;
    fail("user " + name);
  }
  const uid_t uid = pw->pw_uid;
  const gid_t gid = pw->pw_gid;
  hand_over(plan.hand_over, uid, gid);
  // Keep the permitted set across setuid on this thread only, to keep CAP_NET_ADMIN.
  if (plan.keep_net_admin && ::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) fail("PR_SET_KEEPCAPS");
  // glibc applies these to every thread of the process.
  if (::initgroups(name.c_str(), gid) != 0) fail("initgroups");
  if (::setresgid(gid, gid, gid) != 0) fail("setresgid");
  if (::setresuid(uid, uid, uid) != 0) fail("setresuid");
  if (uid != 0 && ::setresuid(0, 0, 0) == 0) {
    errno = EPERM;
    fail("root could be regained");
  }
  ::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
}

}  // namespace

std::optional<std::string> root_refusal(bool is_root, const std::optional<std::string>& user, bool allow_root) {
  if (!is_root || user || allow_root) return std::nullopt;
  return "refusing to run as root without `user` in the config: set \"user\" (e.g. \"tlsgate\"; the daemon opens "
         "what needs root, then switches to it), run it as that user with CAP_NET_ADMIN (deploy/tlsgate.service), "
         "or pass --allow-root to keep root on purpose";
}

void harden_process() {
  ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

void drop_privileges(const PrivilegePlan& plan) {
  const bool root = ::geteuid() == 0;
  if (plan.user && root) switch_user(*plan.user, plan);
  else if (plan.user) diag::info("not started as root: user %s ignored", plan.user->c_str());
  const unsigned bit = CAP_NET_ADMIN;
  wanted = CapSet{};
  if (plan.keep_net_admin) {
    wanted.data[bit / 32].effective = 1u << (bit % 32);
    wanted.data[bit / 32].permitted = 1u << (bit % 32);
  }
  ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  set_caps_everywhere();
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);  // a uid change may have reset it (fs.suid_dumpable)
  const bool kept = wanted.data[bit / 32].effective != 0;
  diag::notice("running as %s; capabilities kept: %s", describe_credentials().c_str(),
               kept ? "cap_net_admin (the QUIC guard's NFQUEUE verdicts need it)" : "none");
}

std::string describe_credentials() {
  std::string out = "uid=" + std::to_string(::getuid()) + " gid=" + std::to_string(::getgid());
  if (const passwd* pw = ::getpwuid(::getuid())) out += " (" + std::string(pw->pw_name) + ")";
  return out;
}

}  // namespace tlsgate
