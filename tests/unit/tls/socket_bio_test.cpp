#include "gateway/tls/socket_bio.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <string>

namespace tlsgate::tls {
namespace {

// A connected non-blocking stream pair: the BIO works one end, the test the other.
class SocketBioTest : public ::testing::Test {
 protected:
  SocketBioTest() {
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
    state_.fd = fds[0];
    peer_ = fds[1];
    bio_ = new_socket_bio(state_);
  }
  ~SocketBioTest() override {
    BIO_free(bio_);
    ::close(state_.fd);
    if (peer_ >= 0) ::close(peer_);
  }
  void peer_sends(const std::string& text) {
    ASSERT_EQ(::send(peer_, text.data(), text.size(), 0), static_cast<ssize_t>(text.size()));
  }
  void close_peer() {
    ::close(peer_);
    peer_ = -1;
  }

  SocketBioState state_;
  int peer_ = -1;
  BIO* bio_ = nullptr;
  std::array<char, 100> buffer_{};
};

TEST_F(SocketBioTest, AShortReadMeansTheSocketIsDrained) {
  peer_sends("hello");
  std::size_t got = 0;
  ASSERT_EQ(BIO_read_ex(bio_, buffer_.data(), buffer_.size(), &got), 1);
  EXPECT_EQ(std::string(buffer_.data(), got), "hello");
  EXPECT_TRUE(state_.drained);
}

TEST_F(SocketBioTest, AFullReadMayLeaveMore) {
  peer_sends(std::string(150, 'x'));
  std::size_t got = 0;
  ASSERT_EQ(BIO_read_ex(bio_, buffer_.data(), buffer_.size(), &got), 1);
  EXPECT_EQ(got, buffer_.size());
  EXPECT_FALSE(state_.drained);
  ASSERT_EQ(BIO_read_ex(bio_, buffer_.data(), buffer_.size(), &got), 1);
  EXPECT_EQ(got, 50u);
  EXPECT_TRUE(state_.drained);
}

TEST_F(SocketBioTest, AnEmptySocketAsksForARetry) {
  std::size_t got = 0;
  EXPECT_EQ(BIO_read_ex(bio_, buffer_.data(), buffer_.size(), &got), 0);
  EXPECT_TRUE(BIO_should_retry(bio_));
  EXPECT_TRUE(BIO_should_read(bio_));
  EXPECT_TRUE(state_.drained);
  EXPECT_EQ(BIO_eof(bio_), 0);
}

TEST_F(SocketBioTest, EndOfStreamIsNoRetry) {
  close_peer();
  std::size_t got = 0;
  EXPECT_EQ(BIO_read_ex(bio_, buffer_.data(), buffer_.size(), &got), 0);
  EXPECT_FALSE(BIO_should_retry(bio_));
  EXPECT_EQ(BIO_eof(bio_), 1);
  EXPECT_FALSE(state_.drained);
}

TEST_F(SocketBioTest, WritesReachThePeer) {
  std::size_t put = 0;
  ASSERT_EQ(BIO_write_ex(bio_, "ping", 4, &put), 1);
  EXPECT_EQ(put, 4u);
  EXPECT_EQ(::recv(peer_, buffer_.data(), buffer_.size(), 0), 4);
  EXPECT_EQ(std::string(buffer_.data(), 4), "ping");
  EXPECT_EQ(BIO_get_fd(bio_, nullptr), state_.fd);
  EXPECT_EQ(BIO_flush(bio_), 1);
}

TEST_F(SocketBioTest, AWriteToAClosedPeerFailsWithErrnoAndNoSignal) {
  close_peer();
  std::size_t put = 0;
  errno = 0;
  EXPECT_EQ(BIO_write_ex(bio_, "ping", 4, &put), 0);  // SIGPIPE would end the test here
  EXPECT_EQ(errno, EPIPE);
  EXPECT_FALSE(BIO_should_retry(bio_));
}

TEST_F(SocketBioTest, AFullSocketAsksForAWriteRetry) {
  const std::string chunk(64 * 1024, 'y');
  std::size_t put = 0;
  int ok = 1;
  for (int i = 0; i < 1000 && ok == 1; ++i) ok = BIO_write_ex(bio_, chunk.data(), chunk.size(), &put);
  ASSERT_EQ(ok, 0);
  EXPECT_TRUE(BIO_should_retry(bio_));
  EXPECT_TRUE(BIO_should_write(bio_));
}

}  // namespace
}  // namespace tlsgate::tls
