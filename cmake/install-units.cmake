# SPDX-License-Identifier: MIT
# Run by `cmake --install` (install(CODE) in systemd/CMakeLists.txt): writes
# the units with the paths of THIS installation, so that a tree installed
# with `--prefix P` runs P/sbin/dyntabled, not the prefix configured at
# build time. CMAKE_INSTALL_PREFIX is the install-time prefix here; the
# caller sets UNITS_SRC, UNITS_OUT, UNIT_DIR, USER_UNIT_DIR (absolute or
# relative to the prefix) and SBINDIR (likewise). file(INSTALL) honours
# DESTDIR.
foreach(v SBINDIR UNIT_DIR USER_UNIT_DIR)
  if(NOT IS_ABSOLUTE "${${v}}")
    set(${v} "${CMAKE_INSTALL_PREFIX}/${${v}}")
  endif()
endforeach()
set(CMAKE_INSTALL_FULL_SBINDIR "${SBINDIR}")
configure_file("${UNITS_SRC}/dyntabled.service.in"
               "${UNITS_OUT}/system/dyntabled.service" @ONLY)
configure_file("${UNITS_SRC}/user/dyntabled.service.in"
               "${UNITS_OUT}/user/dyntabled.service" @ONLY)
file(INSTALL "${UNITS_OUT}/system/dyntabled.service"
             "${UNITS_SRC}/dyntabled.socket" DESTINATION "${UNIT_DIR}")
file(INSTALL "${UNITS_OUT}/user/dyntabled.service"
             "${UNITS_SRC}/user/dyntabled.socket" DESTINATION "${USER_UNIT_DIR}")
