// Symbol visibility for libsylkcore. Plugins are built with -fvisibility=hidden so that two
// plugins instantiating the same templates cannot interpose on each other once Janus has
// dlopen()ed them with RTLD_GLOBAL; the shared library exports its API explicitly.
#pragma once

#define SYLK_API __attribute__((visibility("default")))
