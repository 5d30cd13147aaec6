/* Evidence in words (see words.h). */
#include "words.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "date.h"

static const char *const months[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

static void append(char *out, size_t size, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void append(char *out, size_t size, size_t *len, const char *fmt, ...)
{
    if (*len >= size)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out + *len, size - *len, fmt, ap);
    va_end(ap);
    if (n > 0)
        *len += (size_t)n < size - *len ? (size_t)n : size - *len - 1;
}

const char *cw_words_title(const char *trigger)
{
    static const struct {
        const char *name, *title;
    } titles[] = {
        {"complaints", "Complaints"},
        {"fwd_rival", "Calls forwarded to a rival"},
        {"rival_service", "Called a rival's service line"},
        {"plan_downgrade", "Plan downgraded"},
        {"contract_expiry", "Contract ending"},
        {"spend_drop", "Spend fell"},
        {"usage_drop", "Call time fell"},
        /* the monthly model's items (SPEC section 14) */
        {"spend_fall", "Spend falling for months"},
        {"fwd_3m", "Calls forwarded, 3 months"},
        {"fwd_1m", "Calls forwarded this month"},
        {"arrears_stops", "Stopped for arrears"},
        {"owed", "Money owed"},
        {"months_owed", "Months in arrears"},
        {"fault", "Network or service faults"},
        {"complaints_3m", "Complaints, 3 months"},
        {"own_service", "Calls to our service line"},
        {"rival_service_6m", "Called a rival's service line, 6 months"},
        {"vip_service", "Key-account team contacts"},
        {"few_new_services", "No new services"},
        {"vas_fall", "Value-added services fell"},
    };
    for (size_t i = 0; i < sizeof titles / sizeof titles[0]; i++)
        if (strcmp(titles[i].name, trigger) == 0)
            return titles[i].title;
    return trigger;
}

char *cw_words_money(int64_t fen, char *out, size_t size)
{
    uint64_t abs = fen < 0 ? (uint64_t)(-(fen + 1)) + 1 : (uint64_t)fen;
    snprintf(out, size, "%s%llu.%02llu yuan", fen < 0 ? "-" : "",
             (unsigned long long)(abs / 100), (unsigned long long)(abs % 100));
    return out;
}

char *cw_words_duration(int64_t seconds, char *out, size_t size)
{
    if (seconds < 0)
        seconds = 0;
    int64_t h = seconds / 3600, m = seconds % 3600 / 60, s = seconds % 60;
    if (h > 0 && m > 0)
        snprintf(out, size, "%lld h %lld min", (long long)h, (long long)m);
    else if (h > 0)
        snprintf(out, size, "%lld h", (long long)h);
    else if (m > 0)
        snprintf(out, size, "%lld min", (long long)m);
    else
        snprintf(out, size, "%lld s", (long long)s);
    return out;
}

char *cw_words_date(const char *ymd, char *out, size_t size)
{
    int32_t day;
    if (ymd == NULL || strlen(ymd) != 10 || cw_date_parse_ymd(ymd, 10, &day) != 0) {
        snprintf(out, size, "%s", ymd ? ymd : "");
        return out;
    }
    int y, mo, d;
    cw_date_to_civil(day, &y, &mo, &d);
    snprintf(out, size, "%d %s %d", d, months[mo - 1], y);
    return out;
}

char *cw_words_days(json_t *days, char *out, size_t size)
{
    size_t len = 0;
    out[0] = '\0';
    size_t n = json_array_size(days);
    int prev_month = -1, prev_year = -1;
    for (size_t i = 0; i < n; i++) {
        const char *text = json_string_value(json_array_get(days, i));
        int32_t day;
        if (text == NULL || strlen(text) != 10 || cw_date_parse_ymd(text, 10, &day) != 0)
            continue;
        int y, mo, d;
        cw_date_to_civil(day, &y, &mo, &d);
        /* the month goes after the last day of each run of one month */
        if (prev_month >= 0 && (mo != prev_month || y != prev_year))
            append(out, size, &len, " %s", months[prev_month - 1]);
        append(out, size, &len, "%s%d", len ? ", " : "", d);
        prev_month = mo;
        prev_year = y;
    }
    if (prev_month >= 0)
        append(out, size, &len, " %s", months[prev_month - 1]);
    return out;
}

/* An amount without its unit, for "from 120.00 to 38.00 yuan". */
static char *amount(int64_t fen, char *out, size_t size)
{
    cw_words_money(fen, out, size);
    char *unit = strstr(out, " yuan");
    if (unit)
        *unit = '\0';
    return out;
}

/* An integer member, or -1 when absent or not an integer. */
static int64_t num(json_t *evidence, const char *key)
{
    json_t *v = json_object_get(evidence, key);
    return json_is_integer(v) ? json_integer_value(v) : -1;
}

/* "down 68 %" of a fall from prev to cur, rounded down; "" when prev <= 0. */
static void fall_pct(int64_t prev, int64_t cur, char *out, size_t size)
{
    if (prev <= 0 || cur < 0 || cur >= prev) {
        out[0] = '\0';
        return;
    }
    snprintf(out, size, ", down %lld %%", (long long)((prev - cur) * 100 / prev));
}

static const char *times(int64_t n)
{
    return n == 1 ? "once" : n == 2 ? "twice" : NULL;
}

char *cw_words_evidence(const char *trigger, json_t *evidence, char *out, size_t size)
{
    size_t len = 0;
    char a[48], b[48], pct[32];
    out[0] = '\0';
    if (strcmp(trigger, "complaints") == 0) {
        int64_t n = num(evidence, "complaints"),
                serious = num(evidence, "serious_complaints"),
                overdue = num(evidence, "overdue_complaints");
        append(out, size, &len, "%lld complaint%s this week", (long long)(n < 0 ? 0 : n),
               n == 1 ? "" : "s");
        if (serious > 0)
            append(out, size, &len, ", %lld serious", (long long)serious);
        if (overdue > 0)
            append(out, size, &len, ", %lld not answered in time", (long long)overdue);
    } else if (strcmp(trigger, "fwd_rival") == 0) {
        int64_t n = num(evidence, "fwd_rival_days");
        char days[128];
        cw_words_days(json_object_get(evidence, "days"), days, sizeof days);
        append(out, size, &len,
               "incoming calls forwarded to a rival operator's number on %lld day%s",
               (long long)(n < 0 ? 0 : n), n == 1 ? "" : "s");
        if (days[0])
            append(out, size, &len, ": %s", days);
    } else if (strcmp(trigger, "rival_service") == 0) {
        int64_t n = num(evidence, "rival_service_calls");
        const char *word = times(n);
        if (word)
            append(out, size, &len,
                   "called a rival operator's customer service %s this week", word);
        else
            append(out, size, &len,
                   "called a rival operator's customer service %lld times this week",
                   (long long)(n < 0 ? 0 : n));
    } else if (strcmp(trigger, "plan_downgrade") == 0) {
        int64_t from = num(evidence, "from_fee_fen"), to = num(evidence, "to_fee_fen");
        if (from >= 0 && to >= 0)
            append(out, size, &len, "monthly plan downgraded from %s to %s",
                   amount(from, a, sizeof a), cw_words_money(to, b, sizeof b));
        else
            append(out, size, &len, "monthly plan downgraded");
    } else if (strcmp(trigger, "contract_expiry") == 0) {
        int64_t left = num(evidence, "days_left");
        const char *end = json_string_value(json_object_get(evidence, "contract_end"));
        append(out, size, &len, "contract ends");
        if (end)
            append(out, size, &len, " on %s", cw_words_date(end, a, sizeof a));
        if (left == 0)
            append(out, size, &len, ", today");
        else if (left == 1)
            append(out, size, &len, ", tomorrow");
        else if (left > 1)
            append(out, size, &len, ", in %lld days", (long long)left);
    } else if (strcmp(trigger, "spend_drop") == 0) {
        int64_t cur = num(evidence, "spend_fen"), prev = num(evidence, "prev_spend_fen");
        fall_pct(prev, cur, pct, sizeof pct);
        append(out, size, &len, "weekly spend fell from %s to %s%s",
               amount(prev < 0 ? 0 : prev, a, sizeof a),
               cw_words_money(cur < 0 ? 0 : cur, b, sizeof b), pct);
    } else if (strcmp(trigger, "usage_drop") == 0) {
        int64_t cur = num(evidence, "voice_s"), prev = num(evidence, "prev_voice_s");
        fall_pct(prev, cur, pct, sizeof pct);
        append(out, size, &len, "weekly call time fell from %s to %s%s",
               cw_words_duration(prev, a, sizeof a), cw_words_duration(cur, b, sizeof b),
               pct);
    } else if (strcmp(trigger, "spend_fall") == 0) {
        /* sums over 3 and 6 months: the item compares their monthly means */
        int64_t s3 = num(evidence, "spend_3m_fen"), s6 = num(evidence, "spend_6m_fen");
        append(out, size, &len,
               "monthly spend averaged %s over the last 3 months against %s over 6",
               amount(s3 < 0 ? 0 : s3 / 3, a, sizeof a),
               cw_words_money(s6 < 0 ? 0 : s6 / 6, b, sizeof b));
    } else if (strcmp(trigger, "fwd_3m") == 0 || strcmp(trigger, "fwd_1m") == 0) {
        bool month = trigger[4] == '1';
        int64_t n = num(evidence, month ? "fwd_1m_calls" : "fwd_3m_calls");
        append(out, size, &len, "%lld incoming call%s forwarded %s",
               (long long)(n < 0 ? 0 : n), n == 1 ? "" : "s",
               month ? "this month" : "in 3 months");
    } else if (strcmp(trigger, "arrears_stops") == 0) {
        int64_t n = num(evidence, "arrears_stops_6m");
        const char *word = times(n);
        if (word)
            append(out, size, &len, "service stopped for unpaid bills %s in 6 months",
                   word);
        else
            append(out, size, &len,
                   "service stopped for unpaid bills %lld times in 6 months",
                   (long long)(n < 0 ? 0 : n));
    } else if (strcmp(trigger, "owed") == 0) {
        int64_t fen = num(evidence, "owed_fen");
        append(out, size, &len, "owes %s at the month's end",
               cw_words_money(fen < 0 ? 0 : fen, a, sizeof a));
    } else if (strcmp(trigger, "months_owed") == 0) {
        int64_t n = num(evidence, "months_owed");
        append(out, size, &len, "bills unpaid for %lld month%s",
               (long long)(n < 0 ? 0 : n), n == 1 ? "" : "s");
    } else if (strcmp(trigger, "fault") == 0) {
        int64_t level = num(evidence, "fault_level_3m");
        append(out, size, &len,
               "a fault ticket of severity %lld (of 3) in the last 3 months",
               (long long)(level < 0 ? 0 : level));
    } else if (strcmp(trigger, "complaints_3m") == 0) {
        int64_t n = num(evidence, "complaints_3m");
        append(out, size, &len, "%lld complaint%s in 3 months",
               (long long)(n < 0 ? 0 : n), n == 1 ? "" : "s");
    } else if (strcmp(trigger, "own_service") == 0 ||
               strcmp(trigger, "rival_service_6m") == 0) {
        bool own = trigger[0] == 'o';
        int64_t n =
            num(evidence, own ? "own_service_calls_6m" : "rival_service_calls_6m");
        const char *word = times(n);
        const char *whose = own ? "our" : "a rival operator's";
        if (word)
            append(out, size, &len, "called %s customer service %s in 6 months", whose,
                   word);
        else
            append(out, size, &len, "called %s customer service %lld times in 6 months",
                   whose, (long long)(n < 0 ? 0 : n));
    } else if (strcmp(trigger, "vip_service") == 0) {
        int64_t n = num(evidence, "vip_services_6m");
        append(out, size, &len, "%lld contact%s with the key-account team in 6 months",
               (long long)(n < 0 ? 0 : n), n == 1 ? "" : "s");
    } else if (strcmp(trigger, "few_new_services") == 0) {
        int64_t n = num(evidence, "new_services_6m");
        if (n <= 0)
            append(out, size, &len, "no new value-added service in 6 months");
        else
            append(out, size, &len, "only %lld new value-added service%s in 6 months",
                   (long long)n, n == 1 ? "" : "s");
    } else if (strcmp(trigger, "vas_fall") == 0) {
        int64_t cur = num(evidence, "vas_2m_fen"),
                prev = num(evidence, "prev_vas_2m_fen");
        fall_pct(prev, cur, pct, sizeof pct);
        append(out, size, &len,
               "value-added services fell from %s to %s over two months%s",
               amount(prev < 0 ? 0 : prev, a, sizeof a),
               cw_words_money(cur < 0 ? 0 : cur, b, sizeof b), pct);
    } else {
        /* a trigger this console does not know yet: its figures as they are */
        append(out, size, &len, "%s", trigger);
        const char *key;
        json_t *v;
        const char *sep = ": ";
        json_object_foreach(evidence, key, v)
        {
            if (json_is_integer(v))
                append(out, size, &len, "%s%s %lld", sep, key,
                       (long long)json_integer_value(v));
            else if (json_is_string(v))
                append(out, size, &len, "%s%s %s", sep, key, json_string_value(v));
            else
                continue;
            sep = ", ";
        }
    }
    return out;
}
