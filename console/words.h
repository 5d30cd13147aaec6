/* An alert's evidence in words a retention agent reads at a glance ("spend
 * fell from 120.00 to 38.00 yuan this week, down 68 %"), written from the
 * figures the daemon put in each trigger (SPEC section 7; README "Reading the
 * alerts" lists them), and likewise a score record's items (SPEC section 14:
 * "3 complaints in 3 months"; their names differ from the triggers'). Money
 * is integer fen until written here. */
#ifndef CW_WORDS_H
#define CW_WORDS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* A short title for a trigger or item ("Spend fell"); the name itself when
 * unknown. */
const char *cw_words_title(const char *trigger);
/* The sentence for a trigger or item and its evidence object into out;
 * unknown names and missing figures still give a readable line. Returns
 * out. */
char *cw_words_evidence(const char *trigger, json_t *evidence, char *out, size_t size);

/* 12000 -> "120.00 yuan" (negative amounts keep their sign). */
char *cw_words_money(int64_t fen, char *out, size_t size);
/* 12000 -> "3 h 20 min"; 2700 -> "45 min"; 50 -> "50 s". */
char *cw_words_duration(int64_t seconds, char *out, size_t size);
/* "2026-11-20" -> "20 Nov 2026"; the text itself when not a date. */
char *cw_words_date(const char *ymd, char *out, size_t size);
/* A JSON array of "YYYY-MM-DD" as "16, 17, 18 Nov" (days of one month
 * share it: "30 Nov, 1, 2 Dec"). */
char *cw_words_days(json_t *days, char *out, size_t size);

#endif
