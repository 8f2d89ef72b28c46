# Project-specific autoconf checks for Sylk for Janus.

# SYLK_CHECK_CXX20: require a compiler that takes -std=c++20.
AC_DEFUN([SYLK_CHECK_CXX20], [
  AC_MSG_CHECKING([whether $CXX accepts -std=c++20])
  sylk_save_CXXFLAGS=$CXXFLAGS
  CXXFLAGS="$CXXFLAGS -std=c++20"
  AC_COMPILE_IFELSE([AC_LANG_PROGRAM([[#include <span>
#include <string_view>]], [[std::string_view v{"x"}; return v.size() == 1 ? 0 : 1;]])],
    [AC_MSG_RESULT([yes])],
    [AC_MSG_RESULT([no]); AC_MSG_ERROR([a C++20 compiler is needed (g++ 10 or newer)])])
  CXXFLAGS=$sylk_save_CXXFLAGS
  AM_CXXFLAGS_STD="-std=c++20"
  AC_SUBST([AM_CXXFLAGS_STD])
])

# SYLK_CHECK_JANUS: janus-dev ships headers but no pkg-config file, so look for
# plugins/plugin.h under --with-janus-includedir (default /usr/include/janus).
AC_DEFUN([SYLK_CHECK_JANUS], [
  AC_ARG_WITH([janus-includedir],
    [AS_HELP_STRING([--with-janus-includedir=DIR], [Janus headers @<:@/usr/include/janus@:>@])],
    [sylk_janus_inc=$withval], [sylk_janus_inc=/usr/include/janus])
  AC_MSG_CHECKING([for Janus plugin headers in $sylk_janus_inc])
  sylk_save_CPPFLAGS=$CPPFLAGS
  CPPFLAGS="$CPPFLAGS -I$sylk_janus_inc $GLIB_CFLAGS $JANSSON_CFLAGS"
  AC_COMPILE_IFELSE([AC_LANG_PROGRAM([[#include <glib.h>
#include <jansson.h>
extern "C" {
#include <plugins/plugin.h>
}]], [[return JANUS_PLUGIN_API_VERSION >= 102 ? 0 : 1;]])],
    [AC_MSG_RESULT([yes]); JANUS_CFLAGS="-I$sylk_janus_inc"],
    [AC_MSG_RESULT([no]); SYLK_MISSING="$SYLK_MISSING janus-dev"])
  CPPFLAGS=$sylk_save_CPPFLAGS
  AC_PATH_PROG([JANUS_BIN], [janus], [], [$PATH:/usr/bin:/usr/local/bin])
  AS_IF([test -z "$JANUS_BIN"], [SYLK_MISSING="$SYLK_MISSING janus"])
  AC_SUBST([JANUS_CFLAGS])
])

# SYLK_PLUGIN_SWITCH(name, description): --disable-plugin-NAME and conditional ENABLE_PLUGIN_NAME.
AC_DEFUN([SYLK_PLUGIN_SWITCH], [
  AC_ARG_ENABLE([plugin-$1],
    [AS_HELP_STRING([--disable-plugin-$1], [do not build $2])],
    [sylk_enable_$1=$enableval], [sylk_enable_$1=yes])
  AM_CONDITIONAL(m4_toupper([ENABLE_PLUGIN_$1]), [test "x$sylk_enable_$1" = xyes])
])

# SYLK_CHECK_LIBFUZZER: clang with -fsanitize=fuzzer builds the fuzz targets (make fuzz);
# without it, make check still replays the kept corpus through a plain driver.
AC_DEFUN([SYLK_CHECK_LIBFUZZER], [
  AC_PATH_PROGS([CLANGXX], [clang++ clang++-14], [])
  sylk_have_libfuzzer=no
  AS_IF([test -n "$CLANGXX"], [
    AC_MSG_CHECKING([whether $CLANGXX links libFuzzer targets])
    echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long){return 0;}' > conftest_fuzz.cpp
    AS_IF([$CLANGXX -fsanitize=fuzzer conftest_fuzz.cpp -o conftest_fuzz >/dev/null 2>&1],
      [sylk_have_libfuzzer=yes])
    rm -f conftest_fuzz.cpp conftest_fuzz
    AC_MSG_RESULT([$sylk_have_libfuzzer])
  ])
  AM_CONDITIONAL([HAVE_LIBFUZZER], [test "x$sylk_have_libfuzzer" = xyes])
])
