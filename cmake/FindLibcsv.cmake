# FindLibcsv — libcsv ships no pkg-config file, so look for its header and library.
# Defines Libcsv::Libcsv and LIBCSV_VERSION (from CSV_MAJOR/MINOR/RELEASE).
find_path(LIBCSV_INCLUDE_DIR NAMES csv.h)
find_library(LIBCSV_LIBRARY NAMES csv)
if(LIBCSV_INCLUDE_DIR AND EXISTS "${LIBCSV_INCLUDE_DIR}/csv.h")
  file(STRINGS "${LIBCSV_INCLUDE_DIR}/csv.h" _csv_ver REGEX "^#define CSV_(MAJOR|MINOR|RELEASE) ")
  string(REGEX REPLACE ".*CSV_MAJOR ([0-9]+).*" "\\1" _maj "${_csv_ver}")
  string(REGEX REPLACE ".*CSV_MINOR ([0-9]+).*" "\\1" _min "${_csv_ver}")
  string(REGEX REPLACE ".*CSV_RELEASE ([0-9]+).*" "\\1" _rel "${_csv_ver}")
  set(LIBCSV_VERSION "${_maj}.${_min}.${_rel}")
endif()
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(Libcsv
  REQUIRED_VARS LIBCSV_LIBRARY LIBCSV_INCLUDE_DIR
  VERSION_VAR LIBCSV_VERSION)
if(Libcsv_FOUND AND NOT TARGET Libcsv::Libcsv)
  add_library(Libcsv::Libcsv UNKNOWN IMPORTED)
  set_target_properties(Libcsv::Libcsv PROPERTIES
    IMPORTED_LOCATION "${LIBCSV_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${LIBCSV_INCLUDE_DIR}")
endif()
mark_as_advanced(LIBCSV_INCLUDE_DIR LIBCSV_LIBRARY)
