#include "cmocka_cpp.hpp"
#include "sylkcore/audio/talk_detector.hpp"

using sylk::audio::TalkDetector;

static void reports_changes_only_at_window_ends(void**) {
    TalkDetector detector(10, 40);
    for (int i = 0; i < 9; ++i)
        assert_false(detector.add(10).has_value());
    auto change = detector.add(10);  // window full, loud
    assert_true(change.has_value() && *change);
    assert_int_equal(detector.lastAverage(), 10);
    for (int i = 0; i < 10; ++i)
        assert_false(detector.add(12).has_value());  // still talking: no news
    for (int i = 0; i < 9; ++i)
        detector.add(127);
    change = detector.add(127);
    assert_true(change.has_value() && !*change);
    assert_false(detector.talking());
}

static void averages_and_ignores_bad_levels(void**) {
    TalkDetector detector(4, 40);
    assert_false(detector.add(-1).has_value());
    assert_false(detector.add(128).has_value());
    // 20, 20, 70, 70 average 45: not talking
    detector.add(20);
    detector.add(20);
    detector.add(70);
    assert_false(detector.add(70).has_value());
    assert_int_equal(detector.lastAverage(), 45);
    assert_false(detector.talking());
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reports_changes_only_at_window_ends),
        cmocka_unit_test(averages_and_ignores_bad_levels),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
