/* cdrwarn-gen's population (gen_model.c): builds every subscriber, then
 * hands the population to gen_monthly.c and gen_churn.c for their parts.
 * Above those two and gen_number.c; below the traffic. */
#ifndef CW_GEN_MODEL_H
#define CW_GEN_MODEL_H

#include "gen.h"

int cw_gen_model_build(cw_gen_model_t *model, const cw_gen_opts_t *opts, char *errbuf,
                       size_t errbuf_size);
void cw_gen_model_free(cw_gen_model_t *model);
/* The k-th frequent contact of a subscriber (own operator or rival). */
uint64_t cw_gen_model_contact(const cw_gen_model_t *model, uint32_t sub, unsigned k);

#endif
