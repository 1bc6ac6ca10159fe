# Writes revision.hpp (the version and the source revision `swarmplan
# --version` prints) on every build, but touches it only when the text
# changes, so an unchanged revision rebuilds nothing.
execute_process(COMMAND git -C "${SRC}" describe --always --dirty --abbrev=12
                OUTPUT_VARIABLE rev OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE failed)
if(failed OR rev STREQUAL "")
  set(rev "unknown (not built from a git checkout)")
endif()
set(text "#define SWARMPLAN_VERSION \"${VERSION}\"\n#define SWARMPLAN_REVISION \"${rev}\"\n")
set(old "")
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
endif()
if(NOT old STREQUAL text)
  file(WRITE "${OUT}" "${text}")
endif()
