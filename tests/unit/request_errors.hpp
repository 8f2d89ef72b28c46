// Test helper: runs fn and returns the code of the RequestError it throws (0 if none).
#pragma once

#include <string>

#include "sylkcore/request_error.hpp"

template <class Fn>
int errorOf(Fn fn, std::string* message = nullptr) {
    try {
        fn();
    } catch (const sylk::RequestError& e) {
        if (message)
            *message = e.what();
        return static_cast<int>(e.code());
    }
    return 0;
}
