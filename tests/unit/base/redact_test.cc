#include "quarry/redact.h"

#include <gtest/gtest.h>

#include <string>

namespace quarry {
namespace {

TEST(RedactTest, HidesUserinfoQueryFragmentAndLongPaths) {
  EXPECT_EQ(RedactUrl("ws://user:pw@host:9222/devtools/browser/x?token=s3cret"),
            "ws://***@host:9222/devtools/***?***");
  EXPECT_EQ(RedactUrl("https://hooks.example.com/q?key=abc#frag"),
            "https://hooks.example.com/q?***#***");
  EXPECT_EQ(RedactUrl("redis://:pass@127.0.0.1:6379/0"), "redis://***@127.0.0.1:6379/0");
  EXPECT_EQ(RedactUrl("ws://127.0.0.1:9222/devtools"), "ws://127.0.0.1:9222/devtools");
  EXPECT_EQ(RedactUrl("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
  EXPECT_EQ(RedactUrl("http://127.0.0.1:8080/"), "http://127.0.0.1:8080/");
}

TEST(RedactTest, WebhookTokensInThePathAreHidden) {
  EXPECT_EQ(RedactUrl("https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX"),
            "https://hooks.slack.com/services/***");
  EXPECT_EQ(RedactUrl("https://discord.com/api/webhooks/123456789012345678/abcDEF-token_value"),
            "https://discord.com/api/***");
  // A token as the only path segment.
  EXPECT_EQ(RedactUrl("https://example.com/0123456789abcdef0123"), "https://example.com/***");
}

// Every character that has a meaning in a URL, in a password: none of it may show, wherever it
// stands in the password.
TEST(RedactTest, PasswordsWithUrlSpecialCharactersNeverShow) {
  const std::string specials = "/#?@:%[]!$&'()*+,;= ";
  for (const char* scheme : {"redis://", "https://", "ws://"}) {
    for (char c : specials) {
      for (const std::string& pw : {std::string("se") + c + "cret", std::string(1, c) + "secret",
                                    std::string("secret") + c}) {
        for (const std::string& user : {std::string(""), std::string("user")}) {
          const std::string url = std::string(scheme) + user + ":" + pw + "@db.internal:6379/0";
          const std::string shown = RedactUrl(url);
          EXPECT_EQ(shown.find("secret"), std::string::npos) << url << " -> " << shown;
          EXPECT_EQ(shown.find("cret"), std::string::npos) << url << " -> " << shown;
          EXPECT_NE(shown.find("db.internal:6379"), std::string::npos) << url << " -> " << shown;
        }
      }
    }
  }
}

TEST(PrintableValueTest, EscapesControlCharactersAndShortensLongValues) {
  EXPECT_EQ(PrintableValue("run-1"), "run-1");
  EXPECT_EQ(PrintableValue("a\nb\tc\x01"), "a\\nb\\tc\\x01");
  const std::string long_id(300, 'x');
  const std::string shown = PrintableValue(long_id, 80);
  EXPECT_LT(shown.size(), 100u);
  EXPECT_NE(shown.find("(300 bytes)"), std::string::npos) << shown;
  // Never cuts a UTF-8 character in two.
  std::string accents;
  for (int i = 0; i < 100; ++i) accents += "\xC3\xA9";  // é
  const std::string cut = PrintableValue(accents, 41);
  EXPECT_EQ(cut.find("\xC3\xA9\xC3\u2026"), std::string::npos);
  EXPECT_EQ(cut.substr(0, 2), "\xC3\xA9");
}

}  // namespace
}  // namespace quarry
