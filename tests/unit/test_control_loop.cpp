#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include "cmocka_cpp.hpp"
#include "sylkcore/control_loop.hpp"

using sylk::ControlLoop;

static void runs_tasks_in_order_on_one_thread(void**) {
    ControlLoop loop("test");
    assert_false(loop.post([] {}));  // not started yet
    loop.start();
    std::vector<int> order;
    std::thread::id runner;
    std::atomic<bool> sameThread{true};
    for (int i = 0; i < 100; ++i)
        assert_true(loop.post([&, i] {
            if (i == 0)
                runner = std::this_thread::get_id();
            else if (runner != std::this_thread::get_id())
                sameThread = false;
            order.push_back(i);
        }));
    loop.stop();  // drains
    assert_int_equal(order.size(), 100);
    for (int i = 0; i < 100; ++i)
        assert_int_equal(order[i], i);
    assert_true(sameThread.load());
    assert_true(runner != std::this_thread::get_id());
    assert_false(loop.post([] {}));
}

static void a_throwing_task_does_not_stop_the_loop(void**) {
    ControlLoop loop("throws");
    loop.start();
    std::atomic<int> after{0};
    loop.post([] { throw std::runtime_error("boom"); });
    loop.post([&] { after = 1; });
    loop.stop();
    assert_int_equal(after.load(), 1);
}

static void timers_run_on_the_loop_until_cancelled(void**) {
    ControlLoop loop("timers");
    std::atomic<int> early{0};
    uint64_t before = loop.every(std::chrono::milliseconds(10), [&] { ++early; });  // before start: runs after it
    assert_true(before != 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    assert_int_equal(early.load(), 0);
    loop.start();
    std::atomic<int> fast{0}, slow{0};
    std::atomic<bool> onLoop{true};
    std::thread::id runner;
    loop.post([&] { runner = std::this_thread::get_id(); });
    uint64_t fastTimer = loop.every(std::chrono::milliseconds(10), [&] {
        if (std::this_thread::get_id() != runner)
            onLoop = false;
        ++fast;
    });
    uint64_t slowTimer = loop.every(std::chrono::milliseconds(100), [&] { ++slow; });
    assert_true(fastTimer != 0 && slowTimer != 0 && fastTimer != slowTimer);
    std::this_thread::sleep_for(std::chrono::milliseconds(350));
    loop.cancel(fastTimer);
    loop.cancel(slowTimer);
    std::this_thread::sleep_for(std::chrono::milliseconds(30));  // a run queued before the cancel
    int fastRuns = fast.load();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    assert_int_equal(fast.load(), fastRuns);  // cancelled: no more runs
    assert_in_range(fastRuns, 3, 36);  // 35 on time; fewer on a starved machine, never more
    assert_in_range(slow.load(), 1, 3);
    assert_true(onLoop.load());
    loop.cancel(before);
    assert_true(early.load() >= 3);
    // A task that blocks the loop for 5 intervals: the timer runs once after it, not 5 times.
    std::atomic<int> late{0};
    uint64_t lateTimer = loop.every(std::chrono::milliseconds(20), [&] { ++late; });
    loop.post([] { std::this_thread::sleep_for(std::chrono::milliseconds(100)); });
    std::this_thread::sleep_for(std::chrono::milliseconds(110));
    loop.cancel(lateTimer);
    loop.stop();
    assert_in_range(late.load(), 0, 2);
    assert_int_equal(loop.every(std::chrono::milliseconds(10), [] {}), 0);  // stopped
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(runs_tasks_in_order_on_one_thread),
        cmocka_unit_test(a_throwing_task_does_not_stop_the_loop),
        cmocka_unit_test(timers_run_on_the_loop_until_cancelled),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
