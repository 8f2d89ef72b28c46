// Logging for all Sylk code: a thin layer over JANUS_LOG so that our lines share Janus's
// levels, timestamps, colours and log file. Never log secrets (PINs, passwords, tokens).
#pragma once

#include <glib.h>
#include <time.h>

extern "C" {
#include <debug.h>
}

#define SYLK_LOG(level, component, format, ...) \
    JANUS_LOG(level, "[sylk:%s] " format "\n", component, ##__VA_ARGS__)
