/* The logging globals JANUS_LOG reads live in the janus binary. Unit tests and fuzz targets
 * run without janus, so this file provides them and prints to stderr. Nothing else of Janus is
 * stood in for: code that needs the real core is tested against a real janus. */
#include <glib.h>
#include <stdarg.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

int janus_log_level = 4;
gboolean janus_log_timestamps = FALSE;
gboolean janus_log_colors = FALSE;
char *janus_log_global_prefix = NULL;

void janus_vprintf(const char *format, ...) {
	va_list args;
	va_start(args, format);
	vfprintf(stderr, format, args);
	va_end(args);
}

#ifdef __cplusplus
}
#endif
