#include "core/host_port.h"

#include <gtest/gtest.h>

namespace scalelab {
namespace {

TEST(HostPort, SplitsAtTheLastColon) {
  auto hp = parse_host_port("127.0.0.1:8080");
  ASSERT_TRUE(hp.ok()) << hp.error().message;
  EXPECT_EQ(hp->first, "127.0.0.1");
  EXPECT_EQ(hp->second, 8080);
}

TEST(HostPort, PortZeroOnlyWhereAListenerMayPickOne) {
  EXPECT_FALSE(parse_host_port("127.0.0.1:0").ok());
  auto any = parse_host_port("0.0.0.0:0", /*allow_port_zero=*/true);
  ASSERT_TRUE(any.ok());
  EXPECT_EQ(any->second, 0);
}

TEST(HostPort, RefusesWhatIsNotHostColonDecimalPort) {
  for (const char* bad : {"8080", ":8080", "host:", "host:80x", "host:-1", "host:70000", "host:65536"}) {
    auto hp = parse_host_port(bad, /*allow_port_zero=*/true);
    ASSERT_FALSE(hp.ok()) << bad;
    EXPECT_EQ(hp.error().kind, ErrorKind::kInvalidInput) << bad;
  }
  EXPECT_TRUE(parse_host_port("host:65535").ok());
}

}  // namespace
}  // namespace scalelab
