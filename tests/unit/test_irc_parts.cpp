// The IRC bridge's pure parts (sylkcore/irc): the line reader, messages both ways, nicks after
// 432/433, room chat cut into lines, and the flood-control bucket.
#include <string>
#include <vector>

#include "sylkcore/irc/line_reader.hpp"
#include "sylkcore/irc/message.hpp"
#include "sylkcore/irc/nicks.hpp"
#include "sylkcore/irc/text_lines.hpp"
#include "sylkcore/irc/token_bucket.hpp"
// last: cmocka defines fail(), which the standard headers above use as a name
#include "cmocka_cpp.hpp"

using namespace sylk::irc;

namespace {

bool refused(std::string_view line) {
    try {
        Message::parse(line);
    } catch (const MessageError&) {
        return true;
    }
    return false;
}

bool cannotWrite(const Message& message) {
    try {
        (void)message.str();
    } catch (const MessageError&) {
        return true;
    }
    return false;
}

void lines_are_cut_across_reads(void**) {
    LineReader reader;
    std::vector<std::string> lines;
    auto keep = [&](std::string_view line) { lines.emplace_back(line); };
    std::string input = "PING :a\r\n\r\n:x PRIVMSG #c :hel";
    reader.feed(reinterpret_cast<const uint8_t*>(input.data()), input.size(), keep);
    assert_int_equal(lines.size(), 1);
    assert_true(reader.pending() > 0);
    std::string rest = "lo\nNOTICE x :bare LF\n";
    reader.feed(reinterpret_cast<const uint8_t*>(rest.data()), rest.size(), keep);
    assert_int_equal(lines.size(), 3);
    assert_string_equal(lines[0].c_str(), "PING :a");
    assert_string_equal(lines[1].c_str(), ":x PRIVMSG #c :hello");
    assert_string_equal(lines[2].c_str(), "NOTICE x :bare LF");
    // a server that never ends its line is cut off, not buffered forever
    std::string endless(LineReader::kMaxBytes + 10, 'a');
    bool thrown = false;
    try {
        reader.feed(reinterpret_cast<const uint8_t*>(endless.data()), endless.size(), keep);
    } catch (const MessageError&) {
        thrown = true;
    }
    assert_true(thrown);
}

void messages_are_parsed(void**) {
    Message welcome = Message::parse(":irc.example.net 001 sylkbot :Welcome to IRC");
    assert_string_equal(welcome.prefix.c_str(), "irc.example.net");
    assert_string_equal(welcome.command.c_str(), "001");
    assert_int_equal(welcome.params.size(), 2);
    assert_string_equal(welcome.param(1).c_str(), "Welcome to IRC");
    assert_string_equal(welcome.param(7).c_str(), "");

    Message privmsg = Message::parse("@time=x;id=1 :alice!~a@host.example privmsg  #lobby  ::-) hi");
    assert_string_equal(privmsg.nick().c_str(), "alice");
    assert_string_equal(privmsg.command.c_str(), "PRIVMSG");
    assert_string_equal(privmsg.param(0).c_str(), "#lobby");
    assert_string_equal(privmsg.param(1).c_str(), ":-) hi");

    Message join = Message::parse(":bob JOIN #lobby");  // no trailing ':', prefix without user@host
    assert_string_equal(join.nick().c_str(), "bob");
    assert_string_equal(join.param(0).c_str(), "#lobby");
    Message empty = Message::parse("PRIVMSG #c :");
    assert_int_equal(empty.params.size(), 2);
    assert_string_equal(empty.param(1).c_str(), "");
    // RFC 2812: the 15th parameter is the rest of the line
    Message many = Message::parse("X 1 2 3 4 5 6 7 8 9 10 11 12 13 14 fifteen and more");
    assert_int_equal(many.params.size(), 15);
    assert_string_equal(many.params[14].c_str(), "fifteen and more");

    assert_true(refused(""));
    assert_true(refused(":prefix-only"));
    assert_true(refused(": 001 x"));
    assert_true(refused("PRIV-MSG #c :x"));
    assert_true(refused("1234 x"));
    assert_true(refused(std::string_view("PRIVMSG #c :a\0b", 15)));
    assert_true(refused("PRIVMSG #c :a\rb"));
    assert_true(refused("@tags-without-message"));
    assert_true(refused("PRIVMSG #c :" + std::string(600, 'x')));
}

void messages_are_written(void**) {
    assert_string_equal(Message({"", "PRIVMSG", {"#lobby", "Alice: hello there"}}).str().c_str(),
                        "PRIVMSG #lobby :Alice: hello there\r\n");
    assert_string_equal(Message({"", "NICK", {"sylkbot"}}).str().c_str(), "NICK sylkbot\r\n");
    assert_string_equal(Message({"", "PRIVMSG", {"#c", ":)"}}).str().c_str(), "PRIVMSG #c ::)\r\n");
    assert_string_equal(Message({"", "QUIT", {""}}).str().c_str(), "QUIT :\r\n");
    // what IRC cannot carry is refused, never sent as two commands
    assert_true(cannotWrite(Message{"", "PRIVMSG", {"#c", "a\r\nQUIT :injected"}}));
    assert_true(cannotWrite(Message{"", "PRIVMSG", {"#c x", "y"}}));
    assert_true(cannotWrite(Message{"", "PRIVMSG", {"", "y"}}));
    assert_true(cannotWrite(Message{"", "PRIV MSG", {"#c", "y"}}));
    assert_true(cannotWrite(Message{"", "PRIVMSG", {"#c", std::string(600, 'x')}}));
}

void nicks_are_retried_and_compared(void**) {
    assert_true(isValidNick("sylkbot"));
    assert_true(isValidNick("[away]_x-1"));
    assert_false(isValidNick("1abc"));
    assert_false(isValidNick("a b"));
    assert_false(isValidNick(""));
    // 433: a number suffix; 432: shorter, the suffix kept inside the limit
    assert_string_equal(retryNick("sylkbot", 0, 30).c_str(), "sylkbot");
    assert_string_equal(retryNick("sylkbot", 1, 30).c_str(), "sylkbot1");
    assert_string_equal(retryNick("sylkbridgebot", 0, 9).c_str(), "sylkbridg");
    assert_string_equal(retryNick("sylkbridgebot", 12, 9).c_str(), "sylkbri12");
    assert_string_equal(retryNick("ab", 123, 2).c_str(), "a123");  // never a digit first
    assert_true(sameName("Alice[1]", "alice{1}"));
    assert_true(sameName("#Lobby", "#lobby"));
    assert_false(sameName("alice", "alice2"));
    assert_true(isValidChannel("#lobby"));
    assert_false(isValidChannel("lobby"));
    assert_false(isValidChannel("#a b"));
    assert_false(isValidChannel("#a,b"));
}

void room_chat_becomes_lines(void**) {
    auto lines = splitText("Alice: ", "one\r\ntwo\n\n   \nthree\x00x", 100);
    assert_int_equal(lines.size(), 3);
    assert_string_equal(lines[0].c_str(), "Alice: one");
    assert_string_equal(lines[1].c_str(), "Alice: two");
    assert_string_equal(lines[2].c_str(), "Alice: three");  // the NUL is where the literal ends
    std::string withNul("a\0b", 3);
    lines = splitText("B: ", withNul, 100);
    assert_int_equal(lines.size(), 1);
    assert_string_equal(lines[0].c_str(), "B: ab");
    // long text: cut at spaces, every line within the limit and with its lead
    std::string words;
    for (int i = 0; i < 60; ++i)
        words += "word" + std::to_string(i) + " ";
    lines = splitText("Bob: ", words, 60);
    assert_true(lines.size() > 5);
    std::string joined;
    for (const auto& line : lines) {
        assert_true(line.size() <= 60);
        assert_true(line.rfind("Bob: ", 0) == 0);
        joined += line.substr(5) + " ";
    }
    assert_string_equal(joined.c_str(), words.c_str());
    // UTF-8 is never cut inside a character
    std::string accents;
    for (int i = 0; i < 40; ++i)
        accents += "\xc3\xa9";  // é
    lines = splitText("C: ", accents, 20);
    for (const auto& line : lines) {
        assert_true(line.size() <= 20);
        assert_true((static_cast<unsigned char>(line.back()) & 0xC0) != 0xC0);  // no lead byte left alone
        assert_int_equal((line.size() - 3) % 2, 0);
    }
    assert_int_equal(splitText("D: ", "\n\n", 50).size(), 0);
}

void irc_formatting_is_removed(void**) {
    assert_string_equal(plainText("\x02" "bold\x02 and \x1ditalic\x0f").c_str(), "bold and italic");
    assert_string_equal(plainText("\x03" "4red\x03 \x03" "12,01blue on black\x03").c_str(), "red blue on black");
    assert_string_equal(plainText("\x03,5 comma kept").c_str(), ",5 comma kept");  // no foreground: no colour
    assert_string_equal(plainText("5\x03" "123").c_str(), "53");                 // two digits at most
    assert_string_equal(plainText("caf\xc3\xa9\x01").c_str(), "caf\xc3\xa9");
}

void the_bucket_allows_a_burst_then_a_rate(void**) {
    auto start = TokenBucket::Clock::time_point{};
    TokenBucket bucket(2.0, 3.0, start);
    assert_true(bucket.take(start));
    assert_true(bucket.take(start));
    assert_true(bucket.take(start));
    assert_false(bucket.take(start));
    assert_int_equal(bucket.wait(start).count(), 500);
    assert_false(bucket.take(start + std::chrono::milliseconds(400)));
    assert_true(bucket.take(start + std::chrono::milliseconds(500)));
    // idle time refills only up to the burst
    auto later = start + std::chrono::seconds(100);
    int taken = 0;
    while (bucket.take(later))
        ++taken;
    assert_int_equal(taken, 3);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lines_are_cut_across_reads),
        cmocka_unit_test(messages_are_parsed),
        cmocka_unit_test(messages_are_written),
        cmocka_unit_test(nicks_are_retried_and_compared),
        cmocka_unit_test(room_chat_becomes_lines),
        cmocka_unit_test(irc_formatting_is_removed),
        cmocka_unit_test(the_bucket_allows_a_burst_then_a_rate),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
