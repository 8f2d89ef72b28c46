// StackThread: posted work in order on one thread, timers, fd watches, stopping with work queued.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "sylkcore/net/stack_thread.hpp"
// cmocka defines fail(): include it after the C++ library headers
#include "cmocka_cpp.hpp"

using namespace std::chrono_literals;
using sylk::net::FdWatch;
using sylk::net::SourceHandle;
using sylk::net::StackThread;

template <typename Condition>
static bool waitFor(Condition condition, std::chrono::milliseconds limit = 5000ms) {
    auto until = std::chrono::steady_clock::now() + limit;
    while (!condition()) {
        if (std::chrono::steady_clock::now() > until)
            return false;
        std::this_thread::sleep_for(1ms);
    }
    return true;
}

static void posted_work_runs_in_order_on_the_stack_thread(void**) {
    StackThread stack("test-order");
    std::vector<int> order;  // stack thread only
    std::atomic<bool> sameThread{true};
    std::thread::id runner;
    // Two posters: each one's work keeps its order.
    std::thread other([&] {
        for (int i = 0; i < 2000; ++i)
            assert_true(stack.post([&, i] { order.push_back(100000 + i); }));
    });
    for (int i = 0; i < 2000; ++i)
        assert_true(stack.post([&, i] {
            if (!stack.onThread())
                sameThread = false;
            runner = std::this_thread::get_id();
            order.push_back(i);
        }));
    other.join();
    std::vector<int> seen;
    stack.execute([&] { seen = order; });  // behind everything posted above
    assert_int_equal(seen.size(), 4000);
    int mine = 0, theirs = 100000;
    for (int value : seen) {
        if (value >= 100000)
            assert_int_equal(value, theirs++);
        else
            assert_int_equal(value, mine++);
    }
    assert_true(sameThread.load());
    assert_true(runner != std::this_thread::get_id());
    assert_false(stack.onThread());
}

static void execute_waits_and_rethrows(void**) {
    StackThread stack("test-execute");
    int value = 0;
    stack.execute([&] { value = 7; });
    assert_int_equal(value, 7);
    bool threw = false;
    try {
        stack.execute([] { throw std::invalid_argument("bad"); });
    } catch (const std::invalid_argument& e) {
        threw = std::string(e.what()) == "bad";
    }
    assert_true(threw);
    // On the thread itself execute runs at once (no deadlock).
    stack.execute([&] { stack.execute([&] { value = 8; }); });
    assert_int_equal(value, 8);
    // A throwing posted work is logged; the loop goes on.
    assert_true(stack.post([] { throw std::runtime_error("boom"); }));
    stack.execute([&] { value = 9; });
    assert_int_equal(value, 9);
}

static void timers_fire_in_order_and_repeat(void**) {
    StackThread stack("test-timers");
    std::mutex mutex;
    std::vector<int> fired;
    auto record = [&](int what) {
        std::lock_guard lock(mutex);
        fired.push_back(what);
    };
    SourceHandle late = stack.after(60ms, [&] { record(60); });
    SourceHandle early = stack.after(20ms, [&] { record(20); });
    SourceHandle middle = stack.after(40ms, [&] { record(40); });
    std::atomic<int> ticks{0};
    SourceHandle repeating = stack.every(5ms, [&] { ++ticks; });
    assert_true(waitFor([&] {
        std::lock_guard lock(mutex);
        return fired.size() == 3;
    }));
    {
        std::lock_guard lock(mutex);
        assert_int_equal(fired[0], 20);
        assert_int_equal(fired[1], 40);
        assert_int_equal(fired[2], 60);
    }
    assert_false(early.active());  // one-shot: done
    assert_true(waitFor([&] { return ticks >= 5; }));
    assert_true(repeating.active());
    repeating.cancel();  // from another thread: once it returns the callback never runs again
    int after = ticks;
    std::this_thread::sleep_for(50ms);
    assert_int_equal(ticks.load(), after);
    assert_false(repeating.active());
}

static void a_cancelled_timer_never_fires(void**) {
    StackThread stack("test-cancel");
    std::atomic<int> fired{0};
    {
        SourceHandle dropped = stack.after(20ms, [&] { ++fired; });
    }  // destroyed: cancelled
    SourceHandle cancelled = stack.after(20ms, [&] { ++fired; });
    cancelled.cancel();
    // A repeating timer that cancels itself from its callback.
    auto self = std::make_shared<SourceHandle>();
    std::atomic<int> selfTicks{0};
    stack.execute([&] {
        *self = stack.every(5ms, [&, self] {
            if (++selfTicks == 3)
                self->cancel();
        });
    });
    // A timer moved into another handle keeps running under the new one.
    std::atomic<int> moved{0};
    SourceHandle first = stack.after(10ms, [&] { ++moved; });
    SourceHandle second = std::move(first);
    assert_false(first.active());
    std::this_thread::sleep_for(100ms);
    assert_int_equal(fired.load(), 0);
    assert_int_equal(selfTicks.load(), 3);
    assert_int_equal(moved.load(), 1);
    stack.execute([&] { self->cancel(); });  // breaks the handle <-> callback cycle
}

static void stop_drops_queued_work_and_later_posts(void**) {
    auto token = std::make_shared<int>(0);  // counts the copies held by queued work
    std::atomic<int> ran{0};
    std::atomic<bool> release{false};
    std::atomic<bool> blocked{false};
    {
        StackThread stack("test-stop");
        assert_true(stack.post([&] {
            blocked = true;
            while (!release)
                std::this_thread::sleep_for(1ms);
        }));
        assert_true(waitFor([&] { return blocked.load(); }));
        for (int i = 0; i < 50; ++i)
            assert_true(stack.post([&, token] { ++ran; }));
        assert_int_equal(token.use_count(), 51);
        std::thread stopper([&] { stack.stop(); });
        assert_true(waitFor([&] { return stack.stopping(); }));
        assert_false(stack.post([&, token] { ++ran; }));  // refused and freed at once
        assert_int_equal(token.use_count(), 51);
        release = true;
        stopper.join();  // stop() returned: the thread has ended
        assert_int_equal(ran.load(), 0);  // queued before stop, never run
        assert_int_equal(token.use_count(), 1);  // and freed
        bool threw = false;
        try {
            stack.execute([&] { ++ran; });
        } catch (const std::runtime_error&) {
            threw = true;
        }
        assert_true(threw);
        SourceHandle timer = stack.after(1ms, [&] { ++ran; });  // attached to a loop that is over
        std::this_thread::sleep_for(20ms);
        assert_int_equal(ran.load(), 0);
    }
}

static void stop_from_the_thread_itself(void**) {
    auto token = std::make_shared<int>(0);
    std::atomic<int> ran{0};
    StackThread stack("test-selfstop");
    std::atomic<bool> posted{false};
    assert_true(stack.post([&] {
        while (!posted)
            std::this_thread::sleep_for(1ms);
        stack.stop();  // returns at once on the thread
        ++ran;
    }));
    assert_true(stack.post([&, token] { ran += 100; }));  // behind the stop: dropped
    posted = true;
    assert_true(waitFor([&] { return token.use_count() == 1; }));
    assert_int_equal(ran.load(), 1);
    assert_false(stack.post([] {}));
    stack.stop();  // joins
}

static void fd_watch_follows_its_events(void**) {
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    StackThread stack("test-watch");
    std::atomic<int> reads{0};
    std::atomic<bool> hangup{false};
    FdWatch watch;
    stack.execute([&] {
        watch = stack.watch(fds[0], G_IO_IN, [&](GIOCondition conditions) {
            char byte;
            if (conditions & G_IO_IN) {
                if (read(fds[0], &byte, 1) == 1)
                    ++reads;
                else
                    hangup = true;
            }
            if (conditions & G_IO_HUP)
                hangup = true;
        });
    });
    assert_int_equal(write(fds[1], "a", 1), 1);
    assert_true(waitFor([&] { return reads == 1; }));
    stack.execute([&] { watch.setEvents(GIOCondition(0)); });  // paused
    assert_int_equal(write(fds[1], "b", 1), 1);
    std::this_thread::sleep_for(50ms);
    assert_int_equal(reads.load(), 1);
    stack.execute([&] { watch.setEvents(G_IO_IN); });  // resumed: the waiting byte is read
    assert_true(waitFor([&] { return reads == 2; }));
    close(fds[1]);
    assert_true(waitFor([&] { return hangup.load(); }));
    stack.execute([&] { watch.cancel(); });
    assert_false(watch.active());
    close(fds[0]);
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(posted_work_runs_in_order_on_the_stack_thread),
        cmocka_unit_test(execute_waits_and_rethrows),
        cmocka_unit_test(timers_fire_in_order_and_repeat),
        cmocka_unit_test(a_cancelled_timer_never_fires),
        cmocka_unit_test(stop_drops_queued_work_and_later_posts),
        cmocka_unit_test(stop_from_the_thread_itself),
        cmocka_unit_test(fd_watch_follows_its_events),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
