#include <atomic>
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

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(runs_tasks_in_order_on_one_thread),
        cmocka_unit_test(a_throwing_task_does_not_stop_the_loop),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
