/* cdrwarn-gen's numbering plan (gen_number.c): own-operator and rival
 * mobile numbers, which rival operator a number belongs to, and the
 * subscribers' own numbers. The bottom layer: it calls no other gen file. */
#ifndef CW_GEN_NUMBER_H
#define CW_GEN_NUMBER_H

#include "gen.h"

/* A random own-operator (own = true) or rival mobile number from `bits`. */
uint64_t cw_gen_number(bool own, uint64_t bits);
/* Index in cw_gen_operator_names of a rival number's operator. */
int cw_gen_number_operator(uint64_t number);
/* Subscriber `sub`'s own number (its msisdn). */
uint64_t cw_gen_number_of_sub(const cw_gen_model_t *model, uint32_t sub);
/* True when `msisdn` is one of the model's subscribers. */
bool cw_gen_number_is_subscriber(const cw_gen_model_t *model, uint64_t msisdn);

#endif
