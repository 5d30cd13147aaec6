/* cdrwarn-gen's numbering plan: the prefixes of the own operator and of
 * the rivals, random numbers in them, and the subscribers' own numbers,
 * laid out so that "is this number a subscriber" is arithmetic. Below the
 * model, churn and traffic, which all draw numbers; it calls none of them. */
#include "gen_number.h"

/* China Mobile: the subscribers and most of their contacts. */
static const uint16_t own_prefixes[] = {134, 135, 136, 137, 138, 139, 147, 150,
                                        151, 152, 157, 158, 159, 172, 178, 182,
                                        183, 184, 187, 188, 195, 197, 198};
/* China Unicom, then China Telecom. */
static const uint16_t rival_prefixes[] = {130, 131, 132, 145, 155, 156, 166, 175,
                                          176, 185, 186, 196, 133, 149, 153, 173,
                                          177, 180, 181, 189, 190, 191, 193, 199};
#define OWN_PREFIX_CNT (sizeof(own_prefixes) / sizeof(own_prefixes[0]))
#define RIVAL_PREFIX_CNT (sizeof(rival_prefixes) / sizeof(rival_prefixes[0]))
#define RIVAL_UNICOM_CNT 12     /* the first prefixes of rival_prefixes */
#define LINE_SPACE 100000000ULL /* 8 digits after the 3-digit prefix */
#define OWN_SPACE (OWN_PREFIX_CNT * LINE_SPACE)

/* Subscriber i gets own number (A * i + B) mod OWN_SPACE: unique without a
 * table, and invertible, so "is this number a subscriber" is arithmetic. */
#define NUMBER_MULT 354435761ULL

/* The stream of B: it follows gen_model.c's tags (1..6), whose value it
 * had when it lived there, so the numbers stay the same. */
enum { TAG_NUMBER_OFFSET = 7 };

/* named as in config/rival_prefixes.txt, indexed by cw_gen_number_operator */
const char *const cw_gen_operator_names[2] = {"chinaunicom", "chinatelecom"};

static uint64_t number_offset(const cw_gen_model_t *model)
{
    return cw_gen_hash4(model->opts->seed, TAG_NUMBER_OFFSET, 0, 0) % OWN_SPACE;
}

static uint64_t own_number_at(uint64_t y)
{
    return own_prefixes[y / LINE_SPACE] * LINE_SPACE + y % LINE_SPACE;
}

int cw_gen_number_operator(uint64_t number)
{
    uint64_t prefix = number / LINE_SPACE;
    for (size_t idx = 0; idx < RIVAL_PREFIX_CNT; idx++)
        if (rival_prefixes[idx] == prefix)
            return idx < RIVAL_UNICOM_CNT ? 0 : 1;
    return 0;
}

uint64_t cw_gen_number(bool own, uint64_t bits)
{
    uint64_t line = (bits >> 8) % LINE_SPACE;
    if (own)
        return own_prefixes[(bits & 0xff) % OWN_PREFIX_CNT] * LINE_SPACE + line;
    return rival_prefixes[(bits & 0xff) % RIVAL_PREFIX_CNT] * LINE_SPACE + line;
}

uint64_t cw_gen_number_of_sub(const cw_gen_model_t *model, uint32_t sub)
{
    return own_number_at((NUMBER_MULT * sub + number_offset(model)) % OWN_SPACE);
}

/* Inverse of a mod m by the extended Euclid algorithm (gcd(a, m) = 1). */
static uint64_t mod_inverse(uint64_t a, uint64_t m)
{
    int64_t t = 0, new_t = 1;
    int64_t r = (int64_t)m, new_r = (int64_t)(a % m);
    while (new_r != 0) {
        int64_t q = r / new_r, tmp;
        tmp = t - q * new_t;
        t = new_t;
        new_t = tmp;
        tmp = r - q * new_r;
        r = new_r;
        new_r = tmp;
    }
    return (uint64_t)(t < 0 ? t + (int64_t)m : t);
}

bool cw_gen_number_is_subscriber(const cw_gen_model_t *model, uint64_t msisdn)
{
    uint64_t prefix = msisdn / LINE_SPACE;
    size_t idx;
    for (idx = 0; idx < OWN_PREFIX_CNT; idx++)
        if (own_prefixes[idx] == prefix)
            break;
    if (idx == OWN_PREFIX_CNT)
        return false;
    uint64_t y = idx * LINE_SPACE + msisdn % LINE_SPACE;
    uint64_t diff = (y + OWN_SPACE - number_offset(model)) % OWN_SPACE;
    uint64_t index = mod_inverse(NUMBER_MULT, OWN_SPACE) * diff % OWN_SPACE;
    return index < model->sub_cnt;
}
