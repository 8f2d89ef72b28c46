// The only way Sylk code includes Janus's C headers. glib and jansson come first and outside
// extern "C", because glib's C++ templates cannot have C linkage.
#pragma once

#include <arpa/inet.h>
#include <glib.h>
#include <jansson.h>
#include <time.h>

extern "C" {
#include <config.h>
#include <debug.h>
#include <plugins/plugin.h>
#include <record.h>
#include <rtcp.h>
#include <rtp.h>
#include <sdp-utils.h>
#include <utils.h>
#include <transports/transport.h>
}
