// The deadline queue of MSRP transactions (sylkcore/msrp/deadline_queue): what is due expires in
// deadline order, a cancelled transaction (answered before its deadline) never expires, tokens
// stay right while entries come and go, an out-of-order deadline never fires early.
#include <chrono>
#include <string>
#include <vector>

#include "sylkcore/msrp/deadline_queue.hpp"
// cmocka defines fail(): include it after the C++ library headers
#include "cmocka_cpp.hpp"

using namespace sylk::msrp;
using namespace std::chrono_literals;

namespace {

const DeadlineQueue::Clock::time_point kT0{};

std::vector<std::string> keysOf(const std::vector<DeadlineQueue::Expired>& expired) {
    std::vector<std::string> keys;
    for (const auto& entry : expired)
        keys.push_back(entry.key);
    return keys;
}

}  // namespace

static void due_entries_expire_in_deadline_order(void**) {
    DeadlineQueue queue;
    assert_true(queue.empty());
    assert_false(queue.next().has_value());
    queue.add(kT0 + 10ms, "a");
    queue.add(kT0 + 20ms, "b");
    queue.add(kT0 + 30ms, "c");
    assert_int_equal(queue.size(), 3);
    assert_true(queue.next() == kT0 + 10ms);
    assert_true(queue.expire(kT0 + 9ms).empty());  // nothing due yet
    assert_true((keysOf(queue.expire(kT0 + 20ms)) == std::vector<std::string>{"a", "b"}));  // at the deadline: due
    assert_int_equal(queue.size(), 1);
    assert_true(queue.next() == kT0 + 30ms);
    assert_true((keysOf(queue.expire(kT0 + 1h)) == std::vector<std::string>{"c"}));
    assert_true(queue.empty());
    assert_false(queue.next().has_value());
    assert_true(queue.expire(kT0 + 2h).empty());
}

static void an_answered_transaction_never_expires(void**) {
    DeadlineQueue queue;
    auto a = queue.add(kT0 + 10ms, "a");
    auto b = queue.add(kT0 + 20ms, "b");
    auto c = queue.add(kT0 + 30ms, "c");
    queue.cancel(b);  // in the middle: stays queued, dead
    assert_int_equal(queue.size(), 2);
    queue.cancel(a);  // at the front: a and the dead b go, c is next
    assert_int_equal(queue.size(), 1);
    assert_true(queue.next() == kT0 + 30ms);
    queue.cancel(a);  // twice: ignored
    queue.cancel(12345);  // never given: ignored
    assert_int_equal(queue.size(), 1);
    auto expired = queue.expire(kT0 + 1h);
    assert_int_equal(expired.size(), 1);
    assert_int_equal(expired[0].token, c);
    assert_string_equal(expired[0].key.c_str(), "c");
    queue.cancel(c);  // after it expired: ignored
    assert_true(queue.empty());
    // Everything answered: nothing ever fires.
    for (int i = 0; i < 1000; ++i)
        queue.cancel(queue.add(kT0 + 1h + std::chrono::milliseconds(i), "t" + std::to_string(i)));
    assert_true(queue.empty());
    assert_false(queue.next().has_value());
    assert_true(queue.expire(kT0 + 10h).empty());
}

static void tokens_stay_valid_as_entries_come_and_go(void**) {
    // A FIFO whose front moves: tokens given before and after expiries still name their entry.
    DeadlineQueue queue;
    std::vector<DeadlineQueue::Token> tokens;
    for (int i = 0; i < 10; ++i)
        tokens.push_back(queue.add(kT0 + std::chrono::milliseconds(i), std::to_string(i)));
    assert_int_equal(queue.expire(kT0 + 4ms).size(), 5);  // 0..4
    queue.cancel(tokens[2]);  // already expired: ignored
    queue.cancel(tokens[7]);
    auto late = queue.add(kT0 + 20ms, "late");
    queue.cancel(tokens[5]);
    assert_int_equal(queue.size(), 4);  // 6, 8, 9, late
    assert_true(queue.next() == kT0 + 6ms);
    auto expired = queue.expire(kT0 + 1h);
    assert_true((keysOf(expired) == std::vector<std::string>{"6", "8", "9", "late"}));
    assert_int_equal(expired.back().token, late);
    assert_int_equal(expired[1].token, tokens[8]);
}

static void an_earlier_deadline_never_fires_early(void**) {
    // Deadlines come in order from one constant timeout; one that does not is held to the last.
    DeadlineQueue queue;
    queue.add(kT0 + 50ms, "a");
    queue.add(kT0 + 10ms, "b");
    assert_true(queue.expire(kT0 + 10ms).empty());
    assert_true((keysOf(queue.expire(kT0 + 50ms)) == std::vector<std::string>{"a", "b"}));
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(due_entries_expire_in_deadline_order),
        cmocka_unit_test(an_answered_transaction_never_expires),
        cmocka_unit_test(tokens_stay_valid_as_entries_come_and_go),
        cmocka_unit_test(an_earlier_deadline_never_fires_early),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
