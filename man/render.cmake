# Turns one scdoc page into roff (run by man/CMakeLists.txt):
#   cmake -DSCDOC=scdoc -DIN=page.scd -DOUT=page.8 -DVERSION=x.y.z -P render.cmake
# @VERSION@ is filled in, scdoc runs, and the empty paragraph macros scdoc
# writes next to headings and before the end of an indented block are
# dropped or moved: groff renders the page the same without them, and
# `mandoc -T lint` warns about every one.
cmake_minimum_required(VERSION 3.25)
file(READ "${IN}" text)
string(REPLACE "@VERSION@" "${VERSION}" text "${text}")
file(WRITE "${OUT}.scd" "${text}")
execute_process(COMMAND "${SCDOC}" INPUT_FILE "${OUT}.scd" OUTPUT_FILE "${OUT}.roff"
                ERROR_VARIABLE err RESULT_VARIABLE rc)
file(REMOVE "${OUT}.scd")
if(NOT rc EQUAL 0)
  file(REMOVE "${OUT}.roff")
  message(FATAL_ERROR "scdoc failed on ${IN}: ${err}")
endif()
file(READ "${OUT}.roff" roff)
file(REMOVE "${OUT}.roff")
set(previous "")
while(NOT roff STREQUAL previous)
  set(previous "${roff}")
  # ".P .RE" -> ".RE .P": the space after an indented block, outside it
  string(REPLACE ".P\n.RE\n" ".RE\n.P\n" roff "${roff}")
  # a paragraph with nothing in it before a heading or another paragraph
  string(REGEX REPLACE "\n\\.P\n(\\.(SH|SS|P)[ \n])" "\n\\1" roff "${roff}")
  # a paragraph right after the title or a heading
  string(REGEX REPLACE "(\n\\.(TH|SH|SS) [^\n]*\n)\\.P\n" "\\1" roff "${roff}")
endwhile()
file(WRITE "${OUT}" "${roff}")
