#include "core/log.h"

#include <memory>
#include <string_view>

#include <fmt/format.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace scalelab {
namespace {

constexpr char kEscapedMessageFlag = '*';
constexpr std::string_view kTextPattern = "%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v";
// Time in UTC with a Z, so collectors need no zone.
constexpr std::string_view kJsonPattern = R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","msg":"%*"})";

// Appends text as the inside of a JSON string: quotes, backslashes and
// control characters escaped (a message may hold a client's bytes).
void append_json_escaped(std::string_view text, spdlog::memory_buf_t& out) {
  for (char c : text) {
    switch (c) {
      case '"': out.append(std::string_view{"\\\""}); break;
      case '\\': out.append(std::string_view{"\\\\"}); break;
      case '\n': out.append(std::string_view{"\\n"}); break;
      case '\r': out.append(std::string_view{"\\r"}); break;
      case '\t': out.append(std::string_view{"\\t"}); break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          fmt::format_to(std::back_inserter(out), "\\u{:04x}", static_cast<unsigned>(c));
        } else {
          out.push_back(c);
        }
    }
  }
}

// %* : the message, JSON-escaped.
class EscapedMessage final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& out) override {
    append_json_escaped(std::string_view(msg.payload.data(), msg.payload.size()), out);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<EscapedMessage>(); }
};

}  // namespace

void init_logging(const std::string& level, const std::string& format) {
  auto logger = spdlog::stderr_color_mt("scalelab");
  if (format == "json") {
    auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
    formatter->add_flag<EscapedMessage>(kEscapedMessageFlag).set_pattern(std::string(kJsonPattern));
    logger->set_formatter(std::move(formatter));
  } else {
    logger->set_pattern(std::string(kTextPattern));
  }
  logger->set_level(spdlog::level::from_str(level));
  spdlog::set_default_logger(logger);
}

}  // namespace scalelab
